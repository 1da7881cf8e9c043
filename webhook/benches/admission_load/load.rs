//! The load generator: explicit HTTP/1.1 connections over tokio-rustls (so reuse is by
//! construction), a closed loop and an open loop paced by a thread.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::ensure;
use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;

use crate::report::{CpuSnapshot, thread_cpu};

pub type Conn = SendRequest<Full<Bytes>>;

pub struct Target {
    pub name: &'static str,
    /// Thread name of its server runtime, for the CPU accounting.
    pub threads: &'static str,
    pub addr: SocketAddr,
    pub connector: tokio_rustls::TlsConnector,
    pub conns: Vec<Conn>,
    pub handshakes: usize,
    /// Connections whose hyper task ended (the server or the client closed them).
    pub closed: Arc<AtomicUsize>,
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
    pub async fn fill(&mut self, n: usize) -> anyhow::Result<()> {
        self.conns.retain(|c| !c.is_closed());
        while self.conns.len() < n {
            let c = self.connect().await?;
            self.conns.push(c);
        }
        Ok(())
    }
}

pub async fn call(conn: &mut Conn, body: &Bytes) -> anyhow::Result<Bytes> {
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
pub struct Load {
    pub body: Bytes,
    pub answer_len: usize,
}

pub struct Sample {
    /// From the scheduled send (open loop) or the send (closed loop) to the full answer.
    pub latency: Duration,
    /// From the actual send to the full answer.
    pub service: Duration,
}

pub struct ConnResult {
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

pub struct RunResult {
    pub samples: Vec<Sample>,
    pub errors: usize,
    pub first_error: Option<String>,
    pub wall: Duration,
    pub server_cpu: Duration,
    pub client_cpu: Duration,
    pub new_closed: usize,
}

pub async fn collect(
    target: &mut Target,
    tasks: Vec<tokio::task::JoinHandle<ConnResult>>,
    started: Instant,
    cpu0: CpuSnapshot,
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
pub async fn closed_loop(
    target: &mut Target,
    load: &Arc<Load>,
    duration: Duration,
) -> anyhow::Result<RunResult> {
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
pub async fn open_loop(
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
