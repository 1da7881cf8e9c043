//! Judging one admission request with the shared rules. Pure over its inputs and a
//! [`ClusterView`], so the HTTPS server, the offline `check` command and tests share it.

use avigw_shared::api::{AKO_GROUP, AviInfraSetting, GATEWAY_GROUP, Gateway, GatewayClass};
use avigw_shared::rules::{
    self, ClassState, GatewayContext, ServiceContext, Verdict, default_gateway, gateway_ref_of,
};
use k8s_openapi::api::core::v1::Service;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::view::ClusterView;

/// The kinds avigw has rules for; everything else is allowed untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gateway,
    GatewayClass,
    Service,
    AviInfraSetting,
    Other,
}

impl Kind {
    pub fn from_group_kind(group: &str, kind: &str) -> Kind {
        match (group, kind) {
            (GATEWAY_GROUP, "Gateway") => Kind::Gateway,
            (GATEWAY_GROUP, "GatewayClass") => Kind::GatewayClass,
            ("", "Service") => Kind::Service,
            (AKO_GROUP, "AviInfraSetting") => Kind::AviInfraSetting,
            _ => Kind::Other,
        }
    }

    /// Metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Gateway => "Gateway",
            Kind::GatewayClass => "GatewayClass",
            Kind::Service => "Service",
            Kind::AviInfraSetting => "AviInfraSetting",
            Kind::Other => "Other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
    Connect,
}

/// Settings that change which objects are ours.
#[derive(Debug, Clone, Copy)]
pub struct PolicyConfig {
    pub default_lb_controller: bool,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            default_lb_controller: true,
        }
    }
}

/// One object under review: its kind, operation, where it lives, and its raw JSON (decoded
/// once, into the type its kind needs).
pub struct Subject<'a> {
    pub kind: Kind,
    pub operation: Operation,
    /// From the request: the object's own metadata may omit it.
    pub namespace: Option<&'a str>,
    pub object: Option<&'a RawValue>,
    pub old_object: Option<&'a RawValue>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot decode the {kind} in the request: {source}")]
pub struct DecodeError {
    kind: &'static str,
    #[source]
    source: serde_json::Error,
}

fn decode<T: DeserializeOwned>(kind: Kind, v: &RawValue) -> Result<T, DecodeError> {
    serde_json::from_str(v.get()).map_err(|source| DecodeError {
        kind: kind.as_str(),
        source,
    })
}

fn decode_opt<T: DeserializeOwned>(kind: Kind, v: Option<&RawValue>) -> Result<Option<T>, DecodeError> {
    v.filter(|v| v.get() != "null")
        .map(|v| decode(kind, v))
        .transpose()
}

/// The part of a Gateway's metadata the rules read. Decoding only this skips managedFields and
/// the last-applied annotation, which dominate the cost of a full ObjectMeta.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct GatewayMeta {
    name: Option<String>,
    namespace: Option<String>,
    generate_name: Option<String>,
}

#[derive(Deserialize)]
struct LeanGateway {
    #[serde(default)]
    metadata: GatewayMeta,
    spec: avigw_shared::api::GatewaySpec,
    #[serde(default)]
    status: Option<avigw_shared::api::GatewayStatus>,
}

fn decode_gateway(v: &RawValue) -> Result<Gateway, DecodeError> {
    let lean: LeanGateway = decode(Kind::Gateway, v)?;
    let mut gw = Gateway::new("", lean.spec);
    gw.metadata.name = lean.metadata.name;
    gw.metadata.namespace = lean.metadata.namespace;
    gw.metadata.generate_name = lean.metadata.generate_name;
    gw.status = lean.status;
    Ok(gw)
}

fn decode_gateway_opt(v: Option<&RawValue>) -> Result<Option<Gateway>, DecodeError> {
    v.filter(|v| v.get() != "null").map(decode_gateway).transpose()
}

/// The verdict of the validating webhook, and the `<ns>/<name>` it names the object by.
#[derive(Debug, Default)]
pub struct Validation {
    pub verdict: Verdict,
    pub object_name: String,
}

