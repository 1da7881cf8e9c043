//! One Avi object as the cache keeps it: the `shared::avi` type of its kind, decoded from the
//! controller's answer. Decoding keeps only the fields avigw sets (server defaults are dropped
//! by the types themselves), plus what the reconciler reads back: `uuid`, `created_by`, the
//! markers and a VsVip's allocated address. Bookkeeping the diff ignores (`url`,
//! `_last_modified`) is dropped, refs lose the controller's origin (`https://host`), and an
//! SSLKeyAndCertificate never keeps a `key` (Avi answers a placeholder). An answer that does
//! not read as its kind (made by hand in a way avigw never writes) is kept as [`Unreadable`]:
//! it never compares in sync, so the next sync overwrites or deletes it by its uuid.

use avigw_shared::avi::VS_TYPE_VH_CHILD;
use avigw_shared::avi::{
    AviObjectRef, HttpPolicySet, L4PolicySet, Pool, PoolGroup, SslKeyAndCertificate, VirtualService,
    VsDataScriptSet, VsVip, kind,
};
use avigw_shared::naming::{Marker, MarkerKey};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The eight kinds the cache holds, in the order they are loaded.
pub const KINDS: [&str; 8] = [
    kind::SSLKEYANDCERTIFICATE,
    kind::VSVIP,
    kind::POOL,
    kind::POOLGROUP,
    kind::VSDATASCRIPTSET,
    kind::HTTPPOLICYSET,
    kind::L4POLICYSET,
    kind::VIRTUALSERVICE,
];

/// The `&'static` spelling of a kind the cache holds.
pub fn cached_kind(k: &str) -> Option<&'static str> {
    KINDS.iter().copied().find(|x| *x == k)
}

/// A cached Avi object. Boxed: the kinds differ a lot in size.
#[derive(Debug, Clone, PartialEq)]
pub enum Actual {
    SslKeyAndCertificate(Box<SslKeyAndCertificate>),
    VsVip(Box<VsVip>),
    Pool(Box<Pool>),
    PoolGroup(Box<PoolGroup>),
    VsDataScriptSet(Box<VsDataScriptSet>),
    HttpPolicySet(Box<HttpPolicySet>),
    L4PolicySet(Box<L4PolicySet>),
    VirtualService(Box<VirtualService>),
    Unreadable(Box<Unreadable>),
}

/// What is kept of an object whose fields do not read as its kind: enough to own, update and
/// delete it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unreadable {
    #[serde(skip)]
    pub kind: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub markers: Vec<Marker>,
    #[serde(skip)]
    pub error: String,
}

/// An answer of the controller that does not read as its kind.
#[derive(Debug, thiserror::Error)]
#[error("{kind} {name}: {message}")]
pub struct DecodeError {
    pub kind: String,
    pub name: String,
    pub message: String,
}

/// Runs `$e` with `$o` bound to the object inside any variant.
macro_rules! each {
    ($self:expr, $o:ident => $e:expr) => {
        match $self {
            Actual::SslKeyAndCertificate($o) => $e,
            Actual::VsVip($o) => $e,
            Actual::Pool($o) => $e,
            Actual::PoolGroup($o) => $e,
            Actual::VsDataScriptSet($o) => $e,
            Actual::HttpPolicySet($o) => $e,
            Actual::L4PolicySet($o) => $e,
            Actual::VirtualService($o) => $e,
            Actual::Unreadable($o) => $e,
        }
    };
}

