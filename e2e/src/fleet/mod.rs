//! A fleet of Gateways (and, for mixed runs, Ingresses: `ingress.rs`) for the fault and soak
//! tests: each Gateway has two TCP listeners (80, 81), one ClusterIP backend Service per
//! listener and an EndpointSlice per Service — five Kubernetes objects that become five Avi
//! objects (VsVip, VirtualService, L4PolicySet, two Pools).
//!
//! The fleet remembers what it wrote, so [`Fleet::verify`] can compare avisim's store with
//! what must be there: nothing missing, nothing extra (orphans), no name twice, every pool
//! carrying the endpoints last written, every Gateway `Ready` with its VsVip's address and
//! every Ingress showing its host with its shard's VIP.

mod ingress;

pub use ingress::{ingress_host, ingress_hosts, ingress_name};

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::{Context, Result};
use avigw_shared::api::Gateway;
use avigw_shared::naming::ClusterName;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Namespace, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

pub const PORTS: [u16; 2] = [80, 81];

/// Avi objects by (kind, name), with the endpoints of each pool.
type Expected = BTreeMap<(String, String), Option<BTreeSet<String>>>;
/// Concurrent Kubernetes writes while building or changing the fleet.
const PARALLEL: usize = 16;

pub struct Fleet {
    pub client: kube::Client,
    pub namespace: String,
    pub class: String,
    /// Live Gateways by index, with the endpoint count each backend was last given.
    live: BTreeMap<usize, usize>,
    /// Live Ingresses by index, likewise.
    ingresses: BTreeMap<usize, usize>,
    /// Hosts per Ingress (one unless [`Fleet::with_ingress_hosts`]).
    ingress_hosts: usize,
}

/// What [`Fleet::verify`] found; `problems` empty means converged.
#[derive(Debug, Default)]
pub struct Verdict {
    pub problems: Vec<String>,
    pub avi_objects: usize,
    /// Of `avi_objects`, kept Ingress parents without hosts (allowed, not required).
    pub kept_parents: usize,
}

impl Verdict {
    pub fn converged(&self) -> bool {
        self.problems.is_empty()
    }

    /// The first few problems, for a timeout message.
    pub fn summary(&self) -> String {
        let mut s = format!("{} problem(s)", self.problems.len());
        for p in self.problems.iter().take(8) {
            let _ = write!(s, "; {p}");
        }
        s
    }
}

pub fn gateway_name(i: usize) -> String {
    format!("gw{i}")
}

fn backend_name(i: usize, port: u16) -> String {
    format!("gw{i}-b{port}")
}

/// Endpoint addresses of Gateway `i`'s backends: `count` of them, unique per Gateway.
fn endpoint_ips(i: usize, count: usize) -> Vec<String> {
    (1..=count)
        .map(|h| format!("10.{}.{}.{h}", 100 + i / 250, i % 250))
        .collect()
}

impl Fleet {
    /// Creates the namespace and a GatewayClass for avigw's controller.
    pub async fn new(client: kube::Client, namespace: &str, class: &str) -> Result<Fleet> {
        let nss: Api<Namespace> = Api::all(client.clone());
        let ns = serde_json::from_value(json!({"metadata": {"name": namespace}}))?;
        nss.create(&PostParams::default(), &ns)
            .await
            .with_context(|| format!("creating namespace {namespace}"))?;
        let classes: Api<avigw_shared::api::GatewayClass> = Api::all(client.clone());
        let gc = serde_json::from_value(json!({
            "apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "GatewayClass",
            "metadata": {"name": class}, "spec": {"controller": "ako.vmware.com/avi-lb"}}))?;
        classes
            .create(&PostParams::default(), &gc)
            .await
            .with_context(|| format!("creating GatewayClass {class}"))?;
        ingress::create_class(&client, class).await?;
        Ok(Fleet {
            client,
            namespace: namespace.to_owned(),
            class: class.to_owned(),
            live: BTreeMap::new(),
            ingresses: BTreeMap::new(),
            ingress_hosts: 1,
        })
    }

