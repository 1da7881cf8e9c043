//! The cluster-wide inputs: Nodes (NodePort mode), Namespaces (sync state) and
//! AviInfraSettings.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Namespace, Node};

use super::{Affected, Snapshot};
use crate::api::{AKO_GROUP, AVI_INFRA_SETTING_KIND, AviInfraSetting};
use crate::config::ServiceType;
use crate::translate::keys::{Key, ObjKey};
use crate::translate::views::{NamespaceView, NodeView};

impl Snapshot {
    /// In NodePort mode every pool lists nodes, so a node change touches every key.
    fn node_keys(&self) -> Affected {
        if self.mode == ServiceType::NodePort {
            self.keys()
        } else {
            Affected::new()
        }
    }

    pub(super) fn upsert_node(&mut self, n: &Node) -> Affected {
        let Some(name) = n.metadata.name.clone() else {
            return Affected::new();
        };
        let view = NodeView::new(n);
        if self.nodes.get(&name) == Some(&view) {
            return Affected::new();
        }
        self.nodes.insert(name, view);
        self.node_keys()
    }

    pub(super) fn remove_node(&mut self, name: &str) -> Affected {
        if self.nodes.remove(name).is_some() {
            self.node_keys()
        } else {
            Affected::new()
        }
    }

    /// Everything a namespace's sync state decides: its Gateways, its LoadBalancer Services,
    /// and the Gateways its Services are backends of.
    fn namespace_keys(&self, namespace: &str) -> Affected {
        let mut out: Affected = self
            .gateways
            .range(ObjKey::namespace_start(namespace)..)
            .take_while(|(k, _)| k.namespace == namespace)
            .map(|(k, _)| Key::Gateway(k.clone()))
            .collect();
        for (k, v) in self.services_in(namespace) {
            Self::service_keys(k, v, &mut out);
        }
        out
    }

    pub(super) fn upsert_namespace(&mut self, n: &Namespace) -> Affected {
        let Some(name) = n.metadata.name.clone() else {
            return Affected::new();
        };
        let view = NamespaceView::new(n);
        let before = self.namespaces.get(&name).cloned().unwrap_or_default();
        self.namespaces.insert(name.clone(), view.clone());
        if before == view {
            Affected::new()
        } else {
            self.namespace_keys(&name)
        }
    }

    pub(super) fn remove_namespace(&mut self, name: &str) -> Affected {
        match self.namespaces.remove(name) {
            Some(old) if old != NamespaceView::default() => self.namespace_keys(name),
            _ => Affected::new(),
        }
    }

    pub(super) fn upsert_setting(&mut self, a: AviInfraSetting) -> Affected {
        let Some(name) = a.metadata.name.clone() else {
            return Affected::new();
        };
        let changed = self
            .settings
            .get(&name)
            .is_none_or(|old| old.spec != a.spec || old.status != a.status);
        self.settings.insert(name.clone(), Arc::new(a));
        if changed {
            self.setting_keys(&name)
        } else {
            Affected::new()
        }
    }

    pub(super) fn remove_setting(&mut self, name: &str) -> Affected {
        if self.settings.remove(name).is_some() {
            self.setting_keys(name)
        } else {
            Affected::new()
        }
    }

    /// Gateways whose class names the setting, and LoadBalancer Services annotated with it.
    fn setting_keys(&self, setting: &str) -> Affected {
        let mut out = Affected::new();
        for (class, c) in &self.classes {
            let refers = c.spec.parameters_ref.as_ref().is_some_and(|p| {
                p.group == AKO_GROUP && p.kind == AVI_INFRA_SETTING_KIND && p.name == setting
            });
            if refers {
                out.extend(self.class_keys(class));
            }
        }
        out.extend(
            self.lb_by_setting
                .get(setting)
                .into_iter()
                .flatten()
                .cloned()
                .map(Key::Service),
        );
        out
    }
}
