//! The Ingress half of a mixed fleet: Ingress `ingN` serves host `iN.fleet.example.com` (and,
//! with more hosts per Ingress, `iN-1.fleet.example.com`, …), path `/`, from its own ClusterIP
//! Service (with an EndpointSlice); odd ones are secure, with a TLS Secret of their own for all
//! their hosts. An insecure host is one pool on its shard's parent; a secure one is a
//! certificate, a pool, a PoolGroup, a switching set and an SNI child (SPEC-ingress §4).
//! Each shard with a host has its parent (VirtualService, VsVip, PoolGroup, VSDataScriptSet,
//! and a redirect set while it has a secure host); a parent whose hosts are all gone is kept,
//! so it may or may not be there.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use avigw_shared::api::ShardSize;
use avigw_shared::naming::{ClusterName, shard_of};
use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::{Expected, Fleet, Verdict, each};

pub fn ingress_name(i: usize) -> String {
    format!("ing{i}")
}

pub fn ingress_host(i: usize) -> String {
    ingress_hosts(i, 1).remove(0)
}

/// The `count` hosts of Ingress `i`, sorted (as its status lists them).
pub fn ingress_hosts(i: usize, count: usize) -> Vec<String> {
    let mut hosts: Vec<String> = (0..count)
        .map(|h| match h {
            0 => format!("i{i}.fleet.example.com"),
            h => format!("i{i}-{h}.fleet.example.com"),
        })
        .collect();
    hosts.sort();
    hosts
}

fn secure(i: usize) -> bool {
    i % 2 == 1
}

fn backend(i: usize) -> String {
    format!("ing{i}-b")
}

fn endpoint_ips(i: usize, count: usize) -> Vec<String> {
    (1..=count)
        .map(|h| format!("10.{}.{}.{h}", 200 + i / 250, i % 250))
        .collect()
}

fn endpoints(i: usize, count: usize) -> Vec<Value> {
    endpoint_ips(i, count)
        .into_iter()
        .map(|a| json!({"addresses": [a], "conditions": {"ready": true}}))
        .collect()
}

/// The fleet's IngressClass of avigw's controller (named as its GatewayClass).
pub(super) async fn create_class(client: &kube::Client, class: &str) -> Result<()> {
    let ic: IngressClass = serde_json::from_value(json!({
        "metadata": {"name": class}, "spec": {"controller": "ako.vmware.com/avi-lb"}}))?;
    Api::<IngressClass>::all(client.clone())
        .create(&PostParams::default(), &ic)
        .await
        .with_context(|| format!("creating IngressClass {class}"))?;
    Ok(())
}

impl Fleet {
    /// Ingresses created from now on serve `hosts` hosts each.
    pub fn with_ingress_hosts(mut self, hosts: usize) -> Fleet {
        self.ingress_hosts = hosts.max(1);
        self
    }

    pub fn ingress_count(&self) -> usize {
        self.ingresses.len()
    }

