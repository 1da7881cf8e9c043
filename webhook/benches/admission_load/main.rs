//! HTTPS keep-alive load on `/validate` next to a ceiling server.
//!
//! ```sh
//! cargo bench -p avigw-webhook --bench admission_load
//! cargo bench -p avigw-webhook --bench admission_load -- --duration 5 --rounds 5
//! ```
//!
//! Both servers run in-process on 127.0.0.1:0, each on its own tokio runtime, and the load
//! generator on a third one:
//!
//! - **webhook**: `server::start` with the production TLS config (`tls::server_config`, ring,
//!   TLS 1.2/1.3, the reloading resolver) and the production `StoreView`: reflector stores and
//!   the host index holding GatewayClass `avi`, IngressClass `avi` and 10,000 Ingresses
//!   ([`cluster`]);
//! - **ceiling**: axum + axum-server + rustls with the same `tls::server_config`, reading the
//!   body and answering a constant allow AdmissionReview (the webhook's own answer's bytes).
//!
//! Two workloads, one after the other against the same two servers, each a full AdmissionReview
//! as `kubectl apply` sends it (labels, a last-applied-configuration annotation, managedFields,
//! userInfo with groups and extra, options): **Gateway**, a CREATE of a two-listener TCP
//! Gateway; **Ingress**, a CREATE of an Ingress adding paths to two hosts of its namespace, so
//! ING-HOST-TAKEN looks both up in the index among the 10,000. Both are admitted without
//! warnings, so both answers are the ceiling's bytes.
//!
//! Phases, per workload:
//! 1. closed loop: `--connections` (32) persistent HTTP/1.1-over-TLS connections, each with one
//!    request in flight, `--rounds` rounds of `--duration` seconds per server, ceiling and
//!    webhook interleaved (ABBA order); medians of throughput, p50 and p99 are reported;
//! 2. open loop: a pacer thread schedules requests at `--rate` (2,000/s) for
//!    `--open-duration` seconds; latency is measured from the *scheduled* send time, so a
//!    stalled server is charged for every request it delayed (no coordinated omission);
//! 3. micro: `review()` alone and its stages on one thread, to split JSON/rules cost from
//!    TLS/HTTP cost.
//!
//! Server CPU per request is read from `/proc/self/task/*/schedstat` by thread name, so the
//! server-side cost can be compared without the load generator's share of the two cores.
//!
//! Every option is also an environment variable: `--open-duration 5` or
//! `AVIGW_BENCH_OPEN_DURATION=5` (`-- --help` lists them). Without `--bench` (which `cargo
//! bench` passes) the binary only prints how to run it, so `cargo test --all-targets` never
//! runs the load. Latency percentiles come from an hdrhistogram per run (3 significant digits).
//!
//! Files: [`request`] (the AdmissionReviews), [`cluster`] (the webhook's view), [`servers`]
//! (webhook and ceiling), [`load`] (the connections and both loops), [`phases`] (one workload's
//! rounds), [`report`] (CPU, percentiles, medians), [`micro`].

mod cluster;
mod load;
mod micro;
mod phases;
mod report;
mod request;
mod servers;

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use anyhow::ensure;
use avigw_shared::config::Scope;
use avigw_webhook::review::{Mode, review};
use avigw_webhook::tls::{self, ReloadingResolver};
use axum::body::Bytes;
use clap::Parser;
use rustls::pki_types::CertificateDer;

use load::{Load, Target, call, closed_loop};
use phases::{Phases, Plan};
use report::{Summary, check_run, loadavg, median};
use request::{check_answer, gateway_review, ingress_review};
use servers::{runtime, start_ceiling, start_webhook};

fn seconds(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("not a number: {s:?}"))?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("must be >= 0, got {s}"))
    }
}

fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(v) if v >= 1 => Ok(v),
        Ok(_) => Err("must be >= 1".to_owned()),
        Err(_) => Err(format!("not a whole number: {s:?}")),
    }
}