impl Actual {
    /// Reads an object of `kind` as the controller answered it (create, update, get, list).
    /// Fails only for a kind the cache does not hold or an answer without a name.
    pub fn from_answer(kind: &str, mut v: Value) -> Result<Actual, DecodeError> {
        let name = v
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let fail = |message: String| DecodeError {
            kind: kind.to_owned(),
            name: name.clone(),
            message,
        };
        let Some(kind) = cached_kind(kind) else {
            return Err(fail(format!("the cache does not hold {kind} objects")));
        };
        if name.is_empty() {
            return Err(fail("no name".into()));
        }
        lean(&mut v);
        let typed = match kind {
            kind::SSLKEYANDCERTIFICATE => typed(&v).map(Actual::SslKeyAndCertificate),
            kind::VSVIP => typed(&v).map(Actual::VsVip),
            kind::POOL => typed(&v).map(Actual::Pool),
            kind::POOLGROUP => typed(&v).map(Actual::PoolGroup),
            kind::VSDATASCRIPTSET => typed(&v).map(Actual::VsDataScriptSet),
            kind::HTTPPOLICYSET => typed(&v).map(Actual::HttpPolicySet),
            kind::L4POLICYSET => typed(&v).map(Actual::L4PolicySet),
            _ => typed(&v).map(Actual::VirtualService),
        };
        Ok(typed.unwrap_or_else(|error| {
            tracing::warn!(kind, name, %error, "an Avi object does not read as its kind");
            let meta: Meta = serde_json::from_value(v).unwrap_or_default();
            Actual::Unreadable(Box::new(Unreadable {
                kind,
                name,
                uuid: meta.uuid,
                created_by: meta.created_by,
                markers: meta.markers,
                error: error.to_string(),
            }))
        }))
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Actual::Unreadable(u) => u.kind,
            _ => self.as_ref().map_or("", |o| o.kind()),
        }
    }

    pub fn name(&self) -> &str {
        each!(self, o => &o.name)
    }

    pub fn uuid(&self) -> Option<&str> {
        each!(self, o => o.uuid.as_deref())
    }

    /// Who created it (VsVips have no `created_by`: ownership is their name and markers).
    pub fn created_by(&self) -> Option<&str> {
        match self {
            Actual::VsVip(_) => None,
            Actual::Unreadable(o) => o.created_by.as_deref(),
            Actual::SslKeyAndCertificate(o) => o.created_by.as_deref(),
            Actual::Pool(o) => o.created_by.as_deref(),
            Actual::PoolGroup(o) => o.created_by.as_deref(),
            Actual::VsDataScriptSet(o) => o.created_by.as_deref(),
            Actual::HttpPolicySet(o) => o.created_by.as_deref(),
            Actual::L4PolicySet(o) => o.created_by.as_deref(),
            Actual::VirtualService(o) => o.created_by.as_deref(),
        }
    }

    pub fn markers(&self) -> &[Marker] {
        each!(self, o => &o.markers)
    }

    /// The address Avi placed (or was asked for) on a VsVip's first VIP.
    pub fn address(&self) -> Option<&str> {
        match self {
            Actual::VsVip(v) => v.address(),
            _ => None,
        }
    }

    /// The first value of a marker.
    pub fn marker(&self, key: MarkerKey) -> Option<&str> {
        self.markers()
            .iter()
            .find(|m| m.key == key.as_str())
            .and_then(|m| m.values.first())
            .map(String::as_str)
    }

    /// Whether this is an SNI child virtual service (deleted before its parent).
    pub fn is_child_vs(&self) -> bool {
        matches!(self, Actual::VirtualService(v) if v.type_.as_deref() == Some(VS_TYPE_VH_CHILD))
    }

    /// Borrowed as the desired objects are, for the diff and for display; `None` for an
    /// unreadable one.
    pub fn as_ref(&self) -> Option<AviObjectRef<'_>> {
        Some(match self {
            Actual::SslKeyAndCertificate(o) => AviObjectRef::SslKeyAndCertificate(o),
            Actual::VsVip(o) => AviObjectRef::VsVip(o),
            Actual::Pool(o) => AviObjectRef::Pool(o),
            Actual::PoolGroup(o) => AviObjectRef::PoolGroup(o),
            Actual::VsDataScriptSet(o) => AviObjectRef::VsDataScriptSet(o),
            Actual::HttpPolicySet(o) => AviObjectRef::HttpPolicySet(o),
            Actual::L4PolicySet(o) => AviObjectRef::L4PolicySet(o),
            Actual::VirtualService(o) => AviObjectRef::VirtualService(o),
            Actual::Unreadable(_) => return None,
        })
    }
}

impl Serialize for Actual {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Actual::Unreadable(u) => u.serialize(s),
            _ => each!(self, o => o.serialize(s)),
        }
    }
}

/// An Avi type the cache holds, by its kind.
pub trait CachedKind {
    const KIND: &'static str;
}

macro_rules! cached_kinds {
    ($($t:ty => $k:expr),* $(,)?) => { $(impl CachedKind for $t { const KIND: &'static str = $k; })* };
}

cached_kinds!(
    SslKeyAndCertificate => kind::SSLKEYANDCERTIFICATE,
    VsVip => kind::VSVIP,
    Pool => kind::POOL,
    PoolGroup => kind::POOLGROUP,
    VsDataScriptSet => kind::VSDATASCRIPTSET,
    HttpPolicySet => kind::HTTPPOLICYSET,
    L4PolicySet => kind::L4POLICYSET,
    VirtualService => kind::VIRTUALSERVICE,
);

/// One object of a list answer of kind `T`, decoded as the page is read: a listing holds one
/// page as JSON at most, never the whole collection.
pub struct Listed<T>(pub Actual, std::marker::PhantomData<T>);

impl<'de, T: CachedKind> Deserialize<'de> for Listed<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Actual::from_answer(T::KIND, v)
            .map(|a| Listed(a, std::marker::PhantomData))
            .map_err(serde::de::Error::custom)
    }
}

#[derive(Default, Deserialize)]
struct Meta {
    #[serde(default)]
    uuid: Option<String>,
    #[serde(default)]
    created_by: Option<String>,
    #[serde(default)]
    markers: Vec<Marker>,
}

fn typed<T: DeserializeOwned>(v: &Value) -> Result<Box<T>, serde_json::Error> {
    T::deserialize(v).map(Box::new)
}

/// Drops what is never kept (bookkeeping the diff ignores, the key placeholder) and shortens
/// refs, before decoding, so that nothing is allocated for them.
fn lean(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        for f in ["url", "_last_modified", "key"] {
            o.remove(f);
        }
    }
    shorten_refs(v);
}

