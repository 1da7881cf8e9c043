//! Services of type LoadBalancer (SPEC §3): single- and multi-port, preferred IP,
//! loadBalancerClass rules.
mod translate_util;

use avigw_shared::translate::{ObjKey, Ownership};
use translate_util::*;

#[test]
fn single_port_lb_service() {
    let yaml = docs(&[
        lb_service("red", "lb", "", "", &[("TCP", 80)]),
        slice(
            "red",
            "lb",
            "lb-1",
            0,
            "TCP",
            8080,
            &[("10.3.0.1", None, None, None)],
        ),
    ]);
    let plans = translate(&default_config(), &yaml);
    let p = plan(&plans, &svc_key("red", "lb"));
    assert_eq!(p.ownership, Ownership::Ours);
    let names: Vec<(&str, &str)> = p.avi.names();
    assert_eq!(
        names,
        [
            ("vsvip", "c1--red-lb"),
            ("pool", "c1--red-lb-TCP-80"),
            ("l4policyset", "c1--red-lb"),
            ("virtualservice", "c1--red-lb")
        ]
    );
    assert_eq!(servers(&p.avi.pools[0]), ["10.3.0.1:8080"]);
    let vs = p.avi.virtualservice.as_ref().unwrap();
    let keys: Vec<&str> = vs.markers.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["clustername", "Namespace", "ServiceName"]);
    let keys: Vec<&str> = p.avi.pools[0].markers.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["clustername", "Namespace", "ServiceName", "Port"]);
    assert_eq!(p.avi.l4policyset.as_ref().unwrap().markers, vs.markers);
    assert!(p.service_ingress.contains_key(&ObjKey::new("red", "lb")));
    assert!(p.gateway_status.is_none());
}

#[test]
fn multi_port_lb_service_in_port_order_with_mixed_protocols() {
    let plans = translate(
        &default_config(),
        &lb_service("red", "dns", "", "", &[("UDP", 53), ("TCP", 53), ("TCP", 8053)]),
    );
    let p = plan(&plans, &svc_key("red", "dns"));
    assert_eq!(
        pool_names(p),
        ["c1--red-dns-UDP-53", "c1--red-dns-TCP-53", "c1--red-dns-TCP-8053"]
    );
    let vs = p.avi.virtualservice.as_ref().unwrap();
    assert_eq!(
        vs.network_profile_ref.as_deref(),
        Some("/api/networkprofile?name=System-TCP-Proxy")
    );
    let ov: Vec<Option<&str>> = vs
        .services
        .iter()
        .map(|s| s.override_network_profile_ref.as_deref())
        .collect();
    assert_eq!(
        ov,
        [Some("/api/networkprofile?name=System-UDP-Fast-Path"), None, None]
    );
    let rules: Vec<(Vec<i32>, &str)> = p
        .avi
        .l4policyset
        .as_ref()
        .unwrap()
        .l4_connection_policy
        .rules
        .iter()
        .map(|r| {
            let m = r.match_.as_ref().unwrap();
            (
                m.port.as_ref().unwrap().ports.clone(),
                m.protocol.as_ref().unwrap().protocol.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            (vec![53], "PROTOCOL_UDP"),
            (vec![53], "PROTOCOL_TCP"),
            (vec![8053], "PROTOCOL_TCP")
        ]
    );
}

#[test]
fn preferred_ip_from_the_field_or_the_annotation() {
    let field = lb_service("red", "lb", "", "  loadBalancerIP: 10.10.10.11\n", &[("TCP", 80)]);
    let ann = lb_service(
        "red",
        "lb",
        "  annotations: {ako.vmware.com/load-balancer-ip: 10.20.10.100}\n",
        "",
        &[("TCP", 80)],
    );
    for (yaml, ip) in [(field, "10.10.10.11"), (ann, "10.20.10.100")] {
        let plans = translate(&default_config(), &yaml);
        let p = plan(&plans, &svc_key("red", "lb"));
        assert_eq!(p.avi.vsvip.as_ref().unwrap().address(), Some(ip));
        assert_eq!(
            p.service_ingress[&ObjKey::new("red", "lb")]
                .preferred_vip
                .as_deref(),
            Some(ip)
        );
    }
}

#[test]
fn invalid_preferred_ip_gets_no_objects_and_the_rules_message() {
    let yaml = lb_service(
        "red",
        "lb",
        "  annotations: {ako.vmware.com/load-balancer-ip: 10.0.0.999}\n",
        "",
        &[("TCP", 80)],
    );
    let plans = translate(&default_config(), &yaml);
    let p = plan(&plans, &svc_key("red", "lb"));
    assert_eq!(p.ownership, Ownership::Ours);
    assert!(p.avi.is_empty());
    assert_eq!(p.problems[0].code.as_deref(), Some("SVC-IP-INVALID"));
    assert!(
        p.problems[0].message.contains("10.0.0.999"),
        "{}",
        p.problems[0].message
    );
}

#[test]
fn load_balancer_class_rules() {
    let with_class = |class: &str| {
        lb_service(
            "red",
            "lb",
            "",
            &format!("  loadBalancerClass: {class}\n"),
            &[("TCP", 80)],
        )
    };
    let ours = |cfg: &avigw_shared::config::Config, yaml: &str| {
        plan(&translate(cfg, yaml), &svc_key("red", "lb")).ownership
    };
    let default_on = default_config();
    let default_off = config(|r| r.scope.default_lb_controller = Some(false));
    let no_class = lb_service("red", "lb", "", "", &[("TCP", 80)]);
    assert_eq!(ours(&default_on, &no_class), Ownership::Ours);
    assert_eq!(ours(&default_off, &no_class), Ownership::NotOurs);
    assert_eq!(
        ours(&default_on, &with_class("ako.vmware.com/avi-lb")),
        Ownership::Ours
    );
    assert_eq!(
        ours(&default_off, &with_class("ako.vmware.com/avi-lb")),
        Ownership::Ours
    );
    let other = plan(
        &translate(&default_on, &with_class("example.com/metallb")),
        &svc_key("red", "lb"),
    )
    .clone();
    assert_eq!(other.ownership, Ownership::NotOurs);
    assert!(other.avi.is_empty());
    assert!(
        other.notes[0].contains("example.com/metallb"),
        "{:?}",
        other.notes
    );
}

#[test]
fn a_service_that_stops_being_a_load_balancer_is_re_translated_to_nothing() {
    let cfg = default_config();
    let mut snap = snapshot(&cfg, &lb_service("red", "lb", "", "", &[("TCP", 80)]));
    let key = svc_key("red", "lb");
    let cluster_ip = lb_service("red", "lb", "", "", &[("TCP", 80)]).replace("  type: LoadBalancer\n", "");
    let affected = snap.upsert(objects(&cluster_ip).remove(0));
    assert!(affected.contains(&key));
    let p = avigw_shared::translate::translate_key(&ctx(&cfg), &snap, &key);
    assert_eq!(p.ownership, Ownership::NotOurs);
    assert!(p.avi.is_empty());
    assert!(!snap.keys().contains(&key));
}
