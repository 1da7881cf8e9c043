//! The webhook binary against the test apiserver: start it, apply through kubectl, read denials.
#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use avigw_certs::pki;
use avigw_testenv::{CmdOutput, TestEnv};
use time::OffsetDateTime;

pub struct Webhook {
    child: Child,
    pub port: u16,
    pub metrics_port: u16,
    _dir: tempfile::TempDir,
    pub ca: String,
}

impl Drop for Webhook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `avigw-webhook serve` against `env` and waits until its /readyz answers 200.
pub async fn start_webhook(env: &TestEnv) -> Result<Webhook> {
    let dir = tempfile::tempdir()?;
    let bundle = pki::generate(
        &["127.0.0.1".to_owned(), "localhost".to_owned()],
        OffsetDateTime::now_utc(),
        time::Duration::days(1),
    )?;
    std::fs::write(dir.path().join("tls.crt"), &bundle.tls_crt)?;
    std::fs::write(dir.path().join("tls.key"), &bundle.tls_key)?;
    let (port, metrics) = (free_port()?, free_port()?);
    let child = Command::new(env!("CARGO_BIN_EXE_avigw-webhook"))
        .env("KUBECONFIG", env.kubeconfig_path())
        .env("RUST_LOG", "warn")
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--metrics-addr",
            &format!("127.0.0.1:{metrics}"),
        ])
        .arg("--tls-cert-file")
        .arg(dir.path().join("tls.crt"))
        .arg("--tls-key-file")
        .arg(dir.path().join("tls.key"))
        .stdout(Stdio::null())
        .spawn()
        .context("starting avigw-webhook")?;
    let hook = Webhook {
        child,
        port,
        metrics_port: metrics,
        _dir: dir,
        ca: bundle.ca_crt,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = readyz(metrics).await?;
        if status == Some(200) {
            return Ok(hook);
        }
        ensure!(
            Instant::now() < deadline,
            "avigw-webhook did not become ready within 60s (last /readyz: {status:?})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The HTTP status of `GET /readyz` on the metrics port; `None` when nothing answers.
pub async fn readyz(metrics_port: u16) -> Result<Option<u16>> {
    Ok(tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", metrics_port)).ok()?;
        s.write_all(b"GET /readyz HTTP/1.0\r\n\r\n").ok()?;
        let mut buf = String::new();
        s.read_to_string(&mut buf).ok()?;
        buf.split_whitespace().nth(1)?.parse().ok()
    })
    .await?)
}

pub async fn apply(env: &TestEnv, yaml: &str) -> Result<CmdOutput> {
    Ok(env.kubectl_stdin(&["apply", "-f", "-"], yaml).await?)
}

pub fn denied(out: &CmdOutput, expected: &str) -> Result<()> {
    ensure!(!out.success(), "expected a denial, kubectl said: {}", out.stdout);
    let prefix = "admission webhook \"validate.avigw.ako.vmware.com\" denied the request: ";
    ensure!(
        out.stderr.contains(prefix),
        "not a webhook denial: {}",
        out.stderr
    );
    ensure!(
        out.stderr.contains(expected),
        "denial lacks {expected:?}:\n{}",
        out.stderr
    );
    Ok(())
}
