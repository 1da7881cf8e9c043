//! The cluster as translation sees it, kept indexed so that translating one key reads only
//! what that key uses, and so that each change names the keys it affects (the dependency
//! index): Services by the Gateway their labels name, EndpointSlices by Service, Gateways by
//! class, LoadBalancer Services by AviInfraSetting; the Ingress indexes are in `snapshot_l7`.
//! Every map is a `BTreeMap`, so iteration order, and with it the output, is deterministic.
//!
//! This module holds the maps, the public reads and the change dispatch; each kind family's
//! upserts, removals and index upkeep are in `gateways`, `services` and `cluster`.

mod cluster;
mod gateways;
mod services;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::Service;

use super::changes::{ChangeSet, Changes};
use super::keys::{Key, ObjKey};
use super::object::{Object, ObjectKind};
use super::snapshot_l7::{L7Settings, L7State};
use super::status_memo::GatewayStatusMemo;
use super::views::{NamespaceView, NodeView, PodView, SliceView, SvcView};
use crate::api::{AviInfraSetting, Gateway, GatewayClass};
use crate::config::{Config, ServiceType};
use crate::tight_set::TightSet;
use gateways::KeptGateway;

/// Keys whose translation may have changed.
pub type Affected = BTreeSet<Key>;

/// The indexed cluster snapshot. Build it with [`Snapshot::upsert`] per object; every change
/// returns the keys to re-translate.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub(crate) mode: ServiceType,
    pub(crate) classes: BTreeMap<String, Arc<GatewayClass>>,
    pub(crate) gateways: BTreeMap<ObjKey, KeptGateway>,
    pub(crate) services: BTreeMap<ObjKey, SvcView>,
    /// Slices by `ns/slice-name`; only those that name a Service.
    pub(crate) slices: BTreeMap<ObjKey, SliceView>,
    pub(crate) nodes: BTreeMap<String, NodeView>,
    /// Only pods with NodePortLocal mappings.
    pub(crate) pods: BTreeMap<ObjKey, PodView>,
    pub(crate) namespaces: BTreeMap<String, NamespaceView>,
    pub(crate) settings: BTreeMap<String, Arc<AviInfraSetting>>,
    /// Few per entry: tight sets (`TightSet`), not `BTreeSet`s.
    pub(crate) services_by_gateway: BTreeMap<ObjKey, TightSet<ObjKey>>,
    pub(crate) slices_by_service: BTreeMap<ObjKey, TightSet<ObjKey>>,
    pub(crate) gateways_by_class: BTreeMap<String, BTreeSet<ObjKey>>,
    pub(crate) lb_services: BTreeSet<ObjKey>,
    pub(crate) lb_by_setting: BTreeMap<String, BTreeSet<ObjKey>>,
    pub(crate) l7: L7State,
}

/// A set of keys an index entry holds.
trait Members: Default {
    fn add(&mut self, item: &ObjKey);
    fn take(&mut self, item: &ObjKey);
    fn is_empty(&self) -> bool;
}

/// Both sets spell these the same way: one body for both.
macro_rules! members {
    ($set:ty) => {
        impl Members for $set {
            fn add(&mut self, item: &ObjKey) {
                self.insert(item.clone());
            }
            fn take(&mut self, item: &ObjKey) {
                self.remove(item);
            }
            fn is_empty(&self) -> bool {
                <$set>::is_empty(self)
            }
        }
    };
}
members!(TightSet<ObjKey>);
members!(BTreeSet<ObjKey>);

fn index_add<S: Members>(map: &mut BTreeMap<ObjKey, S>, at: &ObjKey, item: &ObjKey) {
    map.entry(at.clone()).or_default().add(item);
}

fn index_remove<K: Ord + Clone, S: Members>(map: &mut BTreeMap<K, S>, at: &K, item: &ObjKey) {
    if let Some(set) = map.get_mut(at) {
        set.take(item);
        if set.is_empty() {
            map.remove(at);
        }
    }
}

