use serde::{Deserialize, Serialize};

use super::common::{IpAddrObj, IpPrefix};
use crate::naming::Marker;

/// An Avi Pool: the servers behind one listener (Gateway) or one Service port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pool {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vrf_ref: Option<String>,
    /// Always sent, even empty: an update must be able to take the last server away.
    #[serde(default)]
    pub servers: Vec<Server>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub health_monitor_refs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_networks: Vec<PlacementNetwork>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub markers: Vec<Marker>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, rename = "_last_modified", skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// A pool member: `{ip: {addr, type}, port, enabled}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Server {
    pub ip: IpAddrObj,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// `placement_networks[]`: where the SEs reach the servers (from `nodeNetworks`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacementNetwork {
    pub network_ref: String,
    pub subnet: IpPrefix,
}
