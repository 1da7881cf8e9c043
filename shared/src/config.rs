//! The one configuration type of both processes (SPEC §7). [`RawConfig`] is what flags, env
//! (`AVIGW_<FLAG>`), a YAML file and Helm values give; [`RawConfig::validate`] turns it into a
//! [`Config`] or one line naming the bad setting.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::api::ShardSize;
use crate::naming::{AutoFqdn, ClusterName};

/// A bad setting: `<flag> (<ENV>): <what is wrong>`, meant to stop start-up as one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting --{flag} ({env}): {reason}")]
pub struct ConfigError {
    pub flag: &'static str,
    pub env: String,
    pub reason: String,
}

impl ConfigError {
    fn new(flag: &'static str, reason: impl Into<String>) -> Self {
        ConfigError {
            flag,
            env: env_name(flag),
            reason: reason.into(),
        }
    }
}

/// `cluster-name` → `AVIGW_CLUSTER_NAME`.
pub fn env_name(flag: &str) -> String {
    format!("AVIGW_{}", flag.replace('-', "_").to_ascii_uppercase())
}

/// What the config is validated for: `run` needs a controller, `plan` works offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Run,
    Plan,
}

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
    /// Shared parents for Ingress hosts: LARGE (8), MEDIUM (4), SMALL (1) or DEDICATED.
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_SHARD_VS_SIZE"))]
    pub shard_vs_size: Option<String>,
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
    pub default_domain: Option<String>,
    pub shard_vs_size: ShardSize,
    pub namespace_selector: Option<LabelPair>,
    pub blocked_namespaces: Vec<String>,
    pub services_api: bool,
    pub default_lb_controller: bool,
    pub license_tier: Option<LicenseTier>,
    pub leader_elect: bool,
    pub workers: usize,
    pub metrics_addr: SocketAddr,
}

