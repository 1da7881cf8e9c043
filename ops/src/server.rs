//! The plain-HTTP ops port: `/metrics` (Prometheus text), `/healthz` (the process answers)
//! and `/readyz` (it can do its work), SPEC §8.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The Prometheus text exposition format, version 0.0.4.
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// What a server reports on its ops port.
pub trait Probes: Send + Sync + 'static {
    /// The Prometheus text exposition of every metric.
    fn metrics(&self) -> String;
    /// `Ok` once the process can do its work; otherwise why not (the body of the 503).
    fn readiness(&self) -> Result<(), String>;
}

/// The routes of the ops port.
pub fn router(probes: Arc<dyn Probes>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(probes)
}

async fn metrics(State(p): State<Arc<dyn Probes>>) -> Response {
    ([(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)], p.metrics()).into_response()
}

async fn readyz(State(p): State<Arc<dyn Probes>>) -> Response {
    match p.readiness() {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why).into_response(),
    }
}

/// A serving ops port.
pub struct OpsServer {
    addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

/// Binds `addr` (port 0 picks a free one) and serves [`router`] until stopped.
pub async fn serve(addr: SocketAddr, probes: Arc<dyn Probes>) -> std::io::Result<OpsServer> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let stop = CancellationToken::new();
    let stopped = stop.clone().cancelled_owned();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router(probes))
            .with_graceful_shutdown(stopped)
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, %addr, "ops server stopped");
        }
    });
    Ok(OpsServer { addr, stop, task })
}

impl OpsServer {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting and lets requests in flight finish for up to `grace`.
    pub async fn shutdown(mut self, grace: Duration) {
        self.stop.cancel();
        if tokio::time::timeout(grace, &mut self.task).await.is_err() {
            self.task.abort();
        }
    }

    /// The serving task, for callers that serve for the life of the process and stop by
    /// aborting it.
    pub fn into_task(self) -> JoinHandle<()> {
        self.task
    }
}
