use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Condition;

/// GatewayClass (networking.x-k8s.io/v1alpha1), cluster-scoped.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "networking.x-k8s.io",
    derive = "PartialEq",
    version = "v1alpha1",
    kind = "GatewayClass",
    doc = "GatewayClass: a kind of Gateway and the controller that implements it.",
    status = "GatewayClassStatus",
    shortname = "gc",
    category = "gateway-api",
    printcolumn = r#"{"name":"Controller","type":"string","jsonPath":".spec.controller"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct GatewayClassSpec {
    /// The controller that manages Gateways of this class; avigw serves `ako.vmware.com/avi-lb`.
    #[schemars(length(min = 1, max = 253))]
    pub controller: String,
    /// Implementation parameters; avigw accepts an AviInfraSetting (group ako.vmware.com).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters_ref: Option<ParametersRef>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParametersRef {
    #[schemars(length(max = 253))]
    pub group: String,
    #[schemars(length(min = 1, max = 253))]
    pub kind: String,
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["Cluster", "Namespace"]))]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayClassStatus {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 8))]
    pub conditions: Vec<Condition>,
}

/// Gateway (networking.x-k8s.io/v1alpha1): one Avi L4 virtual service with one VIP.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "networking.x-k8s.io",
    derive = "PartialEq",
    version = "v1alpha1",
    kind = "Gateway",
    doc = "Gateway: a load balancer with listeners; avigw makes one Avi L4 virtual service of it.",
    namespaced,
    status = "GatewayStatus",
    shortname = "gtw",
    category = "gateway-api",
    printcolumn = r#"{"name":"Class","type":"string","jsonPath":".spec.gatewayClassName"}"#,
    printcolumn = r#"{"name":"Address","type":"string","jsonPath":".status.addresses[*].value"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct GatewaySpec {
    #[schemars(length(min = 1, max = 253))]
    pub gateway_class_name: String,
    #[schemars(length(min = 1, max = 64))]
    pub listeners: Vec<Listener>,
    /// Requested addresses; avigw supports a single IPv4 `IPAddress`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16))]
    pub addresses: Vec<GatewayAddress>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Listener {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub hostname: Option<String>,
    #[schemars(range(min = 1, max = 65535))]
    pub port: i32,
    /// Kept as a string so an object that got in with an unexpected value still decodes and
    /// can be reported, rather than breaking the whole watch.
    #[schemars(extend("enum" = ["HTTP", "HTTPS", "TLS", "TCP", "UDP", "SCTP"]))]
    pub protocol: String,
    /// Decoding tolerates a missing `routes`; the schema carries no default for it, so the
    /// apiserver never writes `routes: {}` into Gateways of other controllers.
    #[serde(default)]
    #[schemars(transform = super::no_default)]
    pub routes: RouteBindingSelector,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RouteBindingSelector {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelectorRequirement {
    pub key: String,
    pub operator: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayAddress {
    /// `IPAddress` when unset (the mutating webhook writes it).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["IPAddress", "NamedAddress"]))]
    pub type_: Option<String>,
    #[schemars(length(min = 1, max = 253))]
    pub value: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Hash, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayStatus {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16))]
    pub addresses: Vec<GatewayAddress>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 8))]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub listeners: Vec<ListenerStatus>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Hash, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListenerStatus {
    #[schemars(range(min = 1, max = 65535))]
    pub port: i32,
    pub protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 8))]
    pub conditions: Vec<Condition>,
}
