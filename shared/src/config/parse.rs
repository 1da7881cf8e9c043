//! Parsers of the settings that have a syntax of their own.

use std::net::SocketAddr;

use ipnet::IpNet;

use super::error::ConfigError;
use super::types::{LabelPair, NetworkSetting};

pub(super) fn parse_network(
    flag: &'static str,
    s: &str,
    cidr_required: bool,
) -> Result<NetworkSetting, ConfigError> {
    let (name, cidr) = match s.split_once('=') {
        Some((n, c)) => (n, Some(c)),
        None => (s, None),
    };
    if name.trim().is_empty() {
        return Err(ConfigError::new(
            flag,
            format!(
                "{s:?} has no network name; expected NAME{}",
                if cidr_required { "=CIDR" } else { "[=CIDR]" }
            ),
        ));
    }
    let cidr = match cidr {
        Some(c) => Some(c.parse::<IpNet>().map_err(|_| {
            ConfigError::new(flag, format!("{s:?}: {c:?} is not a CIDR such as 10.10.10.0/24"))
        })?),
        None if cidr_required => {
            return Err(ConfigError::new(
                flag,
                format!("{s:?} has no CIDR; expected NAME=CIDR"),
            ));
        }
        None => None,
    };
    Ok(NetworkSetting {
        name: name.to_owned(),
        cidr,
    })
}

pub(super) fn parse_pair(flag: &'static str, s: &str) -> Result<LabelPair, ConfigError> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() && crate::rules::is_label_key(k) && crate::rules::is_label_value(v) => {
            Ok(LabelPair {
                key: k.to_owned(),
                value: v.to_owned(),
            })
        }
        _ => Err(ConfigError::new(
            flag,
            format!("{s:?} is not a label key=value pair"),
        )),
    }
}

pub(super) fn parse_listen_addr(s: &str) -> Result<SocketAddr, ConfigError> {
    let full = if let Some(port) = s.strip_prefix(':') {
        format!("0.0.0.0:{port}")
    } else {
        s.to_owned()
    };
    // Only "IP:port" or ":port": a host name would need a resolver at start-up.
    full.parse::<SocketAddr>().map_err(|_| {
        ConfigError::new(
            "metrics-addr",
            format!("{s:?} is not an address such as :9090 or 127.0.0.1:9090"),
        )
    })
}
