//! One key, end to end. A key that is ours is applied: finalizer, Avi objects, then what
//! Kubernetes shows of them. One that is not (any more) is cleaned up: its Avi objects go,
//! Kubernetes is told, then the finalizer is released. Both steps end in a result; the error
//! policy (`error_policy.rs`) alone decides when a failed key is tried again.

use avigw_shared::api::Gateway;
use avigw_shared::avi::{AviObjects, kind};
use std::collections::BTreeSet;

use avigw_shared::translate::{GatewayStatusMemo, Key, KeyPlan, ObjKey, Ownership, translate_key};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::Controller;
use super::error_policy::{Attempt, Failure};
use super::finalizer::{self, Held, carries};
use super::sync::{SyncReport, Syncer};
use crate::avi::AviError;

/// A key as the snapshot holds it now: its translation and the object it is about.
pub(super) struct KeyView {
    pub key: Key,
    pub plan: KeyPlan,
    pub object: Option<KeyObject>,
    /// Ingress keys: the Ingresses on the key now or at its last translation, whose status and
    /// events follow its sync.
    pub ingresses: BTreeSet<ObjKey>,
}

/// The Kubernetes object of a key (a Gateway with what its status was when last seen).
pub(super) enum KeyObject {
    Gateway(Box<Gateway>, Option<GatewayStatusMemo>),
    Service(Box<Service>),
}

impl KeyObject {
    pub fn held(&self) -> Held {
        match self {
            KeyObject::Gateway(..) => Held::Gateway,
            KeyObject::Service(_) => Held::Service,
        }
    }

    pub fn meta(&self) -> &ObjectMeta {
        match self {
            KeyObject::Gateway(g, _) => &g.metadata,
            KeyObject::Service(s) => &s.metadata,
        }
    }
}

/// What the Avi step of a key ended with.
pub(super) type AviStep = Result<SyncReport, Failure>;

impl Controller {
    /// Processes one key.
    pub(super) async fn reconcile(&self, key: &Key, attempt: Attempt) -> Result<(), Failure> {
        let view = self.view(key);
        match view.plan.ownership {
            Ownership::Ours => self.apply(&view, attempt).await,
            Ownership::Unclaimed | Ownership::NotOurs => self.cleanup(&view, attempt).await,
        }
    }

    fn view(&self, key: &Key) -> KeyView {
        let snap = self.shared.snap.read();
        let object = match key {
            Key::Gateway(k) => snap
                .gateway(k)
                .map(|g| KeyObject::Gateway(Box::new(g.clone()), snap.gateway_status(k).cloned())),
            Key::Service(k) => snap.service(k).map(|s| KeyObject::Service(Box::new(s.clone()))),
            // An Ingress key is a shared or dedicated virtual service, not one object.
            Key::L7(_) => {
                let l7 = self.l7_plan(&snap, key);
                return KeyView {
                    key: key.clone(),
                    plan: l7.plan,
                    object: None,
                    ingresses: l7.ingresses,
                };
            }
        };
        KeyView {
            key: key.clone(),
            plan: translate_key(&self.ctx, &snap, key),
            object,
            ingresses: BTreeSet::new(),
        }
    }

    /// Ours: the finalizer goes on before any Avi object exists (so deletion always cleans
    /// up), then the Avi objects, then status, ingress and events.
    async fn apply(&self, v: &KeyView, attempt: Attempt) -> Result<(), Failure> {
        self.hold(v).await?;
        let avi = self.sync_avi(&v.key, &v.plan.avi, attempt).await;
        let reported = self.report(v, &avi, attempt).await;
        avi?;
        reported
    }

    /// Not ours (any more): the Avi objects go first, then Kubernetes hears of it, and only
    /// then is the finalizer released.
    async fn cleanup(&self, v: &KeyView, attempt: Attempt) -> Result<(), Failure> {
        self.note_legacy_hold(v);
        let avi = self.sync_avi(&v.key, &AviObjects::default(), attempt).await;
        let reported = self.report(v, &avi, attempt).await;
        avi?;
        reported?;
        // A class-less Gateway may still become ours: it keeps the finalizer.
        if v.plan.ownership == Ownership::NotOurs {
            self.release(v).await?;
        }
        Ok(())
    }

    /// Adds this install's finalizer to an object it is about to put on Avi, replacing the
    /// finalizer of earlier releases in the same write.
    async fn hold(&self, v: &KeyView) -> Result<(), Failure> {
        let Some(obj) = &v.object else { return Ok(()) };
        let names = self.finalizers.of(obj.held());
        let meta = obj.meta();
        if v.plan.avi.is_empty() && !carries(meta, names.legacy) {
            return Ok(());
        }
        let current = meta.finalizers.clone().unwrap_or_default();
        if let Some(next) = finalizer::hold(&current, names) {
            self.write_finalizers(obj, next).await?;
        }
        // Held under this install's own name now.
        self.legacy_holds.lock().remove(&v.key);
        Ok(())
    }

