//! Gateway translation scenarios (SPEC §3, §4).
mod translate_util;

use avigw_shared::config::LicenseTier;
use avigw_shared::translate::{
    COND_PORT_CONFLICT, COND_READY, COND_SCHEDULED, COND_UNSUPPORTED_PROTOCOL, Context, ControllerFacts,
    ObjKey, Object, Ownership, translate_all, translate_key,
};
use translate_util::*;

fn best_case() -> String {
    docs(&[
        class("avi"),
        gateway("blue", "gw", &[("TCP", 80), ("TCP", 8081)]),
        backend("blue", "web", "blue", "gw", &[("TCP", 80)]),
        backend("red", "api", "blue", "gw", &[("TCP", 8081)]),
        slice(
            "blue",
            "web",
            "web-1",
            0,
            "TCP",
            8080,
            &[
                ("10.1.0.2", None, None, None),
                ("10.1.0.1", Some(true), None, None),
            ],
        ),
        slice(
            "red",
            "api",
            "api-1",
            0,
            "TCP",
            9000,
            &[("10.2.0.1", None, None, None)],
        ),
    ])
}

#[test]
fn best_case_two_tcp_listeners_backends_in_two_namespaces() {
    let plans = translate(&default_config(), &best_case());
    let p = plan(&plans, &gw_key("blue", "gw"));
    assert_eq!(p.ownership, Ownership::Ours);
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert_eq!(
        pool_names(p),
        ["c1--blue-web-gw-TCP-80", "c1--blue-api-gw-TCP-8081"]
    );
    assert_eq!(
        servers(pool(p, "c1--blue-web-gw-TCP-80")),
        ["10.1.0.1:8080", "10.1.0.2:8080"]
    );
    assert_eq!(servers(pool(p, "c1--blue-api-gw-TCP-8081")), ["10.2.0.1:9000"]);

    let vs = p.avi.virtualservice.as_ref().unwrap();
    assert_eq!(vs.name, "c1--blue-gw");
    assert_eq!(vs.created_by.as_deref(), Some("avigw-c1"));
    assert_eq!(vs.vsvip_ref.as_deref(), Some("/api/vsvip?name=c1--blue-gw"));
    assert_eq!(
        vs.application_profile_ref.as_deref(),
        Some("/api/applicationprofile?name=System-L4-Application")
    );
    assert_eq!(
        vs.network_profile_ref.as_deref(),
        Some("/api/networkprofile?name=System-TCP-Proxy")
    );
    assert_eq!(
        vs.se_group_ref.as_deref(),
        Some("/api/serviceenginegroup?name=Default-Group")
    );
    assert_eq!(vs.cloud_ref.as_deref(), Some("/api/cloud?name=Default-Cloud"));
    assert_eq!(vs.vrf_context_ref.as_deref(), Some("/api/vrfcontext?name=global"));
    assert_eq!(vs.tenant_ref.as_deref(), Some("/api/tenant?name=admin"));
    let ports: Vec<(i32, Option<i32>)> = vs.services.iter().map(|s| (s.port, s.port_range_end)).collect();
    assert_eq!(ports, [(80, Some(80)), (8081, Some(8081))]);
    assert!(
        vs.services
            .iter()
            .all(|s| s.override_network_profile_ref.is_none())
    );
    assert_eq!(vs.l4_policies.len(), 1);
    assert_eq!(vs.l4_policies[0].index, 0);
    assert_eq!(
        vs.l4_policies[0].l4_policy_set_ref,
        "/api/l4policyset?name=c1--blue-gw"
    );
    let keys: Vec<&str> = vs.markers.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["clustername", "Namespace", "GatewayName"]);
    assert_eq!(vs.enable_rhi, None);

    let l4 = p.avi.l4policyset.as_ref().unwrap();
    assert_eq!(l4.created_by.as_deref(), Some("avigw-c1"));
    let rules: Vec<(u32, Vec<i32>, String, String)> = l4
        .l4_connection_policy
        .rules
        .iter()
        .map(|r| {
            let m = r.match_.as_ref().unwrap();
            (
                r.index,
                m.port.as_ref().unwrap().ports.clone(),
                m.protocol.as_ref().unwrap().protocol.clone(),
                r.action
                    .as_ref()
                    .unwrap()
                    .select_pool
                    .as_ref()
                    .unwrap()
                    .pool_ref
                    .clone()
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            (
                0,
                vec![80],
                "PROTOCOL_TCP".into(),
                "/api/pool?name=c1--blue-web-gw-TCP-80".into()
            ),
            (
                1,
                vec![8081],
                "PROTOCOL_TCP".into(),
                "/api/pool?name=c1--blue-api-gw-TCP-8081".into()
            ),
        ]
    );
    assert!(
        l4.l4_connection_policy.rules.iter().all(|r| r
            .match_
            .as_ref()
            .unwrap()
            .port
            .as_ref()
            .unwrap()
            .match_criteria
            == "IS_IN")
    );

    let pool = pool(p, "c1--blue-api-gw-TCP-8081");
    let marker: Vec<(&str, &str)> = pool
        .markers
        .iter()
        .map(|m| (m.key.as_str(), m.values[0].as_str()))
        .collect();
    assert_eq!(
        marker,
        [
            ("clustername", "c1"),
            ("Namespace", "blue"),
            ("GatewayName", "gw"),
            ("ServiceName", "api"),
            ("Port", "8081"),
            ("Protocol", "TCP")
        ]
    );
    assert_eq!(pool.health_monitor_refs, ["/api/healthmonitor?name=System-TCP"]);
    assert_eq!(pool.created_by.as_deref(), Some("avigw-c1"));

    let vsvip = p.avi.vsvip.as_ref().unwrap();
    assert_eq!(vsvip.name, "c1--blue-gw");
    assert_eq!(vsvip.vip[0].vip_id, "0");
    assert_eq!(vsvip.vip[0].auto_allocate_ip, Some(true));
    assert_eq!(vsvip.vip[0].ip_address, None);
    assert_eq!(vsvip.markers.len(), 1);
    assert_eq!(vsvip.markers[0].key, "clustername");

    let st = status(p);
    assert_eq!(cond(st, COND_SCHEDULED).status.as_str(), "True");
    assert_eq!(cond(st, COND_READY).reason, "Pending");
    assert_eq!(st.listeners.len(), 2);
    let ingress: Vec<String> = p.service_ingress.keys().map(ObjKey::to_string).collect();
    assert_eq!(ingress, ["blue/web", "red/api"]);
}

