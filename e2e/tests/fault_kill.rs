//! The real reconciler binary killed with SIGKILL mid-sync, twice:
//!
//! 1. Two replicas with leader election; the leader is killed while the first sync of 200
//!    Gateways is under way: the follower takes the Lease when it expires and converges.
//! 2. The fleet changes, the new leader — now the only replica — is killed mid-sync too; a
//!    fresh process started afterwards converges.
//!
//! Convergence is checked object by object (see `Fleet::verify`): nothing missing, no orphan
//! left by a write cut in flight, no duplicate.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use avigw_e2e::fleet::Fleet;
use avigw_e2e::process::{ProcessOptions, ReconcilerProcess, lease_holder};
use avigw_e2e::stack::{CLUSTER_NAME, Stack};
use avigw_shared::naming::ClusterName;
use avisim::FaultPatch;

const GATEWAYS: usize = 200;

fn owned_objects(stack: &Stack, cluster: &ClusterName) -> usize {
    let store = stack.avisim.state().store_read();
    store
        .all()
        .filter(|r| !r.readonly && cluster.owns_name(&r.name))
        .count()
}

async fn wait_owned(stack: &Stack, cluster: &ClusterName, at_least: usize) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while owned_objects(stack, cluster) < at_least {
        ensure!(
            Instant::now() < deadline,
            "stuck at {} Avi objects",
            owned_objects(stack, cluster)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_sync_then_failover_and_restart_converge() -> Result<()> {
    let stack = Stack::start_with(false).await?;
    let cluster = ClusterName::new(CLUSTER_NAME)?;
    let mut fleet = Fleet::new(stack.client.clone(), "fleet", "avi-fleet").await?;
    fleet.create(0..GATEWAYS).await?;
    // Slow Avi down so that the kill lands mid-sync with writes in flight.
    stack.avisim.apply_faults(&FaultPatch {
        latency_ms: Some(15),
        ..Default::default()
    });

    let mut a = ReconcilerProcess::start(&stack, &ProcessOptions::new("replica-a")).await?;
    let t = Instant::now();
    let leader = loop {
        if let Some(h) = lease_holder(&stack.client).await? {
            break h;
        }
        ensure!(t.elapsed() < Duration::from_secs(60), "no leader");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    ensure!(leader == "replica-a", "first replica leads: {leader}");
    let mut b = ReconcilerProcess::start(&stack, &ProcessOptions::new("replica-b")).await?;

    // 1. Kill the leader a third of the way in.
    wait_owned(&stack, &cluster, GATEWAYS * 5 / 3).await?;
    a.kill9().await?;
    let killed_at = Instant::now();
    let at_kill = owned_objects(&stack, &cluster);
    println!(
        "replica-a killed with {at_kill} of {} Avi objects written",
        GATEWAYS * 5
    );
    let took_over = loop {
        if lease_holder(&stack.client).await?.as_deref() == Some("replica-b") {
            break killed_at.elapsed();
        }
        ensure!(
            killed_at.elapsed() < Duration::from_secs(30),
            "replica-b never took the Lease"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    fleet
        .converge(&stack.avisim, &cluster, Duration::from_secs(180))
        .await?;
    println!(
        "replica-b took the Lease {took_over:?} after the kill; converged {:?} after the kill",
        killed_at.elapsed()
    );
    ensure!(!b.exited(), "replica-b still running");

    // 2. Change the fleet, kill the only replica mid-sync, start a fresh one.
    stack.avisim.stats().reset();
    fleet.delete(0..50).await?;
    fleet.create(GATEWAYS..GATEWAYS + 50).await?;
    fleet.set_endpoints(50..100, 4).await?;
    let t = Instant::now();
    while stack.avisim.stats().count("DELETE", "virtualservice") + stack.avisim.stats().count("POST", "vsvip")
        < 20
    {
        ensure!(
            t.elapsed() < Duration::from_secs(60),
            "replica-b never started on the changes"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    b.kill9().await?;
    let mid = fleet.verify(&stack.avisim, &cluster).await?;
    println!(
        "replica-b killed mid-sync: {} difference(s) left for the next replica",
        mid.problems.len()
    );
    ensure!(!mid.converged(), "the kill landed mid-sync");
    let mut c = ReconcilerProcess::start(&stack, &ProcessOptions::new("replica-c")).await?;
    let converged = fleet
        .converge(&stack.avisim, &cluster, Duration::from_secs(180))
        .await?;
    println!("a fresh replica converged {converged:?} after it was started");
    let metrics = c.metrics().await.context("metrics of replica-c")?;
    ensure!(metrics.contains("avigw_leader 1"), "replica-c leads");
    ensure!(!c.exited());
    c.kill9().await?;
    stack.shutdown().await;
    Ok(())
}
