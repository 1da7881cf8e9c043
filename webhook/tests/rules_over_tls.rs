//! Every SPEC §2 and SPEC-ingress §2 rule the webhook decides, through the real HTTPS server:
//! the exact denial text, warnings, allows, and the mutating patch applied giving an object
//! that validates and needs no further patch.

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
    let version = match group {
        "" | "networking.k8s.io" => "v1",
        _ => "v1alpha1",
    };
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

/// Posts every case and checks its answer; returns the rule codes seen (denials and warnings).
async fn check_cases(
    client: &reqwest::Client,
    url: &str,
    cases: Vec<Case>,
) -> std::collections::BTreeSet<String> {
    let mut rules_seen = std::collections::BTreeSet::new();
    for c in cases {
        let body = review(c.group, c.kind, c.op, &c.object, &c.old);
        let out: Value = post(client, url, &body).await;
        let resp = &out["response"];
        assert_eq!(resp["uid"], "uid-x");
        let warnings: Vec<String> = resp
            .get("warnings")
            .and_then(|w| serde_json::from_value(w.clone()).ok())
            .unwrap_or_default();
        assert_eq!(warnings, c.warnings, "{}", c.object);
        for w in &warnings {
            assert!(w.len() <= 256, "{} characters: {w}", w.len());
        }
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
        rules_seen.insert(c.denied[0].0.to_owned());
    }
    rules_seen
}

#[tokio::test]
async fn every_rule_over_https() {
    let mut view = StaticView::default();
    view.add_class(serde_json::from_value(class("ako.vmware.com/avi-lb", Value::Null)).unwrap());
    view.add_gateway(serde_json::from_value(gw(tcp80(), json!([]))).unwrap());
    let (running, client) = serve(view).await;
    let url = |p: &str| format!("https://localhost:{}{p}", running.admission_addr.port());

    let rules_seen = check_cases(&client, &url("/validate"), cases()).await;
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

const NET: &str = "networking.k8s.io";

/// An Ingress `ns/name` of class `class` with `spec` (JSON) besides the class.
fn ingress(ns: &str, name: &str, class: &str, mut spec: Value) -> Value {
    spec["ingressClassName"] = json!(class);
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name, "namespace": ns}, "spec": spec})
}

fn http_rule(host: &str, path: &str, path_type: &str) -> Value {
    json!({"host": host, "http": {"paths": [{"path": path, "pathType": path_type, "backend": {"service": {"name": "svc", "port": {"number": 80}}}}]}})
}

fn ingress_class(name: &str, controller: &str, params: Value) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": name}, "spec": {"controller": controller, "parameters": params}})
}

fn at(mut obj: Value, created: &str) -> Value {
    obj["metadata"]["creationTimestamp"] = json!(created);
    obj
}

fn one(op: &'static str, kind: &'static str, object: Value, old: Value) -> Case {
    Case {
        group: NET,
        kind,
        op,
        object,
        old,
        denied: vec![],
        warnings: vec![],
    }
}

fn denial(
    kind: &'static str,
    op: &'static str,
    object: Value,
    old: Value,
    code: &'static str,
    line: &str,
) -> Case {
    Case {
        denied: vec![(code, line.to_owned())],
        ..one(op, kind, object, old)
    }
}

fn warning(object: Value, line: &str) -> Case {
    Case {
        warnings: vec![line.to_owned()],
        ..one("CREATE", "Ingress", object, Value::Null)
    }
}

/// The objects the webhook's reflectors hold for the Ingress cases: classes `avi` (ours) and
/// `nginx` (another controller's); team-a/web serving shop.example.com; shop/old serving a.com
/// /x with Secret old-tls; team-b/legacy, which named shop.example.com before the webhook was
/// installed.
fn ingress_view() -> StaticView {
    let mut view = StaticView::default();
    for c in [
        ingress_class("avi", "ako.vmware.com/avi-lb", Value::Null),
        ingress_class("nginx", "example.com/nginx", Value::Null),
    ] {
        view.add_ingress_class(&serde_json::from_value(c).unwrap());
    }
    for i in [
        at(
            ingress(
                "team-a",
                "web",
                "avi",
                json!({"rules": [http_rule("shop.example.com", "/", "Prefix")]}),
            ),
            "2024-01-01T00:00:00Z",
        ),
        at(
            ingress(
                "shop",
                "old",
                "avi",
                json!({"tls": [{"hosts": ["a.com"], "secretName": "old-tls"}], "rules": [http_rule("a.com", "/x", "Prefix")]}),
            ),
            "2024-01-01T00:01:00Z",
        ),
        at(
            ingress(
                "team-b",
                "legacy",
                "avi",
                json!({"rules": [http_rule("shop.example.com", "/b", "Prefix")]}),
            ),
            "2024-01-01T00:02:00Z",
        ),
    ] {
        view.add_ingress(serde_json::from_value(i).unwrap());
    }
    view
}

