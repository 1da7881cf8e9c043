//! Assembles the four Avi objects of a key from a protocol-neutral description, shared by the
//! Gateway and the LoadBalancer Service translations; its VsVip and Pool builders serve the
//! Ingress translation too.

use std::net::IpAddr;

use super::context::Context;
use super::placement::Placement;
use super::proto::Proto;
use crate::avi::{
    AviObjects, DnsInfo, L4ConnectionPolicy, L4Policies, L4PolicySet, L4Rule, L4RuleAction,
    L4RuleActionSelectPool, L4RuleMatch, L4RulePortMatch, L4RuleProtocolMatch, Pool, Server, Vip,
    VirtualService, VsService, VsVip, kind, name_ref,
};
use crate::naming::{Marker, vsvip_markers};

pub(crate) const APPLICATION_PROFILE: &str = "System-L4-Application";

/// One listening port of the virtual service.
pub(crate) struct PortEntry {
    pub port: i32,
    pub proto: Proto,
}

pub(crate) struct PoolSpec {
    pub name: String,
    pub proto: Proto,
    pub port: i32,
    pub servers: Vec<Server>,
    pub markers: Vec<Marker>,
}

pub(crate) struct VsSpec<'a> {
    /// Name of the VirtualService, VsVip and L4PolicySet.
    pub name: String,
    pub markers: Vec<Marker>,
    pub entries: Vec<PortEntry>,
    pub pools: Vec<PoolSpec>,
    pub placement: &'a Placement,
    pub preferred_vip: Option<IpAddr>,
    pub fqdns: Vec<String>,
}

pub(crate) fn build(ctx: &Context, spec: VsSpec<'_>) -> AviObjects {
    let p = spec.placement;
    let vsvip = vsvip(ctx, &spec.name, p, spec.preferred_vip, spec.fqdns);
    let rules: Vec<L4Rule> = spec
        .pools
        .iter()
        .enumerate()
        .map(|(i, pool)| L4Rule {
            name: pool.name.clone(),
            index: u32::try_from(i).unwrap_or(u32::MAX),
            enable: true,
            match_: Some(L4RuleMatch {
                port: Some(L4RulePortMatch {
                    match_criteria: "IS_IN".to_owned(),
                    ports: vec![pool.port],
                }),
                protocol: Some(L4RuleProtocolMatch {
                    match_criteria: "IS_IN".to_owned(),
                    protocol: pool.proto.avi_protocol().to_owned(),
                }),
            }),
            action: Some(L4RuleAction {
                select_pool: Some(L4RuleActionSelectPool {
                    action_type: "L4_RULE_ACTION_SELECT_POOL".to_owned(),
                    pool_ref: Some(name_ref(kind::POOL, &pool.name)),
                }),
            }),
        })
        .collect();
    let l4policyset = (!rules.is_empty()).then(|| L4PolicySet {
        name: spec.name.clone(),
        tenant_ref: Some(ctx.tenant_ref.clone()),
        l4_connection_policy: L4ConnectionPolicy { rules },
        created_by: Some(ctx.created_by.clone()),
        markers: spec.markers.clone(),
        uuid: None,
        url: None,
        last_modified: None,
    });
    let pools: Vec<Pool> = spec
        .pools
        .into_iter()
        .map(|pool| {
            build_pool(
                ctx,
                pool.name,
                pool.servers,
                pool.proto.health_monitor(),
                p,
                pool.markers,
            )
        })
        .collect();
    // The VS's profile is that of its "first" protocol (TCP, then UDP, then SCTP); ports of
    // another protocol override it (SPEC §3, mixed protocols).
    let main = [Proto::Tcp, Proto::Udp, Proto::Sctp]
        .into_iter()
        .find(|p| spec.entries.iter().any(|e| e.proto == *p));
    let tier = ctx.license_tier;
    let services = spec
        .entries
        .iter()
        .map(|e| VsService {
            port: e.port,
            port_range_end: Some(e.port),
            enable_ssl: None,
            override_network_profile_ref: (Some(e.proto) != main)
                .then(|| name_ref(kind::NETWORK_PROFILE, e.proto.network_profile(tier))),
        })
        .collect();
    let virtualservice = VirtualService {
        name: spec.name.clone(),
        type_: None,
        tenant_ref: Some(ctx.tenant_ref.clone()),
        cloud_ref: Some(ctx.cloud_ref.clone()),
        se_group_ref: Some(p.se_group_ref.clone()),
        vrf_context_ref: Some(ctx.vrf_ref.clone()),
        vh_parent_vs_ref: None,
        vh_domain_name: Vec::new(),
        vsvip_ref: Some(name_ref(kind::VSVIP, &spec.name)),
        application_profile_ref: Some(name_ref(kind::APPLICATION_PROFILE, APPLICATION_PROFILE)),
        network_profile_ref: main.map(|m| name_ref(kind::NETWORK_PROFILE, m.network_profile(tier))),
        ssl_profile_ref: None,
        ssl_key_and_certificate_refs: Vec::new(),
        services,
        l4_policies: l4policyset
            .as_ref()
            .map(|l| {
                vec![L4Policies {
                    index: 0,
                    l4_policy_set_ref: name_ref(kind::L4POLICYSET, &l.name),
                }]
            })
            .unwrap_or_default(),
        vs_datascripts: Vec::new(),
        http_policies: Vec::new(),
        enable_rhi: p.rhi.then_some(true),
        created_by: Some(ctx.created_by.clone()),
        markers: spec.markers,
        uuid: None,
        url: None,
        last_modified: None,
    };
    AviObjects {
        vsvip: Some(vsvip),
        pools,
        l4policyset,
        virtualservice: Some(virtualservice),
        ..AviObjects::default()
    }
}

