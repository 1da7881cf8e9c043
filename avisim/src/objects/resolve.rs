//! Resolving the references a client sends to their canonical stored form.

use super::bad;
use crate::error::ApiError;
use crate::kinds;
use crate::refs::{self, RefKey};
use crate::store::{Store, TenantScope};

/// What a ref field must point at, for the fields avigw and the recordings use. Other
/// `*_ref` fields only need to resolve.
fn expected_kind(field: &str) -> Option<&'static str> {
    Some(match field {
        "pool_ref" => "pool",
        "vsvip_ref" => "vsvip",
        "pool_group_ref" | "pool_group_refs" => "poolgroup",
        "pool_refs" => "pool",
        "vh_parent_vs_ref" => "virtualservice",
        "vs_datascript_set_ref" => "vsdatascriptset",
        "http_policy_set_ref" => "httppolicyset",
        "ssl_key_and_certificate_refs" => "sslkeyandcertificate",
        "ssl_profile_ref" => "sslprofile",
        "l4_policy_set_ref" => "l4policyset",
        "cloud_ref" => "cloud",
        "tenant_ref" => "tenant",
        "vrf_context_ref" | "vrf_ref" => "vrfcontext",
        "se_group_ref" => "serviceenginegroup",
        "application_profile_ref" => "applicationprofile",
        "network_profile_ref" | "override_network_profile_ref" => "networkprofile",
        "health_monitor_refs" => "healthmonitor",
        "network_ref" => "network",
        "analytics_profile_ref" => "analyticsprofile",
        _ => return None,
    })
}

/// Resolves one client ref to its canonical stored form.
pub(super) fn resolve_ref(
    store: &Store,
    scope: &TenantScope,
    field: &str,
    raw: &str,
) -> Result<String, ApiError> {
    let p = refs::parse_ref(raw).map_err(|_| bad(format!("{field}: invalid reference {raw:?}")))?;
    let Some(kind) = kinds::kind(&p.kind) else {
        return Err(bad(format!(
            "{field}: unknown object type {:?} in {raw:?}",
            p.kind
        )));
    };
    if let Some(want) = expected_kind(field)
        && want != p.kind
    {
        return Err(bad(format!(
            "{field}: expected a reference to {want}, got {} ({raw:?})",
            p.kind
        )));
    }
    let rec = match &p.key {
        RefKey::Uuid(u) => store.get_visible(&p.kind, u, scope),
        RefKey::Name(n) => store.by_name(&p.kind, n, scope).into_iter().next(),
    };
    // The controller's text (AKO matches on "VsVip object not found", "Network object not
    // found"): the model only, not the field or the name.
    let rec = rec.ok_or_else(|| bad(format!("{} object not found", kind.model)))?;
    Ok(refs::canonical(&p.kind, &rec.uuid))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::objects::test_env::env_with;

    #[test]
    fn unresolvable_refs_name_the_model() {
        let mut e = env_with("10.50.0.0/24");
        for (kind, body, want) in [
            (
                "pool",
                json!({"name": "q", "health_monitor_refs": ["/api/healthmonitor?name=nope"]}),
                "HealthMonitor object not found",
            ),
            (
                "poolgroup",
                json!({"name": "g", "members": [{"pool_ref": "/api/pool/pool-gone"}]}),
                "Pool object not found",
            ),
            (
                "vsvip",
                json!({"name": "v", "vip": [{"vip_id": "0", "auto_allocate_ip": true,
                    "ipam_network_subnet": {"network_ref": "/api/network?name=nope"}}]}),
                "Network object not found",
            ),
        ] {
            let err = e.create(kind, body).unwrap_err();
            assert_eq!(err.status, 400);
            assert_eq!(err.message(), want);
        }
    }
}
