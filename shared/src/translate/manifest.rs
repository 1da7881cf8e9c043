//! Reads Kubernetes manifests from text (multi-document YAML or JSON, `List` kinds) into the
//! objects translation uses. Pure: the caller reads the files.

use serde::Deserialize;
use serde_yaml::Value;

use super::object::Object;
use crate::api::{AKO_GROUP, GATEWAY_GROUP, GATEWAY_VERSION};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("not valid YAML: {0}")]
    Yaml(String),
    #[error("document {doc}: {msg}")]
    Document { doc: usize, msg: String },
}

/// What a text held: the objects translation reads, and a note per object it ignores.
#[derive(Debug, Default)]
pub struct Manifests {
    pub objects: Vec<Object>,
    pub ignored: Vec<String>,
}

/// Parses every document of `text`; kinds translation does not read are listed in `ignored`.
pub fn parse_manifests(text: &str) -> Result<Manifests, ManifestError> {
    let mut out = Manifests::default();
    for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let value = Value::deserialize(doc).map_err(|e| ManifestError::Yaml(e.to_string()))?;
        let doc = i + 1;
        add_value(value, doc, &mut out).map_err(|msg| ManifestError::Document { doc, msg })?;
    }
    Ok(out)
}

fn add_value(value: Value, doc: usize, out: &mut Manifests) -> Result<(), String> {
    if value.is_null() {
        return Ok(());
    }
    let Some(map) = value.as_mapping() else {
        return Err("not a Kubernetes object (expected a mapping with apiVersion and kind)".to_owned());
    };
    let get = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_owned);
    let kind = get("kind").ok_or("no kind")?;
    let api_version = get("apiVersion").ok_or_else(|| format!("{kind} has no apiVersion"))?;
    if kind == "List" || (kind.ends_with("List") && map.contains_key("items")) {
        let items = map
            .get("items")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        for item in items {
            add_value(item, doc, out)?;
        }
        return Ok(());
    }
    let name = value
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("(unnamed)")
        .to_owned();
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
    serde_yaml::from_value::<T>(v)
        .map(wrap)
        .map_err(|e| e.to_string())
}
