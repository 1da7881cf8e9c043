//! What the webhook knows of the cluster, as the shared rules' [`ClusterView`]: production
//! reads kube reflector stores (and the host index beside the Ingress store), never a live GET
//! per request; `check` and tests use a fixed set.

use std::collections::BTreeMap;
use std::sync::Arc;

use avigw_shared::api::{AviInfraSetting, Gateway, GatewayClass};
use avigw_shared::config::LabelPair;
use avigw_shared::rules::{ClusterView, ParsedIngress, ParsedIngressClass};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher::Event;

use crate::host_index::HostIndex;

fn has_label(meta: &ObjectMeta, label: &LabelPair) -> bool {
    meta.labels
        .as_ref()
        .is_some_and(|l| l.get(&label.key) == Some(&label.value))
}

/// Reflector stores kept current by watches started at boot. A store whose kind is not
/// installed in the cluster stays empty.
#[derive(Clone)]
pub struct StoreView {
    pub classes: Store<GatewayClass>,
    pub gateways: Store<Gateway>,
    pub ingress_classes: Store<IngressClass>,
    pub ingresses: Store<Ingress>,
    /// Fed the Ingress store's events: host → Ingresses.
    pub hosts: Arc<HostIndex>,
    pub namespaces: Store<Namespace>,
    pub infra_settings: Store<AviInfraSetting>,
}

impl ClusterView for StoreView {
    fn gateway_class(&self, name: &str) -> Option<Arc<GatewayClass>> {
        self.classes.get(&ObjectRef::new(name))
    }

    fn gateway(&self, namespace: &str, name: &str) -> Option<Arc<Gateway>> {
        self.gateways.get(&ObjectRef::new(name).within(namespace))
    }

    fn ingress_class(&self, name: &str) -> Option<Arc<ParsedIngressClass>> {
        self.ingress_classes
            .get(&ObjectRef::new(name))
            .map(|c| Arc::new(ParsedIngressClass::new(&c)))
    }

    fn default_ingress_classes(&self) -> Vec<Arc<ParsedIngressClass>> {
        self.ingress_classes
            .state()
            .iter()
            .map(|c| ParsedIngressClass::new(c))
            .filter(|c| c.is_default)
            .map(Arc::new)
            .collect()
    }

    fn namespace_has_label(&self, namespace: &str, label: &LabelPair) -> bool {
        self.namespaces
            .get(&ObjectRef::new(namespace))
            .is_some_and(|n| has_label(&n.metadata, label))
    }

    fn ingresses_naming_host(&self, host: &str) -> Vec<Arc<ParsedIngress>> {
        self.hosts
            .naming(host)
            .into_iter()
            .filter_map(|(ns, name)| self.ingresses.get(&ObjectRef::new(&name).within(&ns)))
            .map(|i| Arc::new(self.hosts.parse(&i)))
            .collect()
    }

    fn infra_setting(&self, name: &str) -> Option<Arc<AviInfraSetting>> {
        self.infra_settings.get(&ObjectRef::new(name))
    }
}

/// A fixed set of objects: the other objects of the files given to `check`, or a test's.
#[derive(Default)]
pub struct StaticView {
    classes: BTreeMap<String, Arc<GatewayClass>>,
    gateways: BTreeMap<(String, String), Arc<Gateway>>,
    ingress_classes: BTreeMap<String, Arc<ParsedIngressClass>>,
    ingresses: BTreeMap<(String, String), Arc<ParsedIngress>>,
    hosts: HostIndex,
    namespaces: BTreeMap<String, Namespace>,
    infra_settings: BTreeMap<String, Arc<AviInfraSetting>>,
}

fn name_of(meta: &ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

impl StaticView {
    /// An empty view whose Ingresses' host-less rules get hosts under `default_domain`
    /// (`--default-domain`).
    pub fn with_default_domain(default_domain: Option<String>) -> Self {
        StaticView {
            hosts: HostIndex::new(default_domain),
            ..StaticView::default()
        }
    }

    pub fn add_class(&mut self, class: GatewayClass) {
        self.classes.insert(name_of(&class.metadata), Arc::new(class));
    }

    pub fn add_gateway(&mut self, gw: Gateway) {
        let key = (
            gw.metadata.namespace.clone().unwrap_or_default(),
            name_of(&gw.metadata),
        );
        self.gateways.insert(key, Arc::new(gw));
    }

    pub fn add_ingress_class(&mut self, class: &IngressClass) {
        self.ingress_classes
            .insert(name_of(&class.metadata), Arc::new(ParsedIngressClass::new(class)));
    }

    /// An Ingress in the namespace its metadata names (`default` when none).
    pub fn add_ingress(&mut self, ing: Ingress) {
        let parsed = Arc::new(self.hosts.parse(&ing));
        self.hosts.apply(&Event::Apply(ing));
        self.ingresses
            .insert((parsed.namespace.clone(), parsed.name.clone()), parsed);
    }

    pub fn add_namespace(&mut self, ns: Namespace) {
        self.namespaces.insert(name_of(&ns.metadata), ns);
    }

    pub fn add_infra_setting(&mut self, setting: AviInfraSetting) {
        self.infra_settings
            .insert(name_of(&setting.metadata), Arc::new(setting));
    }
}

impl ClusterView for StaticView {
    fn gateway_class(&self, name: &str) -> Option<Arc<GatewayClass>> {
        self.classes.get(name).cloned()
    }

    fn gateway(&self, namespace: &str, name: &str) -> Option<Arc<Gateway>> {
        self.gateways
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned()
    }

    fn ingress_class(&self, name: &str) -> Option<Arc<ParsedIngressClass>> {
        self.ingress_classes.get(name).cloned()
    }

    fn default_ingress_classes(&self) -> Vec<Arc<ParsedIngressClass>> {
        ParsedIngressClass::defaults(self.ingress_classes.values())
    }

    fn namespace_has_label(&self, namespace: &str, label: &LabelPair) -> bool {
        self.namespaces
            .get(namespace)
            .is_some_and(|n| has_label(&n.metadata, label))
    }

    fn ingresses_naming_host(&self, host: &str) -> Vec<Arc<ParsedIngress>> {
        self.hosts
            .naming(host)
            .iter()
            .filter_map(|k| self.ingresses.get(k).cloned())
            .collect()
    }

    fn infra_setting(&self, name: &str) -> Option<Arc<AviInfraSetting>> {
        self.infra_settings.get(name).cloned()
    }
}