    pub fn live_ingresses(&self) -> impl Iterator<Item = usize> + '_ {
        self.ingresses.keys().copied()
    }

    /// Creates Ingresses `indices` with their Services, EndpointSlices (two endpoints each) and,
    /// for the secure ones, their Secrets.
    pub async fn create_ingresses(&mut self, indices: impl IntoIterator<Item = usize>) -> Result<()> {
        let indices: Vec<usize> = indices.into_iter().collect();
        let (client, ns, class) = (self.client.clone(), self.namespace.clone(), self.class.clone());
        let hosts = self.ingress_hosts;
        each(&indices, |i| {
            create_one(client.clone(), ns.clone(), class.clone(), i, hosts)
        })
        .await?;
        for i in indices {
            self.ingresses.insert(i, 2);
        }
        Ok(())
    }

    /// Deletes Ingresses `indices` with their Services, slices and Secrets.
    pub async fn delete_ingresses(&mut self, indices: impl IntoIterator<Item = usize>) -> Result<()> {
        let indices: Vec<usize> = indices.into_iter().collect();
        let (client, ns) = (self.client.clone(), self.namespace.clone());
        each(&indices, |i| delete_one(client.clone(), ns.clone(), i)).await?;
        for i in indices {
            self.ingresses.remove(&i);
        }
        Ok(())
    }

    /// Gives the backends of Ingresses `indices` `count` endpoints.
    pub async fn set_ingress_endpoints(
        &mut self,
        indices: impl IntoIterator<Item = usize>,
        count: usize,
    ) -> Result<()> {
        let indices: Vec<usize> = indices.into_iter().collect();
        let slices: Api<EndpointSlice> = Api::namespaced(self.client.clone(), &self.namespace);
        each(&indices, |i| {
            let slices = slices.clone();
            async move {
                slices
                    .patch(
                        &format!("{}-x", backend(i)),
                        &PatchParams::default(),
                        &Patch::Merge(json!({ "endpoints": endpoints(i, count) })),
                    )
                    .await
                    .with_context(|| format!("patching the EndpointSlice of ing{i}"))?;
                Ok::<(), anyhow::Error>(())
            }
        })
        .await?;
        for i in indices {
            if let Some(c) = self.ingresses.get_mut(&i) {
                *c = count;
            }
        }
        Ok(())
    }

    /// Adds the live Ingresses' objects to `out`; answers the kept parents that may be there.
    pub(super) fn expected_ingresses(
        &self,
        cluster: &ClusterName,
        out: &mut Expected,
    ) -> BTreeSet<(String, String)> {
        let ns = self.namespace.as_str();
        let mut shards: BTreeMap<u32, bool> = BTreeMap::new();
        for (&i, &count) in &self.ingresses {
            let name = ingress_name(i);
            for host in ingress_hosts(i, self.ingress_hosts) {
                let servers = Some(endpoint_ips(i, count).into_iter().collect());
                let Some(n) = shard_of(&host, ShardSize::Large) else {
                    continue;
                };
                let secure_shard = shards.entry(n).or_default();
                if secure(i) {
                    *secure_shard = true;
                    let sni = cluster.l7_sni(None, &host);
                    let pool = cluster.l7_sni_pool(None, ns, &host, "/", &name);
                    out.insert(("sslkeyandcertificate".into(), sni.clone()), None);
                    out.insert(("virtualservice".into(), sni), None);
                    out.insert(
                        ("httppolicyset".into(), cluster.l7_switching_set(None, ns, &host)),
                        None,
                    );
                    out.insert(("poolgroup".into(), pool.clone()), None);
                    out.insert(("pool".into(), pool), servers);
                } else {
                    out.insert(
                        (
                            "pool".into(),
                            cluster.l7_insecure_pool(None, &host, "/", ns, &name),
                        ),
                        servers,
                    );
                }
            }
        }
        let parent_kinds = ["virtualservice", "vsvip", "poolgroup", "vsdatascriptset"];
        let mut optional = BTreeSet::new();
        for n in 0..ShardSize::Large.shard_count() {
            let parent = cluster.l7_shared(None, n);
            match shards.get(&n) {
                Some(secure) => {
                    for k in parent_kinds {
                        out.insert((k.into(), parent.clone()), None);
                    }
                    if *secure {
                        out.insert(("httppolicyset".into(), parent.clone()), None);
                    }
                }
                None => optional.extend(parent_kinds.map(|k| (k.to_owned(), parent.clone()))),
            }
        }
        optional
    }

    /// Every live Ingress shows its hosts, each with its shard parent's VIP.
    pub(super) async fn verify_ingress_status(
        &self,
        cluster: &ClusterName,
        vips: &BTreeMap<String, String>,
        v: &mut Verdict,
    ) -> Result<()> {
        if self.ingresses.is_empty() {
            return Ok(());
        }
        let listed = Api::<Ingress>::namespaced(self.client.clone(), &self.namespace)
            .list(&Default::default())
            .await
            .context("listing Ingresses")?;
        let by_name: BTreeMap<String, &Ingress> = listed
            .items
            .iter()
            .filter_map(|i| Some((i.metadata.name.clone()?, i)))
            .collect();
        for &i in self.ingresses.keys() {
            let name = ingress_name(i);
            let got: Vec<(String, String)> = by_name
                .get(&name)
                .and_then(|ing| ing.status.as_ref())
                .and_then(|s| s.load_balancer.as_ref())
                .and_then(|l| l.ingress.as_ref())
                .into_iter()
                .flatten()
                .map(|e| {
                    (
                        e.hostname.clone().unwrap_or_default(),
                        e.ip.clone().unwrap_or_default(),
                    )
                })
                .collect();
            let want: Vec<(String, String)> = ingress_hosts(i, self.ingress_hosts)
                .into_iter()
                .map(|host| {
                    let parent = shard_of(&host, ShardSize::Large).map(|n| cluster.l7_shared(None, n));
                    let vip = parent
                        .as_ref()
                        .and_then(|p| vips.get(p))
                        .cloned()
                        .unwrap_or_default();
                    (host, vip)
                })
                .collect();
            if got != want {
                v.problems
                    .push(format!("Ingress {name}: status {got:?}, want {want:?}"));
            }
        }
        for name in by_name.keys() {
            let live = name
                .strip_prefix("ing")
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|i| self.ingresses.contains_key(&i));
            if !live {
                v.problems
                    .push(format!("deleted Ingress {name} still in the apiserver"));
            }
        }
        Ok(())
    }
}

