use serde::{Deserialize, Serialize};

use crate::naming::Marker;

/// An Avi PoolGroup: the pools an Ingress path switches to. A shared parent's PoolGroup holds
/// one member per insecure entry, picked by its `priority_label` (the VSDataScriptSet selects
/// the longest label that prefixes `host/path`); a secure or DEDICATED entry's holds its pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolGroup {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_ref: Option<String>,
    /// Always sent: `true` on a shared parent's PoolGroup, where the labels pick the member.
    #[serde(default)]
    pub implicit_priority_labels: bool,
    /// Always sent, even empty: a kept parent's PoolGroup loses its last member by an update.
    #[serde(default)]
    pub members: Vec<PoolGroupMember>,
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

/// `members[]`: `{pool_ref, ratio, priority_label?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolGroupMember {
    pub pool_ref: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_label: Option<String>,
}
