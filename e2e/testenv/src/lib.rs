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

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use base64::prelude::{BASE64_STANDARD, Engine as _};
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use serde::Deserialize;

/// Field manager for everything this crate applies.
const FIELD_MANAGER: &str = "avigw-testenv";
/// The pre-made low-privilege token user (no RBAC bindings until a test adds some).
pub const LIMITED_USER: &str = "avigw-limited";
/// Group of [`LIMITED_USER`].
pub const LIMITED_GROUP: &str = "avigw:limited";
const INSTALL_HINT: &str = "bash e2e/testenv/install.sh";
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Errors of the test environment. Messages are one line and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("test environment not installed: {path} is missing; run `{INSTALL_HINT}`")]
    NotInstalled { path: PathBuf },
    #[error("apiserver failed to start: {reason} (log: {log})")]
    Start { reason: String, log: PathBuf },
    /// A start failure remembered from the first attempt in this test binary.
    #[error("{0}")]
    StartFailed(String),
    #[error("io error on {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("kube client: {0}")]
    Kube(#[from] kube::Error),
    #[error("kubeconfig: {0}")]
    Kubeconfig(#[from] kube::config::KubeconfigError),
    #[error("reading {path}: {source}")]
    Yaml {
        path: PathBuf,
        #[source]
        source: serde_yaml::Error,
    },
    #[error("no CRD manifests in {0}")]
    NoCrds(PathBuf),
    #[error("timed out after {secs}s waiting for {what}")]
    Timeout { what: String, secs: u64 },
    #[error("`{cmd}` exited with {status}: {stderr}")]
    Command {
        cmd: String,
        status: ExitStatus,
        stderr: String,
    },
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

fn io_err(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}

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

/// Locations of the installed binaries and the cache.
#[derive(Debug, Clone)]
pub struct Paths {
    /// `target/testenv` (or `$AVIGW_TESTENV_DIR`).
    pub root: PathBuf,
    pub apiserver: PathBuf,
    pub kubectl: PathBuf,
    pub helm: PathBuf,
}

impl Paths {
    /// Where install.sh puts things: `$AVIGW_TESTENV_DIR`, else `<workspace>/target/testenv`.
    pub fn discover() -> Self {
        let root = std::env::var_os("AVIGW_TESTENV_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join("target").join("testenv"));
        let bin = root.join("bin");
        Paths {
            apiserver: bin.join("avigw-testenv-apiserver"),
            kubectl: bin.join("kubectl"),
            helm: bin.join("helm"),
            root,
        }
    }

    /// Fails with the install hint when a binary is missing.
    pub fn check(&self) -> Result<()> {
        for p in [&self.apiserver, &self.kubectl, &self.helm] {
            if !p.is_file() {
                return Err(Error::NotInstalled { path: p.clone() });
            }
        }
        Ok(())
    }
}

/// The workspace root, found at compile time from this crate's location (e2e/testenv).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| manifest.to_path_buf())
}

/// `manifests/crds` of the workspace.
pub fn crd_dir() -> PathBuf {
    workspace_root().join("manifests").join("crds")
}

/// Output of a kubectl or helm run.
#[derive(Debug, Clone)]
pub struct CmdOutput {
    pub cmd: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl CmdOutput {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// `Ok(self)` on exit 0, else an error carrying stderr.
    pub fn ok(self) -> Result<Self> {
        if self.success() {
            Ok(self)
        } else {
            Err(Error::Command {
                cmd: self.cmd,
                status: self.status,
                stderr: self.stderr.trim().to_string(),
            })
        }
    }
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
static CRDS: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
static NS_COUNTER: AtomicU64 = AtomicU64::new(0);

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
        match ENV.get_or_init(|| start(paths).map_err(|e| e.to_string())) {
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

    /// The pre-made low-privilege token user [`LIMITED_USER`]: authenticated, but
    /// allowed nothing until a test binds a role to it. Shared by all tests of the
    /// binary, so bind namespaced Roles, not ClusterRoles, where you can; otherwise
    /// use [`TestEnv::service_account_client`], which gives each test its own identity.
    pub fn limited_user(&self) -> Result<&TokenUser> {
        self.info
            .users
            .iter()
            .find(|u| u.name == LIMITED_USER)
            .ok_or_else(|| Error::Other(format!("token user {LIMITED_USER} not configured")))
    }

    /// A new admin client. Create one per test: a client is bound to the tokio runtime
    /// it was made on, and each `#[tokio::test]` has its own.
    pub async fn client(&self) -> Result<Client> {
        self.token_client(&self.info.admin_token).await
    }

    /// A client authenticating with a bearer token (static token user or ServiceAccount token).
    pub async fn token_client(&self, token: &str) -> Result<Client> {
        let yaml = self.kubeconfig_yaml("token-user", token)?;
        let kc = Kubeconfig::from_yaml(&yaml)?;
        let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?;
        Ok(Client::try_from(config)?)
    }

    /// A client as [`LIMITED_USER`].
    pub async fn limited_client(&self) -> Result<Client> {
        let token = self.limited_user()?.token.clone();
        self.token_client(&token).await
    }

    /// A kubeconfig text for a bearer token, e.g. to run kubectl as a low-privilege user.
    pub fn kubeconfig_yaml(&self, user: &str, token: &str) -> Result<String> {
        let ca = std::fs::read(&self.info.ca_file).map_err(io_err("reading the CA file"))?;
        let ca_b64 = BASE64_STANDARD.encode(&ca);
        Ok(format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: testenv\n  cluster:\n    server: {url}\n    certificate-authority-data: {ca_b64}\nusers:\n- name: {user}\n  user:\n    token: {token}\ncontexts:\n- name: testenv\n  context:\n    cluster: testenv\n    user: {user}\ncurrent-context: testenv\n",
            url = self.info.url,
        ))
    }

    /// Creates ServiceAccount `name` in `ns` (if needed) and returns a client holding a
    /// fresh token for it (TokenRequest API): user `system:serviceaccount:<ns>:<name>`,
    /// with no permissions until the test binds some.
    pub async fn service_account_client(&self, ns: &str, name: &str) -> Result<Client> {
        let token = self.service_account_token(ns, name).await?;
        self.token_client(&token).await
    }

    /// The token behind [`TestEnv::service_account_client`] (e.g. for a kubeconfig).
    pub async fn service_account_token(&self, ns: &str, name: &str) -> Result<String> {
        let admin = self.client().await?;
        let sas: Api<ServiceAccount> = Api::namespaced(admin, ns);
        let sa = ServiceAccount {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                ..Default::default()
            },
            ..Default::default()
        };
        match sas.create(&PostParams::default(), &sa).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 409 => {}
            Err(e) => return Err(e.into()),
        }
        let req = TokenRequest {
            spec: TokenRequestSpec {
                audiences: vec![],
                expiration_seconds: Some(24 * 3600),
                ..Default::default()
            },
            ..Default::default()
        };
        let resp = sas
            .create_token_request(name, &PostParams::default(), &req)
            .await?;
        resp.status
            .map(|s| s.token)
            .ok_or_else(|| Error::Other("TokenRequest returned no status".into()))
    }

    /// Creates a namespace with a unique name derived from `hint` (tests never delete
    /// namespaces: without a namespace controller they stay Terminating forever).
    pub async fn create_namespace(&self, client: &Client, hint: &str) -> Result<String> {
        let n = NS_COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = unique_name(hint, n);
        let api: Api<Namespace> = Api::all(client.clone());
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some(BTreeMap::from([(
                    "avigw.io/testenv".to_string(),
                    "true".to_string(),
                )])),
                ..Default::default()
            },
            ..Default::default()
        };
        api.create(&PostParams::default(), &ns).await?;
        Ok(name)
    }

    /// Applies every CRD in `manifests/crds/*.yaml` (server-side apply) and waits until
    /// each is Established. Runs once per test binary; later calls return at once.
    pub async fn install_crds(&self, client: &Client) -> Result<()> {
        CRDS.get_or_try_init(|| apply_crds(client.clone(), crd_dir()))
            .await
            .map(|_| ())
    }

    /// Runs kubectl (admin kubeconfig) and collects its output; a non-zero exit is not
    /// an error here, see [`CmdOutput::ok`].
    pub async fn kubectl(&self, args: &[&str]) -> Result<CmdOutput> {
        self.run_tool(&self.paths.kubectl, args, None).await
    }

    /// kubectl with `stdin` fed in, e.g. `kubectl_stdin(&["apply", "-f", "-"], yaml)`.
    pub async fn kubectl_stdin(&self, args: &[&str], stdin: &str) -> Result<CmdOutput> {
        self.run_tool(&self.paths.kubectl, args, Some(stdin)).await
    }

    /// Runs helm against the apiserver (admin kubeconfig, helm state kept under target/testenv).
    pub async fn helm(&self, args: &[&str]) -> Result<CmdOutput> {
        self.run_tool(&self.paths.helm, args, None).await
    }

    /// A preconfigured kubectl command, for anything [`TestEnv::kubectl`] does not cover.
    pub fn kubectl_command(&self) -> tokio::process::Command {
        self.tool_command(&self.paths.kubectl)
    }

    /// A preconfigured helm command.
    pub fn helm_command(&self) -> tokio::process::Command {
        self.tool_command(&self.paths.helm)
    }

    fn tool_command(&self, bin: &Path) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(bin);
        let helm_home = self.paths.root.join("helm");
        cmd.env("KUBECONFIG", &self.info.kubeconfig)
            // Discovery cache keyed by a random port: keep it in the run dir, not ~/.kube.
            .env("KUBECACHEDIR", self.run_dir.join("kubecache"))
            .env("HELM_CACHE_HOME", helm_home.join("cache"))
            .env("HELM_CONFIG_HOME", helm_home.join("config"))
            .env("HELM_DATA_HOME", helm_home.join("data"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    async fn run_tool(&self, bin: &Path, args: &[&str], stdin: Option<&str>) -> Result<CmdOutput> {
        use tokio::io::AsyncWriteExt;
        let name = bin
            .file_name()
            .and_then(OsStr::to_str)
            .unwrap_or("tool")
            .to_string();
        let cmd_text = format!("{name} {}", args.join(" "));
        let mut cmd = self.tool_command(bin);
        cmd.args(args);
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().map_err(io_err(format!("spawning {cmd_text}")))?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(input.as_bytes())
                .await
                .map_err(io_err(format!("writing stdin of {cmd_text}")))?;
            // Dropping the pipe sends EOF.
            drop(pipe);
        }
        let out = child
            .wait_with_output()
            .await
            .map_err(io_err(format!("waiting for {cmd_text}")))?;
        tracing::debug!(cmd = %cmd_text, status = %out.status, "testenv tool ran");
        Ok(CmdOutput {
            cmd: cmd_text,
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
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

/// DNS-1123 label from a test name hint plus a per-process counter.
fn unique_name(hint: &str, n: u64) -> String {
    let mut s: String = hint
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    s.truncate(50);
    let s = s.trim_matches('-');
    let s = if s.is_empty() { "t" } else { s };
    format!("{s}-{n}")
}

async fn apply_crds(client: Client, dir: PathBuf) -> Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(io_err(format!("reading {}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    let api: Api<CustomResourceDefinition> = Api::all(client);
    let pp = PatchParams::apply(FIELD_MANAGER).force();
    let mut names = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).map_err(io_err(format!("reading {}", path.display())))?;
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let value = serde_yaml::Value::deserialize(doc).map_err(|source| Error::Yaml {
                path: path.clone(),
                source,
            })?;
            if value.is_null() {
                continue;
            }
            let crd: CustomResourceDefinition =
                serde_yaml::from_value(value).map_err(|source| Error::Yaml {
                    path: path.clone(),
                    source,
                })?;
            let name = crd.metadata.name.clone().unwrap_or_default();
            api.patch(&name, &pp, &Patch::Apply(&crd)).await?;
            names.push(name);
        }
    }
    if names.is_empty() {
        return Err(Error::NoCrds(dir));
    }
    for name in names {
        let cond = kube::runtime::wait::conditions::is_crd_established();
        tokio::time::timeout(
            Duration::from_secs(30),
            kube::runtime::wait::await_condition(api.clone(), &name, cond),
        )
        .await
        .map_err(|_| Error::Timeout {
            what: format!("CRD {name} to be Established"),
            secs: 30,
        })?
        .map_err(|e| Error::Other(format!("waiting for CRD {name}: {e}")))?;
    }
    Ok(())
}

// ---- process management --------------------------------------------------------------------

/// Pid of the child, for the atexit handler (0 = none).
static CHILD_PID: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn stop_child_at_exit() {
    let pid = CHILD_PID.load(Ordering::SeqCst);
    if pid <= 0 {
        return;
    }
    // SAFETY: plain syscalls on a pid we spawned; the keeper thread reaps it.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    // Wait (bounded) so the test binary ends only after its apiserver did: no stray
    // process for whoever runs next.
    let deadline = Instant::now() + Duration::from_secs(8);
    while Instant::now() < deadline {
        // SAFETY: signal 0 only checks existence.
        if unsafe { libc::kill(pid, 0) } != 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: as above.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
}

fn start(paths: Paths) -> Result<TestEnv> {
    let started = Instant::now();
    let logs = paths.root.join("logs");
    std::fs::create_dir_all(&logs).map_err(io_err(format!("creating {}", logs.display())))?;
    prune_old_logs(&logs);
    let tag = format!(
        "{}-{}",
        std::env::current_exe()
            .ok()
            .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "test".into()),
        std::process::id()
    );
    let log = logs.join(format!("{tag}.log"));
    sweep_stale_run_dirs();
    let run_dir = std::env::temp_dir().join(format!("{RUN_DIR_PREFIX}{tag}"));
    let log_file = std::fs::File::create(&log).map_err(io_err(format!("creating {}", log.display())))?;

    let mut cmd = std::process::Command::new(&paths.apiserver);
    cmd.arg("--dir")
        .arg(&run_dir)
        .arg("--user")
        .arg(format!("{LIMITED_USER}:{LIMITED_GROUP}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log_file));
    let parent = std::process::id() as libc::pid_t;
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                // SIGTERM when the spawning thread dies; that is the keeper thread
                // below, which lives as long as the process.
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died before prctl took effect.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
    }

    let (tx, rx) = mpsc::channel::<Result<ReadyInfo>>();
    let log_for_thread = log.clone();
    std::thread::Builder::new()
        .name("avigw-testenv-apiserver".into())
        .spawn(move || keeper(cmd, tx, log_for_thread))
        .map_err(io_err("spawning the keeper thread"))?;

    let info = match rx.recv_timeout(START_TIMEOUT) {
        Ok(r) => r?,
        Err(_) => {
            return Err(Error::Start {
                reason: format!("no READY within {}s", START_TIMEOUT.as_secs()),
                log,
            });
        }
    };
    tracing::info!(url = %info.url, elapsed = ?started.elapsed(), "testenv apiserver ready");
    Ok(TestEnv {
        info,
        paths,
        run_dir,
        log,
    })
}

/// Spawns the apiserver and then stays alive (blocked in wait) for the rest of the
/// process: PR_SET_PDEATHSIG fires when the *thread* that forked the child exits.
fn keeper(mut cmd: std::process::Command, tx: mpsc::Sender<Result<ReadyInfo>>, log: PathBuf) {
    let start_err = |reason: String| Error::Start {
        reason,
        log: log.clone(),
    };
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let _ = tx.send(Err(start_err(format!("spawn: {e}"))));
            return;
        }
    };
    let pid = child.id() as i32;
    CHILD_PID.store(pid, Ordering::SeqCst);
    static ATEXIT: OnceLock<()> = OnceLock::new();
    ATEXIT.get_or_init(|| {
        // SAFETY: registering a plain extern "C" fn.
        unsafe {
            libc::atexit(stop_child_at_exit);
        }
    });
    // Held (never written) until the process exits: its EOF tells the child to stop.
    let _stdin = child.stdin.take();
    let Some(stdout) = child.stdout.take() else {
        let _ = tx.send(Err(start_err("no stdout pipe".into())));
        return;
    };
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    let mut sent = false;
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if let Some(json) = line.trim().strip_prefix("READY ") {
            let r = serde_json::from_str::<ReadyInfo>(json)
                .map_err(|e| start_err(format!("bad READY line: {e}")));
            let _ = tx.send(r);
            sent = true;
            break;
        }
    }
    // Keep draining so the child never blocks on a full stdout pipe.
    let mut sink = Vec::new();
    let _ = reader.read_to_end(&mut sink);
    let status = child.wait();
    CHILD_PID.store(0, Ordering::SeqCst);
    let tail = log_tail(&log, 15);
    if !sent {
        let reason = match status {
            Ok(s) => format!("exited with {s} before ready; log tail:\n{tail}"),
            Err(e) => format!("wait: {e}"),
        };
        let _ = tx.send(Err(start_err(reason)));
    } else {
        // Normal only at process exit; anything earlier breaks every later test.
        eprintln!(
            "avigw-testenv: apiserver exited ({status:?}); log {}:\n{tail}",
            log.display()
        );
    }
}

fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

const RUN_DIR_PREFIX: &str = "avigw-testenv-";

/// The apiserver removes its run dir when it stops; only a SIGKILL of the apiserver
/// itself leaves one behind. Remove those whose owning test process is gone.
fn sweep_stale_run_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(RUN_DIR_PREFIX) else {
            continue;
        };
        let Some(pid) = rest.rsplit('-').next().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        // SAFETY: signal 0 only checks whether the pid exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        if !alive {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Logs are kept for post-mortems but not forever.
fn prune_old_logs(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let cutoff = SystemTime::now() - Duration::from_secs(24 * 3600);
    for e in entries.flatten() {
        let old = e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < cutoff);
        if old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_labels() {
        assert_eq!(unique_name("Smoke_Test::gateway", 3), "smoke-test--gateway-3");
        assert_eq!(unique_name("--", 0), "t-0");
        assert!(unique_name(&"x".repeat(200), 12345).len() <= 63);
    }
}