#[test]
fn avi_json_uses_the_controllers_field_names_and_skips_none() {
    let plans = translate(&default_config(), &best_case());
    let p = plan(&plans, &gw_key("blue", "gw"));
    let vs = serde_json::to_value(p.avi.virtualservice.as_ref().unwrap()).unwrap();
    for f in [
        "name",
        "services",
        "vsvip_ref",
        "network_profile_ref",
        "application_profile_ref",
        "l4_policies",
        "created_by",
        "markers",
    ] {
        assert!(vs.get(f).is_some(), "missing {f} in {vs}");
    }
    for f in ["enable_rhi", "uuid", "url", "_last_modified"] {
        assert!(vs.get(f).is_none(), "{f} should be skipped: {vs}");
    }
    let pool = serde_json::to_value(&p.avi.pools[0]).unwrap();
    assert_eq!(
        pool["servers"][0],
        serde_json::json!({"ip": {"addr": "10.1.0.1", "type": "V4"}, "port": 8080, "enabled": true})
    );
    let l4 = serde_json::to_value(p.avi.l4policyset.as_ref().unwrap()).unwrap();
    assert_eq!(
        l4["l4_connection_policy"]["rules"][0]["action"]["select_pool"]["action_type"],
        "L4_RULE_ACTION_SELECT_POOL"
    );
    assert_eq!(
        l4["l4_connection_policy"]["rules"][0]["match"]["protocol"]["match_criteria"],
        "IS_IN"
    );
}

