//! The cluster as translation sees it, kept indexed so that translating one key reads only
//! what that key uses, and so that each change names the keys it affects (the dependency
//! index): Services by the Gateway their labels name, EndpointSlices by Service, Gateways by
//! class, LoadBalancer Services by AviInfraSetting; the Ingress indexes are in `snapshot_l7`.
//! Every map is a `BTreeMap`, so iteration order, and with it the output, is deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;

use super::changes::{ChangeSet, Changes};
use super::keys::{Key, ObjKey};
use super::object::{Object, ObjectKind};
use super::snapshot_l7::{L7Settings, L7State};
use super::views::{NamespaceView, NodeView, PodView, SliceView, SvcView};
use crate::api::{AKO_GROUP, AVI_INFRA_SETTING_KIND, AviInfraSetting, Gateway, GatewayClass};
use crate::config::{Config, ServiceType};

/// Keys whose translation may have changed.
pub type Affected = BTreeSet<Key>;

/// The indexed cluster snapshot. Build it with [`Snapshot::upsert`] per object; every change
/// returns the keys to re-translate.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub(crate) mode: ServiceType,
    pub(crate) classes: BTreeMap<String, Arc<GatewayClass>>,
    pub(crate) gateways: BTreeMap<ObjKey, Arc<Gateway>>,
    pub(crate) services: BTreeMap<ObjKey, SvcView>,
    /// Slices by `ns/slice-name`; only those that name a Service.
    pub(crate) slices: BTreeMap<ObjKey, SliceView>,
    pub(crate) nodes: BTreeMap<String, NodeView>,
    /// Only pods with NodePortLocal mappings.
    pub(crate) pods: BTreeMap<ObjKey, PodView>,
    pub(crate) namespaces: BTreeMap<String, NamespaceView>,
    pub(crate) settings: BTreeMap<String, Arc<AviInfraSetting>>,
    pub(crate) services_by_gateway: BTreeMap<ObjKey, BTreeSet<ObjKey>>,
    pub(crate) slices_by_service: BTreeMap<ObjKey, BTreeSet<ObjKey>>,
    pub(crate) gateways_by_class: BTreeMap<String, BTreeSet<ObjKey>>,
    pub(crate) lb_services: BTreeSet<ObjKey>,
    pub(crate) lb_by_setting: BTreeMap<String, BTreeSet<ObjKey>>,
    pub(crate) l7: L7State,
}

fn index_add(map: &mut BTreeMap<ObjKey, BTreeSet<ObjKey>>, at: &ObjKey, item: &ObjKey) {
    map.entry(at.clone()).or_default().insert(item.clone());
}

