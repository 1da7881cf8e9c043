//! The real `avigw-reconciler run` binary as a child process, for the tests that kill it
//! (SIGKILL mid-sync, leader failover) or measure its memory on its own (the soak).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};

use crate::stack::{CLUSTER_NAME, Stack};

/// Path of the `avigw-reconciler` binary of this build profile.
///
/// Integration tests of another package get no `CARGO_BIN_EXE_` for it. `cargo test
/// --workspace` builds it next to this test's own directory; when it is missing or older than
/// the sources it is built from (a lone `cargo test -p avigw-e2e` after an edit), `cargo build`
/// makes it. Building only then matters: `cargo build -p` unifies features differently from
/// the workspace build, so an unconditional one would rebuild dependencies back and forth.
pub fn reconciler_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the test binary")?;
    // target/<profile>/deps/<test> → target/<profile>
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .context("test binary outside target/<profile>/deps")?;
    let bin = profile_dir.join("avigw-reconciler");
    let root = avigw_testenv::workspace_root();
    let built = std::fs::metadata(&bin).and_then(|m| m.modified()).ok();
    let sources = [
        "reconciler/src",
        "shared/src",
        "reconciler/Cargo.toml",
        "shared/Cargo.toml",
        "Cargo.lock",
    ];
    let fresh = built.is_some_and(|b| sources.iter().all(|s| newest_mtime(&root.join(s)) <= Some(b)));
    if fresh {
        return Ok(bin);
    }
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = std::process::Command::new(cargo);
    cmd.args([
        "build",
        "-q",
        "-p",
        "avigw-reconciler",
        "--bin",
        "avigw-reconciler",
    ])
    .current_dir(&root);
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status().context("running cargo build for avigw-reconciler")?;
    if !status.success() || !bin.exists() {
        bail!("cannot build {}: cargo build exited with {status}", bin.display());
    }
    Ok(bin)
}

/// The latest modification time of a file, or of any file under a directory.
fn newest_mtime(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(|e| newest_mtime(&e.ok()?.path()))
        .max()
}

/// Settings for one reconciler process against a [`Stack`].
pub struct ProcessOptions {
    /// Pod name: the Lease holder identity.
    pub pod: String,
    pub leader_elect: bool,
    pub lease_duration_secs: u64,
    pub lease_renew_secs: u64,
    pub workers: usize,
    /// Extra `AVIGW_*` settings.
    pub env: Vec<(String, String)>,
}

impl ProcessOptions {
    pub fn new(pod: &str) -> Self {
        ProcessOptions {
            pod: pod.to_owned(),
            leader_elect: true,
            lease_duration_secs: 4,
            lease_renew_secs: 1,
            workers: 8,
            env: Vec::new(),
        }
    }
}

pub struct ReconcilerProcess {
    pub pod: String,
    pub metrics_port: u16,
    child: tokio::process::Child,
}

impl ReconcilerProcess {
    /// Starts `avigw-reconciler run` configured by `AVIGW_*` env as the chart does, against
    /// the stack's apiserver (through `KUBECONFIG`) and avisim.
    pub async fn start(stack: &Stack, opts: &ProcessOptions) -> Result<ReconcilerProcess> {
        let bin = tokio::task::spawn_blocking(reconciler_binary).await??;
        let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = stack.dir.path().join(format!("{}.log", opts.pod));
        let log = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        // AVIGW_RECONCILER_WRAPPER runs it under a profiler, e.g. "heaptrack -o /tmp/ht".
        let wrapper: Vec<String> = std::env::var("AVIGW_RECONCILER_WRAPPER")
            .map(|w| w.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        let mut cmd = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = tokio::process::Command::new(program);
                c.args(args).arg(bin);
                c
            }
            None => tokio::process::Command::new(bin),
        };
        cmd.arg("run")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("KUBECONFIG", stack.env.kubeconfig_path())
            .env("AVIGW_CLUSTER_NAME", CLUSTER_NAME)
            .env("AVIGW_CONTROLLER", stack.avisim.base_url())
            .env("AVIGW_USERNAME", "admin")
            .env("AVIGW_PASSWORD_FILE", stack.avi_password_file())
            .env("AVIGW_CA_FILE", stack.avi_ca_file())
            .env("AVIGW_VIP_NETWORK", "vip-net")
            .env("AVIGW_METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
            .env("AVIGW_LEADER_ELECT", opts.leader_elect.to_string())
            .env(
                "AVIGW_LEASE_DURATION_SECONDS",
                opts.lease_duration_secs.to_string(),
            )
            .env("AVIGW_LEASE_RENEW_SECONDS", opts.lease_renew_secs.to_string())
            .env("AVIGW_WORKERS", opts.workers.to_string())
            .env("AVIGW_LOG_JSON", "true")
            .env("RUST_LOG", "info")
            .env("POD_NAME", &opts.pod)
            .env("POD_NAMESPACE", "default")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .kill_on_drop(true);
        for (k, v) in &opts.env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().context("spawning avigw-reconciler")?;
        Ok(ReconcilerProcess {
            pod: opts.pod.clone(),
            metrics_port,
            child,
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// SIGKILL: no shutdown hook runs, in-flight Avi calls are cut.
    pub async fn kill9(&mut self) -> Result<()> {
        self.child.start_kill().context("SIGKILL")?;
        tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .context("the killed reconciler did not exit")??;
        Ok(())
    }

    /// Resident set size of the process (KiB), from /proc.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
    }

    /// The process's metrics text, or `None` while it is not serving yet.
    pub async fn metrics(&self) -> Option<String> {
        let out = tokio::process::Command::new("curl")
            .args(["-sf", &format!("http://127.0.0.1:{}/metrics", self.metrics_port)])
            .output()
            .await
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Whether it exited (and so crashed: nothing here stops it gracefully).
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

/// The holder of the reconciler's Lease in `default`, if any.
pub async fn lease_holder(client: &kube::Client) -> Result<Option<String>> {
    let leases: kube::Api<k8s_openapi::api::coordination::v1::Lease> =
        kube::Api::namespaced(client.clone(), "default");
    let lease = leases.get_opt("avigw-reconciler").await?;
    Ok(lease.and_then(|l| l.spec?.holder_identity))
}
