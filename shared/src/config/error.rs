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

/// Every flag of `cmd` and of its subcommands that has an env variable, as
/// `(command, flag, env)`: what a binary's tests hold to [`env_name`].
#[cfg(feature = "cli")]
pub fn flags_with_env(cmd: &clap::Command) -> Vec<(String, String, String)> {
    std::iter::once(cmd)
        .chain(cmd.get_subcommands())
        .flat_map(|c| {
            c.get_arguments().filter_map(move |a| {
                Some((
                    c.get_name().to_owned(),
                    a.get_long()?.to_owned(),
                    a.get_env()?.to_string_lossy().into_owned(),
                ))
            })
        })
        .collect()
}

/// `cluster-name` → `AVIGW_CLUSTER_NAME`.
pub fn env_name(flag: &str) -> String {
    format!("AVIGW_{}", flag.replace('-', "_").to_ascii_uppercase())
}