/// A VsVip (SPEC §3): one auto-allocated VIP (the preferred address when given) on the
/// placement's VIP network, the DNS names, BGP labels when RHI.
pub(crate) fn vsvip(
    ctx: &Context,
    name: &str,
    p: &Placement,
    preferred_vip: Option<IpAddr>,
    fqdns: Vec<String>,
) -> VsVip {
    VsVip {
        name: name.to_owned(),
        tenant_ref: Some(ctx.tenant_ref.clone()),
        cloud_ref: Some(ctx.cloud_ref.clone()),
        vrf_context_ref: Some(ctx.vrf_ref.clone()),
        vip: vec![Vip {
            vip_id: "0".to_owned(),
            auto_allocate_ip: Some(true),
            auto_allocate_floating_ip: p.public_ip.then_some(true),
            ip_address: preferred_vip.map(Into::into),
            ipam_network_subnet: p.vip_network.clone(),
        }],
        dns_info: fqdns.into_iter().map(|fqdn| DnsInfo { fqdn }).collect(),
        bgp_peer_labels: p.bgp_peer_labels.clone(),
        markers: vsvip_markers(&ctx.cluster),
        uuid: None,
        url: None,
        last_modified: None,
    }
}

/// A Pool (SPEC §3): the servers, one health monitor, the placement's node networks.
pub(crate) fn build_pool(
    ctx: &Context,
    name: String,
    servers: Vec<Server>,
    health_monitor: &str,
    p: &Placement,
    markers: Vec<Marker>,
) -> Pool {
    Pool {
        name,
        tenant_ref: Some(ctx.tenant_ref.clone()),
        cloud_ref: Some(ctx.cloud_ref.clone()),
        vrf_ref: Some(ctx.vrf_ref.clone()),
        servers,
        health_monitor_refs: vec![name_ref(kind::HEALTH_MONITOR, health_monitor)],
        placement_networks: p.node_networks.clone(),
        created_by: Some(ctx.created_by.clone()),
        markers,
        uuid: None,
        url: None,
        last_modified: None,
    }
}
