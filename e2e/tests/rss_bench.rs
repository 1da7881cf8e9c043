//! Benchmark (opt-in): the resident memory of the reconciler process alone — the real binary,
//! apart from avisim and the apiserver — idle, after syncing `AVIGW_RSS_GATEWAYS` Gateways
//! (default 1,000; 5 Kubernetes and 5 Avi objects each), and at its peak during a full resync
//! (every `AVIGW_RSS_RESYNC_SECONDS`, default 60); plus this test process's own RSS, which is
//! avisim holding every Avi object (and the test's small kube client). The second test syncs
//! `AVIGW_RSS_INGRESSES` Ingresses of 2 hosts (default 1,000; half secure; the fleet's, see
//! `avigw_e2e::fleet`).
//!
//! `AVIGW_RSS_GATEWAYS=1000 AVIGW_RSS_INGRESSES=1000 cargo test -p avigw-e2e --release --test rss_bench -- --ignored --nocapture --test-threads 1`
//!
//! `AVIGW_RECONCILER_WRAPPER` runs the reconciler under a profiler (`heaptrack -o /tmp/ht`) or
//! another build of it (a script that ignores the binary it is given).

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use avigw_e2e::fleet::Fleet;
use avigw_e2e::process::{ProcessOptions, ReconcilerProcess};
use avigw_e2e::stack::{CLUSTER_NAME, Stack};
use avigw_shared::naming::ClusterName;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly"]
async fn reconciler_rss_at_scale() -> Result<()> {
    let n: usize = env_or("AVIGW_RSS_GATEWAYS", 1000);
    let resync: u64 = env_or("AVIGW_RSS_RESYNC_SECONDS", 60);
    let stack = Stack::start_with(false).await?;
    let cluster = ClusterName::new(CLUSTER_NAME)?;
    let mut fleet = Fleet::new(stack.client.clone(), "rss", "avi-rss").await?;
    let mut opts = ProcessOptions::new("rss-0");
    opts.env.push(("AVIGW_RESYNC_SECONDS".into(), resync.to_string()));
    let test_idle = proc_kib("self", "VmRSS").context("own RSS")?;
    let reconciler = ReconcilerProcess::start(&stack, &opts).await?;
    let pid = reconciler.pid().context("pid")?.to_string();
    let idle = idle_rss(&reconciler).await?;
    println!("reconciler idle: {} (load {})", mib(idle), load());
    fleet.create(0..n).await?;
    let took = fleet
        .converge(&stack.avisim, &cluster, Duration::from_secs(3600))
        .await?;
    // An RSS with its growth over idle, in all and per Gateway.
    let grown = |kib: u64| {
        let growth = kib.saturating_sub(idle);
        format!(
            "{} (+{}, {:.1} KiB per Gateway)",
            mib(kib),
            mib(growth),
            growth as f64 / n as f64
        )
    };
    let synced = proc_kib(&pid, "VmRSS").context("RSS")?;
    let test_synced = proc_kib("self", "VmRSS").context("own RSS")?;
    println!(
        "reconciler after syncing {n} Gateways: {}; converged {took:?} after the fleet was created (load {})",
        grown(synced),
        load()
    );
    // Freed memory goes back to the OS within about a second of the process going quiet.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let settled = proc_kib(&pid, "VmRSS").context("RSS")?;
    println!(
        "reconciler 10 s later, nothing changing: {} (load {})",
        grown(settled),
        load()
    );
    println!(
        "test process (avisim with {} Avi objects): {} before the fleet, {} after (+{}) (load {})",
        stack.avi_objects().len(),
        mib(test_idle),
        mib(test_synced),
        mib(test_synced.saturating_sub(test_idle)),
        load()
    );

    // Peak during a full resync: reset the high-water mark, then wait for one whole resync
    // (started after the reset) to load Avi and re-check every key.
    let log = stack.dir.path().join(format!("{}.log", opts.pod));
    let count = |needle: &str| {
        std::fs::read_to_string(&log)
            .map(|s| s.lines().filter(|l| l.contains(needle)).count())
            .unwrap_or(0)
    };
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").context("resetting VmHWM")?;
    let started = count("periodic resync");
    let t = Instant::now();
    let limit = Duration::from_secs(3 * resync + 600);
    while count("periodic resync") <= started {
        ensure!(t.elapsed() < limit, "no periodic resync started");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let resync_start = Instant::now();
    while !resync_loaded(&std::fs::read_to_string(&log).unwrap_or_default(), started) {
        ensure!(t.elapsed() < limit, "the resync never loaded Avi");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let loaded = resync_start.elapsed();
    while reconciler
        .metrics()
        .await
        .is_none_or(|m| !m.lines().any(|l| l == "avigw_workqueue_depth 0"))
    {
        ensure!(t.elapsed() < limit, "the resync never finished");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let peak = proc_kib(&pid, "VmHWM").context("VmHWM")?;
    let after = proc_kib(&pid, "VmRSS").context("RSS")?;
    println!(
        "reconciler during a full resync (Avi loaded in {loaded:?}, keys re-checked by {:?}): peak {}, then {} (load {})",
        resync_start.elapsed(),
        mib(peak),
        mib(after),
        load()
    );
    stack.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly"]
async fn reconciler_rss_ingresses_at_scale() -> Result<()> {
    let n: usize = env_or("AVIGW_RSS_INGRESSES", 1000);
    let stack = Stack::start_with(false).await?;
    let cluster = ClusterName::new(CLUSTER_NAME)?;
    let mut fleet = Fleet::new(stack.client.clone(), "rss-ing", "avi-rss-ing")
        .await?
        .with_ingress_hosts(2);
    let reconciler = ReconcilerProcess::start(&stack, &ProcessOptions::new("rss-ing-0")).await?;
    let idle = idle_rss(&reconciler).await?;
    fleet.create_ingresses(0..n).await?;
    fleet
        .converge(&stack.avisim, &cluster, Duration::from_secs(1800))
        .await?;
    let verdict = fleet.verify(&stack.avisim, &cluster).await?;
    let synced = reconciler.rss_kib().context("RSS")?;
    println!(
        "reconciler RSS: idle {:.1} MiB, after syncing {n} Ingresses of 2 hosts ({} Avi objects) {:.1} MiB (+{:.1} MiB, {:.1} KiB per Ingress)",
        idle as f64 / 1024.0,
        verdict.avi_objects,
        synced as f64 / 1024.0,
        synced.saturating_sub(idle) as f64 / 1024.0,
        synced.saturating_sub(idle) as f64 / n as f64
    );
    stack.shutdown().await;
    Ok(())
}

/// The reconciler's RSS once it leads with nothing to do (KiB).
async fn idle_rss(reconciler: &ReconcilerProcess) -> Result<u64> {
    // Idle: watches listed, nothing to do.
    let t = Instant::now();
    while reconciler
        .metrics()
        .await
        .is_none_or(|m| !m.contains("avigw_leader 1"))
    {
        ensure!(t.elapsed() < Duration::from_secs(60), "never led");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    reconciler.rss_kib().context("RSS")
}

/// Whether a periodic resync started after the first `periodic_before` has loaded Avi: the
/// reconciler logs "start-up sync" once when it first loads Avi and once after each periodic
/// resync has loaded it, so a finished load leaves one more of those than periodic resyncs.
fn resync_loaded(log: &str, periodic_before: usize) -> bool {
    let count = |needle: &str| log.lines().filter(|l| l.contains(needle)).count();
    let periodic = count("periodic resync");
    periodic > periodic_before && count("start-up sync") > periodic
}

#[test]
fn a_resync_is_loaded_only_after_its_own_start_up_sync() {
    let first = "{\"message\":\"start-up sync\",\"keys\":0}\n";
    let resync = "{\"message\":\"periodic resync\"}\n";
    let loaded = "{\"message\":\"start-up sync\",\"keys\":5000}\n";
    // The resync after the reset has started but not loaded Avi yet.
    assert!(!resync_loaded(&format!("{first}{resync}"), 0));
    assert!(resync_loaded(&format!("{first}{resync}{loaded}"), 0));
    // An earlier resync's load does not count for a later one.
    let earlier = format!("{first}{resync}{loaded}");
    assert!(!resync_loaded(&earlier, 1));
    assert!(!resync_loaded(&format!("{earlier}{resync}"), 1));
    assert!(resync_loaded(&format!("{earlier}{resync}{loaded}"), 1));
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A `Vm*` line of /proc/<pid>/status (KiB).
fn proc_kib(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The 1-minute load average: the machine is shared, so every figure says how busy it was.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default()
}
