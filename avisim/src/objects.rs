//! Write semantics: create (POST), replace (PUT), patch (PATCH add/replace/delete) and delete,
//! with reference resolution, server defaults, per-type validation, duplicate and in-use checks
//! and VIP allocation.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde_json::{Map, Value, json};

use crate::config::LicenseTier;
use crate::defaults::{self, SystemRefs};
use crate::error::{ApiError, NO_FREE_IPS, VIP_CHANGE, VIP_ID_CHANGE};
use crate::kinds::{self, Kind};
use crate::refs::{self, RefKey};
use crate::store::{ADMIN_TENANT, Record, Store, TenantScope};
use crate::vip::VipError;

pub struct WriteCtx<'a> {
    pub scope: &'a TenantScope,
    pub sys: &'a SystemRefs,
    pub license_tier: LicenseTier,
}

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

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request(msg)
}

/// Resolves one client ref to its canonical stored form.
fn resolve_ref(store: &Store, scope: &TenantScope, field: &str, raw: &str) -> Result<String, ApiError> {
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

struct Prepared {
    name: String,
    tenant: String,
    cloud: Option<String>,
    body: Map<String, Value>,
}

fn prepare(
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
    defaults::apply(kind.name, &mut m, ctx.sys);
    let cloud = if kind.cloud_scoped {
        m.get("cloud_ref")
            .and_then(Value::as_str)
            .and_then(refs::split_canonical)
            .map(|(_, u)| u.to_string())
    } else {
        None
    };
    validate(store, ctx, kind.name, &m)?;
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
    })
}

fn as_port(v: Option<&Value>) -> Option<u64> {
    v.and_then(Value::as_u64).filter(|p| (1..=65_535).contains(p))
}

fn validate(store: &Store, ctx: &WriteCtx<'_>, kind: &str, m: &Map<String, Value>) -> Result<(), ApiError> {
    match kind {
        "virtualservice" => validate_vs(store, ctx, m),
        "vsvip" => validate_vsvip(m),
        "pool" => validate_pool(m),
        "l4policyset" => validate_l4(m),
        "poolgroup" => {
            for (i, mem) in array(m, "members")?.iter().enumerate() {
                if mem.get("pool_ref").and_then(Value::as_str).is_none() {
                    return Err(bad(format!("members[{i}].pool_ref: This field is required.")));
                }
            }
            Ok(())
        }
        "healthmonitor" => match m.get("type").and_then(Value::as_str) {
            Some(t) if t.starts_with("HEALTH_MONITOR_") => Ok(()),
            _ => Err(bad("type: a HEALTH_MONITOR_* type is required.")),
        },
        _ => Ok(()),
    }
}

fn array<'a>(m: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], ApiError> {
    match m.get(key) {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(bad(format!("{key}: must be a list"))),
    }
}

