//! Pool servers by `--service-type` (SPEC §3): ClusterIP from EndpointSlices, NodePort from
//! Nodes, NodePortLocal from Antrea's pod annotation. Sorted by address then port, duplicates
//! merged (enabled if any copy is), so the output does not depend on watch order.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::context::Context;
use super::keys::ObjKey;
use super::snapshot::Snapshot;
use super::views::{SvcPort, SvcType, SvcView};
use crate::avi::Server;
use crate::config::ServiceType;

pub(crate) fn servers(
    ctx: &Context,
    snap: &Snapshot,
    key: &ObjKey,
    svc: &SvcView,
    port: &SvcPort,
) -> Vec<Server> {
    let mut raw: Vec<(IpAddr, i32, bool)> = match ctx.service_type {
        ServiceType::ClusterIP => cluster_ip(snap, key, port),
        ServiceType::NodePort => node_port(ctx, snap, key, svc, port),
        ServiceType::NodePortLocal => node_port_local(snap, key, svc, port),
    };
    raw.sort_unstable();
    let mut out: Vec<Server> = Vec::with_capacity(raw.len());
    let mut last: Option<(IpAddr, i32)> = None;
    for (ip, p, enabled) in raw {
        if last == Some((ip, p)) {
            if let Some(s) = out.last_mut() {
                s.enabled |= enabled;
            }
            continue;
        }
        last = Some((ip, p));
        out.push(Server {
            ip: ip.into(),
            port: Some(p),
            enabled,
        });
    }
    out
}

/// Every endpoint of the Service's slices on the slice port that matches the Service port.
fn cluster_ip(snap: &Snapshot, key: &ObjKey, port: &SvcPort) -> Vec<(IpAddr, i32, bool)> {
    let mut out = Vec::new();
    for slice_key in snap.slices_by_service.get(key).into_iter().flatten() {
        let Some(slice) = snap.slices.get(slice_key) else {
            continue;
        };
        if let Some(p) = slice.port_for(port) {
            out.extend(slice.endpoints.iter().map(|e| (e.ip, p, e.enabled)));
        }
    }
    out
}

/// Selected nodes on the Service's nodePort; with `externalTrafficPolicy: Local` only nodes
/// that host an endpoint, enabled when one of those endpoints is serving.
fn node_port(
    ctx: &Context,
    snap: &Snapshot,
    key: &ObjKey,
    svc: &SvcView,
    port: &SvcPort,
) -> Vec<(IpAddr, i32, bool)> {
    if !matches!(svc.svc_type, SvcType::NodePort | SvcType::LoadBalancer) {
        return Vec::new();
    }
    let Some(node_port) = port.node_port else {
        return Vec::new();
    };
    let local: Option<BTreeMap<&str, bool>> = svc.external_local.then(|| {
        let mut m: BTreeMap<&str, bool> = BTreeMap::new();
        for slice_key in snap.slices_by_service.get(key).into_iter().flatten() {
            for e in snap
                .slices
                .get(slice_key)
                .into_iter()
                .flat_map(|s| s.endpoints.iter())
            {
                if let Some(n) = e.node.as_deref() {
                    *m.entry(n).or_default() |= e.enabled;
                }
            }
        }
        m
    });
    snap.nodes
        .iter()
        .filter(|(_, n)| {
            ctx.node_selector
                .as_ref()
                .is_none_or(|s| n.labels.get(&s.key) == Some(&s.value))
        })
        .filter_map(|(name, n)| {
            let ip = n.ip?;
            let enabled = match &local {
                None => true,
                Some(m) => *m.get(name.as_str())?,
            };
            Some((ip, node_port, enabled))
        })
        .collect()
}

/// Antrea NodePortLocal mappings of the pods the Service selects, for the Service's target
/// port and protocol.
fn node_port_local(snap: &Snapshot, key: &ObjKey, svc: &SvcView, port: &SvcPort) -> Vec<(IpAddr, i32, bool)> {
    let proto = port.protocol.to_ascii_lowercase();
    snap.pods
        .range(ObjKey::namespace_start(&key.namespace)..)
        .take_while(|(k, _)| k.namespace == key.namespace)
        .filter(|(_, pod)| pod.matches(svc.selector()))
        .flat_map(|(_, pod)| {
            let target = pod.target_port(&port.target);
            pod.npl
                .iter()
                .filter(move |e| Some(e.pod_port) == target)
                .filter(|e| {
                    if e.protocols.is_empty() {
                        proto == "tcp"
                    } else {
                        e.protocols.contains(&proto)
                    }
                })
                .map(move |e| (e.node_ip, e.node_port, pod.ready))
        })
        .collect()
}