/// (rule code, case): every ING-/ICL- code the webhook decides, with its exact text.
fn ingress_cases() -> Vec<(&'static str, Case)> {
    let taken = "spec.rules[1].host: \"shop.example.com\" is already served by Ingress team-a/web: a host belongs to one namespace: use another host or create this Ingress in namespace team-a";
    let two_hosts = ingress(
        "team-b",
        "web",
        "avi",
        json!({"rules": [http_rule("other.com", "/", "Prefix"), http_rule("shop.example.com", "/", "Prefix")]}),
    );
    let one_host = ingress(
        "team-b",
        "web",
        "avi",
        json!({"rules": [http_rule("other.com", "/", "Prefix")]}),
    );
    let legacy_old = at(
        ingress(
            "team-b",
            "legacy",
            "avi",
            json!({"rules": [http_rule("shop.example.com", "/b", "Prefix")]}),
        ),
        "2024-01-01T00:02:00Z",
    );
    let mut legacy_new = legacy_old.clone();
    legacy_new["spec"]["rules"][0]["http"]["paths"][0]["path"] = json!("/c");
    let service_backend = json!({"service": {"name": "svc", "port": {"number": 80}}});
    vec![
        (
            "ING-HOST-TAKEN",
            denial(
                "Ingress",
                "CREATE",
                two_hosts.clone(),
                Value::Null,
                "ING-HOST-TAKEN",
                taken,
            ),
        ),
        // An update is judged on the hosts the stored object lacked: adding one is denied...
        (
            "ING-HOST-TAKEN",
            denial("Ingress", "UPDATE", two_hosts, one_host, "ING-HOST-TAKEN", taken),
        ),
        // ...keeping one that got in before is not.
        ("", one("UPDATE", "Ingress", legacy_new, legacy_old)),
        (
            "ING-HOST-WILDCARD",
            denial(
                "Ingress",
                "CREATE",
                ingress(
                    "shop",
                    "wild",
                    "avi",
                    json!({"rules": [http_rule("*.a.com", "/", "Prefix")]}),
                ),
                Value::Null,
                "ING-HOST-WILDCARD",
                "spec.rules[0].host: \"*.a.com\": wildcard hosts are not supported yet: use the full host name",
            ),
        ),
        (
            "ING-BACKEND-RESOURCE",
            denial(
                "Ingress",
                "CREATE",
                ingress(
                    "shop",
                    "bucket",
                    "avi",
                    json!({"rules": [{"host": "r.com", "http": {"paths": [
                {"path": "/", "pathType": "Prefix", "backend": service_backend},
                {"path": "/b", "pathType": "Prefix", "backend": {"resource": {"apiGroup": "k8s.example.com", "kind": "Bucket", "name": "pics"}}}]}}]}),
                ),
                Value::Null,
                "ING-BACKEND-RESOURCE",
                "spec.rules[0].http.paths[1].backend.resource: Unsupported value: k8s.example.com/Bucket \"pics\": only service backends are supported: set backend.service",
            ),
        ),
        (
            "ICL-PARAMS",
            denial(
                "IngressClass",
                "CREATE",
                ingress_class(
                    "avi-edge",
                    "ako.vmware.com/avi-lb",
                    json!({"apiGroup": "example.com", "kind": "Thing", "name": "t", "scope": "Namespace", "namespace": "x"}),
                ),
                Value::Null,
                "ICL-PARAMS",
                "spec.parameters: Unsupported value: apiGroup \"example.com\" kind \"Thing\" scope \"Namespace\": supported: apiGroup \"ako.vmware.com\" kind \"AviInfraSetting\" scope \"Cluster\" or unset",
            ),
        ),
        (
            "ICL-CONTROLLER-IMMUTABLE",
            denial(
                "IngressClass",
                "UPDATE",
                ingress_class("avi", "example.com/nginx", Value::Null),
                ingress_class("avi", "ako.vmware.com/avi-lb", Value::Null),
                "ICL-CONTROLLER-IMMUTABLE",
                "spec.controller: Invalid value: \"example.com/nginx\": field is immutable (it was \"ako.vmware.com/avi-lb\"); create a new IngressClass instead",
            ),
        ),
        (
            "ING-RULE-NO-HTTP",
            warning(
                ingress("shop", "nohttp", "avi", json!({"rules": [{"host": "n.com"}]})),
                "spec.rules[0]: the rule for host \"n.com\" has no http paths: the rule is not served: add http.paths",
            ),
        ),
        (
            "ING-DEFAULT-BACKEND",
            warning(
                ingress(
                    "shop",
                    "default",
                    "avi",
                    json!({"defaultBackend": service_backend, "rules": [http_rule("d.com", "/", "Prefix")]}),
                ),
                "spec.defaultBackend: is not used by avigw: add a rule with path \"/\" instead",
            ),
        ),
        (
            "ING-HOST-EMPTY",
            warning(
                ingress(
                    "shop",
                    "nohost",
                    "avi",
                    json!({"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": service_backend}]}}]}),
                ),
                "spec.rules[0].host: is empty and no --default-domain is set: the rule is skipped: set a host",
            ),
        ),
        (
            "ING-TLS-UNUSED-HOST",
            warning(
                ingress(
                    "shop",
                    "unused",
                    "avi",
                    json!({"tls": [{"hosts": ["u.com", "z.com"], "secretName": "s"}], "rules": [http_rule("u.com", "/", "Prefix")]}),
                ),
                "spec.tls[0].hosts[1]: \"z.com\" is the host of no rule of this Ingress: add a rule for it or remove it",
            ),
        ),
        (
            "ING-PATH-DUPLICATE",
            warning(
                ingress(
                    "shop",
                    "dup",
                    "avi",
                    json!({"rules": [http_rule("a.com", "/x", "Prefix")]}),
                ),
                "spec.rules[0].http.paths[0]: host \"a.com\" path \"/x\" (Prefix) is already served by the older Ingress shop/old: this entry is not served: remove it or change its path",
            ),
        ),
        (
            "ING-TLS-CONFLICT",
            warning(
                ingress(
                    "shop",
                    "tls",
                    "avi",
                    json!({"tls": [{"hosts": ["a.com"], "secretName": "new-tls"}], "rules": [http_rule("a.com", "/y", "Prefix")]}),
                ),
                "spec.tls[0].secretName: host \"a.com\" already gets Secret \"old-tls\" from the older Ingress shop/old, not \"new-tls\": the older one's is used: use the same Secret or remove the host from this entry",
            ),
        ),
        (
            "ING-PATH-EXACT-HTTP",
            warning(
                ingress(
                    "shop",
                    "exact",
                    "avi",
                    json!({"rules": [http_rule("e.com", "/x", "Exact")]}),
                ),
                "spec.rules[0].http.paths[0].pathType: Exact path \"/x\" on host \"e.com\" is matched as a case-insensitive prefix on the shared virtual service (no Ingress lists the host under spec.tls): add the host under spec.tls or use shard size DEDICATED",
            ),
        ),
        // Valid: no findings.
        (
            "",
            one(
                "CREATE",
                "Ingress",
                ingress(
                    "shop",
                    "fine",
                    "avi",
                    json!({"tls": [{"hosts": ["f.com"], "secretName": "f-tls"}], "rules": [http_rule("f.com", "/", "Prefix"), http_rule("f.com", "/v1", "Exact")]}),
                ),
                Value::Null,
            ),
        ),
        (
            "",
            one(
                "CREATE",
                "IngressClass",
                ingress_class(
                    "avi-is1",
                    "ako.vmware.com/avi-lb",
                    json!({"apiGroup": "ako.vmware.com", "kind": "AviInfraSetting", "name": "is1"}),
                ),
                Value::Null,
            ),
        ),
        // Another controller's Ingress and class are never judged, whatever they hold.
        (
            "",
            one(
                "CREATE",
                "Ingress",
                ingress(
                    "team-c",
                    "theirs",
                    "nginx",
                    json!({"defaultBackend": service_backend, "tls": [{"hosts": ["*.w.com"]}], "rules": [
                http_rule("shop.example.com", "/x", "Exact"), {"host": "*.x.com"},
                {"host": "b.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"resource": {"apiGroup": "x", "kind": "Y", "name": "z"}}}]}}]}),
                ),
                Value::Null,
            ),
        ),
        (
            "",
            one(
                "CREATE",
                "IngressClass",
                ingress_class(
                    "haproxy",
                    "example.com/haproxy",
                    json!({"apiGroup": "example.com", "kind": "Thing", "name": "t"}),
                ),
                Value::Null,
            ),
        ),
    ]
}

#[tokio::test]
async fn every_ingress_rule_over_https() {
    let (running, client) = serve(ingress_view()).await;
    let url = format!("https://localhost:{}/validate", running.admission_addr.port());
    let cases = ingress_cases();
    let codes: std::collections::BTreeSet<&str> =
        cases.iter().map(|(c, _)| *c).filter(|c| !c.is_empty()).collect();
    let denials_seen = check_cases(&client, &url, cases.into_iter().map(|(_, c)| c).collect()).await;
    assert_eq!(
        denials_seen.into_iter().collect::<Vec<_>>(),
        [
            "ICL-CONTROLLER-IMMUTABLE",
            "ICL-PARAMS",
            "ING-BACKEND-RESOURCE",
            "ING-HOST-TAKEN",
            "ING-HOST-WILDCARD"
        ]
    );
    assert_eq!(
        codes.len(),
        12,
        "every ING-/ICL- code the webhook decides: {codes:?}"
    );
    running.shutdown(Duration::from_secs(1)).await;
}
