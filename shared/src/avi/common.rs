use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Avi's `IpAddr`: `{addr, type}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IpAddrObj {
    pub addr: String,
    #[serde(rename = "type")]
    pub type_: IpType,
}

impl From<IpAddr> for IpAddrObj {
    fn from(ip: IpAddr) -> Self {
        let type_ = if ip.is_ipv4() { IpType::V4 } else { IpType::V6 };
        IpAddrObj {
            addr: ip.to_string(),
            type_,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IpType {
    V4,
    V6,
    /// Avi also knows `DNS`; read, never written.
    #[serde(other)]
    Other,
}

/// Avi's `IpAddrPrefix`: `{ip_addr, mask}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpPrefix {
    pub ip_addr: IpAddrObj,
    pub mask: u8,
}

impl From<ipnet::IpNet> for IpPrefix {
    fn from(net: ipnet::IpNet) -> Self {
        IpPrefix {
            ip_addr: net.network().into(),
            mask: net.prefix_len(),
        }
    }
}
