//! HTTPS keep-alive load on `/validate` next to a ceiling server (issue 6 item 7).
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
//!   TLS 1.2/1.3, the reloading resolver) and a `StaticView` that knows GatewayClass `avi`;
//! - **ceiling**: axum + axum-server + rustls with the same `tls::server_config`, reading the
//!   body and answering a constant allow AdmissionReview (the webhook's own answer's bytes).
//!
//! The request is a full AdmissionReview for a CREATE of a two-listener TCP Gateway as
//! `kubectl apply` sends it: labels, a last-applied-configuration annotation, managedFields,
//! userInfo with groups and extra, options.
//!
//! Phases:
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
//! `AVIGW_BENCH_OPEN_DURATION=5`. Without `--bench` (which `cargo bench` passes) the binary
//! only prints how to run it, so `cargo test --all-targets` never runs the load.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use avigw_shared::api::Gateway;
use avigw_shared::rules::{ClassState, GatewayContext, default_gateway, validate_gateway};
use avigw_webhook::metrics::Metrics;
use avigw_webhook::policy::PolicyConfig;
use avigw_webhook::review::{Mode, review};
use avigw_webhook::server::{self, AppState, Readiness, Running};
use avigw_webhook::tls::{self, ReloadingResolver};
use avigw_webhook::view::StaticView;
use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header;
use hyper_util::rt::TokioIo;
use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview};
use rustls::pki_types::{CertificateDer, ServerName};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::runtime::Runtime;

const USAGE: &str = "\
admission_load: HTTPS keep-alive load on /validate next to a ceiling server

usage: cargo bench -p avigw-webhook --bench admission_load [-- OPTIONS]

options (each also an env var AVIGW_BENCH_<NAME>, e.g. AVIGW_BENCH_OPEN_DURATION=5):
  --duration SECS        closed-loop seconds per round per server   [3]
  --rounds N             closed-loop rounds per server              [3]
  --warmup SECS          closed-loop warm-up per server, unrecorded [1]
  --connections N        persistent HTTPS connections per server    [32]
  --rate N               open-loop requests per second              [2000]
  --open-duration SECS   open-loop seconds per round per server     [4]
  --open-rounds N        open-loop rounds per server                [3]
  --server-threads N     tokio workers of each server runtime       [2]
  --client-threads N     tokio workers of the load generator        [2]
  --micro SECS           seconds per micro-benchmark stage          [0.6]
";

#[derive(Debug, Clone)]
struct Opts {
    duration: f64,
    rounds: usize,
    warmup: f64,
    connections: usize,
    rate: f64,
    open_duration: f64,
    open_rounds: usize,
    server_threads: usize,
    client_threads: usize,
    micro: f64,
}

impl Opts {
    const NAMES: [&'static str; 10] = [
        "duration",
        "rounds",
        "warmup",
        "connections",
        "rate",
        "open-duration",
        "open-rounds",
        "server-threads",
        "client-threads",
        "micro",
    ];

    fn set(&mut self, name: &str, value: &str) -> anyhow::Result<()> {
        let f = || -> anyhow::Result<f64> {
            let v: f64 = value
                .parse()
                .with_context(|| format!("--{name}: not a number: {value:?}"))?;
            ensure!(v.is_finite() && v >= 0.0, "--{name}: must be >= 0, got {value}");
            Ok(v)
        };
        let n = || -> anyhow::Result<usize> {
            let v: usize = value
                .parse()
                .with_context(|| format!("--{name}: not a whole number: {value:?}"))?;
            ensure!(v >= 1, "--{name}: must be >= 1");
            Ok(v)
        };
        match name {
            "duration" => self.duration = f()?,
            "rounds" => self.rounds = n()?,
            "warmup" => self.warmup = f()?,
            "connections" => self.connections = n()?,
            "rate" => self.rate = f()?,
            "open-duration" => self.open_duration = f()?,
            "open-rounds" => self.open_rounds = n()?,
            "server-threads" => self.server_threads = n()?,
            "client-threads" => self.client_threads = n()?,
            "micro" => self.micro = f()?,
            _ => bail!("unknown option --{name}\n\n{USAGE}"),
        }
        Ok(())
    }

