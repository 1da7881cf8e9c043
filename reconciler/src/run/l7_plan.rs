//! An Ingress key's plan: translated whole, or — when only some hosts' own objects changed
//! (an endpoint, a certificate's text) — those hosts re-translated and written over the key's
//! last plan (`translate_l7_hosts`; shared's proptest checks that this equals a whole
//! translation). A shared parent is created with its first served host and kept after its
//! last (SPEC-ingress §4.2): a parent without served hosts is synced only where Avi has it.

use std::collections::{BTreeMap, BTreeSet};

use avigw_shared::avi::{AviObjects, kind};
use avigw_shared::translate::{
    Key, KeyPlan, L7Unit, ObjKey, Ownership, Snapshot, translate_key, translate_l7_hosts,
};
use parking_lot::Mutex;

use super::Controller;
use super::state::Pending;

/// What the reconciler remembers of its Ingress keys.
#[derive(Default)]
pub struct L7Memory {
    /// Each key's last translation (the base of a host-only re-translation).
    plans: Mutex<BTreeMap<Key, KeyPlan>>,
    /// Each key's VIP after its last successful sync (`None`: it has no virtual service);
    /// absent until a sync of the key succeeds in this process.
    pub vips: Mutex<BTreeMap<Key, Option<String>>>,
}

/// An Ingress key's plan, and the Ingresses whose report may have changed with it.
pub struct L7Plan {
    pub plan: KeyPlan,
    pub ingresses: BTreeSet<ObjKey>,
}

impl Controller {
    /// The plan of Ingress key `key` from `snap` (hold the snapshot's read lock: the pending
    /// detail was written under its write lock).
    pub(super) fn l7_plan(&self, snap: &Snapshot, key: &Key) -> L7Plan {
        let pending = self.shared.take_pending(key);
        let mut plans = self.l7.plans.lock();
        let last = plans.get(key);
        let spliced = match (&pending, last) {
            (Pending::Hosts(hosts), Some(last)) if last.ownership == Ownership::Ours => {
                let part = translate_l7_hosts(&self.ctx, snap, key, hosts);
                (part.ownership == Ownership::Ours)
                    .then(|| splice(last, &part))
                    .flatten()
            }
            _ => None,
        };
        let plan = spliced.unwrap_or_else(|| translate_key(&self.ctx, snap, key));
        let mut ingresses: BTreeSet<ObjKey> = plan.ingresses.keys().cloned().collect();
        if let Some(last) = last {
            ingresses.extend(last.ingresses.keys().cloned());
        }
        // A key with nothing left is not kept (DEDICATED keys come and go with their hosts).
        if plan.avi.is_empty() && plan.ingresses.is_empty() {
            plans.remove(key);
        } else {
            plans.insert(key.clone(), plan.clone());
        }
        drop(plans);
        L7Plan {
            plan: self.kept_parent_gate(key, plan),
            ingresses,
        }
    }

    /// The virtual service that serves `host` on `key`: its SNI child when it is secure, else
    /// the key's own (shared parent or DEDICATED).
    pub(super) fn l7_serving_vs(&self, key: &Key, host: &str) -> String {
        let child = self.l7.plans.lock().get(key).and_then(|p| {
            p.avi
                .child_virtualservices
                .iter()
                .find(|c| c.vh_domain_name.iter().any(|d| d == host))
                .map(|c| c.name.clone())
        });
        match (child, key) {
            (Some(c), _) => c,
            (None, Key::L7(k)) => k.vs.clone(),
            (None, other) => other.to_string(),
        }
    }

    /// A shared parent without a served host stands only where it already stands: not on Avi,
    /// nothing of it is created (and anything left of an unfinished creation goes).
    fn kept_parent_gate(&self, key: &Key, mut plan: KeyPlan) -> KeyPlan {
        let Key::L7(l7) = key else { return plan };
        let serves = plan.ingresses.values().any(|i| !i.hosts.is_empty());
        if matches!(l7.unit, L7Unit::Shard(_))
            && !serves
            && !self.cache.contains(kind::VIRTUALSERVICE, &l7.vs)
        {
            plan.avi = AviObjects::default();
        }
        plan
    }
}

/// `last` with the objects of a host-only re-translation written over it; `None` when `part`
/// has an object `last` lacks (then the change was not host-only after all: translate whole).
fn splice(last: &KeyPlan, part: &KeyPlan) -> Option<KeyPlan> {
    let mut out = last.clone();
    out.avi = splice_objects(&last.avi, &part.avi)?;
    for (id, on) in &part.ingresses {
        out.ingresses.insert(id.clone(), on.clone());
    }
    Some(out)
}

fn splice_objects(last: &AviObjects, part: &AviObjects) -> Option<AviObjects> {
    fn replace<T: Clone>(into: &mut [T], new: &[T], name: impl Fn(&T) -> &str) -> Option<()> {
        for n in new {
            let slot = into.iter_mut().find(|o| name(o) == name(n))?;
            *slot = n.clone();
        }
        Some(())
    }
    let mut a = last.clone();
    let p = part;
    replace(&mut a.sslkeyandcertificates, &p.sslkeyandcertificates, |o| {
        &o.name
    })?;
    replace(&mut a.pools, &p.pools, |o| &o.name)?;
    replace(&mut a.poolgroups, &p.poolgroups, |o| &o.name)?;
    replace(&mut a.httppolicysets, &p.httppolicysets, |o| &o.name)?;
    replace(&mut a.child_virtualservices, &p.child_virtualservices, |o| {
        &o.name
    })?;
    Some(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use avigw_shared::avi::Pool;

    fn pool(name: &str, server: &str) -> Pool {
        serde_json::from_value(serde_json::json!({"name": name,
            "servers": [{"ip": {"addr": server, "type": "V4"}, "port": 8080}]}))
        .expect("a pool")
    }

    fn objects(pools: Vec<Pool>) -> AviObjects {
        AviObjects {
            pools,
            ..AviObjects::default()
        }
    }

    #[test]
    fn a_host_change_replaces_its_objects_only() {
        let last = objects(vec![pool("a", "10.0.0.1"), pool("b", "10.0.0.2")]);
        let part = objects(vec![pool("b", "10.0.0.9")]);
        let got = splice_objects(&last, &part).expect("host-only");
        assert_eq!(got.pools[0], last.pools[0]);
        assert_eq!(got.pools[1], part.pools[0]);
        // An object the last plan lacks: not a host-only change.
        assert!(splice_objects(&last, &objects(vec![pool("c", "10.0.0.3")])).is_none());
    }
}
