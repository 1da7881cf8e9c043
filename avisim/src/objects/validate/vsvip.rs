//! VsVip: VIP ids and addresses (allocation is in `vip_assign`).

use std::net::Ipv4Addr;

use serde_json::{Map, Value};

use super::{array, ip_of};
use crate::error::ApiError;
use crate::objects::bad;

pub(super) fn validate(m: &Map<String, Value>) -> Result<(), ApiError> {
    let vips = array(m, "vip")?;
    if vips.is_empty() {
        return Err(bad("vip: At least one VIP is required."));
    }
    let mut ids = std::collections::HashSet::new();
    for (i, v) in vips.iter().enumerate() {
        let id = v.get("vip_id").and_then(Value::as_str).unwrap_or_default();
        if !ids.insert(id.to_string()) {
            return Err(bad(format!("vip[{i}].vip_id: duplicate vip_id {id:?}")));
        }
        if let Some(ip) = v.get("ip_address") {
            if ip.get("type").and_then(Value::as_str).unwrap_or("V4") != "V4" {
                return Err(bad(format!(
                    "vip[{i}].ip_address: avisim supports IPv4 VIPs only"
                )));
            }
            match ip_of(ip).map(str::parse::<Ipv4Addr>) {
                Some(Ok(_)) => {}
                _ => return Err(bad(format!("vip[{i}].ip_address.addr: invalid IPv4 address"))),
            }
        }
        let auto = v.get("auto_allocate_ip").and_then(Value::as_bool) == Some(true);
        if !auto && v.get("ip_address").is_none() {
            return Err(bad(format!(
                "vip[{i}]: either ip_address or auto_allocate_ip is required"
            )));
        }
    }
    Ok(())
}
