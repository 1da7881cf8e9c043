//! The plain-HTTP port of `/metrics`, `/healthz` and `/readyz`, a flag of every avigw server.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::parse::parse_listen_addr;

/// Where the ops port listens when `--metrics-addr` is not given.
pub const DEFAULT_METRICS_ADDR: &str = ":9090";

/// The ops port setting as given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(rename_all = "camelCase")]
pub struct OpsPortArgs {
    /// Address of the plain-HTTP /metrics, /healthz, /readyz port: IP:PORT or :PORT
    /// (default :9090, all interfaces).
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_METRICS_ADDR"))]
    pub metrics_addr: Option<String>,
}

impl OpsPortArgs {
    /// The address to bind, or one line naming the setting.
    pub fn validate(&self) -> Result<SocketAddr, ConfigError> {
        parse_listen_addr(self.metrics_addr.as_deref().unwrap_or(DEFAULT_METRICS_ADDR))
    }
}
