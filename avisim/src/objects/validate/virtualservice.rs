//! VirtualService: its type's shape (virtual-hosting rules in `vhost`), services, the policy and
//! datascript lists, SSL certificates, license-tier limits.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{array, as_port, one_of, unique_index, vhost};
use crate::config::LicenseTier;
use crate::error::ApiError;
use crate::objects::{WriteCtx, bad};
use crate::refs;
use crate::store::Store;

pub(super) const NORMAL: &str = "VS_TYPE_NORMAL";
pub(super) const VH_PARENT: &str = "VS_TYPE_VH_PARENT";
pub(super) const VH_CHILD: &str = "VS_TYPE_VH_CHILD";

pub(super) fn validate(
    store: &Store,
    ctx: &WriteCtx<'_>,
    m: &Map<String, Value>,
    own_uuid: Option<&str>,
) -> Result<(), ApiError> {
    if m.contains_key("vip") {
        return Err(bad(
            "vip: avisim supports VIPs only through a VsVip (set vsvip_ref)",
        ));
    }
    let ty = one_of(m.get("type"), &[NORMAL, VH_PARENT, VH_CHILD], "type")?;
    // The schema's per-edition values: Essentials has no virtual hosting, Basic no children.
    let tier_types: &[&str] = match ctx.license_tier {
        LicenseTier::Essentials => &[NORMAL],
        LicenseTier::Basic => &[NORMAL, VH_PARENT],
        _ => &[NORMAL, VH_PARENT, VH_CHILD],
    };
    if !tier_types.contains(&ty) {
        return Err(bad(format!(
            "type: {ty} is not supported with the {} license tier",
            ctx.license_tier
        )));
    }
    if ty == VH_CHILD {
        vhost::child(store, m, own_uuid)?;
    } else {
        if m.contains_key("vh_parent_vs_ref") {
            return Err(bad(format!(
                "vh_parent_vs_ref: only a {VH_CHILD} virtual service has a parent (type is {ty})"
            )));
        }
        if m.get("vsvip_ref").and_then(Value::as_str).is_none() {
            return Err(bad("vsvip_ref: This field is required."));
        }
        if array(m, "services")?.is_empty() {
            return Err(bad(
                "services: At least one service is required for a virtual service.",
            ));
        }
    }
    if let Some(own) = own_uuid {
        vhost::keeps_children(store, own, ty, m)?;
    }
    let mut profiles: Vec<&str> = m
        .get("network_profile_ref")
        .and_then(Value::as_str)
        .into_iter()
        .collect();
    let mut ssl_service = false;
    for (i, s) in array(m, "services")?.iter().enumerate() {
        let port =
            as_port(s.get("port")).ok_or_else(|| bad(format!("services[{i}].port: must be 1..65535")))?;
        if let Some(end) = s.get("port_range_end") {
            match as_port(Some(end)) {
                Some(e) if e >= port => {}
                _ => {
                    return Err(bad(format!(
                        "services[{i}].port_range_end: must be >= port {port} and <= 65535"
                    )));
                }
            }
        }
        if let Some(p) = s.get("override_network_profile_ref").and_then(Value::as_str) {
            profiles.push(p);
        }
        ssl_service |= s.get("enable_ssl").and_then(Value::as_bool) == Some(true);
    }
    for (i, p) in array(m, "l4_policies")?.iter().enumerate() {
        if p.get("l4_policy_set_ref").and_then(Value::as_str).is_none() {
            return Err(bad(format!(
                "l4_policies[{i}].l4_policy_set_ref: This field is required."
            )));
        }
    }
    indexed_refs(m, "http_policies", "http_policy_set_ref")?;
    indexed_refs(m, "vs_datascripts", "vs_datascript_set_ref")?;
    certificates(store, m, ssl_service)?;
    // Essentials/Basic controllers have no TCP proxy: avigw must pick TCP fast path there.
    if matches!(ctx.license_tier, LicenseTier::Essentials | LicenseTier::Basic) {
        for p in profiles {
            let rec = refs::split_canonical(p).and_then(|(_, u)| store.get(u));
            let ty = rec
                .and_then(|r| r.body.get("profile"))
                .and_then(|p| p.get("type"))
                .and_then(Value::as_str);
            if ty == Some("PROTOCOL_TYPE_TCP_PROXY") {
                return Err(bad(format!(
                    "Network profile {} (TCP proxy) is not supported with the {} license tier",
                    rec.map_or("", |r| r.name.as_str()),
                    ctx.license_tier
                )));
            }
        }
    }
    Ok(())
}

/// `http_policies[{index, http_policy_set_ref}]`, `vs_datascripts[{index,
/// vs_datascript_set_ref}]`: both fields required, indexes unique.
fn indexed_refs(m: &Map<String, Value>, list: &str, ref_field: &str) -> Result<(), ApiError> {
    let mut indexes = HashSet::new();
    for (i, item) in array(m, list)?.iter().enumerate() {
        unique_index(item, &format!("{list}[{i}].index"), &mut indexes)?;
        if item.get(ref_field).and_then(Value::as_str).is_none() {
            return Err(bad(format!("{list}[{i}].{ref_field}: This field is required.")));
        }
    }
    Ok(())
}

/// An SSL-terminating service needs a certificate to present, and a CA certificate is not one.
fn certificates(store: &Store, m: &Map<String, Value>, ssl_service: bool) -> Result<(), ApiError> {
    let certs = array(m, "ssl_key_and_certificate_refs")?;
    if ssl_service && certs.is_empty() {
        return Err(bad(
            "ssl_key_and_certificate_refs: a service with enable_ssl needs a certificate",
        ));
    }
    for (i, c) in certs.iter().enumerate() {
        let rec = c
            .as_str()
            .and_then(refs::split_canonical)
            .and_then(|(_, u)| store.get(u));
        if let Some(rec) = rec
            && rec.body.get("type").and_then(Value::as_str) == Some("SSL_CERTIFICATE_TYPE_CA")
        {
            return Err(bad(format!(
                "ssl_key_and_certificate_refs[{i}]: SSLKeyAndCertificate {} is a CA certificate",
                rec.name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::config::LicenseTier;
    use crate::kinds;
    use crate::objects::test_env::{auto_vip, env_with};
    use crate::objects::{WriteCtx, create};

    #[test]
    fn essentials_rejects_tcp_proxy() {
        let mut e = env_with("10.50.0.0/24");
        let vip = e.create("vsvip", auto_vip("v")).unwrap();
        let (scope, sys) = (e.scope.clone(), e.sys.clone());
        let ctx = WriteCtx {
            scope: &scope,
            sys: &sys,
            license_tier: LicenseTier::Essentials,
        };
        let k = kinds::kind("virtualservice").unwrap();
        let body =
            json!({"name": "vs", "services": [{"port": 80}], "vsvip_ref": format!("/api/vsvip/{vip}")});
        assert!(create(&mut e.store, &ctx, k, body.clone(), None).is_err());
        let mut fast = body;
        fast["network_profile_ref"] = json!("/api/networkprofile?name=System-TCP-Fast-Path");
        assert!(create(&mut e.store, &ctx, k, fast, None).is_ok());
    }
}
