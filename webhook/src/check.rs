//! `avigw-webhook check`: the admission rules offline, over manifest files. The other objects in
//! the files are the context (GatewayClasses, Gateways), as the reflectors are in the cluster.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use avigw_shared::api::{Gateway, GatewayClass};
use serde_json::Value;

use avigw_shared::rules::RuleKind as Kind;

use crate::policy::{self, Operation, PolicyConfig, Subject};
use crate::view::StaticView;

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: document {index}: not valid YAML: {reason}")]
    Yaml {
        path: PathBuf,
        index: usize,
        reason: String,
    },
}

/// One manifest document with where it came from.
pub struct Doc {
    pub source: String,
    pub value: Value,
}

/// Reads every `.yaml`/`.yml`/`.json` file under the given paths (directories recursively, in
/// name order), splitting multi-document YAML and `List` kinds.
pub fn read_docs(paths: &[PathBuf]) -> Result<Vec<Doc>, CheckError> {
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files)?;
    }
    let mut docs = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|source| CheckError::Read {
            path: f.clone(),
            source,
        })?;
        for (index, de) in serde_yaml::Deserializer::from_str(&text).enumerate() {
            let v: Value = serde::Deserialize::deserialize(de).map_err(|e| CheckError::Yaml {
                path: f.clone(),
                index: index + 1,
                reason: e.to_string(),
            })?;
            let source = format!("{}#{}", f.display(), index + 1);
            push_doc(v, &source, &mut docs);
        }
    }
    Ok(docs)
}

fn push_doc(v: Value, source: &str, docs: &mut Vec<Doc>) {
    match v {
        Value::Null => {}
        Value::Object(ref m)
            if m.get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List")) =>
        {
            for item in m.get("items").and_then(Value::as_array).into_iter().flatten() {
                push_doc(item.clone(), source, docs);
            }
        }
        v => docs.push(Doc {
            source: source.to_owned(),
            value: v,
        }),
    }
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) -> Result<(), CheckError> {
    let meta = std::fs::metadata(p).map_err(|source| CheckError::Read {
        path: p.into(),
        source,
    })?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
            .map_err(|source| CheckError::Read {
                path: p.into(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            let is_manifest = e
                .extension()
                .is_some_and(|x| x == "yaml" || x == "yml" || x == "json");
            if e.is_dir() || is_manifest {
                collect(&e, out)?;
            }
        }
    } else {
        out.push(p.to_owned());
    }
    Ok(())
}

fn group_kind(v: &Value) -> (String, String) {
    let api_version = v.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    (
        group.to_owned(),
        v.get("kind").and_then(Value::as_str).unwrap_or("").to_owned(),
    )
}

/// The report and whether everything was admitted.
pub struct Report {
    pub text: String,
    pub all_admitted: bool,
}

/// Judges every document as a create, with the other documents as context.
pub fn check_docs(docs: &[Doc], cfg: PolicyConfig) -> Report {
    let mut view = StaticView::default();
    for d in docs {
        match group_kind(&d.value) {
            (g, k) if Kind::from_group_kind(&g, &k) == Kind::GatewayClass => {
                if let Ok(c) = serde_json::from_value::<GatewayClass>(d.value.clone()) {
                    view.add_class(c);
                }
            }
            (g, k) if Kind::from_group_kind(&g, &k) == Kind::Gateway => {
                if let Ok(gw) = serde_json::from_value::<Gateway>(d.value.clone()) {
                    view.add_gateway(gw);
                }
            }
            _ => {}
        }
    }
    let mut text = String::new();
    let mut all_admitted = true;
    for d in docs {
        let (group, kind_name) = group_kind(&d.value);
        let kind = Kind::from_group_kind(&group, &kind_name);
        let name = d
            .value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("<unnamed>");
        let namespace = d.value.pointer("/metadata/namespace").and_then(Value::as_str);
        let resource = if group.is_empty() {
            format!("{}/{name}", kind_name.to_lowercase())
        } else {
            format!("{}.{group}/{name}", kind_name.to_lowercase())
        };
        if kind == Kind::Other {
            let _ = writeln!(
                text,
                "{resource}: not checked (avigw has no rules for {kind_name})"
            );
            continue;
        }
        // Namespaced objects without a namespace would land in "default" with kubectl.
        let ns = match kind {
            Kind::Gateway | Kind::Service => Some(namespace.unwrap_or("default")),
            _ => None,
        };
        let raw = match serde_json::value::to_raw_value(&d.value) {
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
            namespace: ns,
            object: Some(&raw),
            old_object: None,
        };
        match policy::validate(&subject, &view, cfg) {
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
