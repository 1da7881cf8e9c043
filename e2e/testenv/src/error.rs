//! The errors of the test environment.

use std::path::PathBuf;
use std::process::ExitStatus;

/// What to run when the binaries are missing.
pub(crate) const INSTALL_HINT: &str = "bash e2e/testenv/install.sh";

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

pub(crate) fn io_err(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}
