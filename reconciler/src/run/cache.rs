//! What Avi holds of ours, lean: each owned object as its `shared::avi` type ([`Actual`]: the
//! fields avigw sets, uuid, markers, `created_by`, a VsVip's address), not as Avi's JSON.
//! Loaded at start and on every resync (paged, by `created_by`; VsVips by name prefix plus the
//! `clustername` marker), kind by kind: a resync replaces one kind at a time, so it never holds
//! a second copy of the whole cache. Updated by every write, so that a key with nothing to
//! change makes no Avi call.
//!
//! The interface the rest of `run/` uses: [`AviCache::load`], [`AviCache::put`] /
//! [`AviCache::remove`] after a write, [`AviCache::get`] / [`AviCache::contains`] /
//! [`AviCache::uuid`] / [`AviCache::vsvip_address`] by kind and name, and the ownership
//! queries [`AviCache::names_of_key`], [`AviCache::holds`], [`AviCache::keys_and_orphans`],
//! [`AviCache::l7`].

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};

use avigw_shared::avi::{
    HttpPolicySet, L4PolicySet, Pool, PoolGroup, SslKeyAndCertificate, VirtualService, VsDataScriptSet,
    VsVip, kind,
};
use avigw_shared::naming::{ClusterName, MarkedObject, MarkerKey};
use avigw_shared::tight_set::TightSet;
use avigw_shared::translate::{Key, ObjKey};
use parking_lot::Mutex;

use super::actual::{Actual, CachedKind, KINDS, Listed, cached_kind};
use super::l7_owner::{L7Index, L7Tag};
use crate::avi::{AviClient, ListQuery, Result};

/// A cached object in a set ordered by its name: the name is kept once, inside the object.
#[derive(Debug, Clone)]
struct ByName(Actual);

impl Borrow<str> for ByName {
    fn borrow(&self) -> &str {
        self.0.name()
    }
}

impl PartialEq for ByName {
    fn eq(&self, o: &Self) -> bool {
        self.0.name() == o.0.name()
    }
}

impl Eq for ByName {}

impl PartialOrd for ByName {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for ByName {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.name().cmp(o.0.name())
    }
}

/// Owned objects by kind then name, plus an index of the objects each L4 key owns (by
/// markers) and of the Ingress objects (by what they say of themselves), so that finding a
/// key's objects does not scan the whole cache.
#[derive(Default)]
pub struct AviCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    objects: BTreeMap<&'static str, BTreeSet<ByName>>,
    /// A key's few objects.
    by_key: BTreeMap<Key, TightSet<(&'static str, String)>>,
    /// Ingress objects, whose key depends on the shard size in force (`l7_owner.rs`).
    l7: L7Index,
}

impl Inner {
    fn index(&mut self, a: &Actual) {
        let (kind, name) = (a.kind(), a.name());
        if let Some(tag) = L7Tag::of(name, |k| a.marker(k)) {
            self.l7.insert(tag, kind, name);
        } else if kind != kind::VSVIP
            && let Some(k) = key_of(a)
        {
            self.by_key.entry(k).or_default().insert((kind, name.to_owned()));
        }
    }

    fn unindex(&mut self, a: &Actual) {
        let (kind, name) = (a.kind(), a.name());
        if let Some(tag) = L7Tag::of(name, |k| a.marker(k)) {
            self.l7.remove(&tag, kind, name);
        }
        if let Some(k) = key_of(a)
            && let Some(set) = self.by_key.get_mut(&k)
        {
            set.remove(&(kind, name.to_owned()));
            if set.is_empty() {
                self.by_key.remove(&k);
            }
        }
    }

    fn get(&self, kind: &str, name: &str) -> Option<&Actual> {
        self.objects.get(kind)?.get(name).map(|b| &b.0)
    }

    fn put(&mut self, a: Actual) {
        if let Some(old) = self.objects.get_mut(a.kind()).and_then(|m| m.take(a.name())) {
            self.unindex(&old.0);
        }
        self.index(&a);
        self.objects.entry(a.kind()).or_default().insert(ByName(a));
    }

    /// Replaces every object of `kind` with `fresh`.
    fn replace_kind(&mut self, kind: &'static str, fresh: Vec<Actual>) {
        for old in self.objects.remove(kind).unwrap_or_default() {
            self.unindex(&old.0);
        }
        for a in &fresh {
            self.index(a);
        }
        self.objects.insert(kind, fresh.into_iter().map(ByName).collect());
    }
}

