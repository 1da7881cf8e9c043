//! Pool servers in the three modes (SPEC §3): ClusterIP, NodePort, NodePortLocal.
mod translate_util;

use translate_util::*;

fn gw_and_backend(svc_extra_spec: &str) -> Vec<String> {
    let svc = backend("blue", "web", "blue", "gw", &[("TCP", 80)]);
    let svc = svc.replace("spec:\n", &format!("spec:\n{svc_extra_spec}"));
    vec![class("avi"), gateway("blue", "gw", &[("TCP", 80)]), svc]
}

fn gw_servers(cfg: &avigw_shared::config::Config, yaml: &str) -> Vec<String> {
    let plans = translate(cfg, yaml);
    servers(pool(
        plan(&plans, &gw_key("blue", "gw")),
        "c1--blue-web-gw-TCP-80",
    ))
}

#[test]
fn cluster_ip_lists_every_endpoint_enabled_when_ready_and_not_terminating() {
    let mut parts = gw_and_backend("");
    parts.push(slice(
        "blue",
        "web",
        "web-a",
        0,
        "TCP",
        8080,
        &[
            ("10.0.0.10", None, None, None),             // unset ready counts as ready
            ("10.0.0.2", Some(true), Some(false), None), // ready
            ("10.0.0.3", Some(false), None, None),       // not ready
            ("10.0.0.4", Some(true), Some(true), None),  // terminating
        ],
    ));
    // A second slice of the same Service, with a duplicate endpoint.
    parts.push(slice(
        "blue",
        "web",
        "web-b",
        0,
        "TCP",
        8080,
        &[
            ("10.0.0.5", None, None, None),
            ("10.0.0.2", Some(true), None, None),
        ],
    ));
    // A slice of another Service, and one whose port name does not match.
    parts.push(slice(
        "blue",
        "other",
        "other-a",
        0,
        "TCP",
        8080,
        &[("10.9.9.9", None, None, None)],
    ));
    parts.push(slice(
        "blue",
        "web",
        "web-c",
        7,
        "TCP",
        9999,
        &[("10.8.8.8", None, None, None)],
    ));
    assert_eq!(
        gw_servers(&default_config(), &docs(&parts)),
        [
            "10.0.0.2:8080",
            "10.0.0.3:8080!",
            "10.0.0.4:8080!",
            "10.0.0.5:8080",
            "10.0.0.10:8080"
        ]
    );
}

#[test]
fn cluster_ip_ipv6_endpoints() {
    let mut parts = gw_and_backend("");
    parts.push(
        slice(
            "blue",
            "web",
            "web-6",
            0,
            "TCP",
            8080,
            &[("fd00::2", None, None, None)],
        )
        .replace("addressType: IPv4", "addressType: IPv6"),
    );
    let plans = translate(&default_config(), &docs(&parts));
    let p = pool(plan(&plans, &gw_key("blue", "gw")), "c1--blue-web-gw-TCP-80");
    assert_eq!(p.servers[0].ip.addr, "fd00::2");
    assert_eq!(serde_json::to_value(p.servers[0].ip.type_).unwrap(), "V6");
}

fn nodes() -> Vec<String> {
    vec![
        node("n1", "192.168.0.1", "role: edge", ""),
        node("n2", "192.168.0.2", "role: worker", ""),
        node(
            "n3",
            "192.168.0.3",
            "role: edge",
            "projectcalico.org/IPv4Address: 172.16.0.3/24",
        ),
        node(
            "n4",
            "192.168.0.4",
            "role: edge",
            "node.antrea.io/transport-addresses: \"fd00::4,172.17.0.4\"",
        ),
    ]
}

#[test]
fn node_port_lists_nodes_on_the_node_port_with_cni_addresses() {
    let cfg = config(|r| r.service_type = Some("NodePort".into()));
    let mut parts = gw_and_backend("  type: NodePort\n");
    parts[2] = parts[2].replace(
        "    targetPort: 8080\n",
        "    targetPort: 8080\n    nodePort: 31080\n",
    );
    parts.extend(nodes());
    assert_eq!(
        gw_servers(&cfg, &docs(&parts)),
        [
            "172.16.0.3:31080",
            "172.17.0.4:31080",
            "192.168.0.1:31080",
            "192.168.0.2:31080"
        ]
    );
}

#[test]
fn node_port_with_a_node_selector() {
    let cfg = config(|r| {
        r.service_type = Some("NodePort".into());
        r.node_selector = Some("role=edge".into());
    });
    let mut parts = gw_and_backend("  type: NodePort\n");
    parts[2] = parts[2].replace(
        "    targetPort: 8080\n",
        "    targetPort: 8080\n    nodePort: 31080\n",
    );
    parts.extend(nodes());
    assert_eq!(
        gw_servers(&cfg, &docs(&parts)),
        ["172.16.0.3:31080", "172.17.0.4:31080", "192.168.0.1:31080"]
    );
}

