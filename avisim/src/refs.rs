//! Object references: parsing what clients send (`/api/x?name=n`, `/api/x/<uuid>`, absolute
//! URLs with `#name`, doubled slashes, trailing slashes), the canonical stored form
//! (`/api/x/<uuid>`), and rendering back to absolute URLs.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefKey {
    Uuid(String),
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRef {
    pub kind: String,
    pub key: RefKey,
    /// The `#name` fragment, informational only (the uuid decides).
    pub name_hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid reference {0:?}")]
pub struct RefError(pub String);

/// Collapses runs of `/` and drops a trailing `/` (the controller treats `//api/pool/` as
/// `/api/pool`).
pub fn normalize_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.push_str(seg);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn strip_origin(s: &str) -> &str {
    for scheme in ["https://", "http://"] {
        if let Some(rest) = s.strip_prefix(scheme) {
            return rest.find('/').map_or("", |i| &rest[i..]);
        }
    }
    s
}

pub fn parse_ref(raw: &str) -> Result<ParsedRef, RefError> {
    let err = || RefError(raw.to_string());
    let s = raw.trim();
    let (s, fragment) = match s.split_once('#') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let s = strip_origin(s);
    let (path, query) = match s.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (s, None),
    };
    let path = normalize_path(path);
    let mut segs = path.split('/').skip(1);
    if segs.next() != Some("api") {
        return Err(err());
    }
    let kind = segs.next().filter(|k| valid_ident(k)).ok_or_else(err)?;
    let uuid = segs.next();
    if segs.next().is_some() {
        return Err(err());
    }
    let name_hint = fragment.filter(|f| !f.is_empty()).map(percent_decode);
    let key = match (uuid, query) {
        (Some(u), _) if valid_uuid(u) => RefKey::Uuid(u.to_string()),
        (Some(_), _) => return Err(err()),
        (None, Some(q)) => {
            let name = form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "name")
                .map(|(_, v)| v.into_owned())
                .filter(|n| !n.is_empty())
                .ok_or_else(err)?;
            RefKey::Name(name)
        }
        (None, None) => return Err(err()),
    };
    Ok(ParsedRef {
        kind: kind.to_string(),
        key,
        name_hint,
    })
}

fn valid_ident(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn valid_uuid(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// The stored form of a reference.
pub fn canonical(kind: &str, uuid: &str) -> String {
    format!("/api/{kind}/{uuid}")
}

/// Splits a canonical ref back into (kind, uuid).
pub fn split_canonical(c: &str) -> Option<(&str, &str)> {
    let rest = c.strip_prefix("/api/")?;
    rest.split_once('/')
}

/// Absolute URL of a canonical ref, `#name` appended when given.
pub fn render(base: &str, canonical: &str, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("{base}{canonical}#{n}"),
        None => format!("{base}{canonical}"),
    }
}

/// True for keys that hold one reference (`pool_ref`) or a list of them (`health_monitor_refs`).
pub fn is_ref_key(key: &str) -> bool {
    key.ends_with("_ref") || key.ends_with("_refs")
}

/// Visits every reference string in a JSON tree, depth first.
pub fn for_each_ref<'a>(v: &'a Value, f: &mut impl FnMut(&'a str)) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if is_ref_key(k) {
                    match child {
                        Value::String(s) => f(s),
                        Value::Array(items) => {
                            for it in items {
                                if let Value::String(s) = it {
                                    f(s);
                                }
                            }
                        }
                        other => for_each_ref(other, f),
                    }
                } else {
                    for_each_ref(child, f);
                }
            }
        }
        Value::Array(items) => {
            for it in items {
                for_each_ref(it, f);
            }
        }
        _ => {}
    }
}

