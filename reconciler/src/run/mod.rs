//! `avigw-reconciler run`: the controller (SPEC §4, §5, §8).
//!
//! Watches feed the shared [`Snapshot`]; each change queues the translation [`Key`]s it
//! affects; workers translate a key, diff it against the cached Avi objects, make the fewest
//! calls, then write status, ingress, events and finalizers. Only the Lease holder starts
//! workers; on winning the lease it reloads what Avi holds, garbage-collects owned objects no
//! key wants, and queues every key.
//!
//! Library entry for tests: [`start`] with a kube client and an Avi client config.

mod avi_health;
mod cache;
pub mod cli;
mod diff;
mod infra;
mod leader;
mod metrics;
mod queue;
mod reconcile;
mod server;
mod status;
mod sync;
mod watch;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use avigw_shared::api::{AviInfraSetting, Gateway, GatewayClass};
use avigw_shared::config::{Config, LicenseTier, ServiceType};
use avigw_shared::translate::{
    Affected, Context, ControllerFacts, Key, ObjKey, Object, ObjectKind, Snapshot,
};
use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::runtime::events::{Recorder, Reporter};
use tokio::sync::{Notify, watch as tokio_watch};

pub use cache::AviCache;
pub use leader::{Elector, LeaseSettings, WallClock};
pub use metrics::Metrics;
pub use queue::Queue;

use crate::avi::{AviClient, AviClientConfig, AviError};

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

/// State the watches write and the workers read.
pub struct Shared {
    snap: RwLock<Snapshot>,
    queue: Queue,
    dirty_settings: Mutex<BTreeSet<String>>,
    settings_changed: Notify,
}

impl Shared {
    fn upsert(&self, o: Object) -> Affected {
        if let Object::AviInfraSetting(a) = &o
            && let Some(n) = &a.metadata.name
        {
            if let Ok(mut d) = self.dirty_settings.lock() {
                d.insert(n.clone());
            }
            self.settings_changed.notify_one();
        }
        self.snap.write().map(|mut s| s.upsert(o)).unwrap_or_default()
    }

    fn delete(&self, kind: ObjectKind, ns: Option<&str>, name: &str) -> Affected {
        self.snap
            .write()
            .map(|mut s| s.delete(kind, ns, name))
            .unwrap_or_default()
    }
}

pub struct Controller {
    shared: Arc<Shared>,
    ctx: Context,
    avi: AviClient,
    cache: AviCache,
    writer: status::Writer,
    metrics: Metrics,
    /// Keys whose VIP Avi refused, with the desired-objects fingerprint it refused.
    blocked: Mutex<HashMap<Key, (String, String)>>,
    /// Services each key gave an ingress (to clear them when the key stops serving them).
    ingress_owned: Mutex<BTreeMap<Key, BTreeSet<ObjKey>>>,
    resync: Duration,
    avi_health: avi_health::AviHealth,
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
        self.controller.shared.queue.busy()
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
    // The license tier picks the TCP network profile; a controller that is down now must not
    // stop start-up (the config override, else ENTERPRISE, until the next start).
    let facts = match config.license_tier {
        Some(_) => ControllerFacts::default(),
        None => match avi.license_tier().await {
            Ok(t) => ControllerFacts {
                license_tier: t.as_deref().and_then(LicenseTier::parse),
                dns_domain: None,
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the controller's license tier; assuming ENTERPRISE");
                ControllerFacts::default()
            }
        },
    };
    let ctx = Context::new(config, &facts);
    let shared = Arc::new(Shared {
        snap: RwLock::new(Snapshot::new(config.service_type)),
        queue: Queue::default(),
        dirty_settings: Mutex::new(BTreeSet::new()),
        settings_changed: Notify::new(),
    });
    let recorder = Recorder::new(
        kube.clone(),
        Reporter {
            controller: "avigw-reconciler".into(),
            instance: Some(settings.lease.identity.clone()),
        },
    );
    let controller = Arc::new(Controller {
        shared: shared.clone(),
        ctx,
        avi,
        cache: AviCache::default(),
        writer: status::Writer {
            client: kube.clone(),
            recorder,
        },
        metrics: metrics.clone(),
        blocked: Mutex::new(HashMap::new()),
        ingress_owned: Mutex::new(BTreeMap::new()),
        resync: settings.resync,
        avi_health: avi_health::AviHealth::default(),
    });

