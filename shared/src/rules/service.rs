use std::net::IpAddr;

use k8s_openapi::api::core::v1::Service;

use super::format::q;
use super::ownership::{ServiceOwnership, service_ownership};
use super::{RuleCode, Verdict};
use crate::api::{ANNOTATION_LOAD_BALANCER_IP, Gateway, LABEL_GATEWAY_NAME, LABEL_GATEWAY_NAMESPACE};

#[derive(Debug, Clone, Copy)]
pub struct ServiceContext<'a> {
    /// `--default-lb-controller`: LoadBalancer Services without a class are ours.
    pub default_lb_controller: bool,
    /// The Gateway the Service's labels point at, when it is known.
    pub gateway: Option<&'a Gateway>,
}

/// The preferred VIP a Service asks for: `spec.loadBalancerIP`, else the
/// `ako.vmware.com/load-balancer-ip` annotation.
pub fn preferred_ip(svc: &Service) -> Option<&str> {
    let field = svc
        .spec
        .as_ref()
        .and_then(|s| s.load_balancer_ip.as_deref())
        .filter(|s| !s.is_empty());
    field.or_else(|| annotation_ip(svc))
}

fn annotation_ip(svc: &Service) -> Option<&str> {
    svc.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_LOAD_BALANCER_IP))
        .map(String::as_str)
        .filter(|s| !s.is_empty())
}

/// Every SPEC §2 rule for a Service; Services that are not ours get an empty verdict.
pub fn validate_service(old: Option<&Service>, new: &Service, ctx: &ServiceContext) -> Verdict {
    let mut v = Verdict::default();
    let ownership = service_ownership(new, ctx.default_lb_controller);
    if ownership == ServiceOwnership::NotOurs {
        return v;
    }
    let labels = new.metadata.labels.as_ref();
    let name_label = labels.and_then(|l| l.get(LABEL_GATEWAY_NAME));
    let ns_label = labels.and_then(|l| l.get(LABEL_GATEWAY_NAMESPACE));
    match (name_label, ns_label) {
        (Some(n), None) => v.deny(
            RuleCode::SvcLabelsPair,
            format!("metadata.labels[{LABEL_GATEWAY_NAMESPACE}]"),
            format!("Required value: {LABEL_GATEWAY_NAME} is set ({}), so {LABEL_GATEWAY_NAMESPACE} must be set too, to the Gateway's namespace", q(n)),
        ),
        (None, Some(ns)) => v.deny(
            RuleCode::SvcLabelsPair,
            format!("metadata.labels[{LABEL_GATEWAY_NAME}]"),
            format!("Required value: {LABEL_GATEWAY_NAMESPACE} is set ({}), so {LABEL_GATEWAY_NAME} must be set too, to the Gateway's name", q(ns)),
        ),
        _ => {}
    }
    let is_lb = new.spec.as_ref().and_then(|s| s.type_.as_deref()) == Some("LoadBalancer");
    if is_lb && (name_label.is_some() || ns_label.is_some()) {
        v.warn(
            RuleCode::SvcLbLabels,
            "metadata.labels",
            "a Service of type LoadBalancer is never a Gateway backend: it gets a dedicated virtual service and the ako.vmware.com/gateway-* labels are ignored; use type ClusterIP or NodePort to put it behind the Gateway",
        );
    }
    if !is_lb && let (Some(_), Some(_), Some(gw)) = (name_label, ns_label, ctx.gateway) {
        check_ports_have_listeners(new, gw, &mut v);
    }
    if ownership == ServiceOwnership::LoadBalancer {
        check_preferred_ip(new, &mut v);
        if let Some(old) = old {
            check_vip_immutable(old, new, &mut v);
        }
    }
    v
}

