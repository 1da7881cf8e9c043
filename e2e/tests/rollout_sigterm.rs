//! Rolling updates of the real reconciler binary with the production lease timings (15 s,
//! renewed every 5 s). Each round starts a new replica, waits for it to be ready, gives the
//! leader work, and sends the leader SIGTERM mid-sync, as the kubelet does in a rollout. The
//! leader stops its workers and releases the Lease; the new replica must lead and write to Avi
//! within a second (waiting out the lease would take up to 15 s), the two never lead at once,
//! and the fleet converges exactly at the end.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use avigw_e2e::fleet::Fleet;
use avigw_e2e::process::{ProcessOptions, ReconcilerProcess, lease_holder};
use avigw_e2e::stack::{CLUSTER_NAME, Stack};
use avigw_shared::naming::ClusterName;
use avisim::FaultPatch;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Gateways at the start and added before each rollout: up to 100 (500 Avi objects). The new
/// leader's first write also waits for its start-up sync (it reads every owned Avi object),
/// which grows with the fleet: 0.25 s at 700 objects, 1.4 s at 1,300 in a debug build on a
/// loaded machine (docs/reliability.md).
const FIRST: usize = 40;
const PER_ROUND: usize = 15;
const ROLLOUTS: usize = 4;

fn options(pod: &str) -> ProcessOptions {
    let mut o = ProcessOptions::new(pod);
    o.lease_duration_secs = 15;
    o.lease_renew_secs = 5;
    o
}

/// One GET over a fresh connection: cheaper than a curl process, so samples are close together.
async fn http_get(port: u16, path: &str) -> Option<(bool, String)> {
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let req = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    conn.write_all(req.as_bytes()).await.ok()?;
    let mut buf = Vec::new();
    conn.read_to_end(&mut buf).await.ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let ok = text.starts_with("HTTP/1.1 200") || text.starts_with("HTTP/1.0 200");
    Some((ok, text))
}

/// What one replica's `/metrics` says: whether it leads, and its completed writes of Avi
/// objects (logins are POSTs too, but not writes). `None` while it does not answer.
async fn leads_and_writes(p: &ReconcilerProcess) -> Option<(bool, u64)> {
    let (true, text) = http_get(p.metrics_port, "/metrics").await? else {
        return None;
    };
    let is = |l: &str, label: &str, values: &[&str]| {
        values.iter().any(|v| l.contains(&format!("{label}=\"{v}\"")))
    };
    let writes = text
        .lines()
        .filter(|l| l.starts_with("avigw_avi_requests_total{"))
        .filter(|l| is(l, "method", &["POST", "PUT", "PATCH", "DELETE"]))
        .filter(|l| is(l, "object", &["vsvip", "pool", "l4policyset", "virtualservice"]))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    Some((text.lines().any(|l| l == "avigw_leader 1"), writes))
}

async fn ready(p: &ReconcilerProcess) -> bool {
    http_get(p.metrics_port, "/readyz")
        .await
        .is_some_and(|(ok, _)| ok)
}

async fn sigterm(p: &ReconcilerProcess) -> Result<()> {
    let pid = p.pid().context("no pid")?;
    let status = tokio::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await?;
    ensure!(status.success(), "kill -TERM {pid}: {status}");
    Ok(())
}

#[derive(Debug)]
struct Handover {
    leader_gauge: Duration,
    first_write: Duration,
    old_exited: Duration,
}

