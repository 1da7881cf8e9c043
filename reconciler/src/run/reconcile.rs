//! One key, end to end: translate, finalizer, Avi sync, status, ingress, events.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use avigw_shared::api::{FINALIZER_GATEWAY, FINALIZER_SERVICE, Gateway};
use avigw_shared::avi::{AviObjects, VsVip, kind};
use avigw_shared::naming::{MarkerKey, marker_value};
use avigw_shared::translate::{
    AviOutcome, Key, KeyPlan, ObjKey, Ownership, render_gateway_status, render_ingress, translate_key,
};
use k8s_openapi::api::core::v1::Service;

use super::Controller;
use super::cache::vs_name;
use super::queue::{Retry, backoff};
use super::status::reference;
use super::sync::Syncer;
use crate::avi::AviError;

/// Retry pacing: Avi unavailable / Kubernetes write failures retry fast, other Avi refusals
/// (a 400 that needs a human) slowly.
const FAST_BASE: Duration = Duration::from_millis(500);
const FAST_CAP: Duration = Duration::from_secs(60);
const SLOW_BASE: Duration = Duration::from_secs(30);
const SLOW_CAP: Duration = Duration::from_secs(600);

enum AviResult {
    Ok {
        writes: usize,
        created_vs: bool,
        deleted_vs: bool,
        created_pools: BTreeSet<String>,
    },
    InvalidAddress(String),
    Failed {
        message: String,
        retryable: bool,
        /// Avi did not answer or answered 5xx/429: the key waits for Avi to come back.
        unavailable: bool,
    },
}

