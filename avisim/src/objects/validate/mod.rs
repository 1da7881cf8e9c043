//! Per-type validation of a prepared body (refs already resolved, defaults applied).

mod httppolicyset;
mod l4policyset;
mod pool;
mod poolgroup;
mod vhost;
mod virtualservice;
mod vsdatascriptset;
mod vsvip;

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{WriteCtx, bad};
use crate::error::ApiError;
use crate::store::Store;

pub(super) fn as_port(v: Option<&Value>) -> Option<u64> {
    v.and_then(Value::as_u64).filter(|p| (1..=65_535).contains(p))
}

pub(super) fn validate(
    store: &Store,
    ctx: &WriteCtx<'_>,
    kind: &str,
    m: &Map<String, Value>,
    own_uuid: Option<&str>,
) -> Result<(), ApiError> {
    match kind {
        "virtualservice" => virtualservice::validate(store, ctx, m, own_uuid),
        "vsvip" => vsvip::validate(m),
        "pool" => pool::validate(m),
        "l4policyset" => l4policyset::validate(m),
        "poolgroup" => poolgroup::validate(store, m),
        "vsdatascriptset" => vsdatascriptset::validate(store, m),
        "httppolicyset" => httppolicyset::validate(m),
        "healthmonitor" => match m.get("type").and_then(Value::as_str) {
            Some(t) if t.starts_with("HEALTH_MONITOR_") => Ok(()),
            _ => Err(bad("type: a HEALTH_MONITOR_* type is required.")),
        },
        _ => Ok(()),
    }
}

pub(super) fn array<'a>(m: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], ApiError> {
    match m.get(key) {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(bad(format!("{key}: must be a list"))),
    }
}

/// A list entry's `index` (at `at`): present, and not one `seen` already holds.
pub(super) fn unique_index(entry: &Value, at: &str, seen: &mut HashSet<u64>) -> Result<(), ApiError> {
    let index = entry
        .get("index")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad(format!("{at}: This field is required.")))?;
    if !seen.insert(index) {
        return Err(bad(format!("{at}: duplicate index {index}")));
    }
    Ok(())
}

/// An enum field: present, a string, and one of `choices`; returns the value.
pub(in crate::objects) fn one_of<'a>(
    v: Option<&'a Value>,
    choices: &[&str],
    at: &str,
) -> Result<&'a str, ApiError> {
    match v {
        None => Err(bad(format!("{at}: This field is required."))),
        Some(Value::String(s)) if choices.contains(&s.as_str()) => Ok(s),
        Some(Value::String(s)) => Err(bad(format!("{at}: \"{s}\" is not a valid choice."))),
        Some(_) => Err(bad(format!("{at}: must be a string"))),
    }
}

pub(super) fn ip_of(v: &Value) -> Option<&str> {
    v.get("addr").and_then(Value::as_str)
}