    /// Defaults, then `AVIGW_BENCH_*`, then the command line. `None`: not run by `cargo bench`.
    fn parse() -> anyhow::Result<Option<Opts>> {
        let mut o = Opts {
            duration: 3.0,
            rounds: 3,
            warmup: 1.0,
            connections: 32,
            rate: 2000.0,
            open_duration: 4.0,
            open_rounds: 3,
            server_threads: 2,
            client_threads: 2,
            micro: 0.6,
        };
        for name in Opts::NAMES {
            let var = format!("AVIGW_BENCH_{}", name.to_uppercase().replace('-', "_"));
            if let Ok(v) = std::env::var(&var) {
                o.set(name, &v).with_context(|| format!("from {var}"))?;
            }
        }
        let mut bench = false;
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            match a.as_str() {
                "--bench" => bench = true,
                "-h" | "--help" => {
                    print!("{USAGE}");
                    return Ok(None);
                }
                _ => {
                    let Some(flag) = a.strip_prefix("--") else {
                        // `cargo bench -- FILTER` passes a filter; there is only one benchmark.
                        continue;
                    };
                    let (name, value) = match flag.split_once('=') {
                        Some((n, v)) => (n.to_owned(), v.to_owned()),
                        None => (
                            flag.to_owned(),
                            args.next().with_context(|| format!("--{flag} needs a value"))?,
                        ),
                    };
                    o.set(&name, &value)?;
                }
            }
        }
        if !bench {
            println!(
                "admission_load: a load benchmark, not a test; run it with \
                 `cargo bench -p avigw-webhook --bench admission_load` (or pass --bench)"
            );
            return Ok(None);
        }
        Ok(Some(o))
    }
}

// ---------------------------------------------------------------------------------------------
// The request

const NAMESPACE: &str = "storefront";
const NAME: &str = "payments-l4";
const UID: &str = "5b1c2e7d-8f3a-4c61-9d0e-2a7b6f41c9e3";

/// The Gateway as the user wrote it (what `kubectl apply` stores as last-applied).
fn applied_gateway() -> Value {
    let labels = json!({
        "ako.vmware.com/gateway-name": NAME,
        "ako.vmware.com/gateway-namespace": NAMESPACE,
    });
    json!({
        "apiVersion": "networking.x-k8s.io/v1alpha1",
        "kind": "Gateway",
        "metadata": {
            "name": NAME,
            "namespace": NAMESPACE,
            "labels": {
                "app.kubernetes.io/name": "payments",
                "app.kubernetes.io/instance": "payments-prod",
                "app.kubernetes.io/part-of": "storefront",
                "app.kubernetes.io/managed-by": "kustomize",
                "team": "payments",
                "env": "prod"
            },
            "annotations": {
                "argocd.argoproj.io/tracking-id": "storefront:networking.x-k8s.io/Gateway:storefront/payments-l4",
                "owner.example.com/oncall": "payments-sre@example.com"
            }
        },
        "spec": {
            "gatewayClassName": "avi",
            "listeners": [
                {"protocol": "TCP", "port": 443, "routes": {"kind": "Service", "selector": {"matchLabels": labels}}},
                {"protocol": "TCP", "port": 8443, "routes": {"kind": "Service", "selector": {"matchLabels": labels}}}
            ],
            "addresses": [{"type": "IPAddress", "value": "10.10.10.11"}]
        }
    })
}

