//! The session-keeping HTTP core: login, headers, one re-login on 401/419; the per-call
//! retries are in `retry.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, HeaderValue, REFERER};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use super::config::{AviClientConfig, Credentials};
use super::cookies::CookieJar;
use super::error::{AviError, Result, classify, message_of};
use super::metrics::{RequestObserver, RequestRecord};
use super::redact::Redactor;
use super::tls;

type Bytes = Vec<u8>;

#[derive(Debug, Default)]
struct SessionState {
    jar: CookieJar,
    /// Bumped by every login, so concurrent callers hitting 401 log in only once.
    generation: u64,
    logged_in: bool,
    /// Version reported by the controller at login.
    controller_version: Option<String>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    /// `scheme://host[:port]`, sent as `Referer` (the controller's CSRF check wants one).
    referer: HeaderValue,
    cfg: AviClientConfig,
    session: RwLock<SessionState>,
    login_lock: tokio::sync::Mutex<()>,
    observer: Option<Arc<dyn RequestObserver>>,
    /// Set when a call ran out of retries because Avi did not answer (or answered 429/5xx),
    /// cleared by the next answer: while set, calls make one attempt each.
    unreachable: AtomicBool,
}

/// A cheap-to-clone handle; clones share the session and the connection pool.
#[derive(Clone)]
pub struct AviClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AviClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AviClient")
            .field("controller", &self.inner.base.as_str())
            .field("username", &self.inner.cfg.credentials.username())
            .field("tenant", &self.inner.cfg.tenant)
            .finish_non_exhaustive()
    }
}

/// A successful call's body.
pub(crate) struct Answer {
    pub body: Bytes,
}

impl AviClient {
    pub fn new(cfg: AviClientConfig) -> Result<Self> {
        Self::build(cfg, None)
    }

    /// With a hook that sees every HTTP attempt (method, object, status, duration).
    pub fn with_observer(cfg: AviClientConfig, observer: Arc<dyn RequestObserver>) -> Result<Self> {
        Self::build(cfg, Some(observer))
    }

