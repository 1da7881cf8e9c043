//! GatewayClasses and Gateways in the snapshot, indexed by class.

use std::ops::Deref;
use std::sync::Arc;

use super::{Affected, Snapshot, index_remove};
use crate::api::{Gateway, GatewayClass};
use crate::translate::keys::{Key, ObjKey};
use crate::translate::status_memo::GatewayStatusMemo;

/// A Gateway as the snapshot keeps it: the object without its status (a large share of it,
/// kept for every Gateway of the cluster), and what the status writer needs of that status.
#[derive(Debug, Clone)]
pub(crate) struct KeptGateway {
    pub object: Arc<Gateway>,
    pub status: Option<GatewayStatusMemo>,
}

impl KeptGateway {
    fn new(mut g: Gateway) -> Self {
        let status = g.status.take().map(|s| GatewayStatusMemo::of(&s));
        // Decoding grows each list to a power of two: give back the unused slots.
        g.spec.listeners.shrink_to_fit();
        g.spec.addresses.shrink_to_fit();
        if let Some(f) = g.metadata.finalizers.as_mut() {
            f.shrink_to_fit();
        }
        KeptGateway {
            object: Arc::new(g),
            status,
        }
    }
}

impl Deref for KeptGateway {
    type Target = Gateway;
    fn deref(&self) -> &Gateway {
        &self.object
    }
}

impl Snapshot {
    pub(super) fn upsert_class(&mut self, c: GatewayClass) -> Affected {
        let Some(name) = c.metadata.name.clone() else {
            return Affected::new();
        };
        let changed = self.classes.get(&name).is_none_or(|old| old.spec != c.spec);
        self.classes.insert(name.clone(), Arc::new(c));
        if changed {
            self.class_keys(&name)
        } else {
            Affected::new()
        }
    }

    pub(super) fn remove_class(&mut self, name: &str) -> Affected {
        if self.classes.remove(name).is_some() {
            self.class_keys(name)
        } else {
            Affected::new()
        }
    }

    pub(super) fn class_keys(&self, class: &str) -> Affected {
        self.gateways_by_class
            .get(class)
            .into_iter()
            .flatten()
            .cloned()
            .map(Key::Gateway)
            .collect()
    }

    pub(super) fn upsert_gateway(&mut self, g: Gateway) -> Affected {
        let Some(key) = ObjKey::of(&g.metadata) else {
            return Affected::new();
        };
        let unchanged = self.gateways.get(&key).is_some_and(|old| {
            old.spec == g.spec
                && old.metadata.generation == g.metadata.generation
                && old.metadata.deletion_timestamp.is_some() == g.metadata.deletion_timestamp.is_some()
        });
        if let Some(old) = self.gateways.get(&key) {
            let class = old.spec.gateway_class_name.clone();
            index_remove(&mut self.gateways_by_class, &class, &key);
        }
        self.gateways_by_class
            .entry(g.spec.gateway_class_name.clone())
            .or_default()
            .insert(key.clone());
        self.gateways.insert(key.clone(), KeptGateway::new(g));
        if unchanged {
            Affected::new()
        } else {
            Affected::from([Key::Gateway(key)])
        }
    }

    pub(super) fn remove_gateway(&mut self, key: &ObjKey) -> Affected {
        match self.gateways.remove(key) {
            Some(old) => {
                index_remove(&mut self.gateways_by_class, &old.spec.gateway_class_name, key);
                Affected::from([Key::Gateway(key.clone())])
            }
            None => Affected::new(),
        }
    }
}
