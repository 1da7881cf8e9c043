//! The create, replace and delete entry points.

use serde_json::Value;

use super::prepare::prepare;
use super::vip_assign::assign_vips;
use super::{WriteCtx, bad};
use crate::defaults;
use crate::error::ApiError;
use crate::kinds::Kind;
use crate::store::{Record, Store};

pub(super) fn check_writable(kind: &'static Kind) -> Result<(), ApiError> {
    if kind.writable {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "avisim: {} objects are read-only",
            kind.name
        )))
    }
}

pub fn create(
    store: &mut Store,
    ctx: &WriteCtx<'_>,
    kind: &'static Kind,
    body: Value,
    slug: Option<&str>,
) -> Result<String, ApiError> {
    check_writable(kind)?;
    let mut p = prepare(store, ctx, kind, body, None)?;
    let uuid = match slug {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => format!("{}-{}", kind.name, uuid::Uuid::new_v4()),
    };
    if store.contains(&uuid) {
        return Err(ApiError::conflict(format!(
            "{} with this Uuid already exists.",
            kind.verbose
        )));
    }
    if kind.name == "vsvip" {
        assign_vips(store, &uuid, &mut p.body, None)?;
    }
    let mut rec = Record::new(kind, uuid.clone(), p.name, p.tenant);
    rec.cloud = p.cloud;
    rec.body = p.body;
    rec.secret = p.secret;
    rec.last_modified = Some(store.next_last_modified());
    if kind.name == "virtualservice" {
        rec.runtime = defaults::virtualservice_runtime(store.len() as u64);
    }
    store.insert(rec);
    Ok(uuid)
}

pub(super) fn existing<'s>(
    store: &'s Store,
    ctx: &WriteCtx<'_>,
    kind: &'static Kind,
    uuid: &str,
) -> Result<&'s Record, ApiError> {
    let rec = store
        .get_visible(kind.name, uuid, ctx.scope)
        .ok_or_else(|| ApiError::not_found(format!("{} object not found!", kind.model)))?;
    if rec.readonly {
        return Err(ApiError::forbidden(format!(
            "avisim: {} {} is a read-only system object",
            kind.model, rec.name
        )));
    }
    Ok(rec)
}

fn last_modified_of(v: &Value) -> Option<Option<u64>> {
    let lm = v.get("_last_modified")?;
    Some(match lm {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    })
}

pub fn update(
    store: &mut Store,
    ctx: &WriteCtx<'_>,
    kind: &'static Kind,
    uuid: &str,
    body: Value,
) -> Result<(), ApiError> {
    check_writable(kind)?;
    let old = existing(store, ctx, kind, uuid)?.clone();
    if let Some(sent) = last_modified_of(&body)
        && sent != old.last_modified
    {
        return Err(ApiError::new(
            axum::http::StatusCode::PRECONDITION_FAILED,
            format!(
                "Concurrent Update Error: {} {} was modified after _last_modified {}",
                kind.model,
                old.name,
                sent.map_or_else(|| "?".to_string(), |s| s.to_string())
            ),
        ));
    }
    let mut p = prepare(store, ctx, kind, body, Some(&old))?;
    if kind.name == "vsvip" {
        assign_vips(store, uuid, &mut p.body, Some(&old.body))?;
    }
    let mut rec = old;
    rec.name = p.name;
    rec.cloud = p.cloud;
    rec.body = p.body;
    rec.secret = p.secret;
    rec.last_modified = Some(store.next_last_modified());
    store.replace(rec);
    Ok(())
}

