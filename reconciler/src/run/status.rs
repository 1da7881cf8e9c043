//! Kubernetes writes (SPEC §4, SPEC-ingress §5): Gateway status through the status
//! subresource, Service and Ingress `status.loadBalancer.ingress`, AviInfraSetting status,
//! finalizers and events. Every write
//! first compares with what the object already has, so a steady state writes nothing.

use avigw_shared::api::{AviInfraSetting, Gateway, GatewayStatus};
use avigw_shared::translate::GatewayStatusMemo;
use k8s_openapi::api::core::v1::{LoadBalancerIngress, ObjectReference, Service};
use k8s_openapi::api::networking::v1::{Ingress, IngressLoadBalancerIngress, IngressStatus};
use kube::api::{Patch, PatchParams};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::{Api, Client, Resource};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("kubernetes {what}: {source}")]
    Kube {
        what: String,
        #[source]
        source: kube::Error,
    },
    #[error("building the {0}")]
    Encode(String),
}

fn kube_err(what: impl Into<String>) -> impl FnOnce(kube::Error) -> WriteError {
    let what = what.into();
    move |source| WriteError::Kube { what, source }
}

pub struct Writer {
    pub client: Client,
    pub reporter: Reporter,
}

impl Writer {
    /// Writes the Gateway's status when it differs from `previous` (what it was when last seen).
    pub async fn gateway_status(
        &self,
        ns: &str,
        name: &str,
        previous: Option<&GatewayStatusMemo>,
        next: &GatewayStatus,
    ) -> Result<bool, WriteError> {
        let unchanged = match previous {
            Some(p) => p.matches(next),
            None => *next == GatewayStatus::default(),
        };
        if unchanged {
            return Ok(false);
        }
        let api: Api<Gateway> = Api::namespaced(self.client.clone(), ns);
        let patch = json!({ "status": next });
        api.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(kube_err(format!("status of Gateway {ns}/{name}")))?;
        Ok(true)
    }

    /// Sets (or clears, with an empty list) a Service's load-balancer ingress.
    pub async fn service_ingress(
        &self,
        svc: &Service,
        ingress: Vec<LoadBalancerIngress>,
    ) -> Result<bool, WriteError> {
        let current = svc
            .status
            .as_ref()
            .and_then(|s| s.load_balancer.as_ref())
            .and_then(|l| l.ingress.clone())
            .unwrap_or_default();
        if current == ingress {
            return Ok(false);
        }
        let (ns, name) = ns_name(&svc.metadata);
        let api: Api<Service> = Api::namespaced(self.client.clone(), &ns);
        let value = if ingress.is_empty() {
            json!(null)
        } else {
            json!(ingress)
        };
        let patch = json!({ "status": { "loadBalancer": { "ingress": value } } });
        api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(kube_err(format!("status of Service {ns}/{name}")))?;
        Ok(true)
    }

    /// Sets an Ingress's `status.loadBalancer` when it differs from `current` (an empty list
    /// and no status are the same: `loadBalancer: {}`).
    pub async fn ingress_status(
        &self,
        ns: &str,
        name: &str,
        current: Option<&IngressStatus>,
        next: &IngressStatus,
    ) -> Result<bool, WriteError> {
        if ingress_entries(current) == ingress_entries(Some(next)) {
            return Ok(false);
        }
        let entries = ingress_entries(Some(next));
        let value = if entries.is_empty() {
            json!(null)
        } else {
            json!(entries)
        };
        let api: Api<Ingress> = Api::namespaced(self.client.clone(), ns);
        let patch = json!({ "status": { "loadBalancer": { "ingress": value } } });
        match api
            .patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => Ok(true),
            // Deleted meanwhile: it has no status to show.
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(false),
            Err(e) => Err(kube_err(format!("status of Ingress {ns}/{name}"))(e)),
        }
    }

    /// Writes an object's finalizer list (see `finalizer.rs` for which). A JSON patch that
    /// first tests the current list guards against racing writers of that list only: a
    /// resourceVersion guard would fail on every status write in between (avigw's own
    /// included) and turn each release into a retry.
    pub async fn finalizers<K>(&self, obj: &K, next: Vec<String>) -> Result<(), WriteError>
    where
        K: Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug,
    {
        let meta = obj.meta();
        let (ns, name) = ns_name(meta);
        let api: Api<K> = Api::namespaced(self.client.clone(), &ns);
        let ops = match &meta.finalizers {
            Some(old) => json!([
                {"op": "test", "path": "/metadata/finalizers", "value": old},
                {"op": "replace", "path": "/metadata/finalizers", "value": next},
            ]),
            None => json!([{"op": "add", "path": "/metadata/finalizers", "value": next}]),
        };
        let patch: json_patch::Patch = match serde_json::from_value(ops) {
            Ok(p) => p,
            Err(e) => return Err(WriteError::Encode(format!("finalizer patch of {name}: {e}"))),
        };
        match api
            .patch(&name, &PatchParams::default(), &Patch::<()>::Json(patch))
            .await
        {
            Ok(_) => Ok(()),
            // Gone already: nothing left to hold.
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            Err(e) => Err(kube_err(format!("finalizers of {} {ns}/{name}", K::kind(&())))(e)),
        }
    }

    pub async fn infra_setting_status(
        &self,
        ais: &AviInfraSetting,
        next: &avigw_shared::api::AviInfraSettingStatus,
    ) -> Result<bool, WriteError> {
        if ais.status.as_ref() == Some(next) {
            return Ok(false);
        }
        let name = ais.metadata.name.clone().unwrap_or_default();
        let api: Api<AviInfraSetting> = Api::all(self.client.clone());
        let patch = json!({ "status": next });
        api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(kube_err(format!("status of AviInfraSetting {name}")))?;
        Ok(true)
    }

    /// Publishes an event; failures are logged only (an event is informational).
    pub async fn event(&self, reference: ObjectReference, warning: bool, reason: &str, note: String) {
        let ev = Event {
            type_: if warning {
                EventType::Warning
            } else {
                EventType::Normal
            },
            reason: reason.to_owned(),
            note: Some(note),
            action: "Sync".to_owned(),
            secondary: None,
        };
        // A recorder per event: a shared one keeps every event it published for six minutes
        // (to count repeats as a series; ≈6 KiB per object, 60 MiB after syncing 10,000
        // Gateways) and scans all of them on every publish. avigw publishes an event once
        // per generation or per failure series, so there is no series to count.
        let recorder = Recorder::new(self.client.clone(), self.reporter.clone());
        if let Err(e) = recorder.publish(&ev, &reference).await {
            tracing::debug!(error = %e, reason, "event not published");
        }
    }
}

fn ingress_entries(s: Option<&IngressStatus>) -> &[IngressLoadBalancerIngress] {
    s.and_then(|s| s.load_balancer.as_ref())
        .and_then(|l| l.ingress.as_deref())
        .unwrap_or_default()
}

fn ns_name(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> (String, String) {
    (
        meta.namespace.clone().unwrap_or_else(|| "default".into()),
        meta.name.clone().unwrap_or_default(),
    )
}

/// A reference for events.
pub fn reference<K: Resource<DynamicType = ()>>(obj: &K) -> ObjectReference {
    obj.object_ref(&())
}