fn check_ports_have_listeners(svc: &Service, gw: &Gateway, v: &mut Verdict) {
    let gw_name = format!(
        "{}/{}",
        gw.metadata.namespace.as_deref().unwrap_or_default(),
        gw.metadata.name.as_deref().unwrap_or_default()
    );
    let listeners: Vec<String> = gw
        .spec
        .listeners
        .iter()
        .map(|l| format!("{}/{}", l.protocol, l.port))
        .collect();
    for (i, p) in svc.spec.iter().flat_map(|s| s.ports.iter().flatten()).enumerate() {
        let proto = p.protocol.as_deref().unwrap_or("TCP");
        let served = gw
            .spec
            .listeners
            .iter()
            .any(|l| l.protocol == proto && l.port == p.port);
        if !served {
            v.warn(
                RuleCode::SvcPortNoListener,
                format!("spec.ports[{i}]"),
                format!(
                    "Gateway {gw_name} has no listener for {proto}/{}; this port gets no pool. The Gateway's listeners are: {}",
                    p.port,
                    if listeners.is_empty() { "(none)".to_owned() } else { listeners.join(", ") }
                ),
            );
        }
    }
}

fn check_preferred_ip(svc: &Service, v: &mut Verdict) {
    let field = svc
        .spec
        .as_ref()
        .and_then(|s| s.load_balancer_ip.as_deref())
        .filter(|s| !s.is_empty());
    let annotation = annotation_ip(svc);
    let ann_path = format!("metadata.annotations[{ANNOTATION_LOAD_BALANCER_IP}]");
    let mut valid = true;
    if let Some(f) = field
        && f.parse::<IpAddr>().is_err()
    {
        valid = false;
        v.deny(
            RuleCode::SvcIpInvalid,
            "spec.loadBalancerIP",
            format!(
                "Invalid value: {}: must be a valid IP address such as 10.10.10.11",
                q(f)
            ),
        );
    }
    if let Some(a) = annotation
        && a.parse::<IpAddr>().is_err()
    {
        valid = false;
        v.deny(
            RuleCode::SvcIpInvalid,
            ann_path.clone(),
            format!(
                "Invalid value: {}: must be a valid IP address such as 10.10.10.11",
                q(a)
            ),
        );
    }
    if valid
        && let (Some(f), Some(a)) = (field, annotation)
        && f.parse::<IpAddr>().ok() != a.parse::<IpAddr>().ok()
    {
        v.deny(
            RuleCode::SvcIpInvalid,
            ann_path,
            format!("Invalid value: {}: differs from spec.loadBalancerIP {}; set only one, or both to the same address", q(a), q(f)),
        );
    }
}

fn check_vip_immutable(old: &Service, new: &Service, v: &mut Verdict) {
    let ingress = old
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref())
        .and_then(|i| i.first());
    let Some(ingress) = ingress else {
        return;
    };
    let vip = ingress
        .ip
        .as_deref()
        .or(ingress.hostname.as_deref())
        .unwrap_or("");
    let before = preferred_ip(old);
    let after = preferred_ip(new);
    if before.map(|s| s.parse::<IpAddr>().ok()) == after.map(|s| s.parse::<IpAddr>().ok())
        && before.is_some() == after.is_some()
    {
        return;
    }
    let change = match (before, after) {
        (None, Some(a)) => format!("preferred IP {} added", q(a)),
        (Some(b), None) => format!("preferred IP {} removed", q(b)),
        (Some(b), Some(a)) => format!("preferred IP changed from {} to {}", q(b), q(a)),
        (None, None) => return,
    };
    let field = if new
        .spec
        .as_ref()
        .and_then(|s| s.load_balancer_ip.as_deref())
        .is_some_and(|s| !s.is_empty())
        || old
            .spec
            .as_ref()
            .and_then(|s| s.load_balancer_ip.as_deref())
            .is_some_and(|s| !s.is_empty())
    {
        "spec.loadBalancerIP".to_owned()
    } else {
        format!("metadata.annotations[{ANNOTATION_LOAD_BALANCER_IP}]")
    };
    v.deny(
        RuleCode::SvcVipImmutable,
        field,
        format!("Forbidden: {change} while the Service holds the VIP {vip} on the Avi virtual service; delete and re-create the Service to change it"),
    );
}