pub fn delete(
    store: &mut Store,
    ctx: &WriteCtx<'_>,
    kind: &'static Kind,
    uuid: &str,
) -> Result<(), ApiError> {
    check_writable(kind)?;
    existing(store, ctx, kind, uuid)?;
    let users: Vec<String> = store
        .referrers(uuid)
        .iter()
        .map(|r| format!("'{} {}'", r.kind.model, r.name))
        .collect();
    if !users.is_empty() {
        return Err(bad(format!(
            "Cannot delete, object is referred by: [{}]",
            users.join(", ")
        )));
    }
    store.remove(uuid);
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::LicenseTier;
    use crate::kinds;
    use crate::objects::test_env::{auto_vip, env_with};

    #[test]
    fn full_l4_graph_and_in_use() {
        let mut e = env_with("10.50.0.0/24");
        let pool = e
            .create(
                "pool",
                json!({"name": "p", "servers": [{"ip": {"addr": "10.1.1.1", "type": "V4"}, "port": 8080}],
                "health_monitor_refs": ["/api/healthmonitor?name=System-TCP"]}),
            )
            .unwrap();
        let vip = e.create("vsvip", auto_vip("v")).unwrap();
        let l4 = e
            .create(
                "l4policyset",
                json!({"name": "l4", "l4_connection_policy": {"rules": [{
                "name": "r0", "index": 0,
                "match": {"port": {"match_criteria": "IS_IN", "ports": [80]},
                          "protocol": {"match_criteria": "IS_IN", "protocol": "PROTOCOL_TCP"}},
                "action": {"select_pool": {"action_type": "L4_RULE_ACTION_SELECT_POOL",
                                           "pool_ref": "/api/pool?name=p"}}}]}}),
            )
            .unwrap();
        let vs = e
            .create("virtualservice", json!({"name": "vs", "services": [{"port": 80}],
                "vsvip_ref": format!("/api/vsvip/{vip}"),
                "application_profile_ref": "/api/applicationprofile?name=System-L4-Application",
                "l4_policies": [{"index": 0, "l4_policy_set_ref": format!("https://x/api/l4policyset/{l4}#l4")}]}))
            .unwrap();
        let ip = &e.store.get(&vip).unwrap().body["vip"][0]["ip_address"]["addr"];
        assert_eq!(ip, "10.50.0.1");
        let (scope, sys) = (e.scope.clone(), e.sys.clone());
        let ctx = WriteCtx {
            scope: &scope,
            sys: &sys,
            license_tier: LicenseTier::Enterprise,
        };
        let err = delete(&mut e.store, &ctx, kinds::kind("pool").unwrap(), &pool).unwrap_err();
        assert_eq!(
            err.message(),
            "Cannot delete, object is referred by: ['L4PolicySet l4']"
        );
        let err = delete(&mut e.store, &ctx, kinds::kind("vsvip").unwrap(), &vip).unwrap_err();
        assert!(err.message().contains("'VirtualService vs'"));
        for (k, u) in [
            ("virtualservice", &vs),
            ("l4policyset", &l4),
            ("pool", &pool),
            ("vsvip", &vip),
        ] {
            delete(&mut e.store, &ctx, kinds::kind(k).unwrap(), u).unwrap();
        }
        let net = e.store.by_name("network", "vip-net", &scope)[0].uuid.clone();
        assert_eq!(e.store.vips.used_count(&net), 0);
    }

    #[test]
    fn stale_last_modified_is_412() {
        let mut e = env_with("10.50.0.0/24");
        let p = e.create("pool", json!({"name": "p"})).unwrap();
        let (scope, sys) = (e.scope.clone(), e.sys.clone());
        let ctx = WriteCtx {
            scope: &scope,
            sys: &sys,
            license_tier: LicenseTier::Enterprise,
        };
        let k = kinds::kind("pool").unwrap();
        let lm = e.store.get(&p).unwrap().last_modified.unwrap();
        update(
            &mut e.store,
            &ctx,
            k,
            &p,
            json!({"name": "p", "_last_modified": lm.to_string()}),
        )
        .unwrap();
        let err = update(
            &mut e.store,
            &ctx,
            k,
            &p,
            json!({"name": "p", "_last_modified": lm.to_string()}),
        )
        .unwrap_err();
        assert_eq!(err.status, 412);
    }
}