impl serde::Serialize for ClusterName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
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
            shard_vs_size,
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

    pub fn validate(self, purpose: Purpose) -> Result<Config, ConfigError> {
        let cluster_name = match self.cluster_name.as_deref() {
            None | Some("") => {
                return Err(ConfigError::new(
                    "cluster-name",
                    "required: the prefix of every Avi object name, e.g. --cluster-name prod-1",
                ));
            }
            Some(n) => ClusterName::new(n).map_err(|_| {
                ConfigError::new(
                    "cluster-name",
                    format!("{n:?} must match ^[a-zA-Z0-9_-]{{1,32}}$"),
                )
            })?,
        };
        let controller = match (self.controller, purpose) {
            (None, Purpose::Run) => {
                return Err(ConfigError::new(
                    "controller",
                    "required: the Avi controller URL, e.g. https://avi.example.com",
                ));
            }
            (Some(c), _) => Some(validate_controller(&c)?),
            (None, Purpose::Plan) => None,
        };
        if purpose == Purpose::Run {
            if self.username.as_deref().unwrap_or("").is_empty() {
                return Err(ConfigError::new(
                    "username",
                    "required: the Avi user to log in as",
                ));
            }
            match (&self.password_file, &self.token_file) {
                (None, None) => {
                    return Err(ConfigError::new(
                        "password-file",
                        "required: a file holding the Avi password (or give --token-file)",
                    ));
                }
                (Some(_), Some(_)) => {
                    return Err(ConfigError::new(
                        "token-file",
                        "give either --password-file or --token-file, not both",
                    ));
                }
                _ => {}
            }
        }
        let insecure_skip_verify = self.insecure_skip_verify.unwrap_or(false);
        if insecure_skip_verify && self.ca_file.is_some() {
            return Err(ConfigError::new(
                "insecure-skip-verify",
                "contradicts --ca-file: verify against the CA, or skip verification, not both",
            ));
        }
        if let Some(v) = &self.api_version {
            let ok = !v.is_empty()
                && v.split('.').count() >= 2
                && v.split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
            if !ok {
                return Err(ConfigError::new(
                    "api-version",
                    format!("{v:?} is not an Avi version such as 22.1.3"),
                ));
            }
        }
        let tenant = non_empty("tenant", self.tenant, "admin")?;
        let cloud = non_empty("cloud", self.cloud, "Default-Cloud")?;
        let se_group = non_empty("se-group", self.se_group, "Default-Group")?;
        let vrf = non_empty("vrf", self.vrf, "global")?;
        let vip_networks = self
            .vip_network
            .iter()
            .map(|s| parse_network("vip-network", s, false))
            .collect::<Result<Vec<_>, _>>()?;
        let node_networks = self
            .node_network
            .iter()
            .map(|s| parse_network("node-network", s, true))
            .collect::<Result<Vec<_>, _>>()?;
        let service_type = match self.service_type.as_deref() {
            None | Some("ClusterIP") => ServiceType::ClusterIP,
            Some("NodePort") => ServiceType::NodePort,
            Some("NodePortLocal") => ServiceType::NodePortLocal,
            Some(other) => {
                return Err(ConfigError::new(
                    "service-type",
                    format!("{other:?} is not one of ClusterIP, NodePort, NodePortLocal"),
                ));
            }
        };
        let node_selector = self
            .node_selector
            .as_deref()
            .map(|s| parse_pair("node-selector", s))
            .transpose()?;
        let auto_fqdn = match self.auto_fqdn.as_deref() {
            None => AutoFqdn::Default,
            Some(s) => AutoFqdn::parse(s).ok_or_else(|| {
                ConfigError::new(
                    "auto-fqdn",
                    format!("{s:?} is not one of {}", AutoFqdn::VALUES.join(", ")),
                )
            })?,
        };
        let default_domain = match self.default_domain {
            Some(d) => {
                let d = d.trim_end_matches('.').to_owned();
                if !crate::rules::is_dns1123_subdomain(&d) {
                    return Err(ConfigError::new(
                        "default-domain",
                        format!("{d:?} is not a DNS domain such as avi.example.com"),
                    ));
                }
                Some(d)
            }
            None => None,
        };
        let shard_vs_size = match self.shard_vs_size.as_deref() {
            None => ShardSize::default(),
            Some(s) => ShardSize::parse(s).ok_or_else(|| {
                ConfigError::new(
                    "shard-vs-size",
                    format!("{s:?} is not one of {}", ShardSize::VALUES.join(", ")),
                )
            })?,
        };
        let namespace_selector = self
            .namespace_selector
            .as_deref()
            .map(|s| parse_pair("namespace-selector", s))
            .transpose()?;
        for ns in &self.blocked_namespace {
            if !crate::rules::is_dns1123_label(ns) {
                return Err(ConfigError::new(
                    "blocked-namespace",
                    format!("{ns:?} is not a namespace name"),
                ));
            }
        }
        let license_tier = self
            .license_tier
            .as_deref()
            .map(|s| {
                LicenseTier::parse(s).ok_or_else(|| {
                    ConfigError::new(
                        "license-tier",
                        format!("{s:?} is not one of {}", LicenseTier::VALUES.join(", ")),
                    )
                })
            })
            .transpose()?;
        let workers = self.workers.unwrap_or(4);
        if !(1..=256).contains(&workers) {
            return Err(ConfigError::new(
                "workers",
                format!("{workers} is outside 1..=256"),
            ));
        }
        let metrics_addr = parse_listen_addr(self.metrics_addr.as_deref().unwrap_or(":9090"))?;
        Ok(Config {
            cluster_name,
            controller,
            username: self.username,
            password_file: self.password_file,
            token_file: self.token_file,
            ca_file: self.ca_file,
            insecure_skip_verify,
            api_version: self.api_version,
            tenant,
            cloud,
            se_group,
            vrf,
            vip_networks,
            node_networks,
            service_type,
            node_selector,
            auto_fqdn,
            default_domain,
            shard_vs_size,
            namespace_selector,
            blocked_namespaces: self.blocked_namespace,
            services_api: self.services_api.unwrap_or(true),
            default_lb_controller: self.default_lb_controller.unwrap_or(true),
            license_tier,
            leader_elect: self.leader_elect.unwrap_or(true),
            workers,
            metrics_addr,
        })
    }
}

