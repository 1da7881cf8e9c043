//! The whole webhook process as a library call: certificate (with reload), reflectors for the
//! cluster view (for the kinds that are installed), and both servers. The binary and the local
//! demo both start it this way.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use std::fmt::Debug;

use avigw_shared::api::{AviInfraSetting, Gateway, GatewayClass};
use avigw_shared::config::Scope;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher;
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::host_index::HostIndex;
use crate::installed;
use crate::metrics::Metrics;
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
    /// Which objects are ours and how they are judged (the flags shared with the reconciler).
    pub scope: Scope,
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

    let mut reflectors = Reflectors {
        client,
        tasks: Vec::new(),
        settled: Vec::new(),
    };
    let hosts = Arc::new(HostIndex::new(opts.scope.default_domain.clone()));
    let index = hosts.clone();
    let view = StoreView {
        classes: reflectors.start::<GatewayClass, _>(|_| {}),
        gateways: reflectors.start::<Gateway, _>(|_| {}),
        ingress_classes: reflectors.start::<IngressClass, _>(|_| {}),
        ingresses: reflectors.start::<Ingress, _>(move |e| index.apply(e)),
        hosts,
        namespaces: reflectors.start::<Namespace, _>(|_| {}),
        infra_settings: reflectors.start::<AviInfraSetting, _>(|_| {}),
    };
    tasks.append(&mut reflectors.tasks);
    {
        let readiness = readiness.clone();
        let mut settled = reflectors.settled;
        tasks.push(tokio::spawn(async move {
            for rx in &mut settled {
                if rx.wait_for(|s| *s).await.is_err() {
                    return;
                }
            }
            readiness.set_view_synced();
            tracing::info!(
                "cluster view synced (GatewayClasses, Gateways, IngressClasses, Ingresses, Namespaces, AviInfraSettings, where installed)"
            );
        }));
    }

    let state = AppState {
        view: Arc::new(view),
        scope: Arc::new(opts.scope),
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

/// Starts the reflectors of the cluster view, each with the channel that says it has settled.
struct Reflectors {
    client: Client,
    tasks: Vec<JoinHandle<()>>,
    settled: Vec<watch::Receiver<bool>>,
}

impl Reflectors {
    /// A store of every `K`, filled once the kind is served; `on_event` sees each watch event
    /// after the store does.
    fn start<K, F>(&mut self, on_event: F) -> Store<K>
    where
        K: Resource<DynamicType = ()> + Clone + Debug + DeserializeOwned + Send + Sync + 'static,
        F: FnMut(&watcher::Event<K>) + Send + 'static,
    {
        let (store, writer) = reflector::store::<K>();
        let (settled, rx) = watch::channel(false);
        self.settled.push(rx);
        self.tasks.push(tokio::spawn(installed::watch_when_installed(
            self.client.clone(),
            writer,
            store.clone(),
            settled,
            installed::DISCOVERY_INTERVAL,
            on_event,
        )));
        store
    }
}
