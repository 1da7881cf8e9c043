//! What the watches write and the workers read: the cluster snapshot, the work queues, and for
//! Ingresses what the snapshot does not keep (status, uid, which hosts of a key changed).

use std::collections::{BTreeMap, BTreeSet};

use avigw_shared::translate::{Affected, Changes, Key, ObjKey, Object, ObjectKind, Snapshot};
use k8s_openapi::api::networking::v1::{Ingress, IngressStatus};
use parking_lot::{Mutex, RwLock};
use tokio::sync::mpsc;

use super::queue::Queue;

/// An AviInfraSetting's name: the key of its status check.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SettingName(pub String);

/// An Ingress whose status and events to bring up to date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IngressName(pub ObjKey);

/// What changed in a queued Ingress key since its last translation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// Anything: translate it whole.
    Whole,
    /// Only these hosts' own objects, in content (`Changes::hosts`).
    Hosts(BTreeSet<String>),
}

/// What the reconciler keeps of an Ingress besides the snapshot's view of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngressSeen {
    pub uid: Option<String>,
    pub status: Option<IngressStatus>,
}

pub struct Shared {
    pub snap: RwLock<Snapshot>,
    /// Gateways, LoadBalancer Services and Ingress keys to sync to Avi.
    pub keys: Queue<Key>,
    /// AviInfraSettings whose status to check.
    pub settings: Queue<SettingName>,
    /// Ingresses whose status and events to write.
    pub ingresses: Queue<IngressName>,
    /// Per queued Ingress key, what changed; written under the snapshot's write lock, so a
    /// worker that reads the snapshot and takes this together sees one consistent state.
    pub l7_pending: Mutex<BTreeMap<Key, Pending>>,
    pub ingress_seen: Mutex<BTreeMap<ObjKey, IngressSeen>>,
    /// Secrets a TLS entry of ours names that the snapshot lacks: to read by GET until the
    /// watch or the read delivers them.
    pub secrets_wanted: Mutex<BTreeSet<ObjKey>>,
    fetch: Option<mpsc::UnboundedSender<ObjKey>>,
}

impl Shared {
    /// `fetch` receives each Secret to read (none: nothing is read, as in tests of the state).
    pub fn new(snap: Snapshot, fetch: Option<mpsc::UnboundedSender<ObjKey>>) -> Self {
        Shared {
            snap: RwLock::new(snap),
            keys: Queue::default(),
            settings: Queue::default(),
            ingresses: Queue::default(),
            l7_pending: Mutex::default(),
            ingress_seen: Mutex::default(),
            secrets_wanted: Mutex::default(),
            fetch,
        }
    }

    /// A watch saw an object added or changed: the snapshot takes it, and every key it
    /// affects is queued; an AviInfraSetting's status check, an Ingress's report and the
    /// Secrets newly named by our TLS entries too.
    pub fn upserted(&self, o: Object) {
        let setting = match &o {
            Object::AviInfraSetting(a) => a.metadata.name.clone().map(SettingName),
            _ => None,
        };
        let ingress = match &o {
            Object::Ingress(i) => self.saw_ingress(i),
            _ => None,
        };
        // A Secret is applied under the wanted-set lock, so a read of it by GET that answered
        // earlier cannot land after (and over) what the watch delivered.
        let mut wanted = match &o {
            Object::Secret(s) => {
                let mut w = self.secrets_wanted.lock();
                if let Some(k) = ObjKey::of(&s.metadata) {
                    w.remove(&k);
                }
                Some(w)
            }
            _ => None,
        };
        let changes = {
            let mut snap = self.snap.write();
            let ch = snap.upsert_detailed(o);
            self.note_pending(&ch);
            ch
        };
        wanted.take();
        self.queue_changes(changes);
        if let Some(s) = setting {
            self.settings.add(s);
        }
        if let Some(i) = ingress {
            self.ingresses.add(i);
        }
    }

    /// A Secret read by GET: taken only while still wanted (the watch may have delivered it
    /// meanwhile, newer).
    pub fn fetched(&self, secret: k8s_openapi::api::core::v1::Secret) {
        let Some(k) = ObjKey::of(&secret.metadata) else {
            return;
        };
        let changes = {
            let mut wanted = self.secrets_wanted.lock();
            if !wanted.remove(&k) {
                return;
            }
            let mut snap = self.snap.write();
            let ch = snap.upsert_detailed(Object::Secret(secret));
            self.note_pending(&ch);
            ch
        };
        self.queue_changes(changes);
    }

    /// A Secret that could not be read (absent, or the reads kept failing) is no longer
    /// waited for: its hosts read as having no Secret until the watch delivers it.
    pub fn unwant(&self, key: &ObjKey) {
        self.secrets_wanted.lock().remove(key);
    }

    /// A watch saw an object go: the snapshot drops it, and every key it affected is queued.
    pub fn deleted(&self, kind: ObjectKind, namespace: Option<&str>, name: &str) {
        let changes = {
            let mut snap = self.snap.write();
            let ch = snap.delete_detailed(kind, namespace, name);
            self.note_pending(&ch);
            ch
        };
        if kind == ObjectKind::Ingress {
            self.ingress_seen
                .lock()
                .remove(&ObjKey::new(namespace.unwrap_or("default"), name));
        }
        self.queue_changes(changes);
    }

