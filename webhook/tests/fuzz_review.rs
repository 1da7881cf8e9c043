//! Fuzzing the admission path with proptest: arbitrary bytes, and valid reviews whose JSON is
//! mutated node by node. Nothing may panic; every answer is a 400-class error or a well-formed
//! AdmissionReview echoing the uid. `AVIGW_FUZZ_CASES` raises the case count for long runs.

use avigw_shared::config::Scope;
use avigw_webhook::review::{Mode, review};
use avigw_webhook::view::StaticView;
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Value, json};

fn cases() -> u32 {
    std::env::var("AVIGW_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

fn view() -> StaticView {
    let mut v = StaticView::default();
    v.add_class(serde_json::from_value(json!({"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "GatewayClass", "metadata": {"name": "avi"}, "spec": {"controller": "ako.vmware.com/avi-lb"}})).unwrap());
    v.add_gateway(serde_json::from_value(json!({"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "Gateway", "metadata": {"name": "gw", "namespace": "blue"}, "spec": {"gatewayClassName": "avi", "listeners": [{"protocol": "TCP", "port": 80}]}})).unwrap());
    v
}

/// Valid reviews of each kind the webhook judges.
fn seeds() -> Vec<Value> {
    let objects = [
        (
            "networking.x-k8s.io",
            "Gateway",
            json!({"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "Gateway", "metadata": {"name": "gw", "namespace": "blue", "managedFields": [{"manager": "kubectl"}]},
            "spec": {"gatewayClassName": "avi", "addresses": [{"type": "IPAddress", "value": "10.0.0.1"}], "listeners": [{"protocol": "tcp", "port": 80, "hostname": "a.example.com", "routes": {"kind": "Service", "selector": {"matchLabels": {"ako.vmware.com/gateway-name": "gw", "ako.vmware.com/gateway-namespace": "blue"}}}}]},
            "status": {"addresses": [{"type": "IPAddress", "value": "10.0.0.1"}]}}),
        ),
        (
            "networking.x-k8s.io",
            "GatewayClass",
            json!({"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "GatewayClass", "metadata": {"name": "avi"}, "spec": {"controller": "ako.vmware.com/avi-lb", "parametersRef": {"group": "ako.vmware.com", "kind": "AviInfraSetting", "name": "s"}}}),
        ),
        (
            "",
            "Service",
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "blue", "labels": {"ako.vmware.com/gateway-name": "gw", "ako.vmware.com/gateway-namespace": "blue"}, "annotations": {"ako.vmware.com/load-balancer-ip": "10.0.0.9"}},
            "spec": {"type": "LoadBalancer", "loadBalancerIP": "10.0.0.9", "ports": [{"port": 80, "protocol": "TCP"}]}, "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.9"}]}}}),
        ),
        (
            "ako.vmware.com",
            "AviInfraSetting",
            json!({"apiVersion": "ako.vmware.com/v1alpha1", "kind": "AviInfraSetting", "metadata": {"name": "s"}, "spec": {"seGroup": {"name": "g"}, "network": {"vipNetworks": [{"networkName": "v", "cidr": "10.0.0.0/24"}], "nodeNetworks": [{"networkName": "n", "cidrs": ["10.1.0.0/16"]}], "enableRhi": true, "bgpPeerLabels": ["p"]}}}),
        ),
    ];
    objects
        .into_iter()
        .flat_map(|(group, kind, obj)| {
            ["CREATE", "UPDATE"].map(|op| {
                json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
                    "uid": "fuzz-uid", "kind": {"group": group, "version": "v1", "kind": kind},
                    "resource": {"group": group, "version": "v1", "resource": "x"}, "namespace": "blue", "name": "x",
                    "operation": op, "userInfo": {}, "object": obj.clone(), "oldObject": if op == "UPDATE" { obj.clone() } else { Value::Null }}})
            })
        })
        .collect()
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        Just(json!("TCP")),
        Just(json!("10.0.0.300")),
        Just(json!(70000)),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the `n`-th node (pre-order) of `v` with `with`.
fn replace_nth(v: &mut Value, n: &mut usize, with: &Value) -> bool {
    if *n == 0 {
        *v = with.clone();
        return true;
    }
    *n -= 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|c| replace_nth(c, n, with)),
        Value::Object(m) => m.values_mut().any(|c| replace_nth(c, n, with)),
        _ => false,
    }
}

fn check(body: &[u8]) -> Result<(), TestCaseError> {
    for mode in [Mode::Validate, Mode::Mutate] {
        if let Ok(r) = review(body, mode, &view(), &Scope::default()) {
            let out: Value =
                serde_json::from_slice(&r.body).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&out["apiVersion"], "admission.k8s.io/v1");
            prop_assert!(out["response"]["uid"].is_string());
            prop_assert!(out["response"]["allowed"].is_boolean());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: cases(), ..Config::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(&body)?;
    }

    #[test]
    fn mutated_reviews_never_panic(seed in 0usize..8, at in 0usize..80, with in any_json()) {
        let mut doc = seeds()[seed].clone();
        let mut n = at;
        replace_nth(&mut doc, &mut n, &with);
        check(&serde_json::to_vec(&doc).unwrap())?;
    }

    #[test]
    fn truncated_reviews_never_panic(seed in 0usize..8, cut in 0usize..2000) {
        let body = serde_json::to_vec(&seeds()[seed]).unwrap();
        check(&body[..cut.min(body.len())])?;
    }
}
