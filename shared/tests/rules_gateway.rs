mod common;

use avigw_shared::api::GatewayStatus;
use avigw_shared::rules::{ClassState, GatewayContext, RuleCode, Verdict, default_gateway, validate_gateway};
use common::*;

const OURS: GatewayContext = GatewayContext {
    class: ClassState::Ours,
};

fn check(gw: &avigw_shared::api::Gateway) -> Verdict {
    validate_gateway(None, gw, &OURS)
}

fn messages(v: &Verdict) -> Vec<String> {
    v.violations.iter().map(|x| x.to_string()).collect()
}

#[test]
fn valid_gateway_passes() {
    let gw = gw_with(
        &(good_listener("TCP", 80) + &good_listener("UDP", 80) + &good_listener("SCTP", 9000)),
        "",
    );
    let v = check(&gw);
    assert!(v.allowed(), "{:?}", v);
    assert!(v.warnings.is_empty());
}

#[test]
fn labels_missing_names_listener_port_key_and_value() {
    let gw = gw_with(
        "  - protocol: TCP\n    port: 80\n    routes: {kind: Service, selector: {matchLabels: {app: x}}}\n",
        "",
    );
    let v = check(&gw);
    assert_eq!(
        messages(&v),
        [
            "spec.listeners[0].routes.selector.matchLabels[ako.vmware.com/gateway-name]: Required value: listener 0 (port 80) must select its Services with the label ako.vmware.com/gateway-name: \"gw\"",
            "spec.listeners[0].routes.selector.matchLabels[ako.vmware.com/gateway-namespace]: Required value: listener 0 (port 80) must select its Services with the label ako.vmware.com/gateway-namespace: \"blue\"",
        ]
    );
    assert!(
        v.violations
            .iter()
            .all(|x| x.code == RuleCode::GwLabelsMissing && x.listener == Some(0))
    );
}

#[test]
fn labels_missing_when_no_selector_at_all() {
    let gw = gw_with("  - protocol: TCP\n    port: 80\n", "");
    let v = check(&gw);
    assert_eq!(v.violations.len(), 2);
    assert!(v.violations.iter().all(|x| x.code == RuleCode::GwLabelsMissing));
}

#[test]
fn labels_mismatch_names_found_and_expected() {
    let gw = gw_with(
        &(good_listener("TCP", 80) + &listener("TCP", 8081, "other", "red")),
        "",
    );
    let v = check(&gw);
    assert_eq!(
        messages(&v),
        [
            "spec.listeners[1].routes.selector.matchLabels[ako.vmware.com/gateway-name]: Invalid value: \"other\": listener 1 (port 8081) must use \"gw\", the Gateway's own name",
            "spec.listeners[1].routes.selector.matchLabels[ako.vmware.com/gateway-namespace]: Invalid value: \"red\": listener 1 (port 8081) must use \"blue\", the Gateway's own namespace",
        ]
    );
    assert!(v.violations.iter().all(|x| x.code == RuleCode::GwLabelsMismatch));
}

#[test]
fn address_count_type_and_ipv4() {
    let gw = gw_with(
        &good_listener("TCP", 80),
        "  addresses:\n  - {type: IPAddress, value: 10.0.0.1}\n  - {type: NamedAddress, value: my-vip}\n  - {value: 10.0.0.300}\n  - {type: IPAddress, value: \"2001:db8::1\"}\n",
    );
    let v = check(&gw);
    assert_eq!(
        messages(&v),
        [
            "spec.addresses: Too many: 4: only a single IPv4 address is supported; keep one entry",
            "spec.addresses[1].type: Unsupported value: \"NamedAddress\": supported values: \"IPAddress\"",
            "spec.addresses[2].value: Invalid value: \"10.0.0.300\": must be a valid IPv4 address such as 10.10.10.11",
            "spec.addresses[3].value: Invalid value: \"2001:db8::1\": must be a valid IPv4 address such as 10.10.10.11",
        ]
    );
    let codes: Vec<_> = v.violations.iter().map(|x| x.code).collect();
    assert_eq!(
        codes,
        [
            RuleCode::GwAddrCount,
            RuleCode::GwAddrType,
            RuleCode::GwAddrIpv4,
            RuleCode::GwAddrIpv4
        ]
    );
}

#[test]
fn single_valid_address_passes() {
    let gw = gw_with(
        &good_listener("TCP", 80),
        "  addresses:\n  - {type: IPAddress, value: 10.10.10.11}\n",
    );
    assert!(check(&gw).allowed());
}