    /// Remembers an Ingress's uid (for events) and status (to write it on change only).
    fn saw_ingress(&self, i: &Ingress) -> Option<IngressName> {
        let key = ObjKey::of(&i.metadata)?;
        let seen = IngressSeen {
            uid: i.metadata.uid.clone(),
            status: i.status.clone(),
        };
        self.ingress_seen.lock().insert(key.clone(), seen);
        Some(IngressName(key))
    }

    /// Records, for the Ingress keys of a change, whether only some hosts changed.
    fn note_pending(&self, ch: &Changes) {
        let mut pending = self.l7_pending.lock();
        let keys = ch
            .keys
            .iter()
            .chain(&ch.kept_parents)
            .filter(|k| matches!(k, Key::L7(_)));
        for k in keys {
            let next = match (ch.hosts.get(k), pending.remove(k)) {
                (Some(h), None) => Pending::Hosts(h.clone()),
                (Some(h), Some(Pending::Hosts(mut before))) => {
                    before.extend(h.iter().cloned());
                    Pending::Hosts(before)
                }
                _ => Pending::Whole,
            };
            pending.insert(k.clone(), next);
        }
    }

    fn queue_changes(&self, ch: Changes) {
        self.queue(ch.keys);
        self.queue(ch.kept_parents);
        if ch.fetch_secrets.is_empty() {
            return;
        }
        self.secrets_wanted
            .lock()
            .extend(ch.fetch_secrets.iter().cloned());
        if let Some(tx) = &self.fetch {
            for s in ch.fetch_secrets {
                let _ = tx.send(s);
            }
        }
    }

    fn queue(&self, keys: Affected) {
        for k in keys {
            self.keys.add(k);
        }
    }

    /// Queues every key the snapshot knows.
    pub fn queue_every_key(&self) {
        let keys = self.snap.read().keys();
        self.queue(keys);
    }

    /// Queues the status check of every AviInfraSetting.
    pub fn queue_every_setting(&self) {
        let names: Vec<SettingName> = self
            .snap
            .read()
            .infra_settings()
            .filter_map(|a| a.metadata.name.clone().map(SettingName))
            .collect();
        for n in names {
            self.settings.add(n);
        }
    }

    /// Queues the report of every Ingress seen.
    pub fn queue_every_ingress(&self) {
        let names: Vec<ObjKey> = self.ingress_seen.lock().keys().cloned().collect();
        for n in names {
            self.ingresses.add(IngressName(n));
        }
    }

    /// What changed in an Ingress key since it was last taken (`Whole` when nothing was noted,
    /// e.g. a retry or a start-up sync). Call with the snapshot read lock held.
    pub fn take_pending(&self, key: &Key) -> Pending {
        self.l7_pending.lock().remove(key).unwrap_or(Pending::Whole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use avigw_shared::config::{Purpose, RawConfig};

    fn snapshot() -> Snapshot {
        let raw = RawConfig {
            cluster_name: Some("c".into()),
            ..Default::default()
        };
        Snapshot::for_config(&raw.validate(Purpose::Plan).expect("config"))
    }

    fn key(n: u32) -> Key {
        let c = avigw_shared::naming::ClusterName::new("c").unwrap();
        Key::L7(avigw_shared::translate::L7Key::shard(&c, None, n))
    }

    fn changes(whole: &[u32], hosts: &[(u32, &str)]) -> Changes {
        let mut ch = Changes::default();
        ch.keys.extend(whole.iter().map(|n| key(*n)));
        for (n, h) in hosts {
            ch.keys.insert(key(*n));
            ch.hosts.entry(key(*n)).or_default().insert((*h).to_owned());
        }
        ch
    }

    #[test]
    fn host_changes_add_up_until_a_whole_change_or_the_key_is_taken() {
        let s = Shared::new(snapshot(), None);
        s.note_pending(&changes(&[], &[(0, "a.com")]));
        s.note_pending(&changes(&[], &[(0, "b.com"), (1, "c.com")]));
        assert_eq!(
            s.take_pending(&key(0)),
            Pending::Hosts(["a.com".to_owned(), "b.com".to_owned()].into())
        );
        // Taken: nothing noted since means a whole translation (a retry, a start-up sync).
        assert_eq!(s.take_pending(&key(0)), Pending::Whole);
        s.note_pending(&changes(&[1], &[]));
        s.note_pending(&changes(&[], &[(1, "d.com")]));
        assert_eq!(s.take_pending(&key(1)), Pending::Whole, "a whole change wins");
        s.note_pending(&changes(&[], &[(2, "e.com")]));
        s.note_pending(&changes(&[2], &[]));
        assert_eq!(
            s.take_pending(&key(2)),
            Pending::Whole,
            "also when it comes second"
        );
    }

    #[test]
    fn newly_named_secrets_are_wanted_until_they_arrive() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let s = Shared::new(snapshot(), Some(tx));
        let mut ch = Changes::default();
        ch.fetch_secrets.insert(ObjKey::new("default", "noo-tls"));
        s.queue_changes(ch);
        assert_eq!(rx.try_recv().ok(), Some(ObjKey::new("default", "noo-tls")));
        assert!(
            s.secrets_wanted
                .lock()
                .contains(&ObjKey::new("default", "noo-tls"))
        );
        let secret: k8s_openapi::api::core::v1::Secret = serde_json::from_value(
            serde_json::json!({"metadata": {"name": "noo-tls", "namespace": "default"}}),
        )
        .unwrap();
        s.upserted(Object::Secret(secret));
        assert!(s.secrets_wanted.lock().is_empty());
    }
}
