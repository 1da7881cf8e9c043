//! The mutating webhook: the admission defaults of SPEC §2 as a JSON patch against the
//! request's own JSON.

use avigw_shared::api::Gateway;
use avigw_shared::rules::{ClassState, ClusterView, RuleKind, default_gateway};
use serde_json::{Value, json};

use crate::policy::{LeanGateway, Operation, Subject, decode_gateway, fill_namespace, object_name};

/// The defaults of an object of ours could not be written as a patch. Answered as an error (the
/// apiserver reports it to the user), logged and counted, never as "nothing to default".
#[derive(Debug, thiserror::Error)]
#[error("cannot build the admission defaults patch for {kind} {object}: {reason}")]
pub struct MutateError {
    pub kind: &'static str,
    pub object: String,
    pub reason: String,
}

/// The defaults as a JSON patch, or `None` when nothing changes or the object is not ours. An
/// object that does not decode is left to the apiserver's schema validation, which runs after
/// mutation and explains it better.
pub fn mutate(s: &Subject, view: &dyn ClusterView) -> Result<Option<json_patch::Patch>, MutateError> {
    if s.kind != RuleKind::Gateway || !matches!(s.operation, Operation::Create | Operation::Update) {
        return Ok(None);
    }
    let Some(raw_json) = s.object else {
        return Ok(None);
    };
    let mut gw = match decode_gateway(raw_json) {
        Ok(gw) => gw,
        Err(e) => {
            tracing::debug!(error = %e, "Gateway not defaulted: it does not decode");
            return Ok(None);
        }
    };
    if ClassState::of(view.gateway_class(&gw.spec.gateway_class_name).as_deref()) != ClassState::Ours {
        return Ok(None);
    }
    fill_namespace(&mut gw.metadata, s.namespace);
    let defaulted = default_gateway(&gw);
    if defaulted == gw {
        return Ok(None);
    }
    let fail = |reason: String| MutateError {
        kind: RuleKind::Gateway.as_str(),
        object: object_name(s.namespace, &gw.metadata),
        reason,
    };
    // Only now, with something to patch, is the object parsed as a tree to find its paths.
    let raw: Value = serde_json::from_str(raw_json.get())
        .map_err(|e| fail(format!("the object does not parse as JSON: {e}")))?;
    let ops = defaults_patch(&raw, &gw, &defaulted);
    let patch: json_patch::Patch = serde_json::from_value(Value::Array(ops))
        .map_err(|e| fail(format!("the patch operations do not decode: {e}")))?;
    check_patch(raw, &patch, &defaulted).map_err(fail)?;
    Ok(Some(patch))
}

/// The patch must take the raw object to exactly the shared defaults; a default that
/// [`defaults_patch`] does not write would otherwise be skipped without a word.
fn check_patch(mut raw: Value, patch: &json_patch::Patch, defaulted: &Gateway) -> Result<(), String> {
    json_patch::patch(&mut raw, patch).map_err(|e| format!("the patch does not apply: {e}"))?;
    let patched: LeanGateway =
        serde_json::from_value(raw).map_err(|e| format!("the patched object does not decode: {e}"))?;
    if patched.spec != defaulted.spec {
        return Err("the patched object differs from the admission defaults".to_owned());
    }
    Ok(())
}

/// Patch operations that take the raw object to the defaulted one, touching only the fields
/// the defaults set: a round trip through the typed object would drop fields avigw does not
/// know, so the raw JSON is the base and the typed objects only say what changed.
fn defaults_patch(raw: &Value, before: &Gateway, after: &Gateway) -> Vec<Value> {
    let mut ops = Vec::new();
    for (i, (b, a)) in before
        .spec
        .listeners
        .iter()
        .zip(&after.spec.listeners)
        .enumerate()
    {
        if b.protocol != a.protocol {
            set(
                raw,
                &mut ops,
                &["spec", "listeners", &i.to_string(), "protocol"],
                json!(a.protocol),
            );
        }
        if b.routes.selector != a.routes.selector
            && let Some(sel) = &a.routes.selector
        {
            set(
                raw,
                &mut ops,
                &[
                    "spec",
                    "listeners",
                    &i.to_string(),
                    "routes",
                    "selector",
                    "matchLabels",
                ],
                json!(sel.match_labels),
            );
        }
    }
    for (i, (b, a)) in before
        .spec
        .addresses
        .iter()
        .zip(&after.spec.addresses)
        .enumerate()
    {
        if b.type_ != a.type_
            && let Some(t) = &a.type_
        {
            set(
                raw,
                &mut ops,
                &["spec", "addresses", &i.to_string(), "type"],
                json!(t),
            );
        }
    }
    ops
}

/// Emits one op that sets `path` to `value` in `raw`: `replace` when the field exists, else
/// `add` at the first missing (or null) level with the rest of the path built as objects.
fn set(raw: &Value, ops: &mut Vec<Value>, path: &[&str], value: Value) {
    let mut cur = raw;
    for (depth, seg) in path.iter().enumerate() {
        let next = match cur {
            Value::Object(m) => m.get(*seg),
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        match next {
            Some(v) if !v.is_null() => cur = v,
            exists => {
                let nested = path[depth + 1..]
                    .iter()
                    .rev()
                    .fold(value, |acc, k| json!({ *k: acc }));
                let op = if exists.is_some() { "replace" } else { "add" };
                ops.push(json!({"op": op, "path": pointer(&path[..=depth]), "value": nested}));
                return;
            }
        }
    }
    ops.push(json!({"op": "replace", "path": pointer(path), "value": value}));
}

fn pointer(path: &[&str]) -> String {
    path.iter()
        .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway(listeners: Value) -> Value {
        json!({"metadata": {"name": "gw", "namespace": "blue"}, "spec": {"gatewayClassName": "avi", "listeners": listeners}})
    }

    fn typed(v: &Value) -> Gateway {
        serde_json::from_value(v.clone()).unwrap()
    }

    #[test]
    fn a_patch_that_misses_a_default_is_refused() {
        let raw = gateway(json!([{"protocol": "tcp", "port": 80}]));
        let before = typed(&raw);
        let defaulted = default_gateway(&before);
        let good: json_patch::Patch =
            serde_json::from_value(Value::Array(defaults_patch(&raw, &before, &defaulted))).unwrap();
        assert_eq!(check_patch(raw.clone(), &good, &defaulted), Ok(()));
        // Only the protocol: the selector default is missing.
        let partial: json_patch::Patch = serde_json::from_value(
            json!([{"op": "replace", "path": "/spec/listeners/0/protocol", "value": "TCP"}]),
        )
        .unwrap();
        assert_eq!(
            check_patch(raw.clone(), &partial, &defaulted),
            Err("the patched object differs from the admission defaults".to_owned())
        );
    }

    #[test]
    fn a_patch_for_another_shape_does_not_apply() {
        let raw = gateway(json!([{"protocol": "tcp", "port": 80}]));
        let defaulted = default_gateway(&typed(&raw));
        let elsewhere: json_patch::Patch = serde_json::from_value(
            json!([{"op": "replace", "path": "/spec/listeners/3/protocol", "value": "TCP"}]),
        )
        .unwrap();
        let err = check_patch(raw, &elsewhere, &defaulted).unwrap_err();
        assert!(err.starts_with("the patch does not apply: "), "{err}");
    }
}
