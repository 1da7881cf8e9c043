//! Avi markers (`[{key, values[]}]`): how each object says which Kubernetes object it serves.
//! The keys, the sets each object carries, and the inverse (markers → the object they name)
//! live here together, so that what is written and what is read back cannot drift apart.

use super::ClusterName;

/// The marker keys avigw writes. L4 objects (SPEC §3) use `clustername`, `Namespace`,
/// `GatewayName`, `ServiceName`, `Port`, `Protocol`; L7 objects (SPEC-ingress §4.6) use
/// `clustername`, `Namespace`, `Host`, `InfrasettingName`, `ServiceName`, `Path`, `IngressName`.
/// The order on an object is the order its marker set below writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MarkerKey {
    ClusterName,
    Namespace,
    GatewayName,
    ServiceName,
    Port,
    Protocol,
    Host,
    InfrasettingName,
    Path,
    IngressName,
}

impl MarkerKey {
    pub const ALL: [MarkerKey; 10] = [
        MarkerKey::ClusterName,
        MarkerKey::Namespace,
        MarkerKey::GatewayName,
        MarkerKey::ServiceName,
        MarkerKey::Port,
        MarkerKey::Protocol,
        MarkerKey::Host,
        MarkerKey::InfrasettingName,
        MarkerKey::Path,
        MarkerKey::IngressName,
    ];

    /// The key as Avi stores it (AKO's spelling).
    pub const fn as_str(self) -> &'static str {
        match self {
            MarkerKey::ClusterName => "clustername",
            MarkerKey::Namespace => "Namespace",
            MarkerKey::GatewayName => "GatewayName",
            MarkerKey::ServiceName => "ServiceName",
            MarkerKey::Port => "Port",
            MarkerKey::Protocol => "Protocol",
            MarkerKey::Host => "Host",
            MarkerKey::InfrasettingName => "InfrasettingName",
            MarkerKey::Path => "Path",
            MarkerKey::IngressName => "IngressName",
        }
    }
}

/// An Avi marker: `{key, values[]}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Marker {
    pub key: String,
    pub values: Vec<String>,
}

impl Marker {
    pub fn new(key: MarkerKey, value: impl Into<String>) -> Self {
        Marker {
            key: key.as_str().to_owned(),
            values: vec![value.into()],
        }
    }
}

/// The first value of `key` among `markers`.
pub fn marker_value(markers: &[Marker], key: MarkerKey) -> Option<&str> {
    markers
        .iter()
        .find(|m| m.key == key.as_str())
        .and_then(|m| m.values.first())
        .map(String::as_str)
}

