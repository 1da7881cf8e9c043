//! Avi object names, ownership and FQDNs (SPEC §3). Every name starts with `<clusterName>--`, and
//! this module is the only place that spells the formulas out.

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

/// An Avi marker: `{key, values[]}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Marker {
    pub key: String,
    pub values: Vec<String>,
}

impl Marker {
    fn new(key: &str, value: impl Into<String>) -> Self {
        Marker {
            key: key.to_owned(),
            values: vec![value.into()],
        }
    }
}

/// Markers of a Gateway's VirtualService and L4PolicySet.
pub fn gateway_markers(cluster: &ClusterName, gw_namespace: &str, gw_name: &str) -> Vec<Marker> {
    vec![
        Marker::new("clustername", cluster.as_str()),
        Marker::new("Namespace", gw_namespace),
        Marker::new("GatewayName", gw_name),
    ]
}

/// Markers of a Gateway listener's Pool: the Gateway's plus ServiceName, Port, Protocol.
pub fn gateway_pool_markers(
    cluster: &ClusterName,
    gw_namespace: &str,
    gw_name: &str,
    svc_name: &str,
    port: i32,
    protocol: &str,
) -> Vec<Marker> {
    let mut m = gateway_markers(cluster, gw_namespace, gw_name);
    m.push(Marker::new("ServiceName", svc_name));
    m.push(Marker::new("Port", port.to_string()));
    m.push(Marker::new("Protocol", protocol));
    m
}

/// Markers of a LoadBalancer Service's VirtualService and L4PolicySet.
pub fn service_markers(cluster: &ClusterName, namespace: &str, svc_name: &str) -> Vec<Marker> {
    vec![
        Marker::new("clustername", cluster.as_str()),
        Marker::new("Namespace", namespace),
        Marker::new("ServiceName", svc_name),
    ]
}

/// Markers of a LoadBalancer Service port's Pool: the Service's plus Port.
pub fn service_pool_markers(
    cluster: &ClusterName,
    namespace: &str,
    svc_name: &str,
    port: i32,
) -> Vec<Marker> {
    let mut m = service_markers(cluster, namespace, svc_name);
    m.push(Marker::new("Port", port.to_string()));
    m
}

/// Markers of a VsVip (it has no `created_by`, so this marks ownership).
pub fn vsvip_markers(cluster: &ClusterName) -> Vec<Marker> {
    vec![Marker::new("clustername", cluster.as_str())]
}

/// How FQDNs are made for Services without an explicit hostname (`--auto-fqdn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AutoFqdn {
    /// `<svc>.<ns>.<domain>`
    #[default]
    Default,
    /// `<svc>-<ns>.<domain>`, the first label cut to 63 characters.
    Flat,
    /// No FQDN.
    Disabled,
}

impl AutoFqdn {
    pub const VALUES: [&'static str; 3] = ["default", "flat", "disabled"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "default" => Some(AutoFqdn::Default),
            "flat" => Some(AutoFqdn::Flat),
            "disabled" => Some(AutoFqdn::Disabled),
            _ => None,
        }
    }
}

/// The automatic FQDN of a Service (`<ns>` is the Service's own namespace), or `None` when
/// disabled or no domain is known. Labels are made RFC 1035-safe: lowercase, `.` and `_` become
/// `-`, and each label is at most 63 characters without a trailing `-`.
pub fn auto_fqdn(mode: AutoFqdn, svc_name: &str, namespace: &str, domain: Option<&str>) -> Option<String> {
    let domain = domain.map(|d| d.trim_matches('.')).filter(|d| !d.is_empty())?;
    match mode {
        AutoFqdn::Disabled => None,
        AutoFqdn::Default => Some(format!(
            "{}.{}.{domain}",
            dns_label(svc_name, MAX_DNS_LABEL_LEN),
            dns_label(namespace, MAX_DNS_LABEL_LEN)
        )),
        AutoFqdn::Flat => Some(format!("{}.{domain}", flat_label(svc_name, namespace))),
    }
}

