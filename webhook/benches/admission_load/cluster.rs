//! The webhook's cluster view for the benchmark: the production [`StoreView`] over kube
//! reflector stores and the host index, filled the way the watches fill them (one `Apply`
//! event per object) with GatewayClass `avi`, IngressClass `avi` and [`INGRESSES`] Ingresses
//! of 2 hosts × 2 paths each, in 100 namespaces.

use std::sync::Arc;

use avigw_shared::api::{AviInfraSetting, Gateway, GatewayClass};
use avigw_webhook::host_index::HostIndex;
use avigw_webhook::view::StoreView;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::Resource;
use kube::runtime::reflector::{self, store::Writer};
use kube::runtime::watcher::Event;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Ingresses in the reflector and the host index.
pub const INGRESSES: usize = 10_000;
/// Namespaces they spread over.
pub const NAMESPACES: usize = 100;

/// The host `which` (`a` or `b`) of Ingress number `i`.
pub fn host(i: usize, which: char) -> String {
    format!("app-{i}-{which}.example.com")
}

/// The namespace of Ingress number `i`.
pub fn namespace(i: usize) -> String {
    format!("team-{}", i % NAMESPACES)
}

fn path(p: &str) -> Value {
    json!({"path": p, "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}})
}

fn existing_ingress(i: usize) -> Value {
    let (a, b) = (host(i, 'a'), host(i, 'b'));
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": format!("app-{i}"), "namespace": namespace(i),
            "creationTimestamp": "2026-01-01T00:00:00Z", "generation": 1,
            "labels": {"app.kubernetes.io/name": format!("app-{i}")}},
        "spec": {
            "ingressClassName": "avi",
            "tls": [{"hosts": [a, b], "secretName": format!("app-{i}-tls")}],
            "rules": [
                {"host": a, "http": {"paths": [path("/api"), path("/web")]}},
                {"host": b, "http": {"paths": [path("/api"), path("/web")]}}
            ]
        }
    })
}

fn typed<K: DeserializeOwned>(v: Value) -> anyhow::Result<K> {
    Ok(serde_json::from_value(v)?)
}

fn apply<K>(writer: &mut Writer<K>, obj: K)
where
    K: Resource<DynamicType = ()> + Clone,
{
    writer.apply_watcher_event(&Event::Apply(obj));
}

/// The filled view. A store keeps its objects when its writer goes (no watch follows here).
pub fn cluster() -> anyhow::Result<Arc<StoreView>> {
    let (classes, mut class_w) = reflector::store::<GatewayClass>();
    let (gateways, _) = reflector::store::<Gateway>();
    let (ingress_classes, mut iclass_w) = reflector::store::<IngressClass>();
    let (ingresses, mut ing_w) = reflector::store::<Ingress>();
    let (namespaces, _) = reflector::store::<Namespace>();
    let (infra_settings, _) = reflector::store::<AviInfraSetting>();
    let hosts = Arc::new(HostIndex::new(None));
    apply(
        &mut class_w,
        typed(
            json!({"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "GatewayClass",
            "metadata": {"name": "avi"}, "spec": {"controller": "ako.vmware.com/avi-lb"}}),
        )?,
    );
    apply(
        &mut iclass_w,
        typed(
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": {"name": "avi"}, "spec": {"controller": "ako.vmware.com/avi-lb"}}),
        )?,
    );
    for i in 0..INGRESSES {
        let ing: Ingress = typed(existing_ingress(i))?;
        let event = Event::Apply(ing);
        ing_w.apply_watcher_event(&event);
        hosts.apply(&event);
    }
    anyhow::ensure!(hosts.len() == INGRESSES, "{} Ingresses indexed", hosts.len());
    Ok(Arc::new(StoreView {
        classes,
        gateways,
        ingress_classes,
        ingresses,
        hosts,
        namespaces,
        infra_settings,
    }))
}