/// SIGTERM to `old` (the leader); times `new` from the signal: leader gauge 1, first Avi
/// write. Samples `new` before `old`, so `old` leading in a later sample than `new` would be
/// two leaders at once.
async fn hand_over(old: &mut ReconcilerProcess, new: &ReconcilerProcess) -> Result<Handover> {
    let (new_leads, new_writes) = leads_and_writes(new).await.context("new replica metrics")?;
    ensure!(!new_leads && new_writes == 0, "the follower leads or wrote");
    let t0 = Instant::now();
    sigterm(old).await?;
    let (mut leader_gauge, mut first_write, mut old_exited) = (None, None, None);
    loop {
        let (new_leads, new_writes) = leads_and_writes(new).await.unwrap_or_default();
        let old_leads = match leads_and_writes(old).await {
            Some((l, _)) => l,
            None => false,
        };
        // Stamped after sampling: the times are upper bounds.
        let t = t0.elapsed();
        if new_leads && old_leads {
            bail!("two leaders {t:?} after SIGTERM");
        }
        if new_leads {
            leader_gauge.get_or_insert(t);
        }
        if new_writes > 0 {
            first_write.get_or_insert(t);
        }
        if old.exited() {
            old_exited.get_or_insert(t);
        }
        if let (Some(leader_gauge), Some(first_write), Some(old_exited)) =
            (leader_gauge, first_write, old_exited)
        {
            return Ok(Handover {
                leader_gauge,
                first_write,
                old_exited,
            });
        }
        ensure!(
            t < Duration::from_secs(40),
            "no handover: gauge {leader_gauge:?}, write {first_write:?}, old exited {old_exited:?}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_rollouts_hand_over_in_under_a_second() -> Result<()> {
    let stack = Stack::start_with(false).await?;
    let cluster = ClusterName::new(CLUSTER_NAME)?;
    let mut fleet = Fleet::new(stack.client.clone(), "rollout", "avi-rollout").await?;
    fleet.create(0..FIRST).await?;
    // Slow Avi down so that every SIGTERM lands mid-sync with work left for the next leader.
    stack.avisim.apply_faults(&FaultPatch {
        latency_ms: Some(15),
        ..Default::default()
    });
    let mut leader = ReconcilerProcess::start(&stack, &options("replica-0")).await?;
    let t = Instant::now();
    while lease_holder(&stack.client).await?.as_deref() != Some("replica-0") {
        ensure!(t.elapsed() < Duration::from_secs(60), "replica-0 never led");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut times = Vec::new();
    let mut next_gateway = FIRST;
    for round in 1..=ROLLOUTS {
        let pod = format!("replica-{round}");
        let new = ReconcilerProcess::start(&stack, &options(&pod)).await?;
        let t = Instant::now();
        while !ready(&new).await {
            ensure!(t.elapsed() < Duration::from_secs(60), "{pod} never ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Work for the leader; the rollout stops it part-way through.
        let (_, before) = leads_and_writes(&leader).await.context("leader metrics")?;
        fleet.create(next_gateway..next_gateway + PER_ROUND).await?;
        next_gateway += PER_ROUND;
        let t = Instant::now();
        loop {
            let (_, writes) = leads_and_writes(&leader).await.context("leader metrics")?;
            if writes >= before + 10 {
                break;
            }
            ensure!(t.elapsed() < Duration::from_secs(60), "the leader never wrote");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let h = hand_over(&mut leader, &new).await?;
        println!(
            "rollout {round}: {pod} led {:?} and wrote {:?} after SIGTERM; the old leader exited after {:?}",
            h.leader_gauge, h.first_write, h.old_exited
        );
        ensure!(
            lease_holder(&stack.client).await?.as_deref() == Some(pod.as_str()),
            "{pod} holds the Lease"
        );
        times.push(h);
        leader = new;
    }

    let converged = fleet
        .converge(&stack.avisim, &cluster, Duration::from_secs(180))
        .await?;
    println!("converged {converged:?} after the last rollout");
    let led: Vec<_> = times.iter().map(|h| h.leader_gauge).collect();
    let wrote: Vec<_> = times.iter().map(|h| h.first_write).collect();
    println!("after SIGTERM, the new leader led {led:?} and wrote {wrote:?}");
    for (what, t) in [("led", led), ("wrote", wrote)] {
        let worst = t.iter().max().copied().unwrap_or_default();
        ensure!(
            worst < Duration::from_secs(1),
            "slowest handover: {what} after {worst:?}"
        );
    }
    ensure!(!leader.exited(), "the last leader still runs");
    leader.kill9().await?;
    stack.shutdown().await;
    Ok(())
}
