//! The Kubernetes objects translation reads, as one type the snapshot takes.

use std::fmt;

use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::api::{AviInfraSetting, Gateway, GatewayClass};

/// A Kubernetes object translation reads.
// Each object is moved once, into the snapshot; boxing would only add an allocation per object.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum Object {
    GatewayClass(GatewayClass),
    Gateway(Gateway),
    Service(Service),
    EndpointSlice(EndpointSlice),
    Node(Node),
    Pod(Pod),
    Namespace(Namespace),
    AviInfraSetting(AviInfraSetting),
    Ingress(Ingress),
    IngressClass(IngressClass),
    /// Kept by the snapshot only while a TLS entry of our Ingresses names it, and only its
    /// `tls.crt` and `tls.key`.
    Secret(Secret),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    GatewayClass,
    Gateway,
    Service,
    EndpointSlice,
    Node,
    Pod,
    Namespace,
    AviInfraSetting,
    Ingress,
    IngressClass,
    Secret,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::GatewayClass => "GatewayClass",
            ObjectKind::Gateway => "Gateway",
            ObjectKind::Service => "Service",
            ObjectKind::EndpointSlice => "EndpointSlice",
            ObjectKind::Node => "Node",
            ObjectKind::Pod => "Pod",
            ObjectKind::Namespace => "Namespace",
            ObjectKind::AviInfraSetting => "AviInfraSetting",
            ObjectKind::Ingress => "Ingress",
            ObjectKind::IngressClass => "IngressClass",
            ObjectKind::Secret => "Secret",
        }
    }

    pub fn namespaced(self) -> bool {
        matches!(
            self,
            ObjectKind::Gateway
                | ObjectKind::Service
                | ObjectKind::EndpointSlice
                | ObjectKind::Pod
                | ObjectKind::Ingress
                | ObjectKind::Secret
        )
    }
}

impl Object {
    pub fn kind(&self) -> ObjectKind {
        match self {
            Object::GatewayClass(_) => ObjectKind::GatewayClass,
            Object::Gateway(_) => ObjectKind::Gateway,
            Object::Service(_) => ObjectKind::Service,
            Object::EndpointSlice(_) => ObjectKind::EndpointSlice,
            Object::Node(_) => ObjectKind::Node,
            Object::Pod(_) => ObjectKind::Pod,
            Object::Namespace(_) => ObjectKind::Namespace,
            Object::AviInfraSetting(_) => ObjectKind::AviInfraSetting,
            Object::Ingress(_) => ObjectKind::Ingress,
            Object::IngressClass(_) => ObjectKind::IngressClass,
            Object::Secret(_) => ObjectKind::Secret,
        }
    }

    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Object::GatewayClass(o) => &o.metadata,
            Object::Gateway(o) => &o.metadata,
            Object::Service(o) => &o.metadata,
            Object::EndpointSlice(o) => &o.metadata,
            Object::Node(o) => &o.metadata,
            Object::Pod(o) => &o.metadata,
            Object::Namespace(o) => &o.metadata,
            Object::AviInfraSetting(o) => &o.metadata,
            Object::Ingress(o) => &o.metadata,
            Object::IngressClass(o) => &o.metadata,
            Object::Secret(o) => &o.metadata,
        }
    }
}

/// A Secret shows only its identity and which keys it has: its data (a private key) must never
/// reach a log line.
impl fmt::Debug for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Object::GatewayClass(o) => f.debug_tuple("GatewayClass").field(o).finish(),
            Object::Gateway(o) => f.debug_tuple("Gateway").field(o).finish(),
            Object::Service(o) => f.debug_tuple("Service").field(o).finish(),
            Object::EndpointSlice(o) => f.debug_tuple("EndpointSlice").field(o).finish(),
            Object::Node(o) => f.debug_tuple("Node").field(o).finish(),
            Object::Pod(o) => f.debug_tuple("Pod").field(o).finish(),
            Object::Namespace(o) => f.debug_tuple("Namespace").field(o).finish(),
            Object::AviInfraSetting(o) => f.debug_tuple("AviInfraSetting").field(o).finish(),
            Object::Ingress(o) => f.debug_tuple("Ingress").field(o).finish(),
            Object::IngressClass(o) => f.debug_tuple("IngressClass").field(o).finish(),
            Object::Secret(o) => {
                let keys: Vec<&String> = o
                    .data
                    .iter()
                    .flat_map(|d| d.keys())
                    .chain(o.string_data.iter().flat_map(|d| d.keys()))
                    .collect();
                f.debug_struct("Secret")
                    .field("namespace", &o.metadata.namespace)
                    .field("name", &o.metadata.name)
                    .field("keys", &keys)
                    .field("data", &"<redacted>")
                    .finish()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;

    #[test]
    fn a_secret_never_shows_its_data() {
        let s = Secret {
            metadata: ObjectMeta {
                name: Some("noo-tls".into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            data: Some([("tls.key".to_owned(), ByteString(b"TOP-SECRET".to_vec()))].into()),
            string_data: Some([("tls.crt".to_owned(), "ALSO-HIDDEN".to_owned())].into()),
            ..Default::default()
        };
        let debug = format!("{:?} {:#?}", Object::Secret(s.clone()), Object::Secret(s));
        assert!(
            !debug.contains("TOP-SECRET") && !debug.contains("84, 79, 80"),
            "{debug}"
        );
        assert!(!debug.contains("ALSO-HIDDEN"));
        assert!(debug.contains("noo-tls") && debug.contains("tls.key"));
    }
}
