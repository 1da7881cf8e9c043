//! A real kube-apiserver (with an embedded etcd) on 127.0.0.1 for integration and
//! end-to-end tests, plus kubectl and helm.
//!
//! One apiserver per test binary, started lazily by the first test that asks for it and
//! stopped when the binary exits — also on panic, SIGKILL or Ctrl-C (the child gets
//! `PR_SET_PDEATHSIG`, watches its stdin pipe and its parent pid). Tests share the apiserver
//! and isolate themselves with a namespace each.
//!
//! ```no_run
//! # async fn t() -> Result<(), avigw_testenv::Error> {
//! let ctx = avigw_testenv::TestContext::new("my-test").await?; // apiserver + CRDs + namespace
//! let out = ctx.env.kubectl(&["get", "gateways", "-n", &ctx.ns]).await?.ok()?;
//! # let _ = out; Ok(()) }
//! ```
//!
//! The binaries come from `bash e2e/testenv/install.sh`; when they are missing every call
//! fails with one line saying so (tests never skip silently).

mod cluster;
mod error;
mod paths;
mod process;
mod tools;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kube::Client;
use serde::Deserialize;

pub use error::{Error, Result};
pub use paths::{Paths, crd_dir, workspace_root};
pub use tools::CmdOutput;

/// Field manager for everything this crate applies.
const FIELD_MANAGER: &str = "avigw-testenv";
/// The pre-made low-privilege token user (no RBAC bindings until a test adds some).
pub const LIMITED_USER: &str = "avigw-limited";
/// Group of [`LIMITED_USER`].
pub const LIMITED_GROUP: &str = "avigw:limited";

/// A static-token user of the apiserver.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenUser {
    pub name: String,
    pub token: String,
    pub groups: Vec<String>,
}

/// What the Go program prints after `READY `.
#[derive(Debug, Clone, Deserialize)]
struct ReadyInfo {
    url: String,
    kubeconfig: PathBuf,
    ca_file: PathBuf,
    ca_key_file: PathBuf,
    admin_token: String,
    users: Vec<TokenUser>,
    pid: i32,
}

/// The process-wide apiserver. Obtain it with [`TestEnv::get`].
#[derive(Debug)]
pub struct TestEnv {
    info: ReadyInfo,
    paths: Paths,
    /// Per-run state: removed by the apiserver program when it exits.
    run_dir: PathBuf,
    log: PathBuf,
}

static ENV: OnceLock<std::result::Result<TestEnv, String>> = OnceLock::new();

impl TestEnv {
    /// The apiserver of this test binary, started on first use (blocks up to ~10 s then).
    ///
    /// A start failure is remembered: later callers get the same error instead of
    /// each trying (and waiting) again.
    pub fn get() -> Result<&'static TestEnv> {
        // kube's TLS needs a process-wide rustls provider; ring is the workspace's only one,
        // but feature unification alone cannot be relied on when one crate is tested alone.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let paths = Paths::discover();
        // Checked on every call so a missing install is reported as such, not as a
        // remembered start failure.
        paths.check()?;
        match ENV.get_or_init(|| process::start(paths).map_err(|e| e.to_string())) {
            Ok(env) => Ok(env),
            Err(e) => Err(Error::StartFailed(e.clone())),
        }
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.info.url
    }

    /// Admin kubeconfig (user `admin`, group `system:masters`).
    pub fn kubeconfig_path(&self) -> &Path {
        &self.info.kubeconfig
    }

    pub fn admin_token(&self) -> &str {
        &self.info.admin_token
    }

    /// PEM of the CA that signed the apiserver's serving cert (also trusted for client certs).
    pub fn ca_file(&self) -> &Path {
        &self.info.ca_file
    }

    /// Private key of that CA, to mint client certificates (`O` = group, `CN` = user).
    pub fn ca_key_file(&self) -> &Path {
        &self.info.ca_key_file
    }

    /// Pid of the apiserver process.
    pub fn pid(&self) -> i32 {
        self.info.pid
    }

    /// The apiserver's log (stderr) file; kept after the run for post-mortems.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }
}

/// What most tests want: the apiserver, a fresh admin client, the CRDs installed and
/// a namespace of their own.
#[derive(Clone)]
pub struct TestContext {
    pub env: &'static TestEnv,
    pub client: Client,
    pub ns: String,
}

impl TestContext {
    pub async fn new(hint: &str) -> Result<Self> {
        let env = TestEnv::get()?;
        let client = env.client().await?;
        env.install_crds(&client).await?;
        let ns = env.create_namespace(&client, hint).await?;
        Ok(TestContext { env, client, ns })
    }
}
