//! Does an Avi object need a write? Compares a desired object with the same fields of the
//! cached one ([`Actual`]), as JSON: server defaults (fields avigw never sends), bookkeeping
//! (`uuid`, `url`, `_last_modified`) and the spelling of refs (`/api/x?name=N` vs
//! `https://h/api/x/uuid#N`) must not cause a write. [`differences`] names the fields that
//! differ (for logs, and for a field-level diff to show).

use avigw_shared::avi::{AviObjectRef, kind, parse_ref};
use serde_json::{Map, Value};

use super::actual::Actual;

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

/// The fields (JSON paths) where the cached object falls short of `desired`; empty when it
/// needs no write. An unreadable cached object always needs one.
pub fn object_differences(desired: AviObjectRef<'_>, actual: &Actual) -> Vec<String> {
    if matches!(actual, Actual::Unreadable(_)) {
        return vec![String::new()];
    }
    match (serde_json::to_value(desired), serde_json::to_value(actual)) {
        (Ok(d), Ok(a)) => differences(desired.kind(), &d, &a),
        _ => vec![String::new()],
    }
}

/// True when `actual` already has everything `desired` says.
#[cfg(test)]
pub fn in_sync(kind: &str, desired: &Value, actual: &Value) -> bool {
    differences(kind, desired, actual).is_empty()
}

