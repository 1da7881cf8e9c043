//! Turning stored records into answers: absolute URLs for `url` and every ref, `#name` when
//! asked (and always in create/update answers, as recorded), `_last_modified` as a string,
//! `fields=` projection, computed back-references (`vs_refs` on a VsVip).

use serde_json::{Map, Value, json};

use crate::refs;
use crate::store::{Record, Store};

/// What reads show in place of a secret (a private key), as the recorded controller does.
pub const SENSITIVE: &str = "<sensitive>";

/// Certificate fields the recorded controller leaves out of create/update answers.
const CERTIFICATE_READ_ONLY: &[&str] = &["certificate", "public_key", "text"];

#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOpts<'a> {
    /// Append `#name` to `url` and refs.
    pub include_name: bool,
    /// Include runtime/computed fields (reads do; create/update answers don't).
    pub read_view: bool,
    pub fields: Option<&'a [String]>,
}

fn name_of<'s>(store: &'s Store, canonical: &str) -> Option<&'s str> {
    let (_, uuid) = refs::split_canonical(canonical)?;
    store.get(uuid).map(|r| r.name.as_str())
}

pub fn render(store: &Store, rec: &Record, base: &str, opts: RenderOpts<'_>) -> Value {
    let own = refs::canonical(rec.kind.name, &rec.uuid);
    let mut out = Map::new();
    out.insert(
        "url".into(),
        json!(refs::render(
            base,
            &own,
            opts.include_name.then_some(rec.name.as_str())
        )),
    );
    out.insert("uuid".into(), json!(rec.uuid));
    out.insert("name".into(), json!(rec.name));
    for (k, v) in &rec.body {
        out.insert(k.clone(), v.clone());
    }
    if rec.kind.name == "pool" {
        let n = rec
            .body
            .get("servers")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        out.insert("server_count".into(), json!(n));
    }
    if rec.kind.name == "sslkeyandcertificate" {
        if opts.read_view {
            if rec.secret.is_some() {
                out.insert("key".into(), json!(SENSITIVE));
            }
        } else if let Some(Value::Object(c)) = out.get_mut("certificate") {
            c.retain(|k, _| !CERTIFICATE_READ_ONLY.contains(&k.as_str()));
        }
    }
    if let Some(lm) = rec.last_modified {
        out.insert("_last_modified".into(), json!(lm.to_string()));
    }
    if opts.read_view {
        for (k, v) in &rec.runtime {
            out.insert(k.clone(), v.clone());
        }
        if rec.kind.name == "vsvip" {
            let vs: Vec<Value> = store
                .virtualservices_on(&own)
                .map(|vs| json!(refs::canonical("virtualservice", &vs.uuid)))
                .collect();
            if !vs.is_empty() {
                out.insert("vs_refs".into(), Value::Array(vs));
            }
        }
    }
    if let Some(fields) = opts.fields {
        out.retain(|k, _| k == "url" || k == "uuid" || fields.iter().any(|f| f == k));
    }
    let mut v = Value::Object(out);
    let _ = refs::try_map_refs::<()>(&mut v, &mut |_, s| {
        if !s.starts_with("/api/") {
            return Ok(s.to_string());
        }
        let name = if opts.include_name {
            name_of(store, s)
        } else {
            None
        };
        Ok(refs::render(base, s, name))
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds;

    #[test]
    fn refs_absolute_with_optional_names() {
        let mut s = Store::default();
        s.insert(Record::new(
            kinds::kind("pool").unwrap(),
            "pool-1".into(),
            "p1".into(),
            "admin".into(),
        ));
        let mut vs = Record::new(
            kinds::kind("virtualservice").unwrap(),
            "virtualservice-1".into(),
            "vs".into(),
            "admin".into(),
        );
        vs.body.insert("pool_ref".into(), json!("/api/pool/pool-1"));
        vs.last_modified = Some(42);
        let plain = render(&s, &vs, "https://h", RenderOpts::default());
        assert_eq!(plain["pool_ref"], "https://h/api/pool/pool-1");
        assert_eq!(plain["url"], "https://h/api/virtualservice/virtualservice-1");
        assert_eq!(plain["_last_modified"], "42");
        let named = render(
            &s,
            &vs,
            "https://h",
            RenderOpts {
                include_name: true,
                ..Default::default()
            },
        );
        assert_eq!(named["pool_ref"], "https://h/api/pool/pool-1#p1");
        assert_eq!(named["url"], "https://h/api/virtualservice/virtualservice-1#vs");
        let f = vec!["name".to_string()];
        let proj = render(
            &s,
            &vs,
            "https://h",
            RenderOpts {
                fields: Some(&f),
                ..Default::default()
            },
        );
        assert_eq!(proj.as_object().unwrap().len(), 3);
    }
}
