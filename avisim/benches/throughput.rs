//! avisim throughput: N concurrent keep-alive connections doing `GET /api/<pool>?name=...`
//! for a fixed time, against avisim and against a trivial axum handler on the same stack
//! (axum-server, same TLS config), so the ratio shows what avisim itself costs.
//!
//! cargo bench -p avisim --bench throughput -- [--connections 32] [--secs 5] [--objects 1000]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use avisim::{SimConfig, TlsSource};
use axum::Router;
use axum::routing::get;

struct Args {
    connections: usize,
    secs: u64,
    objects: usize,
}

fn args() -> Args {
    let mut a = Args {
        connections: 32,
        secs: 5,
        objects: 1000,
    };
    let v: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < v.len() {
        let next = v.get(i + 1).and_then(|s| s.parse().ok());
        match (v[i].as_str(), next) {
            ("--connections", Some(n)) => a.connections = n,
            ("--secs", Some(n)) => a.secs = n as u64,
            ("--objects", Some(n)) => a.objects = n,
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    a
}

fn client(ca_pem: Option<&str>) -> reqwest::Client {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    if let Some(pem) = ca_pem {
        for c in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            roots.add(c.expect("cert")).expect("root");
        }
    }
    let mut cfg =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("tls")
            .with_root_certificates(roots)
            .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    // One idle connection per client: each load task is one keep-alive connection.
    reqwest::Client::builder()
        .tls_backend_preconfigured(cfg)
        .pool_max_idle_per_host(1)
        .build()
        .expect("client")
}

struct Target {
    base: String,
    ca: Option<String>,
    headers: Vec<(String, String)>,
}

struct Result_ {
    rps: f64,
    p50: Duration,
    p99: Duration,
    errors: u64,
}

async fn load(t: &Target, a: &Args) -> Result_ {
    let stop = Arc::new(AtomicBool::new(false));
    let measuring = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = vec![];
    for conn in 0..a.connections {
        let http = client(t.ca.as_deref());
        let base = t.base.clone();
        let headers = t.headers.clone();
        let stop = stop.clone();
        let measuring = measuring.clone();
        let errors = errors.clone();
        let objects = a.objects;
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(100_000);
            let mut i = conn;
            while !stop.load(Ordering::Relaxed) {
                let mut rb = http.get(format!("{base}/api/pool?name=pool-{:05}", i % objects));
                for (k, v) in &headers {
                    rb = rb.header(k.as_str(), v.as_str());
                }
                let t0 = Instant::now();
                match rb.send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        if measuring.load(Ordering::Relaxed) {
                            lat.push(t0.elapsed());
                        }
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                i += 1;
            }
            lat
        }));
    }
    // Warm-up: connections and TLS handshakes are not what is measured.
    tokio::time::sleep(Duration::from_millis(500)).await;
    measuring.store(true, Ordering::Relaxed);
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(a.secs)).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut all = vec![];
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    all.sort();
    let n = all.len();
    let pct = |p: f64| {
        all.get(((all.len() as f64) * p) as usize)
            .copied()
            .unwrap_or_default()
    };
    Result_ {
        rps: n as f64 / elapsed.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
        errors: errors.load(Ordering::Relaxed),
    }
}

/// A trivial handler answering a pool-sized JSON page, on the same axum-server stack.
async fn start_baseline(tls: bool) -> Target {
    let body = serde_json::json!({"count": 1, "results": [{"name": "pool-00001", "uuid": "pool-x",
        "url": "https://h/api/pool/pool-x", "enabled": true}]})
    .to_string();
    let app = Router::new().route(
        "/api/pool",
        get(move || {
            let b = body.clone();
            async move { ([("content-type", "application/json")], b) }
        }),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    if tls {
        let g = avisim::tls::generate(&["127.0.0.1".into()]).expect("cert");
        let cfg = avisim::tls::server_config_from_pem(&g.cert_pem, &g.key_pem).expect("tls");
        let rc = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(cfg));
        let server = axum_server::from_tcp_rustls(listener, rc).expect("server");
        tokio::spawn(async move { server.serve(app.into_make_service()).await });
        Target {
            base: format!("https://{addr}"),
            ca: Some(g.ca_pem),
            headers: vec![],
        }
    } else {
        let server = axum_server::from_tcp(listener).expect("server");
        tokio::spawn(async move { server.serve(app.into_make_service()).await });
        Target {
            base: format!("http://{addr}"),
            ca: None,
            headers: vec![],
        }
    }
}

async fn start_avisim(tls: bool, objects: usize) -> (avisim::SimHandle, Target) {
    let mut cfg = SimConfig::for_tests("bench-pw");
    cfg.request_log_capacity = 0;
    if !tls {
        cfg.tls = TlsSource::Plain;
    }
    let sim = avisim::spawn(cfg).await.expect("avisim");
    let http = client(sim.ca_pem());
    let r = http
        .post(format!("{}/login", sim.base_url()))
        .json(&serde_json::json!({"username": "admin", "password": "bench-pw"}))
        .send()
        .await
        .expect("login");
    let mut cookie = vec![];
    let mut csrf = String::new();
    for v in r.headers().get_all("set-cookie") {
        let nv = v
            .to_str()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .to_string();
        if let Some(t) = nv.strip_prefix("csrftoken=") {
            csrf = t.to_string();
        }
        cookie.push(nv);
    }
    let headers = vec![
        ("Cookie".to_string(), cookie.join("; ")),
        ("X-CSRFToken".to_string(), csrf),
        ("Referer".to_string(), sim.base_url().to_string()),
        ("X-Avi-Version".to_string(), "22.1.3".to_string()),
        ("X-Avi-Tenant".to_string(), "admin".to_string()),
        ("Content-Type".to_string(), "application/json".to_string()),
    ];
    for i in 0..objects {
        let mut rb = http.post(format!("{}/api/pool", sim.base_url()));
        for (k, v) in &headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        let body = serde_json::json!({"name": format!("pool-{i:05}"), "created_by": "avigw-bench",
            "servers": [{"ip": {"addr": "10.1.0.1", "type": "V4"}, "port": 80}],
            "health_monitor_refs": ["/api/healthmonitor?name=System-TCP"]});
        let r = rb.json(&body).send().await.expect("create");
        assert_eq!(r.status(), 201, "seeding pools");
    }
    let t = Target {
        base: sim.base_url().to_string(),
        ca: sim.ca_pem().map(str::to_string),
        headers,
    };
    (sim, t)
}

fn main() {
    let a = args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "avisim throughput: {} keep-alive connections, {} s per run, {} pools, GET /api/pool?name=..., {} cores",
        a.connections,
        a.secs,
        a.objects,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| server | transport | requests/s | p50 | p99 | errors |");
    println!("|---|---|---:|---:|---:|---:|");
    rt.block_on(async {
        for tls in [false, true] {
            let transport = if tls { "HTTPS" } else { "HTTP" };
            let base = start_baseline(tls).await;
            let rb = load(&base, &a).await;
            println!(
                "| trivial axum handler | {transport} | {:.0} | {:.2?} | {:.2?} | {} |",
                rb.rps, rb.p50, rb.p99, rb.errors
            );
            let (sim, target) = start_avisim(tls, a.objects).await;
            let rs = load(&target, &a).await;
            println!(
                "| avisim | {transport} | {:.0} | {:.2?} | {:.2?} | {} |",
                rs.rps, rs.p50, rs.p99, rs.errors
            );
            println!(
                "| avisim / baseline | {transport} | {:.2} | | | |",
                rs.rps / rb.rps.max(1.0)
            );
            sim.shutdown().await;
        }
    });
}
