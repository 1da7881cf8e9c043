//! The Ingress translation (SPEC-ingress §4): one key is a shared parent with the hosts on it,
//! or one DEDICATED host. Every host is first planned ([`host::plan_host`]), then built.

mod dedicated;
mod findings;
mod host;
mod objects;
mod report;
mod switching;

use std::collections::{BTreeMap, BTreeSet};

pub use findings::{
    REASON_BACKEND_NOT_FOUND, REASON_INFRA_SETTING_NOT_READY, REASON_INVALID_INGRESS_CLASS,
    REASON_MULTIPLE_DEFAULT_CLASSES, REASON_NAME_CONFLICT, REASON_SECRET_INVALID, REASON_SECRET_NOT_FOUND,
};
pub use report::{IngressReport, ingress_report, ingress_status};

use host::{HostPlan, plan_host};
use objects::HostObjects;

use super::context::Context;
use super::keys::{Key, L7Key, L7Unit, ObjKey};
use super::placement::{Placement, resolve};
use super::plan::{IngressOnKey, KeyPlan, Ownership, Problem};
use super::snapshot::Snapshot;
use crate::api::ShardSize;
use crate::rules::ClassInfra;

/// The full translation of an Ingress key.
pub(crate) fn translate_l7(ctx: &Context, snap: &Snapshot, key: &L7Key) -> KeyPlan {
    let k = Key::L7(key.clone());
    let hosts: Vec<&str> = snap
        .l7
        .key_hosts
        .get(&k)
        .map(|s| s.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let plans: Vec<HostPlan<'_>> = hosts
        .iter()
        .map(|h| plan_host(&ctx.cluster, snap, key, h))
        .collect();
    let mut out = KeyPlan::new(k, Ownership::Ours);
    out.ingresses = ingresses_on_key(&plans);
    let placement = match key_placement(ctx, snap, key) {
        Ok(p) => p,
        Err(why) => {
            out.ownership = Ownership::NotOurs;
            out.notes.push(why);
            return out;
        }
    };
    out.avi = match &key.unit {
        L7Unit::Dedicated(_) => plans
            .first()
            .map(|p| dedicated::dedicated(ctx, snap, &placement, p))
            .unwrap_or_default(),
        L7Unit::Shard(_) => {
            let mut hosts = HostObjects::default();
            for p in &plans {
                objects::shard_host(ctx, snap, &placement, &key.vs, p, &mut hosts);
            }
            let served: Vec<String> = plans
                .iter()
                .filter(|p| p.served())
                .map(|p| p.host.to_owned())
                .collect();
            let secure: Vec<String> = plans
                .iter()
                .filter(|p| p.served() && p.secret.is_some())
                .map(|p| p.host.to_owned())
                .collect();
            objects::shared_parent(ctx, &placement, &key.vs, hosts, served, secure)
        }
    };
    if out.avi.is_empty() {
        out.ownership = Ownership::NotOurs;
        out.notes.push("no host of this key is served".to_owned());
    }
    out
}

/// Re-translates only `hosts` of `key`: their own objects (pools, and for secure hosts their
/// certificate, PoolGroups, switching set and SNI child) and what their Ingresses get from
/// them. Valid after a change that [`crate::translate::Changes::hosts`] limits to these hosts:
/// the key's set of objects and its shared objects are then unchanged, so writing these
/// objects over the key's last plan gives its full translation. A DEDICATED key is translated
/// whole.
pub fn translate_l7_hosts(ctx: &Context, snap: &Snapshot, key: &Key, hosts: &BTreeSet<String>) -> KeyPlan {
    let Key::L7(l7) = key else {
        return super::translate_key(ctx, snap, key);
    };
    if matches!(l7.unit, L7Unit::Dedicated(_)) {
        return translate_l7(ctx, snap, l7);
    }
    let owned = snap.l7.key_hosts.get(key);
    let plans: Vec<HostPlan<'_>> = hosts
        .iter()
        .filter_map(|h| owned.and_then(|o| o.get(h)))
        .map(|h| plan_host(&ctx.cluster, snap, l7, h))
        .collect();
    let mut out = KeyPlan::new(key.clone(), Ownership::Ours);
    out.ingresses = ingresses_on_key(&plans);
    match key_placement(ctx, snap, l7) {
        Ok(p) => {
            let mut objs = HostObjects::default();
            for plan in &plans {
                objects::shard_host(ctx, snap, &p, &l7.vs, plan, &mut objs);
            }
            out.avi = objs.into_avi();
        }
        Err(why) => {
            out.ownership = Ownership::NotOurs;
            out.notes.push(why);
        }
    }
    out
}

/// The placement of a key's objects, or why it has none: a shard beyond the current shard
/// count, an AviInfraSetting that is missing, not Accepted or named by no class of ours
/// (SPEC-ingress §4.2, §4.7). The reason is a fixed text: which of these holds can change
/// without the key being named (its objects are nothing either way).
fn key_placement(ctx: &Context, snap: &Snapshot, key: &L7Key) -> Result<Placement, String> {
    if snap.l7.settings.is_none() {
        return Err("the snapshot was made without a config (Snapshot::for_config)".to_owned());
    }
    let infra = key.infra.as_deref();
    let size = snap.l7_shard_size(infra);
    let fits = match &key.unit {
        L7Unit::Shard(n) => *n < size.shard_count(),
        L7Unit::Dedicated(_) => size == ShardSize::Dedicated,
    };
    let ready = infra.is_none_or(|name| {
        let used = snap
            .l7
            .classes
            .values()
            .any(|c| c.is_ours() && c.infra() == ClassInfra::Setting(name.to_owned()));
        used && snap.settings.get(name).is_some_and(|s| s.is_accepted())
    });
    if !ready {
        return Err(
            "its AviInfraSetting is missing, not Accepted, or named by no IngressClass of ours: nothing of it stands".to_owned(),
        );
    }
    if !fits {
        return Err("it does not fit the current shard size: nothing of it stands".to_owned());
    }
    Ok(resolve(ctx, snap, infra).0)
}

/// Each Ingress the hosts touch, with the hosts it serves there and its findings: the
/// Ingress-wide ones first, then the hosts', each once.
fn ingresses_on_key(plans: &[HostPlan<'_>]) -> BTreeMap<ObjKey, IngressOnKey> {
    let mut out: BTreeMap<ObjKey, IngressOnKey> = BTreeMap::new();
    for plan in plans {
        for e in &plan.touched {
            let p = &e.parsed;
            let entry = out
                .entry(ObjKey::new(p.namespace.as_str(), p.name.as_str()))
                .or_insert_with(|| IngressOnKey {
                    generation: p.generation,
                    hosts: Vec::new(),
                    findings: findings::ingress_wide(p),
                });
            if plan.serves(p) {
                entry.hosts.push(plan.host.to_owned());
            }
        }
        for (ing, f) in &plan.findings {
            if let Some(entry) = out.get_mut(&ObjKey::new(ing.namespace.as_str(), ing.name.as_str())) {
                push_once(&mut entry.findings, f);
            }
        }
    }
    out
}

pub(crate) fn push_once(to: &mut Vec<Problem>, f: &Problem) {
    if !to.contains(f) {
        to.push(f.clone());
    }
}
