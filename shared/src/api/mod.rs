//! Kubernetes API types avigw serves or reads: the Gateway API v1alpha1 kinds and AKO's
//! AviInfraSetting. Deserialization tolerates unknown fields (no `deny_unknown_fields`) so a
//! newer CRD never breaks an older controller.

mod condition;
mod gateway;
mod infra;

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

/// Finalizers that hold a Kubernetes object until its Avi objects are gone.
pub const FINALIZER_GATEWAY: &str = "gateway.ako.vmware.com/cleanup";
pub const FINALIZER_SERVICE: &str = "service.ako.vmware.com/cleanup";

/// The listener protocols an L4 virtual service can carry.
pub const L4_PROTOCOLS: [&str; 3] = ["TCP", "UDP", "SCTP"];
/// The protocols the CRD schema admits (Gateway API's core set plus SCTP). HTTP, HTTPS and TLS
/// pass the schema so that avigw's own rule can explain that only L4 is served.
pub const SCHEMA_PROTOCOLS: [&str; 6] = ["HTTP", "HTTPS", "TLS", "TCP", "UDP", "SCTP"];
/// Gateway address types of v1alpha1; only `IPAddress` is supported by avigw.
pub const ADDRESS_TYPE_IP: &str = "IPAddress";
pub const ADDRESS_TYPES: [&str; 2] = ["IPAddress", "NamedAddress"];
