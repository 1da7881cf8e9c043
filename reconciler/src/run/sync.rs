//! One key's Avi sync (SPEC §5, SPEC-ingress §6): create/update in the key's create order,
//! then delete what the key owns and no longer wants, referrers first. Objects already in
//! sync cost no call.

use std::collections::BTreeSet;

use avigw_shared::avi::{AviObjectRef, AviObjects, VS_TYPE_VH_CHILD, kind};
use avigw_shared::naming::ClusterName;
use avigw_shared::translate::Key;
use serde::Serialize;
use serde_json::Value;

use super::cache::{AviCache, vs_name};
use super::diff::in_sync;
use super::ownership::{Owners, Resolved};
use crate::avi::{AviClient, AviError};

/// What a sync did.
#[derive(Debug, Default)]
pub struct SyncReport {
    pub writes: usize,
    pub created: Vec<(String, String)>,
    pub deleted: Vec<(String, String)>,
    /// Taken over in place from an `adoptFrom` creator: (type, name, creator).
    pub adopted: Vec<(String, String, String)>,
}

pub struct Syncer<'a> {
    pub avi: &'a AviClient,
    pub cache: &'a AviCache,
    pub owners: &'a Owners,
    pub cluster: &'a ClusterName,
    pub tenant: &'a str,
}

impl Syncer<'_> {
    /// Creates/updates `desired` in create order (L4: SPEC §5; Ingress: SPEC-ingress §6), then
    /// deletes what the key owns and no longer wants, referrers first. `l7_owned` lists an
    /// Ingress key's objects on Avi (`l7_owner.rs`; empty for L4 keys).
    pub async fn sync(
        &self,
        key: &Key,
        desired: &AviObjects,
        l7_owned: &[(&'static str, String)],
    ) -> Result<SyncReport, AviError> {
        let mut rep = SyncReport::default();
        for o in desired.create_order() {
            self.upsert(o.kind(), &o, &mut rep).await?;
            // Create and update answers leave the certificate text out: keep the one sent,
            // so that the next sync compares against it.
            if let AviObjectRef::SslKeyAndCertificate(c) = o
                && let Some(mut cached) = self.cache.get(kind::SSLKEYANDCERTIFICATE, &c.name)
                && cached.pointer("/certificate/certificate").is_none()
                && let Some(obj) = cached.as_object_mut()
            {
                let cert = obj
                    .entry("certificate")
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Some(cert) = cert.as_object_mut() {
                    cert.insert(
                        "certificate".into(),
                        Value::from(c.certificate.certificate.clone()),
                    );
                }
                self.cache.put(kind::SSLKEYANDCERTIFICATE, cached);
            }
        }
        let wanted: BTreeSet<(&str, &str)> = desired.names().into_iter().collect();
        // Referrers before what they refer to: child virtual services before their parent,
        // every virtual service before its policies, datascript, certificate and VsVip,
        // policies before pool groups, pool groups before pools.
        for k in [
            kind::VIRTUALSERVICE,
            kind::L4POLICYSET,
            kind::HTTPPOLICYSET,
            kind::VSDATASCRIPTSET,
            kind::POOLGROUP,
            kind::POOL,
            kind::SSLKEYANDCERTIFICATE,
            kind::VSVIP,
        ] {
            let mut names = self.cache.names_of_key(k, key, self.cluster);
            // A VS/L4PolicySet without markers (hand-made) is still found by its name.
            let own = vs_name(self.cluster, key);
            if k != kind::POOL && !names.contains(&own) && self.cache.get(k, &own).is_some() {
                names.push(own);
            }
            names.extend(
                l7_owned
                    .iter()
                    .filter(|(ok, n)| *ok == k && !names.contains(n))
                    .map(|(_, n)| n.clone())
                    .collect::<Vec<_>>(),
            );
            if k == kind::VIRTUALSERVICE {
                let child = |n: &String| {
                    self.cache
                        .get(k, n)
                        .is_some_and(|v| v.get("type").and_then(Value::as_str) == Some(VS_TYPE_VH_CHILD))
                };
                names.sort_by_key(|n| !child(n));
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
                tracing::debug!(kind = k, name, desired = %shown(&desired), actual = %actual, "out of sync");
                self.update(k, &name, desired, &actual, rep).await
            }
            None => self.create_or_take_over(k, &name, desired, rep).await,
        }
    }

    /// A name not in the cache: created, unless Avi already holds it; then `ownership.rs`
    /// decides (ours or `adoptFrom`: updated in place; anyone else's: `NameTaken`, no write).
    async fn create_or_take_over(
        &self,
        k: &'static str,
        name: &str,
        desired: Value,
        rep: &mut SyncReport,
    ) -> Result<(), AviError> {
        if self.owners.known_foreign(k, name).is_none() {
            rep.writes += 1;
            match self.avi.create::<_, Value>(k, &desired, Some(self.tenant)).await {
                Ok(created) => {
                    self.cache.put(k, created);
                    rep.created.push((k.to_owned(), name.to_owned()));
                    return Ok(());
                }
                Err(AviError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        match self.owners.resolve(self.avi, self.tenant, k, name).await? {
            Resolved::Gone => Err(AviError::Conflict {
                object: k.to_owned(),
                message: format!("{name} was taken and is gone; it is created on the next try"),
            }),
            Resolved::Update { actual, adopted_from } => {
                if let Some(from) = &adopted_from {
                    tracing::info!(kind = k, name, from = %from, "adopting in place");
                }
                if in_sync(k, &desired, &actual) {
                    self.cache.put(k, actual);
                } else {
                    self.update(k, name, desired, &actual, rep).await?;
                }
                self.owners.taken_over(k, name);
                if let Some(from) = adopted_from {
                    rep.adopted.push((k.to_owned(), name.to_owned(), from));
                }
                Ok(())
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

/// An object as it may be logged: a private key never is.
fn shown(desired: &Value) -> Value {
    let mut v = desired.clone();
    if let Some(key) = v.get_mut("key") {
        *key = Value::from(avigw_shared::avi::REDACTED);
    }
    v
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