fn validate_vs(store: &Store, ctx: &WriteCtx<'_>, m: &Map<String, Value>) -> Result<(), ApiError> {
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

fn ip_of(v: &Value) -> Option<&str> {
    v.get("addr").and_then(Value::as_str)
}

fn validate_vsvip(m: &Map<String, Value>) -> Result<(), ApiError> {
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

fn validate_pool(m: &Map<String, Value>) -> Result<(), ApiError> {
    for (i, s) in array(m, "servers")?.iter().enumerate() {
        // The recorded controller accepted a host name here (test_basic_auth), so only
        // presence is checked.
        let ok = s.get("ip").and_then(ip_of).is_some_and(|a| !a.trim().is_empty());
        if !ok {
            return Err(bad(format!("servers[{i}].ip.addr: This field is required.")));
        }
        if s.get("port").is_some() && as_port(s.get("port")).is_none() {
            return Err(bad(format!("servers[{i}].port: must be 1..65535")));
        }
    }
    Ok(())
}

const L4_PROTOCOLS: &[&str] = &["PROTOCOL_TCP", "PROTOCOL_UDP", "PROTOCOL_ICMP", "PROTOCOL_SCTP"];
const MATCH_CRITERIA: &[&str] = &["IS_IN", "IS_NOT_IN"];

fn validate_l4(m: &Map<String, Value>) -> Result<(), ApiError> {
    let Some(policy) = m.get("l4_connection_policy") else {
        return Ok(());
    };
    let rules = policy
        .get("rules")
        .map(|r| {
            r.as_array()
                .ok_or_else(|| bad("l4_connection_policy.rules: must be a list"))
        })
        .transpose()?
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut indexes = std::collections::HashSet::new();
    for (i, r) in rules.iter().enumerate() {
        let at = |f: &str| format!("l4_connection_policy.rules[{i}].{f}");
        let idx = r
            .get("index")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad(format!("{}: This field is required.", at("index"))))?;
        if !indexes.insert(idx) {
            return Err(bad(format!("{}: duplicate index {idx}", at("index"))));
        }
        if r.get("name").and_then(Value::as_str).is_none() {
            return Err(bad(format!("{}: This field is required.", at("name"))));
        }
        let sel = r.get("action").and_then(|a| a.get("select_pool"));
        let Some(sel) = sel else {
            return Err(bad(format!(
                "{}: This field is required.",
                at("action.select_pool")
            )));
        };
        if sel.get("action_type").and_then(Value::as_str) != Some("L4_RULE_ACTION_SELECT_POOL") {
            return Err(bad(format!(
                "{}: must be L4_RULE_ACTION_SELECT_POOL",
                at("action.select_pool.action_type")
            )));
        }
        if sel.get("pool_ref").is_none() && sel.get("pool_group_ref").is_none() {
            return Err(bad(format!(
                "{}: pool_ref or pool_group_ref is required",
                at("action.select_pool")
            )));
        }
        if let Some(port) = r.get("match").and_then(|mm| mm.get("port")) {
            crit(port, &at("match.port.match_criteria"))?;
            let ports = port.get("ports").and_then(Value::as_array);
            let ranges = port.get("port_ranges").and_then(Value::as_array);
            let ok = ports.is_some_and(|p| !p.is_empty() && p.iter().all(|x| as_port(Some(x)).is_some()))
                || ranges.is_some_and(|r| !r.is_empty());
            if !ok {
                return Err(bad(format!(
                    "{}: a non-empty list of ports 1..65535 is required",
                    at("match.port.ports")
                )));
            }
        }
        if let Some(proto) = r.get("match").and_then(|mm| mm.get("protocol")) {
            crit(proto, &at("match.protocol.match_criteria"))?;
            match proto.get("protocol").and_then(Value::as_str) {
                Some(p) if L4_PROTOCOLS.contains(&p) => {}
                other => {
                    return Err(bad(format!(
                        "{}: {other:?} is not one of {L4_PROTOCOLS:?}",
                        at("match.protocol.protocol")
                    )));
                }
            }
        }
    }
    Ok(())
}

fn crit(v: &Value, at: &str) -> Result<(), ApiError> {
    match v.get("match_criteria").and_then(Value::as_str) {
        Some(c) if MATCH_CRITERIA.contains(&c) => Ok(()),
        other => Err(bad(format!("{at}: {other:?} is not one of {MATCH_CRITERIA:?}"))),
    }
}

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
fn assign_vips(
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

fn check_writable(kind: &'static Kind) -> Result<(), ApiError> {
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
    rec.last_modified = Some(store.next_last_modified());
    if kind.name == "virtualservice" {
        rec.runtime = defaults::virtualservice_runtime(store.len() as u64);
    }
    store.insert(rec);
    Ok(uuid)
}

fn existing<'s>(
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
    rec.last_modified = Some(store.next_last_modified());
    store.replace(rec);
    Ok(())
}

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
    use super::*;
    use crate::config::SimConfig;
    use crate::seeds;

    struct Env {
        store: Store,
        sys: SystemRefs,
        scope: TenantScope,
    }

    fn env_with(cidr: &str) -> Env {
        let mut store = Store::default();
        let mut cfg = SimConfig::for_tests("pw");
        cfg.networks = vec![format!("vip-net={cidr}").parse().unwrap()];
        let sys = seeds::seed_all(&mut store, &cfg);
        Env {
            store,
            sys,
            scope: TenantScope::One(ADMIN_TENANT.into()),
        }
    }

    impl Env {
        fn ctx(&self) -> WriteCtx<'_> {
            WriteCtx {
                scope: &self.scope,
                sys: &self.sys,
                license_tier: LicenseTier::Enterprise,
            }
        }
        fn create(&mut self, kind: &str, body: Value) -> Result<String, ApiError> {
            let (scope, sys) = (self.scope.clone(), self.sys.clone());
            let ctx = WriteCtx {
                scope: &scope,
                sys: &sys,
                license_tier: LicenseTier::Enterprise,
            };
            create(&mut self.store, &ctx, kinds::kind(kind).unwrap(), body, None)
        }
    }

    fn auto_vip(name: &str) -> Value {
        json!({"name": name, "vip": [{"vip_id": "0", "auto_allocate_ip": true,
            "ipam_network_subnet": {"network_ref": "/api/network?name=vip-net"}}]})
    }

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