/// The JSON paths where `actual` falls short of `desired` (`""`: not both objects).
pub fn differences(kind: &str, desired: &Value, actual: &Value) -> Vec<String> {
    let (Some(d), Some(a)) = (desired.as_object(), actual.as_object()) else {
        return vec![String::new()];
    };
    let mut out = Vec::new();
    for f in owned_optional_fields(kind) {
        if !d.contains_key(*f) && a.get(*f).is_some_and(non_empty) {
            out.push((*f).to_owned());
        }
    }
    // Avi never returns a private key: a certificate is compared on the rest.
    let skip: &[&str] = if kind == kind::SSLKEYANDCERTIFICATE {
        &["key"]
    } else {
        &[]
    };
    covers_map(d, a, "", skip, &mut out);
    out
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

fn covers_map(
    d: &Map<String, Value>,
    a: &Map<String, Value>,
    path: &str,
    skip: &[&str],
    out: &mut Vec<String>,
) {
    for (k, dv) in d {
        if BOOKKEEPING.contains(&k.as_str()) || skip.contains(&k.as_str()) {
            continue;
        }
        let here = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        match a.get(k) {
            Some(av) => covers(k, dv, av, &here, out),
            // An empty list or `false` sent equals one the controller leaves out.
            None if !non_empty(dv) => {}
            None => out.push(here),
        }
    }
}

fn covers(field: &str, d: &Value, a: &Value, path: &str, out: &mut Vec<String>) {
    let is_ref = field.ends_with("_ref") || field.ends_with("_refs");
    let same = match (d, a) {
        (Value::Object(dm), Value::Object(am)) => return covers_map(dm, am, path, &[], out),
        (Value::Array(da), Value::Array(aa)) if da.len() == aa.len() => {
            for (i, (x, y)) in da.iter().zip(aa).enumerate() {
                covers(field, x, y, &format!("{path}[{i}]"), out);
            }
            return;
        }
        (Value::String(ds), Value::String(as_)) if is_ref => same_ref(ds, as_),
        (Value::Number(dn), Value::Number(an)) => dn.as_f64() == an.as_f64(),
        _ => d == a,
    };
    if !same {
        out.push(path.to_owned());
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

    mod typed {
        use super::super::*;
        use avigw_shared::avi::{AviObjects, VsVip};
        use serde_json::json;
        use std::collections::BTreeSet;

        /// Desired objects of every kind: an L4 Gateway's, and the worked Ingress example's.
        fn goldens() -> Vec<AviObjects> {
            let l4: Value = serde_json::from_str(include_str!(
                "../../../shared/tests/golden/000-gateway-two-tcp-listeners.json"
            ))
            .unwrap();
            let l7: Value = serde_json::from_str(include_str!(
                "../../../shared/tests/golden/l7-worked-example.json"
            ))
            .unwrap();
            let mut out = Vec::new();
            for plan in [&l4, &l7["plans"]]
                .into_iter()
                .flat_map(|p| p.as_object().unwrap().values())
            {
                let mut avi = plan["avi"].clone();
                // Goldens show keys redacted; a real desired certificate carries its key.
                for c in avi
                    .get_mut("sslkeyandcertificates")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    c["key"] = json!("-----BEGIN PRIVATE KEY-----");
                }
                out.push(serde_json::from_value(avi).unwrap());
            }
            out
        }

        /// Rewrites refs the way the controller answers them (`https://h/api/k/uuid#name`).
        fn as_answered(v: &mut Value, field: &str) {
            match v {
                Value::Object(m) => m.iter_mut().for_each(|(k, x)| as_answered(x, k)),
                Value::Array(a) => a.iter_mut().for_each(|x| as_answered(x, field)),
                Value::String(s) if field.ends_with("_ref") || field.ends_with("_refs") => {
                    let t = parse_ref(s).unwrap();
                    *s = format!(
                        "https://10.10.10.10/api/{}/{}-uuid#{}",
                        t.kind,
                        t.kind,
                        t.name.unwrap()
                    );
                }
                _ => {}
            }
        }

        /// What the controller answers to a list for `desired`: every field, refs with
        /// origin, uuid and bookkeeping, server defaults, the key as a placeholder.
        fn answer(o: AviObjectRef<'_>) -> Value {
            let mut v = serde_json::to_value(o).unwrap();
            as_answered(&mut v, "");
            let m = v.as_object_mut().unwrap();
            m.insert("uuid".into(), json!(format!("{}-1", o.kind())));
            m.insert(
                "url".into(),
                json!(format!("https://10.10.10.10/api/{}/{}-1", o.kind(), o.kind())),
            );
            m.insert("_last_modified".into(), json!("1700000000000000"));
            m.insert(
                "server_default_setting".into(),
                json!({"enabled": true, "limit": 20}),
            );
            if m.contains_key("key") {
                m.insert("key".into(), json!("<sensitive>"));
            }
            v
        }

        fn cached(o: AviObjectRef<'_>, v: Value) -> Actual {
            let a = Actual::from_answer(o.kind(), v).unwrap();
            assert!(
                !matches!(a, Actual::Unreadable(_)),
                "{} reads as its kind",
                o.name()
            );
            a
        }

        #[test]
        fn every_kind_is_in_sync_with_its_own_answer() {
            let mut kinds = BTreeSet::new();
            for objs in goldens() {
                for o in objs.create_order() {
                    kinds.insert(o.kind());
                    let a = cached(o, answer(o));
                    assert_eq!(
                        object_differences(o, &a),
                        Vec::<String>::new(),
                        "{} {}",
                        o.kind(),
                        o.name()
                    );
                }
            }
            assert_eq!(kinds.len(), 8, "all eight kinds: {kinds:?}");
        }

        #[test]
        fn every_field_avigw_sets_is_compared() {
            for objs in goldens() {
                for o in objs.create_order() {
                    let full = answer(o);
                    for (field, value) in full.as_object().unwrap() {
                        let sent = serde_json::to_value(o).unwrap();
                        let Some(d) = sent.get(field) else { continue };
                        if ["name", "key", "uuid"].contains(&field.as_str()) || !non_empty(d) {
                            continue;
                        }
                        // The field lost on Avi's side.
                        let mut gone = full.clone();
                        gone.as_object_mut().unwrap().remove(field);
                        let diff = object_differences(o, &cached(o, gone));
                        assert!(
                            diff.iter().any(|p| p.starts_with(field.as_str())),
                            "{} {field}: {diff:?}",
                            o.kind()
                        );
                        // The field changed on Avi's side.
                        let mut changed = full.clone();
                        changed[field] = changed_value(value);
                        let Ok(a) = Actual::from_answer(o.kind(), changed) else {
                            continue;
                        };
                        assert!(
                            !object_differences(o, &a).is_empty(),
                            "{} {field} changed",
                            o.kind()
                        );
                    }
                }
            }
        }

        /// A value of the same shape that differs: lists lose their last element, strings
        /// and numbers change, booleans flip, objects change their first member.
        fn changed_value(v: &Value) -> Value {
            match v {
                Value::Array(a) => Value::Array(a[..a.len() - 1].to_vec()),
                Value::String(s) if s.contains("/api/") => Value::from(s.replace('#', "#other-")),
                Value::String(s) => Value::from(format!("{s}-other")),
                Value::Number(n) => json!(n.as_f64().unwrap_or(0.0) + 1.0),
                Value::Bool(b) => Value::Bool(!b),
                Value::Object(m) => {
                    let mut m = m.clone();
                    if let Some((_, x)) = m.iter_mut().next() {
                        *x = changed_value(x);
                    }
                    Value::Object(m)
                }
                Value::Null => json!(1),
            }
        }

        #[test]
        fn a_certificate_is_compared_on_its_text_only() {
            let objs = goldens().pop().unwrap();
            let c = &objs.sslkeyandcertificates[0];
            let o = AviObjectRef::SslKeyAndCertificate(c);
            // A read: `<sensitive>` for the key, parsed fields added to the certificate.
            let mut read = answer(o);
            read["certificate"]["subject"] = json!({"common_name": "noo.com"});
            let a = cached(o, read.clone());
            let Actual::SslKeyAndCertificate(kept) = &a else {
                panic!()
            };
            assert!(kept.key.is_none(), "no key kept");
            assert_eq!(object_differences(o, &a), Vec::<String>::new());
            // Another certificate text.
            read["certificate"]["certificate"] = json!("-----BEGIN CERTIFICATE-----\nOTHER");
            assert_eq!(
                object_differences(o, &cached(o, read)),
                ["certificate.certificate"]
            );
            // A create answer leaves the text out: not in sync until the sent text is kept.
            let mut created = answer(o);
            created.as_object_mut().unwrap().remove("certificate");
            created.as_object_mut().unwrap().remove("key");
            assert_eq!(
                object_differences(o, &cached(o, created)),
                ["certificate.certificate"]
            );
        }

        #[test]
        fn a_vsvip_keeps_its_address_and_an_allocated_one_is_no_change() {
            let objs = goldens().remove(0);
            let d: &VsVip = objs.vsvip.as_ref().unwrap();
            assert!(d.address().is_none(), "the golden asks for an allocation");
            let o = AviObjectRef::VsVip(d);
            let mut read = answer(o);
            read["vip"][0]["ip_address"] = json!({"addr": "10.50.0.7", "type": "V4"});
            let a = cached(o, read);
            assert_eq!(a.address(), Some("10.50.0.7"));
            assert_eq!(object_differences(o, &a), Vec::<String>::new());
            // A preferred address that Avi does not hold is a change.
            let mut preferred = d.clone();
            preferred.vip[0].ip_address = Some(avigw_shared::avi::IpAddrObj {
                addr: "10.50.0.9".into(),
                type_: avigw_shared::avi::IpType::V4,
            });
            assert_eq!(
                object_differences(AviObjectRef::VsVip(&preferred), &a),
                ["vip[0].ip_address.addr"]
            );
        }

        #[test]
        fn owned_optional_fields_left_out_must_be_cleared() {
            let objs = goldens().remove(0);
            let vs = objs.virtualservice.as_ref().unwrap();
            let mut without = vs.clone();
            without.l4_policies.clear();
            let a = cached(
                AviObjectRef::VirtualService(vs),
                answer(AviObjectRef::VirtualService(vs)),
            );
            assert_eq!(
                object_differences(AviObjectRef::VirtualService(&without), &a),
                ["l4_policies"]
            );
        }

        #[test]
        fn an_unreadable_object_is_never_in_sync() {
            let objs = goldens().remove(0);
            let p = &objs.pools[0];
            let mut v = answer(AviObjectRef::Pool(p));
            v["servers"] = json!("not a list");
            let a = Actual::from_answer(kind::POOL, v).unwrap();
            assert!(matches!(a, Actual::Unreadable(_)));
            assert_eq!((a.name(), a.uuid()), (p.name.as_str(), Some("pool-1")));
            assert!(!object_differences(AviObjectRef::Pool(p), &a).is_empty());
        }
    }
}
