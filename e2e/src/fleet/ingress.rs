//! The Ingress half of a mixed fleet: Ingress `ingN` serves host `iN.fleet.example.com`, path
//! `/`, from its own ClusterIP Service (with an EndpointSlice); odd ones are secure, with a TLS
//! Secret of their own. An insecure host is one pool on its shard's parent; a secure one is a
//! certificate, a pool, a PoolGroup, a switching set and an SNI child (SPEC-ingress §4).
//! Each shard with a host has its parent (VirtualService, VsVip, PoolGroup, VSDataScriptSet,
//! and a redirect set while it has a secure host); a parent whose hosts are all gone is kept,
//! so it may or may not be there.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use avigw_shared::api::ShardSize;
use avigw_shared::naming::{ClusterName, shard_of};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::{Expected, Fleet, PARALLEL, Verdict};

pub fn ingress_name(i: usize) -> String {
    format!("ing{i}")
}

pub fn ingress_host(i: usize) -> String {
    format!("i{i}.fleet.example.com")
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
        futures::stream::iter(indices.clone())
            .map(|i| create_one(client.clone(), ns.clone(), class.clone(), i))
            .buffer_unordered(PARALLEL)
            .try_collect::<Vec<()>>()
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
        futures::stream::iter(indices.clone())
            .map(|i| delete_one(client.clone(), ns.clone(), i))
            .buffer_unordered(PARALLEL)
            .try_collect::<Vec<()>>()
            .await?;
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
        futures::stream::iter(indices.clone())
            .map(|i| {
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
            .buffer_unordered(PARALLEL)
            .try_collect::<Vec<()>>()
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
            let (name, host) = (ingress_name(i), ingress_host(i));
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

    /// Every live Ingress shows its host with its shard parent's VIP.
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
            let (name, host) = (ingress_name(i), ingress_host(i));
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
            let parent = shard_of(&host, ShardSize::Large).map(|n| cluster.l7_shared(None, n));
            let vip = parent
                .as_ref()
                .and_then(|p| vips.get(p))
                .cloned()
                .unwrap_or_default();
            if got != [(host.clone(), vip.clone())] {
                v.problems
                    .push(format!("Ingress {name}: status {got:?}, want [({host}, {vip})]"));
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

async fn create_one(client: kube::Client, ns: String, class: String, i: usize) -> Result<()> {
    let (name, host, svc) = (ingress_name(i), ingress_host(i), backend(i));
    if secure(i) {
        let pair = rcgen::generate_simple_self_signed(vec![host.clone()]).context("a certificate")?;
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
        json!([{"hosts": [host], "secretName": format!("{name}-tls")}])
    } else {
        json!([])
    };
    let ing: Ingress = serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {"ingressClassName": class, "tls": tls, "rules": [{"host": host, "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": svc, "port": {"number": 80}}}}]}}]}}))?;
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