/// Markers of a Gateway's VirtualService and L4PolicySet.
pub fn gateway_markers(cluster: &ClusterName, gw_namespace: &str, gw_name: &str) -> Vec<Marker> {
    vec![
        Marker::new(MarkerKey::ClusterName, cluster.as_str()),
        Marker::new(MarkerKey::Namespace, gw_namespace),
        Marker::new(MarkerKey::GatewayName, gw_name),
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
    m.push(Marker::new(MarkerKey::ServiceName, svc_name));
    m.push(Marker::new(MarkerKey::Port, port.to_string()));
    m.push(Marker::new(MarkerKey::Protocol, protocol));
    m
}

/// Markers of a LoadBalancer Service's VirtualService and L4PolicySet.
pub fn service_markers(cluster: &ClusterName, namespace: &str, svc_name: &str) -> Vec<Marker> {
    vec![
        Marker::new(MarkerKey::ClusterName, cluster.as_str()),
        Marker::new(MarkerKey::Namespace, namespace),
        Marker::new(MarkerKey::ServiceName, svc_name),
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
    m.push(Marker::new(MarkerKey::Port, port.to_string()));
    m
}

/// Markers of a VsVip (it has no `created_by`, so this marks ownership).
pub fn vsvip_markers(cluster: &ClusterName) -> Vec<Marker> {
    vec![Marker::new(MarkerKey::ClusterName, cluster.as_str())]
}

/// The Kubernetes object an Avi object serves, read back from its markers: the inverse of the
/// marker sets above (VsVips and the shared objects of an Ingress parent carry only
/// `clustername` and name none).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MarkedObject {
    /// A Gateway's VirtualService, L4PolicySet or Pool.
    Gateway { namespace: String, name: String },
    /// A LoadBalancer Service's VirtualService, L4PolicySet or Pool.
    LoadBalancer { namespace: String, name: String },
    /// One Ingress host's object (pool, PoolGroup, HTTPPolicySet, SSLKeyAndCertificate, SNI
    /// child or DEDICATED VirtualService), with the AviInfraSetting in its names. Which key it
    /// is on depends on the shard size in force, which markers do not say.
    IngressHost { host: String, infra: Option<String> },
}

impl MarkedObject {
    /// Reads the markers through `value` (the first value of a key, wherever the markers are
    /// held). Ingress objects carry `Host` (their pools also `ServiceName`, naming a backend);
    /// Gateway objects carry `GatewayName` (their pools also `ServiceName`, naming the
    /// backend); LoadBalancer Service objects carry `ServiceName` only.
    pub fn read<'a>(value: impl Fn(MarkerKey) -> Option<&'a str>) -> Option<Self> {
        if let Some(host) = value(MarkerKey::Host) {
            return Some(MarkedObject::IngressHost {
                host: host.to_owned(),
                infra: value(MarkerKey::InfrasettingName).map(str::to_owned),
            });
        }
        let namespace = value(MarkerKey::Namespace)?.to_owned();
        if let Some(gw) = value(MarkerKey::GatewayName) {
            return Some(MarkedObject::Gateway {
                namespace,
                name: gw.to_owned(),
            });
        }
        value(MarkerKey::ServiceName).map(|svc| MarkedObject::LoadBalancer {
            namespace,
            name: svc.to_owned(),
        })
    }

    /// As [`MarkedObject::read`], from typed markers.
    pub fn from_markers(markers: &[Marker]) -> Option<Self> {
        Self::read(|k| marker_value(markers, k))
    }
}

impl Marker {
    /// A marker whose values are sorted, repeated and empty ones dropped; `None` when nothing
    /// is left (SPEC-ingress §4.6 omits empty markers).
    fn values<'a>(key: MarkerKey, values: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let mut v: Vec<String> = values
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        v.sort_unstable();
        v.dedup();
        (!v.is_empty()).then(|| Marker {
            key: key.as_str().to_owned(),
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
        Marker::new(MarkerKey::ClusterName, cluster.as_str()),
        Marker::new(MarkerKey::Namespace, namespace),
        Marker::new(MarkerKey::Host, host),
    ];
    m.extend(Marker::values(MarkerKey::InfrasettingName, infra));
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
    m.extend(Marker::values(MarkerKey::ServiceName, [service]));
    m.extend(Marker::values(MarkerKey::Path, [path]));
    m.extend(Marker::values(MarkerKey::IngressName, [ingress]));
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
    m.extend(Marker::values(MarkerKey::Path, paths));
    m.extend(Marker::values(MarkerKey::IngressName, ingresses));
    m
}

/// Markers of an SSLKeyAndCertificate: `clustername, Host, [InfrasettingName]`.
pub fn l7_certificate_markers(cluster: &ClusterName, host: &str, infra: Option<&str>) -> Vec<Marker> {
    let mut m = vec![
        Marker::new(MarkerKey::ClusterName, cluster.as_str()),
        Marker::new(MarkerKey::Host, host),
    ];
    m.extend(Marker::values(MarkerKey::InfrasettingName, infra));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster() -> ClusterName {
        ClusterName::new("prod-1").unwrap()
    }

    fn keys(m: &[Marker]) -> Vec<&str> {
        m.iter().map(|m| m.key.as_str()).collect()
    }

    #[test]
    fn markers() {
        let c = cluster();
        let m = gateway_pool_markers(&c, "blue", "gw", "svc", 80, "TCP");
        assert_eq!(
            keys(&m),
            MarkerKey::ALL[..6].iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            "every L4 key, in order"
        );
        assert_eq!(m[4].values, ["80"]);
        let m = service_pool_markers(&c, "red", "lb", 53);
        assert_eq!(keys(&m), ["clustername", "Namespace", "ServiceName", "Port"]);
        assert_eq!(vsvip_markers(&c)[0].values, ["prod-1"]);
    }

    proptest::proptest! {
        #[test]
        fn sets_read_back_for_any_names(
            ns in "[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?",
            name in "[a-z0-9]([-.a-z0-9]{0,30}[a-z0-9])?",
            svc in "[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?",
            port in 1i32..=65535,
        ) {
            let c = cluster();
            let gw = MarkedObject::Gateway { namespace: ns.clone(), name: name.clone() };
            let lb = MarkedObject::LoadBalancer { namespace: ns.clone(), name: svc.clone() };
            proptest::prop_assert_eq!(
                MarkedObject::from_markers(&gateway_pool_markers(&c, &ns, &name, &svc, port, "UDP")),
                Some(gw)
            );
            proptest::prop_assert_eq!(
                MarkedObject::from_markers(&service_pool_markers(&c, &ns, &svc, port)),
                Some(lb)
            );
        }
    }

    #[test]
    fn keys_are_spelled_once_and_in_order() {
        let spelled: Vec<&str> = MarkerKey::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            spelled,
            [
                "clustername",
                "Namespace",
                "GatewayName",
                "ServiceName",
                "Port",
                "Protocol",
                "Host",
                "InfrasettingName",
                "Path",
                "IngressName"
            ]
        );
    }

