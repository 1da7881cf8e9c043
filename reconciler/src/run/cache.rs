//! What Avi holds of ours: loaded at start (paged, by `created_by`; VsVips by name prefix plus
//! the `clustername` marker) and updated by every write, so that a key with nothing to change
//! makes no Avi call.

use std::collections::{BTreeMap, BTreeSet};

use avigw_shared::avi::kind;
use avigw_shared::naming::{ClusterName, MarkedObject, MarkerKey};
use avigw_shared::translate::{Key, ObjKey};
use parking_lot::Mutex;
use serde_json::Value;

use super::l7_owner::{L7Index, L7Tag};
use crate::avi::{AviClient, ListQuery, Result};

/// Object types: L4 in creation order, then the Ingress-only ones.
pub const KINDS: [&str; 8] = [
    kind::VSVIP,
    kind::POOL,
    kind::L4POLICYSET,
    kind::VIRTUALSERVICE,
    kind::SSLKEYANDCERTIFICATE,
    kind::POOLGROUP,
    kind::VSDATASCRIPTSET,
    kind::HTTPPOLICYSET,
];

type Objects = BTreeMap<&'static str, BTreeMap<String, Value>>;

/// Owned objects by type then name, as Avi answered them, plus an index of the
/// VirtualService/Pool/L4PolicySet names each key owns (by markers), so that finding a key's
/// objects does not scan the whole cache.
#[derive(Default)]
pub struct AviCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    objects: Objects,
    by_key: BTreeMap<Key, BTreeSet<(&'static str, String)>>,
    /// Ingress objects, whose key depends on the shard size in force (`l7_owner.rs`).
    l7: L7Index,
}

impl Inner {
    fn index(&mut self, kind: &'static str, name: &str, v: &Value) {
        if let Some(tag) = L7Tag::of(name, |k| marker(v, k)) {
            self.l7.insert(tag, kind, name);
        } else if kind != kind::VSVIP
            && let Some(k) = key_of(v)
        {
            self.by_key.entry(k).or_default().insert((kind, name.to_owned()));
        }
    }

    fn unindex(&mut self, kind: &'static str, name: &str, v: &Value) {
        if let Some(tag) = L7Tag::of(name, |k| marker(v, k)) {
            self.l7.remove(&tag, kind, name);
        }
        if let Some(k) = key_of(v)
            && let Some(set) = self.by_key.get_mut(&k)
        {
            set.remove(&(kind, name.to_owned()));
            if set.is_empty() {
                self.by_key.remove(&k);
            }
        }
    }
}

fn kind_static(k: &str) -> &'static str {
    KINDS.iter().copied().find(|x| *x == k).unwrap_or("other")
}

impl AviCache {
    /// Replaces the cache with what the controller holds now.
    pub async fn load(&self, avi: &AviClient, cluster: &ClusterName, tenant: &str) -> Result<()> {
        let mut fresh: BTreeMap<&'static str, BTreeMap<String, Value>> = BTreeMap::new();
        for k in [
            kind::VIRTUALSERVICE,
            kind::POOL,
            kind::L4POLICYSET,
            kind::SSLKEYANDCERTIFICATE,
            kind::POOLGROUP,
            kind::VSDATASCRIPTSET,
            kind::HTTPPOLICYSET,
        ] {
            let q = ListQuery {
                include_name: true,
                ..ListQuery::created_by(cluster.created_by())
            };
            let items: Vec<Value> = avi.list(k, &q, Some(tenant)).await?;
            fresh.insert(k, by_name(items));
        }
        let q = ListQuery {
            include_name: true,
            ..ListQuery::name_prefix(cluster.prefix())
        };
        let vips: Vec<Value> = avi.list(kind::VSVIP, &q, Some(tenant)).await?;
        let ours = vips
            .into_iter()
            .filter(|v| marker(v, MarkerKey::ClusterName) == Some(cluster.as_str()));
        fresh.insert(kind::VSVIP, by_name(ours));
        let mut inner = Inner::default();
        for (k, objs) in &fresh {
            for (n, v) in objs {
                inner.index(k, n, v);
            }
        }
        inner.objects = fresh;
        *self.inner.lock() = inner;
        Ok(())
    }

    pub fn get(&self, kind: &str, name: &str) -> Option<Value> {
        let g = self.inner.lock();
        g.objects.get(kind).and_then(|m| m.get(name)).cloned()
    }

    pub fn put(&self, kind: &str, obj: Value) {
        let Some(name) = obj.get("name").and_then(Value::as_str).map(str::to_owned) else {
            return;
        };
        let kind = kind_static(kind);
        let mut g = self.inner.lock();
        if let Some(old) = g.objects.get(kind).and_then(|m| m.get(&name)).cloned() {
            g.unindex(kind, &name, &old);
        }
        g.index(kind, &name, &obj);
        g.objects.entry(kind).or_default().insert(name, obj);
    }

    pub fn remove(&self, kind: &str, name: &str) {
        let kind = kind_static(kind);
        let mut g = self.inner.lock();
        if let Some(old) = g.objects.get_mut(kind).and_then(|m| m.remove(name)) {
            g.unindex(kind, name, &old);
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
            .map(|k| (*k, g.objects.get(k).map_or(0, BTreeMap::len)))
            .collect()
    }

    /// Names of one type's objects that belong to `key` (by markers; VsVips by name).
    pub fn names_of_key(&self, kind: &str, key: &Key, cluster: &ClusterName) -> Vec<String> {
        let g = self.inner.lock();
        if kind == kind::VSVIP {
            let name = vs_name(cluster, key);
            return g
                .objects
                .get(kind)
                .filter(|m| m.contains_key(&name))
                .map(|_| vec![name])
                .unwrap_or_default();
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
        g.by_key.contains_key(key)
            || g.objects
                .get(kind::VSVIP)
                .is_some_and(|m| m.contains_key(&vs_name(cluster, key)))
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
            .flat_map(BTreeMap::keys)
            .filter(|n| !known_vs_names.contains(*n))
            .cloned()
            .collect();
        (keys, orphans)
    }
}

fn by_name(items: impl IntoIterator<Item = Value>) -> BTreeMap<String, Value> {
    items
        .into_iter()
        .filter_map(|v| Some((v.get("name")?.as_str()?.to_owned(), v)))
        .collect()
}

/// The first value of a marker of an object as Avi answered it.
fn marker(v: &Value, key: MarkerKey) -> Option<&str> {
    v.get("markers")?
        .as_array()?
        .iter()
        .find(|m| m.get("key").and_then(Value::as_str) == Some(key.as_str()))?
        .get("values")?
        .get(0)?
        .as_str()
}

/// The key an owned VirtualService, Pool or L4PolicySet belongs to, from its markers.
fn key_of(v: &Value) -> Option<Key> {
    Some(match MarkedObject::read(|k| marker(v, k))? {
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
