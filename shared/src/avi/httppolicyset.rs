use serde::{Deserialize, Serialize};

use crate::naming::Marker;

/// `match_criteria` values avigw sends.
pub const HDR_EQUALS: &str = "HDR_EQUALS";
pub const IS_IN: &str = "IS_IN";
pub const EQUALS: &str = "EQUALS";
pub const BEGINS_WITH: &str = "BEGINS_WITH";
/// `match_case` of path matches: Kubernetes paths are case-sensitive.
pub const SENSITIVE: &str = "SENSITIVE";
pub const HTTP_SWITCHING_SELECT_POOLGROUP: &str = "HTTP_SWITCHING_SELECT_POOLGROUP";
pub const HTTP_REDIRECT_STATUS_CODE_302: &str = "HTTP_REDIRECT_STATUS_CODE_302";

/// An Avi HTTPPolicySet: the redirect of secure hosts from port 80 to HTTPS, or a host's path
/// switching to PoolGroups. Rules run in `index` order; the first match acts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpPolicySet {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_ref: Option<String>,
    #[serde(default)]
    pub http_request_policy: HttpRequestPolicy,
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

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequestPolicy {
    #[serde(default)]
    pub rules: Vec<HttpRequestRule>,
}

/// One rule: `{name, index, enable, match?, switching_action | redirect_action}`. A rule
/// without `match` matches every request (the catch-all of an empty Ingress path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequestRule {
    pub name: String,
    pub index: u32,
    #[serde(default = "yes")]
    pub enable: bool,
    #[serde(rename = "match", default, skip_serializing_if = "Option::is_none")]
    pub match_: Option<MatchTarget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switching_action: Option<HttpSwitchingAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_action: Option<HttpRedirectAction>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchTarget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_hdr: Option<HostHdrMatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_port: Option<PortMatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathMatch>,
}

/// `{match_criteria: HDR_EQUALS, value: [hosts]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostHdrMatch {
    pub match_criteria: String,
    #[serde(default)]
    pub value: Vec<String>,
}

/// `{match_criteria: IS_IN, ports: [..]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortMatch {
    pub match_criteria: String,
    #[serde(default)]
    pub ports: Vec<i32>,
}

/// `{match_criteria: EQUALS|BEGINS_WITH, match_case: SENSITIVE, match_str: [..]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathMatch {
    pub match_criteria: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_case: Option<String>,
    #[serde(default)]
    pub match_str: Vec<String>,
}

/// `{action: HTTP_SWITCHING_SELECT_POOLGROUP, pool_group_ref}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpSwitchingAction {
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_group_ref: Option<String>,
}

/// `{protocol: HTTPS, port: 443, status_code: HTTP_REDIRECT_STATUS_CODE_302}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRedirectAction {
    pub protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
}