fn assert_blocked(yaml: &str, reason: &str, code: &str) {
    let plans = translate(&default_config(), yaml);
    let p = plan(&plans, &gw_key("blue", "gw"));
    assert!(
        p.avi.is_empty(),
        "an invalid Gateway gets no Avi objects: {:?}",
        p.avi.names()
    );
    let st = status(p);
    let sched = cond(st, COND_SCHEDULED);
    assert_eq!(
        (sched.status.as_str(), sched.reason.as_str()),
        ("False", reason),
        "{sched:?}"
    );
    assert!(
        p.problems.iter().any(|pr| pr.code.as_deref() == Some(code)),
        "{:?}",
        p.problems
    );
    assert!(p.service_ingress.is_empty());
}

#[test]
fn missing_label_blocks_the_gateway_with_the_rules_message() {
    let gw = "apiVersion: networking.x-k8s.io/v1alpha1\nkind: Gateway\nmetadata: {name: gw, namespace: blue}\nspec:\n  gatewayClassName: avi\n  listeners:\n  - protocol: TCP\n    port: 80\n    routes:\n      selector:\n        matchLabels: {ako.vmware.com/gateway-name: gw}\n";
    let yaml = docs(&[
        class("avi"),
        gw.to_owned(),
        backend("blue", "web", "blue", "gw", &[("TCP", 80)]),
    ]);
    assert_blocked(&yaml, "InvalidMatchLabels", "GW-LABELS-MISSING");
    let plans = translate(&default_config(), &yaml);
    let st = status(plan(&plans, &gw_key("blue", "gw")));
    let msg = &cond(st, COND_SCHEDULED).message;
    assert!(
        msg.contains("ako.vmware.com/gateway-namespace") && msg.contains("\"blue\""),
        "{msg}"
    );
    assert_eq!(listener(st, 80).conditions[0].reason, "InvalidMatchLabels");
}

#[test]
fn empty_selector_is_defaulted_like_the_webhook_would() {
    let gw = "apiVersion: networking.x-k8s.io/v1alpha1\nkind: Gateway\nmetadata: {name: gw, namespace: blue}\nspec:\n  gatewayClassName: avi\n  listeners:\n  - protocol: tcp\n    port: 80\n";
    let plans = translate(
        &default_config(),
        &docs(&[
            class("avi"),
            gw.to_owned(),
            backend("blue", "web", "blue", "gw", &[("TCP", 80)]),
        ]),
    );
    let p = plan(&plans, &gw_key("blue", "gw"));
    assert_eq!(p.ownership, Ownership::Ours);
    assert_eq!(pool_names(p), ["c1--blue-web-gw-TCP-80"]);
}

#[test]
fn mismatched_label_blocks_the_gateway() {
    let mut gw = gateway("blue", "gw", &[("TCP", 80)]);
    gw = gw.replace(
        "ako.vmware.com/gateway-namespace: blue",
        "ako.vmware.com/gateway-namespace: red",
    );
    let yaml = docs(&[
        class("avi"),
        gw,
        backend("blue", "web", "blue", "gw", &[("TCP", 80)]),
    ]);
    assert_blocked(&yaml, "InvalidMatchLabels", "GW-LABELS-MISMATCH");
}

#[test]
fn bad_address_blocks_the_gateway_with_invalid_address() {
    let gw = gateway_with(
        "blue",
        "gw",
        "  addresses:\n  - {type: IPAddress, value: 10.0.0.300}\n",
        &[("TCP", 80)],
    );
    assert_blocked(&docs(&[class("avi"), gw]), "InvalidAddress", "GW-ADDR-IPV4");
    let gw = gateway_with(
        "blue",
        "gw",
        "  addresses:\n  - {value: 10.0.0.1}\n  - {value: 10.0.0.2}\n",
        &[("TCP", 80)],
    );
    assert_blocked(&docs(&[class("avi"), gw]), "InvalidAddress", "GW-ADDR-COUNT");
}

#[test]
fn duplicate_listener_blocks_the_gateway() {
    let gw = gateway("blue", "gw", &[("TCP", 80), ("TCP", 80)]);
    assert_blocked(&docs(&[class("avi"), gw]), "InvalidListener", "GW-LISTENER-DUP");
}

