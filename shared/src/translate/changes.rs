//! What one snapshot change did: the keys to re-translate, and for Ingress keys the finer
//! detail the reconciler can use.

use std::collections::{BTreeMap, BTreeSet};

use super::keys::{Key, ObjKey};
use super::snapshot::Affected;

/// What one change did, in detail ([`Snapshot::upsert_detailed`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Every key whose translation may have changed.
    pub keys: Affected,
    /// Ingress keys of `keys` where only these hosts' own objects may have changed, and only
    /// in content (pool servers, a certificate's text): the key's set of objects and its
    /// shared objects are as before, so re-translating those hosts
    /// ([`crate::translate::translate_l7_hosts`]) is enough. A key of `keys` not listed here
    /// changed as a whole.
    pub hosts: BTreeMap<Key, BTreeSet<String>>,
    /// Secrets a TLS entry of ours now names that the snapshot does not hold (they were dropped
    /// on arrival, or never seen): read them and upsert them.
    pub fetch_secrets: BTreeSet<ObjKey>,
    /// Shared parents without hosts whose objects may have changed (their AviInfraSetting or
    /// class changed). A parent is created with its first host and kept after its last one
    /// (SPEC-ingress §4.2), so translate and sync each of these only if its parent virtual
    /// service exists on Avi. Not in `keys`.
    pub kept_parents: BTreeSet<Key>,
}

/// Collects [`Changes`]: a key changed as a whole wins over host-only changes of it.
#[derive(Debug, Default)]
pub(crate) struct ChangeSet {
    whole: Affected,
    hosts: BTreeMap<Key, BTreeSet<String>>,
    pub fetch_secrets: BTreeSet<ObjKey>,
    pub kept_parents: BTreeSet<Key>,
}

impl ChangeSet {
    pub fn whole(&mut self, key: Key) {
        self.hosts.remove(&key);
        self.whole.insert(key);
    }

    pub fn whole_all(&mut self, keys: impl IntoIterator<Item = Key>) {
        for k in keys {
            self.whole(k);
        }
    }

    pub fn host(&mut self, key: Key, host: &str) {
        if !self.whole.contains(&key) {
            self.hosts.entry(key).or_default().insert(host.to_owned());
        }
    }

    pub fn finish(self) -> Changes {
        let mut keys = self.whole;
        keys.extend(self.hosts.keys().cloned());
        let kept_parents = self.kept_parents.difference(&keys).cloned().collect();
        Changes {
            keys,
            hosts: self.hosts,
            fetch_secrets: self.fetch_secrets,
            kept_parents,
        }
    }
}
