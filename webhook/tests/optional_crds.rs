//! The webhook on a cluster with only the AviInfraSetting CRD, the most common install (no
//! v1alpha1 Gateway CRDs): it must get ready and judge Services; once the Gateway CRDs are
//! installed it must start judging Gateways too. One test in this binary, because it owns the
//! apiserver's set of CRDs.

mod support;

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use avigw_testenv::{CmdOutput, TestEnv, crd_dir};
use support::{apply, denied, readyz, start_webhook};

async fn install_crd(env: &TestEnv, file: &str) -> Result<()> {
    let path = crd_dir().join(file);
    let path = path.to_str().context("CRD path")?;
    env.kubectl(&["apply", "--server-side", "-f", path]).await?.ok()?;
    env.kubectl(&["wait", "--for=condition=Established", "--timeout=60s", "-f", path])
        .await?
        .ok()?;
    Ok(())
}

/// Applies `yaml` until the webhook denies it (the apiserver and the webhook pick up new
/// configurations and kinds asynchronously); returns the denial.
async fn until_denied(env: &TestEnv, yaml: &str, undo: &[&str], within: Duration) -> Result<CmdOutput> {
    let deadline = Instant::now() + within;
    loop {
        let out = apply(env, yaml).await?;
        if !out.success() && out.stderr.contains("denied the request") {
            return Ok(out);
        }
        if out.success() {
            env.kubectl(undo).await?.ok()?;
        }
        ensure!(
            Instant::now() < deadline,
            "not denied within {within:?}; last answer: {} {}",
            out.stdout,
            out.stderr
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn ready_without_gateway_crds_and_judges_gateways_once_installed() -> Result<()> {
    let env = TestEnv::get()?;
    let client = env.client().await?;
    let ns = env.create_namespace(&client, "optional-crds").await?;
    install_crd(env, "aviinfrasettings.ako.vmware.com.yaml").await?;
    let crds = env.kubectl(&["get", "crd", "-o", "name"]).await?.ok()?;
    ensure!(
        !crds.stdout.contains("networking.x-k8s.io"),
        "the Gateway CRDs must be absent for this test: {}",
        crds.stdout
    );

    let hook = start_webhook(env)
        .await
        .context("webhook readiness without the Gateway CRDs")?;
    ensure!(readyz(hook.metrics_port).await? == Some(200));
    apply(
        env,
        &avigw_webhook::registration::url_configurations(
            "avigw-optional-crds",
            &format!("https://127.0.0.1:{}", hook.port),
            &hook.ca,
        ),
    )
    .await?
    .ok()?;

    // Services go through the webhook: a bad one is denied, a good one created.
    let lb = |name: &str, ip: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  type: LoadBalancer\n  loadBalancerIP: {ip}\n  ports: [{{port: 80}}]\n"
        )
    };
    let out = until_denied(
        env,
        &lb("bad-lb", "10.0.0.300"),
        &["delete", "service", "bad-lb", "-n", &ns],
        Duration::from_secs(30),
    )
    .await?;
    denied(&out, "spec.loadBalancerIP: Invalid value: \"10.0.0.300\"")?;
    apply(env, &lb("good-lb", "10.0.0.30")).await?.ok()?;

    // The Gateway CRDs arrive later: the webhook starts watching them and judges Gateways.
    install_crd(env, "gatewayclasses.networking.x-k8s.io.yaml").await?;
    install_crd(env, "gateways.networking.x-k8s.io.yaml").await?;
    apply(
        env,
        "apiVersion: networking.x-k8s.io/v1alpha1\nkind: GatewayClass\nmetadata: {name: avi-optional}\nspec: {controller: ako.vmware.com/avi-lb}\n",
    )
    .await?
    .ok()?;
    let bad_gateway = format!(
        "apiVersion: networking.x-k8s.io/v1alpha1\nkind: Gateway\nmetadata: {{name: g1, namespace: {ns}}}\nspec:\n  gatewayClassName: avi-optional\n  listeners: [{{protocol: HTTP, port: 80}}]\n"
    );
    // Discovery is asked every 10 s; allow for a slow machine.
    let out = until_denied(
        env,
        &bad_gateway,
        &["delete", "gateway", "g1", "-n", &ns],
        Duration::from_secs(90),
    )
    .await?;
    denied(
        &out,
        "spec.listeners[0].protocol: Unsupported value: \"HTTP\": supported values: \"TCP\", \"UDP\", \"SCTP\" (avigw serves Layer 4 only)",
    )?;
    ensure!(readyz(hook.metrics_port).await? == Some(200));
    Ok(())
}
