//! The object store: records by uuid, creation order per type, a name index, tenant
//! visibility, the generic "who refers to this" scan, and the VIP allocator (kept here so an
//! object write and its address allocation happen under one lock).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::kinds::{self, Kind};
use crate::refs;
use crate::vip::VipAllocator;

pub const ADMIN_TENANT: &str = "admin";

#[derive(Debug, Clone)]
pub struct Record {
    pub kind: &'static Kind,
    pub uuid: String,
    pub name: String,
    /// Tenant uuid.
    pub tenant: String,
    /// Cloud uuid, for cloud-scoped types.
    pub cloud: Option<String>,
    /// Stored fields, references in canonical `/api/<type>/<uuid>` form.
    pub body: Map<String, Value>,
    /// Fields shown on reads but not in create/update answers (runtime state).
    pub runtime: Map<String, Value>,
    pub last_modified: Option<u64>,
    /// A private key (SSLKeyAndCertificate `key`): kept out of `body` so no read, filter or
    /// dump can return it.
    pub secret: Option<String>,
    seq: u64,
    pub readonly: bool,
}

impl Record {
    pub fn new(kind: &'static Kind, uuid: String, name: String, tenant: String) -> Self {
        Self {
            kind,
            uuid,
            name,
            tenant,
            cloud: None,
            body: Map::new(),
            runtime: Map::new(),
            last_modified: None,
            secret: None,
            seq: 0,
            readonly: false,
        }
    }

    /// Creation order.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    pub fn created_by(&self) -> Option<&str> {
        self.body.get("created_by").and_then(Value::as_str)
    }
}

/// Which tenant a request acts in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantScope {
    One(String),
    /// `X-Avi-Tenant: *`: read across tenants.
    All,
}

impl TenantScope {
    /// The tenant new objects go to.
    pub fn write_tenant(&self) -> &str {
        match self {
            TenantScope::One(t) => t,
            TenantScope::All => ADMIN_TENANT,
        }
    }
}

pub fn visible(rec: &Record, scope: &TenantScope) -> bool {
    match scope {
        TenantScope::All => true,
        TenantScope::One(t) => {
            rec.kind.name == "tenant" || rec.tenant == *t || (rec.kind.shared && rec.tenant == ADMIN_TENANT)
        }
    }
}

fn vsvip_ref(rec: &Record) -> Option<&str> {
    if rec.kind.name != "virtualservice" {
        return None;
    }
    rec.body.get("vsvip_ref").and_then(Value::as_str)
}

#[derive(Debug, Default)]
pub struct Store {
    records: HashMap<String, Record>,
    order: HashMap<&'static str, BTreeMap<u64, String>>,
    names: HashMap<(&'static str, String), Vec<String>>,
    /// VirtualServices by the VsVip ref they hold (seq → uuid), so a VsVip's `vs_refs` is a
    /// lookup rather than a scan of every VirtualService.
    vs_by_vsvip: HashMap<String, BTreeMap<u64, String>>,
    seq: u64,
    last_modified: u64,
    pub vips: VipAllocator,
}

impl Store {
    pub fn get(&self, uuid: &str) -> Option<&Record> {
        self.records.get(uuid)
    }

    pub fn get_visible(&self, kind: &str, uuid: &str, scope: &TenantScope) -> Option<&Record> {
        self.records
            .get(uuid)
            .filter(|r| r.kind.name == kind && visible(r, scope))
    }

    /// Objects of `kind` named `name` that `scope` can see, own tenant first.
    pub fn by_name(&self, kind: &str, name: &str, scope: &TenantScope) -> Vec<&Record> {
        let Some(k) = kinds::kind(kind) else {
            return vec![];
        };
        let mut out: Vec<&Record> = self
            .names
            .get(&(k.name, name.to_string()))
            .into_iter()
            .flatten()
            .filter_map(|u| self.records.get(u))
            .filter(|r| visible(r, scope))
            .collect();
        if let TenantScope::One(t) = scope {
            out.sort_by_key(|r| (r.tenant != *t, r.seq));
        }
        out
    }

    /// All objects of `kind`, in creation order.
    pub fn list<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Record> + 'a {
        self.order
            .get(kind)
            .into_iter()
            .flat_map(|m| m.values())
            .filter_map(|u| self.records.get(u))
    }

    pub fn all(&self) -> impl Iterator<Item = &Record> {
        kinds::KINDS.iter().flat_map(|k| self.list(k.name))
    }

    pub fn contains(&self, uuid: &str) -> bool {
        self.records.contains_key(uuid)
    }

    /// A strictly increasing `_last_modified` (microseconds), even within one microsecond.
    pub fn next_last_modified(&mut self) -> u64 {
        let now = crate::timefmt::now_micros();
        self.last_modified = now.max(self.last_modified + 1);
        self.last_modified
    }

