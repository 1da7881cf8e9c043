//! Reconciler benchmark (ignored by default; run it explicitly, see BENCHMARKS.md):
//! initial sync of N Gateways (2 listeners, 2 backends each) against the testenv apiserver and
//! avisim — wall time and Avi calls; one endpoint change — Avi calls and event-to-write
//! latency; a restart with everything in place (no-op resync) — Avi calls.
//!
//! `AVIGW_BENCH_GATEWAYS=1000 cargo test -p avigw-reconciler --release --test run_bench -- --ignored --nocapture`
//!
//! `AVIGW_BENCH_WORKERS` sets `--workers` (default 4). Each figure is printed with the load
//! average, and the initial sync and the restart with where the time went: CPU seconds of
//! this process (reconciler and avisim) and of the apiserver, and the time keys spent in Avi
//! calls, as the client saw them.

mod run_support;

use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use run_support::env_with;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly"]
async fn initial_sync_endpoint_change_and_noop_resync() {
    let n: usize = env_or("AVIGW_BENCH_GATEWAYS", 1000);
    let workers: usize = env_or("AVIGW_BENCH_WORKERS", 4);
    // A /16 VIP network: one VIP per Gateway.
    let e = env_with("run-bench", |c| {
        c.networks = vec!["vip-net=10.50.0.0/16".parse().expect("network")];
    })
    .await;
    let ns = e.ctx.ns.clone();
    let net = e.object("network", "vip-net").await;
    println!(
        "VIP network: {}",
        net.map(|n| n["configured_subnets"].to_string())
            .unwrap_or_default()
    );
    let slices: Api<EndpointSlice> = Api::namespaced(e.ctx.client.clone(), &ns);
    create_fleet(&e, n).await;
    let mut raw = e.raw();
    raw.workers = Some(workers);
    let apiserver = e.ctx.env.pid().to_string();

    // Initial sync.
    e.sim.stats().reset();
    let rss_before = rss_kib();
    let cpu = Cpu::now(&apiserver);
    let t1 = Instant::now();
    let run = e.start_with(raw.clone(), "replica-a").await;
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
    println!(
        "initial sync: {initial:?}, Avi writes {}, all Avi calls {} (--workers {workers}, load {})",
        e.writes(),
        stats["total"],
        load()
    );
    println!(
        "initial sync, where the time went: {}",
        cpu.since(&apiserver, initial, &run.metrics)
    );
    println!(
        "initial sync, reconciles by result: {}",
        run.metrics
            .render()
            .lines()
            .filter(|l| l.starts_with("avigw_reconcile_total"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let vs = e.names("virtualservice").await.len();
    assert_eq!(vs, n);
    let rss_after = rss_kib();
    println!(
        "process RSS: {} MiB before the reconciler started, {} MiB after the initial sync (growth {} MiB = reconciler caches and snapshot + avisim's {} stored objects)",
        rss_before / 1024,
        rss_after / 1024,
        rss_after.saturating_sub(rss_before) / 1024,
        e.writes()
    );

    // One endpoint change.
    e.sim.stats().reset();
    let pool = format!("{}--{ns}-gw7-b80-gw7-TCP-80", e.cluster);
    let t2 = Instant::now();
    slices
        .patch(
            "gw7-b80-x",
            &PatchParams::default(),
            &Patch::Merge(json!({"endpoints": [{"addresses": ["10.0.7.1"]}, {"addresses": ["10.0.7.2"]}, {"addresses": ["10.0.7.3"]}]})),
        )
        .await
        .expect("patch slice");
    loop {
        let p = e.object("pool", &pool).await.expect("pool");
        if p["servers"].as_array().map_or(0, Vec::len) == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let latency = t2.elapsed();
    assert!(run.wait_idle(Duration::from_secs(60)).await);
    println!(
        "endpoint change: Avi writes {}, event-to-write latency {latency:?} (incl. polling avisim every 5 ms)",
        e.writes()
    );
    // Event-to-write latency over many single changes, one Gateway each.
    let rounds = n.min(100);
    let mut samples = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let pool = format!("{}--{ns}-gw{i}-b80-gw{i}-TCP-80", e.cluster);
        let t = Instant::now();
        slices
            .patch(
                &format!("gw{i}-b80-x"),
                &PatchParams::default(),
                &Patch::Merge(json!({"endpoints": [{"addresses": [format!("10.9.{}.1", i % 250)]}, {"addresses": [format!("10.9.{}.2", i % 250)]}, {"addresses": [format!("10.9.{}.3", i % 250)]}, {"addresses": [format!("10.9.{}.4", i % 250)]}]})),
            )
            .await
            .expect("patch slice");
        loop {
            let p = e.object("pool", &pool).await.expect("pool");
            if p["servers"].as_array().map_or(0, Vec::len) == 4 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        samples.push(t.elapsed());
    }
    samples.sort();
    let pct = |q: f64| {
        samples[((samples.len() as f64 * q).ceil() as usize)
            .saturating_sub(1)
            .min(samples.len() - 1)]
    };
    println!(
        "event-to-write over {rounds} single changes (polling avisim every 2 ms): p50 {:?}, p99 {:?}, max {:?}",
        pct(0.50),
        pct(0.99),
        samples[samples.len() - 1]
    );
    let lag = run.metrics.sync_lag.get_sample_sum() / run.metrics.sync_lag.get_sample_count().max(1) as f64;
    println!("mean avigw_sync_lag_seconds over the run: {lag:.4}");
    run.shutdown();

    // No-op resync: a restart with everything in place.
    e.sim.stats().reset();
    let cpu = Cpu::now(&apiserver);
    let t3 = Instant::now();
    let run = e.start_with(raw, "replica-b").await;
    while !run.is_active() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let active_after = t3.elapsed();
    assert!(run.wait_idle(Duration::from_secs(600)).await);
    println!("no-op resync: watches listed + Avi cache loaded (active) after {active_after:?}");
    let stats = e.sim.stats().snapshot();
    let restart = t3.elapsed();
    println!(
        "no-op resync (restart): {restart:?}, Avi writes {}, Avi calls {} ({}) (load {})",
        e.writes(),
        stats["total"],
        stats["by_method_object"],
        load()
    );
    println!(
        "no-op restart, where the time went: {}",
        cpu.since(&apiserver, restart, &run.metrics)
    );
    assert_eq!(e.writes(), 0);
    run.shutdown();
}

/// The Kubernetes writes of an initial sync alone, with no reconciler and no Avi: for each
/// Gateway the requests the reconciler makes (its finalizer as a JSON patch, its status as a
/// merge patch of the same shape, a `Synced` event on it and on each of its 2 backends),
/// `AVIGW_BENCH_WORKERS` Gateways at a time. Its wall time is the floor the apiserver sets on
/// the initial sync on this machine.
///
/// `AVIGW_BENCH_GATEWAYS=10000 cargo test -p avigw-reconciler --release --test run_bench -- --ignored --nocapture --exact kubernetes_writes_alone`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly"]
async fn kubernetes_writes_alone() {
    use k8s_openapi::api::core::v1::ObjectReference;
    use kube::Resource;
    use kube::api::ListParams;
    use kube::runtime::events::{Event, EventType, Recorder, Reporter};

    let n: usize = env_or("AVIGW_BENCH_GATEWAYS", 1000);
    let workers: usize = env_or("AVIGW_BENCH_WORKERS", 4);
    let e = env_with("run-bench-writes", |_| {}).await;
    let ns = e.ctx.ns.clone();
    create_fleet(&e, n).await;
    let client = e.ctx.client.clone();
    let gws: Api<avigw_shared::api::Gateway> = Api::namespaced(client.clone(), &ns);
    let svcs: Api<Service> = Api::namespaced(client.clone(), &ns);
    // The references the reconciler takes from its snapshot, read before the clock starts.
    let gw_refs: Vec<ObjectReference> = gws
        .list(&ListParams::default())
        .await
        .expect("list Gateways")
        .items
        .iter()
        .map(|g| g.object_ref(&()))
        .collect();
    let svc_refs: std::collections::BTreeMap<String, ObjectReference> = svcs
        .list(&ListParams::default())
        .await
        .expect("list Services")
        .items
        .iter()
        .map(|s| (s.metadata.name.clone().unwrap_or_default(), s.object_ref(&())))
        .collect();
    let reporter = Reporter {
        controller: "avigw-reconciler".into(),
        instance: Some("bench".into()),
    };
    let apiserver = e.ctx.env.pid().to_string();
    let (api0, own0) = (cpu_seconds(&apiserver), cpu_seconds("self"));
    let t = Instant::now();
    futures::stream::iter(gw_refs)
        .map(|gw| {
            let (gws, client, reporter, svc_refs) = (gws.clone(), client.clone(), reporter.clone(), &svc_refs);
            async move {
                let name = gw.name.clone().unwrap_or_default();
                let add = json!([{"op": "add", "path": "/metadata/finalizers", "value": ["gateway.ako.vmware.com/cleanup"]}]);
                let add: json_patch::Patch = serde_json::from_value(add)?;
                gws.patch(&name, &PatchParams::default(), &Patch::<()>::Json(add))
                    .await?;
                let at = jiff::Timestamp::now().to_string();
                let cond = |t: &str, m: &str| json!({"type": t, "status": "True", "observedGeneration": 1,
                    "lastTransitionTime": at, "reason": t, "message": m});
                let listener = |p: i32| json!({"port": p, "protocol": "TCP",
                    "conditions": [cond("Ready", "listening on the Avi virtual service")]});
                let status = json!({"status": {
                    "addresses": [{"type": "IPAddress", "value": "10.50.0.1"}],
                    "conditions": [cond("Scheduled", "accepted by avigw"),
                                   cond("Ready", "the Avi virtual service is placed with VIP 10.50.0.1")],
                    "listeners": [listener(80), listener(81)]}});
                gws.patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
                    .await?;
                let vs = format!("bench--{name}");
                let mut targets = vec![(gw.clone(), name.clone())];
                for p in [80, 81] {
                    let svc = format!("{name}-b{p}");
                    if let Some(r) = svc_refs.get(&svc) {
                        targets.push((r.clone(), svc));
                    }
                }
                for (r, of) in targets {
                    let ev = Event {
                        type_: EventType::Normal,
                        reason: "Synced".into(),
                        note: Some(format!("Added virtualservice {vs} for {of}")),
                        action: "Sync".into(),
                        secondary: None,
                    };
                    Recorder::new(client.clone(), reporter.clone())
                        .publish(&ev, &r)
                        .await?;
                }
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            }
        })
        .buffer_unordered(workers)
        .try_collect::<Vec<_>>()
        .await
        .expect("writes");
    let wall = t.elapsed().as_secs_f64();
    let (api, own) = (cpu_seconds(&apiserver) - api0, cpu_seconds("self") - own0);
    println!(
        "Kubernetes writes alone, {n} Gateways x 5 (finalizer, status, 3 events), {workers} at a time: {wall:.1} s; CPU: apiserver {api:.1} s = {:.2} cores ({:.2} ms per write), this process {own:.1} s = {:.2} cores (load {})",
        api / wall,
        1000.0 * api / (5 * n) as f64,
        own / wall,
        load()
    );
}

/// The bench's cluster: `n` Gateways (2 TCP listeners) with 2 backend Services and an
/// EndpointSlice (2 endpoints) each, created 16 at a time.
async fn create_fleet(e: &run_support::Env, n: usize) {
    let ns = e.ctx.ns.clone();
    let client = e.ctx.client.clone();
    let gws: Api<avigw_shared::api::Gateway> = Api::namespaced(client.clone(), &ns);
    let svcs: Api<Service> = Api::namespaced(client.clone(), &ns);
    let slices: Api<EndpointSlice> = Api::namespaced(client.clone(), &ns);

    let t0 = Instant::now();
    futures::stream::iter(0..n)
        .map(|i| {
            let (gws, svcs, slices, ns, class) = (
                gws.clone(),
                svcs.clone(),
                slices.clone(),
                ns.clone(),
                e.class.clone(),
            );
            async move {
                let name = format!("gw{i}");
                let listeners: Vec<_> = [80, 81]
                    .iter()
                    .map(|p| {
                        json!({"protocol": "TCP", "port": p, "routes": {"selector": {"matchLabels": {
                        "ako.vmware.com/gateway-namespace": ns, "ako.vmware.com/gateway-name": name}},
                        "group": "v1", "kind": "Service"}})
                    })
                    .collect();
                let gw = serde_json::from_value(
                    json!({"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "Gateway",
                    "metadata": {"name": name}, "spec": {"gatewayClassName": class, "listeners": listeners}}),
                )?;
                gws.create(&PostParams::default(), &gw).await?;
                for p in [80, 81] {
                    let svc = serde_json::from_value(
                        json!({"metadata": {"name": format!("{name}-b{p}"), "labels": {
                        "ako.vmware.com/gateway-namespace": ns, "ako.vmware.com/gateway-name": name}},
                        "spec": {"ports": [{"port": p, "targetPort": 8080, "protocol": "TCP"}]}}),
                    )?;
                    svcs.create(&PostParams::default(), &svc).await?;
                    let sl = serde_json::from_value(
                        json!({"metadata": {"name": format!("{name}-b{p}-x"), "labels": {
                        "kubernetes.io/service-name": format!("{name}-b{p}")}}, "addressType": "IPv4",
                        "ports": [{"port": 8080, "protocol": "TCP"}],
                        "endpoints": [{"addresses": [format!("10.{}.{}.1", i / 250, i % 250)]},
                                      {"addresses": [format!("10.{}.{}.2", i / 250, i % 250)]}]}),
                    )?;
                    slices.create(&PostParams::default(), &sl).await?;
                }
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await
        .expect("create objects");
    println!(
        "created {n} Gateways, {} Services, {} EndpointSlices in {:?} (load {})",
        2 * n,
        2 * n,
        t0.elapsed(),
        load()
    );
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The 1-minute load average: the machine is shared, so every figure says how busy it was.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default()
}

/// CPU seconds used so far by this process and by the apiserver.
struct Cpu {
    own: f64,
    apiserver: f64,
}

impl Cpu {
    fn now(apiserver: &str) -> Self {
        Cpu {
            own: cpu_seconds("self"),
            apiserver: cpu_seconds(apiserver),
        }
    }

    /// Where a phase of `wall` went: CPU of this process (reconciler and avisim) and of the
    /// apiserver in cores, and the keys' time in Avi calls against their whole time.
    fn since(&self, apiserver: &str, wall: Duration, m: &avigw_reconciler::run::Metrics) -> String {
        let wall = wall.as_secs_f64();
        let own = cpu_seconds("self") - self.own;
        let api = cpu_seconds(apiserver) - self.apiserver;
        let sum = |h: &prometheus::HistogramVec| -> (f64, u64) {
            use prometheus::core::Collector;
            h.collect()
                .iter()
                .flat_map(|f| f.get_metric())
                .map(|x| {
                    (
                        x.get_histogram().get_sample_sum(),
                        x.get_histogram().get_sample_count(),
                    )
                })
                .fold((0.0, 0), |(s, c), (s2, c2)| (s + s2, c + c2))
        };
        let (avi_s, avi_n) = sum(&m.avi_request_duration);
        let (key_s, key_n) = sum(&m.reconcile_duration);
        format!(
            "wall {wall:.1} s; CPU: this process (reconciler + avisim) {own:.1} s = {:.2} cores, apiserver {api:.1} s = {:.2} cores (2 on the machine); keys: {key_n} reconciles, {key_s:.1} s in all, of which {avi_s:.1} s in {avi_n} Avi calls (mean {:.2} ms)",
            own / wall,
            api / wall,
            1000.0 * avi_s / avi_n.max(1) as f64
        )
    }
}

/// utime + stime of a process, from /proc/<pid>/stat (clock ticks of 10 ms).
fn cpu_seconds(pid: &str) -> f64 {
    stat_cpu_seconds(&std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default())
}

/// utime + stime of a /proc/<pid>/stat line. Fields are taken by position: some are not
/// unsigned numbers (the state letter, and `tpgid` is -1 for a process without a terminal).
fn stat_cpu_seconds(stat: &str) -> f64 {
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    // utime and stime are fields 14 and 15 of the line; 11 and 12 after the name.
    let ticks = |i: usize| rest.split_whitespace().nth(i)?.parse::<u64>().ok();
    match (ticks(11), ticks(12)) {
        (Some(u), Some(s)) => (u + s) as f64 / 100.0,
        _ => 0.0,
    }
}

#[test]
fn stat_cpu_seconds_reads_utime_and_stime_without_a_terminal() {
    // A process started without a terminal: tty_nr 0, tpgid -1; utime 4006, stime 347 ticks.
    let stat =
        "25705 (run_bench-4 51e0) S 25704 25700 19183 0 -1 4194304 178510 14494 0 0 4006 347 10 8 20 0 5 0";
    assert_eq!(stat_cpu_seconds(stat), 43.53);
    // With a terminal (tpgid a process group).
    let stat = "1 (x) R 0 1 1 34816 1 4194560 1 0 0 0 250 50 0 0 20 0 1 0";
    assert_eq!(stat_cpu_seconds(stat), 3.0);
    assert_eq!(stat_cpu_seconds(""), 0.0);
}

/// This process's resident set, from /proc (KiB).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
