//! A mixed fleet synced through Avi faults: 200 Gateways (1,000 Kubernetes objects, 1,000 Avi
//! objects) and 100 Ingresses, half of them secure (about 400 Kubernetes and 350 Avi objects:
//! pools, certificates, PoolGroups, switching sets, SNI children and the shard parents), synced
//! while avisim adds latency, answers 5xx and 429, expires every session mid-sync, and then is
//! down for a minute while Gateways and Ingresses are deleted, created and changed. The
//! reconciler must converge on exactly the fleet: nothing missing, no orphans, no duplicates,
//! every pool with the endpoints last written, every Gateway Ready with its VIP, every Ingress
//! showing its host with its shard's VIP; and then stay quiet (no writes once converged).
//!
//! `AVIGW_FAULT_GATEWAYS`, `AVIGW_FAULT_INGRESSES` and `AVIGW_FAULT_DOWN_SECS` change the
//! sizes (default 200, 100) and the outage (default 60 s).

use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use avigw_e2e::fleet::Fleet;
use avigw_e2e::stack::{CLUSTER_NAME, Stack, start_reconciler};
use avigw_shared::naming::ClusterName;
use avisim::FaultPatch;
use avisim::faults::RejectAuth;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Names of the cluster's objects in avisim (user objects only).
fn owned(stack: &Stack, cluster: &ClusterName) -> std::collections::BTreeSet<String> {
    let store = stack.avisim.state().store_read();
    store
        .all()
        .filter(|r| !r.readonly && cluster.owns_name(&r.name))
        .map(|r| format!("{}/{}", r.kind.name, r.name))
        .collect()
}