    pub fn insert(&mut self, mut rec: Record) {
        self.seq += 1;
        rec.seq = self.seq;
        self.add(rec);
    }

    /// Replaces a stored record (same uuid), keeping its creation order.
    pub fn replace(&mut self, mut rec: Record) {
        if let Some(old) = self.remove_indexes(&rec.uuid) {
            rec.seq = old.seq;
            self.add(rec);
        } else {
            self.insert(rec);
        }
    }

    /// The VirtualServices whose `vsvip_ref` is `vsvip` (a canonical ref), in creation order.
    pub fn virtualservices_on<'a>(&'a self, vsvip: &str) -> impl Iterator<Item = &'a Record> + 'a {
        self.vs_by_vsvip
            .get(vsvip)
            .into_iter()
            .flat_map(|m| m.values())
            .filter_map(|u| self.records.get(u))
    }

    fn add(&mut self, rec: Record) {
        self.order
            .entry(rec.kind.name)
            .or_default()
            .insert(rec.seq, rec.uuid.clone());
        self.names
            .entry((rec.kind.name, rec.name.clone()))
            .or_default()
            .push(rec.uuid.clone());
        if let Some(vsvip) = vsvip_ref(&rec) {
            self.vs_by_vsvip
                .entry(vsvip.to_owned())
                .or_default()
                .insert(rec.seq, rec.uuid.clone());
        }
        self.records.insert(rec.uuid.clone(), rec);
    }

    fn remove_indexes(&mut self, uuid: &str) -> Option<Record> {
        let rec = self.records.remove(uuid)?;
        if let Some(m) = self.order.get_mut(rec.kind.name) {
            m.remove(&rec.seq);
        }
        if let Some(vsvip) = vsvip_ref(&rec)
            && let Some(m) = self.vs_by_vsvip.get_mut(vsvip)
        {
            m.remove(&rec.seq);
            if m.is_empty() {
                self.vs_by_vsvip.remove(vsvip);
            }
        }
        let key = (rec.kind.name, rec.name.clone());
        if let Some(v) = self.names.get_mut(&key) {
            v.retain(|u| u != uuid);
            if v.is_empty() {
                self.names.remove(&key);
            }
        }
        Some(rec)
    }

    pub fn remove(&mut self, uuid: &str) -> Option<Record> {
        let rec = self.remove_indexes(uuid)?;
        self.vips.release_owner(uuid);
        Some(rec)
    }

    /// Objects holding any `*_ref`/`*_refs` to `uuid` (other than itself), for in-use checks.
    pub fn referrers(&self, uuid: &str) -> Vec<&Record> {
        let mut out: Vec<&Record> = self
            .records
            .values()
            .filter(|r| r.uuid != uuid)
            .filter(|r| {
                let mut hit = false;
                for v in r.body.values() {
                    refs::for_each_ref(v, &mut |s| {
                        if refs::split_canonical(s).is_some_and(|(_, u)| u == uuid) {
                            hit = true;
                        }
                    });
                }
                // Top-level keys are refs too (`vsvip_ref`), which for_each_ref on values misses.
                hit || r.body.iter().any(|(k, v)| {
                    refs::is_ref_key(k) && ref_values(v).any(|s| canonical_uuid(s) == Some(uuid))
                })
            })
            .collect();
        out.sort_by_key(|r| r.seq);
        out
    }

    /// Duplicate check: same type, name, tenant and (for cloud-scoped types) cloud.
    pub fn duplicate_of(
        &self,
        kind: &'static Kind,
        name: &str,
        tenant: &str,
        cloud: Option<&str>,
        except: Option<&str>,
    ) -> Option<&Record> {
        self.names
            .get(&(kind.name, name.to_string()))
            .into_iter()
            .flatten()
            .filter(|u| Some(u.as_str()) != except)
            .filter_map(|u| self.records.get(u))
            .find(|r| r.tenant == tenant && (!kind.cloud_scoped || r.cloud.as_deref() == cloud))
    }

    /// Removes every object that is not seeded (for `/_sim/reset`).
    pub fn clear_user_objects(&mut self) {
        let ids: Vec<String> = self
            .records
            .values()
            .filter(|r| !r.readonly)
            .map(|r| r.uuid.clone())
            .collect();
        for id in ids {
            self.remove(&id);
        }
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

fn ref_values(v: &Value) -> Box<dyn Iterator<Item = &str> + '_> {
    match v {
        Value::String(s) => Box::new(std::iter::once(s.as_str())),
        Value::Array(a) => Box::new(a.iter().filter_map(Value::as_str)),
        _ => Box::new(std::iter::empty()),
    }
}

