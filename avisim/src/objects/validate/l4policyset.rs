//! L4PolicySet: rule shapes, indexes, match criteria and protocols.

use serde_json::{Map, Value};

use super::{as_port, unique_index};
use crate::error::ApiError;
use crate::objects::bad;

const L4_PROTOCOLS: &[&str] = &["PROTOCOL_TCP", "PROTOCOL_UDP", "PROTOCOL_ICMP", "PROTOCOL_SCTP"];
const MATCH_CRITERIA: &[&str] = &["IS_IN", "IS_NOT_IN"];

pub(super) fn validate(m: &Map<String, Value>) -> Result<(), ApiError> {
    let Some(policy) = m.get("l4_connection_policy") else {
        return Ok(());
    };
    let rules = policy
        .get("rules")
        .map(|r| {
            r.as_array()
                .ok_or_else(|| bad("l4_connection_policy.rules: must be a list"))
        })
        .transpose()?
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut indexes = std::collections::HashSet::new();
    for (i, r) in rules.iter().enumerate() {
        let at = |f: &str| format!("l4_connection_policy.rules[{i}].{f}");
        unique_index(r, &at("index"), &mut indexes)?;
        if r.get("name").and_then(Value::as_str).is_none() {
            return Err(bad(format!("{}: This field is required.", at("name"))));
        }
        let sel = r.get("action").and_then(|a| a.get("select_pool"));
        let Some(sel) = sel else {
            return Err(bad(format!(
                "{}: This field is required.",
                at("action.select_pool")
            )));
        };
        if sel.get("action_type").and_then(Value::as_str) != Some("L4_RULE_ACTION_SELECT_POOL") {
            return Err(bad(format!(
                "{}: must be L4_RULE_ACTION_SELECT_POOL",
                at("action.select_pool.action_type")
            )));
        }
        if sel.get("pool_ref").is_none() && sel.get("pool_group_ref").is_none() {
            return Err(bad(format!(
                "{}: pool_ref or pool_group_ref is required",
                at("action.select_pool")
            )));
        }
        if let Some(port) = r.get("match").and_then(|mm| mm.get("port")) {
            crit(port, &at("match.port.match_criteria"))?;
            let ports = port.get("ports").and_then(Value::as_array);
            let ranges = port.get("port_ranges").and_then(Value::as_array);
            let ok = ports.is_some_and(|p| !p.is_empty() && p.iter().all(|x| as_port(Some(x)).is_some()))
                || ranges.is_some_and(|r| !r.is_empty());
            if !ok {
                return Err(bad(format!(
                    "{}: a non-empty list of ports 1..65535 is required",
                    at("match.port.ports")
                )));
            }
        }
        if let Some(proto) = r.get("match").and_then(|mm| mm.get("protocol")) {
            crit(proto, &at("match.protocol.match_criteria"))?;
            match proto.get("protocol").and_then(Value::as_str) {
                Some(p) if L4_PROTOCOLS.contains(&p) => {}
                other => {
                    return Err(bad(format!(
                        "{}: {other:?} is not one of {L4_PROTOCOLS:?}",
                        at("match.protocol.protocol")
                    )));
                }
            }
        }
    }
    Ok(())
}

fn crit(v: &Value, at: &str) -> Result<(), ApiError> {
    match v.get("match_criteria").and_then(Value::as_str) {
        Some(c) if MATCH_CRITERIA.contains(&c) => Ok(()),
        other => Err(bad(format!("{at}: {other:?} is not one of {MATCH_CRITERIA:?}"))),
    }
}