impl AviCache {
    /// Makes the cache what the controller holds now. Empty (the first load), it reads every
    /// kind at once: there is nothing to hold twice. Otherwise one kind at a time, each kind's
    /// objects replacing that kind's once all its pages are read, so that a resync holds a
    /// second copy of one kind at most.
    pub async fn load(&self, avi: &AviClient, cluster: &ClusterName, tenant: &str) -> Result<()> {
        let empty = self.inner.lock().objects.values().all(BTreeSet::is_empty);
        if empty {
            let fresh =
                futures::future::try_join_all(KINDS.map(|k| load_kind(avi, cluster, tenant, k))).await?;
            let mut g = self.inner.lock();
            for (k, objects) in KINDS.into_iter().zip(fresh) {
                g.replace_kind(k, objects);
            }
            return Ok(());
        }
        for k in KINDS {
            let objects = load_kind(avi, cluster, tenant, k).await?;
            self.inner.lock().replace_kind(k, objects);
        }
        Ok(())
    }

    /// A copy of one cached object.
    pub fn get(&self, kind: &str, name: &str) -> Option<Actual> {
        self.inner.lock().get(kind, name).cloned()
    }

    pub fn contains(&self, kind: &str, name: &str) -> bool {
        self.inner.lock().get(kind, name).is_some()
    }

    /// The uuid of one cached object.
    pub fn uuid(&self, kind: &str, name: &str) -> Option<String> {
        self.inner.lock().get(kind, name)?.uuid().map(str::to_owned)
    }

    /// The address Avi placed on a cached VsVip.
    pub fn vsvip_address(&self, name: &str) -> Option<String> {
        self.inner
            .lock()
            .get(kind::VSVIP, name)?
            .address()
            .map(str::to_owned)
    }

    /// Keeps (or replaces) an object as a write answered it.
    pub fn put(&self, a: Actual) {
        self.inner.lock().put(a);
    }

    pub fn remove(&self, kind: &str, name: &str) {
        let Some(kind) = cached_kind(kind) else { return };
        let mut g = self.inner.lock();
        if let Some(old) = g.objects.get_mut(kind).and_then(|m| m.take(name)) {
            g.unindex(&old.0);
        }
    }

    /// Reads the index of Ingress objects.
    pub fn l7<R>(&self, f: impl FnOnce(&L7Index) -> R) -> R {
        f(&self.inner.lock().l7)
    }

    /// Counts per object type (for `avigw_managed_objects`).
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        let g = self.inner.lock();
        KINDS
            .iter()
            .map(|k| (*k, g.objects.get(k).map_or(0, BTreeSet::len)))
            .collect()
    }

    /// Names of one type's objects that belong to `key` (by markers; VsVips by name).
    pub fn names_of_key(&self, kind: &str, key: &Key, cluster: &ClusterName) -> Vec<String> {
        let g = self.inner.lock();
        if kind == kind::VSVIP {
            let name = vs_name(cluster, key);
            return match g.get(kind, &name) {
                Some(_) => vec![name],
                None => vec![],
            };
        }
        g.by_key
            .get(key)
            .into_iter()
            .flatten()
            .filter(|(k, _)| *k == kind)
            .map(|(_, n)| n.clone())
            .collect()
    }

    /// Whether Avi holds anything of `key` (by markers, or its VsVip by name).
    pub fn holds(&self, key: &Key, cluster: &ClusterName) -> bool {
        let g = self.inner.lock();
        g.by_key.contains_key(key) || g.get(kind::VSVIP, &vs_name(cluster, key)).is_some()
    }

    /// Every key some cached object belongs to, and VsVips that belong to no key's name in
    /// `known_vs_names` nor to any object's key (left by an earlier run).
    pub fn keys_and_orphans(
        &self,
        cluster: &ClusterName,
        mut known_vs_names: BTreeSet<String>,
    ) -> (Vec<Key>, Vec<String>) {
        let g = self.inner.lock();
        let keys: Vec<Key> = g.by_key.keys().cloned().collect();
        for key in &keys {
            known_vs_names.insert(vs_name(cluster, key));
        }
        let orphans = g
            .objects
            .get(kind::VSVIP)
            .into_iter()
            .flatten()
            .map(|b| b.0.name())
            .filter(|n| !known_vs_names.contains(*n))
            .map(str::to_owned)
            .collect();
        (keys, orphans)
    }
}

