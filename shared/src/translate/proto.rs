//! The three L4 protocols and what each maps to on Avi.

use std::fmt;

use crate::config::LicenseTier;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proto {
    Tcp,
    Udp,
    Sctp,
}

impl Proto {
    /// A Kubernetes protocol name; `None` for anything but TCP, UDP and SCTP.
    pub fn parse(s: &str) -> Option<Proto> {
        match s {
            "TCP" => Some(Proto::Tcp),
            "UDP" => Some(Proto::Udp),
            "SCTP" => Some(Proto::Sctp),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "TCP",
            Proto::Udp => "UDP",
            Proto::Sctp => "SCTP",
        }
    }

    /// The L4PolicySet rule's protocol match value.
    pub fn avi_protocol(self) -> &'static str {
        match self {
            Proto::Tcp => "PROTOCOL_TCP",
            Proto::Udp => "PROTOCOL_UDP",
            Proto::Sctp => "PROTOCOL_SCTP",
        }
    }

    pub fn health_monitor(self) -> &'static str {
        match self {
            Proto::Tcp => "System-TCP",
            Proto::Udp => "System-UDP",
            Proto::Sctp => "System-SCTP",
        }
    }

    /// The network profile for this protocol; TCP's depends on the license tier (the full
    /// proxy needs ENTERPRISE).
    pub fn network_profile(self, tier: LicenseTier) -> &'static str {
        match self {
            Proto::Tcp if tier.is_enterprise() => "System-TCP-Proxy",
            Proto::Tcp => "System-TCP-Fast-Path",
            Proto::Udp => "System-UDP-Fast-Path",
            Proto::Sctp => "System-SCTP-Proxy",
        }
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
