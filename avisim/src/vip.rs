//! VIP address management for networks with IPAM subnets.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VipError {
    #[error("No available free IPs")]
    NoFreeIps,
    #[error("IP {0} is not in subnet {1} of network {2}")]
    OutsideSubnet(Ipv4Addr, Ipv4Net, String),
    #[error("IP {0} is already in use by {1}")]
    InUse(Ipv4Addr, String),
    #[error("Subnet {0} is not configured on network {1}")]
    UnknownSubnet(Ipv4Net, String),
    #[error("Network {0} has no IPAM subnet configured")]
    NoSubnet(String),
}

#[derive(Debug, Clone, Default)]
struct NetPool {
    name: String,
    subnets: Vec<Ipv4Net>,
    /// Address -> owning VsVip uuid.
    used: BTreeMap<u32, String>,
}

/// One allocation, as written back into the VsVip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation {
    pub addr: Ipv4Addr,
    pub subnet: Ipv4Net,
}

#[derive(Debug, Clone, Default)]
pub struct VipAllocator {
    nets: HashMap<String, NetPool>,
}

/// Usable hosts of a subnet: network and broadcast excluded, except for /31 and /32.
fn host_range(n: &Ipv4Net) -> (u32, u32) {
    let first = u32::from(n.network());
    let last = u32::from(n.broadcast());
    if n.prefix_len() >= 31 {
        (first, last)
    } else {
        (first + 1, last - 1)
    }
}

impl VipAllocator {
    pub fn add_network(&mut self, uuid: &str, name: &str, subnets: Vec<Ipv4Net>) {
        self.nets.insert(
            uuid.to_string(),
            NetPool {
                name: name.to_string(),
                subnets,
                used: BTreeMap::new(),
            },
        );
    }

    pub fn has_network(&self, uuid: &str) -> bool {
        self.nets.contains_key(uuid)
    }

    /// Allocates an address on `net` (optionally within `subnet`), honouring `preferred`.
    pub fn allocate(
        &mut self,
        net: &str,
        subnet: Option<Ipv4Net>,
        preferred: Option<Ipv4Addr>,
        owner: &str,
    ) -> Result<Allocation, VipError> {
        let pool = self
            .nets
            .get_mut(net)
            .ok_or_else(|| VipError::NoSubnet(net.to_string()))?;
        let candidates: Vec<Ipv4Net> = match subnet {
            Some(s) => {
                let s = s.trunc();
                if !pool.subnets.contains(&s) {
                    return Err(VipError::UnknownSubnet(s, pool.name.clone()));
                }
                vec![s]
            }
            None => pool.subnets.clone(),
        };
        if candidates.is_empty() {
            return Err(VipError::NoSubnet(pool.name.clone()));
        }
        if let Some(addr) = preferred {
            let Some(sn) = candidates.iter().find(|s| s.contains(&addr)).copied() else {
                return Err(VipError::OutsideSubnet(addr, candidates[0], pool.name.clone()));
            };
            match pool.used.get(&u32::from(addr)) {
                Some(o) if o != owner => return Err(VipError::InUse(addr, o.clone())),
                _ => {}
            }
            pool.used.insert(u32::from(addr), owner.to_string());
            return Ok(Allocation { addr, subnet: sn });
        }
        for sn in candidates {
            let (lo, hi) = host_range(&sn);
            // Walk the used set in step with the range: the first gap is the answer.
            let mut next = lo;
            for (&a, _) in pool.used.range(lo..=hi) {
                if a != next {
                    break;
                }
                next = a.saturating_add(1);
            }
            if next <= hi && !pool.used.contains_key(&next) {
                pool.used.insert(next, owner.to_string());
                return Ok(Allocation {
                    addr: Ipv4Addr::from(next),
                    subnet: sn,
                });
            }
        }
        Err(VipError::NoFreeIps)
    }

