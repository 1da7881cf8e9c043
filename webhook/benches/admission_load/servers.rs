//! The two servers under load: the webhook (production router and TLS) and the ceiling.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use avigw_webhook::metrics::Metrics;
use avigw_webhook::server::{self, AppState, Readiness, Running};
use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use hyper::header;
use tokio::runtime::Runtime;

use avigw_shared::rules::ClusterView;

pub fn runtime(name: &str, threads: usize) -> anyhow::Result<Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name(name)
        .enable_all()
        .build()?)
}

pub fn start_webhook(
    rt: &Runtime,
    tls: rustls::ServerConfig,
    view: Arc<dyn ClusterView + Send + Sync>,
) -> anyhow::Result<Running> {
    let readiness = Arc::new(Readiness::default());
    readiness.set_cert_loaded();
    readiness.set_view_synced();
    let state = AppState {
        view,
        scope: Default::default(),
        metrics: Arc::new(Metrics::new()?),
        readiness,
    };
    let local = "127.0.0.1:0".parse()?;
    Ok(rt.block_on(server::start(local, local, tls, state))?)
}

/// axum + rustls with the same TLS config, answering `answer` to every POST /validate.
pub fn start_ceiling(
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