fn non_empty(flag: &'static str, v: Option<String>, default: &str) -> Result<String, ConfigError> {
    match v {
        None => Ok(default.to_owned()),
        Some(s) if s.trim().is_empty() => Err(ConfigError::new(flag, "must not be empty")),
        Some(s) => Ok(s),
    }
}

fn validate_controller(c: &str) -> Result<String, ConfigError> {
    let rest = c
        .strip_prefix("https://")
        .or_else(|| c.strip_prefix("http://"))
        .ok_or_else(|| {
            ConfigError::new(
                "controller",
                format!("{c:?} must be an http(s) URL such as https://avi.example.com"),
            )
        })?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(ConfigError::new("controller", format!("{c:?} has no host")));
    }
    Ok(c.trim_end_matches('/').to_owned())
}

fn parse_network(flag: &'static str, s: &str, cidr_required: bool) -> Result<NetworkSetting, ConfigError> {
    let (name, cidr) = match s.split_once('=') {
        Some((n, c)) => (n, Some(c)),
        None => (s, None),
    };
    if name.trim().is_empty() {
        return Err(ConfigError::new(
            flag,
            format!(
                "{s:?} has no network name; expected NAME{}",
                if cidr_required { "=CIDR" } else { "[=CIDR]" }
            ),
        ));
    }
    let cidr = match cidr {
        Some(c) => Some(c.parse::<IpNet>().map_err(|_| {
            ConfigError::new(flag, format!("{s:?}: {c:?} is not a CIDR such as 10.10.10.0/24"))
        })?),
        None if cidr_required => {
            return Err(ConfigError::new(
                flag,
                format!("{s:?} has no CIDR; expected NAME=CIDR"),
            ));
        }
        None => None,
    };
    Ok(NetworkSetting {
        name: name.to_owned(),
        cidr,
    })
}

fn parse_pair(flag: &'static str, s: &str) -> Result<LabelPair, ConfigError> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() && crate::rules::is_label_key(k) && crate::rules::is_label_value(v) => {
            Ok(LabelPair {
                key: k.to_owned(),
                value: v.to_owned(),
            })
        }
        _ => Err(ConfigError::new(
            flag,
            format!("{s:?} is not a label key=value pair"),
        )),
    }
}

fn parse_listen_addr(s: &str) -> Result<SocketAddr, ConfigError> {
    let full = if let Some(port) = s.strip_prefix(':') {
        format!("0.0.0.0:{port}")
    } else {
        s.to_owned()
    };
    // Only "IP:port" or ":port": a host name would need a resolver at start-up.
    full.parse::<SocketAddr>().map_err(|_| {
        ConfigError::new(
            "metrics-addr",
            format!("{s:?} is not an address such as :9090 or 127.0.0.1:9090"),
        )
    })
}

