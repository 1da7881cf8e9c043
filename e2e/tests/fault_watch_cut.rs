//! The reconciler's connections to the apiserver cut: it talks through a TCP proxy that drops
//! every connection (watches mid-stream, lease renewals) and refuses new ones for 20 s —
//! longer than the 15 s Lease, so leadership lapses too. Gateways are deleted, created and
//! changed meanwhile; once the network is back the reconciler must relist, notice all of it
//! and converge. Then five cuts in quick succession, with changes in between.

use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use avigw_e2e::fleet::Fleet;
use avigw_e2e::proxy::{CutProxy, apiserver_addr};
use avigw_e2e::stack::{CLUSTER_NAME, Stack, start_reconciler_with};
use avigw_shared::naming::ClusterName;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_apiserver_connections_recover() -> Result<()> {
    let stack = Stack::start_with(false).await?;
    let cluster = ClusterName::new(CLUSTER_NAME)?;
    let proxy = CutProxy::start(apiserver_addr(stack.env)?).await?;
    let through_proxy = proxy.client(stack.env).await?;
    let reconciler = start_reconciler_with(&stack, through_proxy, |_| {}).await?;

    let mut fleet = Fleet::new(stack.client.clone(), "fleet", "avi-fleet").await?;
    fleet.create(0..20).await?;
    fleet
        .converge(&stack.avisim, &cluster, Duration::from_secs(60))
        .await?;
    let before = proxy.connections();

    // One long outage: everything cut, nothing gets through for 20 s.
    proxy.refuse(true);
    proxy.cut();
    let cut_at = Instant::now();
    fleet.delete(0..5).await?;
    fleet.create(20..25).await?;
    fleet.set_endpoints(5..10, 3).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let blind = fleet.verify(&stack.avisim, &cluster).await?;
    ensure!(!blind.converged(), "the reconciler cannot have seen the changes");
    tokio::time::sleep(Duration::from_secs(20).saturating_sub(cut_at.elapsed())).await;
    proxy.refuse(false);
    let took = fleet
        .converge(&stack.avisim, &cluster, Duration::from_secs(90))
        .await?;
    println!(
        "20 s outage: converged {took:?} after the network came back; {} new connections",
        proxy.connections() - before
    );
    ensure!(proxy.connections() > before, "it reconnected");

    // Flapping: five short cuts, a change after each.
    let t = Instant::now();
    for round in 0..5 {
        proxy.cut();
        let i = 25 + round;
        fleet.create(i..i + 1).await?;
        fleet.set_endpoints(10 + round..11 + round, 4).await?;
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    let took = fleet
        .converge(&stack.avisim, &cluster, Duration::from_secs(90))
        .await?;
    println!(
        "five cuts: converged {took:?} after the last ({:?} in all)",
        t.elapsed()
    );
    let metrics = reconciler.handle().metrics.render();
    ensure!(
        metrics.contains("avigw_leader 1"),
        "leading again after the outage"
    );
    reconciler.shutdown().await;
    stack.shutdown().await;
    Ok(())
}
