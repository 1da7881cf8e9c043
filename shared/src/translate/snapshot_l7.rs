//! The Ingress side of the snapshot (SPEC-ingress §1, §6): Ingresses, IngressClasses and the
//! Secrets our TLS entries name, with the indexes that keep host ownership current and let
//! every change name the keys it touches.
//!
//! - `claims`: per host, our Ingresses in synced namespaces that name it in a rule or under
//!   `tls`, in age order. The first rule claim owns the host (namespace and AviInfraSetting).
//! - `host_key` / `key_hosts`: the key each owned host is on, and the hosts of each key.
//! - `by_class`, `by_service`, `secret_refs`: which Ingresses a class, Service or Secret change
//!   concerns.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

use super::keys::{Key, L7Key, ObjKey};
use super::secret::SecretView;
use super::snapshot::{ChangeSet, Snapshot};
use crate::api::{AviInfraSetting, ShardSize};
use crate::config::{Config, LabelPair};
use crate::naming::{ClusterName, shard_of};
use crate::rules::{
    Backend, ClassChoice, ClassInfra, IngressAge, IngressClusterView, ParsedIngress, ParsedIngressClass,
    resolve_class,
};

/// What the snapshot must know of the config to place Ingress hosts on keys.
#[derive(Debug, Clone)]
pub(crate) struct L7Settings {
    pub cluster: ClusterName,
    pub shard_size: ShardSize,
    pub default_domain: Option<String>,
    pub namespace_selector: Option<LabelPair>,
    pub blocked_namespaces: BTreeSet<String>,
}

impl L7Settings {
    pub fn of(config: &Config) -> Self {
        L7Settings {
            cluster: config.cluster_name.clone(),
            shard_size: config.shard_vs_size,
            default_domain: config.default_domain.clone(),
            namespace_selector: config.namespace_selector.clone(),
            blocked_namespaces: config.blocked_namespaces.iter().cloned().collect(),
        }
    }
}

/// How an Ingress's class resolved, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    Ours { class: String, infra: ClassInfra },
    NotOurs,
    AmbiguousDefault(Vec<String>),
}

#[derive(Debug, Clone)]
pub(crate) struct IngressEntry {
    pub parsed: Arc<ParsedIngress>,
    pub resolved: Resolved,
    /// Ours, in a synced namespace, not being deleted: it takes part in host ownership.
    pub candidate: bool,
}

impl IngressEntry {
    pub fn infra(&self) -> Option<&ClassInfra> {
        match &self.resolved {
            Resolved::Ours { infra, .. } => Some(infra),
            _ => None,
        }
    }

    /// Hosts it names in a rule and under `tls` (the latter may make a host secure).
    fn hosts(&self) -> BTreeSet<String> {
        let p = &self.parsed;
        p.rule_hosts()
            .into_iter()
            .chain(p.tls_hosts())
            .map(str::to_owned)
            .collect()
    }

