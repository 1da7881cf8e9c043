//! `avigw-reconciler run`: the controller (SPEC §4, §5, §8).
//!
//! Data flows one way: watches feed the shared snapshot and queue the keys each change affects
//! (`watch.rs`, `state.rs`); once every watch has listed, the supervisor follows leadership
//! (`supervisor.rs`); while this replica leads, workers take keys from the queues
//! (`worker.rs`) and reconcile them (`reconcile.rs`: translate, finalizer, Avi sync, then
//! status, ingress and events in `report.rs`); a failed key comes back when the error policy
//! says (`error_policy.rs`).
//!
//! Library entry for tests: [`start`] with a kube client and an Avi client config.

mod actual;
mod avi_health;
mod cache;
pub mod cli;
pub(crate) mod diff;
mod error_policy;
mod finalizer;
mod infra;
mod l7_owner;
mod l7_plan;
mod leader;
mod metrics;
pub(crate) mod ownership;
mod queue;
mod reconcile;
mod report;
mod report_ingress;
mod secrets;
mod server;
mod state;
mod status;
mod supervisor;
mod sync;
mod watch;
mod worker;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use avigw_shared::api::{AviInfraSetting, Gateway, GatewayClass};
use avigw_shared::config::{Config, LicenseTier, ServiceType};
use avigw_shared::translate::{Context, ControllerFacts, Key, ObjKey, Object, ObjectKind, Snapshot};
use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::runtime::events::Reporter;
use parking_lot::Mutex;
use tokio::sync::{mpsc, watch as tokio_watch};

pub use cache::AviCache;
pub use leader::{Elector, LeaseSettings, WallClock};
pub use metrics::Metrics;
pub use queue::Queue;

use crate::avi::{AviClient, AviClientConfig, AviError};
use finalizer::Finalizers;
use l7_plan::L7Memory;
use report_ingress::IngressMemo;
use state::{IngressName, SettingName, Shared};
use watch::Watches;

