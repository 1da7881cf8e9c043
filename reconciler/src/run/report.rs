//! What Kubernetes shows of a key after its Avi step (SPEC §4): Gateway status, Service
//! ingress, events. Ingress keys report through `report_ingress.rs`.

use std::collections::BTreeSet;

use avigw_shared::avi::kind;
use avigw_shared::naming::{MarkerKey, marker_value};
use avigw_shared::translate::{AviOutcome, Key, ObjKey, Ownership, render_gateway_status, render_ingress};
use k8s_openapi::api::core::v1::Service;

use super::Controller;
use super::cache::vs_name;
use super::error_policy::{Attempt, Failure};
use super::reconcile::{AviStep, KeyObject, KeyView};
use super::status::reference;
use crate::avi::AviError;

impl Controller {
    /// Writes status and ingress and publishes events for what the Avi step did; answers the
    /// first Kubernetes write that failed (after trying the others).
    pub(super) async fn report(&self, v: &KeyView, avi: &AviStep, attempt: Attempt) -> Result<(), Failure> {
        if let Key::L7(_) = &v.key {
            self.l7_key_report(v, avi, attempt).await;
            return Ok(());
        }
        let vs = vs_name(&self.ctx.cluster, &v.key);
        let vip = self.placed_vip(&v.plan.avi);
        let status = self.gateway_status(v, avi, vip.as_deref()).await;
        let ingress = self.service_ingress(v, vip.as_deref(), &vs).await;
        self.events(v, avi, attempt, &vs).await;
        status.and(ingress)
    }

    async fn gateway_status(&self, v: &KeyView, avi: &AviStep, vip: Option<&str>) -> Result<(), Failure> {
        let (Key::Gateway(k), Some(KeyObject::Gateway(gw, previous)), Some(planned)) =
            (&v.key, &v.object, &v.plan.gateway_status)
        else {
            return Ok(());
        };
        // Another controller's Gateway gets a status only while it still carries our
        // finalizer, i.e. it was ours until now.
        if v.plan.ownership == Ownership::NotOurs && !self.holds(v) {
            return Ok(());
        }
        let error = avi.as_ref().err().map(ToString::to_string);
        let outcome = match (avi, vip, &error) {
            (Ok(_), Some(vip), _) => AviOutcome::Placed { vip },
            (Ok(_), None, _) => AviOutcome::Pending,
            (Err(Failure::InvalidAddress { message, .. }), _, _) => AviOutcome::InvalidAddress(message),
            (Err(Failure::Avi(AviError::NameTaken { .. })), _, Some(message)) => {
                AviOutcome::NameTaken(message)
            }
            (Err(_), _, Some(message)) => AviOutcome::AviError(message),
            (Err(_), _, None) => AviOutcome::Pending,
        };
        let now = jiff::Timestamp::now().to_string();
        let next = render_gateway_status(planned, outcome, &now, previous.as_ref());
        let written = self
            .writer
            .gateway_status(&k.namespace, &k.name, previous.as_ref(), &next)
            .await?;
        if written && !v.plan.problems.is_empty() {
            let note = v
                .plan
                .problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            self.writer
                .event(reference(gw.as_ref()), true, "Invalid", note)
                .await;
        }
        Ok(())
    }

