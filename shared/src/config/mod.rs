//! The one configuration type of both processes (SPEC §7). [`RawConfig`] is what flags, env
//! (`AVIGW_<FLAG>`), a YAML file and Helm values give; [`RawConfig::validate`] turns it into a
//! [`Config`] or one line naming the bad setting.

mod error;
mod parse;
mod raw;
mod types;
mod validate;

pub use error::{ConfigError, env_name};
pub use raw::RawConfig;
pub use types::{Config, LabelPair, LicenseTier, NetworkSetting, ServiceType};
pub use validate::Purpose;

#[cfg(test)]
mod tests;
