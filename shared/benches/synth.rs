//! A synthetic cluster for the translation benchmarks: `gateways` Gateways with two TCP
//! listeners, two backend Services each (one per listener, in another namespace), and one
//! EndpointSlice per Service with `endpoints_per_service` endpoints.
#![allow(dead_code)]

use std::collections::BTreeMap;

use avigw_shared::api::{
    Gateway, GatewayClass, GatewayClassSpec, GatewaySpec, LabelSelector, Listener, RouteBindingSelector,
};
use avigw_shared::config::{Config, Purpose, RawConfig, ScopeArgs};
use avigw_shared::translate::{Object, Snapshot};
use k8s_openapi::api::core::v1::{Namespace, Service, ServicePort, ServiceSpec};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

pub const NAMESPACES: usize = 100;

pub fn config() -> Config {
    RawConfig {
        cluster_name: Some("bench".into()),
        scope: ScopeArgs {
            default_domain: Some("avi.example.com".into()),
            ..Default::default()
        },
        vip_network: vec!["vip-net=10.50.0.0/16".into()],
        ..Default::default()
    }
    .validate(Purpose::Plan)
    .expect("bench config")
}

fn meta(ns: Option<&str>, name: &str, labels: &[(&str, &str)]) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: ns.map(str::to_owned),
        labels: (!labels.is_empty()).then(|| {
            labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        }),
        generation: Some(1),
        ..Default::default()
    }
}

pub fn ns_name(i: usize) -> String {
    format!("ns-{:03}", i % NAMESPACES)
}

pub fn gateway(i: usize) -> Gateway {
    let (ns, name) = (ns_name(i), format!("gw-{i}"));
    let labels: BTreeMap<String, String> = [
        ("ako.vmware.com/gateway-name".to_owned(), name.clone()),
        ("ako.vmware.com/gateway-namespace".to_owned(), ns.clone()),
    ]
    .into();
    let listener = |port| Listener {
        hostname: None,
        port,
        protocol: "TCP".to_owned(),
        routes: RouteBindingSelector {
            selector: Some(LabelSelector {
                match_labels: labels.clone(),
                match_expressions: vec![],
            }),
            group: Some("v1".to_owned()),
            kind: Some("Service".to_owned()),
        },
    };
    let mut gw = Gateway::new(
        &name,
        GatewaySpec {
            gateway_class_name: "avi".to_owned(),
            listeners: vec![listener(80), listener(443)],
            addresses: vec![],
        },
    );
    gw.metadata.namespace = Some(ns);
    gw.metadata.generation = Some(1);
    gw
}

