//! Kubernetes API types avigw serves or reads: the Gateway API v1alpha1 kinds and AKO's
//! AviInfraSetting. Deserialization tolerates unknown fields (no `deny_unknown_fields`) so a
//! newer CRD never breaks an older controller.

mod condition;
mod gateway;
mod infra;

use crate::naming::ClusterName;

pub use condition::{Condition, ConditionStatus};
pub use gateway::{
    Gateway, GatewayAddress, GatewayClass, GatewayClassSpec, GatewayClassStatus, GatewaySpec, GatewayStatus,
    LabelSelector, LabelSelectorRequirement, Listener, ListenerStatus, ParametersRef, RouteBindingSelector,
};
pub use infra::{
    AviInfraSetting, AviInfraSettingSpec, AviInfraSettingStatus, InfraNetwork, L7Settings, NodeNetwork,
    SeGroup, ShardSize, VipNetwork,
};

/// Drops the `default` schemars derives from `#[serde(default)]`: a structural default in a
/// shared CRD would be written into every controller's objects.
fn no_default(schema: &mut schemars::Schema) {
    schema.remove("default");
}

/// `spec.controller` of a GatewayClass that avigw serves.
pub const CONTROLLER_NAME: &str = "ako.vmware.com/avi-lb";
/// Gateway API group and version of the kinds avigw serves.
pub const GATEWAY_GROUP: &str = "networking.x-k8s.io";
pub const GATEWAY_VERSION: &str = "v1alpha1";
/// AKO's group, used by AviInfraSetting and by the GatewayClass `parametersRef`.
pub const AKO_GROUP: &str = "ako.vmware.com";
pub const AVI_INFRA_SETTING_KIND: &str = "AviInfraSetting";

/// Service labels that bind a backend Service to a Gateway.
pub const LABEL_GATEWAY_NAME: &str = "ako.vmware.com/gateway-name";
pub const LABEL_GATEWAY_NAMESPACE: &str = "ako.vmware.com/gateway-namespace";

/// Service annotations avigw reads.
pub const ANNOTATION_LOAD_BALANCER_IP: &str = "ako.vmware.com/load-balancer-ip";
pub const ANNOTATION_INFRA_SETTING: &str = "aviinfrasetting.ako.vmware.com/name";
pub const ANNOTATION_EXTERNAL_DNS_HOSTNAME: &str = "external-dns.alpha.kubernetes.io/hostname";
/// Antrea's NodePortLocal pod annotation.
pub const ANNOTATION_NODE_PORT_LOCAL: &str = "nodeportlocal.antrea.io";
/// CNI node annotations that carry the node's pod-network address.
pub const ANNOTATION_CALICO_IPV4: &str = "projectcalico.org/IPv4Address";
pub const ANNOTATION_ANTREA_TRANSPORT: &str = "node.antrea.io/transport-addresses";

/// The finalizers of releases before they were scoped to one install: an install replaces
/// them with its own on the objects it serves.
pub const LEGACY_FINALIZER_GATEWAY: &str = "gateway.ako.vmware.com/cleanup";
pub const LEGACY_FINALIZER_SERVICE: &str = "service.ako.vmware.com/cleanup";

/// The finalizer by which one install holds a Gateway until its Avi objects are gone:
/// `gateway.ako.vmware.com/avigw-<clusterName>-cleanup`. One per install (per `clusterName`),
/// so that two installs in a cluster never release each other's Gateways.
pub fn gateway_finalizer(cluster: &ClusterName) -> String {
    scoped_finalizer("gateway.ako.vmware.com", cluster)
}

/// As [`gateway_finalizer`], for LoadBalancer Services:
/// `service.ako.vmware.com/avigw-<clusterName>-cleanup`.
pub fn service_finalizer(cluster: &ClusterName) -> String {
    scoped_finalizer("service.ako.vmware.com", cluster)
}

