//! VIP allocation for a VsVip on create and update: IPAM auto-allocation, preferred and static
//! addresses, and the rules on changing them.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde_json::{Map, Value, json};

use super::bad;
use super::validate::ip_of;
use crate::error::{ApiError, NO_FREE_IPS, VIP_CHANGE, VIP_ID_CHANGE};
use crate::refs;
use crate::store::Store;
use crate::vip::VipError;

fn vip_error(e: VipError) -> ApiError {
    match e {
        VipError::NoFreeIps => bad(NO_FREE_IPS),
        other => bad(other.to_string()),
    }
}

fn first_network(store: &Store) -> Option<String> {
    store
        .list("network")
        .find(|n| store.vips.has_network(&n.uuid))
        .map(|n| n.uuid.clone())
}

/// Allocates (or re-confirms) every VIP of a VsVip and writes the addresses back.
pub(super) fn assign_vips(
    store: &mut Store,
    owner: &str,
    body: &mut Map<String, Value>,
    old: Option<&Map<String, Value>>,
) -> Result<(), ApiError> {
    let old_vips: Vec<(String, Option<String>, bool)> = old
        .and_then(|o| o.get("vip"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|v| {
                    (
                        v.get("vip_id")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        v.get("ip_address").and_then(ip_of).map(str::to_string),
                        v.get("auto_allocate_ip").and_then(Value::as_bool) == Some(true),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let Some(Value::Array(vips)) = body.get_mut("vip") else {
        return Ok(());
    };
    if !old_vips.is_empty() {
        let new_ids: Vec<String> = vips
            .iter()
            .map(|v| {
                v.get("vip_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        let kept = old_vips.iter().filter(|(id, ..)| new_ids.contains(id)).count();
        if kept == 0 {
            return Err(bad(VIP_ID_CHANGE));
        }
    }
    let snapshot = store.vips.snapshot(owner);
    store.vips.release_owner(owner);
    let result = (|| {
        for v in vips.iter_mut() {
            let Some(v) = v.as_object_mut() else {
                continue;
            };
            let id = v
                .get("vip_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let requested = v.get("ip_address").and_then(ip_of).map(str::to_string);
            let prior = old_vips.iter().find(|(oid, ..)| *oid == id);
            let mut preferred = requested.clone();
            if let Some((_, Some(old_addr), old_auto)) = prior {
                match &requested {
                    Some(r) if r != old_addr => return Err(bad(VIP_CHANGE)),
                    None if *old_auto => preferred = Some(old_addr.clone()),
                    _ => {}
                }
            }
            let preferred = preferred
                .map(|p| {
                    p.parse::<Ipv4Addr>()
                        .map_err(|_| bad("ip_address.addr: invalid IPv4 address"))
                })
                .transpose()?;
            if v.get("auto_allocate_ip").and_then(Value::as_bool) == Some(true) {
                let ipam = v.get("ipam_network_subnet");
                let net = match ipam.and_then(|i| i.get("network_ref")).and_then(Value::as_str) {
                    Some(c) => refs::split_canonical(c)
                        .map(|(_, u)| u.to_string())
                        .ok_or_else(|| bad("ipam_network_subnet.network_ref: invalid"))?,
                    None => first_network(store)
                        .ok_or_else(|| bad("No IPAM network is configured for the cloud"))?,
                };
                let subnet = ipam
                    .and_then(|i| i.get("subnet"))
                    .map(|s| -> Result<Ipv4Net, ApiError> {
                        let addr = s
                            .get("ip_addr")
                            .and_then(ip_of)
                            .and_then(|a| a.parse::<Ipv4Addr>().ok());
                        let mask = s.get("mask").and_then(Value::as_u64);
                        match (addr, mask) {
                            (Some(a), Some(m)) if m <= 32 => Ipv4Net::new(a, m as u8)
                                .map_err(|_| bad("ipam_network_subnet.subnet: invalid")),
                            _ => Err(bad("ipam_network_subnet.subnet: ip_addr and mask are required")),
                        }
                    })
                    .transpose()?;
                let a = store
                    .vips
                    .allocate(&net, subnet, preferred, owner)
                    .map_err(vip_error)?;
                v.insert(
                    "ip_address".into(),
                    json!({"addr": a.addr.to_string(), "type": "V4"}),
                );
                v.insert("avi_allocated_vip".into(), json!(true));
                let ipam = v.entry("ipam_network_subnet").or_insert_with(|| json!({}));
                if let Some(ipam) = ipam.as_object_mut() {
                    ipam.insert("network_ref".into(), json!(refs::canonical("network", &net)));
                    ipam.insert(
                        "subnet".into(),
                        json!({"ip_addr": {"addr": a.subnet.network().to_string(), "type": "V4"},
                               "mask": a.subnet.prefix_len()}),
                    );
                }
            } else if let Some(addr) = preferred {
                store.vips.reserve_static(addr, owner).map_err(vip_error)?;
            }
        }
        Ok(())
    })();
    if result.is_err() {
        store.vips.restore(owner, &snapshot);
    }
    result
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::update;
    use crate::config::LicenseTier;
    use crate::error::{NO_FREE_IPS, VIP_CHANGE, VIP_ID_CHANGE};
    use crate::kinds;
    use crate::objects::WriteCtx;
    use crate::objects::test_env::{auto_vip, env_with};

    #[test]
    fn vip_change_and_exhaustion() {
        let mut e = env_with("10.9.0.0/30");
        let a = e.create("vsvip", auto_vip("a")).unwrap();
        e.create("vsvip", auto_vip("b")).unwrap();
        let err = e.create("vsvip", auto_vip("c")).unwrap_err();
        assert_eq!(err.message(), NO_FREE_IPS);
        let (scope, sys) = (e.scope.clone(), e.sys.clone());
        let ctx = WriteCtx {
            scope: &scope,
            sys: &sys,
            license_tier: LicenseTier::Enterprise,
        };
        let k = kinds::kind("vsvip").unwrap();
        // Re-sending without an address keeps the allocated one.
        update(&mut e.store, &ctx, k, &a, auto_vip("a")).unwrap();
        assert_eq!(
            e.store.get(&a).unwrap().body["vip"][0]["ip_address"]["addr"],
            "10.9.0.1"
        );
        let mut changed = auto_vip("a");
        changed["vip"][0]["ip_address"] = json!({"addr": "10.9.0.2", "type": "V4"});
        let err = update(&mut e.store, &ctx, k, &a, changed).unwrap_err();
        assert_eq!(err.message(), VIP_CHANGE);
        // The failed update must not leak or drop allocations.
        assert_eq!(
            e.store.get(&a).unwrap().body["vip"][0]["ip_address"]["addr"],
            "10.9.0.1"
        );
        let mut renamed = auto_vip("a");
        renamed["vip"][0]["vip_id"] = json!("7");
        assert_eq!(
            update(&mut e.store, &ctx, k, &a, renamed).unwrap_err().message(),
            VIP_ID_CHANGE
        );
        let _ = e.ctx();
    }
}
