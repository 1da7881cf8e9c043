//! The seed documents' own examples through the rules, with the outcome SPEC gives them.
mod common;

use avigw_shared::api::{AviInfraSetting, Gateway, GatewayClass};
use avigw_shared::rules::{
    ClassState, GatewayContext, RuleCode, ServiceContext, default_gateway, gateway_ref_of, validate_gateway,
    validate_gateway_class, validate_infra_setting, validate_service,
};
use common::fixture_docs;
use k8s_openapi::api::core::v1::Service;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seeds");

struct Seed {
    classes: Vec<GatewayClass>,
    gateways: Vec<Gateway>,
    services: Vec<Service>,
    settings: Vec<AviInfraSetting>,
}

fn load(file: &str) -> Seed {
    let mut s = Seed {
        classes: vec![],
        gateways: vec![],
        services: vec![],
        settings: vec![],
    };
    for (kind, v) in fixture_docs(&format!("{DIR}/{file}")) {
        match kind.as_str() {
            "GatewayClass" => s.classes.push(serde_yaml::from_value(v).unwrap()),
            "Gateway" => s.gateways.push(serde_yaml::from_value(v).unwrap()),
            "Service" => s.services.push(serde_yaml::from_value(v).unwrap()),
            "AviInfraSetting" => s.settings.push(serde_yaml::from_value(v).unwrap()),
            other => panic!("unexpected kind {other}"),
        }
    }
    s
}

fn class_state(classes: &[GatewayClass], name: &str) -> ClassState {
    ClassState::of(classes.iter().find(|c| c.metadata.name.as_deref() == Some(name)))
}

#[test]
fn seed000_two_listener_gateway_with_lb_backends_warns_only() {
    let s = load("seed000-gateway-two-tcp-listeners.yaml");
    for c in &s.classes {
        assert!(validate_gateway_class(None, c).allowed());
    }
    let gw = &s.gateways[0];
    let v = validate_gateway(
        None,
        &default_gateway(gw),
        &GatewayContext {
            class: class_state(&s.classes, "avi-lb"),
        },
    );
    assert!(v.allowed() && v.warnings.is_empty(), "{v:?}");
    for svc in &s.services {
        let v = validate_service(
            None,
            svc,
            &ServiceContext {
                default_lb_controller: true,
                gateway: Some(gw),
            },
        );
        assert!(v.allowed(), "{v:?}");
        let codes: Vec<_> = v.warnings.iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            [RuleCode::SvcLbLabels],
            "backends of type LoadBalancer are a warning, not a denial"
        );
    }
}

#[test]
fn seed001_static_ip_and_hostname_are_valid_but_class_is_missing() {
    let s = load("seed001-static-ip-and-hostname.yaml");
    let gw = default_gateway(&s.gateways[0]);
    let v = validate_gateway(
        None,
        &gw,
        &GatewayContext {
            class: ClassState::Ours,
        },
    );
    assert!(v.allowed(), "{v:?}");
    // The seed file has no GatewayClass: admitted with a warning.
    let v = validate_gateway(
        None,
        &gw,
        &GatewayContext {
            class: class_state(&s.classes, "avi-lb"),
        },
    );
    assert!(v.allowed());
    assert_eq!(v.warnings[0].code, RuleCode::GwClassUnknown);
}

#[test]
fn seed004_infrasetting_class_gateway_and_services() {
    let s = load("seed004-infrasetting-udp-tcp.yaml");
    assert!(validate_infra_setting(&s.settings[0]).allowed());
    assert!(validate_gateway_class(None, &s.classes[0]).allowed());
    let gw = &s.gateways[0];
    let v = validate_gateway(
        None,
        &default_gateway(gw),
        &GatewayContext {
            class: class_state(&s.classes, "avigatewayclass-tkg-wkld-oam"),
        },
    );
    assert!(v.allowed() && v.warnings.is_empty(), "{v:?}");
    let backend = &s.services[0];
    assert_eq!(gateway_ref_of(backend), Some(("default", "app-gateway-admin-0")));
    // The seed's backend exposes 8443 while the Gateway listens on 161/80/443: a warning.
    let v = validate_service(
        None,
        backend,
        &ServiceContext {
            default_lb_controller: true,
            gateway: Some(gw),
        },
    );
    assert!(v.allowed());
    assert_eq!(v.warnings.len(), 1);
    assert_eq!(v.warnings[0].code, RuleCode::SvcPortNoListener);
    assert!(
        v.warnings[0].message.contains("UDP/161, TCP/80, TCP/443"),
        "{}",
        v.warnings[0].message
    );
    let lb = &s.services[1];
    assert!(
        validate_service(
            None,
            lb,
            &ServiceContext {
                default_lb_controller: true,
                gateway: None
            }
        )
        .allowed()
    );
}

#[test]
fn seed_label_typo_is_denied_with_the_expected_value() {
    let s = load("seed000-gateway-two-tcp-listeners.yaml");
    let mut gw = s.gateways[0].clone();
    gw.spec.listeners[1]
        .routes
        .selector
        .as_mut()
        .unwrap()
        .match_labels
        .insert("ako.vmware.com/gateway-namespace".into(), "red".into());
    let v = validate_gateway(
        None,
        &gw,
        &GatewayContext {
            class: ClassState::Ours,
        },
    );
    assert_eq!(
        v.denial_message("Gateway", "blue/my-gateway"),
        "Gateway blue/my-gateway is invalid: spec.listeners[1].routes.selector.matchLabels[ako.vmware.com/gateway-namespace]: Invalid value: \"red\": listener 1 (port 8081) must use \"blue\", the Gateway's own namespace"
    );
}
