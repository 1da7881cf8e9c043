mod common;

use avigw_shared::rules::{
    RuleCode, ServiceContext, ServiceOwnership, Verdict, gateway_ref_of, preferred_ip, service_ownership,
    validate_service,
};
use common::*;
use k8s_openapi::api::core::v1::Service;

fn svc(meta: &str, spec: &str) -> Service {
    service(&format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: red\n{meta}spec:\n{spec}"
    ))
}

const LABELS: &str = "  labels: {ako.vmware.com/gateway-name: gw, ako.vmware.com/gateway-namespace: blue}\n";
const CLUSTER_IP: &str = "  type: ClusterIP\n  ports: [{port: 80, protocol: TCP}]\n";
const LB: &str = "  type: LoadBalancer\n  ports: [{port: 80}]\n";

fn ctx() -> ServiceContext<'static> {
    ServiceContext {
        default_lb_controller: true,
        gateway: None,
    }
}

fn msgs(v: &[avigw_shared::rules::Violation]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn with_ingress(mut s: Service, ip: &str) -> Service {
    s.status =
        Some(serde_json::from_value(serde_json::json!({"loadBalancer": {"ingress": [{"ip": ip}]}})).unwrap());
    s
}

#[test]
fn ownership() {
    assert_eq!(
        service_ownership(&svc("", CLUSTER_IP), true),
        ServiceOwnership::NotOurs
    );
    assert_eq!(
        service_ownership(&svc(LABELS, CLUSTER_IP), true),
        ServiceOwnership::GatewayBackend
    );
    assert_eq!(
        service_ownership(&svc("", LB), true),
        ServiceOwnership::LoadBalancer
    );
    assert_eq!(service_ownership(&svc("", LB), false), ServiceOwnership::NotOurs);
    let ours = "  type: LoadBalancer\n  loadBalancerClass: ako.vmware.com/avi-lb\n  ports: [{port: 80}]\n";
    assert_eq!(
        service_ownership(&svc("", ours), false),
        ServiceOwnership::LoadBalancer
    );
    let theirs = "  type: LoadBalancer\n  loadBalancerClass: example.io/lb\n  ports: [{port: 80}]\n";
    assert_eq!(
        service_ownership(&svc("", theirs), true),
        ServiceOwnership::NotOurs
    );
    assert_eq!(gateway_ref_of(&svc(LABELS, CLUSTER_IP)), Some(("blue", "gw")));
}

#[test]
fn labels_pair() {
    let only_name = svc("  labels: {ako.vmware.com/gateway-name: gw}\n", CLUSTER_IP);
    let v = validate_service(None, &only_name, &ctx());
    assert_eq!(
        msgs(&v.violations),
        [
            "metadata.labels[ako.vmware.com/gateway-namespace]: Required value: ako.vmware.com/gateway-name is set (\"gw\"), so ako.vmware.com/gateway-namespace must be set too, to the Gateway's namespace"
        ]
    );
    assert_eq!(v.violations[0].code, RuleCode::SvcLabelsPair);
    let only_ns = svc("  labels: {ako.vmware.com/gateway-namespace: blue}\n", CLUSTER_IP);
    assert_eq!(
        msgs(&validate_service(None, &only_ns, &ctx()).violations),
        [
            "metadata.labels[ako.vmware.com/gateway-name]: Required value: ako.vmware.com/gateway-namespace is set (\"blue\"), so ako.vmware.com/gateway-name must be set too, to the Gateway's name"
        ]
    );
    assert!(validate_service(None, &svc(LABELS, CLUSTER_IP), &ctx()).allowed());
    assert_eq!(
        validate_service(None, &svc("", CLUSTER_IP), &ctx()),
        Verdict::default()
    );
}

#[test]
fn lb_with_labels_warns() {
    let v = validate_service(None, &svc(LABELS, LB), &ctx());
    assert!(v.allowed());
    assert_eq!(
        v.warning_messages(),
        [
            "metadata.labels: a Service of type LoadBalancer is never a Gateway backend: it gets a dedicated virtual service and the ako.vmware.com/gateway-* labels are ignored; use type ClusterIP or NodePort to put it behind the Gateway"
        ]
    );
    assert_eq!(v.warnings[0].code, RuleCode::SvcLbLabels);
}

#[test]
fn port_without_listener_warns_with_the_listeners() {
    let gw = gw_with(&(good_listener("TCP", 80) + &good_listener("UDP", 53)), "");
    let ctx = ServiceContext {
        default_lb_controller: true,
        gateway: Some(&gw),
    };
    let s = svc(
        LABELS,
        "  ports: [{port: 80}, {port: 8080, protocol: TCP}, {port: 53, protocol: UDP}, {port: 53, protocol: TCP}]\n",
    );
    let v = validate_service(None, &s, &ctx);
    assert!(v.allowed());
    assert_eq!(
        v.warning_messages(),
        [
            "spec.ports[1]: Gateway blue/gw has no listener for TCP/8080; this port gets no pool. The Gateway's listeners are: TCP/80, UDP/53",
            "spec.ports[3]: Gateway blue/gw has no listener for TCP/53; this port gets no pool. The Gateway's listeners are: TCP/80, UDP/53",
        ]
    );
    assert!(v.warnings.iter().all(|w| w.code == RuleCode::SvcPortNoListener));
}

#[test]
fn preferred_ip_rules() {
    let field =
        |ip: &str| format!("  type: LoadBalancer\n  loadBalancerIP: \"{ip}\"\n  ports: [{{port: 80}}]\n");
    let ann = |ip: &str| format!("  annotations: {{ako.vmware.com/load-balancer-ip: \"{ip}\"}}\n");
    assert!(validate_service(None, &svc("", &field("10.0.0.1")), &ctx()).allowed());
    assert!(validate_service(None, &svc(&ann("10.0.0.1"), LB), &ctx()).allowed());
    assert!(validate_service(None, &svc(&ann("10.0.0.1"), &field("10.0.0.1")), &ctx()).allowed());
    assert_eq!(preferred_ip(&svc(&ann("10.0.0.2"), LB)), Some("10.0.0.2"));
    assert_eq!(
        preferred_ip(&svc(&ann("10.0.0.2"), &field("10.0.0.1"))),
        Some("10.0.0.1")
    );

    let v = validate_service(None, &svc("", &field("10.0.0.256")), &ctx());
    assert_eq!(
        msgs(&v.violations),
        [
            "spec.loadBalancerIP: Invalid value: \"10.0.0.256\": must be a valid IP address such as 10.10.10.11"
        ]
    );
    let v = validate_service(None, &svc(&ann("abc"), LB), &ctx());
    assert_eq!(
        msgs(&v.violations),
        [
            "metadata.annotations[ako.vmware.com/load-balancer-ip]: Invalid value: \"abc\": must be a valid IP address such as 10.10.10.11"
        ]
    );
    let v = validate_service(None, &svc(&ann("10.0.0.2"), &field("10.0.0.1")), &ctx());
    assert_eq!(
        msgs(&v.violations),
        [
            "metadata.annotations[ako.vmware.com/load-balancer-ip]: Invalid value: \"10.0.0.2\": differs from spec.loadBalancerIP \"10.0.0.1\"; set only one, or both to the same address"
        ]
    );
    assert!(v.violations.iter().all(|x| x.code == RuleCode::SvcIpInvalid));
    // Not our LoadBalancer: never judged.
    let theirs = "  type: LoadBalancer\n  loadBalancerClass: example.io/lb\n  loadBalancerIP: nope\n  ports: [{port: 80}]\n";
    assert!(validate_service(None, &svc("", theirs), &ctx()).allowed());
}

#[test]
fn vip_immutable_once_ingress_set() {
    let field =
        |ip: &str| format!("  type: LoadBalancer\n  loadBalancerIP: \"{ip}\"\n  ports: [{{port: 80}}]\n");
    let ann = |ip: &str| format!("  annotations: {{ako.vmware.com/load-balancer-ip: \"{ip}\"}}\n");
    let plain = svc("", LB);
    let a = svc("", &field("10.0.0.1"));
    let b = svc("", &field("10.0.0.2"));
    let a_ann = svc(&ann("10.0.0.1"), LB);
    let cases = [
        (
            &a,
            &b,
            "spec.loadBalancerIP: Forbidden: preferred IP changed from \"10.0.0.1\" to \"10.0.0.2\" while the Service holds the VIP 10.0.0.1 on the Avi virtual service; delete and re-create the Service to change it",
        ),
        (
            &plain,
            &a_ann,
            "metadata.annotations[ako.vmware.com/load-balancer-ip]: Forbidden: preferred IP \"10.0.0.1\" added while the Service holds the VIP 10.0.0.1 on the Avi virtual service; delete and re-create the Service to change it",
        ),
        (
            &a,
            &plain,
            "spec.loadBalancerIP: Forbidden: preferred IP \"10.0.0.1\" removed while the Service holds the VIP 10.0.0.1 on the Avi virtual service; delete and re-create the Service to change it",
        ),
    ];
    for (old, new, want) in cases {
        let v = validate_service(Some(&with_ingress(old.clone(), "10.0.0.1")), new, &ctx());
        assert_eq!(msgs(&v.violations), [want]);
        assert_eq!(v.violations[0].code, RuleCode::SvcVipImmutable);
    }
    // Moving the same IP from the field to the annotation is allowed (seed 003).
    assert!(validate_service(Some(&with_ingress(a.clone(), "10.0.0.1")), &a_ann, &ctx()).allowed());
    // No ingress yet: any change is fine.
    assert!(validate_service(Some(&a), &b, &ctx()).allowed());
}