fn canonical_uuid(s: &str) -> Option<&str> {
    refs::split_canonical(s).map(|(_, u)| u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(kind: &str, uuid: &str, name: &str, tenant: &str) -> Record {
        Record::new(
            kinds::kind(kind).unwrap(),
            uuid.into(),
            name.into(),
            tenant.into(),
        )
    }

    #[test]
    fn name_index_follows_renames_and_deletes() {
        let mut s = Store::default();
        s.insert(rec("pool", "pool-1", "a", "admin"));
        let scope = TenantScope::One("admin".into());
        assert_eq!(s.by_name("pool", "a", &scope).len(), 1);
        let mut r = s.get("pool-1").unwrap().clone();
        r.name = "b".into();
        s.replace(r);
        assert!(s.by_name("pool", "a", &scope).is_empty());
        assert_eq!(s.by_name("pool", "b", &scope).len(), 1);
        s.remove("pool-1");
        assert!(s.by_name("pool", "b", &scope).is_empty());
        assert_eq!(s.list("pool").count(), 0);
    }

    #[test]
    fn virtual_services_are_found_by_their_vsvip_through_replace_and_remove() {
        let mut s = Store::default();
        let vs = |uuid: &str, vip: &str| {
            let mut r = rec("virtualservice", uuid, uuid, "admin");
            r.body
                .insert("vsvip_ref".into(), json!(format!("/api/vsvip/{vip}")));
            r
        };
        let on = |s: &Store, vip: &str| -> Vec<String> {
            s.virtualservices_on(&format!("/api/vsvip/{vip}"))
                .map(|r| r.uuid.clone())
                .collect()
        };
        s.insert(vs("vs-1", "vip-1"));
        s.insert(vs("vs-2", "vip-2"));
        s.insert(vs("vs-3", "vip-1"));
        s.insert(rec("pool", "pool-1", "p", "admin"));
        assert_eq!(on(&s, "vip-1"), ["vs-1", "vs-3"]);
        assert_eq!(on(&s, "vip-2"), ["vs-2"]);
        s.replace(vs("vs-1", "vip-2"));
        assert_eq!(on(&s, "vip-1"), ["vs-3"]);
        assert_eq!(on(&s, "vip-2"), ["vs-1", "vs-2"], "creation order kept");
        s.remove("vs-3");
        assert!(on(&s, "vip-1").is_empty());
        let mut no_vip = rec("virtualservice", "vs-2", "vs-2", "admin");
        no_vip.body.clear();
        s.replace(no_vip);
        assert_eq!(on(&s, "vip-2"), ["vs-1"]);
    }

    #[test]
    fn tenant_visibility() {
        let mut s = Store::default();
        s.insert(rec("pool", "pool-1", "a", "tenant-x"));
        s.insert(rec("healthmonitor", "hm-1", "System-TCP", "admin"));
        let admin = TenantScope::One("admin".into());
        let x = TenantScope::One("tenant-x".into());
        assert!(s.get_visible("pool", "pool-1", &admin).is_none());
        assert!(s.get_visible("pool", "pool-1", &x).is_some());
        assert!(s.get_visible("healthmonitor", "hm-1", &x).is_some());
        assert!(s.get_visible("pool", "pool-1", &TenantScope::All).is_some());
    }

    #[test]
    fn referrers_found_at_any_depth() {
        let mut s = Store::default();
        s.insert(rec("pool", "pool-1", "p", "admin"));
        let mut l4 = rec("l4policyset", "l4policyset-1", "l4", "admin");
        l4.body.insert(
            "l4_connection_policy".into(),
            json!({"rules": [{"action": {"select_pool": {"pool_ref": "/api/pool/pool-1"}}}]}),
        );
        s.insert(l4);
        let mut vs = rec("virtualservice", "virtualservice-1", "vs", "admin");
        vs.body.insert("pool_ref".into(), json!("/api/pool/pool-1"));
        s.insert(vs);
        let who: Vec<_> = s.referrers("pool-1").iter().map(|r| r.uuid.clone()).collect();
        assert_eq!(who, vec!["l4policyset-1", "virtualservice-1"]);
        assert!(s.referrers("virtualservice-1").is_empty());
    }

    #[test]
    fn duplicates_scoped_by_tenant_and_cloud() {
        let mut s = Store::default();
        let mut p = rec("pool", "pool-1", "a", "admin");
        p.cloud = Some("cloud-1".into());
        s.insert(p);
        let k = kinds::kind("pool").unwrap();
        assert!(s.duplicate_of(k, "a", "admin", Some("cloud-1"), None).is_some());
        assert!(s.duplicate_of(k, "a", "admin", Some("cloud-2"), None).is_none());
        assert!(s.duplicate_of(k, "a", "t2", Some("cloud-1"), None).is_none());
        assert!(
            s.duplicate_of(k, "a", "admin", Some("cloud-1"), Some("pool-1"))
                .is_none()
        );
    }

    #[test]
    fn last_modified_strictly_increases() {
        let mut s = Store::default();
        let a = s.next_last_modified();
        let b = s.next_last_modified();
        assert!(b > a);
    }
}
