use serde::{Deserialize, Serialize};

use crate::naming::Marker;

/// `type` of a shared parent (virtual hosting), of an SNI child, and of any other VS.
pub const VS_TYPE_VH_PARENT: &str = "VS_TYPE_VH_PARENT";
pub const VS_TYPE_VH_CHILD: &str = "VS_TYPE_VH_CHILD";
pub const VS_TYPE_NORMAL: &str = "VS_TYPE_NORMAL";

/// An Avi VirtualService: its ports, profiles and placement. An L4 one picks pools by its
/// L4PolicySet; an Ingress one is a shared parent (DataScript and redirect set), an SNI child
/// of one (`vh_parent_vs_ref`, no ports, no VIP of its own), or a DEDICATED VS, and switches
/// paths with HTTPPolicySets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VirtualService {
    pub name: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se_group_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vrf_context_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vh_parent_vs_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vh_domain_name: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vsvip_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_profile_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_profile_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_profile_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ssl_key_and_certificate_refs: Vec<String>,
    /// Left out only by SNI children, which listen on their parent's ports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<VsService>,
    /// Left out when there is no pool (SPEC §3); Avi's PUT replaces the whole object, so that
    /// also detaches a previous L4PolicySet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub l4_policies: Vec<L4Policies>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vs_datascripts: Vec<VsDataScripts>,
    /// Left out when there is no set; as with `l4_policies`, the PUT then detaches the last one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http_policies: Vec<HttpPolicies>,
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
    /// TLS termination on this port (Ingress VSes say it on every port, `false` included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_ssl: Option<bool>,
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

/// `vs_datascripts[]`: `{index, vs_datascript_set_ref}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VsDataScripts {
    pub index: u32,
    pub vs_datascript_set_ref: String,
}

/// `http_policies[]`: `{index, http_policy_set_ref}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpPolicies {
    pub index: u32,
    pub http_policy_set_ref: String,
}
