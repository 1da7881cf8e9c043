//! Per-call overhead of the Avi client: the same `GET /api/pool?name=...` against an
//! in-process avisim, sent (a) by a bare reqwest client with the headers pre-built and (b) by
//! `AviClient::get_by_name` (session state, header assembly, URL building, retry loop, metrics
//! hook, JSON decode). Sequential calls on one keep-alive connection; the difference of the
//! means is the client's own cost per call.
//!
//! cargo bench -p avigw-reconciler --bench avi_client_overhead -- [--calls 5000]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use avigw_reconciler::avi::{AviClient, AviClientConfig, Credentials, RequestRecord, Secret, TlsOptions};
use serde_json::{Value, json};

fn calls() -> usize {
    let v: Vec<String> = std::env::args().collect();
    v.windows(2)
        .find(|w| w[0] == "--calls")
        .and_then(|w| w[1].parse().ok())
        .unwrap_or(5000)
}

fn stats(mut d: Vec<Duration>) -> (Duration, Duration, Duration) {
    d.sort();
    let mean = d.iter().sum::<Duration>() / d.len().max(1) as u32;
    let p50 = d.get(d.len() / 2).copied().unwrap_or_default();
    let p99 = d.get(d.len() * 99 / 100).copied().unwrap_or_default();
    (mean, p50, p99)
}

fn main() {
    let n = calls();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let sim = avisim::spawn(avisim::SimConfig::for_tests("bench-pw"))
            .await
            .expect("avisim");
        let ca = std::env::temp_dir().join(format!("avisim-bench-ca-{}.pem", std::process::id()));
        std::fs::write(&ca, sim.ca_pem().unwrap_or_default()).expect("ca");
        let mut cfg = AviClientConfig::new(
            sim.base_url(),
            Credentials::Password {
                username: "admin".into(),
                password: Secret::new("bench-pw"),
            },
        );
        cfg.tls = TlsOptions {
            ca_file: Some(ca.clone()),
            insecure_skip_verify: false,
        };
        cfg.pool_max_idle_per_host = 1;
        let seen = Arc::new(AtomicU64::new(0));
        let s2 = seen.clone();
        let client = AviClient::with_observer(
            cfg.clone(),
            Arc::new(move |_: &RequestRecord<'_>| {
                s2.fetch_add(1, Ordering::Relaxed);
            }),
        )
        .expect("client");
        let _: Value = client
            .create("pool", &json!({"name": "bench-pool"}), None)
            .await
            .expect("create");

        // The bare client: same TLS trust, headers copied from what AviClient sent.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let pem = std::fs::read(&ca).expect("ca");
        let raw = reqwest::Client::builder()
            .tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).expect("pem"))
            .pool_max_idle_per_host(1)
            .build()
            .expect("raw client");
        let sent = sim
            .requests()
            .into_iter()
            .find(|r| r.method == "POST" && r.path == "/api/pool")
            .expect("logged request");
        let url = format!("{}/api/pool?name=bench-pool&page_size=2", sim.base_url());
        // Cookie/CSRF values are redacted in the log: log in separately for the raw client.
        let login = raw
            .post(format!("{}/login", sim.base_url()))
            .json(&json!({"username": "admin", "password": "bench-pw"}))
            .send()
            .await
            .expect("login");
        let cookies: Vec<String> = login
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
            .collect();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("cookie", cookies.join("; ").parse().expect("cookie"));
        for h in ["referer", "x-avi-version", "x-avi-tenant", "content-type"] {
            if let Some(v) = sent.headers.get(h) {
                headers.insert(h, v.parse().expect("header"));
            }
        }

        for round in 0..2 {
            let mut raw_lat = Vec::with_capacity(n);
            for _ in 0..n {
                let t = Instant::now();
                let r = raw.get(&url).headers(headers.clone()).send().await.expect("raw");
                let v: Value = serde_json::from_slice(&r.bytes().await.expect("body")).expect("json");
                assert_eq!(v["count"], 1);
                raw_lat.push(t.elapsed());
            }
            let mut cli_lat = Vec::with_capacity(n);
            for _ in 0..n {
                let t = Instant::now();
                let v: Option<Value> = client
                    .get_by_name("pool", "bench-pool", None)
                    .await
                    .expect("client");
                assert!(v.is_some());
                cli_lat.push(t.elapsed());
            }
            if round == 0 {
                continue; // warm-up round
            }
            let (rm, r50, r99) = stats(raw_lat);
            let (cm, c50, c99) = stats(cli_lat);
            println!(
                "Avi client overhead: {n} sequential GET-by-name calls over one HTTPS keep-alive connection"
            );
            println!("| caller | mean | p50 | p99 |");
            println!("|---|---:|---:|---:|");
            println!("| bare reqwest, pre-built headers | {rm:.1?} | {r50:.1?} | {r99:.1?} |");
            println!("| AviClient::get_by_name | {cm:.1?} | {c50:.1?} | {c99:.1?} |");
            println!(
                "| difference (client overhead per call) | {:.1?} | {:.1?} | |",
                cm.saturating_sub(rm),
                c50.saturating_sub(r50)
            );
        }
        println!("metrics hook calls: {}", seen.load(Ordering::Relaxed));
        let _ = std::fs::remove_file(&ca);
        sim.shutdown().await;
    });
}
