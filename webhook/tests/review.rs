//! AdmissionReview in, AdmissionReview out: the policy as the apiserver sees it.

use avigw_shared::config::Scope;
use avigw_webhook::review::{Mode, ReviewError, review};
use avigw_webhook::view::StaticView;
use proptest::prelude::*;
use serde_json::{Value, json};

fn view() -> StaticView {
    let mut v = StaticView::default();
    v.add_class(serde_json::from_value(json!({"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "GatewayClass", "metadata": {"name": "avi"}, "spec": {"controller": "ako.vmware.com/avi-lb"}})).unwrap());
    v.add_class(serde_json::from_value(json!({"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "GatewayClass", "metadata": {"name": "other"}, "spec": {"controller": "example.io/lb"}})).unwrap());
    v.add_gateway(serde_json::from_value(gateway(json!([{"protocol": "TCP", "port": 80, "routes": {"kind": "Service", "selector": {"matchLabels": {"ako.vmware.com/gateway-name": "gw", "ako.vmware.com/gateway-namespace": "blue"}}}}]))).unwrap());
    v
}

fn gateway(listeners: Value) -> Value {
    json!({"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "Gateway", "metadata": {"name": "gw", "namespace": "blue"}, "spec": {"gatewayClassName": "avi", "listeners": listeners}})
}

fn request(group: &str, kind: &str, op: &str, object: Value, old: Value) -> Vec<u8> {
    let version = match group {
        "" | "networking.k8s.io" => "v1",
        _ => "v1alpha1",
    };
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "3f1d2c9a-0000-4000-8000-000000000001",
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": format!("{}s", kind.to_lowercase())},
            "namespace": "blue",
            "name": object.pointer("/metadata/name").cloned().unwrap_or(json!("")),
            "operation": op,
            "userInfo": {"username": "alice"},
            "object": object,
            "oldObject": old,
            "dryRun": false
        }
    }))
    .unwrap()
}

fn run(mode: Mode, body: &[u8]) -> Value {
    let r = review(body, mode, &view(), &Scope::default()).unwrap();
    serde_json::from_slice(&r.body).unwrap()
}

#[test]
fn invalid_gateway_is_denied_with_every_violation() {
    let gw = gateway(json!([
        {"protocol": "HTTP", "port": 80, "routes": {"selector": {"matchLabels": {"ako.vmware.com/gateway-name": "gw", "ako.vmware.com/gateway-namespace": "red"}}}},
    ]));
    let mut gw = gw;
    gw["spec"]["addresses"] = json!([{"type": "IPAddress", "value": "10.0.0.300"}]);
    let out = run(
        Mode::Validate,
        &request("networking.x-k8s.io", "Gateway", "CREATE", gw, Value::Null),
    );
    assert_eq!(out["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(out["kind"], "AdmissionReview");
    let resp = &out["response"];
    assert_eq!(resp["uid"], "3f1d2c9a-0000-4000-8000-000000000001");
    assert_eq!(resp["allowed"], false);
    assert_eq!(resp["status"]["code"], 422);
    assert_eq!(resp["status"]["reason"], "Invalid");
    assert_eq!(
        resp["status"]["message"],
        "Gateway blue/gw is invalid (3 problems):\n\
         - spec.listeners[0].routes.selector.matchLabels[ako.vmware.com/gateway-namespace]: Invalid value: \"red\": listener 0 (port 80) must use \"blue\", the Gateway's own namespace\n\
         - spec.listeners[0].protocol: Unsupported value: \"HTTP\": supported values: \"TCP\", \"UDP\", \"SCTP\" (avigw serves Layer 4 only)\n\
         - spec.addresses[0].value: Invalid value: \"10.0.0.300\": must be a valid IPv4 address such as 10.10.10.11"
    );
    assert!(
        resp["status"].get("details").is_none(),
        "kubectl would print the details instead of the message"
    );
    assert_eq!(
        resp["auditAnnotations"]["denied-rules"],
        "GW-LABELS-MISMATCH,GW-LISTENER-PROTOCOL,GW-ADDR-IPV4"
    );
}

#[test]
fn valid_gateway_is_allowed_and_namespace_comes_from_the_request() {
    let mut gw = gateway(
        json!([{"protocol": "TCP", "port": 80, "routes": {"selector": {"matchLabels": {"ako.vmware.com/gateway-name": "gw", "ako.vmware.com/gateway-namespace": "blue"}}}}]),
    );
    gw["metadata"].as_object_mut().unwrap().remove("namespace");
    let r = review(
        &request("networking.x-k8s.io", "Gateway", "CREATE", gw, Value::Null),
        Mode::Validate,
        &view(),
        &Scope::default(),
    )
    .unwrap();
    assert!(r.allowed && !r.mutated);
    let out: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(out["response"]["allowed"], true);
    assert!(out["response"].get("warnings").is_none());
}

#[test]
fn unknown_class_gives_a_warning() {
    let mut gw = gateway(json!([{"protocol": "TCP", "port": 80}]));
    gw["spec"]["gatewayClassName"] = json!("later");
    let out = run(
        Mode::Validate,
        &request("networking.x-k8s.io", "Gateway", "CREATE", gw, Value::Null),
    );
    assert_eq!(out["response"]["allowed"], true);
    assert!(
        out["response"]["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("spec.gatewayClassName: Not found: \"later\"")
    );
}

#[test]
fn foreign_objects_and_unknown_kinds_pass_untouched() {
    let mut gw = gateway(json!([{"protocol": "HTTP", "port": 80}]));
    gw["spec"]["gatewayClassName"] = json!("other");
    for mode in [Mode::Validate, Mode::Mutate] {
        let out = run(
            mode,
            &request(
                "networking.x-k8s.io",
                "Gateway",
                "CREATE",
                gw.clone(),
                Value::Null,
            ),
        );
        assert_eq!(out["response"]["allowed"], true);
        assert!(out["response"].get("patch").is_none());
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": "not even valid"}});
        let out = run(mode, &request("", "Pod", "CREATE", pod, Value::Null));
        assert_eq!(out["response"]["allowed"], true);
    }
}

#[test]
fn deletes_are_allowed() {
    let gw = gateway(json!([{"protocol": "HTTP", "port": 80}]));
    let out = run(
        Mode::Validate,
        &request("networking.x-k8s.io", "Gateway", "DELETE", Value::Null, gw),
    );
    assert_eq!(out["response"]["allowed"], true);
}

#[test]
fn vip_change_on_update_is_denied() {
    let mut old = gateway(json!([{"protocol": "TCP", "port": 80}]));
    old["spec"]["addresses"] = json!([{"type": "IPAddress", "value": "10.0.0.1"}]);
    old["status"] = json!({"addresses": [{"type": "IPAddress", "value": "10.0.0.1"}]});
    let mut new = old.clone();
    new["spec"]["addresses"][0]["value"] = json!("10.0.0.2");
    let out = run(
        Mode::Validate,
        &request("networking.x-k8s.io", "Gateway", "UPDATE", new, old),
    );
    assert_eq!(out["response"]["allowed"], false);
    assert!(out["response"]["status"]["message"].as_str().unwrap().contains(
        "spec.addresses: Forbidden: changed from [10.0.0.1] to [10.0.0.2] while the VIP 10.0.0.1 is bound"
    ));
}

#[test]
fn service_rules_and_port_warning() {
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "blue", "labels": {"ako.vmware.com/gateway-name": "gw", "ako.vmware.com/gateway-namespace": "blue"}}, "spec": {"ports": [{"port": 8080, "protocol": "TCP"}]}});
    let out = run(
        Mode::Validate,
        &request("", "Service", "CREATE", svc, Value::Null),
    );
    assert_eq!(out["response"]["allowed"], true);
    assert_eq!(
        out["response"]["warnings"][0],
        "spec.ports[0]: Gateway blue/gw has no listener for TCP/8080; this port gets no pool. The Gateway's listeners are: TCP/80"
    );
    let lb = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb", "namespace": "blue"}, "spec": {"type": "LoadBalancer", "loadBalancerIP": "nope", "ports": [{"port": 80}]}});
    let out = run(Mode::Validate, &request("", "Service", "CREATE", lb, Value::Null));
    assert_eq!(out["response"]["allowed"], false);
    assert_eq!(
        out["response"]["status"]["message"],
        "Service blue/lb is invalid: spec.loadBalancerIP: Invalid value: \"nope\": must be a valid IP address such as 10.10.10.11"
    );
}

#[test]
fn infra_setting_and_class_rules() {
    let ais = json!({"apiVersion": "ako.vmware.com/v1alpha1", "kind": "AviInfraSetting", "metadata": {"name": "s"}, "spec": {"network": {"bgpPeerLabels": ["a"], "vipNetworks": [{"cidr": "x"}]}}});
    let out = run(
        Mode::Validate,
        &request("ako.vmware.com", "AviInfraSetting", "CREATE", ais, Value::Null),
    );
    assert_eq!(out["response"]["allowed"], false);
    assert!(
        out["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .starts_with("AviInfraSetting s is invalid (3 problems):")
    );
    let class = json!({"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "GatewayClass", "metadata": {"name": "avi"}, "spec": {"controller": "ako.vmware.com/avi-lb", "parametersRef": {"group": "x.io", "kind": "Y", "name": "z"}}});
    let out = run(
        Mode::Validate,
        &request(
            "networking.x-k8s.io",
            "GatewayClass",
            "CREATE",
            class,
            Value::Null,
        ),
    );
    assert_eq!(out["response"]["auditAnnotations"]["denied-rules"], "GWC-PARAMS");
}

#[test]
fn undecodable_requests_are_errors_not_panics() {
    for body in [
        &b""[..],
        b"{",
        b"[]",
        b"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}",
        b"{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}",
    ] {
        let e = review(body, Mode::Validate, &view(), &Scope::default()).unwrap_err();
        assert!(
            matches!(e, ReviewError::Decode(_) | ReviewError::NoRequest),
            "{e}"
        );
    }
    // A review whose Gateway cannot be decoded: denied with 400, uid echoed.
    let bad = gateway(json!("not a list"));
    let out = run(
        Mode::Validate,
        &request(
            "networking.x-k8s.io",
            "Gateway",
            "CREATE",
            bad.clone(),
            Value::Null,
        ),
    );
    assert_eq!(out["response"]["allowed"], false);
    assert_eq!(out["response"]["status"]["code"], 400);
    assert!(
        out["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot decode the Gateway in the request: ")
    );
    // The mutating webhook leaves it to the schema.
    let out = run(
        Mode::Mutate,
        &request("networking.x-k8s.io", "Gateway", "CREATE", bad, Value::Null),
    );
    assert_eq!(out["response"]["allowed"], true);
    assert!(out["response"].get("patch").is_none());
}

/// The patch is base64 text, as Go encodes []byte.
fn patch_of(out: &Value) -> Option<Value> {
    use base64::Engine as _;
    let text = out["response"].get("patch")?.as_str().unwrap();
    let bytes = base64::engine::general_purpose::STANDARD.decode(text).unwrap();
    assert_eq!(out["response"]["patchType"], "JSONPatch");
    Some(serde_json::from_slice(&bytes).unwrap())
}

#[test]
fn mutation_sets_defaults_as_a_json_patch() {
    let mut gw = gateway(json!([
        {"protocol": "tcp", "port": 80},
        {"protocol": "UDP", "port": 53, "routes": {"kind": "Service"}},
        {"protocol": "SCTP", "port": 9, "routes": {"selector": {}}, "futureField": 1},
    ]));
    gw["spec"]["addresses"] = json!([{"value": "10.1.1.1"}]);
    let out = run(
        Mode::Mutate,
        &request(
            "networking.x-k8s.io",
            "Gateway",
            "CREATE",
            gw.clone(),
            Value::Null,
        ),
    );
    assert_eq!(out["response"]["allowed"], true);
    let patch = patch_of(&out).expect("a patch");
    let labels = json!({"ako.vmware.com/gateway-name": "gw", "ako.vmware.com/gateway-namespace": "blue"});
    assert_eq!(
        patch,
        json!([
            {"op": "replace", "path": "/spec/listeners/0/protocol", "value": "TCP"},
            {"op": "add", "path": "/spec/listeners/0/routes", "value": {"selector": {"matchLabels": labels}}},
            {"op": "add", "path": "/spec/listeners/1/routes/selector", "value": {"matchLabels": labels}},
            {"op": "add", "path": "/spec/listeners/2/routes/selector/matchLabels", "value": labels},
            {"op": "add", "path": "/spec/addresses/0/type", "value": "IPAddress"},
        ])
    );
    let mut patched = gw.clone();
    json_patch::patch(
        &mut patched,
        &serde_json::from_value::<json_patch::Patch>(patch).unwrap(),
    )
    .unwrap();
    assert_eq!(
        patched["spec"]["listeners"][2]["futureField"], 1,
        "unknown fields survive"
    );
    // Already defaulted: no patch at all.
    let out = run(
        Mode::Mutate,
        &request("networking.x-k8s.io", "Gateway", "CREATE", patched, Value::Null),
    );
    assert!(patch_of(&out).is_none());
}

proptest! {
    /// For any mix of missing/empty selectors, protocols in any case and untyped addresses, the
    /// patch applies to the raw request and yields exactly the shared defaults.
    #[test]
    fn patch_applies_and_equals_shared_defaults(
        listeners in proptest::collection::vec((0u8..4, prop_oneof![Just("tcp"), Just("TCP"), Just("Udp"), Just("sctp"), Just("http")], 1i32..65535), 1..5),
        typed_addr in proptest::option::of(any::<bool>()),
    ) {
        let ls: Vec<Value> = listeners.iter().map(|(shape, proto, port)| {
            let mut l = json!({"protocol": proto, "port": port});
            match shape {
                0 => {}
                1 => { l["routes"] = json!({}); }
                2 => { l["routes"] = json!({"selector": null}); }
                _ => { l["routes"] = json!({"selector": {"matchLabels": {}}}); }
            }
            l
        }).collect();
        let mut gw = gateway(Value::Array(ls));
        if let Some(t) = typed_addr {
            gw["spec"]["addresses"] = if t { json!([{"type": "IPAddress", "value": "10.0.0.1"}]) } else { json!([{"value": "10.0.0.1"}]) };
        }
        let out = run(Mode::Mutate, &request("networking.x-k8s.io", "Gateway", "CREATE", gw.clone(), Value::Null));
        let mut patched = gw.clone();
        if let Some(p) = patch_of(&out) {
            json_patch::patch(&mut patched, &serde_json::from_value::<json_patch::Patch>(p).unwrap()).unwrap();
        }
        let typed: avigw_shared::api::Gateway = serde_json::from_value(gw).unwrap();
        let want = avigw_shared::rules::default_gateway(&typed);
        let got: avigw_shared::api::Gateway = serde_json::from_value(patched).unwrap();
        prop_assert_eq!(got, want);
    }
}

/// A Gateway of ours that needs defaults, but whose JSON holds a number no JSON tree can hold
/// (an unknown field, so the typed decode skips it): the defaults cannot be written as a patch.
/// That is an error answer, not a silent "nothing to default".
fn undefaultable_gateway_request() -> Vec<u8> {
    let gw = gateway(json!([{"protocol": "tcp", "port": 80}]));
    let body = String::from_utf8(request(
        "networking.x-k8s.io",
        "Gateway",
        "CREATE",
        gw,
        Value::Null,
    ))
    .unwrap();
    body.replacen(r#""port":80"#, r#""port":80,"futureField":1e400"#, 1)
        .into_bytes()
}

#[test]
fn defaults_that_cannot_be_patched_are_an_error_answer() {
    let body = undefaultable_gateway_request();
    assert!(String::from_utf8_lossy(&body).contains("1e400"));
    let r = review(&body, Mode::Mutate, &view(), &Scope::default()).unwrap();
    let out: Value = serde_json::from_slice(&r.body).unwrap();
    let resp = &out["response"];
    assert_eq!(resp["uid"], "3f1d2c9a-0000-4000-8000-000000000001");
    assert_eq!(resp["allowed"], false, "{resp}");
    assert!(resp.get("patch").is_none());
    assert_eq!(resp["status"]["code"], 500);
    assert_eq!(resp["status"]["reason"], "InternalError");
    let message = resp["status"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "cannot build the admission defaults patch for Gateway blue/gw: the object does not parse as JSON: "
        ),
        "{message}"
    );
}

fn ingress_view() -> StaticView {
    let mut v = StaticView::default();
    v.add_ingress_class(&serde_json::from_value(json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "avi", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}}, "spec": {"controller": "ako.vmware.com/avi-lb"}})).unwrap());
    v.add_ingress(serde_json::from_value(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": "red", "creationTimestamp": "2024-01-01T00:00:00Z"}, "spec": {"rules": [{"host": "web.blue.avi.internal", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "s", "port": {"number": 80}}}}]}}]}})).unwrap());
    v
}

/// An Ingress `blue/web` without a namespace in its metadata (the request names it), with a
/// host-less rule, the way kubectl sends it: managedFields and the last-applied annotation.
fn hostless_ingress() -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "web", "creationTimestamp": "2024-02-01T00:00:00Z", "generation": 1,
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"kind\":\"Ingress\"}"},
            "managedFields": [{"manager": "kubectl", "operation": "Apply", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}}]},
        "spec": {"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "s", "port": {"number": 80}}}}]}}]}})
}

#[test]
fn ingresses_are_judged_with_the_scope_and_the_requests_namespace() {
    let body = request(
        "networking.k8s.io",
        "Ingress",
        "CREATE",
        hostless_ingress(),
        Value::Null,
    );
    // Without --default-domain the rule is skipped, with a warning.
    let r = review(&body, Mode::Validate, &ingress_view(), &Scope::default()).unwrap();
    assert!(r.allowed && !r.mutated);
    assert_eq!(r.kind.as_str(), "Ingress");
    let out: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        out["response"]["warnings"],
        json!([
            "spec.rules[0].host: is empty and no --default-domain is set: the rule is skipped: set a host"
        ])
    );
    // With it the rule's host is web.blue.avi.internal, which namespace red already serves.
    let scope = Scope {
        default_domain: Some("avi.internal".into()),
        ..Scope::default()
    };
    let r = review(&body, Mode::Validate, &ingress_view(), &scope).unwrap();
    let out: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        r.denied_rules.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        ["ING-HOST-TAKEN"]
    );
    assert_eq!(
        out["response"]["status"]["message"],
        "Ingress blue/web is invalid: spec.rules[0].host: \"web.blue.avi.internal\" is already served by Ingress red/web: a host belongs to one namespace: use another host or create this Ingress in namespace red"
    );
    // The mutating webhook has nothing to do for an Ingress.
    let r = review(&body, Mode::Mutate, &ingress_view(), &scope).unwrap();
    assert!(r.allowed && !r.mutated);
}

#[test]
fn an_undecodable_ingress_is_a_400_answer() {
    let mut bad = hostless_ingress();
    bad["spec"]["rules"] = json!("not a list");
    let out: Value = serde_json::from_slice(
        &review(
            &request("networking.k8s.io", "Ingress", "CREATE", bad, Value::Null),
            Mode::Validate,
            &ingress_view(),
            &Scope::default(),
        )
        .unwrap()
        .body,
    )
    .unwrap();
    assert_eq!(out["response"]["allowed"], false);
    assert_eq!(out["response"]["status"]["code"], 400);
    assert!(
        out["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot decode the Ingress in the request: "),
        "{out}"
    );
}
