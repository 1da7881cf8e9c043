use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// AviInfraSetting (ako.vmware.com/v1alpha1), cluster-scoped: Avi placement (SE group, VIP and
/// node networks, RHI) for the Gateways or Ingresses of a class or for annotated LoadBalancer
/// Services, and the shard size of those Ingresses.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "ako.vmware.com",
    derive = "PartialEq",
    version = "v1alpha1",
    kind = "AviInfraSetting",
    doc = "AviInfraSetting: Avi placement (SE group, networks, RHI) for Gateways, Services and Ingresses.",
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l7_settings: Option<L7Settings>,
}

/// Ingress settings of the classes that name this AviInfraSetting.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct L7Settings {
    /// Overrides `--shard-vs-size` for these Ingresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>", extend("enum" = ShardSize::VALUES))]
    pub shard_size: Option<ShardSize>,
}

/// How many shared parent virtual services carry the Ingress hosts: `LARGE` 8, `MEDIUM` 4,
/// `SMALL` 1, `DEDICATED` none (one virtual service per host).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShardSize {
    #[default]
    Large,
    Medium,
    Small,
    Dedicated,
}

impl ShardSize {
    pub const VALUES: [&'static str; 4] = ["LARGE", "MEDIUM", "SMALL", "DEDICATED"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "LARGE" => Some(ShardSize::Large),
            "MEDIUM" => Some(ShardSize::Medium),
            "SMALL" => Some(ShardSize::Small),
            "DEDICATED" => Some(ShardSize::Dedicated),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ShardSize::Large => "LARGE",
            ShardSize::Medium => "MEDIUM",
            ShardSize::Small => "SMALL",
            ShardSize::Dedicated => "DEDICATED",
        }
    }

    /// The number of shared parents; 0 means one dedicated virtual service per host.
    pub fn shard_count(self) -> u32 {
        match self {
            ShardSize::Large => 8,
            ShardSize::Medium => 4,
            ShardSize::Small => 1,
            ShardSize::Dedicated => 0,
        }
    }
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

    /// The shard size this setting gives its Ingresses, `global` unless it is Accepted and sets
    /// `spec.l7Settings.shardSize`.
    pub fn shard_size_or(&self, global: ShardSize) -> ShardSize {
        match self.spec.l7_settings.as_ref().and_then(|l| l.shard_size) {
            Some(s) if self.is_accepted() => s,
            _ => global,
        }
    }
}
