//! Does an Avi object need a write? Compares the desired JSON with the same fields of the
//! object Avi holds: server defaults (fields avigw never sends), bookkeeping (`uuid`, `url`,
//! `_last_modified`) and the spelling of refs (`/api/x?name=N` vs `https://h/api/x/uuid#N`)
//! must not cause a write.

use avigw_shared::avi::{kind, parse_ref};
use serde_json::{Map, Value};

const BOOKKEEPING: [&str; 3] = ["uuid", "url", "_last_modified"];

/// Top-level fields avigw owns per object type: when desired leaves one out but Avi holds a
/// non-empty value, the object is stale (e.g. `l4_policies` removed when the last pool goes).
fn owned_optional_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        kind::VIRTUALSERVICE => &[
            "l4_policies",
            "enable_rhi",
            "se_group_ref",
            "vrf_context_ref",
            "http_policies",
            "vs_datascripts",
            "ssl_key_and_certificate_refs",
        ],
        kind::VSVIP => &["dns_info", "bgp_peer_labels"],
        kind::POOL => &["placement_networks"],
        _ => &[],
    }
}

/// True when `actual` already has everything `desired` says.
pub fn in_sync(kind: &str, desired: &Value, actual: &Value) -> bool {
    let (Some(d), Some(a)) = (desired.as_object(), actual.as_object()) else {
        return false;
    };
    // Avi never returns a private key: a certificate is compared on the rest.
    let never_read: &[&str] = if kind == kind::SSLKEYANDCERTIFICATE {
        &["key"]
    } else {
        &[]
    };
    for f in owned_optional_fields(kind) {
        if !d.contains_key(*f) && a.get(*f).is_some_and(non_empty) {
            return false;
        }
    }
    if never_read.is_empty() {
        return covers_map(d, a, "");
    }
    let mut d = d.clone();
    for f in never_read {
        d.remove(*f);
    }
    covers_map(&d, a, "")
}

fn non_empty(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => false,
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

fn covers_map(d: &Map<String, Value>, a: &Map<String, Value>, _path: &str) -> bool {
    d.iter().all(|(k, dv)| {
        if BOOKKEEPING.contains(&k.as_str()) {
            return true;
        }
        match a.get(k) {
            Some(av) => covers(k, dv, av),
            // An empty list or `false` sent equals one the controller leaves out.
            None => !non_empty(dv),
        }
    })
}

fn covers(field: &str, d: &Value, a: &Value) -> bool {
    let is_ref = field.ends_with("_ref") || field.ends_with("_refs");
    match (d, a) {
        (Value::Object(dm), Value::Object(am)) => covers_map(dm, am, field),
        (Value::Array(da), Value::Array(aa)) => {
            da.len() == aa.len() && da.iter().zip(aa).all(|(x, y)| covers(field, x, y))
        }
        (Value::String(ds), Value::String(as_)) if is_ref => same_ref(ds, as_),
        (Value::Number(dn), Value::Number(an)) => dn.as_f64() == an.as_f64(),
        _ => d == a,
    }
}

/// Refs name the same object: by name when the desired ref has one, else by UUID.
pub fn same_ref(desired: &str, actual: &str) -> bool {
    if desired == actual {
        return true;
    }
    match (parse_ref(desired), parse_ref(actual)) {
        (Some(d), Some(a)) => {
            d.kind == a.kind
                && match (&d.name, &d.uuid) {
                    (Some(n), _) => a.name.as_ref() == Some(n),
                    (None, Some(u)) => a.uuid.as_ref() == Some(u),
                    (None, None) => false,
                }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refs_and_defaults_do_not_diff() {
        let d = json!({"name": "p", "health_monitor_refs": ["/api/healthmonitor?name=System-TCP"],
            "servers": [{"ip": {"addr": "10.0.0.1", "type": "V4"}, "port": 80}]});
        let a = json!({"name": "p", "uuid": "pool-1", "lb_algorithm": "LB_ALGORITHM_LEAST_CONNECTIONS",
            "health_monitor_refs": ["https://h/api/healthmonitor/hm-1#System-TCP"],
            "servers": [{"ip": {"addr": "10.0.0.1", "type": "V4"}, "port": 80, "ratio": 1}]});
        assert!(in_sync(kind::POOL, &d, &a));
        let d2 = json!({"name": "p", "servers": [{"ip": {"addr": "10.0.0.2", "type": "V4"}, "port": 80}]});
        assert!(!in_sync(kind::POOL, &d2, &a));
    }

    #[test]
    fn a_certificate_is_compared_without_its_key() {
        let d = json!({"name": "c--noo.com", "certificate": {"certificate": "PEM-A"}, "key": "KEY"});
        let read = json!({"name": "c--noo.com", "uuid": "c-1", "key": "<sensitive>",
            "certificate": {"certificate": "PEM-A", "subject": {"common_name": "noo.com"}}});
        assert!(in_sync(kind::SSLKEYANDCERTIFICATE, &d, &read));
        let created = json!({"name": "c--noo.com", "uuid": "c-1", "certificate": {"certificate": "PEM-A"}});
        assert!(in_sync(kind::SSLKEYANDCERTIFICATE, &d, &created));
        let other =
            json!({"name": "c--noo.com", "certificate": {"certificate": "PEM-B"}, "key": "<sensitive>"});
        assert!(!in_sync(kind::SSLKEYANDCERTIFICATE, &d, &other));
    }

    #[test]
    fn a_detached_http_policy_set_diffs() {
        let d = json!({"name": "c--Shared-L7-0", "vs_datascripts": [{"index": 0, "vs_datascript_set_ref": "/api/vsdatascriptset?name=c--Shared-L7-0"}]});
        let a = json!({"name": "c--Shared-L7-0",
            "vs_datascripts": [{"index": 0, "vs_datascript_set_ref": "https://h/api/vsdatascriptset/ds-1#c--Shared-L7-0"}],
            "http_policies": [{"index": 11, "http_policy_set_ref": "https://h/api/httppolicyset/h-1#c--Shared-L7-0"}]});
        assert!(!in_sync(kind::VIRTUALSERVICE, &d, &a));
    }

    #[test]
    fn dropped_owned_field_diffs() {
        let d = json!({"name": "vs"});
        let a = json!({"name": "vs", "l4_policies": [{"index": 0}]});
        assert!(!in_sync(kind::VIRTUALSERVICE, &d, &a));
        assert!(in_sync(
            kind::VIRTUALSERVICE,
            &d,
            &json!({"name": "vs", "l4_policies": []})
        ));
    }
}
