//! Reconciler benchmark for Ingresses (ignored by default; run it explicitly, see
//! BENCHMARKS.md), the L7 counterpart of `run_bench.rs` with the same harness: N Ingresses of
//! 2 hosts each (path `/`, one backend Service per host), the odd ones secure (one TLS Secret
//! for both hosts), against the testenv apiserver and avisim — initial sync wall time and Avi
//! calls; one endpoint change — Avi writes and event-to-write latency over 100 changes; a
//! restart with everything in place — Avi calls.
//!
//! `AVIGW_BENCH_INGRESSES=1000 cargo test -p avigw-reconciler --release --test run_bench_ingress -- --ignored --nocapture`

mod run_support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use avigw_shared::api::ShardSize;
use avigw_shared::naming::{ClusterName, shard_of};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use run_support::env;
use serde_json::{Value, json};

const HOSTS: [&str; 2] = ["a", "b"];

fn host(i: usize, h: &str) -> String {
    format!("{h}{i}.bench.example.com")
}

fn secure(i: usize) -> bool {
    i % 2 == 1
}

fn backend(i: usize, h: &str) -> String {
    format!("ing{i}-{h}")
}

fn endpoints(i: usize, h: usize, count: u8) -> Value {
    let eps: Vec<Value> = (1..=count)
        .map(|e| json!({"addresses": [format!("10.{}.{}.{}", 100 + h * 8 + i / 250, i % 250, e)]}))
        .collect();
    Value::Array(eps)
}

/// The Avi pool of host `h` of Ingress `i` (SPEC-ingress §2: insecure hosts pool on the
/// parent, secure ones under their SNI child).
fn pool(cluster: &ClusterName, ns: &str, i: usize, h: &str) -> String {
    let (name, host) = (format!("ing{i}"), host(i, h));
    if secure(i) {
        cluster.l7_sni_pool(None, ns, &host, "/", &name)
    } else {
        cluster.l7_insecure_pool(None, &host, "/", ns, &name)
    }
}

async fn create_one(client: kube::Client, ns: String, class: String, i: usize) -> Result<(), kube::Error> {
    let name = format!("ing{i}");
    let hosts: Vec<String> = HOSTS.iter().map(|h| host(i, h)).collect();
    if secure(i) {
        let pair = rcgen::generate_simple_self_signed(hosts.clone()).expect("certificate");
        let secret: Secret = serde_json::from_value(json!({
            "metadata": {"name": format!("{name}-tls")}, "type": "kubernetes.io/tls",
            "stringData": {"tls.crt": pair.cert.pem(), "tls.key": pair.signing_key.serialize_pem()}}))
        .expect("secret");
        Api::<Secret>::namespaced(client.clone(), &ns)
            .create(&PostParams::default(), &secret)
            .await?;
    }
    for (hi, h) in HOSTS.iter().enumerate() {
        let svc = backend(i, h);
        let service: Service = serde_json::from_value(json!({"metadata": {"name": svc},
            "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}}))
        .expect("service");
        Api::<Service>::namespaced(client.clone(), &ns)
            .create(&PostParams::default(), &service)
            .await?;
        let slice: EndpointSlice = serde_json::from_value(json!({
            "metadata": {"name": format!("{svc}-x"), "labels": {"kubernetes.io/service-name": svc}},
            "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": endpoints(i, hi, 2)}))
        .expect("slice");
        Api::<EndpointSlice>::namespaced(client.clone(), &ns)
            .create(&PostParams::default(), &slice)
            .await?;
    }
    let tls = if secure(i) {
        json!([{"hosts": hosts, "secretName": format!("{name}-tls")}])
    } else {
        json!([])
    };
    let rules: Vec<Value> = HOSTS
        .iter()
        .map(|h| {
            json!({"host": host(i, h), "http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": backend(i, h), "port": {"number": 80}}}}]}})
        })
        .collect();
    let ing: Ingress = serde_json::from_value(json!({"metadata": {"name": name},
        "spec": {"ingressClassName": class, "tls": tls, "rules": rules}}))
    .expect("ingress");
    Api::<Ingress>::namespaced(client, &ns)
        .create(&PostParams::default(), &ing)
        .await?;
    Ok(())
}