/// The full AdmissionReview the apiserver sends for that `kubectl apply` (a CREATE).
fn admission_review() -> Vec<u8> {
    let applied = applied_gateway();
    let mut object = applied.clone();
    let meta = object["metadata"].as_object_mut().expect("metadata");
    meta["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
        Value::String(serde_json::to_string(&applied).expect("json") + "\n");
    meta.insert("uid".into(), json!("9e0f3a52-1b7c-4d8e-a6f5-0c2d4b8e7a91"));
    meta.insert("generation".into(), json!(1));
    meta.insert("creationTimestamp".into(), json!("2026-11-22T09:14:03Z"));
    let label_fields: serde_json::Map<String, Value> = applied["metadata"]["labels"]
        .as_object()
        .expect("labels")
        .keys()
        .map(|k| (format!("f:{k}"), json!({})))
        .collect();
    let listener_fields = json!({
        ".": {}, "f:port": {}, "f:protocol": {},
        "f:routes": {".": {}, "f:kind": {}, "f:selector": {".": {}, "f:matchLabels": {
            ".": {}, "f:ako.vmware.com/gateway-name": {}, "f:ako.vmware.com/gateway-namespace": {}
        }}}
    });
    meta.insert(
        "managedFields".into(),
        json!([{
            "manager": "kubectl-client-side-apply",
            "operation": "Update",
            "apiVersion": "networking.x-k8s.io/v1alpha1",
            "time": "2026-11-22T09:14:03Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {
                    "f:annotations": {
                        ".": {},
                        "f:argocd.argoproj.io/tracking-id": {},
                        "f:kubectl.kubernetes.io/last-applied-configuration": {},
                        "f:owner.example.com/oncall": {}
                    },
                    "f:labels": Value::Object({
                        let mut m = label_fields;
                        m.insert(".".into(), json!({}));
                        m
                    })
                },
                "f:spec": {
                    ".": {},
                    "f:addresses": {},
                    "f:gatewayClassName": {},
                    "f:listeners": {
                        "k:{\"port\":443,\"protocol\":\"TCP\"}": listener_fields.clone(),
                        "k:{\"port\":8443,\"protocol\":\"TCP\"}": listener_fields
                    }
                }
            }
        }]),
    );
    let gvk = json!({"group": "networking.x-k8s.io", "version": "v1alpha1", "kind": "Gateway"});
    let gvr = json!({"group": "networking.x-k8s.io", "version": "v1alpha1", "resource": "gateways"});
    serde_json::to_vec(&json!({
        "kind": "AdmissionReview",
        "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": UID,
            "kind": gvk,
            "resource": gvr,
            "requestKind": gvk,
            "requestResource": gvr,
            "name": NAME,
            "namespace": NAMESPACE,
            "operation": "CREATE",
            "userInfo": {
                "username": "system:serviceaccount:argocd:argocd-application-controller",
                "uid": "0c7d9a3e-5f21-4b8a-9e64-d1f0a2c3b4e5",
                "groups": [
                    "system:serviceaccounts",
                    "system:serviceaccounts:argocd",
                    "system:authenticated"
                ],
                "extra": {
                    "authentication.kubernetes.io/credential-id": ["JTI=7f3e9c1a-2b4d-4e6f-8a0b-c1d2e3f4a5b6"],
                    "authentication.kubernetes.io/node-name": ["worker-3.prod.example.com"],
                    "authentication.kubernetes.io/node-uid": ["3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d"],
                    "authentication.kubernetes.io/pod-name": ["argocd-application-controller-0"],
                    "authentication.kubernetes.io/pod-uid": ["6d7e8f9a-0b1c-4d2e-8f3a-4b5c6d7e8f9a"]
                }
            },
            "object": object,
            "oldObject": null,
            "dryRun": false,
            "options": {
                "kind": "CreateOptions",
                "apiVersion": "meta.k8s.io/v1",
                "fieldManager": "kubectl-client-side-apply",
                "fieldValidation": "Strict"
            }
        }
    }))
    .expect("json")
}

fn view() -> StaticView {
    let mut v = StaticView::default();
    v.add_class(
        serde_json::from_value(json!({
            "apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "GatewayClass",
            "metadata": {"name": "avi"}, "spec": {"controller": "ako.vmware.com/avi-lb"}
        }))
        .expect("GatewayClass"),
    );
    v
}

/// The request must be admitted cleanly, or the benchmark measures the wrong path.
fn check_answer(who: &str, answer: &[u8]) -> anyhow::Result<()> {
    let v: Value = serde_json::from_slice(answer).with_context(|| format!("{who}: answer is not JSON"))?;
    ensure!(v["response"]["uid"] == UID, "{who}: wrong uid in {v}");
    ensure!(
        v["response"]["allowed"] == true,
        "{who}: request not allowed: {v}"
    );
    ensure!(v["response"].get("warnings").is_none(), "{who}: warnings: {v}");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Servers

fn runtime(name: &str, threads: usize) -> anyhow::Result<Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name(name)
        .enable_all()
        .build()?)
}

fn start_webhook(rt: &Runtime, tls: rustls::ServerConfig) -> anyhow::Result<Running> {
    let readiness = Arc::new(Readiness::default());
    readiness.set_cert_loaded();
    readiness.set_view_synced();
    let state = AppState {
        view: Arc::new(view()),
        policy: PolicyConfig::default(),
        metrics: Arc::new(Metrics::new()?),
        readiness,
    };
    let local = "127.0.0.1:0".parse()?;
    Ok(rt.block_on(server::start(local, local, tls, state))?)
}

