//! Identities: a namespaced object's `ns/name`, and the work-queue key a translation is for.

use std::fmt;

use serde::{Serialize, Serializer};

/// `namespace/name` of a namespaced object. Orders by namespace first, so one namespace's
/// objects are a contiguous range of a `BTreeMap`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ObjKey {
    pub namespace: String,
    pub name: String,
}

impl ObjKey {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        ObjKey {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// The key of a namespaced object's metadata; `None` without a name.
    pub fn of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> Option<Self> {
        let name = meta.name.as_deref().filter(|n| !n.is_empty())?;
        Some(ObjKey::new(meta.namespace.as_deref().unwrap_or("default"), name))
    }

    /// The first key of `namespace` in `ObjKey` order, to start a range scan.
    pub(crate) fn namespace_start(namespace: &str) -> Self {
        ObjKey {
            namespace: namespace.to_owned(),
            name: String::new(),
        }
    }
}

impl fmt::Display for ObjKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

impl Serialize for ObjKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A unit of translation and of the reconciler's work queue: one Gateway, or one Service (which
/// yields objects only when it is one of our LoadBalancer Services).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    Gateway(ObjKey),
    Service(ObjKey),
}

impl Key {
    pub fn obj(&self) -> &ObjKey {
        match self {
            Key::Gateway(k) | Key::Service(k) => k,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Key::Gateway(_) => "Gateway",
            Key::Service(_) => "Service",
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind(), self.obj())
    }
}

impl Serialize for Key {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
