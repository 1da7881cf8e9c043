//! GatewayClasses and Gateways in the snapshot, indexed by class.

use std::sync::Arc;

use super::{Affected, Snapshot, index_remove};
use crate::api::{Gateway, GatewayClass};
use crate::translate::keys::{Key, ObjKey};

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
        self.gateways.insert(key.clone(), Arc::new(g));
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