#[test]
fn node_port_external_traffic_policy_local_keeps_nodes_with_endpoints() {
    let cfg = config(|r| r.service_type = Some("NodePort".into()));
    let mut parts = gw_and_backend("  type: NodePort\n  externalTrafficPolicy: Local\n");
    parts[2] = parts[2].replace(
        "    targetPort: 8080\n",
        "    targetPort: 8080\n    nodePort: 31080\n",
    );
    parts.extend(nodes());
    parts.push(slice(
        "blue",
        "web",
        "web-a",
        0,
        "TCP",
        8080,
        &[
            ("10.0.0.1", None, None, Some("n1")),
            ("10.0.0.2", Some(false), None, Some("n2")),
            ("10.0.0.3", None, None, None),
        ],
    ));
    assert_eq!(
        gw_servers(&cfg, &docs(&parts)),
        ["192.168.0.1:31080", "192.168.0.2:31080!"]
    );
}

#[test]
fn node_port_mode_gives_cluster_ip_services_no_servers() {
    let cfg = config(|r| r.service_type = Some("NodePort".into()));
    let mut parts = gw_and_backend("");
    parts.extend(nodes());
    assert!(gw_servers(&cfg, &docs(&parts)).is_empty());
}

#[test]
fn node_port_mode_for_a_loadbalancer_service() {
    let cfg = config(|r| r.service_type = Some("NodePort".into()));
    let svc = lb_service("red", "lb", "", "", &[("TCP", 80)]).replace(
        "    targetPort: 8080\n",
        "    targetPort: 8080\n    nodePort: 30080\n",
    );
    let mut parts = vec![svc];
    parts.extend(nodes());
    let plans = translate(&cfg, &docs(&parts));
    let p = plan(&plans, &svc_key("red", "lb"));
    assert_eq!(servers(pool(p, "c1--red-lb-TCP-80")).len(), 4);
}

fn pod(name: &str, app: &str, npl: &str, ready: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: blue\n  labels: {{app: {app}}}\n  annotations:\n    nodeportlocal.antrea.io: '{npl}'\nspec:\n  containers:\n  - name: c\n    image: nginx\n    ports:\n    - {{name: web, containerPort: 8080}}\nstatus:\n  conditions:\n  - {{type: Ready, status: \"{ready}\"}}\n"
    )
}

#[test]
fn node_port_local_uses_the_antrea_pod_annotation() {
    let cfg = config(|r| r.service_type = Some("NodePortLocal".into()));
    let mut parts = gw_and_backend("");
    parts.push(pod(
        "web-1",
        "web",
        r#"[{"podPort":8080,"nodeIP":"10.102.47.229","nodePort":40002}]"#,
        "True",
    ));
    parts.push(pod(
        "web-2",
        "web",
        r#"[{"podPort":8080,"nodeIP":"10.102.47.230","nodePort":40003,"protocol":"tcp","protocols":["tcp"]},{"podPort":9090,"nodeIP":"10.102.47.230","nodePort":40004}]"#,
        "False",
    ));
    // Not selected by the Service.
    parts.push(pod(
        "other",
        "other",
        r#"[{"podPort":8080,"nodeIP":"10.102.47.231","nodePort":40005}]"#,
        "True",
    ));
    // Wrong protocol.
    parts.push(pod(
        "web-3",
        "web",
        r#"[{"podPort":8080,"nodeIP":"10.102.47.232","nodePort":40006,"protocols":["udp"]}]"#,
        "True",
    ));
    assert_eq!(
        gw_servers(&cfg, &docs(&parts)),
        ["10.102.47.229:40002", "10.102.47.230:40003!"]
    );
}

#[test]
fn node_port_local_resolves_a_named_target_port() {
    let cfg = config(|r| r.service_type = Some("NodePortLocal".into()));
    let mut parts = gw_and_backend("");
    parts[2] = parts[2].replace("targetPort: 8080", "targetPort: web");
    parts.push(pod(
        "web-1",
        "web",
        r#"[{"podPort":8080,"nodeIP":"10.102.47.229","nodePort":40002}]"#,
        "True",
    ));
    assert_eq!(gw_servers(&cfg, &docs(&parts)), ["10.102.47.229:40002"]);
}

#[test]
fn pod_changes_only_matter_in_node_port_local_mode() {
    let p = pod(
        "web-1",
        "web",
        r#"[{"podPort":8080,"nodeIP":"10.102.47.229","nodePort":40002}]"#,
        "True",
    );
    for (mode, expect) in [("ClusterIP", false), ("NodePortLocal", true)] {
        let cfg = config(|r| r.service_type = Some(mode.into()));
        let mut snap = snapshot(&cfg, &docs(&gw_and_backend("")));
        let affected = snap.upsert(objects(&p).remove(0));
        assert_eq!(affected.contains(&gw_key("blue", "gw")), expect, "{mode}");
    }
}
