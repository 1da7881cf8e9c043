//! Turning a request body into what is stored: server-managed fields dropped, name and tenant
//! settled, `<x>_name` conveniences turned into refs, refs resolved, defaults applied, the
//! type's validation and the duplicate check run.

use serde_json::{Map, Value, json};

use super::resolve::resolve_ref;
use super::sslcert;
use super::validate::validate;
use super::{WriteCtx, bad};
use crate::defaults;
use crate::error::ApiError;
use crate::kinds::{self, Kind};
use crate::refs;
use crate::store::{ADMIN_TENANT, Record, Store, TenantScope};

pub(super) struct Prepared {
    pub name: String,
    pub tenant: String,
    pub cloud: Option<String>,
    pub body: Map<String, Value>,
    /// The private key of an SSLKeyAndCertificate.
    pub secret: Option<String>,
}

pub(super) fn prepare(
    store: &Store,
    ctx: &WriteCtx<'_>,
    kind: &'static Kind,
    body: Value,
    existing: Option<&Record>,
) -> Result<Prepared, ApiError> {
    let Value::Object(mut m) = body else {
        return Err(bad("Request body must be a JSON object"));
    };
    for f in ["url", "uuid", "_last_modified"]
        .iter()
        .chain(kinds::server_managed_fields(kind.name))
    {
        m.remove(*f);
    }
    m.retain(|_, v| !v.is_null());
    let key = if kind.name == "sslkeyandcertificate" {
        m.remove("key")
    } else {
        None
    };
    let name = match m.remove("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(_) => return Err(bad("name: must be a non-empty string")),
        None => return Err(bad("name: This field is required.")),
    };
    if name.len() > 256 {
        return Err(bad("name: Ensure this field has no more than 256 characters."));
    }
    // Where refs resolve: the object's own tenant (plus shared admin objects).
    let tenant = match (m.get("tenant_ref").and_then(Value::as_str), existing) {
        (Some(raw), _) => {
            let c = resolve_ref(store, &TenantScope::All, "tenant_ref", raw)?;
            let t = refs::split_canonical(&c)
                .map(|(_, u)| u.to_string())
                .unwrap_or_default();
            if let Some(e) = existing
                && e.tenant != t
                && kind.name != "tenant"
            {
                return Err(bad("tenant_ref: the tenant of an object cannot be changed"));
            }
            t
        }
        (None, Some(e)) => e.tenant.clone(),
        (None, None) => ctx.scope.write_tenant().to_string(),
    };
    let tenant = if kind.name == "tenant" {
        ADMIN_TENANT.to_string()
    } else {
        tenant
    };
    let scope = TenantScope::One(tenant.clone());
    for (field, ref_field, target) in kinds::name_fields(kind.name) {
        if let Some(v) = m.remove(*field) {
            let n = v
                .as_str()
                .ok_or_else(|| bad(format!("{field}: must be a string")))?;
            let enc: String = form_urlencoded::byte_serialize(n.as_bytes()).collect();
            m.entry(ref_field.to_string())
                .or_insert_with(|| json!(format!("/api/{target}?name={enc}")));
        }
    }
    let mut v = Value::Object(m);
    refs::try_map_refs(&mut v, &mut |field, raw| resolve_ref(store, &scope, field, raw))?;
    let Value::Object(mut m) = v else {
        return Err(bad("Request body must be a JSON object"));
    };
    if kind.name != "tenant" {
        m.insert("tenant_ref".into(), json!(refs::canonical("tenant", &tenant)));
    } else {
        m.remove("tenant_ref");
    }
    if kind.name == "virtualservice" {
        inherit_from_parent(store, &mut m);
    }
    defaults::apply(kind.name, &mut m, ctx.sys);
    let secret = if kind.name == "sslkeyandcertificate" {
        sslcert::complete(&mut m, key, existing)?
    } else {
        None
    };
    let cloud = if kind.cloud_scoped {
        m.get("cloud_ref")
            .and_then(Value::as_str)
            .and_then(refs::split_canonical)
            .map(|(_, u)| u.to_string())
    } else {
        None
    };
    validate(store, ctx, kind.name, &m, existing.map(|e| e.uuid.as_str()))?;
    let except = existing.map(|e| e.uuid.as_str());
    if store
        .duplicate_of(kind, &name, &tenant, cloud.as_deref(), except)
        .is_some()
    {
        let scope_words = if kind.cloud_scoped {
            "Name, Tenant ref and Cloud ref"
        } else if kind.name == "tenant" {
            "Name"
        } else {
            "Name and Tenant ref"
        };
        return Err(ApiError::conflict(format!(
            "{} with this {scope_words} already exists.",
            kind.verbose
        )));
    }
    Ok(Prepared {
        name,
        tenant,
        cloud,
        body: m,
        secret,
    })
}

/// A virtual-hosting child without an SE group takes its parent's (the only one it may have).
fn inherit_from_parent(store: &Store, m: &mut Map<String, Value>) {
    if m.get("type").and_then(Value::as_str) != Some("VS_TYPE_VH_CHILD") || m.contains_key("se_group_ref") {
        return;
    }
    let parent_group = m
        .get("vh_parent_vs_ref")
        .and_then(Value::as_str)
        .and_then(refs::split_canonical)
        .and_then(|(_, u)| store.get(u))
        .and_then(|p| p.body.get("se_group_ref"))
        .cloned();
    if let Some(g) = parent_group {
        m.insert("se_group_ref".into(), g);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::objects::test_env::env_with;

    #[test]
    fn duplicates_and_unknown_refs() {
        let mut e = env_with("10.50.0.0/24");
        e.create("pool", json!({"name": "p"})).unwrap();
        let err = e.create("pool", json!({"name": "p"})).unwrap_err();
        assert_eq!(err.status, 409);
        assert_eq!(
            err.message(),
            "Pool with this Name, Tenant ref and Cloud ref already exists."
        );
        let err = e
            .create(
                "pool",
                json!({"name": "q", "health_monitor_refs": ["/api/healthmonitor?name=nope"]}),
            )
            .unwrap_err();
        assert_eq!(err.status, 400);
        let err = e
            .create(
                "virtualservice",
                json!({"name": "v", "services": [{"port": 1}], "vsvip_ref": "/api/pool?name=p"}),
            )
            .unwrap_err();
        assert!(err.message().contains("expected a reference to vsvip"));
    }
}
