//! Soak (opt-in, bounded): the real reconciler binary under continuous churn — Gateways
//! created and deleted, endpoints changed — for `AVIGW_SOAK_MINUTES` (default 30) around
//! `AVIGW_SOAK_GATEWAYS` live Gateways (default 100). Every 30 s it samples the reconciler's
//! resident memory and Avi's object count. At the end the fleet must converge exactly, and
//! memory must be flat: the peak of the last third within 10 % + 8 MiB of the peak of the
//! first third after warm-up.
//!
//! `AVIGW_SOAK_RESYNC_SECONDS` sets the reconciler's full-resync period (default 600 s).
//!
//! `AVIGW_SOAK_MINUTES=30 cargo test -p avigw-e2e --release --test soak -- --ignored --nocapture`

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use avigw_e2e::fleet::Fleet;
use avigw_e2e::process::{ProcessOptions, ReconcilerProcess};
use avigw_e2e::stack::{CLUSTER_NAME, Stack};
use avigw_shared::naming::ClusterName;
use rand::Rng;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Sample {
    at: Duration,
    rss_kib: u64,
    avi_objects: usize,
    avi_store: usize,
    live: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "soak: opt-in, run explicitly (see the file's doc)"]
async fn churn_keeps_memory_flat_and_avi_exact() -> Result<()> {
    let minutes = env_or("AVIGW_SOAK_MINUTES", 30);
    let target = env_or("AVIGW_SOAK_GATEWAYS", 100) as usize;
    let run_for = Duration::from_secs(minutes * 60);
    let stack = Stack::start_with(false).await?;
    let cluster = ClusterName::new(CLUSTER_NAME)?;
    let mut fleet = Fleet::new(stack.client.clone(), "soak", "avi-soak").await?;
    let mut opts = ProcessOptions::new("soak-0");
    if let Ok(secs) = std::env::var("AVIGW_SOAK_RESYNC_SECONDS") {
        opts.env.push(("AVIGW_RESYNC_SECONDS".into(), secs));
    }
    let mut reconciler = ReconcilerProcess::start(&stack, &opts).await?;
    fleet.create(0..target).await?;
    let mut next = target;

    let started = Instant::now();
    let mut samples: Vec<Sample> = Vec::new();
    let mut last_sample = Instant::now() - Duration::from_secs(60);
    let (mut creates, mut deletes, mut updates) = (0u64, 0u64, 0u64);
    let mut rng = rand::rng();
    println!("   min   RSS MiB   Avi objects (ours / store)   live Gateways");
    while started.elapsed() < run_for {
        let live: Vec<usize> = fleet.live().collect();
        let roll: f64 = rng.random();
        if (roll < 0.3 && live.len() < target * 3 / 2) || live.len() < target / 2 {
            fleet.create(next..next + 1).await?;
            next += 1;
            creates += 1;
        } else if roll < 0.6 && !live.is_empty() {
            let i = live[rng.random_range(0..live.len())];
            fleet.delete(i..i + 1).await?;
            deletes += 1;
        } else if !live.is_empty() {
            let i = live[rng.random_range(0..live.len())];
            fleet.set_endpoints(i..i + 1, rng.random_range(1..=4)).await?;
            updates += 1;
        }
        if last_sample.elapsed() >= Duration::from_secs(30) {
            last_sample = Instant::now();
            let rss_kib = reconciler.rss_kib().context("reconciler RSS")?;
            let (avi_objects, avi_store) = {
                let store = stack.avisim.state().store_read();
                let ours = store
                    .all()
                    .filter(|r| !r.readonly && cluster.owns_name(&r.name))
                    .count();
                (ours, store.len())
            };
            let s = Sample {
                at: started.elapsed(),
                rss_kib,
                avi_objects,
                avi_store,
                live: fleet.len(),
            };
            println!(
                "{:6.1}   {:7.1}   {:5} / {:5}                {:5}",
                s.at.as_secs_f64() / 60.0,
                s.rss_kib as f64 / 1024.0,
                s.avi_objects,
                s.avi_store,
                s.live
            );
            samples.push(s);
        }
        ensure!(!reconciler.exited(), "the reconciler died");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("churn: {creates} creates, {deletes} deletes, {updates} endpoint changes");

    // Converge exactly on what is live.
    let took = fleet
        .converge(&stack.avisim, &cluster, Duration::from_secs(180))
        .await?;
    let verdict = fleet.verify(&stack.avisim, &cluster).await?;
    ensure!(verdict.avi_objects == fleet.len() * 5);
    println!(
        "converged {took:?} after the churn stopped: {} Avi objects for {} Gateways",
        verdict.avi_objects,
        fleet.len()
    );

    // Flat memory: skip the warm-up (first fifth, at least 2 min), compare the first and
    // last thirds of the rest.
    let warm = run_for.as_secs() / 5;
    let rest: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.at.as_secs() >= warm.max(120))
        .collect();
    ensure!(
        rest.len() >= 6,
        "too few samples ({}) for a trend: run longer",
        rest.len()
    );
    let third = rest.len() / 3;
    let peak = |xs: &[&Sample]| xs.iter().map(|s| s.rss_kib).max().unwrap_or(0);
    let (early, late) = (peak(&rest[..third]), peak(&rest[rest.len() - third..]));
    println!(
        "RSS peak after warm-up: first third {:.1} MiB, last third {:.1} MiB ({:+.1} %)",
        early as f64 / 1024.0,
        late as f64 / 1024.0,
        (late as f64 / early.max(1) as f64 - 1.0) * 100.0
    );
    ensure!(
        late <= early + early / 10 + 8 * 1024,
        "memory grows: {early} KiB → {late} KiB"
    );
    let seeded = samples.first().map_or(0, |s| s.avi_store - s.avi_objects);
    ensure!(
        samples.iter().all(|s| s.avi_store - s.avi_objects == seeded),
        "avisim holds objects that are not ours and were not there at the start"
    );
    reconciler.kill9().await?;
    stack.shutdown().await;
    Ok(())
}
