//! Every SPEC §2 rule through the real HTTPS server: the exact denial text, warnings, allows,
//! and the mutating patch applied giving an object that validates and needs no further patch.

use std::sync::Arc;
use std::time::Duration;

use avigw_webhook::metrics::Metrics;
use avigw_webhook::server::{self, AppState, Readiness};
use avigw_webhook::tls;
use avigw_webhook::view::StaticView;
use serde_json::{Value, json};

const GROUP: &str = "networking.x-k8s.io";

fn labels(name: &str, ns: &str) -> Value {
    json!({"matchLabels": {"ako.vmware.com/gateway-name": name, "ako.vmware.com/gateway-namespace": ns}})
}

fn gw(listeners: Value, addresses: Value) -> Value {
    json!({"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "Gateway", "metadata": {"name": "gw", "namespace": "blue"},
           "spec": {"gatewayClassName": "avi", "listeners": listeners, "addresses": addresses}})
}

fn tcp80() -> Value {
    json!([{"protocol": "TCP", "port": 80, "routes": {"kind": "Service", "selector": labels("gw", "blue")}}])
}

fn svc(labels: Value, annotations: Value, spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "blue", "labels": labels, "annotations": annotations}, "spec": spec})
}

fn ais(network: Value) -> Value {
    json!({"apiVersion": "ako.vmware.com/v1alpha1", "kind": "AviInfraSetting", "metadata": {"name": "s"}, "spec": {"network": network}})
}

fn class(controller: &str, params: Value) -> Value {
    json!({"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "GatewayClass", "metadata": {"name": "avi"}, "spec": {"controller": controller, "parametersRef": params}})
}

fn review(group: &str, kind: &str, op: &str, object: &Value, old: &Value) -> Value {
    let version = if group.is_empty() { "v1" } else { "v1alpha1" };
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "uid-x", "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": "x"},
        "namespace": object.pointer("/metadata/namespace").cloned().unwrap_or(Value::Null),
        "name": object.pointer("/metadata/name").cloned().unwrap_or(json!("")),
        "operation": op, "userInfo": {}, "object": object, "oldObject": old}})
}