    pub fn live(&self) -> impl Iterator<Item = usize> + '_ {
        self.live.keys().copied()
    }

    pub fn len(&self) -> usize {
        self.live.len()
    }

    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// Creates Gateways `indices` with their Services and EndpointSlices (two endpoints each).
    pub async fn create(&mut self, indices: impl IntoIterator<Item = usize>) -> Result<()> {
        let indices: Vec<usize> = indices.into_iter().collect();
        let (client, ns, class) = (self.client.clone(), self.namespace.clone(), self.class.clone());
        each(&indices, |i| {
            create_one(client.clone(), ns.clone(), class.clone(), i, 2)
        })
        .await?;
        for i in indices {
            self.live.insert(i, 2);
        }
        Ok(())
    }

    /// Deletes Gateways `indices` with their Services (the EndpointSlices go with them).
    pub async fn delete(&mut self, indices: impl IntoIterator<Item = usize>) -> Result<()> {
        let indices: Vec<usize> = indices.into_iter().collect();
        let (client, ns) = (self.client.clone(), self.namespace.clone());
        each(&indices, |i| delete_one(client.clone(), ns.clone(), i)).await?;
        for i in indices {
            self.live.remove(&i);
        }
        Ok(())
    }

    /// Gives both backends of Gateways `indices` `count` endpoints.
    pub async fn set_endpoints(
        &mut self,
        indices: impl IntoIterator<Item = usize>,
        count: usize,
    ) -> Result<()> {
        let indices: Vec<usize> = indices.into_iter().collect();
        let slices: Api<EndpointSlice> = Api::namespaced(self.client.clone(), &self.namespace);
        each(&indices, |i| {
            let slices = slices.clone();
            async move {
                for p in PORTS {
                    let eps: Vec<Value> = endpoint_ips(i, count)
                        .into_iter()
                        .map(|a| json!({"addresses": [a], "conditions": {"ready": true}}))
                        .collect();
                    slices
                        .patch(
                            &format!("{}-x", backend_name(i, p)),
                            &PatchParams::default(),
                            &Patch::Merge(json!({ "endpoints": eps })),
                        )
                        .await
                        .with_context(|| format!("patching the EndpointSlice of gw{i}"))?;
                }
                Ok::<(), anyhow::Error>(())
            }
        })
        .await?;
        for i in indices {
            if let Some(c) = self.live.get_mut(&i) {
                *c = count;
            }
        }
        Ok(())
    }

    /// The Avi objects (kind, name) the live fleet must have, with each pool's endpoints; and
    /// those it may have (a kept Ingress parent whose hosts are all gone).
    fn expected(&self, cluster: &ClusterName) -> (Expected, BTreeSet<(String, String)>) {
        let mut out = BTreeMap::new();
        let optional = self.expected_ingresses(cluster, &mut out);
        for (&i, &count) in &self.live {
            let gw = gateway_name(i);
            let vs = cluster.gateway_vs(&self.namespace, &gw);
            for kind in ["vsvip", "virtualservice", "l4policyset"] {
                out.insert((kind.to_owned(), vs.clone()), None);
            }
            for p in PORTS {
                let pool = cluster.gateway_pool(&self.namespace, &backend_name(i, p), &gw, "TCP", p.into());
                out.insert(
                    ("pool".to_owned(), pool),
                    Some(endpoint_ips(i, count).into_iter().collect()),
                );
            }
        }
        (out, optional)
    }

    /// How many Avi objects the live fleet has at least (optional ones not counted).
    pub fn expected_objects(&self, cluster: &ClusterName) -> usize {
        self.expected(cluster).0.len()
    }

    /// Polls [`Fleet::verify`] until it converges (answers how long that took) or fails after
    /// `limit` with the remaining problems.
    pub async fn converge(
        &self,
        sim: &avisim::SimHandle,
        cluster: &ClusterName,
        limit: std::time::Duration,
    ) -> Result<std::time::Duration> {
        let t = std::time::Instant::now();
        loop {
            let v = self.verify(sim, cluster).await?;
            if v.converged() {
                return Ok(t.elapsed());
            }
            if t.elapsed() > limit {
                anyhow::bail!("not converged after {limit:?}: {}", v.summary());
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    /// Compares avisim's user objects of `cluster` and the Gateways' status with the fleet.
    pub async fn verify(&self, sim: &avisim::SimHandle, cluster: &ClusterName) -> Result<Verdict> {
        let (expected, optional) = self.expected(cluster);
        let mut v = Verdict::default();
        let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut vips: BTreeMap<String, String> = BTreeMap::new();
        let mut vip_owner: BTreeMap<String, String> = BTreeMap::new();
        {
            let store = sim.state().store_read();
            for r in store.all().filter(|r| !r.readonly && cluster.owns_name(&r.name)) {
                v.avi_objects += 1;
                let key = (r.kind.name.to_string(), r.name.clone());
                *seen.entry(key.clone()).or_default() += 1;
                match expected.get(&key) {
                    None if optional.contains(&key) => v.kept_parents += 1,
                    None => v.problems.push(format!("orphan {} {}", key.0, key.1)),
                    Some(Some(want)) => {
                        let got: BTreeSet<String> = r
                            .body
                            .get("servers")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(|s| s.pointer("/ip/addr").and_then(Value::as_str))
                            .map(str::to_owned)
                            .collect();
                        if &got != want {
                            v.problems
                                .push(format!("pool {} has servers {got:?}, want {want:?}", r.name));
                        }
                    }
                    Some(None) => {}
                }
                if key.0 == "vsvip" {
                    let ip = r
                        .body
                        .get("vip")
                        .and_then(|v| v.pointer("/0/ip_address/addr"))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    if let Some(other) = vip_owner.insert(ip.clone(), r.name.clone()) {
                        v.problems
                            .push(format!("VIP {ip} held by both {other} and {}", r.name));
                    }
                    vips.insert(r.name.clone(), ip);
                }
            }
        }
        for (key, n) in &seen {
            if *n > 1 {
                v.problems.push(format!("{} {} exists {n} times", key.0, key.1));
            }
        }
        for key in expected.keys() {
            if !seen.contains_key(key) {
                v.problems.push(format!("missing {} {}", key.0, key.1));
            }
        }
        // Status: every live Gateway Ready with its VsVip's address.
        let gws: Api<Gateway> = Api::namespaced(self.client.clone(), &self.namespace);
        let listed = gws.list(&Default::default()).await.context("listing Gateways")?;
        let by_name: BTreeMap<String, &Gateway> = listed
            .items
            .iter()
            .filter_map(|g| Some((g.metadata.name.clone()?, g)))
            .collect();
        for &i in self.live.keys() {
            let name = gateway_name(i);
            let Some(g) = by_name.get(&name) else {
                v.problems
                    .push(format!("Gateway {name} is gone from the apiserver"));
                continue;
            };
            let status = serde_json::to_value(&g.status).unwrap_or_default();
            let ready = status
                .get("conditions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "Ready" && c["status"] == "True");
            let addr = status.pointer("/addresses/0/value").and_then(Value::as_str);
            let vip = vips.get(&cluster.gateway_vs(&self.namespace, &name));
            if !ready || addr.is_none() || addr != vip.map(String::as_str) {
                v.problems.push(format!(
                    "Gateway {name}: Ready={ready}, address {addr:?}, VsVip address {vip:?}"
                ));
            }
        }
        self.verify_ingress_status(cluster, &vips, &mut v).await?;
        // Deleted Gateways must be gone from the apiserver too (their finalizer released).
        for name in by_name.keys() {
            let live = name
                .strip_prefix("gw")
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|i| self.live.contains_key(&i));
            if !live {
                v.problems
                    .push(format!("deleted Gateway {name} still in the apiserver"));
            }
        }
        Ok(v)
    }
}

/// Runs `f` for each index, `PARALLEL` at a time, stopping at the first error.
pub(crate) async fn each<F, Fut>(indices: &[usize], f: F) -> Result<()>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    futures::stream::iter(indices.iter().copied())
        .map(f)
        .buffer_unordered(PARALLEL)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

async fn create_one(
    client: kube::Client,
    ns: String,
    class: String,
    i: usize,
    endpoints: usize,
) -> Result<()> {
    let name = gateway_name(i);
    let gws: Api<Gateway> = Api::namespaced(client.clone(), &ns);
    let svcs: Api<Service> = Api::namespaced(client.clone(), &ns);
    let slices: Api<EndpointSlice> = Api::namespaced(client, &ns);
    let labels = json!({"ako.vmware.com/gateway-namespace": ns, "ako.vmware.com/gateway-name": name});
    let listeners: Vec<Value> = PORTS
        .iter()
        .map(|p| {
            json!({"protocol": "TCP", "port": p, "routes": {"selector": {"matchLabels": labels},
                   "group": "v1", "kind": "Service"}})
        })
        .collect();
    let gw = serde_json::from_value(json!({
        "apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "Gateway",
        "metadata": {"name": name},
        "spec": {"gatewayClassName": class, "listeners": listeners}}))?;
    gws.create(&PostParams::default(), &gw)
        .await
        .with_context(|| format!("creating Gateway {name}"))?;
    for p in PORTS {
        let backend = backend_name(i, p);
        let svc = serde_json::from_value(json!({
            "metadata": {"name": backend, "labels": labels},
            "spec": {"ports": [{"port": p, "targetPort": 8080, "protocol": "TCP"}]}}))?;
        svcs.create(&PostParams::default(), &svc)
            .await
            .with_context(|| format!("creating Service {backend}"))?;
        let eps: Vec<Value> = endpoint_ips(i, endpoints)
            .into_iter()
            .map(|a| json!({"addresses": [a], "conditions": {"ready": true}}))
            .collect();
        let slice = serde_json::from_value(json!({
            "metadata": {"name": format!("{backend}-x"), "labels": {"kubernetes.io/service-name": backend}},
            "addressType": "IPv4", "ports": [{"port": 8080, "protocol": "TCP"}], "endpoints": eps}))?;
        slices
            .create(&PostParams::default(), &slice)
            .await
            .with_context(|| format!("creating EndpointSlice {backend}-x"))?;
    }
    Ok(())
}

async fn delete_one(client: kube::Client, ns: String, i: usize) -> Result<()> {
    let name = gateway_name(i);
    let gws: Api<Gateway> = Api::namespaced(client.clone(), &ns);
    let svcs: Api<Service> = Api::namespaced(client.clone(), &ns);
    let slices: Api<EndpointSlice> = Api::namespaced(client, &ns);
    gws.delete(&name, &DeleteParams::default())
        .await
        .with_context(|| format!("deleting Gateway {name}"))?;
    for p in PORTS {
        let backend = backend_name(i, p);
        svcs.delete(&backend, &DeleteParams::default())
            .await
            .with_context(|| format!("deleting Service {backend}"))?;
        // No garbage collector runs in the test apiserver: the slice goes by hand.
        slices
            .delete(&format!("{backend}-x"), &DeleteParams::default())
            .await
            .with_context(|| format!("deleting EndpointSlice {backend}-x"))?;
    }
    Ok(())
}