#[test]
fn protocol_must_be_l4() {
    let gw = gw_with(&(good_listener("HTTP", 80) + &good_listener("TCP", 81)), "");
    let v = check(&gw);
    assert_eq!(
        messages(&v),
        [
            "spec.listeners[0].protocol: Unsupported value: \"HTTP\": supported values: \"TCP\", \"UDP\", \"SCTP\" (avigw serves Layer 4 only)"
        ]
    );
    assert_eq!(v.violations[0].code, RuleCode::GwListenerProtocol);
    assert_eq!(v.violations[0].listener, Some(0));
    assert!(!RuleCode::GwListenerProtocol.blocks_whole_gateway());
}

#[test]
fn duplicate_listener_names_both_indexes() {
    let gw = gw_with(
        &(good_listener("TCP", 80) + &good_listener("UDP", 80) + &good_listener("TCP", 80)),
        "",
    );
    let v = check(&gw);
    assert_eq!(
        messages(&v),
        [
            "spec.listeners[2]: Duplicate value: TCP/80: listeners 0 and 2 both use protocol TCP and port 80; each (protocol, port) may appear once"
        ]
    );
    assert_eq!(v.violations[0].code, RuleCode::GwListenerDup);
}

#[test]
fn hostname_must_be_dns1123_subdomain() {
    let l = good_listener("TCP", 80).replace(
        "    port: 80\n",
        "    port: 80\n    hostname: Bad_Host.example.com\n",
    );
    let v = check(&gw_with(&l, ""));
    assert_eq!(
        messages(&v),
        [
            "spec.listeners[0].hostname: Invalid value: \"Bad_Host.example.com\": must be a lowercase RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. 'svc.example.com')"
        ]
    );
    assert_eq!(v.violations[0].code, RuleCode::GwHostname);
    let ok =
        good_listener("TCP", 80).replace("    port: 80\n", "    port: 80\n    hostname: svc.example.com\n");
    assert!(check(&gw_with(&ok, "")).allowed());
}

#[test]
fn class_missing_is_a_warning_on_create_only() {
    let gw = gw_with("  - protocol: HTTP\n    port: 80\n", "");
    let ctx = GatewayContext {
        class: ClassState::Missing,
    };
    let v = validate_gateway(None, &gw, &ctx);
    assert!(v.allowed());
    assert_eq!(
        v.warning_messages(),
        [
            "spec.gatewayClassName: Not found: \"avi\": no GatewayClass of that name exists; the Gateway is stored but not served until a GatewayClass \"avi\" with controller ako.vmware.com/avi-lb is created"
        ]
    );
    assert_eq!(v.warnings[0].code, RuleCode::GwClassUnknown);
    assert!(validate_gateway(Some(&gw), &gw, &ctx).warnings.is_empty());
}

#[test]
fn foreign_class_is_never_judged() {
    let gw = gw_with(
        "  - protocol: HTTP\n    port: 80\n",
        "  addresses: [{type: NamedAddress, value: x}, {value: y}]\n",
    );
    let v = validate_gateway(
        None,
        &gw,
        &GatewayContext {
            class: ClassState::Foreign,
        },
    );
    assert_eq!(v, Verdict::default());
}

fn with_vip(mut gw: avigw_shared::api::Gateway, vip: &str) -> avigw_shared::api::Gateway {
    gw.status = Some(GatewayStatus {
        addresses: vec![avigw_shared::api::GatewayAddress {
            type_: Some("IPAddress".into()),
            value: vip.into(),
        }],
        ..Default::default()
    });
    gw
}

#[test]
fn vip_immutable_once_assigned() {
    let l = good_listener("TCP", 80);
    let none = gw_with(&l, "");
    let a = gw_with(&l, "  addresses: [{type: IPAddress, value: 10.0.0.1}]\n");
    let b = gw_with(&l, "  addresses: [{type: IPAddress, value: 10.0.0.2}]\n");
    let cases = [
        (
            &a,
            &b,
            "spec.addresses: Forbidden: changed from [10.0.0.1] to [10.0.0.2] while the VIP 10.0.0.1 is bound to the Avi virtual service; delete and re-create the Gateway to change it",
        ),
        (
            &none,
            &a,
            "spec.addresses: Forbidden: address \"10.0.0.1\" added while the VIP 10.0.0.9 is bound to the Avi virtual service; delete and re-create the Gateway to change it",
        ),
        (
            &a,
            &none,
            "spec.addresses: Forbidden: address \"10.0.0.1\" removed while the VIP 10.0.0.1 is bound to the Avi virtual service; delete and re-create the Gateway to change it",
        ),
    ];
    for (old, new, want) in cases {
        let vip = old
            .spec
            .addresses
            .first()
            .map(|a| a.value.clone())
            .unwrap_or_else(|| "10.0.0.9".into());
        let old = with_vip(old.clone(), &vip);
        let v = validate_gateway(Some(&old), new, &OURS);
        assert_eq!(messages(&v), [want]);
        assert_eq!(v.violations[0].code, RuleCode::GwVipImmutable);
    }
    // No VIP yet: changing the request is fine. Same addresses with a VIP: fine.
    assert!(validate_gateway(Some(&a), &b, &OURS).allowed());
    let a_bound = with_vip(a.clone(), "10.0.0.1");
    assert!(validate_gateway(Some(&a_bound), &a, &OURS).allowed());
}

