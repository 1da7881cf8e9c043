//! `judge`: the one entry point the webhook, `plan` and the translation call. What it adds to
//! the per-kind rules: the class state and the Gateway come from the view, the defaults are
//! applied before a Gateway is judged, and the scope settings reach the Service and Ingress
//! rules.

mod common;

use std::sync::Arc;

use avigw_shared::api::{Gateway, GatewayClass};
use avigw_shared::config::Scope;
use avigw_shared::rules::{Change, ClassState, ClusterView, Review, RuleCode, RuleKind, judge};
use avigw_shared::translate::{Object, Snapshot};
use common::*;

type View = TestView;

fn class_of(name: &str, controller: &str) -> GatewayClass {
    class(&format!(
        "apiVersion: networking.x-k8s.io/v1alpha1\nkind: GatewayClass\nmetadata: {{name: {name}}}\nspec: {{controller: {controller}}}\n"
    ))
}

fn view_with_class(controller: &str) -> View {
    let mut v = View::default();
    v.classes
        .insert("avi".into(), Arc::new(class_of("avi", controller)));
    v
}

/// A Gateway whose only fault is a listener selector left empty (the defaults fill it) and an
/// HTTP protocol (a real violation).
fn needs_defaults() -> Gateway {
    gw_with(
        "  - {protocol: tcp, port: 80}\n  - {protocol: HTTP, port: 81}\n",
        "",
    )
}

fn codes(v: &[avigw_shared::rules::Violation]) -> Vec<RuleCode> {
    v.iter().map(|x| x.code).collect()
}

#[test]
fn class_state_is_decided_in_one_place() {
    assert_eq!(ClassState::of(None), ClassState::Missing);
    assert_eq!(
        ClassState::of(Some(&class_of("avi", "ako.vmware.com/avi-lb"))),
        ClassState::Ours
    );
    assert_eq!(
        ClassState::of(Some(&class_of("avi", "example.io/lb"))),
        ClassState::Foreign
    );
}

#[test]
fn a_gateway_is_judged_by_its_class_in_the_view_after_the_defaults() {
    let gw = needs_defaults();
    let review = Review::Gateway(Change::create(&gw));
    assert_eq!(review.kind(), RuleKind::Gateway);
    // Ours: the defaults fill the selector, so only the protocol is wrong.
    let v = judge(
        &review,
        &view_with_class("ako.vmware.com/avi-lb"),
        &Scope::default(),
    );
    assert_eq!(codes(&v.violations), vec![RuleCode::GwListenerProtocol]);
    assert_eq!(
        v.violations[0].to_string(),
        "spec.listeners[1].protocol: Unsupported value: \"HTTP\": supported values: \"TCP\", \"UDP\", \"SCTP\" (avigw serves Layer 4 only)"
    );
    // Foreign: nothing is judged.
    let v = judge(&review, &view_with_class("example.io/lb"), &Scope::default());
    assert_eq!(v, Default::default());
    // Missing: one warning, no denial.
    let v = judge(&review, &View::default(), &Scope::default());
    assert!(v.allowed());
    assert_eq!(codes(&v.warnings), vec![RuleCode::GwClassUnknown]);
}

#[test]
fn an_update_keeps_the_vip_rule() {
    let mut old = gw_with(
        &listener("TCP", 80, "gw", "blue"),
        "  addresses: [{type: IPAddress, value: 10.0.0.1}]\n",
    );
    old.status = Some(
        serde_json::from_value(
            serde_json::json!({"addresses": [{"type": "IPAddress", "value": "10.0.0.1"}]}),
        )
        .unwrap(),
    );
    let new = gw_with(
        &listener("TCP", 80, "gw", "blue"),
        "  addresses: [{type: IPAddress, value: 10.0.0.2}]\n",
    );
    let view = view_with_class("ako.vmware.com/avi-lb");
    let v = judge(
        &Review::Gateway(Change::update(&old, &new)),
        &view,
        &Scope::default(),
    );
    assert_eq!(codes(&v.violations), vec![RuleCode::GwVipImmutable]);
    let v = judge(&Review::Gateway(Change::create(&new)), &view, &Scope::default());
    assert!(v.allowed(), "{v:?}");
}