/// How many Avi objects `n` such Ingresses make (SPEC-ingress §4): per insecure host a pool;
/// per secure host a certificate, a pool, a PoolGroup, a switching set and an SNI child; per
/// shard with a host its parent VS, VsVip, PoolGroup and VSDataScriptSet, and a redirect set
/// when one of its hosts is secure. Also answers the number of parents.
fn expected_objects(n: usize) -> (usize, usize) {
    let mut objects = 0;
    let mut shards: std::collections::BTreeMap<u32, bool> = Default::default();
    for i in 0..n {
        for h in HOSTS {
            let s = shard_of(&host(i, h), ShardSize::Large).expect("shared shard");
            *shards.entry(s).or_default() |= secure(i);
            objects += if secure(i) { 5 } else { 1 };
        }
    }
    let parents = shards.len();
    objects += shards
        .values()
        .map(|secure| if *secure { 5 } else { 4 })
        .sum::<usize>();
    (objects, parents)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly"]
async fn ingresses_initial_sync_endpoint_change_and_noop_resync() {
    let n: usize = std::env::var("AVIGW_BENCH_INGRESSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let e = env("run-bench-ing").await;
    let ns = e.ctx.ns.clone();
    let cluster = ClusterName::new(&e.cluster).expect("cluster name");
    let client = e.ctx.client.clone();
    let ic: IngressClass = serde_json::from_value(
        json!({"metadata": {"name": e.class}, "spec": {"controller": "ako.vmware.com/avi-lb"}}),
    )
    .expect("class");
    Api::<IngressClass>::all(client.clone())
        .create(&PostParams::default(), &ic)
        .await
        .expect("create class");
    let slices: Api<EndpointSlice> = Api::namespaced(client.clone(), &ns);

    let t0 = Instant::now();
    futures::stream::iter(0..n)
        .map(|i| create_one(client.clone(), ns.clone(), e.class.clone(), i))
        .buffer_unordered(16)
        .try_collect::<Vec<()>>()
        .await
        .expect("create objects");
    println!(
        "created {n} Ingresses ({} hosts, {} secure), {} Services, {} EndpointSlices, {} Secrets in {:?}",
        2 * n,
        n,
        2 * n,
        2 * n,
        n / 2,
        t0.elapsed()
    );

    // Initial sync.
    e.sim.stats().reset();
    let t1 = Instant::now();
    let run = e.start().await;
    while !run.is_active() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!(
        "initial sync: watches listed + Avi cache loaded (active) after {:?}",
        t1.elapsed()
    );
    assert!(
        run.wait_idle(Duration::from_secs(1800)).await,
        "initial sync finished"
    );
    let initial = t1.elapsed();
    let stats = e.sim.stats().snapshot();
    let (want, parents) = expected_objects(n);
    let mut have = 0;
    for kind in [
        "sslkeyandcertificate",
        "pool",
        "poolgroup",
        "vsdatascriptset",
        "httppolicyset",
        "vsvip",
        "virtualservice",
    ] {
        have += e.names(kind).await.len();
    }
    println!(
        "initial sync: {initial:?}, Avi writes {}, all Avi calls {}; Avi objects {have} (expected {want}, {parents} parents)",
        e.writes(),
        stats["total"]
    );
    println!("  calls by method and object: {}", stats["by_method_object"]);
    assert_eq!(have, want, "every object of every host");
    // Every Ingress shows both hosts with a VIP.
    let listed = Api::<Ingress>::namespaced(client.clone(), &ns)
        .list(&ListParams::default())
        .await
        .expect("list");
    let complete = listed
        .items
        .iter()
        .filter(|i| {
            let hosts: BTreeSet<_> = i
                .status
                .as_ref()
                .and_then(|s| s.load_balancer.as_ref())
                .and_then(|l| l.ingress.as_ref())
                .into_iter()
                .flatten()
                .filter(|e| e.ip.is_some())
                .filter_map(|e| e.hostname.clone())
                .collect();
            hosts.len() == 2
        })
        .count();
    assert_eq!(complete, n, "every Ingress shows its 2 hosts with their VIPs");

    // One endpoint change: one host's backend of a secure Ingress.
    e.sim.stats().reset();
    let target = pool(&cluster, &ns, 7, "a");
    let t2 = Instant::now();
    slices
        .patch(
            "ing7-a-x",
            &PatchParams::default(),
            &Patch::Merge(json!({ "endpoints": endpoints(7, 0, 3) })),
        )
        .await
        .expect("patch slice");
    loop {
        let p = e.object("pool", &target).await.expect("pool");
        if p["servers"].as_array().map_or(0, Vec::len) == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let latency = t2.elapsed();
    assert!(run.wait_idle(Duration::from_secs(60)).await);
    println!(
        "endpoint change: Avi writes {} ({}), event-to-write latency {latency:?} (incl. polling avisim every 5 ms)",
        e.writes(),
        e.sim.stats().snapshot()["by_method_object"]
    );
    assert_eq!(e.writes(), 1, "one endpoint change = one pool written");
    // Event-to-write latency over many single changes, one host each (secure and insecure
    // alternate).
    let rounds = n.min(100);
    let mut samples = Vec::with_capacity(rounds);
    e.sim.stats().reset();
    for i in 0..rounds {
        let target = pool(&cluster, &ns, i, "b");
        let t = Instant::now();
        slices
            .patch(
                &format!("ing{i}-b-x"),
                &PatchParams::default(),
                &Patch::Merge(json!({ "endpoints": endpoints(i, 1, 4) })),
            )
            .await
            .expect("patch slice");
        loop {
            let p = e.object("pool", &target).await.expect("pool");
            if p["servers"].as_array().map_or(0, Vec::len) == 4 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        samples.push(t.elapsed());
    }
    assert!(run.wait_idle(Duration::from_secs(60)).await);
    samples.sort();
    let pct = |q: f64| {
        samples[((samples.len() as f64 * q).ceil() as usize)
            .saturating_sub(1)
            .min(samples.len() - 1)]
    };
    println!(
        "event-to-write over {rounds} single changes (polling avisim every 2 ms): p50 {:?}, p99 {:?}, max {:?}; Avi writes {}",
        pct(0.50),
        pct(0.99),
        samples[samples.len() - 1],
        e.writes()
    );
    run.shutdown();

    // No-op resync: a restart with everything in place.
    e.sim.stats().reset();
    let t3 = Instant::now();
    let run = e.start_with(e.raw(), "replica-b").await;
    while !run.is_active() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let active_after = t3.elapsed();
    assert!(run.wait_idle(Duration::from_secs(600)).await);
    println!("no-op resync: watches listed + Avi cache loaded (active) after {active_after:?}");
    let stats = e.sim.stats().snapshot();
    println!(
        "no-op resync (restart): {:?}, Avi writes {}, Avi calls {} ({})",
        t3.elapsed(),
        e.writes(),
        stats["total"],
        stats["by_method_object"]
    );
    assert_eq!(e.writes(), 0);
    run.shutdown();
}