    /// Service ingress for the key's Services; clears Services the key served before.
    async fn service_ingress(&self, v: &KeyView, vip: Option<&str>, vs: &str) -> Result<(), Failure> {
        let previous = self.ingress_owned.lock().get(&v.key).cloned().unwrap_or_default();
        let mut targets: BTreeSet<ObjKey> = v.plan.service_ingress.keys().cloned().chain(previous).collect();
        // A LoadBalancer Service that still carries our finalizer was ours: clear its ingress
        // even when this process never set it (e.g. after a restart). Without the finalizer it
        // may be another controller's, whose ingress is not ours to touch.
        if let Key::Service(k) = &v.key
            && self.holds(v)
        {
            targets.insert(k.clone());
        }
        let mut now_set: BTreeSet<ObjKey> = BTreeSet::new();
        let mut failed = None;
        for sk in targets {
            let Some(svc) = self.shared.snap.read().service(&sk).cloned() else {
                continue;
            };
            // The apiserver refuses status.loadBalancer on other Service types (422, since
            // Kubernetes 1.29), so a ClusterIP/NodePort backend's VIP shows only on its Gateway.
            if !is_load_balancer(&svc) {
                continue;
            }
            let ingress = match (v.plan.service_ingress.get(&sk), vip) {
                (Some(ip), Some(vip)) if v.plan.ownership == Ownership::Ours => render_ingress(ip, vip),
                _ => Vec::new(),
            };
            let set = !ingress.is_empty();
            match self.writer.service_ingress(&svc, ingress).await {
                Ok(true) => {
                    let (reason, verb) = if set {
                        ("Synced", "Added")
                    } else {
                        ("Removed", "Removed")
                    };
                    let note = format!("{verb} virtualservice {vs} for {}", sk.name);
                    self.writer.event(reference(&svc), false, reason, note).await;
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(key = %v.key, error = %e, "cannot write Service ingress");
                    failed.get_or_insert(e);
                }
            }
            if set {
                now_set.insert(sk);
            }
        }
        let mut owned = self.ingress_owned.lock();
        if now_set.is_empty() {
            owned.remove(&v.key);
        } else {
            owned.insert(v.key.clone(), now_set);
        }
        match failed {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    /// Events on the key's object: its virtual service added or removed; Avi's refusal on the
    /// first failure of a series (a retry says nothing new). Backends that cannot carry ingress
    /// (ClusterIP/NodePort) hear when a pool starts fronting them; LoadBalancer ones hear it
    /// with their ingress write.
    async fn events(&self, v: &KeyView, avi: &AviStep, attempt: Attempt, vs: &str) {
        let Some(obj) = &v.object else { return };
        let r = match obj {
            KeyObject::Gateway(g, _) => reference(g.as_ref()),
            KeyObject::Service(s) => reference(s.as_ref()),
        };
        let Some(name) = v.key.obj().map(|k| &k.name) else {
            return;
        };
        let is_vs = |(k, _): &(String, String)| k == kind::VIRTUALSERVICE;
        match avi {
            Ok(rep) if rep.created.iter().any(is_vs) => {
                let note = format!("Added virtualservice {vs} for {name}");
                self.writer.event(r, false, "Synced", note).await;
            }
            Ok(rep) if rep.deleted.iter().any(is_vs) => {
                let note = format!("Removed virtualservice {vs} for {name}");
                self.writer.event(r, false, "Removed", note).await;
            }
            Err(Failure::InvalidAddress {
                message,
                repeated: false,
            }) => {
                self.writer
                    .event(r, true, "InvalidAddress", message.clone())
                    .await;
            }
            Err(e @ Failure::Avi(_)) if attempt.failures == 0 => {
                self.writer.event(r, true, e.reason(), e.to_string()).await;
            }
            _ => {}
        }
        if let (Key::Gateway(_), Ok(rep)) = (&v.key, avi) {
            let created: BTreeSet<&str> = rep
                .created
                .iter()
                .filter(|(k, _)| k == kind::POOL)
                .map(|(_, n)| n.as_str())
                .collect();
            if !created.is_empty() {
                self.backend_events(v, &created, vs).await;
            }
        }
    }

    async fn backend_events(&self, v: &KeyView, created_pools: &BTreeSet<&str>, vs: &str) {
        // Pools name their backend in the `ServiceName` marker.
        let fronted: BTreeSet<&str> = v
            .plan
            .avi
            .pools
            .iter()
            .filter(|p| created_pools.contains(p.name.as_str()))
            .filter_map(|p| marker_value(&p.markers, MarkerKey::ServiceName))
            .collect();
        let backends: Vec<Service> = {
            let snap = self.shared.snap.read();
            v.plan
                .service_ingress
                .keys()
                .filter(|k| fronted.contains(k.name.as_str()))
                .filter_map(|k| snap.service(k).cloned())
                .filter(|s| !is_load_balancer(s))
                .collect()
        };
        for svc in backends {
            let name = svc.metadata.name.clone().unwrap_or_default();
            let note = format!("Added virtualservice {vs} for {name}");
            self.writer.event(reference(&svc), false, "Synced", note).await;
        }
    }
}

fn is_load_balancer(svc: &Service) -> bool {
    svc.spec.as_ref().and_then(|s| s.type_.as_deref()) == Some("LoadBalancer")
}
