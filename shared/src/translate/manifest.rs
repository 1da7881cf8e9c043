//! Reads Kubernetes manifests from text (multi-document YAML or JSON, list kinds): first into
//! documents (one JSON object each, lists flattened), then into the objects translation uses.
//! Pure: the caller reads the files. Both command-line tools read their input through here.
//!
//! A document is a list when it has an `items` sequence, whatever its kind, as kubectl
//! decides; a `List` or `*List` kind without `items` holds nothing (and says so in a note).

use serde::Deserialize;
use serde_json::Value;

use super::object::Object;
use crate::api::{AKO_GROUP, GATEWAY_GROUP, GATEWAY_VERSION};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("document {doc}: not valid YAML: {reason}")]
    Yaml { doc: usize, reason: String },
    #[error("document {doc}: {msg}")]
    Document { doc: usize, msg: String },
}

/// One Kubernetes object of a text, with the number of the YAML document it came from (the
/// same for every item of a list).
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub doc: usize,
    pub api_version: String,
    pub kind: String,
    pub value: Value,
}

impl Document {
    pub fn name(&self) -> Option<&str> {
        self.value.pointer("/metadata/name").and_then(Value::as_str)
    }

    pub fn namespace(&self) -> Option<&str> {
        self.value.pointer("/metadata/namespace").and_then(Value::as_str)
    }
}

/// What a text held: its objects, and a note per list that held nothing.
#[derive(Debug, Default)]
pub struct Documents {
    pub documents: Vec<Document>,
    pub notes: Vec<String>,
}

/// Splits `text` into Kubernetes objects: empty documents are skipped, lists flattened. A
/// document that is not a mapping with `apiVersion` and `kind` is an error.
pub fn documents(text: &str) -> Result<Documents, ManifestError> {
    let mut out = Documents::default();
    for (i, de) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let doc = i + 1;
        let value = Value::deserialize(de).map_err(|e| ManifestError::Yaml {
            doc,
            reason: e.to_string(),
        })?;
        add_document(value, doc, &mut out).map_err(|msg| ManifestError::Document { doc, msg })?;
    }
    Ok(out)
}

fn add_document(value: Value, doc: usize, out: &mut Documents) -> Result<(), String> {
    let Value::Object(mut map) = value else {
        return match value {
            Value::Null => Ok(()),
            _ => Err("not a Kubernetes object (expected a mapping with apiVersion and kind)".to_owned()),
        };
    };
    let kind = map
        .get("kind")
        .and_then(Value::as_str)
        .ok_or("no kind")?
        .to_owned();
    let listed = kind.ends_with("List");
    match map.remove("items") {
        Some(Value::Array(items)) => {
            for item in items {
                add_document(item, doc, out)?;
            }
            return Ok(());
        }
        None | Some(Value::Null) if listed => {
            out.notes
                .push(format!("document {doc}: {kind} with no items: nothing to read"));
            return Ok(());
        }
        Some(_) if listed => return Err(format!("{kind}: items must be a list of objects")),
        Some(other) => {
            map.insert("items".to_owned(), other);
        }
        None => {}
    }
    let api_version = map
        .get("apiVersion")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{kind} has no apiVersion"))?
        .to_owned();
    out.documents.push(Document {
        doc,
        api_version,
        kind,
        value: Value::Object(map),
    });
    Ok(())
}

/// What a text held: the objects translation reads, and a note per object it ignores.
#[derive(Debug, Default)]
pub struct Manifests {
    pub objects: Vec<Object>,
    pub ignored: Vec<String>,
}

/// Parses every document of `text`; kinds translation does not read are listed in `ignored`.
pub fn parse_manifests(text: &str) -> Result<Manifests, ManifestError> {
    let docs = documents(text)?;
    let mut out = Manifests {
        objects: Vec::with_capacity(docs.documents.len()),
        ignored: docs.notes,
    };
    for d in docs.documents {
        let doc = d.doc;
        add_object(d, &mut out).map_err(|msg| ManifestError::Document { doc, msg })?;
    }
    Ok(out)
}