#[test]
fn wrong_controller_is_not_ours() {
    let other = "apiVersion: networking.x-k8s.io/v1alpha1\nkind: GatewayClass\nmetadata: {name: avi}\nspec: {controller: example.com/other-lb}\n";
    let plans = translate(
        &default_config(),
        &docs(&[other.to_owned(), best_case_no_class()]),
    );
    let p = plan(&plans, &gw_key("blue", "gw"));
    assert_eq!(p.ownership, Ownership::NotOurs);
    assert!(p.avi.is_empty());
    assert!(p.service_ingress.is_empty());
    // Written only if the Gateway still carries avigw's finalizer.
    assert_eq!(cond(status(p), COND_SCHEDULED).reason, "UnidentifiedController");
}

fn best_case_no_class() -> String {
    docs(&[
        gateway("blue", "gw", &[("TCP", 80)]),
        backend("blue", "web", "blue", "gw", &[("TCP", 80)]),
    ])
}

#[test]
fn class_not_found_is_unclaimed_with_invalid_gateway_class() {
    let plans = translate(&default_config(), &best_case_no_class());
    let p = plan(&plans, &gw_key("blue", "gw"));
    assert_eq!(p.ownership, Ownership::Unclaimed);
    assert!(p.avi.is_empty());
    let c = cond(status(p), COND_SCHEDULED);
    assert_eq!(
        (c.status.as_str(), c.reason.as_str()),
        ("False", "InvalidGatewayClass")
    );
    assert!(c.message.contains("\"avi\""), "{}", c.message);
    assert_eq!(p.problems[0].code.as_deref(), Some("GW-CLASS-UNKNOWN"));
}

#[test]
fn class_created_later_re_translates_its_gateways() {
    let cfg = default_config();
    let mut snap = snapshot(&cfg, &best_case_no_class());
    let affected = snap.upsert(objects(&class("avi")).remove(0));
    assert_eq!(affected.into_iter().collect::<Vec<_>>(), [gw_key("blue", "gw")]);
    let p = translate_key(&ctx(&cfg), &snap, &gw_key("blue", "gw"));
    assert_eq!(p.ownership, Ownership::Ours);
    assert_eq!(p.avi.pools.len(), 1);
}

#[test]
fn port_conflict_keeps_the_port_but_no_pool() {
    let yaml = docs(&[
        class("avi"),
        gateway("blue", "gw", &[("TCP", 80), ("TCP", 8081)]),
        backend("blue", "a", "blue", "gw", &[("TCP", 80)]),
        backend("red", "b", "blue", "gw", &[("TCP", 80)]),
        backend("red", "c", "blue", "gw", &[("TCP", 8081)]),
    ]);
    let plans = translate(&default_config(), &yaml);
    let p = plan(&plans, &gw_key("blue", "gw"));
    assert_eq!(pool_names(p), ["c1--blue-c-gw-TCP-8081"]);
    let vs = p.avi.virtualservice.as_ref().unwrap();
    assert_eq!(vs.services.iter().map(|s| s.port).collect::<Vec<_>>(), [80, 8081]);
    let st = status(p);
    let l80 = listener(st, 80);
    let conflict = l80.condition(COND_PORT_CONFLICT).unwrap();
    assert_eq!(conflict.status.as_str(), "True");
    assert!(
        conflict.message.contains("blue/a") && conflict.message.contains("red/b"),
        "{}",
        conflict.message
    );
    assert_eq!(l80.condition(COND_READY).unwrap().reason, "PortConflict");
    assert!(listener(st, 8081).condition(COND_PORT_CONFLICT).is_none());
    assert_eq!(cond(st, COND_SCHEDULED).status.as_str(), "True");
    let ingress: Vec<String> = p.service_ingress.keys().map(ObjKey::to_string).collect();
    assert_eq!(ingress, ["red/c"], "conflicting Services get no VIP");
}

#[test]
fn unsupported_protocol_on_the_listener_it_concerns() {
    let yaml = docs(&[
        class("avi"),
        gateway("blue", "gw", &[("TCP", 80), ("TCP", 443)]),
        backend("blue", "dns", "blue", "gw", &[("UDP", 80)]),
    ]);
    let plans = translate(&default_config(), &yaml);
    let p = plan(&plans, &gw_key("blue", "gw"));
    assert!(p.avi.pools.is_empty());
    assert!(p.avi.l4policyset.is_none(), "no pools, no L4PolicySet");
    assert!(p.avi.virtualservice.as_ref().unwrap().l4_policies.is_empty());
    let st = status(p);
    let c = listener(st, 80).condition(COND_UNSUPPORTED_PROTOCOL).unwrap();
    assert_eq!(c.status.as_str(), "True");
    assert!(c.message.contains("blue/dns port UDP/80"), "{}", c.message);
    assert!(listener(st, 443).condition(COND_UNSUPPORTED_PROTOCOL).is_none());
}

