//! The whole webhook process as a library call: certificate (with reload), reflectors for the
//! cluster view (for the kinds that are installed), and both servers. The binary and the local
//! demo both start it this way.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use avigw_shared::api::{Gateway, GatewayClass};
use kube::Client;
use kube::runtime::reflector;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::installed;
use crate::metrics::Metrics;
use crate::policy::PolicyConfig;
use crate::server::{self, AppState, Readiness, Running};
use crate::tls;
use crate::view::StoreView;

pub enum CertSource {
    /// PEM files from a mounted Secret, checked for rotation every `reload_interval`.
    Files {
        cert: PathBuf,
        key: PathBuf,
        reload_interval: Duration,
    },
    /// An in-memory self-signed certificate for these names (local runs only).
    SelfSigned(Vec<String>),
}

pub struct ServeOptions {
    pub listen: SocketAddr,
    pub metrics_addr: SocketAddr,
    pub cert: CertSource,
    pub policy: PolicyConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("registering metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("serving certificate: {0}")]
    Tls(#[from] tls::TlsError),
    #[error("listening on {listen} and {metrics}: {source}")]
    Listen {
        listen: SocketAddr,
        metrics: SocketAddr,
        source: std::io::Error,
    },
}

/// A started webhook; [`Webhook::shutdown`] drains it.
pub struct Webhook {
    pub admission_addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    pub readiness: Arc<Readiness>,
    running: Running,
    tasks: Vec<JoinHandle<()>>,
}

impl Webhook {
    pub async fn shutdown(self, grace: Duration) {
        for t in &self.tasks {
            t.abort();
        }
        self.running.shutdown(grace).await;
    }
}

pub async fn start(opts: ServeOptions, client: Client) -> Result<Webhook, ServeError> {
    let metrics = Arc::new(Metrics::new()?);
    let readiness = Arc::new(Readiness::default());
    let mut tasks = Vec::new();
    let loaded = match &opts.cert {
        CertSource::Files { cert, key, .. } => tls::load_files(cert, key)?,
        CertSource::SelfSigned(names) => tls::self_signed(names)?,
    };
    metrics.cert_expiry.set(loaded.not_after as f64);
    let resolver = tls::ReloadingResolver::new(loaded.key);
    readiness.set_cert_loaded();
    if let CertSource::Files {
        cert,
        key,
        reload_interval,
    } = opts.cert
    {
        tasks.push(tokio::spawn(tls::watch_files(
            resolver.clone(),
            cert,
            key,
            reload_interval.max(Duration::from_millis(100)),
            metrics.clone(),
        )));
    }

    let (classes, class_writer) = reflector::store::<GatewayClass>();
    let (gateways, gw_writer) = reflector::store::<Gateway>();
    let (class_settled, mut class_rx) = watch::channel(false);
    let (gw_settled, mut gw_rx) = watch::channel(false);
    tasks.push(tokio::spawn(installed::watch_when_installed(
        client.clone(),
        class_writer,
        classes.clone(),
        class_settled,
        installed::DISCOVERY_INTERVAL,
    )));
    tasks.push(tokio::spawn(installed::watch_when_installed(
        client,
        gw_writer,
        gateways.clone(),
        gw_settled,
        installed::DISCOVERY_INTERVAL,
    )));
    {
        let readiness = readiness.clone();
        tasks.push(tokio::spawn(async move {
            if class_rx.wait_for(|s| *s).await.is_ok() && gw_rx.wait_for(|s| *s).await.is_ok() {
                readiness.set_view_synced();
                tracing::info!("cluster view synced (GatewayClasses and Gateways, where installed)");
            }
        }));
    }

    let state = AppState {
        view: Arc::new(StoreView { classes, gateways }),
        policy: opts.policy,
        metrics,
        readiness: readiness.clone(),
    };
    let running = server::start(
        opts.listen,
        opts.metrics_addr,
        tls::server_config(resolver)?,
        state,
    )
    .await
    .map_err(|source| ServeError::Listen {
        listen: opts.listen,
        metrics: opts.metrics_addr,
        source,
    })?;
    Ok(Webhook {
        admission_addr: running.admission_addr,
        metrics_addr: running.ops_addr,
        readiness,
        running,
        tasks,
    })
}
