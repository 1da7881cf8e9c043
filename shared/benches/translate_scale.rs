//! The scale runs of the translation. Prints wall times (full translation, one key after one
//! endpoint change) and peak RSS, with baselines measured in the same process (a snapshot
//! clone, a JSON dump of the result).
//! - L4: 10,000 Gateways × 2 listeners, 20,000 Services, 200,000 endpoints.
//!   `cargo bench -p avigw-shared --bench translate_scale`
//! - L7: 10,000 Ingresses × 2 hosts × 2 paths (40,000 entries, a quarter of the hosts over
//!   TLS), 20,000 Services, 200,000 endpoints, LARGE shards.
//!   `cargo bench -p avigw-shared --bench translate_scale -- l7`

#[path = "synth.rs"]
mod synth;

use std::hint::black_box;
use std::time::{Duration, Instant};

use avigw_shared::translate::{
    Context, ControllerFacts, Key, Object, translate_all, translate_key, translate_l7_hosts,
};

/// `VmRSS` / `VmHWM` of this process in MiB (Linux).
fn proc_status(field: &str) -> f64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Resets VmHWM to the current RSS so the next peak belongs to what runs next.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    // `cargo bench` passes `--bench`; `l7` picks the Ingress run; another filter argument that
    // is not ours means "skip me".
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    if args.iter().any(|a| a == "l7") {
        return l7();
    }
    if args.iter().any(|a| !"translate_scale".contains(a.as_str())) {
        return;
    }
    let (gateways, eps) = (10_000, 10);
    let cfg = synth::config();
    let ctx = Context::new(&cfg, &ControllerFacts::default());
    let rss_start = proc_status("VmRSS:");
    let (mut snap, build) = time(|| synth::snapshot(&cfg, gateways, eps));
    let rss_snapshot = proc_status("VmRSS:");

    // Baseline: cloning the snapshot (an O(cluster) copy of the same data).
    let clones: Vec<Duration> = (0..3).map(|_| time(|| black_box(snap.clone())).1).collect();

    // Full translation: median of 5; peak RSS of the first run.
    reset_peak();
    let (plans, first) = time(|| translate_all(&ctx, &snap));
    let peak_translate = proc_status("VmHWM:");
    let key_count = plans.len();
    let pools: usize = plans.values().map(|p| p.avi.pools.len()).sum();
    let servers: usize = plans
        .values()
        .flat_map(|p| &p.avi.pools)
        .map(|p| p.servers.len())
        .sum();
    let (json, dump) = time(|| serde_json::to_vec(&plans).map(|v| v.len()).unwrap_or(0));
    drop(plans);
    let mut full = vec![first];
    for _ in 0..4 {
        full.push(time(|| black_box(translate_all(&ctx, &snap))).1);
    }

    // Incremental: one endpoint flips readiness; the change names its key, which is translated.
    let target = 5_000;
    let mut incr = Vec::new();
    let mut lookup = Vec::new();
    let mut keys_per_change = usize::MAX;
    for n in 0..2_000 {
        // Even flips for the measured change, odd for the upsert-only one: every upsert changes.
        let slice = synth::slice(target, 0, eps, Some((2 * n) % eps));
        let (_, d) = time(|| {
            let affected = snap.upsert(Object::EndpointSlice(slice));
            keys_per_change = keys_per_change.min(affected.len());
            for k in &affected {
                black_box(translate_key(&ctx, &snap, k));
            }
        });
        incr.push(d);
        let slice = synth::slice(target, 0, eps, Some((2 * n + 1) % eps));
        lookup.push(time(|| black_box(snap.upsert(Object::EndpointSlice(slice)))).1);
    }
    let peak_total = proc_status("VmHWM:");

    let (full_med, clone_med, incr_med, upsert_med) =
        (median(full.clone()), median(clones), median(incr), median(lookup));
    println!(
        "## translate_scale: {gateways} Gateways x 2 listeners, {} Services, {} endpoints",
        gateways * 2,
        gateways * 2 * eps
    );
    println!(
        "snapshot build (upsert of every object)      {:>10.1} ms",
        ms(build)
    );
    println!("RSS before build / after build               {rss_start:>7.1} MiB / {rss_snapshot:.1} MiB");
    println!(
        "full translation, first run                  {:>10.1} ms",
        ms(first)
    );
    println!(
        "full translation, median of 5                {:>10.1} ms  (min {:.1} ms)",
        ms(full_med),
        ms(*full.iter().min().unwrap_or(&first))
    );
    println!(
        "  output: {key_count} keys, {pools} pools, {servers} servers, {:.1} MiB as JSON",
        json as f64 / 1048576.0
    );
    println!("peak RSS during full translation (VmHWM)     {peak_translate:>10.1} MiB");
    println!("peak RSS of the whole run (VmHWM)            {peak_total:>10.1} MiB");
    println!(
        "baseline: snapshot clone, median of 3        {:>10.1} ms  (full / clone = {:.2}x)",
        ms(clone_med),
        ms(full_med) / ms(clone_med)
    );
    println!(
        "baseline: JSON dump of the full result       {:>10.1} ms  (full / dump = {:.2}x)",
        ms(dump),
        ms(full_med) / ms(dump)
    );
    println!(
        "incremental: 1 endpoint change -> {keys_per_change} key(s), median of 2000  {:>8.1} us  (full / incremental = {:.0}x)",
        incr_med.as_secs_f64() * 1e6,
        full_med.as_secs_f64() / incr_med.as_secs_f64()
    );
    println!(
        "  of which the EndpointSlice upsert alone    {:>10.1} us",
        upsert_med.as_secs_f64() * 1e6
    );
    assert_eq!(
        keys_per_change, 1,
        "every measured change names exactly its Gateway"
    );
    let ok =
        full_med < Duration::from_secs(1) && peak_translate < 500.0 && incr_med < Duration::from_millis(1);
    println!(
        "targets (< 1 s, < 500 MB, < 1 ms): {}",
        if ok { "met" } else { "NOT met" }
    );
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn l7() {
    let (ingresses, eps) = (10_000, 10);
    let cfg = synth::l7::config();
    let ctx = Context::new(&cfg, &ControllerFacts::default());
    let rss_start = proc_status("VmRSS:");
    let (mut snap, build) = time(|| synth::l7::snapshot(&cfg, ingresses, eps));
    let rss_snapshot = proc_status("VmRSS:");
    let clones: Vec<Duration> = (0..3).map(|_| time(|| black_box(snap.clone())).1).collect();

    reset_peak();
    let (plans, first) = time(|| translate_all(&ctx, &snap));
    let peak_translate = proc_status("VmHWM:");
    let keys = plans.len();
    let objects: usize = plans.values().map(|p| p.avi.names().len()).sum();
    let pools: usize = plans.values().map(|p| p.avi.pools.len()).sum();
    let servers: usize = plans
        .values()
        .flat_map(|p| &p.avi.pools)
        .map(|p| p.servers.len())
        .sum();
    let hosts_per_key: Vec<usize> = plans
        .values()
        .map(|p| {
            p.avi
                .vsvip
                .as_ref()
                .map_or(0, |v| v.dns_info.len().saturating_sub(1))
        })
        .collect();
    let (json, dump) = time(|| serde_json::to_vec(&plans).map(|v| v.len()).unwrap_or(0));
    drop(plans);
    let mut full = vec![first];
    for _ in 0..4 {
        full.push(time(|| black_box(translate_all(&ctx, &snap))).1);
    }

    // One endpoint flips readiness in a Service behind two hosts of one Ingress (a TLS one and
    // a plain one): the change names their keys (the two hosts may sit on two shards), for
    // those two hosts only.
    let mut results = Vec::new();
    for target in [5_000, 5_001] {
        let mut whole = Vec::new();
        let mut part = Vec::new();
        let mut upsert = Vec::new();
        let mut scope = (usize::MAX, 0usize);
        for n in 0..2_000 {
            let slice = synth::l7::slice(target, 0, eps, Some((3 * n) % eps));
            let (changes, d) = time(|| snap.upsert_detailed(Object::EndpointSlice(slice)));
            upsert.push(d);
            scope = (changes.keys.len(), changes.hosts.values().map(|h| h.len()).sum());
            let (_, d) = time(|| {
                for (k, hosts) in &changes.hosts {
                    black_box(translate_l7_hosts(&ctx, &snap, k, hosts));
                }
            });
            part.push(d);
            if n < 20 {
                let keys: Vec<&Key> = changes.keys.iter().collect();
                whole.push(
                    time(|| {
                        for k in &keys {
                            black_box(translate_key(&ctx, &snap, k));
                        }
                    })
                    .1,
                );
            }
        }
        results.push((target, scope, median(whole), median(part), median(upsert)));
    }
    let peak_total = proc_status("VmHWM:");

    let (full_med, clone_med) = (median(full.clone()), median(clones));
    println!(
        "## translate_scale l7: {ingresses} Ingresses x 2 hosts x 2 paths ({} entries, {} TLS hosts), {} Services, {} endpoints, LARGE",
        ingresses * 4,
        ingresses / 4 * 2,
        ingresses * 2,
        ingresses * 2 * eps
    );
    println!(
        "snapshot build (upsert of every object)      {:>10.1} ms",
        ms(build)
    );
    println!("RSS before build / after build               {rss_start:>7.1} MiB / {rss_snapshot:.1} MiB");
    println!(
        "full translation, first run                  {:>10.1} ms",
        ms(first)
    );
    println!(
        "full translation, median of 5                {:>10.1} ms  (min {:.1} ms)",
        ms(full_med),
        ms(*full.iter().min().unwrap_or(&first))
    );
    println!(
        "  output: {keys} keys, {objects} Avi objects, {pools} pools, {servers} servers, {:.1} MiB as JSON; hosts per key {}..{}",
        json as f64 / 1048576.0,
        hosts_per_key.iter().min().unwrap_or(&0),
        hosts_per_key.iter().max().unwrap_or(&0)
    );
    println!("peak RSS during full translation (VmHWM)     {peak_translate:>10.1} MiB");
    println!("peak RSS of the whole run (VmHWM)            {peak_total:>10.1} MiB");
    println!(
        "baseline: snapshot clone, median of 3        {:>10.1} ms  (full / clone = {:.2}x)",
        ms(clone_med),
        ms(full_med) / ms(clone_med)
    );
    println!(
        "baseline: JSON dump of the full result       {:>10.1} ms  (full / dump = {:.2}x)",
        ms(dump),
        ms(full_med) / ms(dump)
    );
    let mut host_ok = true;
    for (target, (keys, hosts), whole, part, upsert) in &results {
        let kind = if synth::l7::secure(*target) {
            "TLS"
        } else {
            "plain"
        };
        println!(
            "endpoint change behind {kind} Ingress ing-{target}: names {keys} key(s), {hosts} hosts of them"
        );
        println!(
            "  re-translate the whole key(s) (~2,500 hosts each), median of 20  {:>10.1} ms",
            ms(*whole)
        );
        println!(
            "  re-translate its hosts only, median of 2000                    {:>10.1} us  (whole keys / hosts = {:.0}x)",
            us(*part),
            whole.as_secs_f64() / part.as_secs_f64()
        );
        println!(
            "  the EndpointSlice upsert (views, indexes) alone                {:>10.1} us",
            us(*upsert)
        );
        assert!(
            *hosts == 2 && (1..=2).contains(keys),
            "an endpoint change names the keys of two hosts"
        );
        host_ok &= *part < Duration::from_millis(2);
    }
    let ok = full_med < Duration::from_secs(1) && peak_translate < 600.0 && host_ok;
    println!(
        "targets (full < 1 s, < 600 MB, endpoint change < 2 ms by host): {}",
        if ok { "met" } else { "NOT met" }
    );
}
