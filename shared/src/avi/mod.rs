//! Typed Avi objects as avigw sends them (SPEC §3, §6): VirtualService, VsVip, Pool and
//! L4PolicySet with the nested types they carry. Field names are the controller's own (as in
//! the recorded traffic); `None` and empty optional lists are left out of the JSON. The types
//! also read the controller's answers: unknown fields are ignored and server-filled
//! bookkeeping (`uuid`, `url`, `_last_modified`) has a place, absent from desired objects.

mod common;
mod l4policyset;
mod pool;
mod refs;
mod virtualservice;
mod vsvip;

pub use common::{IpAddrObj, IpPrefix, IpType};
pub use l4policyset::{
    L4ConnectionPolicy, L4PolicySet, L4Rule, L4RuleAction, L4RuleActionSelectPool, L4RuleMatch,
    L4RulePortMatch, L4RuleProtocolMatch,
};
pub use pool::{PlacementNetwork, Pool, Server};
pub use refs::{RefTarget, kind, name_ref, parse_ref, uuid_ref};
pub use virtualservice::{L4Policies, VirtualService, VsService};
pub use vsvip::{DnsInfo, IpamNetworkSubnet, Vip, VsVip};

use serde::{Deserialize, Serialize};

/// The desired Avi objects of one key (a Gateway or a LoadBalancer Service), in the order they
/// are created (VsVip → Pools → L4PolicySet → VirtualService; deleted in reverse). All empty
/// means the key owns nothing: whatever it had is to be deleted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AviObjects {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vsvip: Option<VsVip>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<Pool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l4policyset: Option<L4PolicySet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtualservice: Option<VirtualService>,
}

impl AviObjects {
    pub fn is_empty(&self) -> bool {
        self.vsvip.is_none()
            && self.pools.is_empty()
            && self.l4policyset.is_none()
            && self.virtualservice.is_none()
    }

    /// Every object's `(kind, name)` in creation order.
    pub fn names(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::with_capacity(3 + self.pools.len());
        if let Some(v) = &self.vsvip {
            out.push((kind::VSVIP, v.name.as_str()));
        }
        out.extend(self.pools.iter().map(|p| (kind::POOL, p.name.as_str())));
        if let Some(l) = &self.l4policyset {
            out.push((kind::L4POLICYSET, l.name.as_str()));
        }
        if let Some(v) = &self.virtualservice {
            out.push((kind::VIRTUALSERVICE, v.name.as_str()));
        }
        out
    }
}
