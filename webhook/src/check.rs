//! `avigw-webhook check`: the admission rules offline, over manifest files. The other objects in
//! the files are the context (GatewayClasses, Gateways, IngressClasses, Ingresses, Namespaces,
//! AviInfraSettings), as the reflectors are in the cluster. Files are read and split into
//! objects as `avigw-reconciler plan` reads them.

use std::fmt::Write as _;
use std::path::PathBuf;

use avigw_shared::api::{AviInfraSetting, Gateway, GatewayClass};
use avigw_shared::config::Scope;
use avigw_shared::input::{InputError, read_inputs};
use avigw_shared::rules::{RuleKind, default_gateway};
use avigw_shared::translate::{Document, ManifestError, documents};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use serde::de::DeserializeOwned;

use crate::policy::{self, Operation, Subject};
use crate::view::StaticView;

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{}: {}", .0.path.display(), .0.source)]
    Read(#[from] InputError),
    #[error("{source_name}: {error}")]
    Manifest {
        source_name: String,
        error: ManifestError,
    },
}

/// One manifest document with where it came from (`<file>#<document number>`).
pub struct Doc {
    pub source: String,
    pub document: Document,
}

/// What the paths hold, and a note per directory or list that held nothing.
pub struct Docs {
    pub docs: Vec<Doc>,
    pub notes: Vec<String>,
}

/// Reads every manifest under the given paths (see [`avigw_shared::input`]) into documents.
pub fn read_docs(paths: &[PathBuf]) -> Result<Docs, CheckError> {
    let read = read_inputs(paths)?;
    let mut out = Docs {
        docs: Vec::new(),
        notes: read.notes,
    };
    for input in read.inputs {
        let parsed = documents(&input.text).map_err(|error| CheckError::Manifest {
            source_name: input.name.clone(),
            error,
        })?;
        out.notes
            .extend(parsed.notes.iter().map(|n| format!("{}: {n}", input.name)));
        out.docs.extend(parsed.documents.into_iter().map(|document| Doc {
            source: format!("{}#{}", input.name, document.doc),
            document,
        }));
    }
    Ok(out)
}

/// The report and whether everything was admitted.
pub struct Report {
    pub text: String,
    pub all_admitted: bool,
}

/// The namespace kubectl would put an object of `kind` in.
fn namespace_of(kind: RuleKind, d: &Document) -> Option<String> {
    kind.namespaced()
        .then(|| d.namespace().unwrap_or("default").to_owned())
}

fn typed<T: DeserializeOwned>(d: &Document) -> Option<T> {
    serde_json::from_value(d.value.clone()).ok()
}

/// The files' objects the rules look up (Gateways and Ingresses in their namespace, Gateways
/// defaulted), as the webhook's reflectors would hold them once applied. Ingresses are judged
/// against each other at their age, as `plan` and the reconciler order them.
fn view_of(docs: &[Doc], scope: &Scope) -> StaticView {
    let mut view = StaticView::with_default_domain(scope.default_domain.clone());
    for d in docs {
        let d = &d.document;
        match RuleKind::from_api_version_kind(&d.api_version, &d.kind) {
            RuleKind::GatewayClass => {
                if let Some(c) = typed::<GatewayClass>(d) {
                    view.add_class(c);
                }
            }
            RuleKind::Gateway => {
                if let Some(mut gw) = typed::<Gateway>(d) {
                    gw.metadata.namespace = namespace_of(RuleKind::Gateway, d);
                    view.add_gateway(default_gateway(&gw));
                }
            }
            RuleKind::IngressClass => {
                if let Some(c) = typed::<IngressClass>(d) {
                    view.add_ingress_class(&c);
                }
            }
            RuleKind::Ingress => {
                if let Some(mut ing) = typed::<Ingress>(d) {
                    ing.metadata.namespace = namespace_of(RuleKind::Ingress, d);
                    view.add_ingress(ing);
                }
            }
            RuleKind::AviInfraSetting => {
                if let Some(a) = typed::<AviInfraSetting>(d) {
                    view.add_infra_setting(a);
                }
            }
            RuleKind::Service | RuleKind::Other => {
                if (d.api_version.as_str(), d.kind.as_str()) == ("v1", "Namespace")
                    && let Some(ns) = typed::<Namespace>(d)
                {
                    view.add_namespace(ns);
                }
            }
        }
    }
    view
}

/// Judges every document as a create, with the other documents as context.
pub fn check_docs(docs: &[Doc], scope: &Scope) -> Report {
    let view = view_of(docs, scope);
    let mut text = String::new();
    let mut all_admitted = true;
    for d in docs {
        let doc = &d.document;
        let kind = RuleKind::from_api_version_kind(&doc.api_version, &doc.kind);
        let name = doc.name().unwrap_or("<unnamed>");
        let resource = match doc.api_version.rsplit_once('/') {
            Some((group, _)) => format!("{}.{group}/{name}", doc.kind.to_lowercase()),
            None => format!("{}/{name}", doc.kind.to_lowercase()),
        };
        if kind == RuleKind::Other {
            let _ = writeln!(
                text,
                "{resource}: not checked (avigw has no rules for {})",
                doc.kind
            );
            continue;
        }
        let namespace = namespace_of(kind, doc);
        let raw = match serde_json::value::to_raw_value(&doc.value) {
            Ok(r) => r,
            Err(e) => {
                all_admitted = false;
                let _ = writeln!(text, "Error from {} ({resource}): {e}", d.source);
                continue;
            }
        };
        let subject = Subject {
            kind,
            operation: Operation::Create,
            namespace: namespace.as_deref(),
            object: Some(&raw),
            old_object: None,
        };
        match policy::validate(&subject, &view, scope) {
            Err(e) => {
                all_admitted = false;
                let _ = writeln!(text, "Error from {} ({resource}): {e}", d.source);
            }
            Ok(v) => {
                for w in v.verdict.warning_messages() {
                    let _ = writeln!(text, "Warning: {w}");
                }
                if v.verdict.allowed() {
                    let _ = writeln!(text, "{resource}: admitted");
                } else {
                    all_admitted = false;
                    let _ = writeln!(
                        text,
                        "Error from {} ({resource}): denied: {}",
                        d.source,
                        v.verdict.denial_message(kind.as_str(), &v.object_name)
                    );
                }
            }
        }
    }
    Report { text, all_admitted }
}
