//! HTTP surfaces: `/validate` and `/mutate` over TLS; `/metrics`, `/healthz`, `/readyz` on a
//! separate plain-HTTP port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use avigw_ops::OpsServer;
use avigw_shared::config::Scope;
use avigw_shared::rules::ClusterView;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;

use crate::metrics::{Metrics, UNKNOWN_KIND};
use crate::review::{Mode, review};

/// Admission requests larger than this are refused (the apiserver's own cap is 3 MiB).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// Ready once the cluster view has synced and a certificate is loaded.
#[derive(Default)]
pub struct Readiness {
    view_synced: AtomicBool,
    cert_loaded: AtomicBool,
}

impl Readiness {
    pub fn set_view_synced(&self) {
        self.view_synced.store(true, Ordering::Release);
    }
    pub fn set_cert_loaded(&self) {
        self.cert_loaded.store(true, Ordering::Release);
    }
    pub fn is_ready(&self) -> bool {
        self.view_synced.load(Ordering::Acquire) && self.cert_loaded.load(Ordering::Acquire)
    }
}

#[derive(Clone)]
pub struct AppState {
    pub view: Arc<dyn ClusterView + Send + Sync>,
    pub scope: Arc<Scope>,
    pub metrics: Arc<Metrics>,
    pub readiness: Arc<Readiness>,
}

pub fn admission_router(state: AppState) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/mutate", post(mutate))
        // One byte over the cap so the handler sees the rejection and can say why.
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// What the webhook reports on its ops port.
struct OpsProbes {
    metrics: Arc<Metrics>,
    readiness: Arc<Readiness>,
}

impl avigw_ops::Probes for OpsProbes {
    fn metrics(&self) -> String {
        self.metrics.render()
    }

    fn readiness(&self) -> Result<(), String> {
        if self.readiness.is_ready() {
            Ok(())
        } else {
            Err("not ready: cluster view not synced or no certificate".into())
        }
    }
}

async fn validate(State(s): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    handle(s, Mode::Validate, body)
}

async fn mutate(State(s): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    handle(s, Mode::Mutate, body)
}

fn handle(s: AppState, mode: Mode, body: Result<Bytes, BytesRejection>) -> Response {
    let started = Instant::now();
    // Answered before the object's kind is known: counted under a fixed kind, by cause.
    let refuse = |error: &'static str, status: StatusCode, message: String| {
        s.metrics.errors.with_label_values(&[UNKNOWN_KIND, error]).inc();
        (status, message).into_response()
    };
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return refuse(
                "too_large",
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("admission request body over {MAX_BODY_BYTES} bytes (3 MiB) refused"),
            );
        }
        Err(e) => {
            return refuse(
                "unreadable_body",
                e.status(),
                format!("cannot read request body: {e}"),
            );
        }
    };
    match review(&body, mode, s.view.as_ref(), &s.scope) {
        Ok(r) => {
            let kind = r.kind.as_str();
            s.metrics
                .requests
                .with_label_values(&[kind, r.operation, bool_label(r.allowed), bool_label(r.mutated)])
                .inc();
            for rule in &r.denied_rules {
                s.metrics.denials.with_label_values(&[kind, rule.as_str()]).inc();
            }
            if let Some(error) = r.error {
                s.metrics.errors.with_label_values(&[kind, error]).inc();
            }
            s.metrics
                .duration
                .with_label_values(&[kind])
                .observe(started.elapsed().as_secs_f64());
            ([(header::CONTENT_TYPE, "application/json")], r.body).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "admission request not answered");
            refuse(e.metric_label(), e.status(), e.to_string())
        }
    }
}

fn bool_label(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// Running servers; `shutdown` drains in-flight requests for up to `grace`.
pub struct Running {
    pub admission_addr: SocketAddr,
    pub ops_addr: SocketAddr,
    admission: Handle<SocketAddr>,
    admission_task: tokio::task::JoinHandle<std::io::Result<()>>,
    ops: OpsServer,
}

impl Running {
    pub async fn shutdown(self, grace: Duration) {
        self.admission.graceful_shutdown(Some(grace));
        tokio::join!(self.ops.shutdown(grace), async {
            let _ = self.admission_task.await;
        });
    }
}

/// Binds both ports and serves until [`Running::shutdown`].
pub async fn start(
    admission_listen: SocketAddr,
    ops_listen: SocketAddr,
    tls: rustls::ServerConfig,
    state: AppState,
) -> std::io::Result<Running> {
    let probes = Arc::new(OpsProbes {
        metrics: state.metrics.clone(),
        readiness: state.readiness.clone(),
    });
    let ops = avigw_ops::serve(ops_listen, probes).await?;
    let admission = Handle::new();
    let tls = RustlsConfig::from_config(Arc::new(tls));
    let app = admission_router(state);
    let admission_task = tokio::spawn(
        axum_server::bind_rustls(admission_listen, tls)
            .handle(admission.clone())
            .serve(app.into_make_service()),
    );
    let Some(admission_addr) = admission.listening().await else {
        admission_task.abort();
        ops.shutdown(Duration::ZERO).await;
        return Err(std::io::Error::other(format!(
            "could not listen on {admission_listen}"
        )));
    };
    Ok(Running {
        admission_addr,
        ops_addr: ops.local_addr(),
        admission,
        admission_task,
        ops,
    })
}
