//! The measured phases for one workload (one request body): the closed loop and the open loop,
//! ceiling and webhook interleaved (ABBA), one table row per round.

use std::sync::Arc;
use std::time::Duration;

use crate::load::{Load, Target, closed_loop, open_loop};
use crate::report::{Summary, check_run, ms, summarize};

/// How long and how hard to load one workload.
pub struct Plan {
    pub connections: usize,
    pub rounds: usize,
    pub duration: Duration,
    pub rate: f64,
    pub open_rounds: usize,
    pub open_duration: Duration,
}

/// Per-round summaries, `[ceiling, webhook]`.
pub struct Phases {
    pub closed: [Vec<Summary>; 2],
    pub open: [Vec<Summary>; 2],
}

/// The ceiling first on even rounds, the webhook first on odd ones, so drift hits both alike.
fn abba(round: usize) -> [usize; 2] {
    if round.is_multiple_of(2) { [0, 1] } else { [1, 0] }
}

pub async fn run(
    workload: &str,
    plan: &Plan,
    targets: [&mut Target; 2],
    load: &Arc<Load>,
) -> anyhow::Result<Phases> {
    let [ceiling, webhook] = targets;
    println!();
    println!(
        "## {workload}: closed loop, {} connections, one request in flight each",
        plan.connections
    );
    println!();
    println!(
        "| round | server | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | server CPU µs/req | loadgen CPU µs/req |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut closed: [Vec<Summary>; 2] = [Vec::new(), Vec::new()];
    for round in 0..plan.rounds {
        for i in abba(round) {
            let t: &mut Target = if i == 0 { &mut *ceiling } else { &mut *webhook };
            t.fill(plan.connections).await?;
            let r = closed_loop(t, load, plan.duration).await?;
            check_run(t, &r)?;
            let s = summarize(&r, r.wall);
            println!(
                "| {} | {} | {:.0} | {} | {} | {} | {} | {} | {:.1} | {:.1} |",
                round + 1,
                t.name,
                s.rps,
                ms(s.p50),
                ms(s.p90),
                ms(s.p99),
                ms(s.p999),
                ms(s.max),
                s.server_us_per_req,
                s.client_us_per_req
            );
            closed[i].push(s);
        }
    }

    println!();
    println!(
        "## {workload}: open loop, {:.0} req/s scheduled by a pacer thread, latency from the scheduled send",
        plan.rate
    );
    println!();
    println!(
        "| round | server | sent | achieved req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | service p50 ms | service p99 ms | schedule-to-send p99 ms | server CPU µs/req |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut open: [Vec<Summary>; 2] = [Vec::new(), Vec::new()];
    for round in 0..plan.open_rounds {
        for i in abba(round) {
            let t: &mut Target = if i == 0 { &mut *ceiling } else { &mut *webhook };
            t.fill(plan.connections).await?;
            let r = open_loop(t, load, plan.rate, plan.open_duration).await?;
            check_run(t, &r)?;
            let s = summarize(&r, r.wall);
            println!(
                "| {} | {} | {} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} |",
                round + 1,
                t.name,
                s.n,
                s.rps,
                ms(s.p50),
                ms(s.p90),
                ms(s.p99),
                ms(s.p999),
                ms(s.max),
                ms(s.service_p50),
                ms(s.service_p99),
                ms(s.dispatch_p99),
                s.server_us_per_req
            );
            open[i].push(s);
        }
    }
    Ok(Phases { closed, open })
}
