use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// AviInfraSetting (ako.vmware.com/v1alpha1), cluster-scoped: Avi placement (SE group, VIP and
/// node networks, RHI) for the Gateways of a class or for annotated LoadBalancer Services.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ako.vmware.com",
    derive = "PartialEq",
    version = "v1alpha1",
    kind = "AviInfraSetting",
    doc = "AviInfraSetting: Avi placement (SE group, networks, RHI) for Gateways and Services.",
    status = "AviInfraSettingStatus",
    shortname = "ais",
    printcolumn = r#"{"name":"Status","type":"string","jsonPath":".status.status"}"#,
    printcolumn = r#"{"name":"Error","type":"string","jsonPath":".status.error","priority":1}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct AviInfraSettingSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se_group: Option<SeGroup>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<InfraNetwork>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeGroup {
    #[schemars(length(min = 1))]
    pub name: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfraNetwork {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vip_networks: Vec<VipNetwork>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_networks: Vec<NodeNetwork>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_rhi: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bgp_peer_labels: Vec<String>,
    #[serde(default, rename = "enablePublicIP", skip_serializing_if = "Option::is_none")]
    pub enable_public_ip: Option<bool>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VipNetwork {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_name: Option<String>,
    #[serde(default, rename = "networkUUID", skip_serializing_if = "Option::is_none")]
    pub network_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v6cidr: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeNetwork {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_name: Option<String>,
    #[serde(default, rename = "networkUUID", skip_serializing_if = "Option::is_none")]
    pub network_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cidrs: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AviInfraSettingStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["Accepted", "Rejected"]))]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl AviInfraSetting {
    /// Only an `Accepted` setting changes placement; anything else falls back to the globals.
    pub fn is_accepted(&self) -> bool {
        self.status.as_ref().and_then(|s| s.status.as_deref()) == Some("Accepted")
    }
}
