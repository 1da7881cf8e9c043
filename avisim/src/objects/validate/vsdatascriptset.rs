//! VSDataScriptSet: `datascript[{evt, script}]`, and every pool group a script selects by name
//! (`avi.poolgroup.select("<name>", ...)`) listed in `pool_group_refs`. Scripts are read for
//! those references only, never run.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{array, one_of};
use crate::error::ApiError;
use crate::objects::bad;
use crate::refs;
use crate::store::Store;

/// The `evt` enum of the Avi object schema (`VS_DATASCRIPT_EVT_MAX` is a sentinel, not a value).
const EVENTS: &[&str] = &[
    "VS_DATASCRIPT_EVT_HTTP_REQ",
    "VS_DATASCRIPT_EVT_HTTP_RESP",
    "VS_DATASCRIPT_EVT_HTTP_RESP_DATA",
    "VS_DATASCRIPT_EVT_HTTP_LB_FAILED",
    "VS_DATASCRIPT_EVT_HTTP_REQ_DATA",
    "VS_DATASCRIPT_EVT_HTTP_RESP_FAILED",
    "VS_DATASCRIPT_EVT_HTTP_LB_DONE",
    "VS_DATASCRIPT_EVT_HTTP_AUTH",
    "VS_DATASCRIPT_EVT_HTTP_POST_AUTH",
    "VS_DATASCRIPT_EVT_TCP_CLIENT_ACCEPT",
    "VS_DATASCRIPT_EVT_SSL_HANDSHAKE_DONE",
    "VS_DATASCRIPT_EVT_CLIENT_SSL_PRE_CONNECT",
    "VS_DATASCRIPT_EVT_CLIENT_SSL_CLIENT_HELLO",
    "VS_DATASCRIPT_EVT_DNS_REQ",
    "VS_DATASCRIPT_EVT_DNS_RESP",
    "VS_DATASCRIPT_EVT_L4_REQUEST",
    "VS_DATASCRIPT_EVT_L4_RESPONSE",
];

const SELECT_POOL_GROUP: &str = "avi.poolgroup.select(";

pub(super) fn validate(store: &Store, m: &Map<String, Value>) -> Result<(), ApiError> {
    let referenced: HashSet<&str> = array(m, "pool_group_refs")?
        .iter()
        .filter_map(Value::as_str)
        .filter_map(refs::split_canonical)
        .filter_map(|(_, uuid)| store.get(uuid))
        .map(|pg| pg.name.as_str())
        .collect();
    for (i, ds) in array(m, "datascript")?.iter().enumerate() {
        let at = |f: &str| format!("datascript[{i}].{f}");
        one_of(ds.get("evt"), EVENTS, &at("evt"))?;
        let script = match ds.get("script") {
            Some(Value::String(s)) => s,
            Some(_) => return Err(bad(format!("{}: must be a string", at("script")))),
            None => return Err(bad(format!("{}: This field is required.", at("script")))),
        };
        if let Some(name) = selected_pool_groups(script)
            .into_iter()
            .find(|n| !referenced.contains(n.as_str()))
        {
            return Err(bad(format!(
                "{}: avi.poolgroup.select names pool group \"{name}\", which is not in pool_group_refs",
                at("script")
            )));
        }
    }
    Ok(())
}

/// The pool group names passed as a string literal first argument to `avi.poolgroup.select`.
/// Non-literal arguments (variables) cannot be resolved without running the script and are
/// skipped.
fn selected_pool_groups(script: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = script;
    while let Some(at) = rest.find(SELECT_POOL_GROUP) {
        rest = &rest[at + SELECT_POOL_GROUP.len()..];
        let arg = rest.trim_start();
        let Some(quote) = arg.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let mut name = String::new();
        let mut chars = arg[1..].chars();
        let mut closed = false;
        while let Some(c) = chars.next() {
            match c {
                '\\' => name.extend(chars.next()),
                c if c == quote => {
                    closed = true;
                    break;
                }
                c => name.push(c),
            }
        }
        if closed {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::selected_pool_groups;

    #[test]
    fn finds_literal_pool_group_names() {
        // AKO's shard script.
        let ako = "host = avi.http.get_host_tokens(1)\npath = avi.http.get_path_tokens(1)\n\
                   if host and path then\nlbl = host..\"/\"..path\nelse\nlbl = host..\"/\"\nend\n\
                   avi.poolgroup.select(\"cluster--Shared-L7-0\", string.lower(lbl) )";
        assert_eq!(selected_pool_groups(ako), ["cluster--Shared-L7-0"]);
        assert_eq!(
            selected_pool_groups("avi.poolgroup.select( 'a' )\navi.poolgroup.select(\"b\\\"c\", x)"),
            ["a", "b\"c"]
        );
        // A variable or an unterminated literal names nothing checkable.
        assert!(selected_pool_groups("avi.poolgroup.select(pg_name)").is_empty());
        assert!(selected_pool_groups("avi.poolgroup.select(\"open").is_empty());
        assert!(selected_pool_groups("avi.pool.select(\"p\")").is_empty());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = selected_pool_groups(&s);
            let _ = selected_pool_groups(&format!("avi.poolgroup.select({s}"));
        }

        #[test]
        fn literal_names_round_trip(name in "[a-zA-Z0-9_.-]{1,60}") {
            let script = format!("x = 1\navi.poolgroup.select(\"{name}\", lbl)");
            prop_assert_eq!(selected_pool_groups(&script), vec![name]);
        }
    }
}