/// HTTPS keep-alive load on /validate next to a ceiling server.
#[derive(Parser, Debug, Clone)]
#[command(name = "admission_load")]
struct Opts {
    /// Closed-loop seconds per round per server.
    #[arg(long, env = "AVIGW_BENCH_DURATION", default_value = "3", value_parser = seconds)]
    duration: f64,
    /// Closed-loop rounds per server.
    #[arg(long, env = "AVIGW_BENCH_ROUNDS", default_value = "3", value_parser = at_least_one)]
    rounds: usize,
    /// Closed-loop warm-up seconds per server, unrecorded.
    #[arg(long, env = "AVIGW_BENCH_WARMUP", default_value = "1", value_parser = seconds)]
    warmup: f64,
    /// Persistent HTTPS connections per server.
    #[arg(long, env = "AVIGW_BENCH_CONNECTIONS", default_value = "32", value_parser = at_least_one)]
    connections: usize,
    /// Open-loop requests per second.
    #[arg(long, env = "AVIGW_BENCH_RATE", default_value = "2000", value_parser = seconds)]
    rate: f64,
    /// Open-loop seconds per round per server.
    #[arg(long, env = "AVIGW_BENCH_OPEN_DURATION", default_value = "4", value_parser = seconds)]
    open_duration: f64,
    /// Open-loop rounds per server.
    #[arg(long, env = "AVIGW_BENCH_OPEN_ROUNDS", default_value = "3", value_parser = at_least_one)]
    open_rounds: usize,
    /// Tokio workers of each server runtime.
    #[arg(long, env = "AVIGW_BENCH_SERVER_THREADS", default_value = "2", value_parser = at_least_one)]
    server_threads: usize,
    /// Tokio workers of the load generator.
    #[arg(long, env = "AVIGW_BENCH_CLIENT_THREADS", default_value = "2", value_parser = at_least_one)]
    client_threads: usize,
    /// Seconds per micro-benchmark stage.
    #[arg(long, env = "AVIGW_BENCH_MICRO", default_value = "0.6", value_parser = seconds)]
    micro: f64,
    /// Run the load (`cargo bench` passes it).
    #[arg(long)]
    bench: bool,
    /// A filter from `cargo bench -- FILTER`; there is only one benchmark.
    #[arg(hide = true)]
    filter: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let o = Opts::parse();
    if !o.bench {
        println!(
            "admission_load: a load benchmark, not a test; run it with \
             `cargo bench -p avigw-webhook --bench admission_load` (or pass --bench)"
        );
        return Ok(());
    }
    let begun = Instant::now();
    let indexed = Instant::now();
    let view = cluster::cluster()?;
    let indexed = indexed.elapsed();
    let scope = Scope::default();
    let workloads: Vec<(&str, Bytes)> = vec![
        ("Gateway", Bytes::from(gateway_review())),
        ("Ingress", Bytes::from(ingress_review())),
    ];
    let mut answer: Option<Bytes> = None;
    for (name, body) in &workloads {
        let a = Bytes::from(review(body, Mode::Validate, view.as_ref(), &scope)?.body);
        check_answer(&format!("review() of the {name}"), &a)?;
        ensure!(
            answer.as_ref().is_none_or(|x| *x == a),
            "the workloads' answers differ"
        );
        answer = Some(a);
    }
    let answer = answer.expect("two workloads");

    let cert = tls::self_signed(&["localhost".into(), "127.0.0.1".into()])?;
    let trust: CertificateDer<'static> = cert.key.cert[0].clone();
    let resolver = ReloadingResolver::new(cert.key);

    let hook_rt = runtime("hook-srv", o.server_threads)?;
    let ceil_rt = runtime("ceil-srv", o.server_threads)?;
    let hook = start_webhook(&hook_rt, tls::server_config(resolver.clone())?, view.clone())?;
    let (ceil_addr, ceil_handle) = start_ceiling(&ceil_rt, tls::server_config(resolver)?, answer.clone())?;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(trust)?;
    let mut client_tls =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
    client_tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_tls));
    let target = |name, threads, addr| Target {
        name,
        threads,
        addr,
        connector: connector.clone(),
        conns: Vec::new(),
        handshakes: 0,
        closed: Arc::new(AtomicUsize::new(0)),
    };
    let mut ceiling = target("ceiling", "ceil-srv", ceil_addr);
    let mut webhook = target("webhook", "hook-srv", hook.admission_addr);

    println!("# admission_load");
    println!();
    for (name, body) in &workloads {
        println!("{name} request: {} bytes", body.len());
    }
    println!(
        "answer: {} bytes (the same for both); cluster view: {} Ingresses in reflector store and host index (filled in {:.0} ms)",
        answer.len(),
        cluster::INGRESSES,
        indexed.as_secs_f64() * 1e3
    );
    println!(
        "cores: {}; server runtimes: {} workers each; load generator: {} workers; loadavg at start: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        o.server_threads,
        o.client_threads,
        loadavg()
    );
    println!(
        "closed loop: {} connections, {} rounds x {:.1} s per server (+{:.1} s warm-up); open loop: {:.0} req/s, {} rounds x {:.1} s per server",
        o.connections, o.rounds, o.duration, o.warmup, o.rate, o.open_rounds, o.open_duration
    );
    let plan = Plan {
        connections: o.connections,
        rounds: o.rounds,
        duration: Duration::from_secs_f64(o.duration),
        rate: o.rate,
        open_rounds: o.open_rounds,
        open_duration: Duration::from_secs_f64(o.open_duration),
    };

    let client_rt = runtime("loadgen", o.client_threads)?;
    let results: Vec<(&str, Phases)> = client_rt.block_on(async {
        let mut results = Vec::new();
        for (name, body) in &workloads {
            let load = Arc::new(Load {
                answer_len: answer.len(),
                body: body.clone(),
            });
            for t in [&mut ceiling, &mut webhook] {
                t.fill(o.connections).await?;
                let first = call(&mut t.conns[0], body).await?;
                check_answer(t.name, &first)?;
                ensure!(first == answer, "{}: answer differs from review()'s", t.name);
                if o.warmup > 0.0 {
                    let r = closed_loop(t, &load, Duration::from_secs_f64(o.warmup)).await?;
                    check_run(t, &r)?;
                }
            }
            let phases = phases::run(name, &plan, [&mut ceiling, &mut webhook], &load).await?;
            results.push((*name, phases));
        }
        anyhow::Ok(results)
    })?;

    summary(&o, &workloads, &results);
    println!(
        "connections: ceiling {} TLS handshakes, webhook {} TLS handshakes for {} connections each; none closed during a run",
        ceiling.handshakes, webhook.handshakes, o.connections
    );

    let bodies: Vec<(&str, &[u8])> = workloads.iter().map(|(n, b)| (*n, b.as_ref())).collect();
    micro::micro(&bodies, view.as_ref(), Duration::from_secs_f64(o.micro))?;

    hook_rt.block_on(hook.shutdown(Duration::from_millis(200)));
    ceil_handle.graceful_shutdown(Some(Duration::from_millis(200)));
    drop(ceiling);
    drop(webhook);
    client_rt.shutdown_timeout(Duration::from_secs(1));
    ceil_rt.shutdown_timeout(Duration::from_secs(1));
    hook_rt.shutdown_timeout(Duration::from_secs(1));
    println!();
    println!(
        "total {:.1} s; loadavg at end: {}",
        begun.elapsed().as_secs_f64(),
        loadavg()
    );
    Ok(())
}

