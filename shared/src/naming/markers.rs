//! Avi markers (`[{key, values[]}]`): how each object says which Kubernetes object it serves.

use super::ClusterName;

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

/// Marker keys of the Ingress objects (SPEC-ingress §4.6), besides `clustername`, `Namespace`
/// and `ServiceName`.
pub const MARKER_HOST: &str = "Host";
pub const MARKER_INFRASETTING_NAME: &str = "InfrasettingName";
pub const MARKER_PATH: &str = "Path";
pub const MARKER_INGRESS_NAME: &str = "IngressName";

impl Marker {
    /// A marker whose values are sorted, repeated and empty ones dropped; `None` when nothing
    /// is left (SPEC-ingress §4.6 omits empty markers).
    fn values<'a>(key: &str, values: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let mut v: Vec<String> = values
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        v.sort_unstable();
        v.dedup();
        (!v.is_empty()).then(|| Marker {
            key: key.to_owned(),
            values: v,
        })
    }
}

/// Markers of a host's own virtual service (SNI child, DEDICATED VS) and of a DEDICATED
/// redirect set: `clustername, Namespace, Host, [InfrasettingName]`.
pub fn l7_host_markers(
    cluster: &ClusterName,
    namespace: &str,
    host: &str,
    infra: Option<&str>,
) -> Vec<Marker> {
    let mut m = vec![
        Marker::new("clustername", cluster.as_str()),
        Marker::new("Namespace", namespace),
        Marker::new(MARKER_HOST, host),
    ];
    m.extend(Marker::values(MARKER_INFRASETTING_NAME, infra));
    m
}

/// Markers of an entry's pool: the host's plus `ServiceName, Path, IngressName` (an empty path
/// has no `Path` marker).
pub fn l7_pool_markers(
    cluster: &ClusterName,
    namespace: &str,
    host: &str,
    infra: Option<&str>,
    service: &str,
    path: &str,
    ingress: &str,
) -> Vec<Marker> {
    let mut m = l7_host_markers(cluster, namespace, host, infra);
    m.extend(Marker::values("ServiceName", [service]));
    m.extend(Marker::values(MARKER_PATH, [path]));
    m.extend(Marker::values(MARKER_INGRESS_NAME, [ingress]));
    m
}

/// Markers of a host's PoolGroup (one path) or switching HTTPPolicySet (all its paths): the
/// host's plus `Path, IngressName`, values sorted.
pub fn l7_paths_markers<'a>(
    cluster: &ClusterName,
    namespace: &str,
    host: &str,
    infra: Option<&str>,
    paths: impl IntoIterator<Item = &'a str>,
    ingresses: impl IntoIterator<Item = &'a str>,
) -> Vec<Marker> {
    let mut m = l7_host_markers(cluster, namespace, host, infra);
    m.extend(Marker::values(MARKER_PATH, paths));
    m.extend(Marker::values(MARKER_INGRESS_NAME, ingresses));
    m
}

/// Markers of an SSLKeyAndCertificate: `clustername, Host, [InfrasettingName]`.
pub fn l7_certificate_markers(cluster: &ClusterName, host: &str, infra: Option<&str>) -> Vec<Marker> {
    let mut m = vec![
        Marker::new("clustername", cluster.as_str()),
        Marker::new(MARKER_HOST, host),
    ];
    m.extend(Marker::values(MARKER_INFRASETTING_NAME, infra));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster() -> ClusterName {
        ClusterName::new("prod-1").unwrap()
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

    fn keys(m: &[Marker]) -> Vec<&str> {
        m.iter().map(|m| m.key.as_str()).collect()
    }

    #[test]
    fn ingress_markers_in_spec_order() {
        let c = cluster();
        let m = l7_host_markers(&c, "default", "noo.com", None);
        assert_eq!(keys(&m), ["clustername", "Namespace", "Host"]);
        let m = l7_host_markers(&c, "default", "noo.com", Some("is1"));
        assert_eq!(keys(&m), ["clustername", "Namespace", "Host", "InfrasettingName"]);
        assert_eq!(m[3].values, ["is1"]);
        let m = l7_pool_markers(&c, "default", "foo.com", None, "svc1", "/foo", "ing1");
        assert_eq!(
            keys(&m),
            [
                "clustername",
                "Namespace",
                "Host",
                "ServiceName",
                "Path",
                "IngressName"
            ]
        );
        assert_eq!(
            (m[3].values.clone(), m[4].values.clone(), m[5].values.clone()),
            (
                vec!["svc1".to_owned()],
                vec!["/foo".to_owned()],
                vec!["ing1".to_owned()]
            )
        );
        // An empty path has no Path marker.
        let m = l7_pool_markers(&c, "default", "foo.com", Some("is1"), "svc1", "", "ing1");
        assert_eq!(
            keys(&m),
            [
                "clustername",
                "Namespace",
                "Host",
                "InfrasettingName",
                "ServiceName",
                "IngressName"
            ]
        );
        let m = l7_paths_markers(
            &c,
            "default",
            "noo.com",
            None,
            ["/bar/v2", "/bar", "", "/bar"],
            ["ing2", "ing1", "ing2"],
        );
        assert_eq!(
            keys(&m),
            ["clustername", "Namespace", "Host", "Path", "IngressName"]
        );
        assert_eq!(m[3].values, ["/bar", "/bar/v2"]);
        assert_eq!(m[4].values, ["ing1", "ing2"]);
        let m = l7_certificate_markers(&c, "noo.com", Some("is1"));
        assert_eq!(keys(&m), ["clustername", "Host", "InfrasettingName"]);
        assert_eq!(
            keys(&l7_certificate_markers(&c, "noo.com", None)),
            ["clustername", "Host"]
        );
    }
}
