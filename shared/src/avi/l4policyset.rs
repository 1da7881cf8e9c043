use serde::{Deserialize, Serialize};

use crate::naming::Marker;

/// An Avi L4PolicySet: one rule per pool, matching (port, protocol) and selecting the pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct L4PolicySet {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_ref: Option<String>,
    #[serde(default)]
    pub l4_connection_policy: L4ConnectionPolicy,
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
pub struct L4ConnectionPolicy {
    #[serde(default)]
    pub rules: Vec<L4Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L4Rule {
    pub name: String,
    pub index: u32,
    #[serde(default = "yes")]
    pub enable: bool,
    #[serde(rename = "match", default, skip_serializing_if = "Option::is_none")]
    pub match_: Option<L4RuleMatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<L4RuleAction>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L4RuleMatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<L4RulePortMatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<L4RuleProtocolMatch>,
}

/// `{match_criteria: IS_IN, ports: [..]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L4RulePortMatch {
    pub match_criteria: String,
    #[serde(default)]
    pub ports: Vec<i32>,
}

/// `{match_criteria: IS_IN, protocol: PROTOCOL_TCP|PROTOCOL_UDP|PROTOCOL_SCTP}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L4RuleProtocolMatch {
    pub match_criteria: String,
    pub protocol: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L4RuleAction {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select_pool: Option<L4RuleActionSelectPool>,
}

/// `{action_type: L4_RULE_ACTION_SELECT_POOL, pool_ref}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L4RuleActionSelectPool {
    pub action_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_ref: Option<String>,
}
