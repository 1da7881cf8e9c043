use serde::{Deserialize, Serialize};

use crate::naming::Marker;

/// The request event a shared parent's DataScript runs on.
pub const DATASCRIPT_EVT_HTTP_REQ: &str = "VS_DATASCRIPT_EVT_HTTP_REQ";

/// An Avi VSDataScriptSet: the Lua a shared parent runs to pick a PoolGroup member by host and
/// path. Avi checks that every PoolGroup the script selects is in `pool_group_refs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VsDataScriptSet {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_ref: Option<String>,
    #[serde(default)]
    pub datascript: Vec<VsDataScript>,
    #[serde(default)]
    pub pool_group_refs: Vec<String>,
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

/// `datascript[]`: `{evt, script}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VsDataScript {
    pub evt: String,
    pub script: String,
}
