//! What the webhook knows of the cluster, as the shared rules' [`ClusterView`]: production
//! reads kube reflector stores, never a live GET per request; `check` and tests use a fixed set.

use std::collections::BTreeMap;
use std::sync::Arc;

use avigw_shared::api::{Gateway, GatewayClass};
use avigw_shared::rules::ClusterView;
use kube::runtime::reflector::{ObjectRef, Store};

/// Reflector stores kept current by watches started at boot. A store whose kind is not
/// installed in the cluster stays empty.
#[derive(Clone)]
pub struct StoreView {
    pub classes: Store<GatewayClass>,
    pub gateways: Store<Gateway>,
}

impl ClusterView for StoreView {
    fn gateway_class(&self, name: &str) -> Option<Arc<GatewayClass>> {
        self.classes.get(&ObjectRef::new(name))
    }

    fn gateway(&self, namespace: &str, name: &str) -> Option<Arc<Gateway>> {
        self.gateways.get(&ObjectRef::new(name).within(namespace))
    }
}

/// A fixed set of objects: the other objects of the files given to `check`, or a test's.
#[derive(Default, Clone)]
pub struct StaticView {
    classes: BTreeMap<String, Arc<GatewayClass>>,
    gateways: BTreeMap<(String, String), Arc<Gateway>>,
}

impl StaticView {
    pub fn add_class(&mut self, class: GatewayClass) {
        let name = class.metadata.name.clone().unwrap_or_default();
        self.classes.insert(name, Arc::new(class));
    }

    pub fn add_gateway(&mut self, gw: Gateway) {
        let key = (
            gw.metadata.namespace.clone().unwrap_or_default(),
            gw.metadata.name.clone().unwrap_or_default(),
        );
        self.gateways.insert(key, Arc::new(gw));
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
}