/// Rewrites every reference string in a JSON tree; stops at the first error. `null` and other
/// non-string values under a ref key are left for the caller's validation.
pub fn try_map_refs<E>(v: &mut Value, f: &mut impl FnMut(&str, &str) -> Result<String, E>) -> Result<(), E> {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if is_ref_key(k) {
                    match child {
                        Value::String(s) => *s = f(k, s)?,
                        Value::Array(items) => {
                            for it in items.iter_mut() {
                                if let Value::String(s) = it {
                                    *s = f(k, s)?;
                                }
                            }
                        }
                        other => try_map_refs(other, f)?,
                    }
                } else {
                    try_map_refs(child, f)?;
                }
            }
        }
        Value::Array(items) => {
            for it in items.iter_mut() {
                try_map_refs(it, f)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepted_forms() {
        let by_uuid = ParsedRef {
            kind: "pool".into(),
            key: RefKey::Uuid("pool-1".into()),
            name_hint: None,
        };
        assert_eq!(parse_ref("/api/pool/pool-1").unwrap(), by_uuid);
        assert_eq!(parse_ref("//api/pool/pool-1/").unwrap(), by_uuid);
        assert_eq!(parse_ref("https://ctl:9443/api/pool/pool-1").unwrap(), by_uuid);
        let with_name = parse_ref("https://avi-controller/api/pool/pool-1#basic_vs-pool").unwrap();
        assert_eq!(with_name.name_hint.as_deref(), Some("basic_vs-pool"));
        assert_eq!(
            parse_ref("/api/cloud?name=Default-Cloud").unwrap().key,
            RefKey::Name("Default-Cloud".into())
        );
        assert_eq!(
            parse_ref("/api/pool/?name=a%20b&cloud=x").unwrap().key,
            RefKey::Name("a b".into())
        );
    }

    #[test]
    fn rejected_forms() {
        for bad in [
            "",
            "pool-1",
            "/api/pool",
            "/api/pool?name=",
            "/api/Pool/pool-1",
            "/apx/pool/pool-1",
            "/api/pool/a/b",
            "https://host",
        ] {
            assert!(parse_ref(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize_path("//api//pool/"), "/api/pool");
        assert_eq!(normalize_path("/"), "/");
        assert_eq!(normalize_path(""), "/");
    }

    #[test]
    fn walks_nested_refs() {
        let mut v = serde_json::json!({
            "pool_ref": "/api/pool?name=a",
            "health_monitor_refs": ["/api/healthmonitor?name=b"],
            "l4_connection_policy": {"rules": [{"action": {"select_pool": {"pool_ref": "/api/pool?name=c"}}}]},
            "url": "not-a-ref"
        });
        let mut seen = vec![];
        for_each_ref(&v, &mut |s| seen.push(s.to_string()));
        assert_eq!(seen.len(), 3);
        try_map_refs::<()>(&mut v, &mut |_, s| Ok(s.to_uppercase())).unwrap();
        assert_eq!(v["pool_ref"], "/API/POOL?NAME=A");
        assert_eq!(v["url"], "not-a-ref");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = parse_ref(&s);
        }

        #[test]
        fn rendered_refs_round_trip(
            kind in "[a-z]{1,20}",
            uuid in "[a-z]{1,10}-[0-9a-f-]{1,36}",
            name in "[a-zA-Z0-9_.-]{1,40}",
            host in "[a-z]{1,10}(:[0-9]{1,5})?",
            with_name in any::<bool>(),
        ) {
            let base = format!("https://{host}");
            let c = canonical(&kind, &uuid);
            let url = render(&base, &c, with_name.then_some(name.as_str()));
            let p = parse_ref(&url).unwrap();
            prop_assert_eq!(&p.kind, &kind);
            prop_assert_eq!(p.key, RefKey::Uuid(uuid.clone()));
            prop_assert_eq!(split_canonical(&c), Some((kind.as_str(), uuid.as_str())));
        }

        #[test]
        fn name_refs_round_trip(kind in "[a-z]{1,20}", name in "\\PC{1,40}") {
            let enc: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
            let p = parse_ref(&format!("/api/{kind}?name={enc}")).unwrap();
            prop_assert_eq!(p.key, RefKey::Name(name));
        }
    }
}