    /// Reserves a static (non-IPAM) VIP when it falls inside a managed subnet so that automatic
    /// allocation never hands it out twice.
    pub fn reserve_static(&mut self, addr: Ipv4Addr, owner: &str) -> Result<(), VipError> {
        for pool in self.nets.values_mut() {
            if pool.subnets.iter().any(|s| s.contains(&addr)) {
                match pool.used.get(&u32::from(addr)) {
                    Some(o) if o != owner => return Err(VipError::InUse(addr, o.clone())),
                    _ => {
                        pool.used.insert(u32::from(addr), owner.to_string());
                    }
                }
            }
        }
        Ok(())
    }

    /// Everything `owner` holds, to restore if a multi-VIP update fails half way.
    pub fn snapshot(&self, owner: &str) -> Vec<(String, u32)> {
        self.nets
            .iter()
            .flat_map(|(id, p)| {
                p.used
                    .iter()
                    .filter(|(_, o)| o.as_str() == owner)
                    .map(move |(a, _)| (id.clone(), *a))
            })
            .collect()
    }

    pub fn restore(&mut self, owner: &str, snap: &[(String, u32)]) {
        self.release_owner(owner);
        for (net, a) in snap {
            if let Some(p) = self.nets.get_mut(net) {
                p.used.insert(*a, owner.to_string());
            }
        }
    }

    pub fn release_owner(&mut self, owner: &str) {
        for p in self.nets.values_mut() {
            p.used.retain(|_, o| o != owner);
        }
    }

    pub fn used_count(&self, net: &str) -> usize {
        self.nets.get(net).map_or(0, |p| p.used.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alloc() -> VipAllocator {
        let mut a = VipAllocator::default();
        a.add_network("network-1", "vip-net", vec!["10.0.0.0/29".parse().unwrap()]);
        a
    }

    #[test]
    fn allocates_in_order_and_exhausts() {
        let mut a = alloc();
        let got: Vec<_> = (0..6)
            .map(|i| {
                a.allocate("network-1", None, None, &format!("v{i}"))
                    .unwrap()
                    .addr
            })
            .collect();
        assert_eq!(got[0], Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(got[5], Ipv4Addr::new(10, 0, 0, 6));
        assert_eq!(
            a.allocate("network-1", None, None, "v7"),
            Err(VipError::NoFreeIps)
        );
        a.release_owner("v2");
        assert_eq!(
            a.allocate("network-1", None, None, "v8").unwrap().addr,
            Ipv4Addr::new(10, 0, 0, 3)
        );
    }

    #[test]
    fn preferred_ip_rules() {
        let mut a = alloc();
        let p = Ipv4Addr::new(10, 0, 0, 5);
        assert_eq!(a.allocate("network-1", None, Some(p), "v1").unwrap().addr, p);
        assert!(matches!(
            a.allocate("network-1", None, Some(p), "v2"),
            Err(VipError::InUse(_, _))
        ));
        // Same owner asking again is idempotent.
        assert!(a.allocate("network-1", None, Some(p), "v1").is_ok());
        assert!(matches!(
            a.allocate("network-1", None, Some(Ipv4Addr::new(10, 9, 0, 1)), "v3"),
            Err(VipError::OutsideSubnet(..))
        ));
        // Auto allocation skips the preferred one.
        for _ in 0..5 {
            assert_ne!(a.allocate("network-1", None, None, "v4").unwrap().addr, p);
        }
    }

    #[test]
    fn snapshot_restore() {
        let mut a = alloc();
        a.allocate("network-1", None, None, "v1").unwrap();
        let snap = a.snapshot("v1");
        a.release_owner("v1");
        assert_eq!(a.used_count("network-1"), 0);
        a.restore("v1", &snap);
        assert_eq!(a.used_count("network-1"), 1);
    }

    #[test]
    fn unknown_subnet_rejected() {
        let mut a = alloc();
        assert!(matches!(
            a.allocate("network-1", Some("10.1.0.0/24".parse().unwrap()), None, "v"),
            Err(VipError::UnknownSubnet(..))
        ));
        assert!(a.reserve_static(Ipv4Addr::new(192, 168, 1, 1), "v").is_ok());
    }
}
