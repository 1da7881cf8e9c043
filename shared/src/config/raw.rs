//! Settings as flags, env and a `--config` file give them, before validation.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::ops_port::OpsPortArgs;
use super::scope::ScopeArgs;

/// Settings as given, before validation. Field names are the flags in camelCase, which is also
/// the key in a `--config` YAML file.
///
/// The groups other binaries share ([`ScopeArgs`], [`OpsPortArgs`]) are flattened into the
/// flags but skipped by serde: `flatten` cannot refuse unknown keys and loses the key and line
/// of a bad value, so [`RawConfig::from_yaml`] reads each part from the file side by side.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(rename_all = "camelCase")]
pub struct RawConfig {
    /// Prefix of every Avi object name (^[a-zA-Z0-9_-]{1,32}$).
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_CLUSTER_NAME"))]
    pub cluster_name: Option<String>,
    /// Avi controller URL, e.g. https://avi.example.com.
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_CONTROLLER"))]
    pub controller: Option<String>,
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_USERNAME"))]
    pub username: Option<String>,
    /// File holding the Avi password (mounted from a Secret).
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_PASSWORD_FILE"))]
    pub password_file: Option<PathBuf>,
    /// File holding an Avi auth token, instead of a password.
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_TOKEN_FILE"))]
    pub token_file: Option<PathBuf>,
    /// PEM CA bundle to verify the controller's certificate.
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_CA_FILE"))]
    pub ca_file: Option<PathBuf>,
    /// Skip TLS verification of the controller (labs only).
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_INSECURE_SKIP_VERIFY"))]
    pub insecure_skip_verify: Option<bool>,
    /// X-Avi-Version to speak, e.g. 22.1.3 (default: the controller's).
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_API_VERSION"))]
    pub api_version: Option<String>,
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_TENANT"))]
    pub tenant: Option<String>,
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_CLOUD"))]
    pub cloud: Option<String>,
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_SE_GROUP"))]
    pub se_group: Option<String>,
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_VRF"))]
    pub vrf: Option<String>,
    /// Global VIP network NAME[=CIDR] (repeatable).
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_VIP_NETWORK", value_delimiter = ','))]
    #[serde(default)]
    pub vip_network: Vec<String>,
    /// Global node network NAME=CIDR (repeatable).
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_NODE_NETWORK", value_delimiter = ','))]
    #[serde(default)]
    pub node_network: Vec<String>,
    /// ClusterIP, NodePort or NodePortLocal.
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_SERVICE_TYPE"))]
    pub service_type: Option<String>,
    /// key=value: nodes used in NodePort mode.
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_NODE_SELECTOR"))]
    pub node_selector: Option<String>,
    /// default, flat or disabled.
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_AUTO_FQDN"))]
    pub auto_fqdn: Option<String>,
    #[cfg_attr(feature = "cli", command(flatten))]
    #[serde(skip)]
    pub scope: ScopeArgs,
    /// Gateway support on or off.
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_SERVICES_API"))]
    pub services_api: Option<bool>,
    /// ENTERPRISE, ENTERPRISE_WITH_CLOUD_SERVICES, ESSENTIALS or BASIC.
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_LICENSE_TIER"))]
    pub license_tier: Option<String>,
    /// Another creator (`created_by`, e.g. ako-<clusterName>) whose Avi objects avigw takes
    /// over in place when it wants their names (repeatable).
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_ADOPT_FROM", value_delimiter = ','))]
    #[serde(default)]
    pub adopt_from: Vec<String>,
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_LEADER_ELECT"))]
    pub leader_elect: Option<bool>,
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_WORKERS"))]
    pub workers: Option<usize>,
    #[cfg_attr(feature = "cli", command(flatten))]
    #[serde(skip)]
    pub ops: OpsPortArgs,
}
