//! Where a key's objects go: SE group, VIP network, node networks and RHI, from an
//! `Accepted` AviInfraSetting or else the global config (SPEC §3). Never changes names.

use super::context::Context;
use super::snapshot::Snapshot;
use crate::api::{AviInfraSetting, NodeNetwork, VipNetwork};
use crate::avi::{IpPrefix, IpamNetworkSubnet, PlacementNetwork, kind, name_ref, uuid_ref};

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Placement {
    pub se_group_ref: String,
    pub vip_network: Option<IpamNetworkSubnet>,
    pub node_networks: Vec<PlacementNetwork>,
    pub rhi: bool,
    pub bgp_peer_labels: Vec<String>,
    pub public_ip: bool,
}

impl Placement {
    fn global(ctx: &Context) -> Self {
        Placement {
            se_group_ref: ctx.se_group_ref.clone(),
            vip_network: ctx.global_vip.clone(),
            node_networks: ctx.global_nodes.clone(),
            rhi: false,
            bgp_peer_labels: Vec::new(),
            public_ip: false,
        }
    }
}

/// The placement for a key that names `setting` (through its class or annotation), and a
/// note when the setting is named but cannot apply.
pub(crate) fn resolve(ctx: &Context, snap: &Snapshot, setting: Option<&str>) -> (Placement, Option<String>) {
    let Some(name) = setting else {
        return (Placement::global(ctx), None);
    };
    let Some(ais) = snap.settings.get(name) else {
        return (
            Placement::global(ctx),
            Some(format!(
                "AviInfraSetting {name:?} not found; global settings apply"
            )),
        );
    };
    if !ais.is_accepted() {
        let st = ais.status.as_ref();
        let state = st.and_then(|s| s.status.as_deref()).unwrap_or("no status yet");
        let err = st
            .and_then(|s| s.error.as_deref())
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        return (
            Placement::global(ctx),
            Some(format!(
                "AviInfraSetting {name:?} is not Accepted ({state}{err}); global settings apply"
            )),
        );
    }
    (from_setting(ctx, ais), None)
}

fn from_setting(ctx: &Context, ais: &AviInfraSetting) -> Placement {
    let mut p = Placement::global(ctx);
    if let Some(se) = ais.spec.se_group.as_ref().filter(|s| !s.name.is_empty()) {
        p.se_group_ref = name_ref(kind::SE_GROUP, &se.name);
    }
    if let Some(net) = &ais.spec.network {
        if let Some(v) = net.vip_networks.first() {
            p.vip_network = Some(vip_subnet(v));
        }
        if !net.node_networks.is_empty() {
            p.node_networks = net.node_networks.iter().flat_map(node_placements).collect();
        }
        p.rhi = net.enable_rhi == Some(true);
        if p.rhi {
            p.bgp_peer_labels = net.bgp_peer_labels.clone();
        }
        p.public_ip = net.enable_public_ip == Some(true);
    }
    p
}

fn network_ref(name: Option<&str>, uuid: Option<&str>) -> Option<String> {
    match (name.filter(|n| !n.is_empty()), uuid.filter(|u| !u.is_empty())) {
        (Some(n), _) => Some(name_ref(kind::NETWORK, n)),
        (None, Some(u)) => Some(uuid_ref(kind::NETWORK, u)),
        (None, None) => None,
    }
}

fn vip_subnet(v: &VipNetwork) -> IpamNetworkSubnet {
    let parse = |c: Option<&String>| c.and_then(|c| c.parse::<ipnet::IpNet>().ok()).map(IpPrefix::from);
    IpamNetworkSubnet {
        network_ref: network_ref(v.network_name.as_deref(), v.network_uuid.as_deref()),
        subnet: parse(v.cidr.as_ref()),
        subnet6: parse(v.v6cidr.as_ref()),
    }
}

fn node_placements(n: &NodeNetwork) -> Vec<PlacementNetwork> {
    let Some(network_ref) = network_ref(n.network_name.as_deref(), n.network_uuid.as_deref()) else {
        return Vec::new();
    };
    n.cidrs
        .iter()
        .filter_map(|c| c.parse::<ipnet::IpNet>().ok())
        .map(|c| PlacementNetwork {
            network_ref: network_ref.clone(),
            subnet: c.into(),
        })
        .collect()
}
