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

/// A unit of translation and of the reconciler's work queue: one Gateway, one Service (which
/// yields objects only when it is one of our LoadBalancer Services), or the Ingress hosts of one
/// top virtual service.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    Gateway(ObjKey),
    Service(ObjKey),
    L7(L7Key),
}

impl Key {
    /// The Gateway or Service of an L4 key.
    pub fn obj(&self) -> Option<&ObjKey> {
        match self {
            Key::Gateway(k) | Key::Service(k) => Some(k),
            Key::L7(_) => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Key::Gateway(_) => "Gateway",
            Key::Service(_) => "Service",
            Key::L7(_) => "Ingress",
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Gateway(k) | Key::Service(k) => write!(f, "{} {k}", self.kind()),
            Key::L7(k) => write!(f, "{} {}", self.kind(), k.vs),
        }
    }
}

/// The Ingress hosts of one top virtual service (SPEC-ingress §6): a shared parent
/// `<cluster>--Shared-L7-[<infra>-]<n>` with its SNI children, or the DEDICATED virtual service
/// `<cluster>--[<infra>-]<host>-L7-dedicated`. Named, and ordered, by that virtual service.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct L7Key {
    /// The top virtual service's name.
    pub vs: String,
    /// The AviInfraSetting of the hosts' class (`I` in names).
    pub infra: Option<String>,
    pub unit: L7Unit,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum L7Unit {
    /// Shard number `n` of the shared parents.
    Shard(u32),
    /// One host on its own virtual service.
    Dedicated(String),
}

impl L7Key {
    pub fn shard(cluster: &crate::naming::ClusterName, infra: Option<&str>, shard: u32) -> Self {
        L7Key {
            vs: cluster.l7_shared(infra, shard),
            infra: infra.map(str::to_owned),
            unit: L7Unit::Shard(shard),
        }
    }

    pub fn dedicated(cluster: &crate::naming::ClusterName, infra: Option<&str>, host: &str) -> Self {
        L7Key {
            vs: cluster.l7_dedicated(infra, host),
            infra: infra.map(str::to_owned),
            unit: L7Unit::Dedicated(host.to_owned()),
        }
    }
}

impl Serialize for Key {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