/// `https://host/api/<kind>/<uuid>#<name>` → `/api/<kind>/<uuid>#<name>`: the origin is the
/// same on every ref and says nothing the diff reads.
fn shorten_refs(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k.ends_with("_ref") || k.ends_with("_refs") {
                    shorten_ref_values(x);
                } else {
                    shorten_refs(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(shorten_refs),
        _ => {}
    }
}

fn shorten_ref_values(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Some(at) = s.find("/api/").filter(|at| *at > 0) {
                s.drain(..at);
                s.shrink_to_fit();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(shorten_ref_values),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_answer_keeps_what_avigw_sets_and_reads_back() {
        let a = Actual::from_answer(
            kind::VSVIP,
            json!({"name": "c--ns-gw", "uuid": "vsvip-1", "url": "https://h/api/vsvip/vsvip-1",
                "_last_modified": "123", "east_west_placement": false,
                "tenant_ref": "https://10.0.0.1:9443/api/tenant/admin#admin",
                "vip": [{"vip_id": "0", "auto_allocate_ip": true, "enabled": true,
                         "ip_address": {"addr": "10.50.0.7", "type": "V4"}}],
                "markers": [{"key": "clustername", "values": ["c"]}]}),
        )
        .unwrap();
        assert_eq!(
            (a.kind(), a.name(), a.uuid()),
            ("vsvip", "c--ns-gw", Some("vsvip-1"))
        );
        assert_eq!(a.address(), Some("10.50.0.7"), "the allocated address is kept");
        assert_eq!(a.markers()[0].values, ["c"]);
        let Actual::VsVip(v) = &a else { panic!() };
        assert_eq!(v.tenant_ref.as_deref(), Some("/api/tenant/admin#admin"));
        assert_eq!((v.url.as_deref(), v.last_modified.as_deref()), (None, None));
        let text = serde_json::to_string(&a).unwrap();
        assert!(
            !text.contains("east_west_placement"),
            "server defaults dropped: {text}"
        );
    }

    #[test]
    fn a_certificate_never_keeps_a_key() {
        let a = Actual::from_answer(
            kind::SSLKEYANDCERTIFICATE,
            json!({"name": "c--noo.com", "uuid": "sslkeyandcertificate-1", "key": "<sensitive>",
                "created_by": "avigw-c",
                "certificate": {"certificate": "PEM", "subject": {"common_name": "noo.com"}}}),
        )
        .unwrap();
        let Actual::SslKeyAndCertificate(c) = &a else {
            panic!()
        };
        assert!(c.key.is_none());
        assert_eq!(c.certificate.certificate, "PEM");
        assert_eq!(a.created_by(), Some("avigw-c"));
    }

    #[test]
    fn answers_that_do_not_read_as_their_kind_are_kept_unreadable() {
        let a = Actual::from_answer(
            kind::POOL,
            json!({"name": "p", "uuid": "pool-1", "servers": "none", "created_by": "avigw-c"}),
        )
        .unwrap();
        let Actual::Unreadable(u) = &a else {
            panic!("{a:?}")
        };
        assert!(u.error.contains("invalid type"), "{}", u.error);
        assert_eq!(
            (a.kind(), a.name(), a.uuid(), a.created_by()),
            ("pool", "p", Some("pool-1"), Some("avigw-c"))
        );
        assert!(a.as_ref().is_none());
        let e = Actual::from_answer(kind::POOL, json!({"servers": []})).unwrap_err();
        assert_eq!(e.to_string(), "pool : no name");
        let e = Actual::from_answer("tenant", json!({"name": "admin"})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "tenant admin: the cache does not hold tenant objects"
        );
        for k in KINDS {
            let a = Actual::from_answer(k, json!({"name": "x", "uuid": "u"})).unwrap();
            assert_eq!((a.kind(), cached_kind(k)), (k, Some(k)));
            assert!(a.as_ref().is_some(), "{k} reads with only a name");
        }
    }

    #[test]
    fn a_list_decodes_each_object_as_its_kind() {
        let page = json!([
            {"name": "c--a", "uuid": "vs-1", "type": "VS_TYPE_VH_CHILD", "url": "https://h/api/virtualservice/vs-1",
             "vh_parent_vs_ref": "https://h/api/virtualservice/vs-0#c--Shared-L7-0"},
            {"name": "c--b", "uuid": "vs-2", "services": [{"port": 80}]}
        ]);
        let got: Vec<Listed<VirtualService>> = serde_json::from_value(page).unwrap();
        assert!(got[0].0.is_child_vs() && !got[1].0.is_child_vs());
        let Actual::VirtualService(v) = &got[0].0 else {
            panic!()
        };
        assert_eq!(
            v.vh_parent_vs_ref.as_deref(),
            Some("/api/virtualservice/vs-0#c--Shared-L7-0")
        );
        assert!(serde_json::from_value::<Vec<Listed<Pool>>>(json!([{"uuid": "nameless"}])).is_err());
    }
}