struct Case {
    group: &'static str,
    kind: &'static str,
    op: &'static str,
    object: Value,
    old: Value,
    /// (rule, exact line) of each violation, or empty when allowed.
    denied: Vec<(&'static str, String)>,
    warnings: Vec<String>,
}

fn deny(group: &'static str, kind: &'static str, object: Value, denied: Vec<(&'static str, &str)>) -> Case {
    Case {
        group,
        kind,
        op: "CREATE",
        object,
        old: Value::Null,
        denied: denied.into_iter().map(|(c, m)| (c, m.to_owned())).collect(),
        warnings: vec![],
    }
}

fn cases() -> Vec<Case> {
    let mut bound = gw(tcp80(), json!([{"type": "IPAddress", "value": "10.0.0.1"}]));
    bound["status"] = json!({"addresses": [{"type": "IPAddress", "value": "10.0.0.1"}]});
    let moved = gw(tcp80(), json!([{"type": "IPAddress", "value": "10.0.0.2"}]));
    let mut lb_bound = svc(
        json!({}),
        json!({}),
        json!({"type": "LoadBalancer", "loadBalancerIP": "10.0.0.1", "ports": [{"port": 80}]}),
    );
    lb_bound["status"] = json!({"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}});
    let lb_moved = svc(
        json!({}),
        json!({}),
        json!({"type": "LoadBalancer", "loadBalancerIP": "10.0.0.9", "ports": [{"port": 80}]}),
    );
    vec![
        deny(GROUP, "Gateway", gw(json!([{"protocol": "TCP", "port": 80, "routes": {"selector": {"matchLabels": {"ako.vmware.com/gateway-name": "gw"}}}}]), json!([])), vec![
            ("GW-LABELS-MISSING", "spec.listeners[0].routes.selector.matchLabels[ako.vmware.com/gateway-namespace]: Required value: listener 0 (port 80) must select its Services with the label ako.vmware.com/gateway-namespace: \"blue\""),
        ]),
        deny(GROUP, "Gateway", gw(json!([{"protocol": "TCP", "port": 80, "routes": {"selector": labels("gw", "red")}}]), json!([])), vec![
            ("GW-LABELS-MISMATCH", "spec.listeners[0].routes.selector.matchLabels[ako.vmware.com/gateway-namespace]: Invalid value: \"red\": listener 0 (port 80) must use \"blue\", the Gateway's own namespace"),
        ]),
        deny(GROUP, "Gateway", gw(tcp80(), json!([{"value": "10.0.0.1"}, {"value": "10.0.0.2"}])), vec![
            ("GW-ADDR-COUNT", "spec.addresses: Too many: 2: only a single IPv4 address is supported; keep one entry"),
        ]),
        deny(GROUP, "Gateway", gw(tcp80(), json!([{"type": "NamedAddress", "value": "vip"}])), vec![
            ("GW-ADDR-TYPE", "spec.addresses[0].type: Unsupported value: \"NamedAddress\": supported values: \"IPAddress\""),
        ]),
        deny(GROUP, "Gateway", gw(tcp80(), json!([{"type": "IPAddress", "value": "fe80::1"}])), vec![
            ("GW-ADDR-IPV4", "spec.addresses[0].value: Invalid value: \"fe80::1\": must be a valid IPv4 address such as 10.10.10.11"),
        ]),
        Case { group: GROUP, kind: "Gateway", op: "UPDATE", object: moved, old: bound, warnings: vec![], denied: vec![
            ("GW-VIP-IMMUTABLE", "spec.addresses: Forbidden: changed from [10.0.0.1] to [10.0.0.2] while the VIP 10.0.0.1 is bound to the Avi virtual service; delete and re-create the Gateway to change it".into()),
        ]},
        deny(GROUP, "Gateway", gw(json!([{"protocol": "TLS", "port": 443, "routes": {"selector": labels("gw", "blue")}}]), json!([])), vec![
            ("GW-LISTENER-PROTOCOL", "spec.listeners[0].protocol: Unsupported value: \"TLS\": supported values: \"TCP\", \"UDP\", \"SCTP\" (avigw serves Layer 4 only)"),
        ]),
        deny(GROUP, "Gateway", gw(json!([{"protocol": "UDP", "port": 53}, {"protocol": "UDP", "port": 53}]), json!([])), vec![
            ("GW-LISTENER-DUP", "spec.listeners[1]: Duplicate value: UDP/53: listeners 0 and 1 both use protocol UDP and port 53; each (protocol, port) may appear once"),
        ]),
        deny(GROUP, "Gateway", gw(json!([{"protocol": "TCP", "port": 80, "hostname": "-bad-"}]), json!([])), vec![
            ("GW-HOSTNAME", "spec.listeners[0].hostname: Invalid value: \"-bad-\": must be a lowercase RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. 'svc.example.com')"),
        ]),
        Case { group: GROUP, kind: "Gateway", op: "CREATE", object: { let mut g = gw(tcp80(), json!([])); g["spec"]["gatewayClassName"] = json!("later"); g }, old: Value::Null, denied: vec![],
            warnings: vec!["spec.gatewayClassName: Not found: \"later\": no GatewayClass of that name exists; the Gateway is stored but not served until a GatewayClass \"later\" with controller ako.vmware.com/avi-lb is created".into()] },
        deny(GROUP, "GatewayClass", class("ako.vmware.com/avi-lb", json!({"group": "example.io", "kind": "Params", "name": "p"})), vec![
            ("GWC-PARAMS", "spec.parametersRef: Unsupported value: group \"example.io\" kind \"Params\": supported: group \"ako.vmware.com\" kind \"AviInfraSetting\""),
        ]),
        Case { group: GROUP, kind: "GatewayClass", op: "UPDATE", object: class("example.io/lb", Value::Null), old: class("ako.vmware.com/avi-lb", Value::Null), warnings: vec![], denied: vec![
            ("GWC-CONTROLLER-IMMUTABLE", "spec.controller: Invalid value: \"example.io/lb\": field is immutable (it was \"ako.vmware.com/avi-lb\"); create a new GatewayClass instead".into()),
        ]},
        deny("", "Service", svc(json!({"ako.vmware.com/gateway-name": "gw"}), json!({}), json!({"ports": [{"port": 80}]})), vec![
            ("SVC-LABELS-PAIR", "metadata.labels[ako.vmware.com/gateway-namespace]: Required value: ako.vmware.com/gateway-name is set (\"gw\"), so ako.vmware.com/gateway-namespace must be set too, to the Gateway's namespace"),
        ]),
        Case { group: "", kind: "Service", op: "CREATE", object: svc(labels("gw", "blue")["matchLabels"].clone(), json!({}), json!({"type": "LoadBalancer", "ports": [{"port": 80}]})), old: Value::Null, denied: vec![],
            warnings: vec!["metadata.labels: a Service of type LoadBalancer is never a Gateway backend: it gets a dedicated virtual service and the ako.vmware.com/gateway-* labels are ignored; use type ClusterIP or NodePort to put it behind the Gateway".into()] },
        Case { group: "", kind: "Service", op: "CREATE", object: svc(labels("gw", "blue")["matchLabels"].clone(), json!({}), json!({"ports": [{"port": 81, "protocol": "TCP"}]})), old: Value::Null, denied: vec![],
            warnings: vec!["spec.ports[0]: Gateway blue/gw has no listener for TCP/81; this port gets no pool. The Gateway's listeners are: TCP/80".into()] },
        deny("", "Service", svc(json!({}), json!({"ako.vmware.com/load-balancer-ip": "10.0.0.2"}), json!({"type": "LoadBalancer", "loadBalancerIP": "10.0.0.1", "ports": [{"port": 80}]})), vec![
            ("SVC-IP-INVALID", "metadata.annotations[ako.vmware.com/load-balancer-ip]: Invalid value: \"10.0.0.2\": differs from spec.loadBalancerIP \"10.0.0.1\"; set only one, or both to the same address"),
        ]),
        Case { group: "", kind: "Service", op: "UPDATE", object: lb_moved, old: lb_bound, warnings: vec![], denied: vec![
            ("SVC-VIP-IMMUTABLE", "spec.loadBalancerIP: Forbidden: preferred IP changed from \"10.0.0.1\" to \"10.0.0.9\" while the Service holds the VIP 10.0.0.1 on the Avi virtual service; delete and re-create the Service to change it".into()),
        ]},
        deny("ako.vmware.com", "AviInfraSetting", ais(json!({"enableRhi": false, "bgpPeerLabels": ["p"]})), vec![
            ("AIS-RHI", "spec.network.bgpPeerLabels: Forbidden: BGP peer labels apply only with route health injection; set spec.network.enableRhi: true (found false) or remove the labels"),
        ]),
        deny("ako.vmware.com", "AviInfraSetting", ais(json!({"vipNetworks": [{"networkName": "vip", "cidr": "10.0.0.0/40"}]})), vec![
            ("AIS-CIDR", "spec.network.vipNetworks[0].cidr: Invalid value: \"10.0.0.0/40\": network \"vip\": must be an IPv4 CIDR such as 10.10.10.0/24"),
        ]),
        deny("ako.vmware.com", "AviInfraSetting", ais(json!({"vipNetworks": [{"cidr": "10.0.0.0/24"}]})), vec![
            ("AIS-NETWORK-REF", "spec.network.vipNetworks[0]: Required value: vipNetworks entry 0 must set networkName or networkUUID"),
        ]),
        // Allowed: the valid counterparts.
        deny(GROUP, "Gateway", gw(tcp80(), json!([{"type": "IPAddress", "value": "10.0.0.1"}])), vec![]),
        deny("ako.vmware.com", "AviInfraSetting", ais(json!({"vipNetworks": [{"networkName": "vip", "cidr": "10.0.0.0/24"}], "enableRhi": true, "bgpPeerLabels": ["p"]})), vec![]),
    ]
}

/// POSTs an AdmissionReview and returns the answer as JSON.
async fn post(client: &reqwest::Client, url: &str, body: &Value) -> Value {
    client
        .post(url)
        .json(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The webhook on loopback with a self-signed certificate, and a client that trusts it.
async fn serve(view: StaticView) -> (server::Running, reqwest::Client) {
    let loaded = tls::self_signed(&["localhost".to_owned()]).unwrap();
    let leaf = loaded.key.cert[0].clone();
    let state = AppState {
        view: Arc::new(view),
        scope: Default::default(),
        metrics: Arc::new(Metrics::new().unwrap()),
        readiness: Arc::new(Readiness::default()),
    };
    let running = server::start(
        "127.0.0.1:0".parse().unwrap(),
        "127.0.0.1:0".parse().unwrap(),
        tls::server_config(tls::ReloadingResolver::new(loaded.key)).unwrap(),
        state,
    )
    .await
    .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(leaf).unwrap();
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (
        running,
        reqwest::Client::builder()
            .use_preconfigured_tls(cfg)
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn every_rule_over_https() {
    let mut view = StaticView::default();
    view.add_class(serde_json::from_value(class("ako.vmware.com/avi-lb", Value::Null)).unwrap());
    view.add_gateway(serde_json::from_value(gw(tcp80(), json!([]))).unwrap());
    let (running, client) = serve(view).await;
    let url = |p: &str| format!("https://localhost:{}{p}", running.admission_addr.port());

    let mut rules_seen = std::collections::BTreeSet::new();
    for c in cases() {
        let body = review(c.group, c.kind, c.op, &c.object, &c.old);
        let out: Value = post(&client, &url("/validate"), &body).await;
        let resp = &out["response"];
        assert_eq!(resp["uid"], "uid-x");
        let warnings: Vec<String> = resp
            .get("warnings")
            .and_then(|w| serde_json::from_value(w.clone()).ok())
            .unwrap_or_default();
        assert_eq!(warnings, c.warnings, "{}", c.object);
        if c.denied.is_empty() {
            assert_eq!(resp["allowed"], true, "{out}");
            continue;
        }
        assert_eq!(resp["allowed"], false);
        assert_eq!(resp["status"]["code"], 422);
        let codes: Vec<&str> = c.denied.iter().map(|(r, _)| *r).collect();
        assert_eq!(resp["auditAnnotations"]["denied-rules"], codes.join(","));
        let message = resp["status"]["message"].as_str().unwrap();
        let lines: Vec<&str> = match message.split_once(" is invalid: ") {
            Some((_, one)) => vec![one],
            None => message
                .lines()
                .skip(1)
                .map(|l| l.trim_start_matches("- "))
                .collect(),
        };
        let want: Vec<&str> = c.denied.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(lines, want);
        rules_seen.insert(c.denied[0].0);
    }
    assert_eq!(
        rules_seen.len(),
        17,
        "every denial rule is exercised: {rules_seen:?}"
    );

    // Mutation: the patch applied gives a valid object, and a second pass patches nothing.
    let raw = gw(
        json!([{"protocol": "udp", "port": 53}, {"protocol": "tcp", "port": 80, "routes": {"selector": {}}}]),
        json!([{"value": "10.9.9.9"}]),
    );
    let out: Value = post(
        &client,
        &url("/mutate"),
        &review(GROUP, "Gateway", "CREATE", &raw, &Value::Null),
    )
    .await;
    let bytes = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(out["response"]["patch"].as_str().unwrap())
            .unwrap()
    };
    let patch: json_patch::Patch = serde_json::from_slice(&bytes).unwrap();
    let mut patched = raw.clone();
    json_patch::patch(&mut patched, &patch).unwrap();
    let out: Value = post(
        &client,
        &url("/validate"),
        &review(GROUP, "Gateway", "CREATE", &patched, &Value::Null),
    )
    .await;
    assert_eq!(out["response"]["allowed"], true, "{out}");
    let out: Value = post(
        &client,
        &url("/mutate"),
        &review(GROUP, "Gateway", "CREATE", &patched, &Value::Null),
    )
    .await;
    assert!(
        out["response"].get("patch").is_none(),
        "defaults are idempotent: {out}"
    );
    running.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn truncated_and_wrong_version_requests_get_400() {
    let (running, client) = serve(StaticView::default()).await;
    let url = format!("https://localhost:{}/validate", running.admission_addr.port());
    let full = serde_json::to_string(&review(
        GROUP,
        "Gateway",
        "CREATE",
        &gw(tcp80(), json!([])),
        &Value::Null,
    ))
    .unwrap();
    let v1beta1 = full.replace("admission.k8s.io/v1", "admission.k8s.io/v1beta1");
    for body in [&full[..full.len() / 2], "", "null", &v1beta1] {
        let r = client.post(&url).body(body.to_owned()).send().await.unwrap();
        assert_eq!(r.status(), 400, "{body}");
        assert!(
            r.text()
                .await
                .unwrap()
                .starts_with("request body is not an admission.k8s.io/v1 AdmissionReview")
        );
    }
    running.shutdown(Duration::from_secs(1)).await;
}
