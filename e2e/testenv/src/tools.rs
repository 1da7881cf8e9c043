//! kubectl and helm, run against the apiserver.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{ExitStatus, Stdio};

use crate::TestEnv;
use crate::error::{Error, Result, io_err};

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

impl TestEnv {
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