impl Controller {
    /// Processes one key; answers the delay before it must be tried again, if any.
    pub(super) async fn reconcile(&self, key: &Key, since: Instant) -> Option<Retry> {
        let started = Instant::now();
        let (plan, gateway, service) = {
            let Ok(snap) = self.shared.snap.read() else {
                return Some(Retry::after(FAST_BASE));
            };
            let plan = translate_key(&self.ctx, &snap, key);
            let gw = match key {
                Key::Gateway(k) => snap.gateway(k).cloned(),
                Key::Service(_) => None,
            };
            let svc = snap.service(key.obj()).cloned();
            (plan, gw, svc)
        };
        let mut retry: Option<Duration> = None;
        let failures = self.shared.queue.failures(key);
        let fast = || backoff(FAST_BASE, FAST_CAP, failures);

        // The finalizer goes on before any Avi object exists, so deletion always cleans up.
        if plan.ownership == Ownership::Ours && !plan.avi.is_empty() {
            let added = match (key, &gateway, &service) {
                (Key::Gateway(_), Some(g), _) => self.writer.finalizer(g, FINALIZER_GATEWAY, true).await,
                (Key::Service(_), _, Some(s)) => self.writer.finalizer(s, FINALIZER_SERVICE, true).await,
                _ => Ok(false),
            };
            if let Err(e) = added {
                tracing::warn!(%key, error = %e, "cannot add finalizer");
                return Some(Retry::after(fast()));
            }
        }

        let desired = if plan.ownership == Ownership::Ours {
            plan.avi.clone()
        } else {
            AviObjects::default()
        };
        let result = self.sync_avi(key, &desired).await;
        if let AviResult::Ok { writes, .. } = &result
            && *writes > 0
        {
            self.metrics.sync_lag.observe(since.elapsed().as_secs_f64());
        }
        let vs = vs_name(&self.ctx.cluster, key);
        let vip = self.placed_vip(&desired);
        let outcome = match (&result, &vip) {
            (AviResult::Ok { .. }, Some(v)) => AviOutcome::Placed { vip: v },
            (AviResult::Ok { .. }, None) => AviOutcome::Pending,
            (AviResult::InvalidAddress(m), _) => AviOutcome::InvalidAddress(m),
            (AviResult::Failed { message, .. }, _) => AviOutcome::AviError(message),
        };
        match &result {
            AviResult::Failed { retryable: true, .. } => retry = Some(fast()),
            AviResult::Failed { retryable: false, .. } => {
                retry = Some(backoff(SLOW_BASE, SLOW_CAP, failures))
            }
            _ => {}
        }

        // Status.
        if let (Key::Gateway(k), Some(gw), Some(sp)) = (key, &gateway, &plan.gateway_status) {
            let carries = has_finalizer(&gw.metadata, FINALIZER_GATEWAY);
            if plan.ownership != Ownership::NotOurs || carries {
                let now = jiff::Timestamp::now().to_string();
                let next = render_gateway_status(sp, outcome, &now, gw.status.as_ref());
                match self
                    .writer
                    .gateway_status(&k.namespace, &k.name, gw.status.as_ref(), &next)
                    .await
                {
                    Ok(true) if !plan.problems.is_empty() => {
                        let note = plan
                            .problems
                            .iter()
                            .map(|p| p.message.as_str())
                            .collect::<Vec<_>>()
                            .join("; ");
                        self.writer.event(reference(gw), true, "Invalid", note).await;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(%key, error = %e, "cannot write Gateway status");
                        retry = retry.or(Some(fast()));
                    }
                }
            }
        }
        if let Err(d) = self.write_ingress(key, &plan, vip.as_deref(), &vs).await {
            retry = retry.or(Some(d.max(fast())));
        }

        // Events for the key's object.
        let obj_ref = match key {
            Key::Gateway(_) => gateway.as_ref().map(reference),
            Key::Service(_) => service.as_ref().map(reference),
        };
        if let Some(r) = obj_ref {
            let name = key.obj().name.clone();
            match &result {
                AviResult::Ok { created_vs: true, .. } => {
                    self.writer
                        .event(
                            r,
                            false,
                            "Synced",
                            format!("Added virtualservice {vs} for {name}"),
                        )
                        .await;
                }
                AviResult::Ok { deleted_vs: true, .. } => {
                    self.writer
                        .event(
                            r,
                            false,
                            "Removed",
                            format!("Removed virtualservice {vs} for {name}"),
                        )
                        .await
                }
                AviResult::Failed { message, .. } if failures == 0 => {
                    self.writer.event(r, true, "AviError", message.clone()).await
                }
                AviResult::InvalidAddress(m) if failures == 0 => {
                    self.writer.event(r, true, "InvalidAddress", m.clone()).await
                }
                _ => {}
            }
        }

        // Backends that cannot carry ingress (ClusterIP/NodePort) still hear when a pool of
        // the virtual service starts fronting them; LoadBalancer ones hear it with their
        // ingress write.
        if let (Key::Gateway(_), AviResult::Ok { created_pools, .. }) = (key, &result)
            && !created_pools.is_empty()
        {
            self.backend_events(&plan, created_pools, &vs).await;
        }

        // Release the finalizer once Avi holds nothing of the key.
        if plan.ownership == Ownership::NotOurs && matches!(result, AviResult::Ok { .. }) {
            let released = match (&gateway, &service) {
                (Some(g), _) if matches!(key, Key::Gateway(_)) => {
                    self.writer
                        .finalizer::<Gateway>(g, FINALIZER_GATEWAY, false)
                        .await
                }
                (_, Some(s)) if matches!(key, Key::Service(_)) => {
                    self.writer
                        .finalizer::<Service>(s, FINALIZER_SERVICE, false)
                        .await
                }
                _ => Ok(false),
            };
            if let Err(e) = released {
                tracing::warn!(%key, error = %e, "cannot release finalizer");
                retry = retry.or(Some(fast()));
            }
        }

        let label = match (&result, retry) {
            (AviResult::Ok { .. }, None) => "success",
            (AviResult::InvalidAddress(_), _) => "invalid",
            _ => "error",
        };
        self.metrics
            .observe_reconcile(key.kind(), label, started.elapsed());
        for (k, n) in self.cache.counts() {
            self.metrics
                .managed_objects
                .with_label_values(&[k])
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        let avi_unavailable = matches!(
            result,
            AviResult::Failed {
                unavailable: true,
                ..
            }
        );
        if avi_unavailable {
            self.avi_health.mark_unavailable();
        }
        retry.map(|after| Retry {
            after,
            avi_unavailable,
        })
    }

    async fn sync_avi(&self, key: &Key, desired: &AviObjects) -> AviResult {
        let fingerprint = serde_json::to_string(desired).unwrap_or_default();
        // A VIP Avi refused stays refused until the key's desired objects change.
        if let Ok(b) = self.blocked.lock()
            && let Some((fp, msg)) = b.get(key)
            && *fp == fingerprint
        {
            return AviResult::InvalidAddress(msg.clone());
        }
        let syncer = Syncer {
            avi: &self.avi,
            cache: &self.cache,
            cluster: &self.ctx.cluster,
            tenant: &self.ctx.tenant,
        };
        match syncer.sync(key, desired).await {
            Ok(rep) => {
                if let Ok(mut b) = self.blocked.lock() {
                    b.remove(key);
                }
                let is_vs = |(k, _): &(String, String)| k == kind::VIRTUALSERVICE;
                AviResult::Ok {
                    writes: rep.writes,
                    created_vs: rep.created.iter().any(is_vs),
                    deleted_vs: rep.deleted.iter().any(is_vs),
                    created_pools: rep
                        .created
                        .iter()
                        .filter(|(k, _)| k == kind::POOL)
                        .map(|(_, n)| n.clone())
                        .collect(),
                }
            }
            Err(e @ (AviError::VipChange { .. } | AviError::NoFreeIps { .. })) => {
                let msg = e.to_string();
                tracing::warn!(%key, error = %msg, "Avi refused the VIP");
                if let Ok(mut b) = self.blocked.lock() {
                    b.insert(key.clone(), (fingerprint, msg.clone()));
                }
                AviResult::InvalidAddress(msg)
            }
            Err(e) => {
                tracing::warn!(%key, error = %e, "Avi sync failed");
                // Auth failures after the client's own re-login, 5xx, 429, timeouts, 409 races
                // and 412 are transient; a 400/403 needs a change first.
                let retryable = e.is_retryable()
                    || matches!(
                        e,
                        AviError::Auth { .. }
                            | AviError::Conflict { .. }
                            | AviError::PreconditionFailed { .. }
                            | AviError::NotFound { .. }
                            | AviError::InUse { .. }
                            | AviError::Decode { .. }
                    );
                AviResult::Failed {
                    message: e.to_string(),
                    retryable,
                    unavailable: e.is_retryable(),
                }
            }
        }
    }

    /// The VIP once Avi holds the key's virtual service and its VsVip has an address.
    fn placed_vip(&self, desired: &AviObjects) -> Option<String> {
        let vs = desired.virtualservice.as_ref()?;
        self.cache.get(kind::VIRTUALSERVICE, &vs.name)?;
        let vsvip = desired.vsvip.as_ref()?;
        let actual: VsVip = serde_json::from_value(self.cache.get(kind::VSVIP, &vsvip.name)?).ok()?;
        actual.address().map(str::to_owned)
    }

    /// Service ingress for the key's Services; clears Services the key served before.
    async fn write_ingress(
        &self,
        key: &Key,
        plan: &KeyPlan,
        vip: Option<&str>,
        vs: &str,
    ) -> Result<(), Duration> {
        let previous = self
            .ingress_owned
            .lock()
            .ok()
            .and_then(|m| m.get(key).cloned())
            .unwrap_or_default();
        let mut now_set: BTreeSet<ObjKey> = BTreeSet::new();
        let mut failed = false;
        let mut targets: BTreeSet<ObjKey> = plan
            .service_ingress
            .keys()
            .cloned()
            .chain(previous.iter().cloned())
            .collect();
        // A LoadBalancer Service that still carries our finalizer was ours: clear its ingress
        // even when this process never set it (e.g. after a restart). Without the finalizer it
        // may be another controller's, whose ingress is not ours to touch.
        if let Key::Service(k) = key
            && self
                .shared
                .snap
                .read()
                .ok()
                .and_then(|s| {
                    s.service(k)
                        .map(|svc| has_finalizer(&svc.metadata, FINALIZER_SERVICE))
                })
                .unwrap_or(false)
        {
            targets.insert(k.clone());
        }
        for sk in targets {
            let Some(svc) = self.shared.snap.read().ok().and_then(|s| s.service(&sk).cloned()) else {
                continue;
            };
            // The apiserver refuses status.loadBalancer on other Service types (422), so a
            // ClusterIP/NodePort backend's VIP shows only on its Gateway.
            if svc.spec.as_ref().and_then(|s| s.type_.as_deref()) != Some("LoadBalancer") {
                continue;
            }
            let ingress = match (plan.service_ingress.get(&sk), vip) {
                (Some(ip), Some(v)) if plan.ownership == Ownership::Ours => render_ingress(ip, v),
                _ => Vec::new(),
            };
            let set = !ingress.is_empty();
            match self.writer.service_ingress(&svc, ingress).await {
                Ok(changed) => {
                    if changed && set {
                        self.writer
                            .event(
                                reference(&svc),
                                false,
                                "Synced",
                                format!("Added virtualservice {vs} for {}", sk.name),
                            )
                            .await;
                    } else if changed {
                        self.writer
                            .event(
                                reference(&svc),
                                false,
                                "Removed",
                                format!("Removed virtualservice {vs} for {}", sk.name),
                            )
                            .await;
                    }
                }
                Err(e) => {
                    tracing::warn!(%key, error = %e, "cannot write Service ingress");
                    failed = true;
                }
            }
            if set {
                now_set.insert(sk);
            }
        }
        if let Ok(mut m) = self.ingress_owned.lock() {
            if now_set.is_empty() {
                m.remove(key);
            } else {
                m.insert(key.clone(), now_set);
            }
        }
        if failed { Err(FAST_BASE) } else { Ok(()) }
    }
}

impl Controller {
    async fn backend_events(&self, plan: &KeyPlan, created_pools: &BTreeSet<String>, vs: &str) {
        // Pools name their backend in the `ServiceName` marker.
        let fronted: BTreeSet<&str> = plan
            .avi
            .pools
            .iter()
            .filter(|p| created_pools.contains(&p.name))
            .filter_map(|p| marker_value(&p.markers, MarkerKey::ServiceName))
            .collect();
        let backends: Vec<Service> = match self.shared.snap.read() {
            Ok(snap) => plan
                .service_ingress
                .keys()
                .filter(|k| fronted.contains(k.name.as_str()))
                .filter_map(|k| snap.service(k).cloned())
                .filter(|s| s.spec.as_ref().and_then(|sp| sp.type_.as_deref()) != Some("LoadBalancer"))
                .collect(),
            Err(_) => return,
        };
        for svc in backends {
            let name = svc.metadata.name.clone().unwrap_or_default();
            self.writer
                .event(
                    reference(&svc),
                    false,
                    "Synced",
                    format!("Added virtualservice {vs} for {name}"),
                )
                .await;
        }
    }
}

fn has_finalizer(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta, f: &str) -> bool {
    meta.finalizers.as_ref().is_some_and(|l| l.iter().any(|x| x == f))
}
