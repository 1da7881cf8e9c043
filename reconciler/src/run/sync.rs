//! One key's Avi sync (SPEC §5, SPEC-ingress §6): create/update in the key's create order,
//! then delete what the key owns and no longer wants, referrers first. Objects already in
//! sync cost no call.

use std::collections::BTreeSet;

use avigw_shared::avi::{AviObjectRef, AviObjects, VsVip, kind};
use avigw_shared::naming::ClusterName;
use avigw_shared::translate::Key;
use serde_json::Value;

use super::actual::Actual;
use super::cache::{AviCache, vs_name};
use super::diff::object_differences;
use super::ownership::{Owners, Resolved};
use crate::avi::{AviClient, AviError};

/// The order deletes go in: referrers before what they refer to (child virtual services
/// before their parent, every virtual service before its policies, datascript, certificate
/// and VsVip, policies before pool groups, pool groups before pools).
pub const DELETE_ORDER: [&str; 8] = [
    kind::VIRTUALSERVICE,
    kind::L4POLICYSET,
    kind::HTTPPOLICYSET,
    kind::VSDATASCRIPTSET,
    kind::POOLGROUP,
    kind::POOL,
    kind::SSLKEYANDCERTIFICATE,
    kind::VSVIP,
];

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
            self.upsert(o, &mut rep).await?;
        }
        let wanted: BTreeSet<(&str, &str)> = desired.names().into_iter().collect();
        for k in DELETE_ORDER {
            let mut names = self.cache.names_of_key(k, key, self.cluster);
            // A VS/L4PolicySet without markers (hand-made) is still found by its name.
            let own = vs_name(self.cluster, key);
            if k != kind::POOL && !names.contains(&own) && self.cache.contains(k, &own) {
                names.push(own);
            }
            for (_, n) in l7_owned.iter().filter(|(ok, _)| *ok == k) {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
            if k == kind::VIRTUALSERVICE {
                let child = |n: &String| self.cache.get(k, n).is_some_and(|a| a.is_child_vs());
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

    async fn upsert(&self, o: AviObjectRef<'_>, rep: &mut SyncReport) -> Result<(), AviError> {
        let (k, name) = (o.kind(), o.name());
        match self.cache.get(k, name) {
            Some(actual) => {
                let diff = object_differences(o, &actual);
                if diff.is_empty() {
                    return Ok(());
                }
                tracing::debug!(kind = k, name, fields = ?diff, "out of sync");
                self.update(o, &actual, rep).await
            }
            None => self.create_or_take_over(o, rep).await,
        }
    }

    /// A name not in the cache: created, unless Avi already holds it; then `ownership.rs`
    /// decides (ours or `adoptFrom`: updated in place; anyone else's: `NameTaken`, no write).
    async fn create_or_take_over(&self, o: AviObjectRef<'_>, rep: &mut SyncReport) -> Result<(), AviError> {
        let (k, name) = (o.kind(), o.name());
        if self.owners.known_foreign(k, name).is_none() {
            rep.writes += 1;
            match self.avi.create::<_, Value>(k, &o, Some(self.tenant)).await {
                Ok(created) => {
                    self.keep(o, created)?;
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
                let actual = decoded(k, actual)?;
                if object_differences(o, &actual).is_empty() {
                    self.cache.put(actual);
                } else {
                    self.update(o, &actual, rep).await?;
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
        o: AviObjectRef<'_>,
        actual: &Actual,
        rep: &mut SyncReport,
    ) -> Result<(), AviError> {
        let (k, name) = (o.kind(), o.name());
        let Some(uuid) = actual.uuid() else {
            return Err(AviError::Decode {
                object: k.to_owned(),
                message: format!("{name} has no uuid"),
            });
        };
        rep.writes += 1;
        let answer = match (o, actual) {
            (AviObjectRef::VsVip(d), Actual::VsVip(a)) => {
                let body = with_allocated_ips(d, a);
                self.avi
                    .update::<_, Value>(k, uuid, &body, Some(self.tenant))
                    .await
            }
            _ => self.avi.update::<_, Value>(k, uuid, &o, Some(self.tenant)).await,
        };
        match answer {
            Ok(updated) => self.keep(o, updated),
            Err(e) => {
                if e.is_not_found() {
                    // Deleted behind our back: the next attempt creates it.
                    self.cache.remove(k, name);
                }
                Err(e)
            }
        }
    }

    /// Caches a create or update answer. Those answers leave a certificate's text out: the
    /// one sent is kept, so that the next sync compares against it.
    fn keep(&self, o: AviObjectRef<'_>, answer: Value) -> Result<(), AviError> {
        let mut actual = decoded(o.kind(), answer)?;
        if let (AviObjectRef::SslKeyAndCertificate(sent), Actual::SslKeyAndCertificate(got)) =
            (o, &mut actual)
            && got.certificate.certificate.is_empty()
        {
            got.certificate
                .certificate
                .clone_from(&sent.certificate.certificate);
        }
        self.cache.put(actual);
        Ok(())
    }

    async fn delete(&self, k: &'static str, name: &str, rep: &mut SyncReport) -> Result<(), AviError> {
        let Some(uuid) = self.cache.uuid(k, name) else {
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

fn decoded(k: &str, answer: Value) -> Result<Actual, AviError> {
    Actual::from_answer(k, answer).map_err(|e| AviError::Decode {
        object: k.to_owned(),
        message: e.to_string(),
    })
}

/// An auto-allocated VIP is not in the desired object; sending the VsVip without it would
/// read as a request for a new address.
fn with_allocated_ips(desired: &VsVip, actual: &VsVip) -> VsVip {
    let mut body = desired.clone();
    for d in &mut body.vip {
        if d.ip_address.is_some() {
            continue;
        }
        if let Some(a) = actual.vip.iter().find(|a| a.vip_id == d.vip_id) {
            d.ip_address.clone_from(&a.ip_address);
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vsvip_update_keeps_the_allocated_address() {
        let vsvip = |v: serde_json::Value| -> VsVip { serde_json::from_value(v).unwrap() };
        let desired = vsvip(
            json!({"name": "v", "vip": [{"vip_id": "0", "auto_allocate_ip": true}],
            "dns_info": [{"fqdn": "new.example.com"}]}),
        );
        let actual = vsvip(
            json!({"name": "v", "vip": [{"vip_id": "0", "auto_allocate_ip": true,
            "ip_address": {"addr": "10.50.0.7", "type": "V4"}}]}),
        );
        let body = with_allocated_ips(&desired, &actual);
        assert_eq!(body.address(), Some("10.50.0.7"));
        assert_eq!(body.dns_info, desired.dns_info);
        // A preferred address in the desired object is never replaced.
        let preferred = vsvip(json!({"name": "v",
            "vip": [{"vip_id": "0", "ip_address": {"addr": "10.50.0.9", "type": "V4"}}]}));
        assert_eq!(
            with_allocated_ips(&preferred, &actual).address(),
            Some("10.50.0.9")
        );
        // Another VIP's address is not taken.
        let other = vsvip(json!({"name": "v", "vip": [{"vip_id": "1", "auto_allocate_ip": true}]}));
        assert_eq!(with_allocated_ips(&other, &actual).address(), None);
    }
}
