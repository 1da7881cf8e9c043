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
        "pool_group_ref" => "poolgroup",
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
    if kinds::kind(&p.kind).is_none() {
        return Err(bad(format!(
            "{field}: unknown object type {:?} in {raw:?}",
            p.kind
        )));
    }
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
    let rec = rec.ok_or_else(|| {
        let (how, what) = match &p.key {
            RefKey::Uuid(u) => ("uuid", u.as_str()),
            RefKey::Name(n) => ("name", n.as_str()),
        };
        bad(format!(
            "Cannot find object of type {} with {how} {what} (from {field} {raw:?})",
            p.kind
        ))
    })?;
    Ok(refs::canonical(&p.kind, &rec.uuid))
}
