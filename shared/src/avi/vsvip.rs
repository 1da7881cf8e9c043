use serde::{Deserialize, Serialize};

use super::common::{IpAddrObj, IpPrefix};
use crate::naming::Marker;

/// An Avi VsVip: the virtual IP (and its DNS names) a VirtualService listens on. It has no
/// `created_by` in Avi's schema; ownership is the name prefix plus the `clustername` marker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VsVip {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vrf_context_ref: Option<String>,
    #[serde(default)]
    pub vip: Vec<Vip>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_info: Vec<DnsInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bgp_peer_labels: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub markers: Vec<Marker>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, rename = "_last_modified", skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl VsVip {
    /// The address Avi placed (or was asked for) on the first VIP.
    pub fn address(&self) -> Option<&str> {
        self.vip
            .first()
            .and_then(|v| v.ip_address.as_ref())
            .map(|a| a.addr.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vip {
    pub vip_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_allocate_ip: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_allocate_floating_ip: Option<bool>,
    /// The preferred address; Avi fills it in when it allocates one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<IpAddrObj>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipam_network_subnet: Option<IpamNetworkSubnet>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpamNetworkSubnet {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<IpPrefix>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet6: Option<IpPrefix>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsInfo {
    pub fqdn: String,
}
