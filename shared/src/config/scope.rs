//! Which objects are avigw's, and the defaults that decide how they are judged. The webhook
//! and the reconciler flatten this one group so that both read the same flags, with the same
//! parsing, and judge an object the same way.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::parse::parse_pair;
use super::types::LabelPair;
use crate::api::ShardSize;

/// The scope settings as given (flags, `AVIGW_*` env, `--config` keys in camelCase).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(rename_all = "camelCase")]
pub struct ScopeArgs {
    /// DNS domain for host names avigw derives (default: the cloud's).
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_DEFAULT_DOMAIN"))]
    pub default_domain: Option<String>,
    /// key=value: only namespaces with this label are synced.
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_NAMESPACE_SELECTOR"))]
    pub namespace_selector: Option<String>,
    /// Namespace never synced (repeatable).
    #[cfg_attr(
        feature = "cli",
        arg(long, env = "AVIGW_BLOCKED_NAMESPACE", value_delimiter = ',')
    )]
    #[serde(default)]
    pub blocked_namespace: Vec<String>,
    /// LoadBalancer Services without a loadBalancerClass are ours (default true).
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_DEFAULT_LB_CONTROLLER"))]
    pub default_lb_controller: Option<bool>,
    /// Shared parents for Ingress hosts: LARGE (8), MEDIUM (4), SMALL (1) or DEDICATED.
    #[cfg_attr(feature = "cli", arg(long, env = "AVIGW_SHARD_VS_SIZE"))]
    pub shard_vs_size: Option<String>,
}

/// The validated scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    pub default_domain: Option<String>,
    pub namespace_selector: Option<LabelPair>,
    pub blocked_namespaces: Vec<String>,
    pub default_lb_controller: bool,
    pub shard_vs_size: ShardSize,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            default_domain: None,
            namespace_selector: None,
            blocked_namespaces: Vec::new(),
            default_lb_controller: true,
            shard_vs_size: ShardSize::default(),
        }
    }
}

/// Why objects of a namespace are not synced (SPEC §3 namespace sync).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotSynced<'a> {
    /// `--blocked-namespace`.
    Blocked(&'a str),
    /// `--namespace-selector`: the namespace lacks the label.
    Unlabelled(&'a str, &'a LabelPair),
}

impl fmt::Display for NotSynced<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotSynced::Blocked(ns) => write!(f, "namespace {ns:?} is blocked (--blocked-namespace)"),
            NotSynced::Unlabelled(ns, sel) => write!(
                f,
                "namespace {ns:?} does not carry the label {}={} (--namespace-selector)",
                sel.key, sel.value
            ),
        }
    }
}

impl Scope {
    /// Whether objects of `namespace` are synced: not blocked and, with a namespace selector,
    /// labelled. `has_label` answers whether the namespace carries a label (a namespace not
    /// known does not).
    pub fn namespace_sync<'a>(
        &'a self,
        namespace: &'a str,
        has_label: impl FnOnce(&LabelPair) -> bool,
    ) -> Result<(), NotSynced<'a>> {
        if self.blocked_namespaces.iter().any(|b| b == namespace) {
            return Err(NotSynced::Blocked(namespace));
        }
        match &self.namespace_selector {
            Some(sel) if !has_label(sel) => Err(NotSynced::Unlabelled(namespace, sel)),
            _ => Ok(()),
        }
    }
}

impl ScopeArgs {
    /// Defaults and checks; the first bad setting as one line.
    pub fn validate(self) -> Result<Scope, ConfigError> {
        let default_domain = match self.default_domain {
            Some(d) => {
                let d = d.trim_end_matches('.').to_owned();
                if !crate::rules::is_dns1123_subdomain(&d) {
                    return Err(ConfigError::new(
                        "default-domain",
                        format!("{d:?} is not a DNS domain such as avi.example.com"),
                    ));
                }
                Some(d)
            }
            None => None,
        };
        let namespace_selector = self
            .namespace_selector
            .as_deref()
            .map(|s| parse_pair("namespace-selector", s))
            .transpose()?;
        for ns in &self.blocked_namespace {
            if !crate::rules::is_dns1123_label(ns) {
                return Err(ConfigError::new(
                    "blocked-namespace",
                    format!("{ns:?} is not a namespace name"),
                ));
            }
        }
        let shard_vs_size = match self.shard_vs_size.as_deref() {
            None => ShardSize::default(),
            Some(s) => ShardSize::parse(s).ok_or_else(|| {
                ConfigError::new(
                    "shard-vs-size",
                    format!("{s:?} is not one of {}", ShardSize::VALUES.join(", ")),
                )
            })?,
        };
        Ok(Scope {
            default_domain,
            namespace_selector,
            blocked_namespaces: self.blocked_namespace,
            default_lb_controller: self.default_lb_controller.unwrap_or(true),
            shard_vs_size,
        })
    }
}
