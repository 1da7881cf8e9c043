//! The one flag surface of avigw's binaries (SPEC §7). [`RawConfig`] is what flags, env
//! (`AVIGW_<FLAG>`) and a `--config` YAML file give; [`RawConfig::validate`] turns it into a
//! [`Config`] or one line naming the bad setting.
//!
//! Flags more than one binary reads are groups of their own, flattened (clap) wherever they
//! are needed: [`ScopeArgs`] (which objects are ours; the webhook and the reconciler),
//! [`OpsPortArgs`] (`--metrics-addr`; every server), [`ConfigFileArgs`] (`--config`; `run`
//! and `plan`). `--log-json` is `avigw_ops::log::LogArgs`.

mod error;
mod file;
mod ops_port;
mod parse;
mod raw;
mod scope;
mod types;
mod validate;

#[cfg(feature = "cli")]
pub use error::flags_with_env;
pub use error::{ConfigError, env_name};
pub use file::ConfigFileArgs;
pub use ops_port::{DEFAULT_METRICS_ADDR, OpsPortArgs};
pub use raw::RawConfig;
pub use scope::{NotSynced, Scope, ScopeArgs};
pub use types::{Config, LabelPair, LicenseTier, NetworkSetting, ServiceType};
pub use validate::Purpose;

#[cfg(test)]
mod tests;