#[test]
fn non_l4_listener_is_dropped_and_the_rest_works() {
    let yaml = docs(&[
        class("avi"),
        gateway("blue", "gw", &[("HTTP", 8080), ("TCP", 80)]),
        backend("blue", "web", "blue", "gw", &[("TCP", 80)]),
    ]);
    let plans = translate(&default_config(), &yaml);
    let p = plan(&plans, &gw_key("blue", "gw"));
    let vs = p.avi.virtualservice.as_ref().unwrap();
    assert_eq!(vs.services.iter().map(|s| s.port).collect::<Vec<_>>(), [80]);
    assert_eq!(pool_names(p), ["c1--blue-web-gw-TCP-80"]);
    let st = status(p);
    assert_eq!(cond(st, COND_SCHEDULED).status.as_str(), "True");
    let l = listener(st, 8080);
    assert_eq!(l.conditions[0].reason, "InvalidListener");
    assert!(
        l.conditions[0].message.contains("\"HTTP\""),
        "{}",
        l.conditions[0].message
    );
    assert!(
        p.problems
            .iter()
            .any(|pr| pr.code.as_deref() == Some("GW-LISTENER-PROTOCOL"))
    );
}

#[test]
fn only_non_l4_listeners_is_invalid_listener() {
    let plans = translate(
        &default_config(),
        &docs(&[class("avi"), gateway("blue", "gw", &[("HTTP", 80), ("TLS", 443)])]),
    );
    let p = plan(&plans, &gw_key("blue", "gw"));
    assert!(p.avi.is_empty());
    let c = cond(status(p), COND_SCHEDULED);
    assert_eq!(
        (c.status.as_str(), c.reason.as_str()),
        ("False", "InvalidListener")
    );
}

#[test]
fn protocol_and_port_changes_on_service_and_listener() {
    let cfg = default_config();
    let context = ctx(&cfg);
    let key = gw_key("blue", "gw");
    let mut snap = snapshot(
        &cfg,
        &docs(&[
            class("avi"),
            gateway("blue", "gw", &[("TCP", 80)]),
            backend("blue", "web", "blue", "gw", &[("TCP", 80)]),
        ]),
    );
    assert_eq!(
        pool_names(&translate_key(&context, &snap, &key)),
        ["c1--blue-web-gw-TCP-80"]
    );

    // Service port moves away from the listener: no pool; the port stays on the VS.
    let affected = snap.upsert(objects(&backend("blue", "web", "blue", "gw", &[("TCP", 81)])).remove(0));
    assert!(affected.contains(&key));
    let p = translate_key(&context, &snap, &key);
    assert!(p.avi.pools.is_empty());
    assert_eq!(p.avi.virtualservice.as_ref().unwrap().services[0].port, 80);

    // The listener follows: the pool is back, named by the new port.
    let affected = snap.upsert(objects(&gateway("blue", "gw", &[("TCP", 81)])).remove(0));
    assert!(affected.contains(&key));
    assert_eq!(
        pool_names(&translate_key(&context, &snap, &key)),
        ["c1--blue-web-gw-TCP-81"]
    );

    // Both switch to UDP: UDP pool, UDP profile, UDP health monitor.
    snap.upsert(objects(&backend("blue", "web", "blue", "gw", &[("UDP", 81)])).remove(0));
    snap.upsert(objects(&gateway("blue", "gw", &[("UDP", 81)])).remove(0));
    let p = translate_key(&context, &snap, &key);
    assert_eq!(pool_names(&p), ["c1--blue-web-gw-UDP-81"]);
    assert_eq!(
        p.avi.pools[0].health_monitor_refs,
        ["/api/healthmonitor?name=System-UDP"]
    );
    assert_eq!(
        p.avi
            .virtualservice
            .as_ref()
            .unwrap()
            .network_profile_ref
            .as_deref(),
        Some("/api/networkprofile?name=System-UDP-Fast-Path")
    );
}