/// What the controller holds of one kind for this cluster.
async fn load_kind(
    avi: &AviClient,
    cluster: &ClusterName,
    tenant: &str,
    k: &'static str,
) -> Result<Vec<Actual>> {
    match k {
        kind::SSLKEYANDCERTIFICATE => owned::<SslKeyAndCertificate>(avi, cluster, tenant).await,
        kind::POOL => owned::<Pool>(avi, cluster, tenant).await,
        kind::POOLGROUP => owned::<PoolGroup>(avi, cluster, tenant).await,
        kind::VSDATASCRIPTSET => owned::<VsDataScriptSet>(avi, cluster, tenant).await,
        kind::HTTPPOLICYSET => owned::<HttpPolicySet>(avi, cluster, tenant).await,
        kind::L4POLICYSET => owned::<L4PolicySet>(avi, cluster, tenant).await,
        kind::VIRTUALSERVICE => owned::<VirtualService>(avi, cluster, tenant).await,
        _ => {
            let q = ListQuery {
                include_name: true,
                ..ListQuery::name_prefix(cluster.prefix())
            };
            let vips: Vec<Listed<VsVip>> = avi.list(kind::VSVIP, &q, Some(tenant)).await?;
            Ok(vips
                .into_iter()
                .map(|l| l.0)
                .filter(|v| v.marker(MarkerKey::ClusterName) == Some(cluster.as_str()))
                .collect())
        }
    }
}

/// This install's objects of one kind, by `created_by`.
async fn owned<T: CachedKind>(avi: &AviClient, cluster: &ClusterName, tenant: &str) -> Result<Vec<Actual>> {
    let q = ListQuery {
        include_name: true,
        ..ListQuery::created_by(cluster.created_by())
    };
    let items: Vec<Listed<T>> = avi.list(T::KIND, &q, Some(tenant)).await?;
    Ok(items.into_iter().map(|l| l.0).collect())
}

/// The key an owned VirtualService, Pool or L4PolicySet belongs to, from its markers.
fn key_of(a: &Actual) -> Option<Key> {
    Some(match MarkedObject::read(|k| a.marker(k))? {
        MarkedObject::Gateway { namespace, name } => Key::Gateway(ObjKey::new(namespace, name)),
        MarkedObject::LoadBalancer { namespace, name } => Key::Service(ObjKey::new(namespace, name)),
        // Its key depends on the shard size in force: see `l7_owner`.
        MarkedObject::IngressHost { .. } => return None,
    })
}