impl Snapshot {
    /// An empty snapshot for the given server mode (`--service-type`): it decides which changes
    /// matter (Nodes only in NodePort mode, Pods only in NodePortLocal mode). It serves
    /// Gateways and Services only: Ingresses, IngressClasses and Secrets are ignored (use
    /// [`Snapshot::for_config`]).
    pub fn new(mode: ServiceType) -> Self {
        Snapshot {
            mode,
            ..Default::default()
        }
    }

    /// An empty snapshot for `config`, Ingresses included: besides the server mode it needs
    /// the cluster name, `--shard-vs-size`, `--default-domain` and namespace sync to place
    /// Ingress hosts on their keys. Translate it with a [`crate::translate::Context`] made from
    /// the same config.
    pub fn for_config(config: &Config) -> Self {
        let mut s = Snapshot::new(config.service_type);
        s.l7.settings = Some(L7Settings::of(config));
        s
    }

    /// [`Snapshot::for_config`] filled with `objects` (later objects replace earlier ones). A
    /// Secret the snapshot asks for ([`Changes::fetch_secrets`]) is taken from `objects`, as
    /// the reconciler reads it from the cluster, so the order of the objects does not matter.
    pub fn from_config_objects(config: &Config, objects: impl IntoIterator<Item = Object>) -> Self {
        let objects: Vec<Object> = objects.into_iter().collect();
        let secrets: BTreeMap<ObjKey, &Object> = objects
            .iter()
            .filter(|o| o.kind() == ObjectKind::Secret)
            .filter_map(|o| Some((ObjKey::of(o.metadata())?, o)))
            .collect();
        let mut s = Snapshot::for_config(config);
        for o in &objects {
            let mut wanted = s.upsert_detailed(o.clone()).fetch_secrets;
            while let Some(k) = wanted.pop_first() {
                if let Some(secret) = secrets.get(&k) {
                    wanted.extend(s.upsert_detailed((*secret).clone()).fetch_secrets);
                }
            }
        }
        s
    }

    pub fn mode(&self) -> ServiceType {
        self.mode
    }

    /// Builds a snapshot from a list of objects (later objects replace earlier ones).
    pub fn from_objects(mode: ServiceType, objects: impl IntoIterator<Item = Object>) -> Self {
        let mut s = Snapshot::new(mode);
        for o in objects {
            s.upsert(o);
        }
        s
    }

    /// Every key: all Gateways, all Services of type LoadBalancer and every Ingress key with a
    /// host (whether a key yields objects is translation's decision). A shared parent whose
    /// last host went is not listed, though its key still yields it: see
    /// [`Snapshot::l7_parent_keys`].
    pub fn keys(&self) -> BTreeSet<Key> {
        let mut keys: BTreeSet<Key> = self.gateways.keys().cloned().map(Key::Gateway).collect();
        keys.extend(self.lb_services.iter().cloned().map(Key::Service));
        keys.extend(self.l7_keys().cloned());
        keys
    }

    /// Every shared-parent key that may stand without hosts (SPEC-ingress §4.2): the global
    /// shards, and those of each Accepted AviInfraSetting a class of ours names. A parent
    /// found on Avi whose name is none of these is not to be kept.
    pub fn l7_parent_keys(&self) -> BTreeSet<Key> {
        let mut out: BTreeSet<Key> = self.l7_shard_keys(None).into_iter().collect();
        let used: BTreeSet<String> = self
            .l7
            .classes
            .values()
            .filter(|c| c.is_ours())
            .filter_map(|c| match c.infra() {
                crate::rules::ClassInfra::Setting(n) => Some(n),
                _ => None,
            })
            .collect();
        for name in used {
            if self.settings.get(&name).is_some_and(|s| s.is_accepted()) {
                out.extend(self.l7_shard_keys(Some(&name)));
            }
        }
        out
    }