async fn create_one(client: kube::Client, ns: String, class: String, i: usize, hosts: usize) -> Result<()> {
    let (name, hosts, svc) = (ingress_name(i), ingress_hosts(i, hosts), backend(i));
    if secure(i) {
        let pair = rcgen::generate_simple_self_signed(hosts.clone()).context("a certificate")?;
        let secret: Secret = serde_json::from_value(json!({
            "metadata": {"name": format!("{name}-tls")}, "type": "kubernetes.io/tls",
            "stringData": {"tls.crt": pair.cert.pem(), "tls.key": pair.signing_key.serialize_pem()}}))?;
        Api::<Secret>::namespaced(client.clone(), &ns)
            .create(&PostParams::default(), &secret)
            .await
            .with_context(|| format!("creating Secret {name}-tls"))?;
    }
    let service: Service = serde_json::from_value(json!({
        "metadata": {"name": svc},
        "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}}))?;
    Api::<Service>::namespaced(client.clone(), &ns)
        .create(&PostParams::default(), &service)
        .await
        .with_context(|| format!("creating Service {svc}"))?;
    let slice: EndpointSlice = serde_json::from_value(json!({
        "metadata": {"name": format!("{svc}-x"), "labels": {"kubernetes.io/service-name": svc}},
        "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        "endpoints": endpoints(i, 2)}))?;
    Api::<EndpointSlice>::namespaced(client.clone(), &ns)
        .create(&PostParams::default(), &slice)
        .await
        .with_context(|| format!("creating EndpointSlice {svc}-x"))?;
    let tls = if secure(i) {
        json!([{"hosts": hosts, "secretName": format!("{name}-tls")}])
    } else {
        json!([])
    };
    let rules: Vec<Value> = hosts
        .iter()
        .map(|host| json!({"host": host, "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": svc, "port": {"number": 80}}}}]}}))
        .collect();
    let ing: Ingress = serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {"ingressClassName": class, "tls": tls, "rules": rules}}))?;
    Api::<Ingress>::namespaced(client, &ns)
        .create(&PostParams::default(), &ing)
        .await
        .with_context(|| format!("creating Ingress {name}"))?;
    Ok(())
}

async fn delete_one(client: kube::Client, ns: String, i: usize) -> Result<()> {
    let (name, svc) = (ingress_name(i), backend(i));
    let dp = DeleteParams::default();
    Api::<Ingress>::namespaced(client.clone(), &ns)
        .delete(&name, &dp)
        .await
        .with_context(|| format!("deleting Ingress {name}"))?;
    Api::<Service>::namespaced(client.clone(), &ns)
        .delete(&svc, &dp)
        .await
        .with_context(|| format!("deleting Service {svc}"))?;
    // No garbage collector runs in the test apiserver: the slice goes by hand.
    Api::<EndpointSlice>::namespaced(client.clone(), &ns)
        .delete(&format!("{svc}-x"), &dp)
        .await
        .with_context(|| format!("deleting EndpointSlice {svc}-x"))?;
    if secure(i) {
        Api::<Secret>::namespaced(client, &ns)
            .delete(&format!("{name}-tls"), &dp)
            .await
            .with_context(|| format!("deleting Secret {name}-tls"))?;
    }
    Ok(())
}
