//! HTTPPolicySet: `http_request_policy.rules[{name, index, enable, match{host_hdr, vs_port,
//! path}, switching_action | redirect_action}]` with the enums of the Avi object schema; rule
//! names and indexes unique within the set.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{as_port, one_of, unique_index};
use crate::error::ApiError;
use crate::objects::bad;

const HOST_HDR_CRITERIA: &[&str] = &[
    "HDR_EXISTS",
    "HDR_DOES_NOT_EXIST",
    "HDR_BEGINS_WITH",
    "HDR_DOES_NOT_BEGIN_WITH",
    "HDR_CONTAINS",
    "HDR_DOES_NOT_CONTAIN",
    "HDR_ENDS_WITH",
    "HDR_DOES_NOT_END_WITH",
    "HDR_EQUALS",
    "HDR_DOES_NOT_EQUAL",
];
/// Host header criteria that take no value.
const HOST_HDR_PRESENCE: &[&str] = &["HDR_EXISTS", "HDR_DOES_NOT_EXIST"];
const PATH_CRITERIA: &[&str] = &[
    "BEGINS_WITH",
    "DOES_NOT_BEGIN_WITH",
    "CONTAINS",
    "DOES_NOT_CONTAIN",
    "ENDS_WITH",
    "DOES_NOT_END_WITH",
    "EQUALS",
    "DOES_NOT_EQUAL",
    "REGEX_MATCH",
    "REGEX_DOES_NOT_MATCH",
];
const PORT_CRITERIA: &[&str] = &["IS_IN", "IS_NOT_IN"];
const MATCH_CASE: &[&str] = &["SENSITIVE", "INSENSITIVE"];
/// The match targets avisim models; Avi has more (headers, cookies, methods, ...).
const MATCH_TARGETS: &[&str] = &["host_hdr", "vs_port", "path"];
const SWITCHING_ACTIONS: &[&str] = &[
    "HTTP_SWITCHING_SELECT_POOL",
    "HTTP_SWITCHING_SELECT_LOCAL",
    "HTTP_SWITCHING_SELECT_POOLGROUP",
];
const LOCAL_RESPONSE_CODES: &[&str] = &[
    "HTTP_LOCAL_RESPONSE_STATUS_CODE_200",
    "HTTP_LOCAL_RESPONSE_STATUS_CODE_204",
    "HTTP_LOCAL_RESPONSE_STATUS_CODE_403",
    "HTTP_LOCAL_RESPONSE_STATUS_CODE_404",
    "HTTP_LOCAL_RESPONSE_STATUS_CODE_429",
    "HTTP_LOCAL_RESPONSE_STATUS_CODE_501",
];
const REDIRECT_PROTOCOLS: &[&str] = &["HTTP", "HTTPS"];
const REDIRECT_CODES: &[&str] = &[
    "HTTP_REDIRECT_STATUS_CODE_301",
    "HTTP_REDIRECT_STATUS_CODE_302",
    "HTTP_REDIRECT_STATUS_CODE_307",
];

pub(super) fn validate(m: &Map<String, Value>) -> Result<(), ApiError> {
    let Some(policy) = m.get("http_request_policy") else {
        return Ok(());
    };
    let rules = match object(policy, "http_request_policy")?.get("rules") {
        None => return Ok(()),
        Some(Value::Array(r)) => r,
        Some(_) => return Err(bad("http_request_policy.rules: must be a list")),
    };
    let mut names = HashSet::new();
    let mut indexes = HashSet::new();
    for (i, rule) in rules.iter().enumerate() {
        let at = |f: &str| format!("http_request_policy.rules[{i}].{f}");
        let name = match rule.get("name") {
            Some(Value::String(n)) if !n.is_empty() => n,
            _ => return Err(bad(format!("{}: This field is required.", at("name")))),
        };
        if !names.insert(name) {
            return Err(bad(format!("{}: duplicate rule name \"{name}\"", at("name"))));
        }
        unique_index(rule, &at("index"), &mut indexes)?;
        if rule.get("enable").is_some_and(|e| !e.is_boolean()) {
            return Err(bad(format!("{}: must be true or false", at("enable"))));
        }
        if let Some(target) = rule.get("match") {
            match_target(target, &at("match"))?;
        }
        match (rule.get("switching_action"), rule.get("redirect_action")) {
            (Some(s), None) => switching(s, &at("switching_action"))?,
            (None, Some(r)) => redirect(r, &at("redirect_action"))?,
            (Some(_), Some(_)) => {
                return Err(bad(format!(
                    "http_request_policy.rules[{i}]: a rule has either a switching_action or a redirect_action, not both"
                )));
            }
            (None, None) => {
                return Err(bad(format!(
                    "http_request_policy.rules[{i}]: a switching_action or a redirect_action is required"
                )));
            }
        }
    }
    Ok(())
}

