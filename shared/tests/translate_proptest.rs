//! Properties of the translation: it never panics, its output is deterministic and does not
//! depend on the order objects arrive in, and the dependency index is complete (re-translating
//! only the keys each change names gives what a full translation gives).
mod translate_util;

use std::collections::BTreeMap;

use avigw_shared::translate::{Key, KeyPlan, Object, ObjectKind, Snapshot, translate_all, translate_key};
use proptest::prelude::*;
use serde_json::{Value, json};
use translate_util::*;

// Repeats weight the draw towards objects that fit together (a valid Gateway with backends),
// so that pools and servers are common and the index property has something to check.
const NS: [&str; 6] = ["a", "a", "a", "b", "b", "kube-x"];
const GW: [&str; 2] = ["g1", "g2"];
const SVC: [&str; 3] = ["s1", "s2", "s3"];
const PROTO: [&str; 8] = ["TCP", "UDP", "SCTP", "TCP", "TCP", "UDP", "HTTP", "tcp"];
const PORT: [i32; 3] = [53, 80, 81];
const IPS: [&str; 5] = ["10.0.0.1", "10.0.0.2", "fd00::1", "not-an-ip", "10.0.0.300"];

fn obj(v: Value) -> Option<Object> {
    let m = avigw_shared::translate::parse_manifests(&serde_json::to_string(&v).ok()?).ok()?;
    m.objects.into_iter().next()
}

fn any_listener() -> impl Strategy<Value = Value> {
    (
        0..8usize,
        0..3usize,
        proptest::option::weighted(0.3, (0..6usize, 0..2usize)),
        proptest::option::weighted(0.2, 0..2usize),
    )
        .prop_map(|(p, port, labels, host)| {
            let mut l = json!({"protocol": PROTO[p], "port": PORT[port]});
            if let Some((ns, gw)) = labels {
                l["routes"] = json!({"selector": {"matchLabels": {
                    "ako.vmware.com/gateway-namespace": NS[ns], "ako.vmware.com/gateway-name": GW[gw]}}});
            }
            if let Some(h) = host {
                l["hostname"] = json!(["svc.example.com", "Bad_Host"][h]);
            }
            l
        })
}

fn any_gateway() -> impl Strategy<Value = Value> {
    (0..6usize, 0..2usize, 0..4usize, proptest::collection::vec(any_listener(), 0..4), proptest::option::weighted(0.2, 0..5usize))
        .prop_map(|(ns, gw, class, listeners, addr)| {
            let mut g = json!({"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "Gateway",
                "metadata": {"name": GW[gw], "namespace": NS[ns], "generation": 1},
                "spec": {"gatewayClassName": (["c1", "c1", "c2", "missing"][class]), "listeners": listeners}});
            if let Some(a) = addr {
                g["spec"]["addresses"] = json!([{"value": IPS[a]}]);
            }
            g
        })
}

fn any_class() -> impl Strategy<Value = Value> {
    (
        0..2usize,
        proptest::bool::weighted(0.8),
        proptest::option::of(0..2usize),
    )
        .prop_map(|(c, ours, setting)| {
            let mut v = json!({"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "GatewayClass",
            "metadata": {"name": (["c1", "c2"][c])},
            "spec": {"controller": if ours { "ako.vmware.com/avi-lb" } else { "example.com/other" }}});
            if let Some(s) = setting {
                v["spec"]["parametersRef"] =
                    json!({"group": "ako.vmware.com", "kind": "AviInfraSetting", "name": (["i1", "i2"][s])});
            }
            v
        })
}

fn any_service() -> impl Strategy<Value = Value> {
    (
        0..6usize,
        0..3usize,
        0..5usize,
        proptest::collection::vec((0..6usize, 0..3usize), 0..3),
        proptest::option::weighted(0.8, (0..6usize, 0..2usize)),
        proptest::option::weighted(0.2, 0..5usize),
        proptest::option::weighted(0.2, 0..2usize),
        proptest::bool::weighted(0.2),
    )
        .prop_map(|(ns, name, ty, ports, labels, ip, class, local)| {
            let ports: Vec<Value> = ports
                .iter()
                .enumerate()
                .map(|(i, (p, port))| json!({"name": format!("p{i}"), "protocol": PROTO[*p % 6], "port": PORT[*port], "targetPort": 8080, "nodePort": 30000 + PORT[*port]}))
                .collect();
            let mut v = json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": SVC[name], "namespace": NS[ns]},
                "spec": {"type": (["ClusterIP", "ClusterIP", "NodePort", "LoadBalancer", "LoadBalancer"][ty]), "ports": ports,
                         "selector": {"app": SVC[name]}}});
            if let Some((gns, gw)) = labels {
                v["metadata"]["labels"] = json!({"ako.vmware.com/gateway-namespace": NS[gns], "ako.vmware.com/gateway-name": GW[gw]});
            }
            if let Some(i) = ip {
                v["metadata"]["annotations"] = json!({"ako.vmware.com/load-balancer-ip": IPS[i],
                    "aviinfrasetting.ako.vmware.com/name": "i1", "external-dns.alpha.kubernetes.io/hostname": "x.example.com"});
            }
            if let Some(c) = class {
                v["spec"]["loadBalancerClass"] = json!(["ako.vmware.com/avi-lb", "example.com/other"][c]);
            }
            if local {
                v["spec"]["externalTrafficPolicy"] = json!("Local");
            }
            v
        })
}

