//! The session-keeping HTTP core: login, headers, one re-login on 401/419, retries.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, HeaderValue, REFERER, RETRY_AFTER};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use super::config::{AviClientConfig, Credentials};
use super::cookies::CookieJar;
use super::error::{AviError, Result, classify, message_of};
use super::metrics::{RequestObserver, RequestRecord};
use super::retry::{backoff, retryable_status};
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
            }),
        })
    }

    pub fn config(&self) -> &AviClientConfig {
        &self.inner.cfg
    }

    pub(crate) fn base(&self) -> &Url {
        &self.inner.base
    }

    fn session(&self) -> std::sync::RwLockReadGuard<'_, SessionState> {
        self.inner.session.read().unwrap_or_else(|e| e.into_inner())
    }

    fn session_mut(&self) -> std::sync::RwLockWriteGuard<'_, SessionState> {
        self.inner.session.write().unwrap_or_else(|e| e.into_inner())
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

    fn observe(&self, method: &Method, object: &str, status: Option<u16>, d: Duration, attempt: u32) {
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
        let policy = self.inner.cfg.retry.clone();
        let mut attempt = 0u32;
        loop {
            let started = Instant::now();
            let res = self
                .inner
                .http
                .post(url.clone())
                .header(CONTENT_TYPE, "application/json")
                .json(&body)
                .send()
                .await;
            let (status, headers, bytes) = match res {
                Ok(r) => {
                    let status = r.status();
                    let headers = r.headers().clone();
                    match r.bytes().await {
                        Ok(b) => (status, headers, b.to_vec()),
                        Err(e) => {
                            self.observe(&Method::POST, "login", None, started.elapsed(), attempt);
                            if attempt < policy.max_retries {
                                tokio::time::sleep(backoff(&policy, attempt, None)).await;
                                attempt += 1;
                                continue;
                            }
                            return Err(transport("login", &e, attempt + 1));
                        }
                    }
                }
                Err(e) => {
                    self.observe(&Method::POST, "login", None, started.elapsed(), attempt);
                    if attempt < policy.max_retries && transient(&e) {
                        tokio::time::sleep(backoff(&policy, attempt, None)).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(transport("login", &e, attempt + 1));
                }
            };
            self.observe(
                &Method::POST,
                "login",
                Some(status.as_u16()),
                started.elapsed(),
                attempt,
            );
            if retryable_status(status.as_u16()) && attempt < policy.max_retries {
                tokio::time::sleep(backoff(&policy, attempt, retry_after(&headers))).await;
                attempt += 1;
                continue;
            }
            if !status.is_success() {
                let message = message_of(&bytes);
                return Err(match status.as_u16() {
                    401 | 403 | 419 => AviError::Auth {
                        status: status.as_u16(),
                        message,
                    },
                    s => classify("login", s, &bytes, attempt + 1),
                });
            }
            let version = serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| {
                v.pointer("/version/Version")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
            let mut s = self.session_mut();
            s.jar.clear();
            s.jar.update(&headers);
            if s.jar.get("csrftoken").is_none() {
                return Err(AviError::Auth {
                    status: status.as_u16(),
                    message: "login answer set no csrftoken cookie".into(),
                });
            }
            s.generation += 1;
            s.logged_in = true;
            if version.is_some() {
                s.controller_version = version;
            }
            tracing::debug!(user = self.inner.cfg.credentials.username(), "logged in to Avi");
            return Ok(());
        }
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
    /// 429/5xx/timeouts/connection errors. Non-success answers become typed errors.
    pub(crate) async fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        tenant: Option<&str>,
        object: &str,
    ) -> Result<Answer> {
        let policy = &self.inner.cfg.retry;
        let mut attempt = 0u32;
        let mut relogged = false;
        loop {
            self.ensure_login().await?;
            let (headers, generation) = self.headers(tenant);
            let mut req = self
                .inner
                .http
                .request(method.clone(), url.clone())
                .headers(headers);
            if let Some(b) = body {
                req = req.json(b);
            }
            let started = Instant::now();
            let sent = req.send().await;
            let resp = match sent {
                Ok(r) => r,
                Err(e) => {
                    self.observe(&method, object, None, started.elapsed(), attempt);
                    if transient(&e) && attempt < policy.max_retries {
                        tracing::debug!(%method, object, attempt, error = %e, "Avi call failed; retrying");
                        tokio::time::sleep(backoff(policy, attempt, None)).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(transport(object, &e, attempt + 1));
                }
            };
            let status = resp.status();
            let resp_headers = resp.headers().clone();
            self.session_mut().jar.update(&resp_headers);
            let bytes = match resp.bytes().await {
                Ok(b) => b.to_vec(),
                Err(e) => {
                    self.observe(&method, object, None, started.elapsed(), attempt);
                    if attempt < policy.max_retries {
                        tokio::time::sleep(backoff(policy, attempt, None)).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(transport(object, &e, attempt + 1));
                }
            };
            let code = status.as_u16();
            self.observe(&method, object, Some(code), started.elapsed(), attempt);
            if code == 401 || code == 419 {
                if relogged {
                    return Err(AviError::Auth {
                        status: code,
                        message: message_of(&bytes),
                    });
                }
                tracing::info!(status = code, object, "Avi session rejected; logging in again");
                relogged = true;
                self.relogin(generation).await?;
                continue;
            }
            if retryable_status(code) && attempt < policy.max_retries {
                let wait = backoff(policy, attempt, retry_after(&resp_headers));
                tracing::debug!(%method, object, status = code, attempt, ?wait, "Avi busy; retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
                continue;
            }
            if status.is_success() {
                return Ok(Answer { body: bytes });
            }
            return Err(classify(object, code, &bytes, attempt + 1));
        }
    }
}

fn retry_after(h: &HeaderMap) -> Option<Duration> {
    h.get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Timeouts and connection-level failures are worth another try; a certificate the client
/// does not trust is not (it will not start being trusted a second later).
fn transient(e: &reqwest::Error) -> bool {
    if bad_certificate(e) {
        return false;
    }
    e.is_timeout() || e.is_connect() || e.is_request() || e.is_body()
}

fn bad_certificate(e: &reqwest::Error) -> bool {
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        // io::Error hides its payload from source(); look inside explicitly.
        let inner = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|i| i as &(dyn std::error::Error + 'static));
        for candidate in [Some(s), inner].into_iter().flatten() {
            if let Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented) =
                candidate.downcast_ref::<rustls::Error>()
            {
                return true;
            }
        }
        // Wrappers in between (hyper-util's connect error) may not expose the rustls error
        // type; its message is stable.
        if s.to_string().contains("invalid peer certificate") {
            return true;
        }
        src = s.source();
    }
    false
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
