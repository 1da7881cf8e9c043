//! Simulator configuration (the binary fills it from flags/env; tests build it directly).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use ipnet::Ipv4Net;

use crate::faults::FaultSettings;

/// Where the serving certificate comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsSource {
    /// Generate a throw-away CA and a serving cert for these names (rcgen).
    SelfSigned { sans: Vec<String> },
    /// PEM files given by the operator.
    Files { cert: PathBuf, key: PathBuf },
    /// Plain HTTP (local demos behind a port-forward; never the default).
    Plain,
}

/// A VIP network with its IPAM subnet, `NAME=CIDR` on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkSpec {
    pub name: String,
    pub cidr: Ipv4Net,
}

impl FromStr for NetworkSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, cidr) = s
            .split_once('=')
            .ok_or_else(|| format!("network {s:?}: expected NAME=CIDR"))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("network {s:?}: empty name"));
        }
        let cidr: Ipv4Net = cidr
            .trim()
            .parse()
            .map_err(|e| format!("network {s:?}: bad IPv4 CIDR: {e}"))?;
        Ok(Self {
            name: name.to_string(),
            cidr: cidr.trunc(),
        })
    }
}

/// Controller license tier; decides e.g. whether TCP proxy profiles are allowed (§3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LicenseTier {
    #[default]
    Enterprise,
    EnterpriseWithCloudServices,
    Essentials,
    Basic,
}

impl LicenseTier {
    pub fn as_str(self) -> &'static str {
        match self {
            LicenseTier::Enterprise => "ENTERPRISE",
            LicenseTier::EnterpriseWithCloudServices => "ENTERPRISE_WITH_CLOUD_SERVICES",
            LicenseTier::Essentials => "ESSENTIALS",
            LicenseTier::Basic => "BASIC",
        }
    }
}

impl FromStr for LicenseTier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "ENTERPRISE" => Ok(Self::Enterprise),
            "ENTERPRISE_WITH_CLOUD_SERVICES" => Ok(Self::EnterpriseWithCloudServices),
            "ESSENTIALS" => Ok(Self::Essentials),
            "BASIC" => Ok(Self::Basic),
            other => Err(format!(
                "license tier {other:?}: expected ENTERPRISE, ENTERPRISE_WITH_CLOUD_SERVICES, ESSENTIALS or BASIC"
            )),
        }
    }
}

impl fmt::Display for LicenseTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone)]
pub struct SimConfig {
    pub listen: SocketAddr,
    pub username: String,
    pub password: String,
    /// Tokens accepted by `POST /login {"username", "token"}`.
    pub tokens: Vec<String>,
    pub tls: TlsSource,
    /// The version the controller reports; requests asking for a newer one are refused.
    pub controller_version: String,
    /// Refuse `/api` calls without `X-Avi-Version` (stricter than a real controller, which
    /// falls back to its oldest API version; catches clients that forget the header).
    pub require_api_version: bool,
    /// Accept `Authorization: Basic` (the recorded 20.1.5 controller had it enabled).
    pub allow_basic_auth: bool,
    pub session_idle_timeout: Duration,
    pub networks: Vec<NetworkSpec>,
    pub license_tier: LicenseTier,
    pub faults: FaultSettings,
    /// How many recent requests `/_sim/requests` keeps.
    pub request_log_capacity: usize,
}

// Hand-written so the password and tokens never reach a log line.
impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("listen", &self.listen)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("tokens", &format_args!("<{} redacted>", self.tokens.len()))
            .field("tls", &self.tls)
            .field("controller_version", &self.controller_version)
            .field("require_api_version", &self.require_api_version)
            .field("allow_basic_auth", &self.allow_basic_auth)
            .field("session_idle_timeout", &self.session_idle_timeout)
            .field("networks", &self.networks)
            .field("license_tier", &self.license_tier)
            .field("faults", &self.faults)
            .finish()
    }
}

pub const DEFAULT_CONTROLLER_VERSION: &str = "22.1.3";

impl SimConfig {
    /// A config for in-process tests: loopback, ephemeral port, self-signed TLS.
    pub fn for_tests(password: &str) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            username: "admin".into(),
            password: password.into(),
            tokens: Vec::new(),
            tls: TlsSource::SelfSigned {
                sans: vec!["localhost".into(), "127.0.0.1".into()],
            },
            controller_version: DEFAULT_CONTROLLER_VERSION.into(),
            require_api_version: true,
            allow_basic_auth: true,
            session_idle_timeout: Duration::from_secs(15 * 60),
            networks: vec![default_network()],
            license_tier: LicenseTier::Enterprise,
            faults: FaultSettings::default(),
            request_log_capacity: 512,
        }
    }
}

pub fn default_network() -> NetworkSpec {
    NetworkSpec {
        name: "vip-net".into(),
        cidr: "10.50.0.0/24".parse().unwrap_or_else(|_| Ipv4Net::default()),
    }
}

/// `a.b.c` compared numerically; missing parts count as 0; junk is an error.
pub fn parse_version(v: &str) -> Option<Vec<u32>> {
    let parts: Result<Vec<u32>, _> = v.trim().split('.').map(str::parse).collect();
    match parts {
        Ok(p) if !p.is_empty() && p.len() <= 4 => Some(p),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_spec_parses() {
        let n: NetworkSpec = "vip-net=10.50.0.7/24".parse().unwrap();
        assert_eq!(n.name, "vip-net");
        assert_eq!(n.cidr.to_string(), "10.50.0.0/24");
        assert!("novalue".parse::<NetworkSpec>().is_err());
        assert!("x=10.0.0.0/33".parse::<NetworkSpec>().is_err());
    }

    #[test]
    fn debug_redacts_password() {
        let c = SimConfig::for_tests("s3cret-pw");
        assert!(!format!("{c:?}").contains("s3cret-pw"));
    }

    #[test]
    fn versions() {
        assert!(parse_version("20.1.1") < parse_version("22.1.3"));
        assert!(parse_version("x.1").is_none());
    }
}