fn any_slice() -> impl Strategy<Value = Value> {
    (0..6usize, 0..3usize, 0..2usize, 0..4usize, proptest::collection::vec((0..3usize, any::<Option<bool>>(), any::<Option<bool>>(), 0..3usize), 0..4))
        .prop_map(|(ns, svc, n, port, eps)| {
            let port = port.saturating_sub(1);
            let endpoints: Vec<Value> = eps
                .iter()
                .map(|(ip, ready, term, node)| {
                    json!({"addresses": [IPS[*ip]], "conditions": {"ready": ready, "terminating": term}, "nodeName": (["n1", "n2", "n3"][*node])})
                })
                .collect();
            json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": format!("{}-{n}", SVC[svc]), "namespace": NS[ns], "labels": {"kubernetes.io/service-name": SVC[svc]}},
                "addressType": "IPv4", "ports": [{"name": format!("p{port}"), "protocol": "TCP", "port": 8080}], "endpoints": endpoints})
        })
}

fn any_other() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0..3usize, any::<bool>()).prop_map(|(n, edge)| json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": (["n1", "n2", "n3"][n]), "labels": {"role": if edge { "edge" } else { "worker" }}},
            "status": {"addresses": [{"type": "InternalIP", "address": format!("192.168.0.{n}")}]}})),
        (0..6usize, proptest::bool::weighted(0.7)).prop_map(|(n, sync)| json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": NS[n], "labels": {"avi": if sync { "sync" } else { "no" }}}})),
        (0..2usize, 0..3usize, any::<bool>()).prop_map(|(i, st, rhi)| json!({"apiVersion": "ako.vmware.com/v1alpha1", "kind": "AviInfraSetting",
            "metadata": {"name": (["i1", "i2"][i])},
            "spec": {"seGroup": {"name": "se"}, "network": {"vipNetworks": [{"networkName": "v", "cidr": "10.1.0.0/24"}], "enableRhi": rhi, "bgpPeerLabels": ["p"]}},
            "status": {"status": (["Accepted", "Rejected", "Accepted"][st])}})),
        (0..6usize, 0..3usize, 0..2usize).prop_map(|(ns, svc, n)| json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("pod-{n}"), "namespace": NS[ns], "labels": {"app": SVC[svc]},
                         "annotations": {"nodeportlocal.antrea.io": format!("[{{\"podPort\":8080,\"nodeIP\":\"10.9.0.{n}\",\"nodePort\":4000{n}}}]")}}})),
    ]
}

fn any_object() -> impl Strategy<Value = Value> {
    prop_oneof![2 => any_gateway(), 1 => any_class(), 3 => any_service(), 3 => any_slice(), 1 => any_other()]
}

/// A change: an object to upsert, or (when `delete`) the same object's identity to delete.
fn any_change() -> impl Strategy<Value = (Value, bool)> {
    (any_object(), proptest::bool::weighted(0.2))
}

fn any_config() -> impl Strategy<Value = avigw_shared::config::Config> {
    (
        0..4usize,
        proptest::bool::weighted(0.3),
        0..3usize,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(mode, ns_sel, fqdn, tier, lbdef)| {
            let mode = mode.saturating_sub(1);
            config(|r| {
                r.service_type = Some(["ClusterIP", "NodePort", "NodePortLocal"][mode].into());
                r.scope.namespace_selector = ns_sel.then(|| "avi=sync".into());
                r.auto_fqdn = Some(["default", "flat", "disabled"][fqdn].into());
                r.scope.default_domain = Some("example.com".into());
                r.license_tier = tier.then(|| "ESSENTIALS".into());
                r.scope.default_lb_controller = Some(lbdef);
                r.scope.blocked_namespace = vec!["kube-x".into()];
                r.node_selector = mode.eq(&1).then(|| "role=edge".into());
            })
        })
}

