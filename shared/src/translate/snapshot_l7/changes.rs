//! What each kind of change does to the Ingress indexes, and the keys it names.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

use super::IngressEntry;
use crate::rules::{Backend, ParsedIngress, ParsedIngressClass};
use crate::translate::changes::ChangeSet;
use crate::translate::keys::{Key, ObjKey};
use crate::translate::secret::SecretView;
use crate::translate::snapshot::Snapshot;

impl Snapshot {
    pub(crate) fn l7_upsert_ingress(&mut self, ing: &Ingress, ch: &mut ChangeSet) {
        let Some(settings) = &self.l7.settings else {
            return;
        };
        let Some(key) = ObjKey::of(&ing.metadata) else {
            return;
        };
        let parsed = Arc::new(ParsedIngress::new(ing, settings.scope.default_domain.as_deref()));
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
        let parents = self.l7_parent_keys();
        let infras: Vec<Option<String>> = [old, new.as_deref()]
            .into_iter()
            .flatten()
            .filter_map(|c| c.infra().name().map(|n| Some(n.to_owned())))
            .collect();
        // The Ingresses' hosts, and every host owned under an AviInfraSetting the class names:
        // whether a class of ours names it decides whether their keys stand.
        let mut hosts: BTreeSet<String> = users
            .iter()
            .filter_map(|k| self.l7.ingresses.get(k))
            .flat_map(IngressEntry::hosts)
            .collect();
        for i in &infras {
            hosts.extend(self.l7.infra_hosts.get(i).into_iter().flatten().cloned());
        }
        self.l7_note_keys(&hosts, ch);
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
        self.l7_note_parents(&parents, &infras, ch);
    }

    /// Names the parents of `before` that may no longer stand (SPEC-ingress §4.2: a parent
    /// lives while its AviInfraSetting is Accepted and named by a class of ours, and its
    /// number is below the shard count), so that their objects go; and lists the parents of
    /// `infras` that stand without hosts as kept parents to update where they exist. Parents
    /// are named as keys only through their hosts: a parent is created with its first host.
    fn l7_note_parents(&self, before: &BTreeSet<Key>, infras: &[Option<String>], ch: &mut ChangeSet) {
        let now = self.l7_parent_keys();
        ch.whole_all(before.difference(&now).cloned());
        for k in now {
            let Key::L7(l7) = &k else {
                continue;
            };
            if infras.contains(&l7.infra) && !self.l7.key_hosts.contains_key(&k) {
                ch.kept_parents.insert(k);
            }
        }
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

    /// Before an AviInfraSetting changes: the hosts it owns (their keys are noted) and the
    /// parents that stand now.
    pub(crate) fn l7_setting_before(
        &self,
        name: &str,
        ch: &mut ChangeSet,
    ) -> (BTreeSet<String>, BTreeSet<Key>) {
        let hosts = self
            .l7
            .infra_hosts
            .get(&Some(name.to_owned()))
            .cloned()
            .unwrap_or_default();
        self.l7_note_keys(&hosts, ch);
        (hosts, self.l7_parent_keys())
    }

    /// After an AviInfraSetting changed: its hosts' keys (the shard size may have moved them),
    /// the parents that no longer stand, and its kept parents.
    pub(crate) fn l7_setting_after(
        &mut self,
        name: &str,
        before: &(BTreeSet<String>, BTreeSet<Key>),
        ch: &mut ChangeSet,
    ) {
        self.l7_replace(&before.0, ch);
        self.l7_note_parents(&before.1, &[Some(name.to_owned())], ch);
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
}

fn remove_key<K: Ord>(map: &mut BTreeMap<K, BTreeSet<ObjKey>>, at: &K, key: &ObjKey) {
    if let Some(set) = map.get_mut(at) {
        set.remove(key);
        if set.is_empty() {
            map.remove(at);
        }
    }
}
