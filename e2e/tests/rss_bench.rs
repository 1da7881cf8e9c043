//! Benchmark (opt-in): the resident memory of the reconciler process alone — the real binary,
//! apart from avisim and the apiserver — idle, then after syncing `AVIGW_RSS_GATEWAYS`
//! Gateways (default 1,000; 5 Kubernetes and 5 Avi objects each), or `AVIGW_RSS_INGRESSES`
//! Ingresses of 2 hosts (default 1,000; half secure; the fleet's, see `avigw_e2e::fleet`).
//!
//! `AVIGW_RSS_GATEWAYS=1000 AVIGW_RSS_INGRESSES=1000 cargo test -p avigw-e2e --release --test rss_bench -- --ignored --nocapture --test-threads 1`

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use avigw_e2e::fleet::Fleet;
use avigw_e2e::process::{ProcessOptions, ReconcilerProcess};
use avigw_e2e::stack::{CLUSTER_NAME, Stack};
use avigw_shared::naming::ClusterName;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly"]
async fn reconciler_rss_at_scale() -> Result<()> {
    let n = count("AVIGW_RSS_GATEWAYS");
    let stack = Stack::start_with(false).await?;
    let cluster = ClusterName::new(CLUSTER_NAME)?;
    let mut fleet = Fleet::new(stack.client.clone(), "rss", "avi-rss").await?;
    let reconciler = ReconcilerProcess::start(&stack, &ProcessOptions::new("rss-0")).await?;
    let idle = idle_rss(&reconciler).await?;
    fleet.create(0..n).await?;
    fleet
        .converge(&stack.avisim, &cluster, Duration::from_secs(1800))
        .await?;
    let synced = reconciler.rss_kib().context("RSS")?;
    println!(
        "reconciler RSS: idle {:.1} MiB, after syncing {n} Gateways {:.1} MiB (+{:.1} MiB, {:.1} KiB per Gateway)",
        idle as f64 / 1024.0,
        synced as f64 / 1024.0,
        synced.saturating_sub(idle) as f64 / 1024.0,
        synced.saturating_sub(idle) as f64 / n as f64
    );
    stack.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly"]
async fn reconciler_rss_ingresses_at_scale() -> Result<()> {
    let n = count("AVIGW_RSS_INGRESSES");
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

fn count(var: &str) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
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
