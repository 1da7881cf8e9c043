//! AdmissionReview (admission.k8s.io/v1) in and out around [`crate::policy`]. The request is
//! read in one pass that keeps the object as raw JSON; only the fields a decision needs are
//! decoded (the webhook sits in the write path of every Service in the cluster).

use std::collections::BTreeMap;

use avigw_shared::config::Scope;
use avigw_shared::rules::{ClusterView, RuleCode, RuleKind};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::policy::{self, Operation, Subject};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Validate,
    Mutate,
}

/// The outcome of one review, with what the metrics need.
#[derive(Debug)]
pub struct Reviewed {
    pub body: Vec<u8>,
    pub kind: RuleKind,
    pub operation: &'static str,
    pub allowed: bool,
    pub mutated: bool,
    pub denied_rules: Vec<RuleCode>,
    /// Set when the answer is an error rather than the rules' verdict: `decode` (the object
    /// does not decode as its kind) or `patch` (its defaults could not be written as a patch).
    pub error: Option<&'static str>,
}

/// A request answered without a review: not an AdmissionReview at all (HTTP 400), or an
/// answer that could not be encoded (HTTP 500).
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("request body is not an admission.k8s.io/v1 AdmissionReview: {0}")]
    Decode(String),
    #[error("AdmissionReview has no request")]
    NoRequest,
    #[error("encoding the response: {0}")]
    Encode(String),
}

impl ReviewError {
    pub fn status(&self) -> axum::http::StatusCode {
        match self {
            ReviewError::Decode(_) | ReviewError::NoRequest => axum::http::StatusCode::BAD_REQUEST,
            ReviewError::Encode(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `error` label of `avigw_admission_errors_total`.
    pub fn metric_label(&self) -> &'static str {
        match self {
            ReviewError::Decode(_) => "undecodable",
            ReviewError::NoRequest => "no_request",
            ReviewError::Encode(_) => "encode",
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireReview<'a> {
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    #[serde(borrow, default)]
    request: Option<WireRequest<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRequest<'a> {
    uid: String,
    kind: WireKind,
    operation: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(borrow, default)]
    object: Option<&'a RawValue>,
    #[serde(borrow, default)]
    old_object: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct WireKind {
    #[serde(default)]
    group: String,
    kind: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireOut<'a> {
    api_version: &'static str,
    kind: &'static str,
    response: WireResponse<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireResponse<'a> {
    uid: &'a str,
    allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<WireStatus>,
    /// Base64 of the JSON patch, as Go encodes []byte.
    #[serde(skip_serializing_if = "Option::is_none")]
    patch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patch_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    audit_annotations: BTreeMap<&'static str, String>,
}

/// A metav1.Status without details: with kind/name and reason Invalid, kubectl prints "The X is
/// invalid" plus the causes and drops the message, which is what users need.
#[derive(Serialize)]
struct WireStatus {
    status: &'static str,
    code: u16,
    reason: &'static str,
    message: String,
}

fn operation_of(op: &str) -> (Operation, &'static str) {
    match op {
        "CREATE" => (Operation::Create, "CREATE"),
        "UPDATE" => (Operation::Update, "UPDATE"),
        "DELETE" => (Operation::Delete, "DELETE"),
        _ => (Operation::Connect, "CONNECT"),
    }
}

pub fn review(
    body: &[u8],
    mode: Mode,
    view: &dyn ClusterView,
    scope: &Scope,
) -> Result<Reviewed, ReviewError> {
    let review: WireReview = serde_json::from_slice(body).map_err(|e| ReviewError::Decode(e.to_string()))?;
    if review.api_version != "admission.k8s.io/v1" || review.kind != "AdmissionReview" {
        return Err(ReviewError::Decode(format!(
            "apiVersion {:?} kind {:?}; expected admission.k8s.io/v1 AdmissionReview",
            review.api_version, review.kind
        )));
    }
    let req = review.request.ok_or(ReviewError::NoRequest)?;
    let kind = RuleKind::from_group_kind(&req.kind.group, &req.kind.kind);
    let (operation, op_name) = operation_of(&req.operation);
    let subject = Subject {
        kind,
        operation,
        namespace: req.namespace.as_deref(),
        object: req.object,
        old_object: req.old_object,
    };
    let mut resp = WireResponse {
        uid: &req.uid,
        allowed: true,
        status: None,
        patch: None,
        patch_type: None,
        warnings: Vec::new(),
        audit_annotations: BTreeMap::new(),
    };
    let mut denied_rules = Vec::new();
    let mut error = None;
    match mode {
        Mode::Validate => match policy::validate(&subject, view, scope) {
            Err(e) => {
                error = Some("decode");
                resp.allowed = false;
                resp.status = Some(WireStatus {
                    status: "Failure",
                    code: 400,
                    reason: "BadRequest",
                    message: e.to_string(),
                });
            }
            Ok(v) => {
                resp.warnings = v.verdict.warning_messages();
                if !v.verdict.allowed() {
                    denied_rules = v.verdict.violations.iter().map(|x| x.code).collect();
                    resp.allowed = false;
                    resp.status = Some(WireStatus {
                        status: "Failure",
                        code: 422,
                        reason: "Invalid",
                        message: v.verdict.denial_message(kind.as_str(), &v.object_name),
                    });
                    // The rule codes go to the audit log: `<webhook name>/denied-rules`.
                    let codes: Vec<&str> = denied_rules.iter().map(|c| c.as_str()).collect();
                    resp.audit_annotations.insert("denied-rules", codes.join(","));
                }
            }
        },
        Mode::Mutate => match policy::mutate(&subject, view) {
            Ok(Some(patch)) => {
                let bytes = serde_json::to_vec(&patch).map_err(|e| ReviewError::Encode(e.to_string()))?;
                resp.patch = Some(base64::engine::general_purpose::STANDARD.encode(bytes));
                resp.patch_type = Some("JSONPatch");
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(uid = %req.uid, error = %e, "admission defaults not applied");
                error = Some("patch");
                resp.allowed = false;
                resp.status = Some(WireStatus {
                    status: "Failure",
                    code: 500,
                    reason: "InternalError",
                    message: e.to_string(),
                });
            }
        },
    }
    let (allowed, mutated) = (resp.allowed, resp.patch.is_some());
    let out = WireOut {
        api_version: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        response: resp,
    };
    let body = serde_json::to_vec(&out).map_err(|e| ReviewError::Encode(e.to_string()))?;
    Ok(Reviewed {
        body,
        kind,
        operation: op_name,
        allowed,
        mutated,
        denied_rules,
        error,
    })
}
