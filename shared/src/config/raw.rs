//! Settings as flags, env and a `--config` file give them, before validation.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::error::{ConfigError, env_name};

/// Settings as given, before validation. Field names are the flags in camelCase, which is also
/// the key in a `--config` YAML file and in the Helm values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_DEFAULT_DOMAIN"))]
    pub default_domain: Option<String>,
    /// key=value: only namespaces with this label are synced.
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_NAMESPACE_SELECTOR"))]
    pub namespace_selector: Option<String>,
    /// Namespace never synced (repeatable).
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "AVIGW_BLOCKED_NAMESPACE", value_delimiter = ',')
    )]
    #[serde(default)]
    pub blocked_namespace: Vec<String>,
    /// Gateway support on or off.
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_SERVICES_API"))]
    pub services_api: Option<bool>,
    /// LoadBalancer Services without a loadBalancerClass are ours.
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_DEFAULT_LB_CONTROLLER"))]
    pub default_lb_controller: Option<bool>,
    /// ENTERPRISE, ENTERPRISE_WITH_CLOUD_SERVICES, ESSENTIALS or BASIC.
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_LICENSE_TIER"))]
    pub license_tier: Option<String>,
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_LEADER_ELECT"))]
    pub leader_elect: Option<bool>,
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_WORKERS"))]
    pub workers: Option<usize>,
    /// Address of the plain-HTTP metrics/health port, e.g. :9090.
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_METRICS_ADDR"))]
    pub metrics_addr: Option<String>,
}

impl RawConfig {
    /// Parses a `--config` YAML file's text (keys as in the Helm values).
    pub fn from_yaml(text: &str) -> Result<Self, ConfigError> {
        serde_yaml::from_str(text).map_err(|e| ConfigError {
            flag: "config",
            env: env_name("config"),
            reason: format!("not a valid config file: {e}"),
        })
    }

    /// `self` with every setting `over` gives replacing ours (flags over a config file).
    pub fn overlay(mut self, over: RawConfig) -> RawConfig {
        macro_rules! take {
            ($($f:ident),*) => { $( if over.$f.is_some() { self.$f = over.$f; } )* };
        }
        macro_rules! take_vec {
            ($($f:ident),*) => { $( if !over.$f.is_empty() { self.$f = over.$f; } )* };
        }
        take!(
            cluster_name,
            controller,
            username,
            password_file,
            token_file,
            ca_file,
            insecure_skip_verify,
            api_version,
            tenant,
            cloud,
            se_group,
            vrf,
            service_type,
            node_selector,
            auto_fqdn,
            default_domain,
            namespace_selector,
            services_api,
            default_lb_controller,
            license_tier,
            leader_elect,
            workers,
            metrics_addr
        );
        take_vec!(vip_network, node_network, blocked_namespace);
        self
    }
}
