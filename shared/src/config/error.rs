//! The one-line error of a bad setting.

/// A bad setting: `<flag> (<ENV>): <what is wrong>`, meant to stop start-up as one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting --{flag} ({env}): {reason}")]
pub struct ConfigError {
    pub flag: &'static str,
    pub env: String,
    pub reason: String,
}

impl ConfigError {
    pub(super) fn new(flag: &'static str, reason: impl Into<String>) -> Self {
        ConfigError {
            flag,
            env: env_name(flag),
            reason: reason.into(),
        }
    }
}

/// `cluster-name` → `AVIGW_CLUSTER_NAME`.
pub fn env_name(flag: &str) -> String {
    format!("AVIGW_{}", flag.replace('-', "_").to_ascii_uppercase())
}
