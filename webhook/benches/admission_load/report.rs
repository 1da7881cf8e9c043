//! Measurement and reporting: CPU per thread name, latency percentiles (hdrhistogram),
//! medians over rounds.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::ensure;
use hdrhistogram::Histogram;

use crate::load::{RunResult, Target};

/// CPU time used by this process's threads, by thread name.
pub type CpuSnapshot = BTreeMap<String, Duration>;

/// CPU time used so far by this process's threads, summed by thread name.
pub fn thread_cpu() -> CpuSnapshot {
    let mut m = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return m;
    };
    for e in dir.flatten() {
        let p = e.path();
        let Ok(comm) = std::fs::read_to_string(p.join("comm")) else {
            continue;
        };
        // schedstat's first field: ns on CPU. Fallback: utime + stime in USER_HZ (100) ticks.
        let ns = std::fs::read_to_string(p.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .or_else(|| {
                let stat = std::fs::read_to_string(p.join("stat")).ok()?;
                let rest = &stat[stat.rfind(')')? + 2..];
                let f: Vec<&str> = rest.split_whitespace().collect();
                Some((f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?) * 10_000_000)
            })
            .unwrap_or(0);
        *m.entry(comm.trim().to_owned()).or_default() += Duration::from_nanos(ns);
    }
    m
}

pub fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

pub struct Summary {
    pub rps: f64,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub p999: Duration,
    pub max: Duration,
    pub service_p50: Duration,
    pub service_p99: Duration,
    pub dispatch_p99: Duration,
    pub server_us_per_req: f64,
    pub client_us_per_req: f64,
    pub n: usize,
}

/// Nanosecond histogram of one run's latencies: 1 ns to 60 s at 3 significant digits.
fn histogram(values: impl Iterator<Item = Duration>) -> Histogram<u64> {
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("histogram bounds");
    for v in values {
        h.saturating_record(v.as_nanos().clamp(1, u128::from(u64::MAX)) as u64);
    }
    h
}

fn at(h: &Histogram<u64>, quantile: f64) -> Duration {
    Duration::from_nanos(if h.is_empty() {
        0
    } else {
        h.value_at_quantile(quantile)
    })
}

pub fn summarize(r: &RunResult, span: Duration) -> Summary {
    let lat = histogram(r.samples.iter().map(|s| s.latency));
    let svc = histogram(r.samples.iter().map(|s| s.service));
    let dispatch = histogram(r.samples.iter().map(|s| s.latency - s.service));
    let n = r.samples.len();
    let per_req = n.max(1) as f64;
    Summary {
        rps: n as f64 / span.as_secs_f64(),
        p50: at(&lat, 0.50),
        p90: at(&lat, 0.90),
        p99: at(&lat, 0.99),
        p999: at(&lat, 0.999),
        max: Duration::from_nanos(lat.max()),
        service_p50: at(&svc, 0.50),
        service_p99: at(&svc, 0.99),
        dispatch_p99: at(&dispatch, 0.99),
        server_us_per_req: r.server_cpu.as_secs_f64() * 1e6 / per_req,
        client_us_per_req: r.client_cpu.as_secs_f64() * 1e6 / per_req,
        n,
    }
}

pub fn check_run(target: &Target, r: &RunResult) -> anyhow::Result<()> {
    ensure!(
        r.errors == 0,
        "{}: {} failed requests (first: {})",
        target.name,
        r.errors,
        r.first_error.as_deref().unwrap_or("?")
    );
    ensure!(
        r.new_closed == 0,
        "{}: {} connections closed during the run: keep-alive broken",
        target.name,
        r.new_closed
    );
    Ok(())
}

pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// ns per call: the best of three slices of `total`, each after a short warm-up.
pub fn per_op(total: Duration, mut f: impl FnMut()) -> f64 {
    for _ in 0..20 {
        f();
    }
    let slice = total / 3;
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < slice {
            for _ in 0..16 {
                f();
            }
            n += 16;
        }
        best = best.min(start.elapsed().as_nanos() as f64 / n as f64);
    }
    best
}