/// A coherent cluster every case starts from (random objects then replace or add to it): a
/// valid Gateway with two backends with endpoints, and a LoadBalancer Service.
fn base() -> Vec<Object> {
    let yaml = docs(&[
        class("c1"),
        gateway_of_class("a", "g1", "c1", &[("TCP", 80), ("UDP", 53), ("TCP", 81)]),
        backend("a", "s1", "a", "g1", &[("TCP", 80), ("UDP", 53)]),
        backend("b", "s3", "a", "g1", &[("TCP", 81)]),
        slice(
            "a",
            "s1",
            "s1-0",
            0,
            "TCP",
            8080,
            &[
                ("10.0.0.1", None, None, Some("n1")),
                ("10.0.0.2", Some(false), None, Some("n2")),
            ],
        ),
        slice(
            "b",
            "s3",
            "s3-0",
            0,
            "TCP",
            8080,
            &[("10.0.0.3", None, None, Some("n1"))],
        ),
        lb_service("b", "s2", "", "", &[("TCP", 80)]),
        slice(
            "b",
            "s2",
            "s2-0",
            0,
            "TCP",
            8080,
            &[("10.0.0.4", None, None, Some("n3"))],
        ),
        node("n1", "192.168.0.1", "role: edge", ""),
        node("n2", "192.168.0.2", "role: worker", ""),
        namespace("a", "avi: sync"),
        namespace("b", "avi: sync"),
    ]);
    objects(&yaml)
}

fn identity(o: &Object) -> (ObjectKind, Option<String>, String) {
    let m = o.metadata();
    let ns = o
        .kind()
        .namespaced()
        .then(|| m.namespace.clone().unwrap_or_else(|| "default".into()));
    (o.kind(), ns, m.name.clone().unwrap_or_default())
}

fn json_of(plans: &BTreeMap<Key, KeyPlan>) -> String {
    to_json(plans)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Guards the other properties: every generated object is a valid manifest.
    #[test]
    fn generated_objects_parse(v in any_object()) {
        prop_assert!(obj(v.clone()).is_some(), "{}", v);
    }

    #[test]
    fn deterministic_and_order_independent(cfg in any_config(), values in proptest::collection::vec(any_object(), 0..24)) {
        let objects: Vec<Object> = base().into_iter().chain(values.into_iter().filter_map(obj)).collect();
        // Keep the last object of each identity so that any order describes the same cluster.
        let mut latest: BTreeMap<_, Object> = BTreeMap::new();
        for o in objects {
            latest.insert(identity(&o), o);
        }
        let forward: Vec<Object> = latest.values().cloned().collect();
        let backward: Vec<Object> = forward.iter().rev().cloned().collect();
        let context = ctx(&cfg);
        let a = Snapshot::from_objects(cfg.service_type, forward);
        let b = Snapshot::from_objects(cfg.service_type, backward);
        let first = json_of(&translate_all(&context, &a));
        prop_assert_eq!(&first, &json_of(&translate_all(&context, &a)));
        prop_assert_eq!(&first, &json_of(&translate_all(&context, &b)));
        for p in translate_all(&context, &a).values() {
            for (_, name) in p.avi.names() {
                prop_assert!(name.starts_with("c1--") && name.len() <= 255);
            }
        }
    }

    #[test]
    fn incremental_matches_full(cfg in any_config(), initial in proptest::collection::vec(any_object(), 0..16), changes in proptest::collection::vec(any_change(), 1..16)) {
        let context = ctx(&cfg);
        let mut model: BTreeMap<_, Object> = BTreeMap::new();
        for o in base().into_iter().chain(initial.into_iter().filter_map(obj)) {
            model.insert(identity(&o), o);
        }
        let mut snap = Snapshot::from_objects(cfg.service_type, model.values().cloned());
        let mut cache: BTreeMap<Key, KeyPlan> = translate_all(&context, &snap);
        for (value, delete) in changes {
            let Some(o) = obj(value) else { continue };
            let id = identity(&o);
            let affected = if delete {
                model.remove(&id);
                snap.delete(id.0, id.1.as_deref(), &id.2)
            } else {
                model.insert(id, o.clone());
                snap.upsert(o)
            };
            for k in affected {
                let p = translate_key(&context, &snap, &k);
                cache.insert(k, p);
            }
        }
        let fresh = Snapshot::from_objects(cfg.service_type, model.values().cloned());
        for k in fresh.keys() {
            prop_assert!(cache.contains_key(&k), "{} is a key but no change named it", k);
        }
        for (k, cached) in &cache {
            let now = translate_key(&context, &snap, k);
            prop_assert_eq!(to_json(cached), to_json(&now), "stale translation of {}", k);
            prop_assert_eq!(to_json(&now), to_json(&translate_key(&context, &fresh, k)), "index drift for {}", k);
        }
    }
}
