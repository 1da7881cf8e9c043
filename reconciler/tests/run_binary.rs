//! The real `avigw-reconciler run` binary: settings from `AVIGW_*` env, POD_NAME /
//! POD_NAMESPACE for the Lease, JSON logs, health endpoints, a Gateway synced; a bad setting
//! stops start-up with one line.

mod run_support;

use std::process::Stdio;
use std::time::Duration;

use run_support::{condition, env, eventually};

const BIN: &str = env!("CARGO_BIN_EXE_avigw-reconciler");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_setting_is_one_line() {
    let out = tokio::process::Command::new(BIN)
        .args(["run"])
        .env_clear()
        .env("AVIGW_CLUSTER_NAME", "bad name!")
        .output()
        .await
        .expect("run binary");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--cluster-name (AVIGW_CLUSTER_NAME)"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_runs_from_env() {
    let e = env("run-bin").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let dir = &e.dir;
    let mut child = tokio::process::Command::new(BIN)
        .arg("run")
        .env("KUBECONFIG", e.ctx.env.kubeconfig_path())
        .env("AVIGW_CLUSTER_NAME", &e.cluster)
        .env("AVIGW_CONTROLLER", e.sim.base_url())
        .env("AVIGW_USERNAME", "admin")
        .env("AVIGW_PASSWORD_FILE", dir.join("password"))
        .env("AVIGW_CA_FILE", dir.join("ca.pem"))
        .env("AVIGW_VIP_NETWORK", "vip-net")
        .env("AVIGW_NAMESPACE_SELECTOR", format!("avigw-test={}", e.ctx.ns))
        .env("AVIGW_METRICS_ADDR", format!("127.0.0.1:{port}"))
        .env("AVIGW_LOG_JSON", "true")
        .env("POD_NAME", "avigw-reconciler-0")
        .env("POD_NAMESPACE", &e.ctx.ns)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn binary");
    let healthz = format!("http://127.0.0.1:{port}/readyz");
    eventually(30, "readyz", || async {
        let out = tokio::process::Command::new("curl")
            .args(["-sf", &healthz])
            .output()
            .await
            .ok()?;
        out.status.success().then_some(())
    })
    .await;
    e.apply(&e.gateway_yaml("gw", &[80], None)).await;
    eventually(30, "Gateway Ready", || async {
        let g = e.gateway_json("gw").await?;
        (condition(&g, "Ready")?.get("status")? == "True").then_some(())
    })
    .await;
    let lease = e
        .kubectl(&[
            "get",
            "lease",
            "avigw-reconciler",
            "-n",
            &e.ctx.ns,
            "-o",
            "jsonpath={.spec.holderIdentity}",
        ])
        .await;
    assert_eq!(lease, "avigw-reconciler-0");
    let _ = child.start_kill();
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .expect("exits")
        .expect("output");
    let logs = String::from_utf8_lossy(&out.stderr);
    let first = logs.lines().next().unwrap_or_default();
    assert!(first.starts_with('{'), "JSON logs: {first}");
    assert!(!logs.contains(run_support::PASSWORD), "password logged");
}