fn object<'a>(v: &'a Value, at: &str) -> Result<&'a Map<String, Value>, ApiError> {
    v.as_object()
        .ok_or_else(|| bad(format!("{at}: must be an object")))
}

fn strings<'a>(v: Option<&'a Value>, at: &str) -> Result<Vec<&'a str>, ApiError> {
    let items = match v {
        None => return Ok(vec![]),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(bad(format!("{at}: must be a list"))),
    };
    items
        .iter()
        .map(|s| {
            s.as_str()
                .ok_or_else(|| bad(format!("{at}: must be a list of strings")))
        })
        .collect()
}

fn match_target(v: &Value, at: &str) -> Result<(), ApiError> {
    let target = object(v, at)?;
    if let Some(other) = target.keys().find(|k| !MATCH_TARGETS.contains(&k.as_str())) {
        return Err(bad(format!(
            "{at}.{other}: avisim models only the match targets {MATCH_TARGETS:?}"
        )));
    }
    if let Some(host) = target.get("host_hdr") {
        let at = format!("{at}.host_hdr");
        let host = object(host, &at)?;
        let criteria = one_of(
            host.get("match_criteria"),
            HOST_HDR_CRITERIA,
            &format!("{at}.match_criteria"),
        )?;
        if let Some(case) = host.get("match_case") {
            one_of(Some(case), MATCH_CASE, &format!("{at}.match_case"))?;
        }
        let values = strings(host.get("value"), &format!("{at}.value"))?;
        if values.is_empty() && !HOST_HDR_PRESENCE.contains(&criteria) {
            return Err(bad(format!(
                "{at}.value: at least one value is required with {criteria}"
            )));
        }
    }
    if let Some(port) = target.get("vs_port") {
        let at = format!("{at}.vs_port");
        let port = object(port, &at)?;
        one_of(
            port.get("match_criteria"),
            PORT_CRITERIA,
            &format!("{at}.match_criteria"),
        )?;
        let ok = port
            .get("ports")
            .and_then(Value::as_array)
            .is_some_and(|p| !p.is_empty() && p.iter().all(|x| as_port(Some(x)).is_some()));
        if !ok {
            return Err(bad(format!(
                "{at}.ports: a non-empty list of ports 1..65535 is required"
            )));
        }
    }
    if let Some(path) = target.get("path") {
        let at = format!("{at}.path");
        let path = object(path, &at)?;
        one_of(
            path.get("match_criteria"),
            PATH_CRITERIA,
            &format!("{at}.match_criteria"),
        )?;
        if let Some(case) = path.get("match_case") {
            one_of(Some(case), MATCH_CASE, &format!("{at}.match_case"))?;
        }
        let strs = strings(path.get("match_str"), &format!("{at}.match_str"))?;
        let groups = path
            .get("string_group_refs")
            .and_then(Value::as_array)
            .is_some_and(|g| !g.is_empty());
        if strs.is_empty() && !groups {
            return Err(bad(format!(
                "{at}.match_str: at least one string (or a string_group_refs entry) is required"
            )));
        }
    }
    Ok(())
}

fn switching(v: &Value, at: &str) -> Result<(), ApiError> {
    let action = object(v, at)?;
    let kind = one_of(action.get("action"), SWITCHING_ACTIONS, &format!("{at}.action"))?;
    let needs = match kind {
        "HTTP_SWITCHING_SELECT_POOLGROUP" => "pool_group_ref",
        "HTTP_SWITCHING_SELECT_POOL" => "pool_ref",
        _ => {
            one_of(
                action.get("status_code"),
                LOCAL_RESPONSE_CODES,
                &format!("{at}.status_code"),
            )?;
            return Ok(());
        }
    };
    if action.get(needs).and_then(Value::as_str).is_none() {
        return Err(bad(format!("{at}.{needs}: required with {kind}")));
    }
    Ok(())
}

fn redirect(v: &Value, at: &str) -> Result<(), ApiError> {
    let action = object(v, at)?;
    one_of(
        action.get("protocol"),
        REDIRECT_PROTOCOLS,
        &format!("{at}.protocol"),
    )?;
    if let Some(port) = action.get("port")
        && as_port(Some(port)).is_none()
    {
        return Err(bad(format!("{at}.port: must be 1..65535")));
    }
    if let Some(code) = action.get("status_code") {
        one_of(Some(code), REDIRECT_CODES, &format!("{at}.status_code"))?;
    }
    if action.get("keep_query").is_some_and(|k| !k.is_boolean()) {
        return Err(bad(format!("{at}.keep_query: must be true or false")));
    }
    Ok(())
}