/// axum + rustls with the same TLS config, answering `answer` to every POST /validate.
fn start_ceiling(
    rt: &Runtime,
    tls: rustls::ServerConfig,
    answer: Bytes,
) -> anyhow::Result<(SocketAddr, Handle<SocketAddr>)> {
    let app = Router::new()
        .route(
            "/validate",
            post(move |_body: Bytes| {
                let answer = answer.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], answer) }
            }),
        )
        .layer(DefaultBodyLimit::max(server::MAX_BODY_BYTES));
    let handle = Handle::new();
    let addr = rt.block_on(async {
        tokio::spawn(
            axum_server::bind_rustls(
                SocketAddr::from(([127, 0, 0, 1], 0)),
                RustlsConfig::from_config(Arc::new(tls)),
            )
            .handle(handle.clone())
            .serve(app.into_make_service()),
        );
        handle.listening().await
    });
    Ok((addr.context("ceiling server did not listen")?, handle))
}

// ---------------------------------------------------------------------------------------------
// Client: explicit HTTP/1.1 connections over tokio-rustls, so reuse is by construction

type Conn = SendRequest<Full<Bytes>>;

struct Target {
    name: &'static str,
    /// Thread name of its server runtime, for the CPU accounting.
    threads: &'static str,
    addr: SocketAddr,
    connector: tokio_rustls::TlsConnector,
    conns: Vec<Conn>,
    handshakes: usize,
    /// Connections whose hyper task ended (the server or the client closed them).
    closed: Arc<AtomicUsize>,
}

impl Target {
    async fn connect(&mut self) -> anyhow::Result<Conn> {
        let tcp = tokio::net::TcpStream::connect(self.addr).await?;
        tcp.set_nodelay(true)?;
        let tls = self
            .connector
            .connect(ServerName::try_from("localhost")?, tcp)
            .await?;
        ensure!(
            tls.get_ref().1.alpn_protocol() == Some(b"http/1.1".as_slice()),
            "{}: ALPN did not settle on http/1.1",
            self.name
        );
        let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
        let closed = self.closed.clone();
        tokio::spawn(async move {
            let _ = conn.await;
            closed.fetch_add(1, Ordering::Relaxed);
        });
        self.handshakes += 1;
        Ok(send)
    }

    /// Tops the pool up to `n` open connections (between runs only).
    async fn fill(&mut self, n: usize) -> anyhow::Result<()> {
        self.conns.retain(|c| !c.is_closed());
        while self.conns.len() < n {
            let c = self.connect().await?;
            self.conns.push(c);
        }
        Ok(())
    }
}

