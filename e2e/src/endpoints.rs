//! Stand-in for the EndpointSlice controller, which an apiserver-only cluster lacks: gives each
//! Service with a selector a slice of ready endpoints, as kube-controller-manager would.

use anyhow::Result;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use kube::api::{ObjectMeta, Patch, PatchParams};
use kube::{Api, Client};

/// Creates (or updates) `<svc>-demo` with `count` ready endpoints at 10.244.<n>.<i>.
pub async fn publish(client: &Client, svc: &Service, subnet: u8, count: u8) -> Result<()> {
    let (Some(ns), Some(name)) = (svc.metadata.namespace.as_deref(), svc.metadata.name.as_deref()) else {
        return Ok(());
    };
    let spec = svc.spec.clone().unwrap_or_default();
    let ports = spec
        .ports
        .unwrap_or_default()
        .into_iter()
        .map(|p| EndpointPort {
            name: p.name,
            port: Some(match p.target_port {
                Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n)) => n,
                _ => p.port,
            }),
            protocol: p.protocol,
            app_protocol: None,
        })
        .collect();
    let endpoints = (1..=count)
        .map(|i| Endpoint {
            addresses: vec![format!("10.244.{subnet}.{i}")],
            conditions: Some(EndpointConditions {
                ready: Some(true),
                serving: Some(true),
                terminating: Some(false),
            }),
            ..Default::default()
        })
        .collect();
    let slice = EndpointSlice {
        metadata: ObjectMeta {
            name: Some(format!("{name}-demo")),
            namespace: Some(ns.to_owned()),
            labels: Some([("kubernetes.io/service-name".to_owned(), name.to_owned())].into()),
            ..Default::default()
        },
        address_type: "IPv4".into(),
        endpoints,
        ports: Some(ports),
    };
    Api::<EndpointSlice>::namespaced(client.clone(), ns)
        .patch(
            &format!("{name}-demo"),
            &PatchParams::apply("avigw-demo").force(),
            &Patch::Apply(&slice),
        )
        .await?;
    Ok(())
}
