//! Avi object names, ownership and FQDNs (SPEC §3, SPEC-ingress §3). Every name starts with
//! `<clusterName>--`, and this module is the only place that spells the formulas out:
//! [`ClusterName`] holds the name formulas (the Ingress ones in `ingress`, with the shard
//! function), [`markers`] the marker keys, the marker sets of each object and their inverse,
//! [`fqdn`] the DNS
//! names.

mod fqdn;
mod ingress;
mod markers;

pub use fqdn::{AutoFqdn, auto_fqdn, dns_label, flat_label};
pub use ingress::{fnv1a32, path_part, policy_rule_name, priority_label, shard_of};
pub use markers::{
    MarkedObject, Marker, MarkerKey, gateway_markers, gateway_pool_markers, l7_certificate_markers,
    l7_host_markers, l7_paths_markers, l7_pool_markers, marker_value, service_markers, service_pool_markers,
    vsvip_markers,
};

use std::fmt;

/// Avi rejects names longer than this; a longer name is reported on status, never sent.
pub const MAX_AVI_NAME_LEN: usize = 255;
/// Longest DNS label (RFC 1035).
pub const MAX_DNS_LABEL_LEN: usize = 63;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NamingError {
    #[error(
        "clusterName: Invalid value: {0:?}: must be 1 to 32 characters of letters, digits, '_' or '-' (^[a-zA-Z0-9_-]{{1,32}}$)"
    )]
    InvalidClusterName(String),
    #[error(
        "Avi name {name:?} is {len} characters long, over Avi's limit of {MAX_AVI_NAME_LEN}; shorten the Kubernetes object names it is built from"
    )]
    NameTooLong { name: String, len: usize },
}

/// A validated `clusterName`: the prefix of every Avi name and the `created_by` owner tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClusterName(String);

impl ClusterName {
    pub fn new(name: &str) -> Result<Self, NamingError> {
        let ok = (1..=32).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(ClusterName(name.to_owned()))
        } else {
            Err(NamingError::InvalidClusterName(name.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `created_by` on every Avi object type that has the field.
    pub fn created_by(&self) -> String {
        format!("avigw-{}", self.0)
    }

    /// The prefix every owned name starts with.
    pub fn prefix(&self) -> String {
        format!("{}--", self.0)
    }

    /// VirtualService, VsVip and L4PolicySet of a Gateway: `<cluster>--<gwNs>-<gwName>`.
    pub fn gateway_vs(&self, gw_namespace: &str, gw_name: &str) -> String {
        format!("{}--{gw_namespace}-{gw_name}", self.0)
    }

    /// Pool of a Gateway listener: `<cluster>--<gwNs>-<svc>-<gwName>-<PROTO>-<port>`.
    pub fn gateway_pool(
        &self,
        gw_namespace: &str,
        svc_name: &str,
        gw_name: &str,
        protocol: &str,
        port: i32,
    ) -> String {
        format!(
            "{}--{gw_namespace}-{svc_name}-{gw_name}-{protocol}-{port}",
            self.0
        )
    }

    /// VirtualService, VsVip and L4PolicySet of a LoadBalancer Service: `<cluster>--<ns>-<svc>`.
    pub fn service_vs(&self, namespace: &str, svc_name: &str) -> String {
        format!("{}--{namespace}-{svc_name}", self.0)
    }

    /// Pool of a LoadBalancer Service port: `<cluster>--<ns>-<svc>-<PROTO>-<port>`.
    pub fn service_pool(&self, namespace: &str, svc_name: &str, protocol: &str, port: i32) -> String {
        format!("{}--{namespace}-{svc_name}-{protocol}-{port}", self.0)
    }

    /// Whether an Avi object name belongs to this cluster (used for VsVips, which have no
    /// `created_by`).
    pub fn owns_name(&self, name: &str) -> bool {
        name.len() > self.0.len() + 2 && name.starts_with(&self.0) && name[self.0.len()..].starts_with("--")
    }
}

impl fmt::Display for ClusterName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Refuses a name Avi would refuse, before any call is made.
pub fn check_avi_name(name: &str) -> Result<(), NamingError> {
    if name.len() > MAX_AVI_NAME_LEN {
        Err(NamingError::NameTooLong {
            name: name.to_owned(),
            len: name.len(),
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster() -> ClusterName {
        ClusterName::new("prod-1").unwrap()
    }

    #[test]
    fn cluster_name_validation() {
        assert!(ClusterName::new("a").is_ok());
        assert!(ClusterName::new("Prod_cluster-01").is_ok());
        assert!(ClusterName::new(&"x".repeat(32)).is_ok());
        for bad in ["", "has space", "dot.ted", "slash/", &"x".repeat(33)] {
            let err = ClusterName::new(bad).unwrap_err();
            assert!(
                err.to_string().starts_with("clusterName: Invalid value: "),
                "{err}"
            );
        }
        assert_eq!(
            ClusterName::new("a.b").unwrap_err().to_string(),
            "clusterName: Invalid value: \"a.b\": must be 1 to 32 characters of letters, digits, '_' or '-' (^[a-zA-Z0-9_-]{1,32}$)"
        );
    }

    #[test]
    fn name_table() {
        let c = cluster();
        assert_eq!(c.created_by(), "avigw-prod-1");
        assert_eq!(c.gateway_vs("blue", "my-gateway"), "prod-1--blue-my-gateway");
        assert_eq!(
            c.gateway_pool("blue", "avisvc", "my-gateway", "TCP", 8081),
            "prod-1--blue-avisvc-my-gateway-TCP-8081"
        );
        assert_eq!(c.service_vs("red", "lb"), "prod-1--red-lb");
        assert_eq!(c.service_pool("red", "lb", "UDP", 53), "prod-1--red-lb-UDP-53");
        assert!(c.owns_name("prod-1--red-lb"));
        assert!(!c.owns_name("prod-1-red-lb"));
        assert!(!c.owns_name("prod-10--red-lb"));
        assert!(!c.owns_name("prod-1--"));
    }

    #[test]
    fn long_names_are_errors() {
        assert!(check_avi_name(&"a".repeat(255)).is_ok());
        let err = check_avi_name(&"a".repeat(256)).unwrap_err();
        assert!(
            err.to_string()
                .contains("256 characters long, over Avi's limit of 255")
        );
    }
}
