//! VirtualService: services, the VsVip, L4 policies, license-tier limits.

use serde_json::{Map, Value};

use super::{array, as_port};
use crate::config::LicenseTier;
use crate::error::ApiError;
use crate::objects::{WriteCtx, bad};
use crate::refs;
use crate::store::Store;

pub(super) fn validate(store: &Store, ctx: &WriteCtx<'_>, m: &Map<String, Value>) -> Result<(), ApiError> {
    if m.contains_key("vip") {
        return Err(bad(
            "vip: avisim supports VIPs only through a VsVip (set vsvip_ref)",
        ));
    }
    if m.get("vsvip_ref").and_then(Value::as_str).is_none() {
        return Err(bad("vsvip_ref: This field is required."));
    }
    let services = array(m, "services")?;
    if services.is_empty() {
        return Err(bad(
            "services: At least one service is required for a virtual service.",
        ));
    }
    let mut profiles: Vec<&str> = m
        .get("network_profile_ref")
        .and_then(Value::as_str)
        .into_iter()
        .collect();
    for (i, s) in services.iter().enumerate() {
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
    }
    for (i, p) in array(m, "l4_policies")?.iter().enumerate() {
        if p.get("l4_policy_set_ref").and_then(Value::as_str).is_none() {
            return Err(bad(format!(
                "l4_policies[{i}].l4_policy_set_ref: This field is required."
            )));
        }
    }
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