fn add_object(d: Document, out: &mut Manifests) -> Result<(), String> {
    let name = d.name().unwrap_or("(unnamed)").to_owned();
    let Document {
        doc,
        api_version,
        kind,
        value,
    } = d;
    let gw_api = format!("{GATEWAY_GROUP}/{GATEWAY_VERSION}");
    let ako_api = format!("{AKO_GROUP}/v1alpha1");
    let obj = match (api_version.as_str(), kind.as_str()) {
        (a, "GatewayClass") if a == gw_api => from(value, Object::GatewayClass),
        (a, "Gateway") if a == gw_api => from(value, Object::Gateway),
        (a, "AviInfraSetting") if a == ako_api => from(value, Object::AviInfraSetting),
        ("v1", "Service") => from(value, Object::Service),
        ("v1", "Node") => from(value, Object::Node),
        ("v1", "Pod") => from(value, Object::Pod),
        ("v1", "Namespace") => from(value, Object::Namespace),
        ("v1", "Secret") => from(value, Object::Secret),
        ("networking.k8s.io/v1", "Ingress") => from(value, Object::Ingress),
        ("networking.k8s.io/v1", "IngressClass") => from(value, Object::IngressClass),
        ("discovery.k8s.io/v1", "EndpointSlice") => from(value, Object::EndpointSlice),
        _ => {
            out.ignored.push(format!(
                "document {doc}: {kind} {name} ({api_version}) ignored: not a kind avigw reads"
            ));
            return Ok(());
        }
    };
    let obj = obj.map_err(|e| format!("{kind} {name}: {e}"))?;
    if obj.metadata().name.as_deref().unwrap_or_default().is_empty() {
        return Err(format!("{kind} has no metadata.name"));
    }
    out.objects.push(obj);
    Ok(())
}

fn from<T: serde::de::DeserializeOwned>(v: Value, wrap: fn(T) -> Object) -> Result<Object, String> {
    serde_json::from_value::<T>(v)
        .map(wrap)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SVC: &str = r#"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}}"#;

    fn kinds(text: &str) -> (Vec<String>, Vec<String>) {
        let d = documents(text).unwrap();
        (d.documents.into_iter().map(|d| d.kind).collect(), d.notes)
    }

    #[test]
    fn a_list_kind_with_items_is_flattened() {
        let text = format!(r#"{{"apiVersion": "v1", "kind": "ServiceList", "items": [{SVC}, {SVC}]}}"#);
        assert_eq!(kinds(&text), (vec!["Service".into(), "Service".into()], vec![]));
        let text = format!(r#"{{"apiVersion": "v1", "kind": "List", "items": [{SVC}]}}"#);
        assert_eq!(kinds(&text), (vec!["Service".into()], vec![]));
    }

    #[test]
    fn a_list_kind_without_items_holds_nothing_and_says_so() {
        assert_eq!(
            kinds("apiVersion: v1\nkind: ServiceList\n"),
            (
                vec![],
                vec!["document 1: ServiceList with no items: nothing to read".into()]
            )
        );
        assert_eq!(
            kinds("apiVersion: v1\nkind: List\nitems: null\n"),
            (
                vec![],
                vec!["document 1: List with no items: nothing to read".into()]
            )
        );
        // An empty list holds nothing, without a note.
        assert_eq!(kinds("apiVersion: v1\nkind: List\nitems: []\n"), (vec![], vec![]));
    }

    #[test]
    fn items_that_are_not_a_list_are_an_error_in_a_list_kind_only() {
        assert_eq!(
            documents("apiVersion: v1\nkind: List\nitems: {a: b}\n")
                .unwrap_err()
                .to_string(),
            "document 1: List: items must be a list of objects"
        );
        let d = documents("apiVersion: example.io/v1\nkind: Basket\nmetadata: {name: b}\nitems: {a: b}\n")
            .unwrap();
        assert_eq!(d.documents[0].value["items"]["a"], "b");
    }

    #[test]
    fn documents_keep_their_number_and_need_kind_and_api_version() {
        let d = documents(&format!("---\n{SVC}\n---\n---\n{SVC}\n")).unwrap();
        assert_eq!(d.documents.iter().map(|d| d.doc).collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(d.documents[0].name(), Some("a"));
        assert_eq!(
            documents("- a\n").unwrap_err().to_string(),
            "document 1: not a Kubernetes object (expected a mapping with apiVersion and kind)"
        );
        assert_eq!(
            documents("metadata: {}\n").unwrap_err().to_string(),
            "document 1: no kind"
        );
        assert_eq!(
            documents("kind: Service\n").unwrap_err().to_string(),
            "document 1: Service has no apiVersion"
        );
        assert!(
            documents("kind: [unclosed\n")
                .unwrap_err()
                .to_string()
                .starts_with("document 1: not valid YAML: ")
        );
    }

    #[test]
    fn typed_objects_come_from_the_same_documents() {
        let text = format!(
            "apiVersion: v1\nkind: List\nitems:\n- {SVC}\n- {{apiVersion: apps/v1, kind: Deployment, metadata: {{name: d}}}}\n---\napiVersion: v1\nkind: PodList\n"
        );
        let m = parse_manifests(&text).unwrap();
        assert_eq!(m.objects.len(), 1);
        assert_eq!(
            m.ignored,
            vec![
                "document 2: PodList with no items: nothing to read".to_owned(),
                "document 1: Deployment d (apps/v1) ignored: not a kind avigw reads".to_owned(),
            ]
        );
    }
}