/// The VirtualService / VsVip / L4PolicySet name of a key.
pub fn vs_name(cluster: &ClusterName, key: &Key) -> String {
    match key {
        Key::Gateway(k) => cluster.gateway_vs(&k.namespace, &k.name),
        Key::Service(k) => cluster.service_vs(&k.namespace, &k.name),
        Key::L7(k) => k.vs.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use avigw_shared::translate::L7Key;
    use serde_json::{Value, json};

    fn c() -> ClusterName {
        ClusterName::new("c").unwrap()
    }

    fn a(kind: &str, v: Value) -> Actual {
        Actual::from_answer(kind, v).unwrap()
    }

    fn gw_marked(kind: &str, name: &str, gw: &str) -> Actual {
        a(
            kind,
            json!({"name": name, "uuid": format!("{kind}-{name}"), "created_by": "avigw-c",
                "markers": [{"key": "clustername", "values": ["c"]}, {"key": "Namespace", "values": ["ns"]},
                            {"key": "GatewayName", "values": [gw]}]}),
        )
    }

    fn vsvip(name: &str, addr: &str) -> Actual {
        a(
            kind::VSVIP,
            json!({"name": name, "uuid": format!("vsvip-{name}"),
                "vip": [{"vip_id": "0", "auto_allocate_ip": true, "ip_address": {"addr": addr, "type": "V4"}}],
                "markers": [{"key": "clustername", "values": ["c"]}]}),
        )
    }

    fn gw(name: &str) -> Key {
        Key::Gateway(ObjKey::new("ns", name))
    }

    fn count(cache: &AviCache, kind: &str) -> usize {
        cache.counts().into_iter().find(|(k, _)| *k == kind).unwrap().1
    }

    #[test]
    fn put_get_remove_and_counts() {
        let cache = AviCache::default();
        let c = c();
        cache.put(gw_marked(kind::VIRTUALSERVICE, "c--ns-gw1", "gw1"));
        cache.put(gw_marked(kind::POOL, "c--ns-svc-gw1-TCP-80", "gw1"));
        cache.put(vsvip("c--ns-gw1", "10.50.0.7"));
        assert_eq!(cache.counts().len(), 8);
        assert_eq!(
            (count(&cache, kind::VIRTUALSERVICE), count(&cache, kind::POOL)),
            (1, 1)
        );
        assert_eq!(
            cache.uuid(kind::POOL, "c--ns-svc-gw1-TCP-80").as_deref(),
            Some("pool-c--ns-svc-gw1-TCP-80")
        );
        assert_eq!(cache.vsvip_address("c--ns-gw1").as_deref(), Some("10.50.0.7"));
        assert!(cache.holds(&gw("gw1"), &c) && !cache.holds(&gw("gw2"), &c));
        assert_eq!(
            cache.names_of_key(kind::POOL, &gw("gw1"), &c),
            ["c--ns-svc-gw1-TCP-80"]
        );
        assert_eq!(cache.names_of_key(kind::VSVIP, &gw("gw1"), &c), ["c--ns-gw1"]);
        // Replacing an object with one of another key moves it in the index.
        cache.put(gw_marked(kind::POOL, "c--ns-svc-gw1-TCP-80", "gw2"));
        assert!(cache.names_of_key(kind::POOL, &gw("gw1"), &c).is_empty());
        assert_eq!(cache.names_of_key(kind::POOL, &gw("gw2"), &c).len(), 1);
        assert_eq!(count(&cache, kind::POOL), 1);
        cache.remove(kind::POOL, "c--ns-svc-gw1-TCP-80");
        cache.remove(kind::VIRTUALSERVICE, "c--ns-gw1");
        assert!(!cache.contains(kind::POOL, "c--ns-svc-gw1-TCP-80"));
        assert_eq!(count(&cache, kind::POOL), 0);
        assert!(!cache.holds(&gw("gw2"), &c));
        // The VsVip alone still says the key is held (by its name).
        assert!(cache.holds(&gw("gw1"), &c));
        cache.remove("tenant", "whatever");
    }

    #[test]
    fn keys_of_objects_and_orphan_vsvips() {
        let cache = AviCache::default();
        let c = c();
        cache.put(gw_marked(kind::VIRTUALSERVICE, "c--ns-gw1", "gw1"));
        cache.put(vsvip("c--ns-gw1", "10.50.0.7"));
        cache.put(vsvip("c--ns-gone", "10.50.0.8"));
        cache.put(vsvip("c--ns-known", "10.50.0.9"));
        let (keys, orphans) = cache.keys_and_orphans(&c, ["c--ns-known".to_owned()].into());
        assert_eq!(keys, [gw("gw1")]);
        assert_eq!(orphans, ["c--ns-gone"]);
    }

    #[test]
    fn ingress_objects_are_indexed_by_their_tags() {
        let cache = AviCache::default();
        let c = c();
        cache.put(a(
            kind::VIRTUALSERVICE,
            json!({"name": "c--Shared-L7-0", "uuid": "vs-0",
            "markers": [{"key": "clustername", "values": ["c"]}]}),
        ));
        cache.put(a(
            kind::POOL,
            json!({"name": "c--foo.com_foo-ns-ing", "uuid": "pool-1",
            "markers": [{"key": "clustername", "values": ["c"]}, {"key": "Namespace", "values": ["ns"]},
                        {"key": "Host", "values": ["foo.com"]}, {"key": "ServiceName", "values": ["svc"]}]}),
        ));
        let key = L7Key::shard(&c, None, 0);
        let owned = cache.l7(|i| i.owned(&c, &key, |_, _| Some(Key::L7(key.clone()))));
        assert_eq!(
            owned,
            [
                (kind::POOL, "c--foo.com_foo-ns-ing".to_owned()),
                (kind::VIRTUALSERVICE, "c--Shared-L7-0".to_owned())
            ]
        );
        // Not in the L4 index.
        assert!(cache.keys_and_orphans(&c, BTreeSet::new()).0.is_empty());
        cache.remove(kind::POOL, "c--foo.com_foo-ns-ing");
        let owned = cache.l7(|i| i.owned(&c, &key, |_, _| Some(Key::L7(key.clone()))));
        assert_eq!(owned.len(), 1);
    }

    #[test]
    fn a_resync_replaces_one_kind_and_leaves_the_others() {
        let cache = AviCache::default();
        let c = c();
        cache.put(gw_marked(kind::VIRTUALSERVICE, "c--ns-gw1", "gw1"));
        cache.put(gw_marked(kind::POOL, "c--ns-svc-gw1-TCP-80", "gw1"));
        cache.put(gw_marked(kind::POOL, "c--ns-svc-gw3-TCP-80", "gw3"));
        cache.inner.lock().replace_kind(
            kind::POOL,
            vec![gw_marked(kind::POOL, "c--ns-svc-gw2-TCP-80", "gw2")],
        );
        assert_eq!(count(&cache, kind::POOL), 1);
        assert!(cache.contains(kind::VIRTUALSERVICE, "c--ns-gw1"));
        assert!(
            cache.names_of_key(kind::POOL, &gw("gw1"), &c).is_empty(),
            "gone from the index"
        );
        assert!(
            !cache.holds(&gw("gw3"), &c),
            "a key with nothing left is not held"
        );
        assert_eq!(
            cache.names_of_key(kind::POOL, &gw("gw2"), &c),
            ["c--ns-svc-gw2-TCP-80"]
        );
        let (keys, _) = cache.keys_and_orphans(&c, BTreeSet::new());
        assert_eq!(keys, [gw("gw1"), gw("gw2")]);
    }
}