fn object_name(
    namespace: Option<&str>,
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> String {
    let name = meta
        .name
        .as_deref()
        .or(meta.generate_name.as_deref())
        .unwrap_or("");
    match meta.namespace.as_deref().or(namespace) {
        Some(ns) if !ns.is_empty() => format!("{ns}/{name}"),
        _ => name.to_owned(),
    }
}

/// Runs the rules of SPEC §2 on one request. Deletes and kinds without rules pass untouched.
pub fn validate(s: &Subject, view: &dyn ClusterView, cfg: PolicyConfig) -> Result<Validation, DecodeError> {
    let (Some(obj), false) = (
        s.object,
        matches!(s.operation, Operation::Delete | Operation::Connect),
    ) else {
        return Ok(Validation::default());
    };
    let old_of = |v| if s.operation == Operation::Update { v } else { None };
    Ok(match s.kind {
        Kind::Gateway => {
            let mut gw = decode_gateway(obj)?;
            fill_namespace(&mut gw.metadata, s.namespace);
            let old = decode_gateway_opt(old_of(s.old_object))?;
            let class = view.class_state(&gw.spec.gateway_class_name);
            // The apiserver runs the mutating webhook first; judge what it would store.
            let gw = default_gateway(&gw);
            Validation {
                verdict: rules::validate_gateway(old.as_ref(), &gw, &GatewayContext { class }),
                object_name: object_name(s.namespace, &gw.metadata),
            }
        }
        Kind::GatewayClass => {
            let new: GatewayClass = decode(s.kind, obj)?;
            let old: Option<GatewayClass> = decode_opt(s.kind, old_of(s.old_object))?;
            Validation {
                verdict: rules::validate_gateway_class(old.as_ref(), &new),
                object_name: object_name(None, &new.metadata),
            }
        }
        Kind::Service => {
            let mut svc: Service = decode(s.kind, obj)?;
            fill_namespace(&mut svc.metadata, s.namespace);
            let old: Option<Service> = decode_opt(s.kind, old_of(s.old_object))?;
            let gateway = gateway_ref_of(&svc).and_then(|(ns, name)| view.gateway(ns, name));
            let ctx = ServiceContext {
                default_lb_controller: cfg.default_lb_controller,
                gateway: gateway.as_deref(),
            };
            Validation {
                verdict: rules::validate_service(old.as_ref(), &svc, &ctx),
                object_name: object_name(s.namespace, &svc.metadata),
            }
        }
        Kind::AviInfraSetting => {
            let ais: AviInfraSetting = decode(s.kind, obj)?;
            Validation {
                verdict: rules::validate_infra_setting(&ais),
                object_name: object_name(None, &ais.metadata),
            }
        }
        Kind::Other => Validation::default(),
    })
}

fn fill_namespace(meta: &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta, ns: Option<&str>) {
    if meta.namespace.as_deref().unwrap_or("").is_empty() {
        meta.namespace = ns.map(str::to_owned);
    }
}

/// The admission defaults of SPEC §2 as a JSON patch against the request's own JSON, or `None`
/// when nothing changes or the object is not ours. An object that does not decode is left to
/// the apiserver's schema validation, which runs after mutation and explains it better.
pub fn mutate(s: &Subject, view: &dyn ClusterView) -> Option<json_patch::Patch> {
    if s.kind != Kind::Gateway || !matches!(s.operation, Operation::Create | Operation::Update) {
        return None;
    }
    let raw_json = s.object?;
    let mut gw = decode_gateway(raw_json).ok()?;
    if view.class_state(&gw.spec.gateway_class_name) != ClassState::Ours {
        return None;
    }
    fill_namespace(&mut gw.metadata, s.namespace);
    let defaulted = default_gateway(&gw);
    if defaulted == gw {
        return None;
    }
    // Only now, with something to patch, is the object parsed as a tree to find its paths.
    let raw: Value = serde_json::from_str(raw_json.get()).ok()?;
    let ops = defaults_patch(&raw, &gw, &defaulted);
    if ops.is_empty() {
        return None;
    }
    serde_json::from_value(Value::Array(ops)).ok()
}

/// Patch operations that take the raw object to the defaulted one, touching only the fields
/// the defaults set: a round trip through the typed object would drop fields avigw does not
/// know, so the raw JSON is the base and the typed objects only say what changed.
fn defaults_patch(raw: &Value, before: &Gateway, after: &Gateway) -> Vec<Value> {
    let mut ops = Vec::new();
    for (i, (b, a)) in before
        .spec
        .listeners
        .iter()
        .zip(&after.spec.listeners)
        .enumerate()
    {
        if b.protocol != a.protocol {
            set(
                raw,
                &mut ops,
                &["spec", "listeners", &i.to_string(), "protocol"],
                json!(a.protocol),
            );
        }
        if b.routes.selector != a.routes.selector
            && let Some(sel) = &a.routes.selector
        {
            set(
                raw,
                &mut ops,
                &[
                    "spec",
                    "listeners",
                    &i.to_string(),
                    "routes",
                    "selector",
                    "matchLabels",
                ],
                json!(sel.match_labels),
            );
        }
    }
    for (i, (b, a)) in before
        .spec
        .addresses
        .iter()
        .zip(&after.spec.addresses)
        .enumerate()
    {
        if b.type_ != a.type_
            && let Some(t) = &a.type_
        {
            set(
                raw,
                &mut ops,
                &["spec", "addresses", &i.to_string(), "type"],
                json!(t),
            );
        }
    }
    ops
}

/// Emits one op that sets `path` to `value` in `raw`: `replace` when the field exists, else
/// `add` at the first missing (or null) level with the rest of the path built as objects.
fn set(raw: &Value, ops: &mut Vec<Value>, path: &[&str], value: Value) {
    let mut cur = raw;
    for (depth, seg) in path.iter().enumerate() {
        let next = match cur {
            Value::Object(m) => m.get(*seg),
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        match next {
            Some(v) if !v.is_null() => cur = v,
            exists => {
                let nested = path[depth + 1..]
                    .iter()
                    .rev()
                    .fold(value, |acc, k| json!({ *k: acc }));
                let op = if exists.is_some() { "replace" } else { "add" };
                ops.push(json!({"op": op, "path": pointer(&path[..=depth]), "value": nested}));
                return;
            }
        }
    }
    ops.push(json!({"op": "replace", "path": pointer(path), "value": value}));
}

fn pointer(path: &[&str]) -> String {
    path.iter()
        .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
        .collect()
}
