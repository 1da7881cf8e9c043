//! What the watches write and the workers read: the cluster snapshot and the two work queues.

use avigw_shared::translate::{Affected, Key, Object, ObjectKind, Snapshot};
use parking_lot::RwLock;

use super::queue::Queue;

/// An AviInfraSetting's name: the key of its status check.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SettingName(pub String);

pub struct Shared {
    pub snap: RwLock<Snapshot>,
    /// Gateways and LoadBalancer Services to sync to Avi.
    pub keys: Queue<Key>,
    /// AviInfraSettings whose status to check.
    pub settings: Queue<SettingName>,
}

impl Shared {
    pub fn new(snap: Snapshot) -> Self {
        Shared {
            snap: RwLock::new(snap),
            keys: Queue::default(),
            settings: Queue::default(),
        }
    }

    /// A watch saw an object added or changed: the snapshot takes it, and every key it
    /// affects is queued; an AviInfraSetting's status check is queued too.
    pub fn upserted(&self, o: Object) {
        let setting = match &o {
            Object::AviInfraSetting(a) => a.metadata.name.clone().map(SettingName),
            _ => None,
        };
        let affected = self.snap.write().upsert(o);
        self.queue(affected);
        if let Some(s) = setting {
            self.settings.add(s);
        }
    }

    /// A watch saw an object go: the snapshot drops it, and every key it affected is queued.
    pub fn deleted(&self, kind: ObjectKind, namespace: Option<&str>, name: &str) {
        let affected = self.snap.write().delete(kind, namespace, name);
        self.queue(affected);
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
}