/// Parses an IP given as a preferred VIP; shared by config and rules.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawConfig {
        RawConfig {
            cluster_name: Some("c1".into()),
            ..Default::default()
        }
    }

    fn err(r: RawConfig, p: Purpose) -> String {
        r.validate(p).unwrap_err().to_string()
    }

    #[test]
    fn defaults() {
        let c = raw().validate(Purpose::Plan).unwrap();
        assert_eq!(c.tenant, "admin");
        assert_eq!(c.cloud, "Default-Cloud");
        assert_eq!(c.se_group, "Default-Group");
        assert_eq!(c.vrf, "global");
        assert_eq!(c.service_type, ServiceType::ClusterIP);
        assert_eq!(c.auto_fqdn, AutoFqdn::Default);
        assert!(c.services_api && c.default_lb_controller && c.leader_elect);
        assert_eq!(c.workers, 4);
        assert_eq!(c.metrics_addr, "0.0.0.0:9090".parse().unwrap());
        assert_eq!(c.license_tier, None);
        assert_eq!(c.shard_vs_size, ShardSize::Large);
    }

    #[test]
    fn one_line_errors_name_the_setting() {
        assert_eq!(
            err(RawConfig::default(), Purpose::Plan),
            "invalid setting --cluster-name (AVIGW_CLUSTER_NAME): required: the prefix of every Avi object name, e.g. --cluster-name prod-1"
        );
        assert_eq!(
            err(
                RawConfig {
                    cluster_name: Some("a b".into()),
                    ..raw()
                },
                Purpose::Plan
            ),
            "invalid setting --cluster-name (AVIGW_CLUSTER_NAME): \"a b\" must match ^[a-zA-Z0-9_-]{1,32}$"
        );
        assert_eq!(
            err(raw(), Purpose::Run),
            "invalid setting --controller (AVIGW_CONTROLLER): required: the Avi controller URL, e.g. https://avi.example.com"
        );
        let cases: Vec<(RawConfig, &str)> = vec![
            (
                RawConfig {
                    controller: Some("avi.local".into()),
                    ..raw()
                },
                "--controller (AVIGW_CONTROLLER): \"avi.local\" must be an http(s) URL",
            ),
            (
                RawConfig {
                    service_type: Some("LoadBalancer".into()),
                    ..raw()
                },
                "--service-type (AVIGW_SERVICE_TYPE): \"LoadBalancer\" is not one of ClusterIP, NodePort, NodePortLocal",
            ),
            (
                RawConfig {
                    auto_fqdn: Some("short".into()),
                    ..raw()
                },
                "--auto-fqdn (AVIGW_AUTO_FQDN): \"short\" is not one of default, flat, disabled",
            ),
            (
                RawConfig {
                    vip_network: vec!["net=10.0.0.0/33".into()],
                    ..raw()
                },
                "--vip-network (AVIGW_VIP_NETWORK): \"net=10.0.0.0/33\": \"10.0.0.0/33\" is not a CIDR",
            ),
            (
                RawConfig {
                    node_network: vec!["net".into()],
                    ..raw()
                },
                "--node-network (AVIGW_NODE_NETWORK): \"net\" has no CIDR; expected NAME=CIDR",
            ),
            (
                RawConfig {
                    node_selector: Some("novalue".into()),
                    ..raw()
                },
                "--node-selector (AVIGW_NODE_SELECTOR): \"novalue\" is not a label key=value pair",
            ),
            (
                RawConfig {
                    namespace_selector: Some("=x".into()),
                    ..raw()
                },
                "--namespace-selector (AVIGW_NAMESPACE_SELECTOR)",
            ),
            (
                RawConfig {
                    blocked_namespace: vec!["Bad_NS".into()],
                    ..raw()
                },
                "--blocked-namespace (AVIGW_BLOCKED_NAMESPACE): \"Bad_NS\" is not a namespace name",
            ),
            (
                RawConfig {
                    license_tier: Some("GOLD".into()),
                    ..raw()
                },
                "--license-tier (AVIGW_LICENSE_TIER): \"GOLD\" is not one of ENTERPRISE",
            ),
            (
                RawConfig {
                    shard_vs_size: Some("HUGE".into()),
                    ..raw()
                },
                "--shard-vs-size (AVIGW_SHARD_VS_SIZE): \"HUGE\" is not one of LARGE, MEDIUM, SMALL, DEDICATED",
            ),
            (
                RawConfig {
                    workers: Some(0),
                    ..raw()
                },
                "--workers (AVIGW_WORKERS): 0 is outside 1..=256",
            ),
            (
                RawConfig {
                    metrics_addr: Some("nine".into()),
                    ..raw()
                },
                "--metrics-addr (AVIGW_METRICS_ADDR): \"nine\" is not an address",
            ),
            (
                RawConfig {
                    api_version: Some("v22".into()),
                    ..raw()
                },
                "--api-version (AVIGW_API_VERSION): \"v22\" is not an Avi version",
            ),
            (
                RawConfig {
                    tenant: Some(" ".into()),
                    ..raw()
                },
                "--tenant (AVIGW_TENANT): must not be empty",
            ),
            (
                RawConfig {
                    default_domain: Some("bad domain".into()),
                    ..raw()
                },
                "--default-domain (AVIGW_DEFAULT_DOMAIN)",
            ),
            (
                RawConfig {
                    insecure_skip_verify: Some(true),
                    ca_file: Some("/ca".into()),
                    ..raw()
                },
                "--insecure-skip-verify (AVIGW_INSECURE_SKIP_VERIFY): contradicts --ca-file",
            ),
        ];
        for (r, want) in cases {
            let e = err(r, Purpose::Plan);
            assert!(
                e.starts_with(&format!("invalid setting {want}")),
                "{e}\n  want prefix: {want}"
            );
            assert!(!e.contains('\n'));
        }
    }

    #[test]
    fn run_needs_credentials() {
        let base = RawConfig {
            controller: Some("https://avi".into()),
            ..raw()
        };
        assert!(err(base.clone(), Purpose::Run).starts_with("invalid setting --username"));
        let with_user = RawConfig {
            username: Some("admin".into()),
            ..base
        };
        assert!(err(with_user.clone(), Purpose::Run).starts_with("invalid setting --password-file"));
        let both = RawConfig {
            password_file: Some("/p".into()),
            token_file: Some("/t".into()),
            ..with_user.clone()
        };
        assert!(err(both, Purpose::Run).starts_with("invalid setting --token-file"));
        let ok = RawConfig {
            password_file: Some("/p".into()),
            ..with_user
        }
        .validate(Purpose::Run)
        .unwrap();
        assert_eq!(ok.controller.as_deref(), Some("https://avi"));
    }

    #[test]
    fn parses_everything() {
        let r = RawConfig {
            vip_network: vec!["vip-a".into(), "vip-b=10.1.0.0/24".into()],
            node_network: vec!["nodes=10.2.0.0/16".into()],
            service_type: Some("NodePort".into()),
            node_selector: Some("role=edge".into()),
            auto_fqdn: Some("flat".into()),
            default_domain: Some("avi.example.com.".into()),
            license_tier: Some("ESSENTIALS".into()),
            metrics_addr: Some("127.0.0.1:9191".into()),
            shard_vs_size: Some("DEDICATED".into()),
            ..raw()
        };
        let c = r.validate(Purpose::Plan).unwrap();
        assert_eq!(
            c.vip_networks[0],
            NetworkSetting {
                name: "vip-a".into(),
                cidr: None
            }
        );
        assert_eq!(c.vip_networks[1].cidr, Some("10.1.0.0/24".parse().unwrap()));
        assert_eq!(c.node_networks[0].name, "nodes");
        assert_eq!(c.service_type, ServiceType::NodePort);
        assert_eq!(
            c.node_selector,
            Some(LabelPair {
                key: "role".into(),
                value: "edge".into()
            })
        );
        assert_eq!(c.auto_fqdn, AutoFqdn::Flat);
        assert_eq!(c.default_domain.as_deref(), Some("avi.example.com"));
        assert_eq!(c.license_tier, Some(LicenseTier::Essentials));
        assert!(!LicenseTier::Essentials.is_enterprise());
        assert_eq!(c.shard_vs_size, ShardSize::Dedicated);
    }

    #[test]
    fn yaml_file_and_overlay() {
        let file = RawConfig::from_yaml(
            "clusterName: fromfile\nautoFqdn: flat\nvipNetwork: [a]\nshardVsSize: MEDIUM\n",
        )
        .unwrap();
        let flags = RawConfig {
            cluster_name: Some("fromflag".into()),
            ..Default::default()
        };
        let c = file.overlay(flags).validate(Purpose::Plan).unwrap();
        assert_eq!(c.cluster_name.as_str(), "fromflag");
        assert_eq!(c.auto_fqdn, AutoFqdn::Flat);
        assert_eq!(c.vip_networks.len(), 1);
        assert_eq!(c.shard_vs_size, ShardSize::Medium);
        let e = RawConfig::from_yaml("clusterNmae: typo\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("invalid setting --config (AVIGW_CONFIG): not a valid config file: unknown field `clusterNmae`"), "{e}");
    }
}
