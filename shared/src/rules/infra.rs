use ipnet::{Ipv4Net, Ipv6Net};

use super::format::q;
use super::{RuleCode, Verdict};
use crate::api::AviInfraSetting;

/// AIS-RHI, AIS-CIDR and AIS-NETWORK-REF.
pub fn validate_infra_setting(ais: &AviInfraSetting) -> Verdict {
    let mut v = Verdict::default();
    let Some(net) = &ais.spec.network else {
        return v;
    };
    if !net.bgp_peer_labels.is_empty() && net.enable_rhi != Some(true) {
        let found = match net.enable_rhi {
            Some(b) => b.to_string(),
            None => "unset".to_owned(),
        };
        v.deny(
            RuleCode::AisRhi,
            "spec.network.bgpPeerLabels",
            format!("Forbidden: BGP peer labels apply only with route health injection; set spec.network.enableRhi: true (found {found}) or remove the labels"),
        );
    }
    for (i, n) in net.vip_networks.iter().enumerate() {
        let path = format!("spec.network.vipNetworks[{i}]");
        let label = network_label(n.network_name.as_deref(), n.network_uuid.as_deref());
        if n.network_name.as_deref().unwrap_or("").is_empty()
            && n.network_uuid.as_deref().unwrap_or("").is_empty()
        {
            v.deny(
                RuleCode::AisNetworkRef,
                path.clone(),
                format!("Required value: vipNetworks entry {i} must set networkName or networkUUID"),
            );
        }
        if let Some(c) = &n.cidr
            && c.parse::<Ipv4Net>().is_err()
        {
            v.deny(
                RuleCode::AisCidr,
                format!("{path}.cidr"),
                format!(
                    "Invalid value: {}: network {label}: must be an IPv4 CIDR such as 10.10.10.0/24",
                    q(c)
                ),
            );
        }
        if let Some(c) = &n.v6cidr
            && c.parse::<Ipv6Net>().is_err()
        {
            v.deny(
                RuleCode::AisCidr,
                format!("{path}.v6cidr"),
                format!(
                    "Invalid value: {}: network {label}: must be an IPv6 CIDR such as 2001:db8::/64",
                    q(c)
                ),
            );
        }
    }
    for (i, n) in net.node_networks.iter().enumerate() {
        let path = format!("spec.network.nodeNetworks[{i}]");
        let label = network_label(n.network_name.as_deref(), n.network_uuid.as_deref());
        if n.network_name.as_deref().unwrap_or("").is_empty()
            && n.network_uuid.as_deref().unwrap_or("").is_empty()
        {
            v.deny(
                RuleCode::AisNetworkRef,
                path.clone(),
                format!("Required value: nodeNetworks entry {i} must set networkName or networkUUID"),
            );
        }
        for (j, c) in n.cidrs.iter().enumerate() {
            if c.parse::<ipnet::IpNet>().is_err() {
                v.deny(
                    RuleCode::AisCidr,
                    format!("{path}.cidrs[{j}]"),
                    format!(
                        "Invalid value: {}: network {label}: must be a CIDR such as 10.10.10.0/24",
                        q(c)
                    ),
                );
            }
        }
    }
    v
}

fn network_label(name: Option<&str>, uuid: Option<&str>) -> String {
    match (name, uuid) {
        (Some(n), _) if !n.is_empty() => q(n),
        (_, Some(u)) if !u.is_empty() => q(u),
        _ => "(unnamed)".to_owned(),
    }
}
