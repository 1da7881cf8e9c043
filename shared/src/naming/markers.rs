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
}
