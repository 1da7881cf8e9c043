//! Host claims and the host → key placement.

use std::collections::{BTreeMap, BTreeSet};

use super::Resolved;
use crate::rules::{ClassChoice, ClassInfra, ParsedIngress, resolve_class};
use crate::translate::changes::ChangeSet;
use crate::translate::keys::{Key, ObjKey};
use crate::translate::snapshot::Snapshot;

impl Snapshot {
    /// Re-places `host` on its key after its claims or its owner's shard size changed.
    pub(super) fn l7_refresh_host(&mut self, host: &str) {
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
    pub(super) fn l7_note_keys(&self, hosts: &BTreeSet<String>, ch: &mut ChangeSet) {
        for h in hosts {
            if let Some(k) = self.l7.host_key.get(h) {
                ch.whole(k.clone());
            }
        }
    }

    /// Re-places `hosts` and names their keys before and after.
    pub(super) fn l7_replace(&mut self, hosts: &BTreeSet<String>, ch: &mut ChangeSet) {
        for h in hosts {
            self.l7_refresh_host(h);
        }
        self.l7_note_keys(hosts, ch);
    }

    pub(super) fn l7_resolve(&self, parsed: &ParsedIngress) -> (Resolved, bool) {
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
    pub(super) fn l7_claim(
        &mut self,
        key: &ObjKey,
        add: bool,
        ch: &mut ChangeSet,
        orphans: &mut BTreeSet<ObjKey>,
    ) {
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
    pub(super) fn l7_drop_orphans(&mut self, orphans: BTreeSet<ObjKey>, ch: &mut ChangeSet) {
        for s in orphans {
            if !self.l7.secret_refs.contains_key(&s) {
                self.l7.secrets.remove(&s);
                ch.fetch_secrets.remove(&s);
            }
        }
    }

    /// Re-resolves an Ingress's class and candidacy (after a class or namespace change).
    pub(super) fn l7_reresolve(&mut self, key: &ObjKey, ch: &mut ChangeSet, orphans: &mut BTreeSet<ObjKey>) {
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
}

fn remove_from<K: Ord>(map: &mut BTreeMap<K, BTreeSet<String>>, at: &K, host: &str) {
    if let Some(set) = map.get_mut(at) {
        set.remove(host);
        if set.is_empty() {
            map.remove(at);
        }
    }
}
