//! AdmissionReview (admission.k8s.io/v1) in and out around [`crate::policy`].

use avigw_shared::rules::RuleCode;
use kube::core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview};
use kube::core::{DynamicObject, Status};
use serde_json::Value;

use crate::policy::{self, Kind, Operation, PolicyConfig, Subject};
use crate::view::ClusterView;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Validate,
    Mutate,
}

/// The outcome of one review, with what the metrics need.
#[derive(Debug)]
pub struct Reviewed {
    pub body: Vec<u8>,
    pub kind: Kind,
    pub operation: &'static str,
    pub allowed: bool,
    pub mutated: bool,
    pub denied_rules: Vec<RuleCode>,
}

/// A request that is not an AdmissionReview at all: answered with HTTP 400.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("request body is not an admission.k8s.io/v1 AdmissionReview: {0}")]
    Decode(String),
    #[error("AdmissionReview has no request")]
    NoRequest,
    #[error("encoding the response: {0}")]
    Encode(String),
}

fn operation_of(op: &kube::core::admission::Operation) -> (Operation, &'static str) {
    use kube::core::admission::Operation as K;
    match op {
        K::Create => (Operation::Create, "CREATE"),
        K::Update => (Operation::Update, "UPDATE"),
        K::Delete => (Operation::Delete, "DELETE"),
        K::Connect => (Operation::Connect, "CONNECT"),
    }
}

pub fn review(
    body: &[u8],
    mode: Mode,
    view: &dyn ClusterView,
    cfg: PolicyConfig,
) -> Result<Reviewed, ReviewError> {
    let review: AdmissionReview<DynamicObject> =
        serde_json::from_slice(body).map_err(|e| ReviewError::Decode(e.to_string()))?;
    if review.types.api_version != "admission.k8s.io/v1" || review.types.kind != "AdmissionReview" {
        return Err(ReviewError::Decode(format!(
            "apiVersion {:?} kind {:?}; expected admission.k8s.io/v1 AdmissionReview",
            review.types.api_version, review.types.kind
        )));
    }
    let req: AdmissionRequest<DynamicObject> = review.try_into().map_err(|_| ReviewError::NoRequest)?;
    let kind = Kind::from_group_kind(&req.kind.group, &req.kind.kind);
    let (operation, op_name) = operation_of(&req.operation);
    let to_value = |o: &Option<DynamicObject>| o.as_ref().and_then(|o| serde_json::to_value(o).ok());
    let object: Option<Value> = to_value(&req.object);
    let old_object: Option<Value> = to_value(&req.old_object);
    let subject = Subject {
        kind,
        operation,
        namespace: req.namespace.as_deref(),
        object: object.as_ref(),
        old_object: old_object.as_ref(),
    };
    let mut resp = AdmissionResponse::from(&req);
    let mut denied_rules = Vec::new();
    let mut mutated = false;
    match mode {
        Mode::Validate => match policy::validate(&subject, view, cfg) {
            Err(e) => {
                resp = resp.deny(e.to_string());
                resp.result.code = 400;
                resp.result.reason = "BadRequest".into();
            }
            Ok(v) => {
                if !v.verdict.warnings.is_empty() {
                    resp.warnings = Some(v.verdict.warning_messages());
                }
                if !v.verdict.allowed() {
                    denied_rules = v.verdict.violations.iter().map(|x| x.code).collect();
                    let message = v.verdict.denial_message(kind.as_str(), &v.object_name);
                    resp = resp.deny(&message);
                    resp.result = Status::failure(&message, "Invalid").with_code(422);
                    // No details: with kind/name and reason Invalid, kubectl prints "The X is
                    // invalid" plus the causes and drops the message, which is what users need.
                    // The rule codes go to the audit log: `<webhook name>/denied-rules`.
                    let codes: Vec<&str> = denied_rules.iter().map(|c| c.as_str()).collect();
                    resp.audit_annotations
                        .insert("denied-rules".to_owned(), codes.join(","));
                }
            }
        },
        Mode::Mutate => {
            if let Some(patch) = policy::mutate(&subject, view) {
                resp = resp
                    .with_patch(patch)
                    .map_err(|e| ReviewError::Encode(e.to_string()))?;
                mutated = true;
            }
        }
    }
    let allowed = resp.allowed;
    let body = serde_json::to_vec(&resp.into_review()).map_err(|e| ReviewError::Encode(e.to_string()))?;
    Ok(Reviewed {
        body,
        kind,
        operation: op_name,
        allowed,
        mutated,
        denied_rules,
    })
}