    fn build(cfg: AviClientConfig, observer: Option<Arc<dyn RequestObserver>>) -> Result<Self> {
        let mut base = Url::parse(cfg.controller.trim_end_matches('/'))
            .map_err(|e| AviError::Config(format!("controller URL {:?}: {e}", cfg.controller)))?;
        if !matches!(base.scheme(), "https" | "http") || base.host_str().is_none() {
            return Err(AviError::Config(format!(
                "controller URL {:?}: expected https://host[:port]",
                cfg.controller
            )));
        }
        base.set_path("/");
        base.set_query(None);
        base.set_fragment(None);
        let referer = HeaderValue::from_str(base.as_str().trim_end_matches('/'))
            .map_err(|e| AviError::Config(format!("controller URL: {e}")))?;
        let tls = tls::client_config(&cfg.tls)?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(cfg.timeout)
            .connect_timeout(cfg.connect_timeout)
            .pool_max_idle_per_host(cfg.pool_max_idle_per_host)
            .pool_idle_timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("avigw/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AviError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base,
                referer,
                cfg,
                session: RwLock::new(SessionState::default()),
                login_lock: tokio::sync::Mutex::new(()),
                observer,
                unreachable: AtomicBool::new(false),
            }),
        })
    }

    pub fn config(&self) -> &AviClientConfig {
        &self.inner.cfg
    }

    /// Whether the last call that finished found Avi unreachable (see [`Self::exchange`]).
    pub fn unreachable(&self) -> bool {
        self.inner.unreachable.load(Ordering::Relaxed)
    }

    pub(super) fn set_unreachable(&self, unreachable: bool) {
        self.inner.unreachable.store(unreachable, Ordering::Relaxed);
    }

    pub(crate) fn base(&self) -> &Url {
        &self.inner.base
    }

    fn session(&self) -> RwLockReadGuard<'_, SessionState> {
        self.inner.session.read()
    }

    fn session_mut(&self) -> RwLockWriteGuard<'_, SessionState> {
        self.inner.session.write()
    }

    pub(super) fn keep_cookies(&self, headers: &HeaderMap) {
        self.session_mut().jar.update(headers);
    }

    /// The controller's version as reported at login.
    pub fn controller_version(&self) -> Option<String> {
        self.session().controller_version.clone()
    }

    /// The `X-Avi-Version` this client sends.
    pub fn api_version(&self) -> Option<String> {
        self.inner
            .cfg
            .api_version
            .clone()
            .or_else(|| self.controller_version())
    }

    pub(super) fn observe(
        &self,
        method: &Method,
        object: &str,
        status: Option<u16>,
        d: Duration,
        attempt: u32,
    ) {
        if let Some(o) = &self.inner.observer {
            o.observe(&RequestRecord {
                method: method.as_str(),
                object,
                status,
                duration: d,
                attempt,
            });
        }
    }

    /// Logs in (again), replacing the session cookies.
    pub async fn login(&self) -> Result<()> {
        let _guard = self.inner.login_lock.lock().await;
        self.login_locked().await
    }

    /// Logs in unless another caller already did since `seen_generation`.
    async fn relogin(&self, seen_generation: u64) -> Result<()> {
        let _guard = self.inner.login_lock.lock().await;
        if self.session().generation != seen_generation && self.session().logged_in {
            return Ok(());
        }
        self.login_locked().await
    }

    async fn ensure_login(&self) -> Result<()> {
        if self.session().logged_in {
            return Ok(());
        }
        let _guard = self.inner.login_lock.lock().await;
        if self.session().logged_in {
            return Ok(());
        }
        self.login_locked().await
    }

    async fn login_locked(&self) -> Result<()> {
        let body = match &self.inner.cfg.credentials {
            Credentials::Password { username, password } => {
                json!({"username": username, "password": password.expose()})
            }
            Credentials::Token { username, token } => {
                json!({"username": username, "token": token.expose()})
            }
        };
        let url = self.url_for("login")?;
        let request = || {
            self.inner
                .http
                .post(url.clone())
                .header(CONTENT_TYPE, "application/json")
                .json(&body)
        };
        let (reply, attempts) = self.exchange(&Method::POST, "login", false, request).await;
        let reply = reply.map_err(|e| transport("login", &e, attempts))?;
        let (status, headers, bytes) = (reply.status, &reply.headers, &reply.body);
        if !(200..300).contains(&status) {
            let message = message_of(bytes);
            return Err(match status {
                401 | 403 | 419 => AviError::Auth { status, message },
                s => classify("login", s, bytes, attempts, reply.retry_after()),
            });
        }
        let version = serde_json::from_slice::<Value>(bytes).ok().and_then(|v| {
            v.pointer("/version/Version")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        let mut s = self.session_mut();
        s.jar.clear();
        s.jar.update(headers);
        if s.jar.get("csrftoken").is_none() {
            return Err(AviError::Auth {
                status,
                message: "login answer set no csrftoken cookie".into(),
            });
        }
        s.generation += 1;
        s.logged_in = true;
        if version.is_some() {
            s.controller_version = version;
        }
        tracing::debug!(user = self.inner.cfg.credentials.username(), "logged in to Avi");
        Ok(())
    }

    /// Ends the session on the controller.
    pub async fn logout(&self) -> Result<()> {
        if !self.session().logged_in {
            return Ok(());
        }
        let r = self
            .call(Method::POST, self.url_for("logout")?, None, None, "logout")
            .await;
        let mut s = self.session_mut();
        s.jar.clear();
        s.logged_in = false;
        r.map(|_| ())
    }

    pub(crate) fn url_for(&self, path: &str) -> Result<Url> {
        self.inner
            .base
            .join(path.trim_start_matches('/'))
            .map_err(|e| AviError::Config(format!("URL for {path}: {e}")))
    }

    fn headers(&self, tenant: Option<&str>) -> (HeaderMap, u64) {
        let s = self.session();
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        h.insert(REFERER, self.inner.referer.clone());
        if let Some(c) = s.jar.header().and_then(|c| HeaderValue::from_str(&c).ok()) {
            h.insert(COOKIE, c);
        }
        if let Some(t) = s.jar.get("csrftoken").and_then(|t| HeaderValue::from_str(t).ok()) {
            h.insert("X-CSRFToken", t);
        }
        let version = self
            .inner
            .cfg
            .api_version
            .as_deref()
            .or(s.controller_version.as_deref());
        if let Some(v) = version.and_then(|v| HeaderValue::from_str(v).ok()) {
            h.insert("X-Avi-Version", v);
        }
        let tenant = tenant.unwrap_or(&self.inner.cfg.tenant);
        if let Ok(t) = HeaderValue::from_str(tenant) {
            h.insert("X-Avi-Tenant", t);
        }
        (h, s.generation)
    }

    /// One logical call: login if needed, one re-login on 401/419, retries with backoff on
    /// 429/5xx/timeouts/connection errors. Non-success answers become typed errors, without
    /// the private key the request may carry.
    pub(crate) async fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        tenant: Option<&str>,
        object: &str,
    ) -> Result<Answer> {
        let redactor = Redactor::of(body);
        self.call_unredacted(method, url, body, tenant, object)
            .await
            .map_err(|e| redactor.error(e))
    }

    async fn call_unredacted(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        tenant: Option<&str>,
        object: &str,
    ) -> Result<Answer> {
        let mut relogged = false;
        loop {
            self.ensure_login().await?;
            let (headers, generation) = self.headers(tenant);
            let request = || {
                let req = self
                    .inner
                    .http
                    .request(method.clone(), url.clone())
                    .headers(headers.clone());
                match body {
                    Some(b) => req.json(b),
                    None => req,
                }
            };
            let (reply, attempts) = self.exchange(&method, object, true, request).await;
            let reply = reply.map_err(|e| transport(object, &e, attempts))?;
            match reply.status {
                401 | 419 if !relogged => {
                    tracing::info!(
                        status = reply.status,
                        object,
                        "Avi session rejected; logging in again"
                    );
                    relogged = true;
                    self.relogin(generation).await?;
                }
                status @ (401 | 419) => {
                    return Err(AviError::Auth {
                        status,
                        message: message_of(&reply.body),
                    });
                }
                200..=299 => return Ok(Answer { body: reply.body }),
                status => {
                    return Err(classify(
                        object,
                        status,
                        &reply.body,
                        attempts,
                        reply.retry_after(),
                    ));
                }
            }
        }
    }
}

fn transport(object: &str, e: &reqwest::Error, attempts: u32) -> AviError {
    // reqwest's Display omits the cause chain, which holds the useful part (TLS, refused...).
    let mut message = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        message.push_str(": ");
        message.push_str(&s.to_string());
        src = s.source();
    }
    AviError::Transport {
        object: object.to_string(),
        message,
        attempts,
        timeout: e.is_timeout(),
    }
}
