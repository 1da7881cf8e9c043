use crate::api::{AKO_GROUP, AVI_INFRA_SETTING_KIND, GATEWAY_GROUP};

/// The API group of Ingress and IngressClass.
pub const INGRESS_GROUP: &str = "networking.k8s.io";

/// The kinds avigw has admission rules for; everything else is allowed untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleKind {
    Gateway,
    GatewayClass,
    Service,
    AviInfraSetting,
    Ingress,
    IngressClass,
    Other,
}

impl RuleKind {
    /// The kind of an object of API group `group` (empty for the core group) and kind `kind`.
    pub fn from_group_kind(group: &str, kind: &str) -> RuleKind {
        match (group, kind) {
            (GATEWAY_GROUP, "Gateway") => RuleKind::Gateway,
            (GATEWAY_GROUP, "GatewayClass") => RuleKind::GatewayClass,
            ("", "Service") => RuleKind::Service,
            (AKO_GROUP, AVI_INFRA_SETTING_KIND) => RuleKind::AviInfraSetting,
            (INGRESS_GROUP, "Ingress") => RuleKind::Ingress,
            (INGRESS_GROUP, "IngressClass") => RuleKind::IngressClass,
            _ => RuleKind::Other,
        }
    }

    /// The kind of a manifest's `apiVersion` (`group/version`, or `version` for the core group)
    /// and `kind`.
    pub fn from_api_version_kind(api_version: &str, kind: &str) -> RuleKind {
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        RuleKind::from_group_kind(group, kind)
    }

    /// The Kubernetes kind name (also the metric label).
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Gateway => "Gateway",
            RuleKind::GatewayClass => "GatewayClass",
            RuleKind::Service => "Service",
            RuleKind::AviInfraSetting => AVI_INFRA_SETTING_KIND,
            RuleKind::Ingress => "Ingress",
            RuleKind::IngressClass => "IngressClass",
            RuleKind::Other => "Other",
        }
    }

    /// Whether objects of this kind live in a namespace.
    pub fn namespaced(self) -> bool {
        matches!(self, RuleKind::Gateway | RuleKind::Service | RuleKind::Ingress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_and_kind_both_decide() {
        let cases = [
            ("networking.x-k8s.io", "Gateway", RuleKind::Gateway),
            ("networking.x-k8s.io", "GatewayClass", RuleKind::GatewayClass),
            ("", "Service", RuleKind::Service),
            ("ako.vmware.com", "AviInfraSetting", RuleKind::AviInfraSetting),
            ("networking.k8s.io", "Ingress", RuleKind::Ingress),
            ("networking.k8s.io", "IngressClass", RuleKind::IngressClass),
            // Same kind name in another group is not ours.
            ("gateway.networking.k8s.io", "Gateway", RuleKind::Other),
            ("example.io", "Service", RuleKind::Other),
            ("", "Pod", RuleKind::Other),
            // The old beta group's Ingress is not judged.
            ("extensions", "Ingress", RuleKind::Other),
        ];
        for (group, kind, want) in cases {
            assert_eq!(RuleKind::from_group_kind(group, kind), want, "{group}/{kind}");
        }
        assert!(RuleKind::Ingress.namespaced() && !RuleKind::IngressClass.namespaced());
    }

    #[test]
    fn api_version_splits_off_the_version() {
        let cases = [
            ("v1", "Service", RuleKind::Service),
            ("networking.x-k8s.io/v1alpha1", "Gateway", RuleKind::Gateway),
            ("apps/v1", "Service", RuleKind::Other),
            ("networking.k8s.io/v1", "IngressClass", RuleKind::IngressClass),
        ];
        for (api_version, kind, want) in cases {
            assert_eq!(
                RuleKind::from_api_version_kind(api_version, kind),
                want,
                "{api_version} {kind}"
            );
        }
    }
}