fn index_remove<K: Ord + Clone>(map: &mut BTreeMap<K, BTreeSet<ObjKey>>, at: &K, item: &ObjKey) {
    if let Some(set) = map.get_mut(at) {
        set.remove(item);
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

    pub fn gateway(&self, key: &ObjKey) -> Option<&Gateway> {
        self.gateways.get(key).map(|g| g.as_ref())
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
        self.gateways.values().map(|g| g.as_ref())
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

    fn upsert_class(&mut self, c: GatewayClass) -> Affected {
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

    fn remove_class(&mut self, name: &str) -> Affected {
        if self.classes.remove(name).is_some() {
            self.class_keys(name)
        } else {
            Affected::new()
        }
    }

    fn class_keys(&self, class: &str) -> Affected {
        self.gateways_by_class
            .get(class)
            .into_iter()
            .flatten()
            .cloned()
            .map(Key::Gateway)
            .collect()
    }

    fn upsert_gateway(&mut self, g: Gateway) -> Affected {
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

    fn remove_gateway(&mut self, key: &ObjKey) -> Affected {
        match self.gateways.remove(key) {
            Some(old) => {
                index_remove(&mut self.gateways_by_class, &old.spec.gateway_class_name, key);
                Affected::from([Key::Gateway(key.clone())])
            }
            None => Affected::new(),
        }
    }

    /// The keys a Service takes part in: its Gateway's, and its own when it is type
    /// LoadBalancer.
    fn service_keys(key: &ObjKey, view: &SvcView, out: &mut Affected) {
        if let Some(gw) = &view.gateway {
            out.insert(Key::Gateway(gw.clone()));
        }
        if view.is_lb_type() {
            out.insert(Key::Service(key.clone()));
        }
    }

    fn upsert_service(&mut self, s: Service) -> Affected {
        let Some(key) = ObjKey::of(&s.metadata) else {
            return Affected::new();
        };
        let view = SvcView::new(s);
        // The Service's own key always: whether it is (still) a LoadBalancer of ours is
        // translation's call, and a key that was one must hear that it no longer is.
        let mut out = Affected::from([Key::Service(key.clone())]);
        if let Some(old) = self.services.get(&key) {
            if old.same_as(&view) {
                self.services.insert(key, view);
                return Affected::new();
            }
            Self::service_keys(&key, old, &mut out);
        }
        self.unindex_service(&key);
        Self::service_keys(&key, &view, &mut out);
        if let Some(gw) = &view.gateway {
            index_add(&mut self.services_by_gateway, gw, &key);
        }
        if view.is_lb_type() {
            self.lb_services.insert(key.clone());
            if let Some(s) = &view.infra_setting {
                self.lb_by_setting
                    .entry(s.clone())
                    .or_default()
                    .insert(key.clone());
            }
        }
        self.services.insert(key, view);
        out
    }

    fn unindex_service(&mut self, key: &ObjKey) {
        let Some(old) = self.services.get(key) else {
            return;
        };
        if let Some(gw) = old.gateway.clone() {
            index_remove(&mut self.services_by_gateway, &gw, key);
        }
        if let Some(s) = old.infra_setting.clone() {
            index_remove(&mut self.lb_by_setting, &s, key);
        }
        self.lb_services.remove(key);
    }

    fn remove_service(&mut self, key: &ObjKey) -> Affected {
        let mut out = Affected::new();
        if let Some(old) = self.services.get(key) {
            Self::service_keys(key, old, &mut out);
            out.insert(Key::Service(key.clone()));
        }
        self.unindex_service(key);
        self.services.remove(key);
        out
    }

    /// The keys of the Service a slice belongs to (none when the Service is unknown).
    fn keys_of_service(&self, svc: &ObjKey, out: &mut Affected) {
        if let Some(view) = self.services.get(svc) {
            Self::service_keys(svc, view, out);
        }
    }

    /// Adds or replaces a slice; `services` gets the Services whose endpoints changed.
    fn upsert_slice(&mut self, s: &EndpointSlice, services: &mut Vec<ObjKey>) -> Affected {
        let Some(key) = ObjKey::of(&s.metadata) else {
            return Affected::new();
        };
        let view = SliceView::new(s);
        let mut out = Affected::new();
        if self.slices.get(&key) == Some(&view) {
            return out;
        }
        if let Some(old) = self.slices.remove(&key)
            && let Some(svc) = &old.service
        {
            self.keys_of_service(svc, &mut out);
            index_remove(&mut self.slices_by_service, svc, &key);
            services.push(svc.clone());
        }
        if let Some(svc) = &view.service {
            self.keys_of_service(svc, &mut out);
            index_add(&mut self.slices_by_service, svc, &key);
            if !services.contains(svc) {
                services.push(svc.clone());
            }
            self.slices.insert(key, view);
        }
        out
    }

    fn remove_slice(&mut self, key: &ObjKey, services: &mut Vec<ObjKey>) -> Affected {
        let mut out = Affected::new();
        if let Some(old) = self.slices.remove(key)
            && let Some(svc) = &old.service
        {
            self.keys_of_service(svc, &mut out);
            index_remove(&mut self.slices_by_service, svc, key);
            services.push(svc.clone());
        }
        out
    }

    /// In NodePort mode every pool lists nodes, so a node change touches every key.
    fn node_keys(&self) -> Affected {
        if self.mode == ServiceType::NodePort {
            self.keys()
        } else {
            Affected::new()
        }
    }

    fn upsert_node(&mut self, n: &Node) -> Affected {
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

    fn remove_node(&mut self, name: &str) -> Affected {
        if self.nodes.remove(name).is_some() {
            self.node_keys()
        } else {
            Affected::new()
        }
    }

    /// Keys of the Services in the pod's namespace whose selector matches the pod; `services`
    /// gets those Services.
    fn pod_keys(&self, key: &ObjKey, pod: &PodView, out: &mut Affected, services: &mut Vec<ObjKey>) {
        if self.mode != ServiceType::NodePortLocal {
            return;
        }
        for (svc_key, view) in self.services_in(&key.namespace) {
            if pod.matches(&view.selector) {
                Self::service_keys(svc_key, view, out);
                if !services.contains(svc_key) {
                    services.push(svc_key.clone());
                }
            }
        }
    }

    fn upsert_pod(&mut self, p: &Pod, services: &mut Vec<ObjKey>) -> Affected {
        let Some(key) = ObjKey::of(&p.metadata) else {
            return Affected::new();
        };
        let view = PodView::new(p);
        if self.pods.get(&key) == view.as_ref() {
            return Affected::new();
        }
        let mut out = Affected::new();
        if let Some(old) = self.pods.remove(&key) {
            self.pod_keys(&key, &old, &mut out, services);
        }
        if let Some(view) = view {
            self.pod_keys(&key, &view, &mut out, services);
            self.pods.insert(key, view);
        }
        out
    }

    fn remove_pod(&mut self, key: &ObjKey, services: &mut Vec<ObjKey>) -> Affected {
        let mut out = Affected::new();
        if let Some(old) = self.pods.remove(key) {
            self.pod_keys(key, &old, &mut out, services);
        }
        out
    }

    pub(crate) fn services_in<'a>(
        &'a self,
        namespace: &str,
    ) -> impl Iterator<Item = (&'a ObjKey, &'a SvcView)> + 'a {
        let ns = namespace.to_owned();
        self.services
            .range(ObjKey::namespace_start(namespace)..)
            .take_while(move |(k, _)| k.namespace == ns)
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

    fn upsert_namespace(&mut self, n: &Namespace) -> Affected {
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

    fn remove_namespace(&mut self, name: &str) -> Affected {
        match self.namespaces.remove(name) {
            Some(old) if old != NamespaceView::default() => self.namespace_keys(name),
            _ => Affected::new(),
        }
    }

    fn upsert_setting(&mut self, a: AviInfraSetting) -> Affected {
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

    fn remove_setting(&mut self, name: &str) -> Affected {
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