#[test]
fn service_relabelled_to_another_gateway_moves_its_pool() {
    let cfg = default_config();
    let context = ctx(&cfg);
    let (k1, k2) = (gw_key("blue", "gw"), gw_key("blue", "gw2"));
    let mut snap = snapshot(
        &cfg,
        &docs(&[
            class("avi"),
            gateway("blue", "gw", &[("TCP", 80)]),
            gateway("blue", "gw2", &[("TCP", 80)]),
            backend("red", "web", "blue", "gw", &[("TCP", 80)]),
        ]),
    );
    assert_eq!(translate_key(&context, &snap, &k1).avi.pools.len(), 1);
    assert!(translate_key(&context, &snap, &k2).avi.pools.is_empty());
    let affected = snap.upsert(objects(&backend("red", "web", "blue", "gw2", &[("TCP", 80)])).remove(0));
    // Both Gateways, and the Service's own key (it is not a LoadBalancer: nothing to do there).
    assert_eq!(
        affected.into_iter().collect::<Vec<_>>(),
        [k1.clone(), k2.clone(), svc_key("red", "web")]
    );
    let p1 = translate_key(&context, &snap, &k1);
    let p2 = translate_key(&context, &snap, &k2);
    assert!(p1.avi.pools.is_empty() && p1.service_ingress.is_empty());
    assert_eq!(pool_names(&p2), ["c1--blue-web-gw2-TCP-80"]);
    assert!(p2.service_ingress.contains_key(&ObjKey::new("red", "web")));
}

#[test]
fn static_ip_is_the_preferred_vip() {
    let gw = gateway_with(
        "blue",
        "gw",
        "  addresses:\n  - type: IPAddress\n    value: 10.10.10.11\n",
        &[("TCP", 80)],
    );
    let plans = translate(
        &default_config(),
        &docs(&[
            class("avi"),
            gw,
            backend("blue", "web", "blue", "gw", &[("TCP", 80)]),
        ]),
    );
    let p = plan(&plans, &gw_key("blue", "gw"));
    let vip = &p.avi.vsvip.as_ref().unwrap().vip[0];
    let addr = vip.ip_address.as_ref().unwrap();
    assert_eq!(
        (addr.addr.as_str(), serde_json::to_value(addr.type_).unwrap()),
        ("10.10.10.11", serde_json::json!("V4"))
    );
    assert_eq!(vip.auto_allocate_ip, Some(true));
    assert_eq!(
        p.service_ingress[&ObjKey::new("blue", "web")]
            .preferred_vip
            .as_deref(),
        Some("10.10.10.11")
    );
}

#[test]
fn tcp_udp_sctp_on_one_port() {
    let yaml = docs(&[
        class("avi"),
        gateway("blue", "gw", &[("TCP", 53), ("UDP", 53), ("SCTP", 53)]),
        backend(
            "blue",
            "dns",
            "blue",
            "gw",
            &[("TCP", 53), ("UDP", 53), ("SCTP", 53)],
        ),
    ]);
    let plans = translate(&default_config(), &yaml);
    let p = plan(&plans, &gw_key("blue", "gw"));
    assert_eq!(
        pool_names(p),
        [
            "c1--blue-dns-gw-TCP-53",
            "c1--blue-dns-gw-UDP-53",
            "c1--blue-dns-gw-SCTP-53"
        ]
    );
    let vs = p.avi.virtualservice.as_ref().unwrap();
    assert_eq!(
        vs.network_profile_ref.as_deref(),
        Some("/api/networkprofile?name=System-TCP-Proxy")
    );
    let overrides: Vec<(i32, Option<&str>)> = vs
        .services
        .iter()
        .map(|s| (s.port, s.override_network_profile_ref.as_deref()))
        .collect();
    assert_eq!(
        overrides,
        [
            (53, None),
            (53, Some("/api/networkprofile?name=System-UDP-Fast-Path")),
            (53, Some("/api/networkprofile?name=System-SCTP-Proxy")),
        ]
    );
    let protos: Vec<&str> = p
        .avi
        .l4policyset
        .as_ref()
        .unwrap()
        .l4_connection_policy
        .rules
        .iter()
        .map(|r| {
            r.match_
                .as_ref()
                .unwrap()
                .protocol
                .as_ref()
                .unwrap()
                .protocol
                .as_str()
        })
        .collect();
    assert_eq!(protos, ["PROTOCOL_TCP", "PROTOCOL_UDP", "PROTOCOL_SCTP"]);
    let hms: Vec<&str> = p
        .avi
        .pools
        .iter()
        .map(|x| x.health_monitor_refs[0].as_str())
        .collect();
    assert_eq!(
        hms,
        [
            "/api/healthmonitor?name=System-TCP",
            "/api/healthmonitor?name=System-UDP",
            "/api/healthmonitor?name=System-SCTP"
        ]
    );
}