    #[test]
    fn every_set_reads_back_as_the_object_it_was_written_for() {
        let c = cluster();
        let gw = MarkedObject::Gateway {
            namespace: "blue".into(),
            name: "gw".into(),
        };
        let lb = MarkedObject::LoadBalancer {
            namespace: "red".into(),
            name: "lb".into(),
        };
        assert_eq!(
            MarkedObject::from_markers(&gateway_markers(&c, "blue", "gw")),
            Some(gw.clone())
        );
        assert_eq!(
            MarkedObject::from_markers(&gateway_pool_markers(&c, "blue", "gw", "backend", 80, "TCP")),
            Some(gw),
            "a Gateway pool's ServiceName names its backend, not a LoadBalancer Service"
        );
        assert_eq!(
            MarkedObject::from_markers(&service_markers(&c, "red", "lb")),
            Some(lb.clone())
        );
        assert_eq!(
            MarkedObject::from_markers(&service_pool_markers(&c, "red", "lb", 53)),
            Some(lb)
        );
        assert_eq!(MarkedObject::from_markers(&vsvip_markers(&c)), None);
        assert_eq!(
            marker_value(&vsvip_markers(&c), MarkerKey::ClusterName),
            Some("prod-1")
        );
        assert_eq!(marker_value(&vsvip_markers(&c), MarkerKey::Namespace), None);
    }

    #[test]
    fn ingress_objects_read_back_as_their_host_never_as_a_service() {
        let c = cluster();
        let host = |infra: Option<&str>| MarkedObject::IngressHost {
            host: "foo.com".into(),
            infra: infra.map(str::to_owned),
        };
        for infra in [None, Some("is1")] {
            // A pool names its backend in ServiceName, as a LoadBalancer Service's objects do.
            assert_eq!(
                MarkedObject::from_markers(&l7_pool_markers(
                    &c, "default", "foo.com", infra, "svc1", "/foo", "ing1"
                )),
                Some(host(infra)),
                "an Ingress pool read as a LoadBalancer Service's would be deleted as that key's"
            );
            assert_eq!(
                MarkedObject::from_markers(&l7_host_markers(&c, "default", "foo.com", infra)),
                Some(host(infra))
            );
            assert_eq!(
                MarkedObject::from_markers(&l7_paths_markers(
                    &c,
                    "default",
                    "foo.com",
                    infra,
                    ["/"],
                    ["ing1"]
                )),
                Some(host(infra))
            );
            assert_eq!(
                MarkedObject::from_markers(&l7_certificate_markers(&c, "foo.com", infra)),
                Some(host(infra))
            );
        }
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