    /// Releases this install's finalizer once Avi holds nothing of the key (and the legacy one
    /// when this install held the object under it).
    async fn release(&self, v: &KeyView) -> Result<(), Failure> {
        let Some(obj) = &v.object else {
            self.legacy_holds.lock().remove(&v.key);
            return Ok(());
        };
        let names = self.finalizers.of(obj.held());
        let legacy = self.legacy_holds.lock().contains(&v.key);
        let current = obj.meta().finalizers.clone().unwrap_or_default();
        if let Some(next) = finalizer::release(&current, names, legacy) {
            self.write_finalizers(obj, next).await?;
        }
        self.legacy_holds.lock().remove(&v.key);
        Ok(())
    }

    /// An object of an earlier release whose Avi objects this install holds was held by it
    /// under the legacy finalizer: remember to release that one too, even after the Avi
    /// objects are gone (a retry of the release no longer sees them).
    fn note_legacy_hold(&self, v: &KeyView) {
        if v.object
            .as_ref()
            .is_some_and(|o| carries(o.meta(), self.finalizers.of(o.held()).legacy))
            && self.cache.holds(&v.key, &self.ctx.cluster)
        {
            self.legacy_holds.lock().insert(v.key.clone());
        }
    }

    /// Whether the object still carries a finalizer of this install (it was ours until now).
    pub(super) fn holds(&self, v: &KeyView) -> bool {
        let Some(obj) = &v.object else { return false };
        carries(obj.meta(), self.finalizers.of(obj.held()).mine) || self.legacy_holds.lock().contains(&v.key)
    }

    async fn write_finalizers(&self, obj: &KeyObject, next: Vec<String>) -> Result<(), Failure> {
        match obj {
            KeyObject::Gateway(g, _) => self.writer.finalizers(g.as_ref(), next).await?,
            KeyObject::Service(s) => self.writer.finalizers(s.as_ref(), next).await?,
        }
        Ok(())
    }

    /// Makes Avi hold exactly `desired` of the key. A VIP Avi refused stays refused, without
    /// a call, until the key's desired objects change.
    async fn sync_avi(&self, key: &Key, desired: &AviObjects, attempt: Attempt) -> AviStep {
        let fingerprint = serde_json::to_string(desired).unwrap_or_default();
        if let Some((fp, message)) = self.blocked.lock().get(key)
            && *fp == fingerprint
        {
            return Err(Failure::InvalidAddress {
                message: message.clone(),
                repeated: true,
            });
        }
        let syncer = Syncer {
            avi: &self.avi,
            cache: &self.cache,
            owners: &self.owners,
            cluster: &self.ctx.cluster,
            tenant: &self.ctx.tenant,
        };
        let l7_owned = match key {
            Key::L7(k) => {
                let snap = self.shared.snap.read();
                self.cache
                    .l7(|i| i.owned(&self.ctx.cluster, k, |infra, host| snap.l7_key(host, infra)))
            }
            _ => Vec::new(),
        };
        match syncer.sync(key, desired, &l7_owned).await {
            Ok(report) => {
                self.blocked.lock().remove(key);
                if report.writes > 0 {
                    self.metrics
                        .sync_lag
                        .observe(attempt.since.elapsed().as_secs_f64());
                }
                Ok(report)
            }
            Err(e @ (AviError::VipChange { .. } | AviError::NoFreeIps { .. })) => {
                let message = e.to_string();
                tracing::warn!(%key, error = %message, "Avi refused the VIP");
                self.blocked
                    .lock()
                    .insert(key.clone(), (fingerprint, message.clone()));
                Err(Failure::InvalidAddress {
                    message,
                    repeated: false,
                })
            }
            Err(e) => {
                tracing::warn!(%key, error = %e, "Avi sync failed");
                Err(Failure::Avi(e))
            }
        }
    }

    /// The VIP once Avi holds the key's virtual service and its VsVip has an address.
    pub(super) fn placed_vip(&self, desired: &AviObjects) -> Option<String> {
        let vs = desired.virtualservice.as_ref()?;
        if !self.cache.contains(kind::VIRTUALSERVICE, &vs.name) {
            return None;
        }
        self.cache.vsvip_address(&desired.vsvip.as_ref()?.name)
    }

    /// Counts per Avi object type, after a key changed them.
    pub(super) fn count_managed_objects(&self) {
        for (k, n) in self.cache.counts() {
            self.metrics
                .managed_objects
                .with_label_values(&[k])
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }
}
