//! The `--config` YAML file and how flags go over it.
//!
//! [`RawConfig`] and its groups are separate serde structs read side by side from the same
//! text (see [`RawConfig`] for why not `flatten`). The one list of those parts is in
//! [`read_parts`] and [`write_parts`]; the keys a file may hold are the keys `write_parts`
//! produces, so a new field needs no other change here.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_yaml::{Mapping, Value};

use super::error::ConfigError;
use super::raw::RawConfig;

/// `--config FILE`: settings in YAML, keys as the flags in camelCase; flags and env win.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct ConfigFileArgs {
    /// YAML config file (keys are the flags in camelCase, e.g. `clusterName: prod-1`); flags
    /// and env win.
    #[cfg_attr(
        feature = "cli",
        arg(long = "config", value_name = "FILE", env = "AVIGW_CONFIG")
    )]
    pub file: Option<PathBuf>,
}

impl ConfigFileArgs {
    /// The file's settings (if a file is given) with `flags` over them. `read` reads the file:
    /// the caller's I/O, as this crate does none.
    pub fn load(
        &self,
        flags: RawConfig,
        read: impl FnOnce(&Path) -> std::io::Result<String>,
    ) -> Result<RawConfig, ConfigError> {
        let Some(path) = &self.file else {
            return Ok(flags);
        };
        let text = read(path).map_err(|e| ConfigError::new("config", format!("{}: {e}", path.display())))?;
        RawConfig::from_yaml(&text)?.overlay(flags)
    }
}

fn invalid(e: impl std::fmt::Display) -> ConfigError {
    ConfigError::new("config", format!("not a valid config file: {e}"))
}

/// Where the parts are read from.
enum Source<'a> {
    Text(&'a str),
    Value(Value),
}

impl Source<'_> {
    fn read<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        match self {
            // From the text, so that errors keep the key, line and column.
            Source::Text(t) => serde_yaml::from_str(t).map_err(invalid),
            Source::Value(v) => serde_yaml::from_value(v.clone()).map_err(invalid),
        }
    }
}

fn read_parts(src: &Source<'_>) -> Result<RawConfig, ConfigError> {
    let mut raw: RawConfig = src.read()?;
    raw.scope = src.read()?;
    raw.ops = src.read()?;
    Ok(raw)
}

/// Every key of every part; `null` or `[]` where nothing is given.
fn write_parts(raw: &RawConfig) -> Result<Mapping, ConfigError> {
    let mut m = to_mapping(raw)?;
    m.extend(to_mapping(&raw.scope)?);
    m.extend(to_mapping(&raw.ops)?);
    Ok(m)
}

fn to_mapping(part: &impl Serialize) -> Result<Mapping, ConfigError> {
    match serde_yaml::to_value(part) {
        Ok(Value::Mapping(m)) => Ok(m),
        // Only a path that is not UTF-8 fails here.
        Ok(_) => Err(invalid("a setting is not a YAML value")),
        Err(e) => Err(invalid(e)),
    }
}

fn given(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Sequence(s) => !s.is_empty(),
        _ => true,
    }
}

fn key_text(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .map(|s| s.trim_end().to_owned())
            .unwrap_or_default(),
    }
}

impl RawConfig {
    /// The keys a `--config` file may hold, in flag order.
    pub fn file_keys() -> Vec<String> {
        write_parts(&RawConfig::default())
            .map(|m| m.keys().map(key_text).collect())
            .unwrap_or_default()
    }

    /// Parses a `--config` YAML file's text; an unknown key is refused.
    pub fn from_yaml(text: &str) -> Result<Self, ConfigError> {
        if let Value::Mapping(m) = serde_yaml::from_str::<Value>(text).map_err(invalid)? {
            let known = RawConfig::file_keys();
            if let Some(k) = m.keys().map(key_text).find(|k| !known.contains(k)) {
                let expected = known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>();
                return Err(invalid(format!(
                    "unknown field `{k}`, expected one of {}",
                    expected.join(", ")
                )));
            }
        }
        read_parts(&Source::Text(text))
    }

    /// `self` with every setting `over` gives replacing ours (flags over a config file).
    pub fn overlay(self, over: RawConfig) -> Result<RawConfig, ConfigError> {
        let mut merged = write_parts(&self)?;
        for (k, v) in write_parts(&over)? {
            if given(&v) {
                merged.insert(k, v);
            }
        }
        read_parts(&Source::Value(Value::Mapping(merged)))
    }
}