/// A finalizer is a qualified name, whose name part must start and end with a letter or digit
/// and stay within 63 characters: the fixed `avigw-` and `-cleanup` around the `clusterName`
/// (at most 32 characters, which may start or end with `-` or `_`) keep that true for every
/// valid `clusterName`, and keep distinct clusters apart.
fn scoped_finalizer(domain: &str, cluster: &ClusterName) -> String {
    format!("{domain}/avigw-{cluster}-cleanup")
}

/// The listener protocols an L4 virtual service can carry.
pub const L4_PROTOCOLS: [&str; 3] = ["TCP", "UDP", "SCTP"];
/// The protocols the CRD schema admits (Gateway API's core set plus SCTP). HTTP, HTTPS and TLS
/// pass the schema so that avigw's own rule can explain that only L4 is served.
pub const SCHEMA_PROTOCOLS: [&str; 6] = ["HTTP", "HTTPS", "TLS", "TCP", "UDP", "SCTP"];
/// Gateway address types of v1alpha1; only `IPAddress` is supported by avigw.
pub const ADDRESS_TYPE_IP: &str = "IPAddress";
pub const ADDRESS_TYPES: [&str; 2] = ["IPAddress", "NamedAddress"];

#[cfg(test)]
mod tests {
    use super::*;

    /// Kubernetes' qualified name: an optional DNS-1123 subdomain prefix and `/`, then a name of
    /// at most 63 characters that starts and ends with a letter or digit.
    fn is_qualified_name(s: &str) -> bool {
        let name_re = regex::Regex::new(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$").unwrap();
        let subdomain_re =
            regex::Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$").unwrap();
        let (prefix, name) = match s.split_once('/') {
            Some((p, n)) => (Some(p), n),
            None => (None, s),
        };
        prefix.is_none_or(|p| p.len() <= 253 && subdomain_re.is_match(p))
            && name.len() <= 63
            && name_re.is_match(name)
    }

    #[test]
    fn scoped_finalizers() {
        let c = ClusterName::new("prod-1").unwrap();
        assert_eq!(
            gateway_finalizer(&c),
            "gateway.ako.vmware.com/avigw-prod-1-cleanup"
        );
        assert_eq!(
            service_finalizer(&c),
            "service.ako.vmware.com/avigw-prod-1-cleanup"
        );
        assert!(is_qualified_name(LEGACY_FINALIZER_GATEWAY) && is_qualified_name(LEGACY_FINALIZER_SERVICE));
    }

    #[test]
    fn finalizers_are_qualified_names_at_the_edges_of_cluster_names() {
        let longest = "-".repeat(32);
        for name in [
            "-",
            "_",
            "-a",
            "a-",
            "_a",
            "a_",
            "_-_",
            "-x_",
            "A_b-C",
            longest.as_str(),
        ] {
            let c = ClusterName::new(name).unwrap();
            for f in [gateway_finalizer(&c), service_finalizer(&c)] {
                assert!(is_qualified_name(&f), "{f}");
            }
        }
        assert!(
            !is_qualified_name("gateway.ako.vmware.com/-bad"),
            "the check itself refuses"
        );
        assert!(!is_qualified_name(&format!("x/{}", "a".repeat(64))));
    }

    proptest::proptest! {
        #[test]
        fn every_cluster_name_gives_a_qualified_and_distinct_finalizer(
            a in "[a-zA-Z0-9_-]{1,32}",
            b in "[a-zA-Z0-9_-]{1,32}",
        ) {
            let (ca, cb) = (ClusterName::new(&a).unwrap(), ClusterName::new(&b).unwrap());
            proptest::prop_assert!(is_qualified_name(&gateway_finalizer(&ca)), "{}", gateway_finalizer(&ca));
            proptest::prop_assert!(is_qualified_name(&service_finalizer(&ca)), "{}", service_finalizer(&ca));
            proptest::prop_assert_eq!(a == b, gateway_finalizer(&ca) == gateway_finalizer(&cb));
        }
    }
}