async fn wait_for_objects(
    stack: &Stack,
    cluster: &ClusterName,
    at_least: usize,
    limit: Duration,
) -> Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        let n = {
            let store = stack.avisim.state().store_read();
            store
                .all()
                .filter(|r| !r.readonly && cluster.owns_name(&r.name))
                .count()
        };
        if n >= at_least {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "only {n} of {at_least} Avi objects after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_object_sync_through_avi_faults_converges() -> Result<()> {
    let gateways = env_or("AVIGW_FAULT_GATEWAYS", 200) as usize;
    let ingresses = env_or("AVIGW_FAULT_INGRESSES", 100) as usize;
    let down = Duration::from_secs(env_or("AVIGW_FAULT_DOWN_SECS", 60));
    let stack = Stack::start_with(false).await?;
    let cluster = ClusterName::new(CLUSTER_NAME)?;
    let mut fleet = Fleet::new(stack.client.clone(), "fleet", "avi-fleet").await?;
    let t = Instant::now();
    fleet.create(0..gateways).await?;
    fleet.create_ingresses(0..ingresses).await?;
    let total = fleet.expected_objects(&cluster);
    println!(
        "created {gateways} Gateways and {ingresses} Ingresses ({} Kubernetes objects, {total} Avi objects to make) in {:?}",
        gateways * 5 + ingresses * 3 + ingresses / 2,
        t.elapsed()
    );

    // Noise for the whole run: latency, one call in ten a 5xx, a request-rate ceiling.
    stack.avisim.apply_faults(&FaultPatch {
        latency_ms: Some(10),
        error_rate: Some(0.10),
        error_code: Some(502),
        rate_limit_rps: Some(80),
        ..Default::default()
    });
    stack.avisim.stats().reset();
    let started = Instant::now();
    let reconciler = start_reconciler(&stack).await?;

    // A quarter in: every session dies; the next calls carry a dead cookie.
    wait_for_objects(&stack, &cluster, total / 4, Duration::from_secs(120)).await?;
    stack.avisim.apply_faults(&FaultPatch {
        expire_sessions: Some(419),
        reject_auth_next: Some(RejectAuth { count: 5, code: 401 }),
        ..Default::default()
    });
    println!("sessions expired after {:?}", started.elapsed());

    // Half-way: Avi goes down; meanwhile the cluster keeps changing.
    wait_for_objects(&stack, &cluster, total / 2, Duration::from_secs(120)).await?;
    stack.avisim.apply_faults(&FaultPatch {
        down_for_secs: Some(down.as_secs_f64()),
        ..Default::default()
    });
    let down_from = Instant::now();
    println!("Avi down for {down:?} after {:?}", started.elapsed());
    let changed = gateways / 10;
    fleet.delete(0..changed).await?;
    fleet.set_endpoints(changed..2 * changed, 3).await?;
    fleet.create(gateways..gateways + changed).await?;
    let changed_ing = ingresses / 10;
    fleet.delete_ingresses(0..changed_ing).await?;
    fleet
        .set_ingress_endpoints(changed_ing..2 * changed_ing, 3)
        .await?;
    fleet.create_ingresses(ingresses..ingresses + changed_ing).await?;
    let during = fleet.verify(&stack.avisim, &cluster).await?;
    ensure!(!during.converged(), "cannot have converged while Avi is down");
    // Known down, a key fails at once (no retry budget spent per key): the failures of both
    // kinds show in the metrics well before Avi is back.
    let kinds: &[&str] = if ingresses > 0 {
        &["Gateway", "Ingress"]
    } else {
        &["Gateway"]
    };
    let failing: Vec<String> = kinds
        .iter()
        .map(|kind| format!("avigw_reconcile_total{{kind=\"{kind}\",result=\"error\"}}"))
        .collect();
    loop {
        let metrics = reconciler.handle().metrics.render();
        if failing.iter().all(|m| metrics.contains(m.as_str())) {
            break;
        }
        ensure!(
            down_from.elapsed() < down.saturating_sub(Duration::from_secs(5)),
            "while Avi was down, not every kind's failures were counted: {}",
            metrics
                .lines()
                .filter(|l| l.starts_with("avigw_reconcile_total"))
                .collect::<Vec<_>>()
                .join("; ")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "failures of both kinds counted {:?} into the outage",
        down_from.elapsed()
    );
    tokio::time::sleep(down.saturating_sub(down_from.elapsed())).await;
    let up_at = Instant::now();
    println!("Avi up again after {:?}", started.elapsed());
    // How soon work resumes: the first change in Avi's objects after the outage.
    let at_up = owned(&stack, &cluster);
    while owned(&stack, &cluster) == at_up && up_at.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!("first Avi change {:?} after Avi came back", up_at.elapsed());

    // Converge with the noise still on.
    fleet
        .converge(&stack.avisim, &cluster, Duration::from_secs(240))
        .await?;
    let verdict = fleet.verify(&stack.avisim, &cluster).await?;
    let stats = stack.avisim.stats().snapshot();
    println!(
        "converged {:?} after Avi came back ({:?} in all); {} Avi objects for {} Gateways and {} Ingresses ({} kept empty parents); avisim answered {} calls, by code {}",
        up_at.elapsed(),
        started.elapsed(),
        verdict.avi_objects,
        fleet.len(),
        fleet.ingress_count(),
        verdict.kept_parents,
        stats["total"],
        stats["by_code"]
    );
    ensure!(verdict.avi_objects == fleet.expected_objects(&cluster) + verdict.kept_parents);
    let by_code = &stats["by_code"];
    for code in ["502", "429", "419", "401", "503"] {
        ensure!(
            by_code[code].as_u64().unwrap_or(0) > 0,
            "no {code} was injected: {by_code}"
        );
    }

    // Converged means quiet: no more writes with the faults gone and nothing changing.
    stack.avisim.reset_faults();
    ensure!(
        reconciler.handle().wait_idle(Duration::from_secs(120)).await,
        "reconciler idle"
    );
    stack.avisim.stats().reset();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let writes = stack.avi_writes();
    ensure!(writes == 0, "{writes} Avi writes after convergence");
    reconciler.shutdown().await;
    stack.shutdown().await;
    Ok(())
}
