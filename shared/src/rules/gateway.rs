use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::format::{is_dns1123_subdomain, q};
use super::gateway_class::is_our_class;
use super::{RuleCode, Verdict};
use crate::api::{
    ADDRESS_TYPE_IP, CONTROLLER_NAME, Gateway, GatewayClass, L4_PROTOCOLS, LABEL_GATEWAY_NAME,
    LABEL_GATEWAY_NAMESPACE,
};

/// What is known of the Gateway's class when the rules run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassState {
    /// The class exists and names avigw's controller.
    Ours,
    /// The class exists and belongs to another controller: avigw judges nothing.
    Foreign,
    /// No class of that name is known (yet).
    Missing,
}

impl ClassState {
    /// The state of a Gateway's class, from the class of that name if one exists: the one
    /// place that decides whether a GatewayClass makes its Gateways avigw's.
    pub fn of(class: Option<&GatewayClass>) -> ClassState {
        match class {
            Some(c) if is_our_class(c) => ClassState::Ours,
            Some(_) => ClassState::Foreign,
            None => ClassState::Missing,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct GatewayContext {
    pub class: ClassState,
}

/// Every SPEC §2 rule for a Gateway. `old` is the stored object on update; its
/// `status.addresses` is the VIP Avi assigned. The object is judged as given: callers run
/// [`super::default_gateway`] first, as the apiserver runs the mutating webhook first.
pub fn validate_gateway(old: Option<&Gateway>, new: &Gateway, ctx: &GatewayContext) -> Verdict {
    let mut v = Verdict::default();
    match ctx.class {
        ClassState::Foreign => return v,
        ClassState::Missing => {
            // A class may be created after its Gateways; say so without refusing.
            if old.is_none() {
                let class = &new.spec.gateway_class_name;
                v.warn(
                    RuleCode::GwClassUnknown,
                    "spec.gatewayClassName",
                    format!(
                        "Not found: {}: no GatewayClass of that name exists; the Gateway is stored but not served until a GatewayClass {} with controller {CONTROLLER_NAME} is created",
                        q(class),
                        q(class)
                    ),
                );
            }
            return v;
        }
        ClassState::Ours => {}
    }
    let namespace = new.metadata.namespace.as_deref().unwrap_or_default();
    let name = new.metadata.name.as_deref().unwrap_or_default();
    check_listeners(new, namespace, name, &mut v);
    check_addresses(new, &mut v);
    if let Some(old) = old {
        check_vip_immutable(old, new, &mut v);
    }
    v
}

fn check_listeners(gw: &Gateway, namespace: &str, name: &str, v: &mut Verdict) {
    let mut seen: BTreeMap<(&str, i32), usize> = BTreeMap::new();
    for (i, l) in gw.spec.listeners.iter().enumerate() {
        let path = format!("spec.listeners[{i}]");
        let labels = l.routes.selector.as_ref().map(|s| &s.match_labels);
        for (key, want) in [(LABEL_GATEWAY_NAME, name), (LABEL_GATEWAY_NAMESPACE, namespace)] {
            let field = format!("{path}.routes.selector.matchLabels[{key}]");
            match labels.and_then(|m| m.get(key)) {
                None => v.deny_listener(
                    RuleCode::GwLabelsMissing,
                    i,
                    field,
                    format!(
                        "Required value: listener {i} (port {}) must select its Services with the label {key}: {}",
                        l.port,
                        q(want)
                    ),
                ),
                Some(found) if found != want => v.deny_listener(
                    RuleCode::GwLabelsMismatch,
                    i,
                    field,
                    format!(
                        "Invalid value: {}: listener {i} (port {}) must use {}, the Gateway's own {}",
                        q(found),
                        l.port,
                        q(want),
                        if key == LABEL_GATEWAY_NAME { "name" } else { "namespace" }
                    ),
                ),
                Some(_) => {}
            }
        }
        if !L4_PROTOCOLS.contains(&l.protocol.as_str()) {
            v.deny_listener(
                RuleCode::GwListenerProtocol,
                i,
                format!("{path}.protocol"),
                format!(
                    "Unsupported value: {}: supported values: \"TCP\", \"UDP\", \"SCTP\" (avigw serves Layer 4 only)",
                    q(&l.protocol)
                ),
            );
        }
        match seen.get(&(l.protocol.as_str(), l.port)) {
            Some(first) => v.deny_listener(
                RuleCode::GwListenerDup,
                i,
                path.clone(),
                format!(
                    "Duplicate value: {}/{}: listeners {first} and {i} both use protocol {} and port {}; each (protocol, port) may appear once",
                    l.protocol, l.port, l.protocol, l.port
                ),
            ),
            None => {
                seen.insert((l.protocol.as_str(), l.port), i);
            }
        }
        if let Some(h) = &l.hostname
            && !is_dns1123_subdomain(h)
        {
            v.deny_listener(
                RuleCode::GwHostname,
                i,
                format!("{path}.hostname"),
                format!(
                    "Invalid value: {}: must be a lowercase RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. 'svc.example.com')",
                    q(h)
                ),
            );
        }
    }
}

fn check_addresses(gw: &Gateway, v: &mut Verdict) {
    let addrs = &gw.spec.addresses;
    if addrs.len() > 1 {
        v.deny(
            RuleCode::GwAddrCount,
            "spec.addresses",
            format!(
                "Too many: {}: only a single IPv4 address is supported; keep one entry",
                addrs.len()
            ),
        );
    }
    for (i, a) in addrs.iter().enumerate() {
        let ty = a.type_.as_deref().unwrap_or(ADDRESS_TYPE_IP);
        if ty != ADDRESS_TYPE_IP {
            v.deny(
                RuleCode::GwAddrType,
                format!("spec.addresses[{i}].type"),
                format!("Unsupported value: {}: supported values: \"IPAddress\"", q(ty)),
            );
        } else if a.value.parse::<Ipv4Addr>().is_err() {
            v.deny(
                RuleCode::GwAddrIpv4,
                format!("spec.addresses[{i}].value"),
                format!(
                    "Invalid value: {}: must be a valid IPv4 address such as 10.10.10.11",
                    q(&a.value)
                ),
            );
        }
    }
}

fn check_vip_immutable(old: &Gateway, new: &Gateway, v: &mut Verdict) {
    let Some(vip) = old
        .status
        .as_ref()
        .and_then(|s| s.addresses.first())
        .map(|a| a.value.as_str())
    else {
        return;
    };
    let before: Vec<&str> = old.spec.addresses.iter().map(|a| a.value.as_str()).collect();
    let after: Vec<&str> = new.spec.addresses.iter().map(|a| a.value.as_str()).collect();
    if before == after {
        return;
    }
    let change = match (before.as_slice(), after.as_slice()) {
        ([], [added, ..]) => format!("address {} added", q(added)),
        ([removed, ..], []) => format!("address {} removed", q(removed)),
        _ => format!("changed from [{}] to [{}]", before.join(", "), after.join(", ")),
    };
    v.deny(
        RuleCode::GwVipImmutable,
        "spec.addresses",
        format!(
            "Forbidden: {change} while the VIP {vip} is bound to the Avi virtual service; delete and re-create the Gateway to change it"
        ),
    );
}
