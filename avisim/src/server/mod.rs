//! HTTP(S) server: state, startup (in-process via [`spawn`] or from the binary), dispatch.

mod admin;
mod api;
mod respond;

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum_server::accept::NoDelayAcceptor;
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::config::{SimConfig, TlsSource};
use crate::defaults::SystemRefs;
use crate::faults::{FaultPatch, Faults};
use crate::refs::normalize_path;
use crate::seeds;
use crate::session::Sessions;
use crate::stats::{LoggedRequest, RequestLog, Stats};
use crate::store::Store;
use crate::tls;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("binding {addr}: {source}")]
    Bind { addr: SocketAddr, source: io::Error },
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("io: {0}")]
    Io(#[from] io::Error),
    #[error(transparent)]
    Seed(#[from] seeds::SeedError),
}

pub struct AppState {
    pub cfg: SimConfig,
    pub secure: bool,
    pub store: RwLock<Store>,
    pub sys: SystemRefs,
    pub sysconfig: RwLock<Value>,
    pub sessions: Sessions,
    pub faults: Faults,
    pub stats: Stats,
    pub reqlog: RequestLog,
    pub started: SystemTime,
}

impl AppState {
    pub fn new(cfg: SimConfig) -> Result<Self, SimError> {
        let mut store = Store::default();
        let sys = seeds::seed_all(&mut store, &cfg)?;
        let mut sysconfig = seeds::system_configuration(&cfg);
        if let Some(m) = sysconfig.as_object_mut() {
            m.insert(
                "_last_modified".into(),
                Value::String(store.next_last_modified().to_string()),
            );
        }
        Ok(Self {
            secure: !matches!(cfg.tls, TlsSource::Plain),
            sessions: Sessions::new(cfg.session_idle_timeout),
            faults: Faults::new(cfg.faults.clone()),
            reqlog: RequestLog::new(cfg.request_log_capacity),
            stats: Stats::default(),
            store: RwLock::new(store),
            sysconfig: RwLock::new(sysconfig),
            sys,
            started: SystemTime::now(),
            cfg,
        })
    }

    pub fn store_read(&self) -> std::sync::RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn store_write(&self) -> std::sync::RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies a fault patch, including the session knobs.
    pub fn apply_faults(&self, p: &FaultPatch) {
        self.faults.apply(p);
        if let Some(code) = p.expire_sessions {
            self.sessions.expire_all(code);
        }
        if let Some(r) = p.reject_auth_next {
            self.sessions.reject_next(r.count, r.code);
        }
        if let Some(secs) = p.session_idle_timeout_secs {
            self.sessions
                .set_idle_timeout(std::time::Duration::from_secs(secs));
        }
    }

    pub fn license_tier(&self) -> crate::config::LicenseTier {
        self.sysconfig
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get("default_license_tier")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .unwrap_or(self.cfg.license_tier)
    }
}

/// A running simulator.
pub struct SimHandle {
    addr: SocketAddr,
    base_url: String,
    ca_pem: Option<String>,
    state: Arc<AppState>,
    handle: axum_server::Handle<SocketAddr>,
    task: JoinHandle<io::Result<()>>,
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// `https://127.0.0.1:<port>` (or `http://` with plain HTTP).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
    /// PEM of the CA that signed the generated serving certificate.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }
    pub fn apply_faults(&self, p: &FaultPatch) {
        self.state.apply_faults(p);
    }
    pub fn reset_faults(&self) {
        self.state.faults.reset();
    }
    pub fn stats(&self) -> &Stats {
        &self.state.stats
    }
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.reqlog.snapshot()
    }
    /// Stops accepting and closes connections.
    pub async fn shutdown(self) {
        self.handle.shutdown();
        let _ = self.task.await;
    }
    /// Runs until the server stops (the binary's main loop).
    pub async fn wait(self) -> io::Result<()> {
        self.task.await.map_err(|e| io::Error::other(e.to_string()))?
    }
    pub fn shutdown_handle(&self) -> axum_server::Handle<SocketAddr> {
        self.handle.clone()
    }
}

async fn dispatch(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = normalize_path(parts.uri.path());
    let query = parts.uri.query().unwrap_or_default().to_string();
    if path == "/_sim" || path.starts_with("/_sim/") {
        return admin::handle(&st, &parts.method, &path, &query, body).await;
    }
    let mut logged = st
        .reqlog
        .enabled()
        .then(|| LoggedRequest::new(parts.method.as_str(), &path, &query, &parts.headers));
    let object = api::object_label(&path);
    let method = parts.method.clone();
    let resp: Response<Body> = api::handle(&st, parts, &path, &query, body).await;
    let status = resp.status().as_u16();
    st.stats.record(method.as_str(), &object, status);
    if let Some(mut l) = logged.take() {
        l.status = status;
        st.reqlog.push(l);
    }
    tracing::debug!(%method, %path, status, "request");
    resp
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

/// Starts a simulator on `cfg.listen` (use port 0 for an ephemeral one) in the current tokio
/// runtime.
pub async fn spawn(cfg: SimConfig) -> Result<SimHandle, SimError> {
    let listener = std::net::TcpListener::bind(cfg.listen).map_err(|source| SimError::Bind {
        addr: cfg.listen,
        source,
    })?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let (tls_cfg, ca_pem) = match &cfg.tls {
        TlsSource::Plain => (None, None),
        TlsSource::SelfSigned { sans } => {
            let g = tls::generate(sans)?;
            (
                Some(tls::server_config_from_pem(&g.cert_pem, &g.key_pem)?),
                Some(g.ca_pem),
            )
        }
        TlsSource::Files { cert, key } => {
            let c = tls::read_pem_file(cert)?;
            let k = tls::read_pem_file(key)?;
            (Some(tls::server_config_from_pem(&c, &k)?), None)
        }
    };
    let scheme = if tls_cfg.is_some() { "https" } else { "http" };
    let base_url = format!("{scheme}://{addr}");
    let state = Arc::new(AppState::new(cfg)?);
    let app = router(state.clone());
    let handle = axum_server::Handle::new();
    // TCP_NODELAY, the default of production servers (nginx's tcp_nodelay, Go's net/http):
    // without it a response written in two pieces can wait for the client's delayed ACK.
    let task = match tls_cfg {
        Some(t) => {
            let rc = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(t));
            let server = axum_server::from_tcp_rustls(listener, rc)?
                .map(|tls| tls.acceptor(NoDelayAcceptor))
                .handle(handle.clone());
            tokio::spawn(async move { server.serve(app.into_make_service()).await })
        }
        None => {
            let server = axum_server::from_tcp(listener)?
                .acceptor(NoDelayAcceptor)
                .handle(handle.clone());
            tokio::spawn(async move { server.serve(app.into_make_service()).await })
        }
    };
    Ok(SimHandle {
        addr,
        base_url,
        ca_pem,
        state,
        handle,
        task,
    })
}