    fn secret_refs(&self) -> BTreeSet<ObjKey> {
        if !self.candidate {
            return BTreeSet::new();
        }
        self.parsed
            .tls
            .iter()
            .filter(|t| !t.secret_name.is_empty())
            .map(|t| ObjKey::new(self.parsed.namespace.as_str(), t.secret_name.as_str()))
            .collect()
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct HostClaims {
    pub rules: BTreeSet<IngressAge>,
    pub tls: BTreeSet<IngressAge>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct L7State {
    /// `None` for a snapshot made without a config ([`Snapshot::new`]): Ingress objects are
    /// then ignored.
    pub settings: Option<L7Settings>,
    pub ingresses: BTreeMap<ObjKey, IngressEntry>,
    pub classes: BTreeMap<String, Arc<ParsedIngressClass>>,
    pub secrets: BTreeMap<ObjKey, SecretView>,
    pub secret_refs: BTreeMap<ObjKey, BTreeSet<ObjKey>>,
    /// `spec.ingressClassName` (`None` when unset) → Ingresses.
    pub by_class: BTreeMap<Option<String>, BTreeSet<ObjKey>>,
    /// Backend Service `ns/name` → Ingresses routing to it.
    pub by_service: BTreeMap<ObjKey, BTreeSet<ObjKey>>,
    pub claims: BTreeMap<String, HostClaims>,
    pub host_key: BTreeMap<String, Key>,
    pub key_hosts: BTreeMap<Key, BTreeSet<String>>,
    /// The owner's AviInfraSetting name → hosts.
    pub infra_hosts: BTreeMap<Option<String>, BTreeSet<String>>,
}

impl L7State {
    pub fn len(&self) -> usize {
        self.ingresses.len() + self.classes.len() + self.secrets.len()
    }
}

fn key_of(age: &IngressAge) -> ObjKey {
    ObjKey::new(age.namespace.as_str(), age.name.as_str())
}

impl Snapshot {
    /// Whether objects of `namespace` are synced (`--namespace-selector`, `--blocked-namespace`).
    pub(crate) fn l7_synced(&self, namespace: &str) -> bool {
        let Some(s) = &self.l7.settings else {
            return false;
        };
        if s.blocked_namespaces.contains(namespace) {
            return false;
        }
        s.namespace_selector.as_ref().is_none_or(|sel| {
            self.namespaces
                .get(namespace)
                .is_some_and(|n| n.labels.get(&sel.key) == Some(&sel.value))
        })
    }

    /// The shard size of the hosts an AviInfraSetting name owns.
    pub(crate) fn l7_shard_size(&self, infra: Option<&str>) -> ShardSize {
        let global = self
            .l7
            .settings
            .as_ref()
            .map(|s| s.shard_size)
            .unwrap_or_default();
        infra
            .and_then(|n| self.settings.get(n))
            .map_or(global, |s| s.shard_size_or(global))
    }

    /// The key a host owned with AviInfraSetting `infra` is on.
    pub(crate) fn l7_key(&self, host: &str, infra: Option<&str>) -> Option<Key> {
        let s = self.l7.settings.as_ref()?;
        Some(Key::L7(match shard_of(host, self.l7_shard_size(infra)) {
            Some(n) => L7Key::shard(&s.cluster, infra, n),
            None => L7Key::dedicated(&s.cluster, infra, host),
        }))
    }

    /// Every shared-parent key of AviInfraSetting `infra` under its current shard size.
    pub(crate) fn l7_shard_keys(&self, infra: Option<&str>) -> Vec<Key> {
        let Some(s) = &self.l7.settings else {
            return Vec::new();
        };
        (0..self.l7_shard_size(infra).shard_count())
            .map(|n| Key::L7(L7Key::shard(&s.cluster, infra, n)))
            .collect()
    }

    /// The owner of a host: its oldest rule claim.
    pub(crate) fn l7_owner(&self, host: &str) -> Option<&IngressEntry> {
        let age = self.l7.claims.get(host)?.rules.first()?;
        self.l7.ingresses.get(&key_of(age))
    }

    /// The owner's Ingresses that name the host (rule or `tls`), oldest first; and the other
    /// rule claimants (ING-HOST-TAKEN), oldest first.
    pub(crate) fn l7_host_group(&self, host: &str) -> (Vec<&IngressEntry>, Vec<&IngressEntry>) {
        let (Some(claims), Some(owner)) = (self.l7.claims.get(host), self.l7_owner(host)) else {
            return (Vec::new(), Vec::new());
        };
        let same =
            |e: &IngressEntry| e.parsed.namespace == owner.parsed.namespace && e.infra() == owner.infra();
        let mut ages: Vec<&IngressAge> = claims.rules.iter().chain(claims.tls.iter()).collect();
        ages.sort();
        ages.dedup();
        let mut group = Vec::new();
        let mut losers = Vec::new();
        for age in ages {
            let Some(e) = self.l7.ingresses.get(&key_of(age)) else {
                continue;
            };
            if same(e) {
                group.push(e);
            } else if claims.rules.contains(age) {
                losers.push(e);
            }
        }
        (group, losers)
    }

    /// Re-places `host` on its key after its claims or its owner's shard size changed.
    fn l7_refresh_host(&mut self, host: &str) {
        let owner_infra = self
            .l7_owner(host)
            .map(|o| o.infra().and_then(ClassInfra::name).map(str::to_owned));
        let new_key = owner_infra.as_ref().and_then(|i| self.l7_key(host, i.as_deref()));
        let old_key = self.l7.host_key.get(host).cloned();
        if old_key == new_key {
            return;
        }
        if let Some(Key::L7(k)) = &old_key {
            remove_from(&mut self.l7.key_hosts, &Key::L7(k.clone()), host);
            remove_from(&mut self.l7.infra_hosts, &k.infra, host);
            self.l7.host_key.remove(host);
        }
        if let Some(Key::L7(k)) = &new_key {
            self.l7
                .key_hosts
                .entry(Key::L7(k.clone()))
                .or_default()
                .insert(host.to_owned());
            self.l7
                .infra_hosts
                .entry(k.infra.clone())
                .or_default()
                .insert(host.to_owned());
            self.l7.host_key.insert(host.to_owned(), Key::L7(k.clone()));
        }
    }

    /// The keys of `hosts` as they are now.
    fn l7_note_keys(&self, hosts: &BTreeSet<String>, ch: &mut ChangeSet) {
        for h in hosts {
            if let Some(k) = self.l7.host_key.get(h) {
                ch.whole(k.clone());
            }
        }
    }

    /// Re-places `hosts` and names their keys before and after.
    fn l7_replace(&mut self, hosts: &BTreeSet<String>, ch: &mut ChangeSet) {
        for h in hosts {
            self.l7_refresh_host(h);
        }
        self.l7_note_keys(hosts, ch);
    }

    fn l7_resolve(&self, parsed: &ParsedIngress) -> (Resolved, bool) {
        let resolved = match resolve_class(parsed, self) {
            ClassChoice::Ours(c) => Resolved::Ours {
                class: c.name.clone(),
                infra: c.infra(),
            },
            ClassChoice::NotOurs => Resolved::NotOurs,
            ClassChoice::AmbiguousDefault(names) => Resolved::AmbiguousDefault(names),
        };
        let candidate = matches!(resolved, Resolved::Ours { .. })
            && !parsed.deleting
            && self.l7_synced(&parsed.namespace);
        (resolved, candidate)
    }

    /// Adds or withdraws an Ingress's host claims and Secret references. A withdrawal leaves
    /// the Secrets it was the last user of in `orphans`: [`Snapshot::l7_drop_orphans`] drops
    /// those still unused once the change is complete (a re-resolved Ingress claims them again).
    fn l7_claim(&mut self, key: &ObjKey, add: bool, ch: &mut ChangeSet, orphans: &mut BTreeSet<ObjKey>) {
        let Some(e) = self.l7.ingresses.get(key) else {
            return;
        };
        if !e.candidate {
            return;
        }
        let age = e.parsed.age();
        let rule_hosts: Vec<String> = e.parsed.rule_hosts().into_iter().map(str::to_owned).collect();
        let tls_hosts: Vec<String> = e.parsed.tls_hosts().into_iter().map(str::to_owned).collect();
        let refs = e.secret_refs();
        for (hosts, rule) in [(rule_hosts, true), (tls_hosts, false)] {
            for h in hosts {
                let c = self.l7.claims.entry(h.clone()).or_default();
                let set = if rule { &mut c.rules } else { &mut c.tls };
                if add {
                    set.insert(age.clone());
                } else {
                    set.remove(&age);
                    if c.rules.is_empty() && c.tls.is_empty() {
                        self.l7.claims.remove(&h);
                    }
                }
            }
        }
        for s in refs {
            if add {
                let users = self.l7.secret_refs.entry(s.clone()).or_default();
                if users.is_empty() && !self.l7.secrets.contains_key(&s) {
                    ch.fetch_secrets.insert(s.clone());
                }
                users.insert(key.clone());
            } else if let Some(users) = self.l7.secret_refs.get_mut(&s) {
                users.remove(key);
                if users.is_empty() {
                    self.l7.secret_refs.remove(&s);
                    orphans.insert(s);
                }
            }
        }
    }

    /// Drops the Secrets of `orphans` no TLS entry of ours names any more.
    fn l7_drop_orphans(&mut self, orphans: BTreeSet<ObjKey>, ch: &mut ChangeSet) {
        for s in orphans {
            if !self.l7.secret_refs.contains_key(&s) {
                self.l7.secrets.remove(&s);
                ch.fetch_secrets.remove(&s);
            }
        }
    }

    /// Re-resolves an Ingress's class and candidacy (after a class or namespace change).
    fn l7_reresolve(&mut self, key: &ObjKey, ch: &mut ChangeSet, orphans: &mut BTreeSet<ObjKey>) {
        let Some(e) = self.l7.ingresses.get(key) else {
            return;
        };
        let (resolved, candidate) = self.l7_resolve(&e.parsed.clone());
        if e.resolved == resolved && e.candidate == candidate {
            return;
        }
        self.l7_claim(key, false, ch, orphans);
        if let Some(e) = self.l7.ingresses.get_mut(key) {
            e.resolved = resolved;
            e.candidate = candidate;
        }
        self.l7_claim(key, true, ch, orphans);
    }

    pub(crate) fn l7_upsert_ingress(&mut self, ing: &Ingress, ch: &mut ChangeSet) {
        let Some(settings) = &self.l7.settings else {
            return;
        };
        let Some(key) = ObjKey::of(&ing.metadata) else {
            return;
        };
        let parsed = Arc::new(ParsedIngress::new(ing, settings.default_domain.as_deref()));
        let (resolved, candidate) = self.l7_resolve(&parsed);
        if let Some(old) = self.l7.ingresses.get(&key)
            && *old.parsed == *parsed
            && old.resolved == resolved
            && old.candidate == candidate
        {
            return;
        }
        let entry = IngressEntry {
            parsed,
            resolved,
            candidate,
        };
        let mut hosts = entry.hosts();
        hosts.extend(
            self.l7
                .ingresses
                .get(&key)
                .map(IngressEntry::hosts)
                .unwrap_or_default(),
        );
        self.l7_note_keys(&hosts, ch);
        let mut orphans = BTreeSet::new();
        self.l7_remove_entry(&key, ch, &mut orphans);
        self.l7_index(&key, &entry.parsed, true);
        self.l7.ingresses.insert(key.clone(), entry);
        self.l7_claim(&key, true, ch, &mut orphans);
        self.l7_drop_orphans(orphans, ch);
        self.l7_replace(&hosts, ch);
    }

    pub(crate) fn l7_remove_ingress(&mut self, key: &ObjKey, ch: &mut ChangeSet) {
        let Some(e) = self.l7.ingresses.get(key) else {
            return;
        };
        let hosts = e.hosts();
        self.l7_note_keys(&hosts, ch);
        let mut orphans = BTreeSet::new();
        self.l7_remove_entry(key, ch, &mut orphans);
        self.l7_drop_orphans(orphans, ch);
        self.l7_replace(&hosts, ch);
    }

    fn l7_remove_entry(&mut self, key: &ObjKey, ch: &mut ChangeSet, orphans: &mut BTreeSet<ObjKey>) {
        self.l7_claim(key, false, ch, orphans);
        if let Some(old) = self.l7.ingresses.remove(key) {
            self.l7_index(key, &old.parsed, false);
        }
    }

    /// The class and backend-Service indexes of an Ingress.
    fn l7_index(&mut self, key: &ObjKey, p: &ParsedIngress, add: bool) {
        let services: Vec<ObjKey> = p
            .backend_services()
            .into_iter()
            .map(|s| ObjKey::new(p.namespace.as_str(), s))
            .collect();
        let class = p.class_name.clone();
        if add {
            self.l7.by_class.entry(class).or_default().insert(key.clone());
            for s in services {
                self.l7.by_service.entry(s).or_default().insert(key.clone());
            }
        } else {
            remove_key(&mut self.l7.by_class, &class, key);
            for s in services {
                remove_key(&mut self.l7.by_service, &s, key);
            }
        }
    }

    pub(crate) fn l7_upsert_class(&mut self, class: &IngressClass, ch: &mut ChangeSet) {
        if self.l7.settings.is_none() {
            return;
        }
        let parsed = Arc::new(ParsedIngressClass::new(class));
        if parsed.name.is_empty() || self.l7.classes.get(&parsed.name).is_some_and(|c| **c == *parsed) {
            return;
        }
        let name = parsed.name.clone();
        let old = self.l7.classes.get(&name).cloned();
        self.l7_class_change(&name, old.as_deref(), Some(parsed), ch);
    }

    pub(crate) fn l7_remove_class(&mut self, name: &str, ch: &mut ChangeSet) {
        if let Some(old) = self.l7.classes.get(name).cloned() {
            self.l7_class_change(name, Some(&old), None, ch);
        }
    }

    fn l7_class_change(
        &mut self,
        name: &str,
        old: Option<&ParsedIngressClass>,
        new: Option<Arc<ParsedIngressClass>>,
        ch: &mut ChangeSet,
    ) {
        let default_of = |c: Option<&ParsedIngressClass>| c.is_some_and(|c| c.is_ours() && c.is_default);
        let mut users: BTreeSet<ObjKey> = self
            .l7
            .by_class
            .get(&Some(name.to_owned()))
            .cloned()
            .unwrap_or_default();
        if default_of(old) || default_of(new.as_deref()) {
            users.extend(self.l7.by_class.get(&None).cloned().unwrap_or_default());
        }
        let mut infras: Vec<Option<String>> = Vec::new();
        for c in [old, new.as_deref()].into_iter().flatten() {
            if let ClassInfra::Setting(n) = c.infra() {
                infras.push(Some(n));
            }
        }
        let hosts: BTreeSet<String> = users
            .iter()
            .filter_map(|k| self.l7.ingresses.get(k))
            .flat_map(IngressEntry::hosts)
            .collect();
        self.l7_note_keys(&hosts, ch);
        // Parents of an AviInfraSetting live while a class of ours names it (SPEC-ingress §4.2).
        for i in &infras {
            ch.whole_all(self.l7_shard_keys(i.as_deref()));
        }
        match new {
            Some(c) => self.l7.classes.insert(name.to_owned(), c),
            None => self.l7.classes.remove(name),
        };
        let mut orphans = BTreeSet::new();
        for k in &users {
            self.l7_reresolve(k, ch, &mut orphans);
        }
        self.l7_drop_orphans(orphans, ch);
        self.l7_replace(&hosts, ch);
    }

    /// Before a Namespace changes: the hosts of its Ingresses, whose keys are noted.
    pub(crate) fn l7_namespace_before(&self, namespace: &str, ch: &mut ChangeSet) -> BTreeSet<String> {
        let hosts: BTreeSet<String> = self
            .l7
            .ingresses
            .range(ObjKey::namespace_start(namespace)..)
            .take_while(|(k, _)| k.namespace == namespace)
            .flat_map(|(_, e)| e.hosts())
            .collect();
        self.l7_note_keys(&hosts, ch);
        hosts
    }

    /// After a Namespace changed: its Ingresses' candidacy and their hosts' keys.
    pub(crate) fn l7_namespace_after(
        &mut self,
        namespace: &str,
        hosts: &BTreeSet<String>,
        ch: &mut ChangeSet,
    ) {
        let keys: Vec<ObjKey> = self
            .l7
            .ingresses
            .range(ObjKey::namespace_start(namespace)..)
            .take_while(|(k, _)| k.namespace == namespace)
            .map(|(k, _)| k.clone())
            .collect();
        let mut orphans = BTreeSet::new();
        for k in &keys {
            self.l7_reresolve(k, ch, &mut orphans);
        }
        self.l7_drop_orphans(orphans, ch);
        self.l7_replace(hosts, ch);
    }

    /// Before an AviInfraSetting changes: the hosts it owns and its parents, whose keys are
    /// noted.
    pub(crate) fn l7_setting_before(&self, name: &str, ch: &mut ChangeSet) -> BTreeSet<String> {
        let hosts = self
            .l7
            .infra_hosts
            .get(&Some(name.to_owned()))
            .cloned()
            .unwrap_or_default();
        self.l7_note_keys(&hosts, ch);
        if self
            .l7
            .classes
            .values()
            .any(|c| c.infra() == ClassInfra::Setting(name.to_owned()))
        {
            ch.whole_all(self.l7_shard_keys(Some(name)));
        }
        hosts
    }

    pub(crate) fn l7_setting_after(&mut self, name: &str, hosts: &BTreeSet<String>, ch: &mut ChangeSet) {
        self.l7_replace(hosts, ch);
        if self
            .l7
            .classes
            .values()
            .any(|c| c.infra() == ClassInfra::Setting(name.to_owned()))
        {
            ch.whole_all(self.l7_shard_keys(Some(name)));
        }
    }

    /// A backend Service's servers changed: the hosts routing to it change inside their keys.
    pub(crate) fn l7_service_changed(&self, svc: &ObjKey, ch: &mut ChangeSet) {
        for ing in self.l7.by_service.get(svc).into_iter().flatten() {
            let Some(e) = self.l7.ingresses.get(ing).filter(|e| e.candidate) else {
                continue;
            };
            for r in &e.parsed.rules {
                let routes = r
                    .paths
                    .iter()
                    .flatten()
                    .any(|p| matches!(&p.backend, Backend::Service { name, .. } if *name == svc.name));
                if let (true, Some(h)) = (routes, r.served_host())
                    && let Some(k) = self.l7.host_key.get(h)
                {
                    ch.host(k.clone(), h);
                }
            }
        }
    }

    pub(crate) fn l7_upsert_secret(&mut self, s: &Secret, ch: &mut ChangeSet) {
        let Some(key) = ObjKey::of(&s.metadata) else {
            return;
        };
        // Secrets no TLS entry of ours names are dropped on arrival.
        if !self.l7.secret_refs.contains_key(&key) {
            return;
        }
        let view = SecretView::new(s);
        let old = self.l7.secrets.get(&key);
        if old == Some(&view) {
            return;
        }
        let contents_only = old.is_some_and(SecretView::is_valid) && view.is_valid();
        self.l7.secrets.insert(key.clone(), view);
        ch.fetch_secrets.remove(&key);
        self.l7_secret_hosts(&key, contents_only, ch);
    }

    pub(crate) fn l7_remove_secret(&mut self, key: &ObjKey, ch: &mut ChangeSet) {
        if self.l7.secrets.remove(key).is_some() {
            self.l7_secret_hosts(key, false, ch);
        }
    }

    /// The keys of the hosts whose TLS entries name Secret `key`: only those hosts' objects
    /// when a valid Secret's text changed, the whole key otherwise.
    fn l7_secret_hosts(&self, key: &ObjKey, contents_only: bool, ch: &mut ChangeSet) {
        for ing in self.l7.secret_refs.get(key).into_iter().flatten() {
            let Some(e) = self.l7.ingresses.get(ing) else {
                continue;
            };
            for t in e.parsed.tls.iter().filter(|t| t.secret_name == key.name) {
                for h in &t.hosts {
                    if let Some(k) = self.l7.host_key.get(h) {
                        if contents_only {
                            ch.host(k.clone(), h);
                        } else {
                            ch.whole(k.clone());
                        }
                    }
                }
            }
        }
    }

    /// Every key with at least one owned host.
    pub(crate) fn l7_keys(&self) -> impl Iterator<Item = &Key> {
        self.l7.key_hosts.keys()
    }
}

fn remove_from<K: Ord>(map: &mut BTreeMap<K, BTreeSet<String>>, at: &K, host: &str) {
    if let Some(set) = map.get_mut(at) {
        set.remove(host);
        if set.is_empty() {
            map.remove(at);
        }
    }
}

fn remove_key<K: Ord>(map: &mut BTreeMap<K, BTreeSet<ObjKey>>, at: &K, key: &ObjKey) {
    if let Some(set) = map.get_mut(at) {
        set.remove(key);
        if set.is_empty() {
            map.remove(at);
        }
    }
}

/// The rules' view of the cluster, from the snapshot's indexes.
impl IngressClusterView for Snapshot {
    fn ingress_class(&self, name: &str) -> Option<Arc<ParsedIngressClass>> {
        self.l7.classes.get(name).cloned()
    }

    fn default_ingress_classes(&self) -> Vec<Arc<ParsedIngressClass>> {
        self.l7
            .classes
            .values()
            .filter(|c| c.is_default)
            .cloned()
            .collect()
    }

    fn namespace_synced(&self, namespace: &str) -> bool {
        self.l7_synced(namespace)
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