/// Everything `run` needs besides the clients.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config: Config,
    pub lease: LeaseSettings,
    /// Where `/metrics` listens (overrides `config.metrics_addr`; port 0 picks one).
    pub metrics_addr: SocketAddr,
    /// How often the leader re-reads Avi and re-checks every key (catches objects changed
    /// or deleted on the controller behind avigw's back); zero turns it off.
    pub resync: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Avi(#[from] AviError),
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("metrics address {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

pub struct Controller {
    shared: Arc<Shared>,
    watches: Watches,
    ctx: Context,
    avi: AviClient,
    cache: AviCache,
    /// Names Avi holds under other creators, and whom to adopt from.
    owners: ownership::Owners,
    writer: status::Writer,
    metrics: Metrics,
    finalizers: Finalizers,
    /// Keys whose VIP Avi refused, with the desired-objects fingerprint it refused.
    blocked: Mutex<HashMap<Key, (String, String)>>,
    /// Services each key gave an ingress (to clear them when the key stops serving them).
    ingress_owned: Mutex<BTreeMap<Key, BTreeSet<ObjKey>>>,
    /// Keys being cleaned up whose object this install holds under the legacy finalizer.
    legacy_holds: Mutex<HashSet<Key>>,
    resync: Duration,
    avi_health: avi_health::AviHealth,
    l7: L7Memory,
    ingress_memo: Mutex<BTreeMap<ObjKey, IngressMemo>>,
}

/// A running reconciler.
pub struct RunHandle {
    pub metrics_addr: SocketAddr,
    pub metrics: Metrics,
    controller: Arc<Controller>,
    active: tokio_watch::Receiver<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Apart from `tasks`: a graceful shutdown stops everything else before it lets go.
    elector: Option<Elector>,
}

impl RunHandle {
    /// True while this replica leads and has finished its start-up sync.
    pub fn is_active(&self) -> bool {
        *self.active.borrow()
    }

    /// Keys queued or being processed.
    pub fn busy(&self) -> usize {
        self.controller.shared.keys.busy() + self.controller.shared.ingresses.busy()
    }

    /// Waits until active and the queue is empty (tests, benchmarks).
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut quiet = 0;
        while tokio::time::Instant::now() < deadline {
            if self.is_active() && self.busy() == 0 {
                quiet += 1;
                if quiet >= 3 {
                    return true;
                }
            } else {
                quiet = 0;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// Stops every task (the lease is left to expire, as after a crash).
    pub fn shutdown(self) {
        for t in &self.tasks {
            t.abort();
        }
        if let Some(e) = self.elector {
            e.abort();
        }
    }

    /// Stops for a rollout: every task that writes goes first, then, if this replica leads,
    /// the Lease is written free so that a follower takes over at once instead of after a
    /// lease duration.
    pub async fn shutdown_gracefully(self) {
        for t in &self.tasks {
            t.abort();
        }
        for t in self.tasks {
            let _ = t.await;
        }
        self.controller.metrics.leader.set(0);
        if let Some(e) = self.elector {
            e.release(leader::RELEASE_WITHIN).await;
        }
    }

    /// Runs until any task ends (they run forever unless something broke).
    pub async fn wait(&mut self) {
        let elector = self.elector.as_mut().map(|e| &mut e.task);
        let _ = futures::future::select_all(self.tasks.iter_mut().chain(elector)).await;
    }
}

/// Starts watches, leader election, workers and the metrics server.
pub async fn start(
    settings: Settings,
    kube: kube::Client,
    avi_cfg: AviClientConfig,
) -> Result<RunHandle, StartError> {
    let metrics = Metrics::new()?;
    let avi = AviClient::with_observer(avi_cfg, Arc::new(metrics::AviObserver(metrics.clone())))?;
    let config = &settings.config;
    let ctx = Context::new(config, &controller_facts(config, &avi).await);
    let (fetch_tx, fetch_rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared::new(Snapshot::for_config(config), Some(fetch_tx)));
    let mut tasks = vec![tokio::spawn(secrets::fetch_secrets(
        kube.clone(),
        shared.clone(),
        fetch_rx,
    ))];

    // Watches: only the kinds translation reads in this configuration.
    let mut watches = Watches::default();
    if config.services_api {
        tasks.push(watches.spawn::<GatewayClass>(
            &kube,
            ObjectKind::GatewayClass,
            Object::GatewayClass,
            &shared,
        ));
        tasks.push(watches.spawn::<Gateway>(&kube, ObjectKind::Gateway, Object::Gateway, &shared));
    }
    tasks.push(watches.spawn::<Service>(&kube, ObjectKind::Service, Object::Service, &shared));
    tasks.push(watches.spawn::<EndpointSlice>(
        &kube,
        ObjectKind::EndpointSlice,
        Object::EndpointSlice,
        &shared,
    ));
    tasks.push(watches.spawn::<Namespace>(&kube, ObjectKind::Namespace, Object::Namespace, &shared));
    tasks.push(watches.spawn::<AviInfraSetting>(
        &kube,
        ObjectKind::AviInfraSetting,
        Object::AviInfraSetting,
        &shared,
    ));
    // Ingresses (networking.k8s.io/v1 is always served), and the Secrets their TLS entries
    // name (the snapshot keeps only those).
    tasks.push(watches.spawn::<Ingress>(&kube, ObjectKind::Ingress, Object::Ingress, &shared));
    tasks.push(watches.spawn::<IngressClass>(&kube, ObjectKind::IngressClass, Object::IngressClass, &shared));
    tasks.push(watches.spawn_after::<Secret>(
        &kube,
        ObjectKind::Secret,
        Object::Secret,
        &shared,
        Some(ObjectKind::Ingress),
    ));
    // Nodes and Pods matter only in the modes that read them (and are the biggest lists).
    if config.service_type == ServiceType::NodePort {
        tasks.push(watches.spawn::<Node>(&kube, ObjectKind::Node, Object::Node, &shared));
    }
    if config.service_type == ServiceType::NodePortLocal {
        tasks.push(watches.spawn::<Pod>(&kube, ObjectKind::Pod, Object::Pod, &shared));
    }

    let ready = Arc::new(AtomicBool::new(false));
    let (metrics_addr, srv) = server::serve(settings.metrics_addr, metrics.clone(), ready.clone())
        .await
        .map_err(|source| StartError::Listen {
            addr: settings.metrics_addr,
            source,
        })?;
    tasks.push(srv);

    let elector = config
        .leader_elect
        .then(|| Elector::spawn(kube.clone(), settings.lease.clone(), WallClock::default()));
    let leader_rx = match &elector {
        Some(e) => e.leading(),
        None => {
            let (leader_tx, leader_rx) = tokio_watch::channel(true);
            // Keep the sender alive so receivers never see the channel close.
            tasks.push(tokio::spawn(async move {
                leader_tx.closed().await;
            }));
            leader_rx
        }
    };

    let reporter = Reporter {
        controller: "avigw-reconciler".into(),
        instance: Some(settings.lease.identity.clone()),
    };
    let controller = Arc::new(Controller {
        shared,
        watches,
        finalizers: Finalizers::new(&ctx.cluster),
        owners: ownership::Owners::new(&ctx.cluster, config.adopt_from.clone()),
        ctx,
        avi,
        cache: AviCache::default(),
        writer: status::Writer {
            client: kube.clone(),
            reporter,
        },
        metrics: metrics.clone(),
        blocked: Mutex::default(),
        ingress_owned: Mutex::default(),
        legacy_holds: Mutex::default(),
        resync: settings.resync,
        avi_health: avi_health::AviHealth::default(),
        l7: L7Memory::default(),
        ingress_memo: Mutex::default(),
    });

    let (active_tx, active_rx) = tokio_watch::channel(false);
    tasks.push(tokio::spawn(supervisor::supervise(
        controller.clone(),
        leader_rx,
        ready,
        active_tx,
    )));
    for _ in 0..config.workers.max(1) {
        tasks.push(tokio::spawn(worker::worker::<Key>(
            controller.clone(),
            active_rx.clone(),
        )));
    }
    for _ in 0..config.workers.max(1) {
        tasks.push(tokio::spawn(worker::worker::<IngressName>(
            controller.clone(),
            active_rx.clone(),
        )));
    }
    tasks.push(tokio::spawn(worker::worker::<SettingName>(
        controller.clone(),
        active_rx.clone(),
    )));
    tasks.push(tokio::spawn(avi_health::watchdog(controller.clone())));
    Ok(RunHandle {
        metrics_addr,
        metrics,
        controller,
        active: active_rx,
        tasks,
        elector,
    })
}

/// The license tier picks the TCP network profile. A controller that is down now must not
/// stop start-up: the configured tier, else ENTERPRISE, until the next start.
async fn controller_facts(config: &Config, avi: &AviClient) -> ControllerFacts {
    if config.license_tier.is_some() {
        return ControllerFacts::default();
    }
    match avi.license_tier().await {
        Ok(t) => ControllerFacts {
            license_tier: t.as_deref().and_then(LicenseTier::parse),
            dns_domain: None,
        },
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the controller's license tier; assuming ENTERPRISE");
            ControllerFacts::default()
        }
    }
}