#[test]
fn udp_and_sctp_without_tcp_use_the_udp_profile() {
    let plans = translate(
        &default_config(),
        &docs(&[
            class("avi"),
            gateway("blue", "gw", &[("SCTP", 2905), ("UDP", 161)]),
        ]),
    );
    let vs = plan(&plans, &gw_key("blue", "gw"))
        .avi
        .virtualservice
        .clone()
        .unwrap();
    assert_eq!(
        vs.network_profile_ref.as_deref(),
        Some("/api/networkprofile?name=System-UDP-Fast-Path")
    );
    assert_eq!(
        vs.services[0].override_network_profile_ref.as_deref(),
        Some("/api/networkprofile?name=System-SCTP-Proxy")
    );
    assert_eq!(vs.services[1].override_network_profile_ref, None);
    let plans = translate(
        &default_config(),
        &docs(&[class("avi"), gateway("blue", "gw", &[("SCTP", 2905)])]),
    );
    let vs = plan(&plans, &gw_key("blue", "gw"))
        .avi
        .virtualservice
        .clone()
        .unwrap();
    assert_eq!(
        vs.network_profile_ref.as_deref(),
        Some("/api/networkprofile?name=System-SCTP-Proxy")
    );
}

#[test]
fn license_tier_decides_the_tcp_profile() {
    let yaml = docs(&[class("avi"), gateway("blue", "gw", &[("TCP", 80), ("UDP", 53)])]);
    let profile = |cfg: &avigw_shared::config::Config, facts: ControllerFacts| {
        let snap = snapshot(cfg, &yaml);
        let plans = translate_all(&Context::new(cfg, &facts), &snap);
        let vs = plan(&plans, &gw_key("blue", "gw"))
            .avi
            .virtualservice
            .clone()
            .unwrap();
        (
            vs.network_profile_ref.unwrap(),
            vs.services[1].override_network_profile_ref.clone().unwrap(),
        )
    };
    let udp = "/api/networkprofile?name=System-UDP-Fast-Path".to_owned();
    // Offline: ENTERPRISE.
    assert_eq!(
        profile(&default_config(), ControllerFacts::default()),
        (
            "/api/networkprofile?name=System-TCP-Proxy".to_owned(),
            udp.clone()
        )
    );
    // The controller's tier.
    for tier in [LicenseTier::Essentials, LicenseTier::Basic] {
        let facts = ControllerFacts {
            license_tier: Some(tier),
            dns_domain: None,
        };
        assert_eq!(
            profile(&default_config(), facts),
            (
                "/api/networkprofile?name=System-TCP-Fast-Path".to_owned(),
                udp.clone()
            )
        );
    }
    let facts = ControllerFacts {
        license_tier: Some(LicenseTier::EnterpriseWithCloudServices),
        dns_domain: None,
    };
    assert_eq!(
        profile(&default_config(), facts).0,
        "/api/networkprofile?name=System-TCP-Proxy"
    );
    // --license-tier overrides the controller.
    let cfg = config(|r| r.license_tier = Some("BASIC".into()));
    let facts = ControllerFacts {
        license_tier: Some(LicenseTier::Enterprise),
        dns_domain: None,
    };
    assert_eq!(
        profile(&cfg, facts).0,
        "/api/networkprofile?name=System-TCP-Fast-Path"
    );
}

