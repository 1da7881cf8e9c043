//! What the webhook knows of the cluster: which GatewayClasses exist (and whose they are) and
//! the Gateways (for the Service port warning). Production reads kube reflector stores, never a
//! live GET per request; `check` and tests use a fixed set.

use std::collections::BTreeMap;
use std::sync::Arc;

use avigw_shared::api::{Gateway, GatewayClass};
use avigw_shared::rules::{ClassState, is_our_class};
use kube::runtime::reflector::{ObjectRef, Store};

pub trait ClusterView: Send + Sync {
    fn class_state(&self, name: &str) -> ClassState;
    fn gateway(&self, namespace: &str, name: &str) -> Option<Arc<Gateway>>;
}

fn state_of(class: Option<&GatewayClass>) -> ClassState {
    match class {
        Some(c) if is_our_class(c) => ClassState::Ours,
        Some(_) => ClassState::Foreign,
        None => ClassState::Missing,
    }
}

/// Reflector stores kept current by watches started at boot.
#[derive(Clone)]
pub struct StoreView {
    pub classes: Store<GatewayClass>,
    pub gateways: Store<Gateway>,
}

impl ClusterView for StoreView {
    fn class_state(&self, name: &str) -> ClassState {
        state_of(self.classes.get(&ObjectRef::new(name)).as_deref())
    }

    fn gateway(&self, namespace: &str, name: &str) -> Option<Arc<Gateway>> {
        self.gateways.get(&ObjectRef::new(name).within(namespace))
    }
}

/// A fixed set of objects: the other objects of the files given to `check`, or a test's.
#[derive(Default, Clone)]
pub struct StaticView {
    classes: BTreeMap<String, GatewayClass>,
    gateways: BTreeMap<(String, String), Arc<Gateway>>,
}

impl StaticView {
    pub fn add_class(&mut self, class: GatewayClass) {
        let name = class.metadata.name.clone().unwrap_or_default();
        self.classes.insert(name, class);
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
    fn class_state(&self, name: &str) -> ClassState {
        state_of(self.classes.get(name))
    }

    fn gateway(&self, namespace: &str, name: &str) -> Option<Arc<Gateway>> {
        self.gateways
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned()
    }
}