    pub fn len(&self) -> usize {
        self.classes.len()
            + self.gateways.len()
            + self.services.len()
            + self.slices.len()
            + self.nodes.len()
            + self.pods.len()
            + self.namespaces.len()
            + self.settings.len()
            + self.l7.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `(namespace, name)` of every object of a kind the snapshot holds, namespace `None`
    /// for cluster-scoped kinds: what a relist that no longer lists one of them must drop.
    pub fn names_of(&self, kind: ObjectKind) -> Vec<(Option<String>, String)> {
        fn cluster<V>(m: &BTreeMap<String, V>) -> Vec<(Option<String>, String)> {
            m.keys().map(|n| (None, n.clone())).collect()
        }
        fn namespaced<V>(m: &BTreeMap<ObjKey, V>) -> Vec<(Option<String>, String)> {
            m.keys()
                .map(|k| (Some(k.namespace.clone()), k.name.clone()))
                .collect()
        }
        match kind {
            ObjectKind::GatewayClass => cluster(&self.classes),
            ObjectKind::Gateway => namespaced(&self.gateways),
            ObjectKind::Service => namespaced(&self.services),
            ObjectKind::EndpointSlice => namespaced(&self.slices),
            ObjectKind::Node => cluster(&self.nodes),
            ObjectKind::Pod => namespaced(&self.pods),
            ObjectKind::Namespace => cluster(&self.namespaces),
            ObjectKind::AviInfraSetting => cluster(&self.settings),
            ObjectKind::Ingress => namespaced(&self.l7.ingresses),
            ObjectKind::IngressClass => cluster(&self.l7.classes),
            ObjectKind::Secret => namespaced(&self.l7.secrets),
        }
    }

    /// The Gateway without its status: see [`Snapshot::gateway_status`].
    pub fn gateway(&self, key: &ObjKey) -> Option<&Gateway> {
        self.gateways.get(key).map(|g| g.object.as_ref())
    }

    /// What the Gateway's status was when the snapshot last saw it.
    pub fn gateway_status(&self, key: &ObjKey) -> Option<&GatewayStatusMemo> {
        self.gateways.get(key).and_then(|g| g.status.as_ref())
    }

    pub fn gateway_class(&self, name: &str) -> Option<&GatewayClass> {
        self.classes.get(name).map(|c| c.as_ref())
    }

    pub fn service(&self, key: &ObjKey) -> Option<&Service> {
        self.services.get(key).map(|s| s.raw.as_ref())
    }

    pub fn infra_setting(&self, name: &str) -> Option<&AviInfraSetting> {
        self.settings.get(name).map(|s| s.as_ref())
    }

    pub fn gateway_classes(&self) -> impl Iterator<Item = &GatewayClass> {
        self.classes.values().map(|c| c.as_ref())
    }

    pub fn gateways(&self) -> impl Iterator<Item = &Gateway> {
        self.gateways.values().map(|g| g.object.as_ref())
    }

    pub fn services(&self) -> impl Iterator<Item = &Service> {
        self.services.values().map(|s| s.raw.as_ref())
    }

    pub fn infra_settings(&self) -> impl Iterator<Item = &AviInfraSetting> {
        self.settings.values().map(|s| s.as_ref())
    }

    /// Adds or replaces an object; returns the keys to re-translate (none when nothing that
    /// translation reads changed).
    pub fn upsert(&mut self, obj: Object) -> Affected {
        self.upsert_detailed(obj).keys
    }

    /// Removes an object (`namespace` ignored for cluster-scoped kinds); returns the keys to
    /// re-translate.
    pub fn delete(&mut self, kind: ObjectKind, namespace: Option<&str>, name: &str) -> Affected {
        self.delete_detailed(kind, namespace, name).keys
    }

    /// [`Snapshot::upsert`], saying also which Ingress keys changed only inside some hosts and
    /// which Secrets to read.
    pub fn upsert_detailed(&mut self, obj: Object) -> Changes {
        let mut ch = ChangeSet::default();
        match obj {
            Object::GatewayClass(c) => ch.whole_all(self.upsert_class(c)),
            Object::Gateway(g) => ch.whole_all(self.upsert_gateway(g)),
            Object::Service(s) => {
                let key = ObjKey::of(&s.metadata);
                let l4 = self.upsert_service(s);
                if let (false, Some(k)) = (l4.is_empty(), key) {
                    self.l7_service_changed(&k, &mut ch);
                }
                ch.whole_all(l4);
            }
            Object::EndpointSlice(s) => {
                let mut services = Vec::new();
                ch.whole_all(self.upsert_slice(&s, &mut services));
                for svc in &services {
                    self.l7_service_changed(svc, &mut ch);
                }
            }
            Object::Node(n) => ch.whole_all(self.upsert_node(&n)),
            Object::Pod(p) => {
                let mut services = Vec::new();
                ch.whole_all(self.upsert_pod(&p, &mut services));
                for svc in &services {
                    self.l7_service_changed(svc, &mut ch);
                }
            }
            Object::Namespace(n) => {
                let name = n.metadata.name.clone().unwrap_or_default();
                let hosts = self.l7_namespace_before(&name, &mut ch);
                ch.whole_all(self.upsert_namespace(&n));
                self.l7_namespace_after(&name, &hosts, &mut ch);
            }
            Object::AviInfraSetting(a) => {
                let name = a.metadata.name.clone().unwrap_or_default();
                let before = self.l7_setting_before(&name, &mut ch);
                ch.whole_all(self.upsert_setting(a));
                self.l7_setting_after(&name, &before, &mut ch);
            }
            Object::Ingress(i) => self.l7_upsert_ingress(&i, &mut ch),
            Object::IngressClass(c) => self.l7_upsert_class(&c, &mut ch),
            Object::Secret(s) => self.l7_upsert_secret(&s, &mut ch),
        }
        ch.finish()
    }

    /// [`Snapshot::delete`] with the detail of [`Snapshot::upsert_detailed`].
    pub fn delete_detailed(&mut self, kind: ObjectKind, namespace: Option<&str>, name: &str) -> Changes {
        let key = ObjKey::new(namespace.unwrap_or("default"), name);
        let mut ch = ChangeSet::default();
        match kind {
            ObjectKind::GatewayClass => ch.whole_all(self.remove_class(name)),
            ObjectKind::Gateway => ch.whole_all(self.remove_gateway(&key)),
            ObjectKind::Service => {
                let l4 = self.remove_service(&key);
                if !l4.is_empty() {
                    self.l7_service_changed(&key, &mut ch);
                }
                ch.whole_all(l4);
            }
            ObjectKind::EndpointSlice => {
                let mut services = Vec::new();
                ch.whole_all(self.remove_slice(&key, &mut services));
                for svc in &services {
                    self.l7_service_changed(svc, &mut ch);
                }
            }
            ObjectKind::Node => ch.whole_all(self.remove_node(name)),
            ObjectKind::Pod => {
                let mut services = Vec::new();
                ch.whole_all(self.remove_pod(&key, &mut services));
                for svc in &services {
                    self.l7_service_changed(svc, &mut ch);
                }
            }
            ObjectKind::Namespace => {
                let hosts = self.l7_namespace_before(name, &mut ch);
                ch.whole_all(self.remove_namespace(name));
                self.l7_namespace_after(name, &hosts, &mut ch);
            }
            ObjectKind::AviInfraSetting => {
                let before = self.l7_setting_before(name, &mut ch);
                ch.whole_all(self.remove_setting(name));
                self.l7_setting_after(name, &before, &mut ch);
            }
            ObjectKind::Ingress => self.l7_remove_ingress(&key, &mut ch),
            ObjectKind::IngressClass => self.l7_remove_class(name, &mut ch),
            ObjectKind::Secret => self.l7_remove_secret(&key, &mut ch),
        }
        ch.finish()
    }
}

#[cfg(test)]
mod index_tests {
    use super::*;

    fn key(i: u8) -> ObjKey {
        ObjKey::new(format!("ns{}", i % 3), format!("o{i}"))
    }

    #[test]
    fn an_emptied_entry_leaves_the_index() {
        let mut map: BTreeMap<ObjKey, TightSet<ObjKey>> = BTreeMap::new();
        index_add(&mut map, &key(0), &key(1));
        index_add(&mut map, &key(0), &key(2));
        index_add(&mut map, &key(0), &key(1));
        assert!(map[&key(0)].iter().eq([key(1), key(2)].iter()));
        index_remove(&mut map, &key(0), &key(1));
        index_remove(&mut map, &key(0), &key(2));
        assert!(map.is_empty());
    }
}
