//! The snapshot as the admission rules' view of the cluster, so that the translation and `plan`
//! judge objects against the same objects they translate.

use std::sync::Arc;

use super::context::Context;
use super::keys::ObjKey;
use super::object::Object;
use super::snapshot::Snapshot;
use crate::api::{Gateway, GatewayClass};
use crate::rules::{Change, ClusterView, OwnershipSettings, Review};

impl ClusterView for Snapshot {
    fn gateway_class(&self, name: &str) -> Option<Arc<GatewayClass>> {
        self.classes.get(name).cloned()
    }

    fn gateway(&self, namespace: &str, name: &str) -> Option<Arc<Gateway>> {
        self.gateways.get(&ObjKey::new(namespace, name)).cloned()
    }
}

impl Object {
    /// The object as a create under review, for the kinds that have admission rules.
    pub fn review(&self) -> Option<Review<'_>> {
        match self {
            Object::GatewayClass(c) => Some(Review::GatewayClass(Change::create(c))),
            Object::Gateway(g) => Some(Review::Gateway(Change::create(g))),
            Object::Service(s) => Some(Review::Service(Change::create(s))),
            Object::AviInfraSetting(a) => Some(Review::AviInfraSetting(Change::create(a))),
            Object::EndpointSlice(_)
            | Object::Node(_)
            | Object::Pod(_)
            | Object::Namespace(_)
            | Object::Ingress(_)
            | Object::IngressClass(_)
            | Object::Secret(_) => None,
        }
    }
}

impl Context {
    /// The settings that decide which objects the rules judge as avigw's.
    pub(crate) fn ownership(&self) -> OwnershipSettings {
        OwnershipSettings {
            default_lb_controller: self.default_lb_controller,
        }
    }
}
