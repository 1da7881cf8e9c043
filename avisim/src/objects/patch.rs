//! `PATCH` semantics: `add` merges (lists gain missing items), `replace` overwrites, `delete`
//! removes list items matching a pattern or whole fields; the result is saved as a PUT.

use serde_json::{Map, Value, json};

use super::crud::{check_writable, existing, update};
use super::{WriteCtx, bad};
use crate::error::ApiError;
use crate::kinds::Kind;
use crate::store::Store;

/// `PATCH {"add"|"replace"|"delete": {...}}` applied to the stored object, then saved as a PUT.
pub fn patch(
    store: &mut Store,
    ctx: &WriteCtx<'_>,
    kind: &'static Kind,
    uuid: &str,
    ops: Value,
) -> Result<(), ApiError> {
    check_writable(kind)?;
    let old = existing(store, ctx, kind, uuid)?;
    let Value::Object(ops) = ops else {
        return Err(bad("PATCH body must be an object with add, replace or delete"));
    };
    if ops.is_empty()
        || ops
            .keys()
            .any(|k| !["add", "replace", "delete"].contains(&k.as_str()))
    {
        return Err(bad("PATCH body must be an object with add, replace or delete"));
    }
    let mut base = old.body.clone();
    base.insert("name".into(), json!(old.name));
    for (op, fields) in &ops {
        let Value::Object(fields) = fields else {
            return Err(bad(format!("PATCH {op}: must be an object")));
        };
        for (k, v) in fields {
            match op.as_str() {
                "replace" => {
                    base.insert(k.clone(), v.clone());
                }
                "add" => merge_add(base.entry(k.clone()).or_insert(Value::Null), v),
                _ => delete_from(&mut base, k, v),
            }
        }
    }
    update(store, ctx, kind, uuid, Value::Object(base))
}

fn merge_add(target: &mut Value, add: &Value) {
    match (target, add) {
        (Value::Array(t), Value::Array(a)) => {
            for item in a {
                if !t.contains(item) {
                    t.push(item.clone());
                }
            }
        }
        (Value::Object(t), Value::Object(a)) => {
            for (k, v) in a {
                merge_add(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, a) => *t = a.clone(),
    }
}

/// True when every field given in `pattern` equals the element's (objects), or plain equality.
fn matches_pattern(item: &Value, pattern: &Value) -> bool {
    match (item, pattern) {
        (Value::Object(i), Value::Object(p)) => p
            .iter()
            .all(|(k, pv)| i.get(k).is_some_and(|iv| matches_pattern(iv, pv))),
        (i, p) => i == p,
    }
}

fn delete_from(base: &mut Map<String, Value>, key: &str, v: &Value) {
    match (base.get_mut(key), v) {
        (Some(Value::Array(items)), Value::Array(del)) => {
            items.retain(|it| !del.iter().any(|d| matches_pattern(it, d)));
        }
        (Some(_), _) => {
            base.remove(key);
        }
        (None, _) => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::LicenseTier;
    use crate::kinds;
    use crate::objects::test_env::env_with;

    #[test]
    fn patch_ops() {
        let mut e = env_with("10.50.0.0/24");
        let p = e
            .create(
                "pool",
                json!({"name": "p", "servers": [{"ip": {"addr": "10.0.0.1", "type": "V4"}}]}),
            )
            .unwrap();
        let (scope, sys) = (e.scope.clone(), e.sys.clone());
        let ctx = WriteCtx {
            scope: &scope,
            sys: &sys,
            license_tier: LicenseTier::Enterprise,
        };
        let k = kinds::kind("pool").unwrap();
        patch(
            &mut e.store,
            &ctx,
            k,
            &p,
            json!({"add": {"servers": [{"ip": {"addr": "10.0.0.2", "type": "V4"}}]}}),
        )
        .unwrap();
        assert_eq!(
            e.store.get(&p).unwrap().body["servers"].as_array().unwrap().len(),
            2
        );
        patch(
            &mut e.store,
            &ctx,
            k,
            &p,
            json!({"delete": {"servers": [{"ip": {"addr": "10.0.0.1"}}]}}),
        )
        .unwrap();
        let body = &e.store.get(&p).unwrap().body;
        assert_eq!(body["servers"].as_array().unwrap().len(), 1);
        assert_eq!(body["servers"][0]["ip"]["addr"], "10.0.0.2");
        patch(&mut e.store, &ctx, k, &p, json!({"replace": {"enabled": false}})).unwrap();
        assert_eq!(e.store.get(&p).unwrap().body["enabled"], false);
        assert!(patch(&mut e.store, &ctx, k, &p, json!({"bogus": {}})).is_err());
    }
}