    let mut tasks = Vec::new();
    let mut ready_rx = Vec::new();
    macro_rules! watch_kind {
        ($ty:ty, $kind:expr, $wrap:expr) => {{
            let (tx, rx) = tokio_watch::channel(false);
            ready_rx.push(rx);
            tasks.push(watch::spawn::<$ty>(
                kube.clone(),
                $kind,
                $wrap,
                shared.clone(),
                tx,
            ));
        }};
    }
    watch_kind!(GatewayClass, ObjectKind::GatewayClass, Object::GatewayClass);
    watch_kind!(Gateway, ObjectKind::Gateway, Object::Gateway);
    watch_kind!(Service, ObjectKind::Service, Object::Service);
    watch_kind!(EndpointSlice, ObjectKind::EndpointSlice, Object::EndpointSlice);
    watch_kind!(Namespace, ObjectKind::Namespace, Object::Namespace);
    watch_kind!(
        AviInfraSetting,
        ObjectKind::AviInfraSetting,
        Object::AviInfraSetting
    );
    // Nodes and Pods matter only in the modes that read them (and are the biggest lists).
    if config.service_type == ServiceType::NodePort {
        watch_kind!(Node, ObjectKind::Node, Object::Node);
    }
    if config.service_type == ServiceType::NodePortLocal {
        watch_kind!(Pod, ObjectKind::Pod, Object::Pod);
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

    let (active_tx, active_rx) = tokio_watch::channel(false);
    tasks.push(tokio::spawn(supervise(
        controller.clone(),
        leader_rx,
        ready_rx,
        ready,
        active_tx,
    )));
    for _ in 0..config.workers.max(1) {
        tasks.push(tokio::spawn(worker(controller.clone(), active_rx.clone())));
    }
    tasks.push(tokio::spawn(avi_health::watchdog(controller.clone())));
    tasks.push(tokio::spawn(settings_worker(
        controller.clone(),
        active_rx.clone(),
    )));
    Ok(RunHandle {
        metrics_addr,
        metrics,
        controller,
        active: active_rx,
        tasks,
        elector,
    })
}

/// Follows leadership: on winning it, waits for warm watches, loads Avi's state, collects
/// garbage and queues every key before letting workers run.
async fn supervise(
    c: Arc<Controller>,
    mut leader: tokio_watch::Receiver<bool>,
    mut watches: Vec<tokio_watch::Receiver<bool>>,
    ready: Arc<AtomicBool>,
    active: tokio_watch::Sender<bool>,
) {
    for w in &mut watches {
        let _ = w.wait_for(|r| *r).await;
    }
    ready.store(true, Ordering::Relaxed);
    tracing::info!("watches synced");
    loop {
        if *leader.borrow_and_update() {
            c.metrics.leader.set(1);
            let mut attempt = 0;
            loop {
                match c.startup_sync().await {
                    Ok(()) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot load Avi state; retrying");
                        tokio::time::sleep(queue::backoff(
                            Duration::from_millis(500),
                            Duration::from_secs(30),
                            attempt,
                        ))
                        .await;
                        attempt += 1;
                        if !*leader.borrow() {
                            break;
                        }
                    }
                }
            }
            if *leader.borrow() {
                let _ = active.send(true);
                if let Ok(mut d) = c.shared.dirty_settings.lock()
                    && let Ok(s) = c.shared.snap.read()
                {
                    d.extend(s.infra_settings().filter_map(|a| a.metadata.name.clone()));
                }
                c.shared.settings_changed.notify_one();
            }
        } else {
            c.metrics.leader.set(0);
            let _ = active.send(false);
        }
        // Wait for a leadership change; meanwhile, as leader, resync periodically.
        loop {
            let resync = c.resync;
            let tick = async {
                if resync.is_zero() {
                    std::future::pending::<()>().await
                } else {
                    tokio::time::sleep(resync).await
                }
            };
            tokio::select! {
                changed = leader.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    break;
                }
                _ = tick => {
                    if *leader.borrow() {
                        tracing::info!("periodic resync");
                        if let Err(e) = c.startup_sync().await {
                            tracing::warn!(error = %e, "periodic resync failed");
                        }
                    }
                }
            }
        }
    }
}

impl Controller {
    async fn startup_sync(&self) -> Result<(), AviError> {
        self.cache
            .load(&self.avi, &self.ctx.cluster, &self.ctx.tenant)
            .await?;
        let keys = self.shared.snap.read().map(|s| s.keys()).unwrap_or_default();
        let names = keys
            .iter()
            .map(|k| cache::vs_name(&self.ctx.cluster, k))
            .collect();
        let (owned_keys, orphan_vips) = self.cache.keys_and_orphans(&self.ctx.cluster, names);
        // Keys only Avi knows about translate to nothing: their sync deletes them.
        let gc: Vec<&Key> = owned_keys.iter().filter(|k| !keys.contains(*k)).collect();
        tracing::info!(
            keys = keys.len(),
            garbage_keys = gc.len(),
            orphan_vips = orphan_vips.len(),
            "start-up sync"
        );
        for k in gc {
            self.shared.queue.add(k.clone());
        }
        let syncer = sync::Syncer {
            avi: &self.avi,
            cache: &self.cache,
            cluster: &self.ctx.cluster,
            tenant: &self.ctx.tenant,
        };
        for v in orphan_vips {
            syncer.delete_vsvip(&v).await?;
        }
        for k in keys {
            self.shared.queue.add(k);
        }
        Ok(())
    }
}

async fn worker(c: Arc<Controller>, mut active: tokio_watch::Receiver<bool>) {
    loop {
        if active.wait_for(|a| *a).await.is_err() {
            return;
        }
        c.metrics
            .queue_depth
            .set(i64::try_from(c.shared.queue.depth()).unwrap_or(0));
        let (key, since) = c.shared.queue.next().await;
        if !*active.borrow() {
            // Lost the lease meanwhile: the next leader queues every key anyway.
            c.shared.queue.done(&key, None);
            continue;
        }
        let retry = c.reconcile(&key, since).await;
        c.shared.queue.done(&key, retry);
        c.metrics
            .queue_depth
            .set(i64::try_from(c.shared.queue.depth()).unwrap_or(0));
    }
}

async fn settings_worker(c: Arc<Controller>, mut active: tokio_watch::Receiver<bool>) {
    loop {
        if active.wait_for(|a| *a).await.is_err() {
            return;
        }
        let names = c
            .shared
            .dirty_settings
            .lock()
            .map(|mut d| std::mem::take(&mut *d))
            .unwrap_or_default();
        if names.is_empty() {
            c.shared.settings_changed.notified().await;
            continue;
        }
        let retry = c.infra_settings(names).await;
        if !retry.is_empty() {
            tokio::time::sleep(Duration::from_secs(5)).await;
            if let Ok(mut d) = c.shared.dirty_settings.lock() {
                d.extend(retry);
            }
        }
    }
}
