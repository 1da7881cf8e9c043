//! The validated configuration and the value types its settings parse into.

use std::net::SocketAddr;
use std::path::PathBuf;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::scope::Scope;
use crate::naming::{AutoFqdn, ClusterName};

/// A global VIP or node network: an Avi network name and an optional subnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkSetting {
    pub name: String,
    pub cidr: Option<IpNet>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum ServiceType {
    #[default]
    ClusterIP,
    NodePort,
    NodePortLocal,
}

/// The Avi license tier decides the default TCP network profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LicenseTier {
    #[default]
    Enterprise,
    EnterpriseWithCloudServices,
    Essentials,
    Basic,
}

impl LicenseTier {
    pub const VALUES: [&'static str; 4] = [
        "ENTERPRISE",
        "ENTERPRISE_WITH_CLOUD_SERVICES",
        "ESSENTIALS",
        "BASIC",
    ];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ENTERPRISE" => Some(LicenseTier::Enterprise),
            "ENTERPRISE_WITH_CLOUD_SERVICES" => Some(LicenseTier::EnterpriseWithCloudServices),
            "ESSENTIALS" => Some(LicenseTier::Essentials),
            "BASIC" => Some(LicenseTier::Basic),
            _ => None,
        }
    }

    /// Tiers with the full TCP proxy; the others get `System-TCP-Fast-Path`.
    pub fn is_enterprise(self) -> bool {
        matches!(
            self,
            LicenseTier::Enterprise | LicenseTier::EnterpriseWithCloudServices
        )
    }
}

/// A `key=value` label selector of one pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelPair {
    pub key: String,
    pub value: String,
}

/// Validated configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    pub cluster_name: ClusterName,
    pub controller: Option<String>,
    pub username: Option<String>,
    pub password_file: Option<PathBuf>,
    pub token_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    pub insecure_skip_verify: bool,
    pub api_version: Option<String>,
    pub tenant: String,
    pub cloud: String,
    pub se_group: String,
    pub vrf: String,
    pub vip_networks: Vec<NetworkSetting>,
    pub node_networks: Vec<NetworkSetting>,
    pub service_type: ServiceType,
    pub node_selector: Option<LabelPair>,
    pub auto_fqdn: AutoFqdn,
    pub scope: Scope,
    pub services_api: bool,
    pub license_tier: Option<LicenseTier>,
    /// Creators (`created_by`) whose objects avigw adopts when it wants their names.
    pub adopt_from: Vec<String>,
    pub leader_elect: bool,
    pub workers: usize,
    pub metrics_addr: SocketAddr,
}

impl serde::Serialize for ClusterName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