/// The workloads side by side: medians over rounds, and the targets.
fn summary(o: &Opts, workloads: &[(&str, Bytes)], results: &[(&str, Phases)]) {
    let med = |v: &[Summary], f: fn(&Summary) -> f64| median(v.iter().map(f).collect());
    let rps = |s: &Summary| s.rps;
    let p50 = |s: &Summary| s.p50.as_secs_f64() * 1e3;
    let p99 = |s: &Summary| s.p99.as_secs_f64() * 1e3;
    let svc99 = |s: &Summary| s.service_p99.as_secs_f64() * 1e3;
    let cpu = |s: &Summary| s.server_us_per_req;
    println!();
    println!("## summary (medians over rounds; ceiling / webhook)");
    println!();
    let names: Vec<&str> = results.iter().map(|(n, _)| *n).collect();
    println!("| | {} |", names.join(" | "));
    println!("|---|{}", "---:|".repeat(names.len()));
    let row = |label: String, cell: &dyn Fn(&Phases) -> String| {
        let cells: Vec<String> = results.iter().map(|(_, p)| cell(p)).collect();
        println!("| {label} | {} |", cells.join(" | "));
    };
    let bytes: Vec<String> = workloads.iter().map(|(_, b)| b.len().to_string()).collect();
    println!("| request bytes | {} |", bytes.join(" | "));
    row("closed loop req/s".into(), &|p| {
        format!("{:.0} / {:.0}", med(&p.closed[0], rps), med(&p.closed[1], rps))
    });
    row("closed loop, webhook / ceiling".into(), &|p| {
        format!(
            "**{:.1}%**",
            med(&p.closed[1], rps) / med(&p.closed[0], rps) * 100.0
        )
    });
    row("closed loop p50 ms".into(), &|p| {
        format!("{:.3} / {:.3}", med(&p.closed[0], p50), med(&p.closed[1], p50))
    });
    row("closed loop p99 ms".into(), &|p| {
        format!("{:.3} / {:.3}", med(&p.closed[0], p99), med(&p.closed[1], p99))
    });
    row("server CPU µs/req (closed loop)".into(), &|p| {
        format!("{:.1} / {:.1}", med(&p.closed[0], cpu), med(&p.closed[1], cpu))
    });
    row(format!("open loop {:.0}/s: achieved req/s", o.rate), &|p| {
        format!("{:.0} / {:.0}", med(&p.open[0], rps), med(&p.open[1], rps))
    });
    row(format!("open loop {:.0}/s: p50 ms", o.rate), &|p| {
        format!("{:.3} / {:.3}", med(&p.open[0], p50), med(&p.open[1], p50))
    });
    row(format!("open loop {:.0}/s: p99 ms", o.rate), &|p| {
        format!("{:.3} / **{:.3}**", med(&p.open[0], p99), med(&p.open[1], p99))
    });
    row(
        format!(
            "open loop {:.0}/s: p99 ms from the actual send (excludes load-generator lateness)",
            o.rate
        ),
        &|p| format!("{:.3} / {:.3}", med(&p.open[0], svc99), med(&p.open[1], svc99)),
    );
    println!();
    for (name, p) in results {
        let ratio = med(&p.closed[1], rps) / med(&p.closed[0], rps);
        let open_p99 = med(&p.open[1], p99);
        let open_rps = med(&p.open[1], rps);
        let rate_held = open_rps >= 0.98 * o.rate;
        println!(
            "{name}: target throughput >= 70% of the ceiling: {} ({:.1}%); target p99 <= 2 ms at {:.0} req/s: {} (p99 {:.3} ms at {:.0} req/s achieved)",
            if ratio >= 0.70 { "MET" } else { "NOT MET" },
            ratio * 100.0,
            o.rate,
            if open_p99 <= 2.0 && rate_held {
                "MET"
            } else {
                "NOT MET"
            },
            open_p99,
            open_rps
        );
    }
}
