//! The snapshot as the admission rules' view of the cluster, so that the translation and `plan`
//! judge objects against the same objects they translate.

use std::sync::Arc;

use super::keys::ObjKey;
use super::object::Object;
use super::snapshot::Snapshot;
use super::snapshot_l7::key_of;
use crate::api::{AviInfraSetting, Gateway, GatewayClass};
use crate::config::LabelPair;
use crate::rules::{Change, ClusterView, IngressAge, ParsedIngress, ParsedIngressClass, Review};

impl ClusterView for Snapshot {
    fn gateway_class(&self, name: &str) -> Option<Arc<GatewayClass>> {
        self.classes.get(name).cloned()
    }

    fn gateway(&self, namespace: &str, name: &str) -> Option<Arc<Gateway>> {
        self.gateways
            .get(&ObjKey::new(namespace, name))
            .map(|g| g.object.clone())
    }

    fn ingress_class(&self, name: &str) -> Option<Arc<ParsedIngressClass>> {
        self.l7.classes.get(name).cloned()
    }

    fn default_ingress_classes(&self) -> Vec<Arc<ParsedIngressClass>> {
        ParsedIngressClass::defaults(self.l7.classes.values())
    }

    fn namespace_has_label(&self, namespace: &str, label: &LabelPair) -> bool {
        self.namespaces
            .get(namespace)
            .is_some_and(|n| n.labels.get(&label.key) == Some(&label.value))
    }

    /// Only our Ingresses in synced namespaces (the claims).
    fn ingresses_naming_host(&self, host: &str) -> Vec<Arc<ParsedIngress>> {
        let Some(c) = self.l7.claims.get(host) else {
            return Vec::new();
        };
        let mut ages: Vec<&IngressAge> = c.rules.iter().chain(c.tls.iter()).collect();
        ages.sort();
        ages.dedup();
        ages.into_iter()
            .filter_map(|a| self.l7.ingresses.get(&key_of(a)))
            .map(|e| e.parsed.clone())
            .collect()
    }

    fn infra_setting(&self, name: &str) -> Option<Arc<AviInfraSetting>> {
        self.settings.get(name).cloned()
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
            Object::Ingress(i) => Some(Review::Ingress(Change::create(i))),
            Object::IngressClass(c) => Some(Review::IngressClass(Change::create(c))),
            Object::EndpointSlice(_)
            | Object::Node(_)
            | Object::Pod(_)
            | Object::Namespace(_)
            | Object::Secret(_) => None,
        }
    }
}
