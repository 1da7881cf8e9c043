//! One key's Avi sync (SPEC §5): create/update VsVip → Pools → L4PolicySet → VirtualService,
//! then delete what the key owns and no longer wants in reverse order. Objects already in
//! sync cost no call.

use std::collections::BTreeSet;

use avigw_shared::avi::{AviObjects, kind};
use avigw_shared::naming::ClusterName;
use avigw_shared::translate::Key;
use serde::Serialize;
use serde_json::Value;

use super::cache::{AviCache, vs_name};
use super::diff::in_sync;
use crate::avi::{AviClient, AviError};

/// What a sync did.
#[derive(Debug, Default)]
pub struct SyncReport {
    pub writes: usize,
    pub created: Vec<(String, String)>,
    pub deleted: Vec<(String, String)>,
}

pub struct Syncer<'a> {
    pub avi: &'a AviClient,
    pub cache: &'a AviCache,
    pub cluster: &'a ClusterName,
    pub tenant: &'a str,
}

impl Syncer<'_> {
    pub async fn sync(&self, key: &Key, desired: &AviObjects) -> Result<SyncReport, AviError> {
        let mut rep = SyncReport::default();
        if let Some(v) = &desired.vsvip {
            self.upsert(kind::VSVIP, v, &mut rep).await?;
        }
        for p in &desired.pools {
            self.upsert(kind::POOL, p, &mut rep).await?;
        }
        if let Some(l) = &desired.l4policyset {
            self.upsert(kind::L4POLICYSET, l, &mut rep).await?;
        }
        if let Some(vs) = &desired.virtualservice {
            self.upsert(kind::VIRTUALSERVICE, vs, &mut rep).await?;
        }
        let wanted: BTreeSet<(&str, &str)> = desired.names().into_iter().collect();
        // Reverse order: the virtual service first, so nothing refers to what goes next.
        for k in [kind::VIRTUALSERVICE, kind::L4POLICYSET, kind::POOL, kind::VSVIP] {
            let mut names = self.cache.names_of_key(k, key, self.cluster);
            // A VS/L4PolicySet without markers (hand-made) is still found by its name.
            let own = vs_name(self.cluster, key);
            if k != kind::POOL && !names.contains(&own) && self.cache.get(k, &own).is_some() {
                names.push(own);
            }
            for n in names {
                if !wanted.contains(&(k, n.as_str())) {
                    self.delete(k, &n, &mut rep).await?;
                }
            }
        }
        Ok(rep)
    }

    async fn upsert<T: Serialize>(
        &self,
        k: &'static str,
        obj: &T,
        rep: &mut SyncReport,
    ) -> Result<(), AviError> {
        let desired = serde_json::to_value(obj).map_err(|e| AviError::Decode {
            object: k.to_owned(),
            message: e.to_string(),
        })?;
        let name = desired
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        match self.cache.get(k, &name) {
            Some(actual) if in_sync(k, &desired, &actual) => Ok(()),
            Some(actual) => {
                tracing::debug!(kind = k, name, desired = %desired, actual = %actual, "out of sync");
                self.update(k, &name, desired, &actual, rep).await
            }
            None => {
                rep.writes += 1;
                match self.avi.create::<_, Value>(k, &desired, Some(self.tenant)).await {
                    Ok(created) => {
                        self.cache.put(k, created);
                        rep.created.push((k.to_owned(), name));
                        Ok(())
                    }
                    // Someone (an earlier run, a cache gone stale) has it: read and update.
                    Err(AviError::Conflict { .. }) => {
                        let Some(actual) = self.avi.get_by_name::<Value>(k, &name, Some(self.tenant)).await?
                        else {
                            return Err(AviError::Conflict {
                                object: k.to_owned(),
                                message: format!("{name} exists but cannot be read"),
                            });
                        };
                        self.cache.put(k, actual.clone());
                        if in_sync(k, &desired, &actual) {
                            return Ok(());
                        }
                        self.update(k, &name, desired, &actual, rep).await
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }

    async fn update(
        &self,
        k: &'static str,
        name: &str,
        mut desired: Value,
        actual: &Value,
        rep: &mut SyncReport,
    ) -> Result<(), AviError> {
        let Some(uuid) = actual.get("uuid").and_then(Value::as_str) else {
            return Err(AviError::Decode {
                object: k.to_owned(),
                message: format!("{name} has no uuid"),
            });
        };
        if k == kind::VSVIP {
            keep_allocated_ips(&mut desired, actual);
        }
        rep.writes += 1;
        match self
            .avi
            .update::<_, Value>(k, uuid, &desired, Some(self.tenant))
            .await
        {
            Ok(updated) => {
                self.cache.put(k, updated);
                Ok(())
            }
            Err(e) => {
                if e.is_not_found() {
                    // Deleted behind our back: the next attempt creates it.
                    self.cache.remove(k, name);
                }
                Err(e)
            }
        }
    }

    async fn delete(&self, k: &'static str, name: &str, rep: &mut SyncReport) -> Result<(), AviError> {
        let Some(uuid) = self
            .cache
            .get(k, name)
            .and_then(|v| v.get("uuid").and_then(Value::as_str).map(str::to_owned))
        else {
            return Ok(());
        };
        rep.writes += 1;
        match self.avi.delete(k, &uuid, Some(self.tenant)).await {
            Ok(()) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
        self.cache.remove(k, name);
        rep.deleted.push((k.to_owned(), name.to_owned()));
        Ok(())
    }

    /// Deletes one VsVip by name (garbage collection of VIPs no key claims).
    pub async fn delete_vsvip(&self, name: &str) -> Result<(), AviError> {
        let mut rep = SyncReport::default();
        self.delete(kind::VSVIP, name, &mut rep).await
    }
}

/// An auto-allocated VIP is not in the desired object; sending the VsVip without it would
/// read as a request for a new address.
fn keep_allocated_ips(desired: &mut Value, actual: &Value) {
    let (Some(dv), Some(av)) = (
        desired.get_mut("vip").and_then(Value::as_array_mut),
        actual.get("vip").and_then(Value::as_array),
    ) else {
        return;
    };
    for d in dv.iter_mut() {
        let id = d.get("vip_id").cloned();
        if d.get("ip_address").is_some() {
            continue;
        }
        if let Some(a) = av.iter().find(|a| a.get("vip_id") == id.as_ref())
            && let (Some(ip), Some(obj)) = (a.get("ip_address"), d.as_object_mut())
        {
            obj.insert("ip_address".into(), ip.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vsvip_update_keeps_the_allocated_address() {
        let mut desired = json!({"name": "v", "vip": [{"vip_id": "0", "auto_allocate_ip": true}],
            "dns_info": [{"fqdn": "new.example.com"}]});
        let actual = json!({"name": "v", "vip": [{"vip_id": "0", "auto_allocate_ip": true,
            "ip_address": {"addr": "10.50.0.7", "type": "V4"}}]});
        keep_allocated_ips(&mut desired, &actual);
        assert_eq!(desired["vip"][0]["ip_address"]["addr"], "10.50.0.7");
        // A preferred address in the desired object is never replaced.
        let mut preferred =
            json!({"vip": [{"vip_id": "0", "ip_address": {"addr": "10.50.0.9", "type": "V4"}}]});
        keep_allocated_ips(&mut preferred, &actual);
        assert_eq!(preferred["vip"][0]["ip_address"]["addr"], "10.50.0.9");
    }
}
