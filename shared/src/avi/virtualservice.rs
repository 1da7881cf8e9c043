use serde::{Deserialize, Serialize};

use crate::naming::Marker;

/// An Avi L4 VirtualService: its ports, profiles and placement; pools are picked by its
/// L4PolicySet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VirtualService {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se_group_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vrf_context_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vsvip_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_profile_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_profile_ref: Option<String>,
    #[serde(default)]
    pub services: Vec<VsService>,
    /// Left out when there is no pool (SPEC §3); Avi's PUT replaces the whole object, so that
    /// also detaches a previous L4PolicySet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub l4_policies: Vec<L4Policies>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_rhi: Option<bool>,
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

/// `services[]`: one listening port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VsService {
    pub port: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_range_end: Option<i32>,
    /// A protocol other than the VS's main one on this port (mixed TCP/UDP/SCTP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_network_profile_ref: Option<String>,
}

/// `l4_policies[]`: `{index, l4_policy_set_ref}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L4Policies {
    pub index: u32,
    pub l4_policy_set_ref: String,
}