fn backend(ports: &str) -> k8s_openapi::api::core::v1::Service {
    service(&format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: blue\n  labels: {{ako.vmware.com/gateway-name: gw, ako.vmware.com/gateway-namespace: blue}}\nspec:\n  ports: {ports}\n"
    ))
}

#[test]
fn a_backend_service_sees_the_gateway_its_labels_name() {
    let svc = backend("[{port: 8443}]");
    let review = Review::Service(Change::create(&svc));
    let mut view = View::default();
    let v = judge(&review, &view, &Scope::default());
    assert!(v.warnings.is_empty(), "no Gateway known, no port warning: {v:?}");
    view.gateways.insert(
        ("blue".into(), "gw".into()),
        Arc::new(gw_with(&listener("TCP", 80, "gw", "blue"), "")),
    );
    let v = judge(&review, &view, &Scope::default());
    assert_eq!(codes(&v.warnings), vec![RuleCode::SvcPortNoListener]);
    assert_eq!(
        v.warnings[0].to_string(),
        "spec.ports[0]: Gateway blue/gw has no listener for TCP/8443; this port gets no pool. The Gateway's listeners are: TCP/80"
    );
}

#[test]
fn the_scope_decides_whether_a_classless_load_balancer_is_judged() {
    let svc = service(
        "apiVersion: v1\nkind: Service\nmetadata: {name: lb, namespace: red}\nspec:\n  type: LoadBalancer\n  loadBalancerIP: 10.0.0.300\n  ports: [{port: 80}]\n",
    );
    let review = Review::Service(Change::create(&svc));
    let ours = judge(
        &review,
        &View::default(),
        &Scope {
            default_lb_controller: true,
            ..Scope::default()
        },
    );
    assert_eq!(codes(&ours.violations), vec![RuleCode::SvcIpInvalid]);
    let not_ours = judge(
        &review,
        &View::default(),
        &Scope {
            default_lb_controller: false,
            ..Scope::default()
        },
    );
    assert_eq!(not_ours, Default::default());
}

#[test]
fn class_and_infra_setting_rules_are_reached() {
    let old = class_of("avi", "ako.vmware.com/avi-lb");
    let new = class_of("avi", "example.io/lb");
    let v = judge(
        &Review::GatewayClass(Change::update(&old, &new)),
        &View::default(),
        &Scope::default(),
    );
    assert_eq!(codes(&v.violations), vec![RuleCode::GwcControllerImmutable]);
    let ais = infra(
        "apiVersion: ako.vmware.com/v1alpha1\nkind: AviInfraSetting\nmetadata: {name: a}\nspec:\n  network:\n    vipNetworks: [{networkName: n, cidr: not-a-cidr}]\n",
    );
    let review = Review::AviInfraSetting(Change::create(&ais));
    assert_eq!(review.kind(), RuleKind::AviInfraSetting);
    let v = judge(&review, &View::default(), &Scope::default());
    assert_eq!(codes(&v.violations), vec![RuleCode::AisCidr]);
}

#[test]
fn the_snapshot_is_a_view_of_what_it_holds() {
    let snap = Snapshot::from_objects(
        Default::default(),
        [
            Object::GatewayClass(class_of("avi", "ako.vmware.com/avi-lb")),
            Object::Gateway(gw_with(&listener("TCP", 80, "gw", "blue"), "")),
        ],
    );
    assert!(ClusterView::gateway_class(&snap, "avi").is_some());
    assert!(ClusterView::gateway_class(&snap, "other").is_none());
    assert!(ClusterView::gateway(&snap, "blue", "gw").is_some());
    assert!(ClusterView::gateway(&snap, "red", "gw").is_none());
    let gw = needs_defaults();
    let v = judge(&Review::Gateway(Change::create(&gw)), &snap, &Scope::default());
    assert_eq!(codes(&v.violations), vec![RuleCode::GwListenerProtocol]);
    let svc = backend("[{port: 8443}]");
    let v = judge(&Object::Service(svc).review().unwrap(), &snap, &Scope::default());
    assert_eq!(codes(&v.warnings), vec![RuleCode::SvcPortNoListener]);
}
