//! The Ingress side of the snapshot (SPEC-ingress §1, §6): Ingresses, IngressClasses and the
//! Secrets our TLS entries name, with the indexes that keep host ownership current and let
//! every change name the keys it touches.
//!
//! - `claims`: per host, our Ingresses in synced namespaces that name it in a rule or under
//!   `tls`, in age order. The first rule claim owns the host (namespace and AviInfraSetting).
//! - `host_key` / `key_hosts`: the key each owned host is on, and the hosts of each key.
//! - `by_class`, `by_service`, `secret_refs`: which Ingresses a class, Service or Secret change
//!   concerns.
//!
//! `claims` keeps the claims and the host → key placement; `changes` handles each kind of
//! change.

mod changes;
mod claims;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::keys::{Key, L7Key, ObjKey};
use super::secret::SecretView;
use super::snapshot::Snapshot;
use crate::api::ShardSize;
use crate::config::{Config, Scope};
use crate::naming::{ClusterName, shard_of};
use crate::rules::{ClassInfra, ClusterView, IngressAge, ParsedIngress, ParsedIngressClass};

/// What the snapshot must know of the config to place Ingress hosts on keys: the cluster name
/// (key names), and the scope (`--shard-vs-size`, `--default-domain`, namespace sync) the
/// admission rules judge with.
#[derive(Debug, Clone)]
pub(crate) struct L7Settings {
    pub cluster: ClusterName,
    pub scope: Scope,
}

impl L7Settings {
    pub fn of(config: &Config) -> Self {
        L7Settings {
            cluster: config.cluster_name.clone(),
            scope: config.scope.clone(),
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
    pub(super) fn hosts(&self) -> BTreeSet<String> {
        let p = &self.parsed;
        p.rule_hosts()
            .into_iter()
            .chain(p.tls_hosts())
            .map(str::to_owned)
            .collect()
    }

    pub(super) fn secret_refs(&self) -> BTreeSet<ObjKey> {
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

impl Snapshot {
    /// Whether objects of `namespace` are synced (`--namespace-selector`, `--blocked-namespace`).
    pub(crate) fn l7_synced(&self, namespace: &str) -> bool {
        let Some(s) = &self.l7.settings else {
            return false;
        };
        s.scope
            .namespace_sync(namespace, |label| self.namespace_has_label(namespace, label))
            .is_ok()
    }

    /// The shard size of the hosts an AviInfraSetting name owns.
    pub(crate) fn l7_shard_size(&self, infra: Option<&str>) -> ShardSize {
        let global = self
            .l7
            .settings
            .as_ref()
            .map(|s| s.scope.shard_vs_size)
            .unwrap_or_default();
        infra
            .and_then(|n| self.settings.get(n))
            .map_or(global, |s| s.shard_size_or(global))
    }

    /// The key a host owned with AviInfraSetting `infra` is on, under the shard size in force
    /// (the reconciler finds a host's objects on Avi by it). `None` for a snapshot made
    /// without a config.
    pub fn l7_key(&self, host: &str, infra: Option<&str>) -> Option<Key> {
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

    /// Every key with at least one owned host.
    pub(crate) fn l7_keys(&self) -> impl Iterator<Item = &Key> {
        self.l7.key_hosts.keys()
    }
}

pub(crate) fn key_of(age: &IngressAge) -> ObjKey {
    ObjKey::new(age.namespace.as_str(), age.name.as_str())
}
