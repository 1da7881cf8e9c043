//! [`RawConfig::validate`]: defaults, checks and parsing into a [`Config`], stopping at the
//! first bad setting with one line naming it.

use super::error::ConfigError;
use super::parse::{parse_network, parse_pair};
use super::raw::RawConfig;
use super::types::{Config, LicenseTier, ServiceType};
use crate::naming::{AutoFqdn, ClusterName};

/// What the config is validated for: `run` needs a controller, `plan` works offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Run,
    Plan,
}

impl RawConfig {
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
        let scope = self.scope.validate()?;
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
        let adopt_from = validate_adopt_from(self.adopt_from, &cluster_name)?;
        let workers = self.workers.unwrap_or(4);
        if !(1..=256).contains(&workers) {
            return Err(ConfigError::new(
                "workers",
                format!("{workers} is outside 1..=256"),
            ));
        }
        let metrics_addr = self.ops.validate()?;
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
            scope,
            services_api: self.services_api.unwrap_or(true),
            license_tier,
            adopt_from,
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

/// A creator to adopt from: a `created_by` value as Avi stores it, never avigw's own.
fn validate_adopt_from(given: Vec<String>, cluster: &ClusterName) -> Result<Vec<String>, ConfigError> {
    let mut out: Vec<String> = Vec::with_capacity(given.len());
    for c in given {
        let c = c.trim().to_owned();
        let valid_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
        if c.is_empty() || c.len() > 128 || !c.bytes().all(valid_char) {
            return Err(ConfigError::new(
                "adopt-from",
                format!(
                    "{c:?} is not a created_by value such as ako-prod-1 (letters, digits, '-', '_', '.'; at most 128)"
                ),
            ));
        }
        if c == cluster.created_by() {
            return Err(ConfigError::new(
                "adopt-from",
                format!(
                    "{c:?} is avigw's own created_by for this cluster; list another creator, e.g. ako-{}",
                    cluster.as_str()
                ),
            ));
        }
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
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