#[test]
fn loadbalancer_backends_are_not_attached_but_get_their_own_vs() {
    let lb = lb_service(
        "blue",
        "web",
        "  labels:\n    ako.vmware.com/gateway-name: gw\n    ako.vmware.com/gateway-namespace: blue\n",
        "",
        &[("TCP", 80)],
    );
    let plans = translate(
        &default_config(),
        &docs(&[class("avi"), gateway("blue", "gw", &[("TCP", 80)]), lb.clone()]),
    );
    let p = plan(&plans, &gw_key("blue", "gw"));
    assert!(p.avi.pools.is_empty());
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("blue/web is of type LoadBalancer")),
        "{:?}",
        p.notes
    );
    let own = plan(&plans, &svc_key("blue", "web"));
    assert_eq!(own.ownership, Ownership::Ours);
    assert_eq!(pool_names(own), ["c1--blue-web-TCP-80"]);
    // A LoadBalancer Service of another controller's class is a plain backend.
    let other = lb.replace(
        "  type: LoadBalancer\n",
        "  type: LoadBalancer\n  loadBalancerClass: example.com/other\n",
    );
    let plans = translate(
        &default_config(),
        &docs(&[class("avi"), gateway("blue", "gw", &[("TCP", 80)]), other]),
    );
    assert_eq!(
        pool_names(plan(&plans, &gw_key("blue", "gw"))),
        ["c1--blue-web-gw-TCP-80"]
    );
    assert_eq!(
        plan(&plans, &svc_key("blue", "web")).ownership,
        Ownership::NotOurs
    );
}

#[test]
fn names_over_255_characters_are_errors_on_status() {
    let long = "g".repeat(250);
    let plans = translate(
        &default_config(),
        &docs(&[class("avi"), gateway("blue", &long, &[("TCP", 80)])]),
    );
    let p = plan(&plans, &gw_key("blue", &long));
    assert!(p.avi.is_empty());
    let c = cond(status(p), COND_SCHEDULED);
    assert_eq!((c.status.as_str(), c.reason.as_str()), ("False", "NameTooLong"));
    assert!(c.message.contains("over Avi's limit of 255"), "{}", c.message);

    // A pool name too long loses that pool only; the listener says why.
    let gw_name = "g".repeat(180);
    let svc = "s".repeat(63);
    let yaml = docs(&[
        class("avi"),
        gateway("blue", &gw_name, &[("TCP", 80), ("TCP", 81)]),
        backend("blue", &svc, "blue", &gw_name, &[("TCP", 80)]),
        backend("blue", "short", "blue", &gw_name, &[("TCP", 81)]),
    ]);
    let plans = translate(&default_config(), &yaml);
    let p = plan(&plans, &gw_key("blue", &gw_name));
    assert_eq!(pool_names(p), [format!("c1--blue-short-{gw_name}-TCP-81")]);
    let l = listener(status(p), 80);
    assert_eq!(l.conditions[0].reason, "NameTooLong");
    assert!(p.avi.names().iter().all(|(_, n)| n.len() <= 255));
}

#[test]
fn services_api_off_means_no_gateways() {
    let cfg = config(|r| r.services_api = Some(false));
    let plans = translate(&cfg, &best_case());
    let p = plan(&plans, &gw_key("blue", "gw"));
    assert_eq!(p.ownership, Ownership::NotOurs);
    assert!(p.avi.is_empty());
}

#[test]
fn deleted_and_terminating_gateways_have_nothing() {
    let cfg = default_config();
    let context = ctx(&cfg);
    let key = gw_key("blue", "gw");
    let mut snap = snapshot(&cfg, &best_case());
    let Some(Object::Gateway(mut g)) = objects(&gateway("blue", "gw", &[("TCP", 80)])).into_iter().next()
    else {
        panic!()
    };
    g.metadata.deletion_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
        Default::default(),
    ));
    assert!(snap.upsert(Object::Gateway(g)).contains(&key));
    assert!(translate_key(&context, &snap, &key).avi.is_empty());
    let affected = snap.delete(avigw_shared::translate::ObjectKind::Gateway, Some("blue"), "gw");
    assert!(affected.contains(&key));
    let p = translate_key(&context, &snap, &key);
    assert_eq!(p.ownership, Ownership::NotOurs);
    assert!(p.avi.is_empty());
}
