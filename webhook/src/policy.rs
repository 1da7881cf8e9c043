//! Judging one admission request with the shared rules: decode the object under review into
//! the type its kind needs, then [`judge`] it against a [`ClusterView`]. Pure over its inputs,
//! so the HTTPS server, the offline `check` command and tests share it.

use avigw_shared::api::{AviInfraSetting, Gateway, GatewayClass, GatewaySpec, GatewayStatus};
use avigw_shared::config::Scope;
use avigw_shared::rules::{Change, ClusterView, Review, RuleKind, Verdict, judge};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass, IngressSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

pub use crate::defaults::{MutateError, mutate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
    Connect,
}

/// One object under review: its kind, operation, where it lives, and its raw JSON (decoded
/// once, into the type its kind needs).
pub struct Subject<'a> {
    pub kind: RuleKind,
    pub operation: Operation,
    /// From the request: the object's own metadata may omit it.
    pub namespace: Option<&'a str>,
    pub object: Option<&'a RawValue>,
    pub old_object: Option<&'a RawValue>,
}

impl<'a> Subject<'a> {
    /// The stored object, on update only.
    fn old(&self) -> Option<&'a RawValue> {
        if self.operation == Operation::Update {
            self.old_object.filter(|v| v.get() != "null")
        } else {
            None
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot decode the {kind} in the request: {source}")]
pub struct DecodeError {
    kind: &'static str,
    #[source]
    source: serde_json::Error,
}

fn decode<T: DeserializeOwned>(kind: RuleKind, v: &RawValue) -> Result<T, DecodeError> {
    serde_json::from_str(v.get()).map_err(|source| DecodeError {
        kind: kind.as_str(),
        source,
    })
}

/// The part of a Gateway's or an Ingress's metadata the rules read. Decoding only this skips
/// managedFields and the last-applied annotation, which dominate the cost of a full ObjectMeta.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct LeanMeta {
    name: Option<String>,
    namespace: Option<String>,
    generate_name: Option<String>,
    creation_timestamp: Option<Time>,
    deletion_timestamp: Option<Time>,
    generation: Option<i64>,
}

impl LeanMeta {
    fn into_meta(self) -> ObjectMeta {
        ObjectMeta {
            name: self.name,
            namespace: self.namespace,
            generate_name: self.generate_name,
            creation_timestamp: self.creation_timestamp,
            deletion_timestamp: self.deletion_timestamp,
            generation: self.generation,
            ..ObjectMeta::default()
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct LeanGateway {
    #[serde(default)]
    metadata: LeanMeta,
    pub(crate) spec: GatewaySpec,
    #[serde(default)]
    status: Option<GatewayStatus>,
}

impl LeanGateway {
    fn into_gateway(self) -> Gateway {
        let mut gw = Gateway::new("", self.spec);
        gw.metadata = self.metadata.into_meta();
        gw.status = self.status;
        gw
    }
}

pub(crate) fn decode_gateway(v: &RawValue) -> Result<Gateway, DecodeError> {
    decode::<LeanGateway>(RuleKind::Gateway, v).map(LeanGateway::into_gateway)
}

#[derive(Deserialize)]
struct LeanIngress {
    #[serde(default)]
    metadata: LeanMeta,
    #[serde(default)]
    spec: Option<IngressSpec>,
}

fn decode_ingress(v: &RawValue) -> Result<Ingress, DecodeError> {
    decode::<LeanIngress>(RuleKind::Ingress, v).map(|i| Ingress {
        metadata: i.metadata.into_meta(),
        spec: i.spec,
        status: None,
    })
}

/// An object and, on update, the stored one, decoded.
struct Owned<T> {
    old: Option<T>,
    new: T,
}

impl<T> Owned<T> {
    fn change(&self) -> Change<'_, T> {
        Change {
            old: self.old.as_ref(),
            new: &self.new,
        }
    }
}

/// The request's objects decoded into the types the rules take.
// One per request, on the stack: boxing would only add an allocation on the hot path.
#[allow(clippy::large_enum_variant)]
enum Decoded {
    GatewayClass(Owned<GatewayClass>),
    Gateway(Owned<Gateway>),
    Service(Owned<Service>),
    AviInfraSetting(Owned<AviInfraSetting>),
    Ingress(Owned<Ingress>),
    IngressClass(Owned<IngressClass>),
}

impl Decoded {
    fn review(&self) -> Review<'_> {
        match self {
            Decoded::GatewayClass(o) => Review::GatewayClass(o.change()),
            Decoded::Gateway(o) => Review::Gateway(o.change()),
            Decoded::Service(o) => Review::Service(o.change()),
            Decoded::AviInfraSetting(o) => Review::AviInfraSetting(o.change()),
            Decoded::Ingress(o) => Review::Ingress(o.change()),
            Decoded::IngressClass(o) => Review::IngressClass(o.change()),
        }
    }

    fn metadata(&self) -> &ObjectMeta {
        match self {
            Decoded::GatewayClass(o) => &o.new.metadata,
            Decoded::Gateway(o) => &o.new.metadata,
            Decoded::Service(o) => &o.new.metadata,
            Decoded::AviInfraSetting(o) => &o.new.metadata,
            Decoded::Ingress(o) => &o.new.metadata,
            Decoded::IngressClass(o) => &o.new.metadata,
        }
    }
}

/// Decodes what the rules of `s.kind` read; `None` for kinds without rules.
fn decode_subject(s: &Subject, obj: &RawValue) -> Result<Option<Decoded>, DecodeError> {
    let kind = s.kind;
    Ok(Some(match kind {
        RuleKind::Gateway => {
            let mut new = decode_gateway(obj)?;
            fill_namespace(&mut new.metadata, s.namespace);
            let old = s.old().map(decode_gateway).transpose()?;
            Decoded::Gateway(Owned { old, new })
        }
        RuleKind::GatewayClass => Decoded::GatewayClass(Owned {
            old: s.old().map(|v| decode(kind, v)).transpose()?,
            new: decode(kind, obj)?,
        }),
        RuleKind::Service => {
            let mut new: Service = decode(kind, obj)?;
            fill_namespace(&mut new.metadata, s.namespace);
            let old = s.old().map(|v| decode(kind, v)).transpose()?;
            Decoded::Service(Owned { old, new })
        }
        // Its rules read the new object only.
        RuleKind::AviInfraSetting => Decoded::AviInfraSetting(Owned {
            old: None,
            new: decode(kind, obj)?,
        }),
        RuleKind::Ingress => {
            let mut new = decode_ingress(obj)?;
            fill_namespace(&mut new.metadata, s.namespace);
            let mut old = s.old().map(decode_ingress).transpose()?;
            if let Some(old) = old.as_mut() {
                fill_namespace(&mut old.metadata, s.namespace);
            }
            Decoded::Ingress(Owned { old, new })
        }
        RuleKind::IngressClass => Decoded::IngressClass(Owned {
            old: s.old().map(|v| decode(kind, v)).transpose()?,
            new: decode(kind, obj)?,
        }),
        RuleKind::Other => return Ok(None),
    }))
}

/// The verdict of the validating webhook, and the `<ns>/<name>` it names the object by.
#[derive(Debug, Default)]
pub struct Validation {
    pub verdict: Verdict,
    pub object_name: String,
}

/// `<ns>/<name>` (or `<name>` for cluster-scoped objects); `generateName` when there is no name.
pub(crate) fn object_name(namespace: Option<&str>, meta: &ObjectMeta) -> String {
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
pub fn validate(s: &Subject, view: &dyn ClusterView, scope: &Scope) -> Result<Validation, DecodeError> {
    let (Some(obj), false) = (
        s.object,
        matches!(s.operation, Operation::Delete | Operation::Connect),
    ) else {
        return Ok(Validation::default());
    };
    let Some(decoded) = decode_subject(s, obj)? else {
        return Ok(Validation::default());
    };
    let namespace = s.namespace.filter(|_| s.kind.namespaced());
    Ok(Validation {
        verdict: judge(&decoded.review(), view, scope),
        object_name: object_name(namespace, decoded.metadata()),
    })
}

pub(crate) fn fill_namespace(meta: &mut ObjectMeta, ns: Option<&str>) {
    if meta.namespace.as_deref().unwrap_or("").is_empty() {
        meta.namespace = ns.map(str::to_owned);
    }
}