/// `<svc>-<ns>` within 63 characters: the Service name is cut first so the namespace survives,
/// then the namespace if it alone is too long; trailing `-` removed.
pub fn flat_label(svc_name: &str, namespace: &str) -> String {
    let svc = dns_label(svc_name, MAX_DNS_LABEL_LEN);
    let ns = dns_label(namespace, MAX_DNS_LABEL_LEN);
    if svc.len() + 1 + ns.len() <= MAX_DNS_LABEL_LEN {
        return format!("{svc}-{ns}");
    }
    // Keep at least one character of the Service name and the joining '-'.
    let ns_budget = MAX_DNS_LABEL_LEN - 2;
    let ns_cut = trim_label(&ns[..ns.len().min(ns_budget)]);
    let svc_budget = MAX_DNS_LABEL_LEN - 1 - ns_cut.len();
    let svc_cut = trim_label(&svc[..svc.len().min(svc_budget)]);
    if svc_cut.is_empty() {
        ns_cut.to_owned()
    } else {
        format!("{svc_cut}-{ns_cut}")
    }
}

/// One RFC 1035-safe DNS label from a Kubernetes name: lowercase, characters outside
/// `[a-z0-9-]` become `-`, cut to `max` characters, no leading or trailing `-`.
pub fn dns_label(name: &str, max: usize) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let start = mapped.trim_start_matches('-');
    trim_label(&start[..start.len().min(max)]).to_owned()
}

fn trim_label(label: &str) -> &str {
    label.trim_end_matches('-')
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

    #[test]
    fn markers() {
        let c = cluster();
        let m = gateway_pool_markers(&c, "blue", "gw", "svc", 80, "TCP");
        let keys: Vec<_> = m.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "clustername",
                "Namespace",
                "GatewayName",
                "ServiceName",
                "Port",
                "Protocol"
            ]
        );
        assert_eq!(m[4].values, ["80"]);
        let m = service_pool_markers(&c, "red", "lb", 53);
        let keys: Vec<_> = m.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["clustername", "Namespace", "ServiceName", "Port"]);
        assert_eq!(vsvip_markers(&c)[0].values, ["prod-1"]);
    }

    #[test]
    fn fqdn_modes() {
        let d = Some("avi.example.com");
        assert_eq!(
            auto_fqdn(AutoFqdn::Default, "web", "blue", d).as_deref(),
            Some("web.blue.avi.example.com")
        );
        assert_eq!(
            auto_fqdn(AutoFqdn::Flat, "web", "blue", d).as_deref(),
            Some("web-blue.avi.example.com")
        );
        assert_eq!(auto_fqdn(AutoFqdn::Disabled, "web", "blue", d), None);
        assert_eq!(auto_fqdn(AutoFqdn::Default, "web", "blue", None), None);
        assert_eq!(auto_fqdn(AutoFqdn::Default, "web", "blue", Some(".")), None);
        assert_eq!(
            auto_fqdn(AutoFqdn::Default, "web", "blue", Some("x.io.")).as_deref(),
            Some("web.blue.x.io")
        );
    }

    #[test]
    fn flat_cuts_service_name_first() {
        let svc = "s".repeat(50);
        let ns = "n".repeat(20);
        let label = flat_label(&svc, &ns);
        assert_eq!(label.len(), 63);
        assert!(label.ends_with(&format!("-{ns}")));
        assert_eq!(label, format!("{}-{ns}", "s".repeat(42)));
    }

    #[test]
    fn flat_cuts_namespace_when_needed_and_trims_dashes() {
        let label = flat_label("svc", &"n".repeat(63));
        assert_eq!(label.len(), 63);
        assert_eq!(label, format!("s-{}", "n".repeat(61)));
        // A cut that lands on '-' leaves no trailing dash.
        let svc = format!("{}-{}", "a".repeat(40), "b".repeat(20));
        let label = flat_label(&svc, &"n".repeat(22));
        assert!(label.len() <= 63);
        assert!(!label.contains("--"), "{label}");
        assert!(label.ends_with(&"n".repeat(22)));
    }

    #[test]
    fn dns_label_fixes() {
        assert_eq!(dns_label("My_Svc.v1", 63), "my-svc-v1");
        assert_eq!(dns_label("-lead", 63), "lead");
        assert_eq!(dns_label("abc-", 3), "abc");
        assert_eq!(dns_label("ab-c", 3), "ab");
    }
}