#[test]
fn all_violations_reported_together() {
    let gw = gw_with(
        "  - protocol: HTTP\n    port: 80\n  - protocol: HTTP\n    port: 80\n    hostname: UPPER\n",
        "  addresses: [{type: NamedAddress, value: x}, {value: y}]\n",
    );
    let v = check(&gw);
    let codes: Vec<_> = v.violations.iter().map(|x| x.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "GW-LABELS-MISSING",
            "GW-LABELS-MISSING",
            "GW-LISTENER-PROTOCOL",
            "GW-LABELS-MISSING",
            "GW-LABELS-MISSING",
            "GW-LISTENER-PROTOCOL",
            "GW-LISTENER-DUP",
            "GW-HOSTNAME",
            "GW-ADDR-COUNT",
            "GW-ADDR-TYPE",
            "GW-ADDR-IPV4",
        ]
    );
    let msg = v.denial_message("Gateway", "blue/gw");
    assert!(
        msg.starts_with("Gateway blue/gw is invalid (11 problems):\n- spec.listeners[0].routes"),
        "{msg}"
    );
    assert_eq!(msg.lines().count(), 12);
}

#[test]
fn single_violation_message_is_one_line() {
    let gw = gw_with(&good_listener("TCP", 80), "  addresses: [{value: nope}]\n");
    assert_eq!(
        check(&gw).denial_message("Gateway", "blue/gw"),
        "Gateway blue/gw is invalid: spec.addresses[0].value: Invalid value: \"nope\": must be a valid IPv4 address such as 10.10.10.11"
    );
}

#[test]
fn reasons_for_status() {
    assert_eq!(RuleCode::GwLabelsMissing.gateway_reason(), "InvalidMatchLabels");
    assert_eq!(RuleCode::GwLabelsMismatch.gateway_reason(), "InvalidMatchLabels");
    assert_eq!(RuleCode::GwAddrIpv4.gateway_reason(), "InvalidAddress");
    assert_eq!(RuleCode::GwVipImmutable.gateway_reason(), "InvalidAddress");
    assert_eq!(RuleCode::GwListenerDup.gateway_reason(), "InvalidListener");
    assert_eq!(RuleCode::GwHostname.gateway_reason(), "InvalidListener");
    assert_eq!(RuleCode::GwClassUnknown.gateway_reason(), "InvalidGatewayClass");
}

#[test]
fn empty_selectors_pass_after_defaults() {
    let gw = gw_with(
        "  - protocol: tcp\n    port: 80\n    routes: {kind: Service}\n  - protocol: udp\n    port: 53\n",
        "  addresses: [{value: 10.1.1.1}]\n",
    );
    assert!(!check(&gw).allowed());
    let d = default_gateway(&gw);
    let v = check(&d);
    assert!(v.allowed(), "{v:?}");
    assert_eq!(d.spec.listeners[0].protocol, "TCP");
    assert_eq!(d.spec.listeners[1].protocol, "UDP");
    assert_eq!(d.spec.addresses[0].type_.as_deref(), Some("IPAddress"));
    let labels = &d.spec.listeners[1].routes.selector.as_ref().unwrap().match_labels;
    assert_eq!(labels["ako.vmware.com/gateway-name"], "gw");
    assert_eq!(labels["ako.vmware.com/gateway-namespace"], "blue");
}

#[test]
fn defaults_leave_partial_selectors_and_valid_objects_alone() {
    let partial = gw_with(
        "  - protocol: TCP\n    port: 80\n    routes: {selector: {matchLabels: {app: x}}}\n",
        "",
    );
    assert_eq!(default_gateway(&partial), partial);
    let good = gw_with(
        &good_listener("TCP", 80),
        "  addresses: [{type: IPAddress, value: 10.1.1.1}]\n",
    );
    assert_eq!(default_gateway(&good), good);
    // A protocol no one knows is left for the rules to report.
    let odd = gw_with("  - protocol: quic\n    port: 80\n", "");
    assert_eq!(default_gateway(&odd).spec.listeners[0].protocol, "quic");
}
