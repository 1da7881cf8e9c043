//! The slim, pre-parsed forms the snapshot keeps of Kubernetes objects: only what translation
//! reads, parsed once on arrival (IPs, ports, annotations) so a translation does no parsing and a
//! change that touches nothing translation reads (status, resourceVersion) is seen as no change.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Deserialize;

use super::keys::ObjKey;
use super::proto::Proto;
use crate::api::{
    ANNOTATION_ANTREA_TRANSPORT, ANNOTATION_CALICO_IPV4, ANNOTATION_INFRA_SETTING, ANNOTATION_NODE_PORT_LOCAL,
};
use crate::rules::gateway_ref_of;

/// EndpointSlices name their Service with this label.
pub const LABEL_SERVICE_NAME: &str = "kubernetes.io/service-name";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SvcType {
    ClusterIp,
    NodePort,
    LoadBalancer,
    ExternalName,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TargetPort {
    Number(i32),
    Named(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SvcPort {
    /// Empty names are `None`, as EndpointSlices treat them.
    pub name: Option<String>,
    /// The protocol as given (default TCP) and parsed; `proto` is `None` outside TCP/UDP/SCTP.
    pub protocol: String,
    pub proto: Option<Proto>,
    pub port: i32,
    pub target: TargetPort,
    pub node_port: Option<i32>,
}

#[derive(Debug, Clone)]
pub(crate) struct SvcView {
    pub raw: Arc<Service>,
    pub svc_type: SvcType,
    pub ports: Vec<SvcPort>,
    /// The Gateway both gateway labels point at.
    pub gateway: Option<ObjKey>,
    pub external_local: bool,
    pub infra_setting: Option<String>,
    pub deleting: bool,
}

impl SvcView {
    pub fn new(mut svc: Service) -> Self {
        // Kept for every Service of the cluster: drop the spec fields nothing here reads
        // (a change to them alone is then no change either).
        if let Some(spec) = svc.spec.as_mut() {
            spec.cluster_ip = None;
            spec.cluster_ips = None;
            spec.ip_families = None;
            spec.ip_family_policy = None;
            spec.session_affinity = None;
            spec.internal_traffic_policy = None;
            // Decoding grows each list to a power of two: give back the unused slots.
            if let Some(p) = spec.ports.as_mut() {
                p.shrink_to_fit();
            }
        }
        if let Some(f) = svc.metadata.finalizers.as_mut() {
            f.shrink_to_fit();
        }
        let spec = svc.spec.as_ref();
        let svc_type = match spec.and_then(|s| s.type_.as_deref()) {
            Some("NodePort") => SvcType::NodePort,
            Some("LoadBalancer") => SvcType::LoadBalancer,
            Some("ExternalName") => SvcType::ExternalName,
            _ => SvcType::ClusterIp,
        };
        let ports = spec
            .and_then(|s| s.ports.as_ref())
            .map(|ps| {
                ps.iter()
                    .map(|p| {
                        let protocol = p.protocol.clone().unwrap_or_else(|| "TCP".to_owned());
                        SvcPort {
                            name: p.name.clone().filter(|n| !n.is_empty()),
                            proto: Proto::parse(&protocol),
                            protocol,
                            port: p.port,
                            target: match &p.target_port {
                                None => TargetPort::Number(p.port),
                                Some(IntOrString::Int(i)) => TargetPort::Number(*i),
                                Some(IntOrString::String(s)) => match s.parse::<i32>() {
                                    Ok(i) => TargetPort::Number(i),
                                    Err(_) => TargetPort::Named(s.clone()),
                                },
                            },
                            node_port: p.node_port,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let gateway = gateway_ref_of(&svc).map(|(ns, name)| ObjKey::new(ns, name));
        let external_local = spec.and_then(|s| s.external_traffic_policy.as_deref()) == Some("Local");
        let infra_setting = svc
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(ANNOTATION_INFRA_SETTING))
            .filter(|s| !s.is_empty())
            .cloned();
        let deleting = svc.metadata.deletion_timestamp.is_some();
        SvcView {
            raw: Arc::new(svc),
            svc_type,
            ports,
            gateway,
            external_local,
            infra_setting,
            deleting,
        }
    }

    pub fn is_lb_type(&self) -> bool {
        self.svc_type == SvcType::LoadBalancer
    }

    /// The Service's selector, read where it is (not copied: a map per Service).
    pub fn selector(&self) -> &BTreeMap<String, String> {
        static NONE: BTreeMap<String, String> = BTreeMap::new();
        self.raw
            .spec
            .as_ref()
            .and_then(|s| s.selector.as_ref())
            .unwrap_or(&NONE)
    }

    /// Whether translation could see a difference between the two.
    pub fn same_as(&self, other: &SvcView) -> bool {
        let (a, b) = (&self.raw, &other.raw);
        a.spec == b.spec
            && a.metadata.labels == b.metadata.labels
            && a.metadata.annotations == b.metadata.annotations
            && self.deleting == other.deleting
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SlicePort {
    pub name: Option<String>,
    pub protocol: String,
    pub port: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EndpointView {
    /// discovery/v1: addresses are fungible, consumers may use the first.
    pub ip: IpAddr,
    /// Ready (unset counts as ready) and not terminating.
    pub enabled: bool,
    pub node: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SliceView {
    pub service: Option<ObjKey>,
    pub ports: Vec<SlicePort>,
    pub endpoints: Vec<EndpointView>,
}

impl SliceView {
    pub fn new(slice: &EndpointSlice) -> Self {
        let service = slice
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_SERVICE_NAME))
            .map(|svc| {
                ObjKey::new(
                    slice.metadata.namespace.as_deref().unwrap_or("default"),
                    svc.as_str(),
                )
            });
        let ports = slice
            .ports
            .iter()
            .flatten()
            .map(|p| SlicePort {
                name: p.name.clone().filter(|n| !n.is_empty()),
                protocol: p.protocol.clone().unwrap_or_else(|| "TCP".to_owned()),
                port: p.port,
            })
            .collect();
        // FQDN slices carry no address a pool can use.
        let usable = matches!(slice.address_type.as_str(), "IPv4" | "IPv6");
        let mut endpoints: Vec<EndpointView> = if usable {
            slice
                .endpoints
                .iter()
                .filter_map(|e| {
                    let ip = e.addresses.first()?.parse::<IpAddr>().ok()?;
                    let c = e.conditions.as_ref();
                    let ready = c.and_then(|c| c.ready).unwrap_or(true);
                    let terminating = c.and_then(|c| c.terminating).unwrap_or(false);
                    Some(EndpointView {
                        ip,
                        enabled: ready && !terminating,
                        node: e.node_name.clone(),
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        endpoints.shrink_to_fit();
        SliceView {
            service,
            ports,
            endpoints,
        }
    }

    /// The slice's port number for a Service port: same name (both unset counts) and protocol.
    pub fn port_for(&self, svc_port: &SvcPort) -> Option<i32> {
        self.ports
            .iter()
            .find(|p| p.name == svc_port.name && p.protocol == svc_port.protocol)
            .and_then(|p| p.port)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeView {
    pub labels: BTreeMap<String, String>,
    /// Calico or Antrea annotation address when present, else the InternalIP.
    pub ip: Option<IpAddr>,
}

impl NodeView {
    pub fn new(node: &Node) -> Self {
        let ann = node.metadata.annotations.as_ref();
        let calico = ann
            .and_then(|a| a.get(ANNOTATION_CALICO_IPV4))
            .and_then(|v| v.split('/').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        let antrea = || {
            let v = ann.and_then(|a| a.get(ANNOTATION_ANTREA_TRANSPORT))?;
            let ips: Vec<IpAddr> = v.split(',').filter_map(|s| s.trim().parse().ok()).collect();
            ips.iter().find(|ip| ip.is_ipv4()).or(ips.first()).copied()
        };
        let internal = || {
            let addrs = node.status.as_ref()?.addresses.as_ref()?;
            let ips: Vec<IpAddr> = addrs
                .iter()
                .filter(|a| a.type_ == "InternalIP")
                .filter_map(|a| a.address.parse().ok())
                .collect();
            ips.iter().find(|ip| ip.is_ipv4()).or(ips.first()).copied()
        };
        let ip = calico.or_else(antrea).or_else(internal);
        NodeView {
            labels: node.metadata.labels.clone().unwrap_or_default(),
            ip,
        }
    }
}

/// One entry of Antrea's `nodeportlocal.antrea.io` pod annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NplEntry {
    pub pod_port: i32,
    pub node_ip: IpAddr,
    pub node_port: i32,
    /// Lowercase protocols; empty when the annotation predates the field (TCP then).
    pub protocols: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawNpl {
    pod_port: i32,
    #[serde(rename = "nodeIP")]
    node_ip: String,
    node_port: i32,
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    protocols: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PodView {
    pub labels: BTreeMap<String, String>,
    pub npl: Vec<NplEntry>,
    pub ready: bool,
    /// Container ports by name, to resolve a named `targetPort`.
    pub named_ports: Vec<(String, i32)>,
}

impl PodView {
    /// `None` for pods without NodePortLocal mappings: translation never needs them.
    pub fn new(pod: &Pod) -> Option<Self> {
        if pod.metadata.deletion_timestamp.is_some() {
            return None;
        }
        let raw = pod
            .metadata
            .annotations
            .as_ref()?
            .get(ANNOTATION_NODE_PORT_LOCAL)?;
        let entries: Vec<RawNpl> = serde_json::from_str(raw).ok()?;
        let npl: Vec<NplEntry> = entries
            .into_iter()
            .filter_map(|e| {
                let mut protocols: Vec<String> = e.protocols.iter().map(|p| p.to_ascii_lowercase()).collect();
                if let Some(p) = e.protocol {
                    protocols.push(p.to_ascii_lowercase());
                }
                protocols.sort();
                protocols.dedup();
                Some(NplEntry {
                    pod_port: e.pod_port,
                    node_ip: e.node_ip.parse().ok()?,
                    node_port: e.node_port,
                    protocols,
                })
            })
            .collect();
        if npl.is_empty() {
            return None;
        }
        // Without a status (a manifest given to `plan`) the pod counts as ready.
        let ready = pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
            .is_none_or(|c| c.status == "True");
        let named_ports = pod
            .spec
            .iter()
            .flat_map(|s| s.containers.iter())
            .flat_map(|c| c.ports.iter().flatten())
            .filter_map(|p| Some((p.name.clone()?, p.container_port)))
            .collect();
        Some(PodView {
            labels: pod.metadata.labels.clone().unwrap_or_default(),
            npl,
            ready,
            named_ports,
        })
    }

    pub fn target_port(&self, target: &TargetPort) -> Option<i32> {
        match target {
            TargetPort::Number(n) => Some(*n),
            TargetPort::Named(name) => self.named_ports.iter().find(|(n, _)| n == name).map(|(_, p)| *p),
        }
    }

    pub fn matches(&self, selector: &BTreeMap<String, String>) -> bool {
        !selector.is_empty() && selector.iter().all(|(k, v)| self.labels.get(k) == Some(v))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct NamespaceView {
    pub labels: BTreeMap<String, String>,
}

impl NamespaceView {
    pub fn new(ns: &Namespace) -> Self {
        NamespaceView {
            labels: ns.metadata.labels.clone().unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod svc_view_tests {
    use super::*;

    #[test]
    fn a_service_is_kept_without_the_spec_fields_nothing_reads() {
        let svc: Service = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "s", "namespace": "n"},
            "spec": {
                "type": "LoadBalancer",
                "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
                "externalTrafficPolicy": "Local",
                "selector": {"app": "web"},
                "ports": [{"port": 80, "targetPort": 8080}]
            }
        }))
        .unwrap();
        let v = SvcView::new(svc);
        let spec = v.raw.spec.as_ref().unwrap();
        assert_eq!(
            (&spec.cluster_ip, &spec.cluster_ips, &spec.ip_families),
            (&None, &None, &None)
        );
        assert_eq!(
            (
                &spec.ip_family_policy,
                &spec.session_affinity,
                &spec.internal_traffic_policy
            ),
            (&None, &None, &None)
        );
        assert!(v.is_lb_type() && v.external_local);
        assert_eq!(
            v.selector(),
            &BTreeMap::from([("app".to_owned(), "web".to_owned())])
        );
        assert_eq!(v.ports.len(), 1);
    }
}
