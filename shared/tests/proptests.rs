//! Properties of the pure rules: no panics on arbitrary input, idempotent defaults, and empty
//! selectors always pass the label rules once defaulted.

use std::collections::BTreeMap;

use avigw_shared::api::{
    Gateway, GatewayAddress, GatewaySpec, LabelSelector, Listener, RouteBindingSelector,
};
use avigw_shared::rules::{
    ClassState, GatewayContext, RuleCode, ServiceContext, default_gateway, validate_gateway, validate_service,
};
use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use proptest::prelude::*;

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z0-9.-]{1,20}",
        ".{0,30}",
        Just("TCP".to_owned()),
        Just("tcp".to_owned()),
        Just("10.0.0.1".to_owned()),
        Just("ako.vmware.com/gateway-name".to_owned()),
    ]
}

fn any_selector() -> impl Strategy<Value = Option<LabelSelector>> {
    proptest::option::of(
        proptest::collection::btree_map(
            prop_oneof![
                Just("ako.vmware.com/gateway-name".to_owned()),
                Just("ako.vmware.com/gateway-namespace".to_owned()),
                any_text()
            ],
            any_text(),
            0..3,
        )
        .prop_map(|m| LabelSelector {
            match_labels: m,
            match_expressions: vec![],
        }),
    )
}

fn any_listener() -> impl Strategy<Value = Listener> {
    (
        proptest::option::of(any_text()),
        any::<i32>(),
        prop_oneof![
            Just("TCP".to_owned()),
            Just("udp".to_owned()),
            Just("SCTP".to_owned()),
            any_text()
        ],
        any_selector(),
    )
        .prop_map(|(hostname, port, protocol, selector)| Listener {
            hostname,
            port,
            protocol,
            routes: RouteBindingSelector {
                selector,
                group: None,
                kind: Some("Service".into()),
            },
        })
}

fn any_gateway() -> impl Strategy<Value = Gateway> {
    (
        "[a-z]{1,10}",
        "[a-z]{1,10}",
        proptest::collection::vec(any_listener(), 0..5),
        proptest::collection::vec((proptest::option::of(any_text()), any_text()), 0..3),
    )
        .prop_map(|(ns, name, listeners, addrs)| {
            let mut gw = Gateway::new(
                &name,
                GatewaySpec {
                    gateway_class_name: "c".into(),
                    listeners,
                    addresses: addrs
                        .into_iter()
                        .map(|(type_, value)| GatewayAddress { type_, value })
                        .collect(),
                },
            );
            gw.metadata.namespace = Some(ns);
            gw
        })
}

fn any_service() -> impl Strategy<Value = Service> {
    (
        proptest::collection::btree_map(
            prop_oneof![
                Just("ako.vmware.com/gateway-name".to_owned()),
                Just("ako.vmware.com/gateway-namespace".to_owned()),
                any_text()
            ],
            any_text(),
            0..3,
        ),
        proptest::collection::btree_map(
            prop_oneof![Just("ako.vmware.com/load-balancer-ip".to_owned()), any_text()],
            any_text(),
            0..2,
        ),
        proptest::option::of(prop_oneof![
            Just("LoadBalancer".to_owned()),
            Just("ClusterIP".to_owned()),
            any_text()
        ]),
        proptest::option::of(any_text()),
        proptest::collection::vec((any::<i32>(), proptest::option::of(any_text())), 0..4),
    )
        .prop_map(|(labels, annotations, type_, ip, ports)| {
            let mut s = Service::default();
            s.metadata.labels = Some(labels);
            s.metadata.annotations = Some(annotations);
            s.spec = Some(ServiceSpec {
                type_,
                load_balancer_ip: ip,
                ports: Some(
                    ports
                        .into_iter()
                        .map(|(port, protocol)| ServicePort {
                            port,
                            protocol,
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            });
            s
        })
}

proptest! {
    #[test]
    fn gateway_rules_never_panic(old in proptest::option::of(any_gateway()), new in any_gateway()) {
        for class in [ClassState::Ours, ClassState::Missing, ClassState::Foreign] {
            let v = validate_gateway(old.as_ref(), &new, &GatewayContext { class });
            let _ = v.denial_message("Gateway", "x/y");
        }
    }

    #[test]
    fn service_rules_never_panic(old in proptest::option::of(any_service()), new in any_service(), gw in proptest::option::of(any_gateway()), default_lb in any::<bool>()) {
        let _ = validate_service(old.as_ref(), &new, &ServiceContext { default_lb_controller: default_lb, gateway: gw.as_ref() });
    }

    #[test]
    fn defaults_are_idempotent(gw in any_gateway()) {
        let once = default_gateway(&gw);
        prop_assert_eq!(default_gateway(&once), once);
    }

    #[test]
    fn empty_selectors_pass_label_rules_after_defaults(mut gw in any_gateway()) {
        for l in &mut gw.spec.listeners {
            l.routes.selector = if l.port % 2 == 0 { None } else { Some(LabelSelector { match_labels: BTreeMap::new(), match_expressions: vec![] }) };
        }
        let v = validate_gateway(None, &default_gateway(&gw), &GatewayContext { class: ClassState::Ours });
        prop_assert!(v.violations.iter().all(|x| x.code != RuleCode::GwLabelsMissing && x.code != RuleCode::GwLabelsMismatch), "{:?}", v);
    }
}
