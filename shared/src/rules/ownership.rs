use k8s_openapi::api::core::v1::Service;

use crate::api::{CONTROLLER_NAME, LABEL_GATEWAY_NAME, LABEL_GATEWAY_NAMESPACE};

/// Why (or whether) a Service concerns avigw (SPEC §1 "Ours").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceOwnership {
    NotOurs,
    /// Carries a gateway label and is not one of our LoadBalancer Services.
    GatewayBackend,
    /// Type LoadBalancer with no class (when avigw is the default LB controller) or ours.
    LoadBalancer,
}

pub fn service_ownership(svc: &Service, default_lb_controller: bool) -> ServiceOwnership {
    let spec = svc.spec.as_ref();
    let is_lb = spec.and_then(|s| s.type_.as_deref()) == Some("LoadBalancer");
    if is_lb {
        let ours = match spec.and_then(|s| s.load_balancer_class.as_deref()) {
            None => default_lb_controller,
            Some(class) => class == CONTROLLER_NAME,
        };
        if ours {
            return ServiceOwnership::LoadBalancer;
        }
    }
    let labels = svc.metadata.labels.as_ref();
    let labelled =
        labels.is_some_and(|l| l.contains_key(LABEL_GATEWAY_NAME) || l.contains_key(LABEL_GATEWAY_NAMESPACE));
    if labelled {
        ServiceOwnership::GatewayBackend
    } else {
        ServiceOwnership::NotOurs
    }
}

/// The Gateway `(namespace, name)` a Service's two gateway labels point at.
pub fn gateway_ref_of(svc: &Service) -> Option<(&str, &str)> {
    let labels = svc.metadata.labels.as_ref()?;
    Some((
        labels.get(LABEL_GATEWAY_NAMESPACE)?.as_str(),
        labels.get(LABEL_GATEWAY_NAME)?.as_str(),
    ))
}
