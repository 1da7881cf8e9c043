//! Everything translation needs besides the cluster: the validated config and what the Avi
//! controller says about itself, with the global refs formatted once.

use crate::avi::{IpamNetworkSubnet, PlacementNetwork, kind, name_ref};
use crate::config::{Config, LabelPair, LicenseTier, NetworkSetting, Scope, ServiceType};
use crate::naming::{AutoFqdn, ClusterName};

/// Facts learnt from the controller (or assumed offline by `plan`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ControllerFacts {
    /// The controller's license tier; `None` offline (ENTERPRISE is assumed, SPEC §7).
    pub license_tier: Option<LicenseTier>,
    /// The DNS domain of the cloud's DNS profile.
    pub dns_domain: Option<String>,
}

/// The translation context: config plus facts, refs pre-formatted.
#[derive(Debug, Clone)]
pub struct Context {
    pub cluster: ClusterName,
    pub created_by: String,
    pub license_tier: LicenseTier,
    /// `--default-domain`, else the cloud's.
    pub domain: Option<String>,
    pub auto_fqdn: AutoFqdn,
    pub service_type: ServiceType,
    pub node_selector: Option<LabelPair>,
    /// Which objects are ours and how the admission rules judge them.
    pub scope: Scope,
    pub services_api: bool,
    pub tenant: String,
    pub cloud: String,
    pub vrf: String,
    pub se_group: String,
    pub(crate) tenant_ref: String,
    pub(crate) cloud_ref: String,
    pub(crate) vrf_ref: String,
    pub(crate) se_group_ref: String,
    pub(crate) global_vip: Option<IpamNetworkSubnet>,
    pub(crate) global_nodes: Vec<PlacementNetwork>,
}

impl Context {
    pub fn new(config: &Config, facts: &ControllerFacts) -> Self {
        let license_tier = config.license_tier.or(facts.license_tier).unwrap_or_default();
        let domain = config
            .scope
            .default_domain
            .clone()
            .or_else(|| {
                facts
                    .dns_domain
                    .as_ref()
                    .map(|d| d.trim_end_matches('.').to_owned())
            })
            .filter(|d| !d.is_empty());
        Context {
            cluster: config.cluster_name.clone(),
            created_by: config.cluster_name.created_by(),
            license_tier,
            domain,
            auto_fqdn: config.auto_fqdn,
            service_type: config.service_type,
            node_selector: config.node_selector.clone(),
            scope: config.scope.clone(),
            services_api: config.services_api,
            tenant: config.tenant.clone(),
            cloud: config.cloud.clone(),
            vrf: config.vrf.clone(),
            se_group: config.se_group.clone(),
            tenant_ref: name_ref(kind::TENANT, &config.tenant),
            cloud_ref: name_ref(kind::CLOUD, &config.cloud),
            vrf_ref: name_ref(kind::VRFCONTEXT, &config.vrf),
            se_group_ref: name_ref(kind::SE_GROUP, &config.se_group),
            global_vip: config.vip_networks.first().map(global_vip_subnet),
            global_nodes: config.node_networks.iter().filter_map(global_placement).collect(),
        }
    }
}

fn global_vip_subnet(n: &NetworkSetting) -> IpamNetworkSubnet {
    let (subnet, subnet6) = match n.cidr {
        Some(c @ ipnet::IpNet::V4(_)) => (Some(c.into()), None),
        Some(c @ ipnet::IpNet::V6(_)) => (None, Some(c.into())),
        None => (None, None),
    };
    IpamNetworkSubnet {
        network_ref: Some(name_ref(kind::NETWORK, &n.name)),
        subnet,
        subnet6,
    }
}

fn global_placement(n: &NetworkSetting) -> Option<PlacementNetwork> {
    Some(PlacementNetwork {
        network_ref: name_ref(kind::NETWORK, &n.name),
        subnet: n.cidr?.into(),
    })
}