async fn call(conn: &mut Conn, body: &Bytes) -> anyhow::Result<Bytes> {
    conn.ready().await?;
    let req = hyper::Request::post("/validate")
        .header(header::HOST, "localhost")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, */*")
        .header(header::USER_AGENT, "kube-apiserver-admission")
        .body(Full::new(body.clone()))?;
    let resp = conn.send_request(req).await?;
    ensure!(resp.status() == 200, "HTTP {}", resp.status());
    Ok(resp.into_body().collect().await?.to_bytes())
}

/// Shared by one run's tasks.
struct Load {
    body: Bytes,
    answer_len: usize,
}

struct Sample {
    /// From the scheduled send (open loop) or the send (closed loop) to the full answer.
    latency: Duration,
    /// From the actual send to the full answer.
    service: Duration,
}

struct ConnResult {
    conn: Conn,
    samples: Vec<Sample>,
    errors: usize,
    first_error: Option<String>,
}

impl ConnResult {
    fn record(&mut self, load: &Load, r: anyhow::Result<Bytes>, sample: Sample) {
        match r {
            Ok(b) if b.len() == load.answer_len => self.samples.push(sample),
            Ok(b) => self.fail(format!(
                "answer of {} bytes, expected {}",
                b.len(),
                load.answer_len
            )),
            Err(e) => self.fail(format!("{e:#}")),
        }
    }
    fn fail(&mut self, e: String) {
        self.errors += 1;
        self.first_error.get_or_insert(e);
    }
}

struct RunResult {
    samples: Vec<Sample>,
    errors: usize,
    first_error: Option<String>,
    wall: Duration,
    server_cpu: Duration,
    client_cpu: Duration,
    new_closed: usize,
}

async fn collect(
    target: &mut Target,
    tasks: Vec<tokio::task::JoinHandle<ConnResult>>,
    started: Instant,
    cpu0: BTreeMap<String, Duration>,
    closed0: usize,
) -> anyhow::Result<RunResult> {
    let mut out = RunResult {
        samples: Vec::new(),
        errors: 0,
        first_error: None,
        wall: Duration::ZERO,
        server_cpu: Duration::ZERO,
        client_cpu: Duration::ZERO,
        new_closed: 0,
    };
    for t in tasks {
        let r = t.await?;
        target.conns.push(r.conn);
        out.samples.extend(r.samples);
        out.errors += r.errors;
        if out.first_error.is_none() {
            out.first_error = r.first_error;
        }
    }
    out.wall = started.elapsed();
    let cpu1 = thread_cpu();
    let delta = |k: &str| {
        cpu1.get(k)
            .copied()
            .unwrap_or_default()
            .saturating_sub(cpu0.get(k).copied().unwrap_or_default())
    };
    out.server_cpu = delta(target.threads);
    out.client_cpu = delta("loadgen");
    out.new_closed = target.closed.load(Ordering::Relaxed) - closed0;
    Ok(out)
}

/// Every connection keeps one request in flight until `duration` is up.
async fn closed_loop(target: &mut Target, load: &Arc<Load>, duration: Duration) -> anyhow::Result<RunResult> {
    let (cpu0, closed0) = (thread_cpu(), target.closed.load(Ordering::Relaxed));
    let started = Instant::now();
    let deadline = started + duration;
    let tasks = target
        .conns
        .drain(..)
        .map(|conn| {
            let load = load.clone();
            tokio::spawn(async move {
                let mut r = ConnResult {
                    conn,
                    samples: Vec::with_capacity(8192),
                    errors: 0,
                    first_error: None,
                };
                while Instant::now() < deadline && !r.conn.is_closed() {
                    let sent = Instant::now();
                    let res = call(&mut r.conn, &load.body).await;
                    let took = sent.elapsed();
                    r.record(
                        &load,
                        res,
                        Sample {
                            latency: took,
                            service: took,
                        },
                    );
                }
                r
            })
        })
        .collect();
    collect(target, tasks, started, cpu0, closed0).await
}

/// A pacer thread releases one request every 1/rate s; whichever connection is free sends it.
/// Latency counts from the scheduled time, so queueing behind a slow answer is charged.
async fn open_loop(
    target: &mut Target,
    load: &Arc<Load>,
    rate: f64,
    duration: Duration,
) -> anyhow::Result<RunResult> {
    let (cpu0, closed0) = (thread_cpu(), target.closed.load(Ordering::Relaxed));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let t0 = Instant::now() + Duration::from_millis(20);
    let count = (rate * duration.as_secs_f64()).round() as u64;
    let interval_ns = 1e9 / rate;
    let pacer = std::thread::Builder::new().name("pacer".into()).spawn(move || {
        for i in 0..count {
            let at = t0 + Duration::from_nanos((i as f64 * interval_ns) as u64);
            let now = Instant::now();
            if at > now {
                std::thread::sleep(at - now);
            }
            if tx.send(at).is_err() {
                return;
            }
        }
    })?;
    let tasks = target
        .conns
        .drain(..)
        .map(|conn| {
            let (load, rx) = (load.clone(), rx.clone());
            tokio::spawn(async move {
                let mut r = ConnResult {
                    conn,
                    samples: Vec::with_capacity(1024),
                    errors: 0,
                    first_error: None,
                };
                loop {
                    let next = rx.lock().await.recv().await;
                    let Some(at) = next else { break };
                    let sent = Instant::now();
                    let res = call(&mut r.conn, &load.body).await;
                    let done = Instant::now();
                    r.record(
                        &load,
                        res,
                        Sample {
                            latency: done - at,
                            service: done - sent,
                        },
                    );
                }
                r
            })
        })
        .collect();
    let out = collect(target, tasks, t0, cpu0, closed0).await;
    pacer
        .join()
        .map_err(|_| anyhow::anyhow!("pacer thread panicked"))?;
    out
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers

/// CPU time used so far by this process's threads, summed by thread name.
fn thread_cpu() -> BTreeMap<String, Duration> {
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

fn median(mut v: Vec<f64>) -> f64 {
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

struct Summary {
    rps: f64,
    p50: Duration,
    p90: Duration,
    p99: Duration,
    p999: Duration,
    max: Duration,
    service_p50: Duration,
    service_p99: Duration,
    dispatch_p99: Duration,
    server_us_per_req: f64,
    client_us_per_req: f64,
    n: usize,
}

fn summarize(r: &RunResult, span: Duration) -> Summary {
    let mut lat: Vec<Duration> = r.samples.iter().map(|s| s.latency).collect();
    let mut svc: Vec<Duration> = r.samples.iter().map(|s| s.service).collect();
    let mut dispatch: Vec<Duration> = r.samples.iter().map(|s| s.latency - s.service).collect();
    lat.sort_unstable();
    svc.sort_unstable();
    dispatch.sort_unstable();
    let n = lat.len().max(1) as f64;
    Summary {
        rps: lat.len() as f64 / span.as_secs_f64(),
        p50: percentile(&lat, 0.50),
        p90: percentile(&lat, 0.90),
        p99: percentile(&lat, 0.99),
        p999: percentile(&lat, 0.999),
        max: lat.last().copied().unwrap_or_default(),
        service_p50: percentile(&svc, 0.50),
        service_p99: percentile(&svc, 0.99),
        dispatch_p99: percentile(&dispatch, 0.99),
        server_us_per_req: r.server_cpu.as_secs_f64() * 1e6 / n,
        client_us_per_req: r.client_cpu.as_secs_f64() * 1e6 / n,
        n: lat.len(),
    }
}

fn check_run(target: &Target, r: &RunResult) -> anyhow::Result<()> {
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

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// ns per call: the best of three slices of `total`, each after a short warm-up.
fn per_op(total: Duration, mut f: impl FnMut()) -> f64 {
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

// ---------------------------------------------------------------------------------------------

/// What validating a Gateway reads, and nothing else: every other field (managedFields,
/// annotations, userInfo, ...) is skipped by serde without being built. A reference for how far
/// the decoding cost can go down, not a proposal for the exact shape.
#[derive(Deserialize)]
#[allow(dead_code)]
struct LeanReview {
    request: LeanRequest,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct LeanRequest {
    uid: String,
    kind: LeanKind,
    operation: String,
    namespace: Option<String>,
    object: Option<LeanObject>,
    old_object: Option<LeanObject>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct LeanKind {
    group: String,
    kind: String,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct LeanObject {
    metadata: LeanMeta,
    spec: avigw_shared::api::GatewaySpec,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct LeanMeta {
    name: Option<String>,
    namespace: Option<String>,
    generate_name: Option<String>,
}

fn micro(body: &[u8], total: Duration) -> anyhow::Result<()> {
    use std::hint::black_box;
    let view = view();
    let cfg = PolicyConfig::default();
    let metrics = Metrics::new()?;
    let review_typed: AdmissionReview<DynamicObject> = serde_json::from_slice(body)?;
    let req: AdmissionRequest<DynamicObject> = review_typed.try_into()?;
    let object = req.object.clone().context("no object")?;
    let object_value = serde_json::to_value(&object)?;
    let gw = Gateway::deserialize(&object_value)?;
    let object_bytes = serde_json::to_vec(&object_value)?;
    let ctx = GatewayContext {
        class: ClassState::Ours,
    };

    let full = per_op(total, || {
        black_box(review(black_box(body), Mode::Validate, &view, cfg).expect("review"));
    });
    type Stage<'a> = (&'a str, Box<dyn FnMut() + 'a>);
    let stages: Vec<Stage> = vec![
        (
            "1 decode AdmissionReview<DynamicObject> from bytes",
            Box::new(|| {
                black_box(
                    serde_json::from_slice::<AdmissionReview<DynamicObject>>(black_box(body))
                        .expect("decode"),
                );
            }),
        ),
        (
            "2 object DynamicObject -> serde_json::Value (to_value)",
            Box::new(|| {
                black_box(serde_json::to_value(black_box(&object)).expect("to_value"));
            }),
        ),
        (
            "3 Value -> typed Gateway",
            Box::new(|| {
                black_box(Gateway::deserialize(black_box(&object_value)).expect("gateway"));
            }),
        ),
        (
            "4 rules: default_gateway + validate_gateway",
            Box::new(|| {
                let d = default_gateway(black_box(&gw));
                black_box(validate_gateway(None, &d, &ctx));
            }),
        ),
        (
            "5 encode the allow AdmissionReview",
            Box::new(|| {
                let resp = AdmissionResponse::from(black_box(&req));
                black_box(serde_json::to_vec(&resp.into_review()).expect("encode"));
            }),
        ),
        (
            "6 handler metrics (counter + histogram)",
            Box::new(|| {
                metrics
                    .requests
                    .with_label_values(&["Gateway", "CREATE", "true", "false"])
                    .inc();
                metrics.duration.with_label_values(&["Gateway"]).observe(0.0001);
            }),
        ),
        (
            "ref: the same bytes -> serde_json::Value",
            Box::new(|| {
                black_box(serde_json::from_slice::<Value>(black_box(body)).expect("value"));
            }),
        ),
        (
            "ref: scan the same bytes, keep nothing (IgnoredAny)",
            Box::new(|| {
                black_box(serde_json::from_slice::<serde::de::IgnoredAny>(black_box(body)).expect("scan"));
            }),
        ),
        (
            "ref: typed Gateway straight from the object's bytes",
            Box::new(|| {
                black_box(serde_json::from_slice::<Gateway>(black_box(&object_bytes)).expect("gateway"));
            }),
        ),
        (
            "ref: one typed pass, AdmissionReview<Gateway>",
            Box::new(|| {
                black_box(
                    serde_json::from_slice::<AdmissionReview<Gateway>>(black_box(body)).expect("typed"),
                );
            }),
        ),
        (
            "ref: lean decode, only what Gateway rules read",
            Box::new(|| {
                black_box(serde_json::from_slice::<LeanReview>(black_box(body)).expect("lean"));
            }),
        ),
    ];
    println!();
    println!(
        "## micro: one thread, best of 3 slices of {:.1} s",
        total.as_secs_f64()
    );
    println!();
    println!("| stage | µs/op | share of review() |");
    println!("|---|---:|---:|");
    println!("| review() whole, Mode::Validate | {:.1} | 100% |", full / 1e3);
    let mut sum = 0.0;
    for (name, mut f) in stages {
        let ns = per_op(total, &mut *f);
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            sum += ns;
        }
        println!("| {name} | {:.1} | {:.0}% |", ns / 1e3, ns / full * 100.0);
    }
    println!(
        "| sum of stages 1-6 | {:.1} | {:.0}% |",
        sum / 1e3,
        sum / full * 100.0
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let Some(o) = Opts::parse()? else {
        return Ok(());
    };
    let begun = Instant::now();
    let body = admission_review();
    let view = view();
    let answer = review(&body, Mode::Validate, &view, PolicyConfig::default())?.body;
    check_answer("review()", &answer)?;
    let (body, answer) = (Bytes::from(body), Bytes::from(answer));

    let cert = tls::self_signed(&["localhost".into(), "127.0.0.1".into()])?;
    let trust: CertificateDer<'static> = cert.key.cert[0].clone();
    let resolver = ReloadingResolver::new(cert.key);

    let hook_rt = runtime("hook-srv", o.server_threads)?;
    let ceil_rt = runtime("ceil-srv", o.server_threads)?;
    let hook = start_webhook(&hook_rt, tls::server_config(resolver.clone())?)?;
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
    let load = Arc::new(Load {
        answer_len: answer.len(),
        body: body.clone(),
    });

    println!("# admission_load");
    println!();
    println!(
        "request: {} bytes (CREATE of a two-listener TCP Gateway with labels, last-applied annotation, managedFields); answer: {} bytes",
        body.len(),
        answer.len()
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

    let client_rt = runtime("loadgen", o.client_threads)?;
    let outcome = client_rt.block_on(async {
        for t in [&mut ceiling, &mut webhook] {
            t.fill(o.connections).await?;
            let first = call(&mut t.conns[0], &body).await?;
            check_answer(t.name, &first)?;
            ensure!(first == answer, "{}: answer differs from review()'s", t.name);
            if o.warmup > 0.0 {
                let r = closed_loop(t, &load, Duration::from_secs_f64(o.warmup)).await?;
                check_run(t, &r)?;
            }
        }

        println!();
        println!("## closed loop: {} connections, one request in flight each", o.connections);
        println!();
        println!(
            "| round | server | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | server CPU µs/req | loadgen CPU µs/req |"
        );
        println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        let mut closed: [Vec<Summary>; 2] = [Vec::new(), Vec::new()];
        for round in 0..o.rounds {
            // ABBA: the server measured first alternates, so drift hits both alike.
            let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for i in order {
                let t = if i == 0 { &mut ceiling } else { &mut webhook };
                t.fill(o.connections).await?;
                let r = closed_loop(t, &load, Duration::from_secs_f64(o.duration)).await?;
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
            "## open loop: {:.0} req/s scheduled by a pacer thread, latency from the scheduled send",
            o.rate
        );
        println!();
        println!(
            "| round | server | sent | achieved req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | service p50 ms | service p99 ms | schedule-to-send p99 ms | server CPU µs/req |"
        );
        println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        let mut open: [Vec<Summary>; 2] = [Vec::new(), Vec::new()];
        for round in 0..o.open_rounds {
            let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for i in order {
                let t = if i == 0 { &mut ceiling } else { &mut webhook };
                t.fill(o.connections).await?;
                let r = open_loop(t, &load, o.rate, Duration::from_secs_f64(o.open_duration)).await?;
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
        anyhow::Ok((closed, open))
    });
    let (closed, open) = outcome?;

    let med = |v: &[Summary], f: fn(&Summary) -> f64| median(v.iter().map(f).collect());
    let rps = |s: &Summary| s.rps;
    let p50 = |s: &Summary| s.p50.as_secs_f64() * 1e3;
    let p99 = |s: &Summary| s.p99.as_secs_f64() * 1e3;
    let cpu = |s: &Summary| s.server_us_per_req;
    let (c, w) = (&closed[0], &closed[1]);
    let ratio = med(w, rps) / med(c, rps);
    let cpu_ratio = med(c, cpu) / med(w, cpu);
    let open_p99 = med(&open[1], p99);
    let open_rps = med(&open[1], rps);
    println!();
    println!("## summary (medians over rounds)");
    println!();
    println!("| | ceiling | webhook | webhook / ceiling |");
    println!("|---|---:|---:|---:|");
    println!(
        "| closed loop req/s | {:.0} | {:.0} | **{:.1}%** |",
        med(c, rps),
        med(w, rps),
        ratio * 100.0
    );
    println!(
        "| closed loop p50 ms | {:.3} | {:.3} | |",
        med(c, p50),
        med(w, p50)
    );
    println!(
        "| closed loop p99 ms | {:.3} | {:.3} | |",
        med(c, p99),
        med(w, p99)
    );
    println!(
        "| server CPU µs/req (closed loop) | {:.1} | {:.1} | {:.1}% (ceiling cost / webhook cost) |",
        med(c, cpu),
        med(w, cpu),
        cpu_ratio * 100.0
    );
    println!(
        "| open loop {:.0}/s: achieved req/s | {:.0} | {:.0} | |",
        o.rate,
        med(&open[0], rps),
        open_rps
    );
    println!(
        "| open loop {:.0}/s: p50 ms | {:.3} | {:.3} | |",
        o.rate,
        med(&open[0], p50),
        med(&open[1], p50)
    );
    println!(
        "| open loop {:.0}/s: p99 ms | {:.3} | **{:.3}** | |",
        o.rate,
        med(&open[0], p99),
        open_p99
    );
    let svc99 = |s: &Summary| s.service_p99.as_secs_f64() * 1e3;
    println!(
        "| open loop {:.0}/s: p99 ms from the actual send (not CO-free; excludes load-generator lateness) | {:.3} | {:.3} | |",
        o.rate,
        med(&open[0], svc99),
        med(&open[1], svc99)
    );
    println!();
    println!(
        "target throughput >= 70% of the ceiling: {} ({:.1}%)",
        if ratio >= 0.70 { "MET" } else { "NOT MET" },
        ratio * 100.0
    );
    let rate_held = open_rps >= 0.98 * o.rate;
    println!(
        "target p99 <= 2 ms at {:.0} req/s: {} (p99 {:.3} ms at {:.0} req/s achieved)",
        o.rate,
        if open_p99 <= 2.0 && rate_held {
            "MET"
        } else {
            "NOT MET"
        },
        open_p99,
        open_rps
    );
    println!(
        "connections: ceiling {} TLS handshakes, webhook {} TLS handshakes for {} connections each; none closed during a run",
        ceiling.handshakes, webhook.handshakes, o.connections
    );

    micro(&body, Duration::from_secs_f64(o.micro))?;

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