/// Backend `side` (0: port 80, 1: port 443) of Gateway `i`, in the next namespace over.
pub fn service(i: usize, side: usize) -> Service {
    let port = [80, 443][side];
    let name = format!("svc-{i}-{side}");
    let ns = ns_name(i + 1);
    let gw_ns = ns_name(i);
    let gw = format!("gw-{i}");
    Service {
        metadata: meta(
            Some(&ns),
            &name,
            &[
                ("ako.vmware.com/gateway-name", &gw),
                ("ako.vmware.com/gateway-namespace", &gw_ns),
                ("app", &name),
            ],
        ),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_owned()),
            selector: Some([("app".to_owned(), name.clone())].into()),
            ports: Some(vec![ServicePort {
                name: Some("p0".to_owned()),
                protocol: Some("TCP".to_owned()),
                port,
                target_port: Some(IntOrString::Int(8000 + port)),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        status: None,
    }
}

/// The EndpointSlice of [`service`] `(i, side)`; endpoint `flip` (if any) is not ready.
pub fn slice(i: usize, side: usize, endpoints: usize, flip: Option<usize>) -> EndpointSlice {
    let svc = format!("svc-{i}-{side}");
    let ns = ns_name(i + 1);
    let base = (i * 2 + side) * endpoints;
    EndpointSlice {
        metadata: meta(
            Some(&ns),
            &format!("{svc}-x1"),
            &[("kubernetes.io/service-name", &svc)],
        ),
        address_type: "IPv4".to_owned(),
        ports: Some(vec![EndpointPort {
            name: Some("p0".to_owned()),
            protocol: Some("TCP".to_owned()),
            port: Some(8000 + [80, 443][side]),
            ..Default::default()
        }]),
        endpoints: (0..endpoints)
            .map(|e| {
                let n = base + e;
                Endpoint {
                    addresses: vec![format!(
                        "10.{}.{}.{}",
                        (n >> 16) & 0xff,
                        (n >> 8) & 0xff,
                        n & 0xff
                    )],
                    conditions: Some(EndpointConditions {
                        ready: Some(flip != Some(e)),
                        serving: Some(true),
                        terminating: Some(false),
                    }),
                    node_name: Some(format!("node-{}", n % 50)),
                    ..Default::default()
                }
            })
            .collect(),
    }
}

/// The whole synthetic cluster, streamed into a snapshot (objects are dropped once indexed).
pub fn snapshot(cfg: &Config, gateways: usize, endpoints_per_service: usize) -> Snapshot {
    let mut s = Snapshot::new(cfg.service_type);
    s.upsert(Object::GatewayClass(GatewayClass::new(
        "avi",
        GatewayClassSpec {
            controller: "ako.vmware.com/avi-lb".to_owned(),
            parameters_ref: None,
        },
    )));
    for n in 0..NAMESPACES {
        s.upsert(Object::Namespace(Namespace {
            metadata: meta(None, &ns_name(n), &[]),
            ..Default::default()
        }));
    }
    for i in 0..gateways {
        s.upsert(Object::Gateway(gateway(i)));
        for side in 0..2 {
            s.upsert(Object::Service(service(i, side)));
            s.upsert(Object::EndpointSlice(slice(i, side, endpoints_per_service, None)));
        }
    }
    s
}

/// The Ingress scale cluster: `ingresses` Ingresses (in the 100 namespaces), each with two
/// hosts × two paths (`/p0` → Service `isvc-<i>-0`, `/p1` → `isvc-<i>-1`), every fourth one
/// with TLS for both its hosts (Secret `tls-<i>`); one EndpointSlice per Service with
/// `endpoints_per_service` endpoints.
pub mod l7 {
    use super::*;
    use k8s_openapi::ByteString;
    use k8s_openapi::api::core::v1::Secret;
    use k8s_openapi::api::networking::v1::{
        HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressClass, IngressClassSpec,
        IngressRule, IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
    };

    pub fn config() -> Config {
        RawConfig {
            cluster_name: Some("bench".into()),
            vip_network: vec!["vip-net=10.50.0.0/16".into()],
            scope: ScopeArgs {
                default_domain: Some("avi.example.com".into()),
                shard_vs_size: Some("LARGE".into()),
                ..Default::default()
            },
            ..Default::default()
        }
        .validate(Purpose::Plan)
        .expect("bench config")
    }

    pub fn host(i: usize, j: usize) -> String {
        format!("h{i}-{j}.example.com")
    }

    pub fn secure(i: usize) -> bool {
        i.is_multiple_of(4)
    }

    pub fn ingress(i: usize) -> Ingress {
        let ns = ns_name(i);
        let path = |k: usize| HTTPIngressPath {
            path: Some(format!("/p{k}")),
            path_type: "Prefix".to_owned(),
            backend: IngressBackend {
                service: Some(IngressServiceBackend {
                    name: format!("isvc-{i}-{k}"),
                    port: Some(ServiceBackendPort {
                        number: Some(80),
                        name: None,
                    }),
                }),
                resource: None,
            },
        };
        let rules = (0..2)
            .map(|j| IngressRule {
                host: Some(host(i, j)),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![path(0), path(1)],
                }),
            })
            .collect();
        let tls = secure(i).then(|| {
            vec![IngressTLS {
                hosts: Some((0..2).map(|j| host(i, j)).collect()),
                secret_name: Some(format!("tls-{i}")),
            }]
        });
        let mut m = meta(Some(&ns), &format!("ing-{i}"), &[]);
        m.creation_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            k8s_openapi::jiff::Timestamp::from_second(1_700_000_000 + i as i64).expect("timestamp"),
        ));
        Ingress {
            metadata: m,
            spec: Some(IngressSpec {
                ingress_class_name: Some("avi".to_owned()),
                rules: Some(rules),
                tls,
                ..Default::default()
            }),
            status: None,
        }
    }

    pub fn service(i: usize, k: usize) -> Service {
        let name = format!("isvc-{i}-{k}");
        Service {
            metadata: meta(Some(&ns_name(i)), &name, &[("app", &name)]),
            spec: Some(ServiceSpec {
                selector: Some([("app".to_owned(), name.clone())].into()),
                ports: Some(vec![ServicePort {
                    name: Some("http".to_owned()),
                    protocol: Some("TCP".to_owned()),
                    port: 80,
                    target_port: Some(IntOrString::Int(8080)),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            status: None,
        }
    }

    /// The EndpointSlice of [`service`] `(i, k)`; endpoint `flip` (if any) is not ready.
    pub fn slice(i: usize, k: usize, endpoints: usize, flip: Option<usize>) -> EndpointSlice {
        let svc = format!("isvc-{i}-{k}");
        let base = (i * 2 + k) * endpoints;
        EndpointSlice {
            metadata: meta(
                Some(&ns_name(i)),
                &format!("{svc}-x1"),
                &[("kubernetes.io/service-name", &svc)],
            ),
            address_type: "IPv4".to_owned(),
            ports: Some(vec![EndpointPort {
                name: Some("http".to_owned()),
                protocol: Some("TCP".to_owned()),
                port: Some(8080),
                ..Default::default()
            }]),
            endpoints: (0..endpoints)
                .map(|e| {
                    let n = base + e;
                    Endpoint {
                        addresses: vec![format!(
                            "10.{}.{}.{}",
                            (n >> 16) & 0xff,
                            (n >> 8) & 0xff,
                            n & 0xff
                        )],
                        conditions: Some(EndpointConditions {
                            ready: Some(flip != Some(e)),
                            serving: Some(true),
                            terminating: Some(false),
                        }),
                        ..Default::default()
                    }
                })
                .collect(),
        }
    }

    /// A self-signed ECDSA certificate and its key, made once.
    pub fn tls_pair() -> (String, String) {
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = rcgen::CertificateParams::new(vec!["example.com".to_owned()])
            .expect("params")
            .self_signed(&key)
            .expect("cert");
        (cert.pem(), key.serialize_pem())
    }

    pub fn secret(i: usize, pair: &(String, String)) -> Secret {
        Secret {
            metadata: meta(Some(&ns_name(i)), &format!("tls-{i}"), &[]),
            data: Some(
                [
                    ("tls.crt".to_owned(), ByteString(pair.0.clone().into_bytes())),
                    ("tls.key".to_owned(), ByteString(pair.1.clone().into_bytes())),
                ]
                .into(),
            ),
            type_: Some("kubernetes.io/tls".to_owned()),
            ..Default::default()
        }
    }

    /// The whole cluster, streamed into a snapshot (Secrets after their Ingresses, as the
    /// reconciler reads those the snapshot asks for).
    pub fn snapshot(cfg: &Config, ingresses: usize, endpoints_per_service: usize) -> Snapshot {
        let mut s = Snapshot::for_config(cfg);
        s.upsert(Object::IngressClass(IngressClass {
            metadata: {
                let mut m = meta(None, "avi", &[]);
                m.annotations = Some(
                    [(
                        "ingressclass.kubernetes.io/is-default-class".to_owned(),
                        "true".to_owned(),
                    )]
                    .into(),
                );
                m
            },
            spec: Some(IngressClassSpec {
                controller: Some("ako.vmware.com/avi-lb".to_owned()),
                parameters: None,
            }),
        }));
        for n in 0..NAMESPACES {
            s.upsert(Object::Namespace(Namespace {
                metadata: meta(None, &ns_name(n), &[]),
                ..Default::default()
            }));
        }
        let pair = tls_pair();
        for i in 0..ingresses {
            s.upsert(Object::Ingress(ingress(i)));
            if secure(i) {
                s.upsert(Object::Secret(secret(i, &pair)));
            }
            for k in 0..2 {
                s.upsert(Object::Service(service(i, k)));
                s.upsert(Object::EndpointSlice(slice(i, k, endpoints_per_service, None)));
            }
        }
        s
    }
}
