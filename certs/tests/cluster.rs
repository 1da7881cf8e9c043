//! The certs tool against the real test apiserver: Secret, caBundle, idempotence, renewal.

use anyhow::Result;
use avigw_certs::cluster::{self, SecretOutcome, SecretSpec};
use avigw_certs::pki;
use avigw_testenv::TestContext;
use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::PostParams;
use serde_json::json;
use time::{Duration, OffsetDateTime};

/// Webhook configurations that can never match a real request (an unused group), so they do
/// not disturb other tests sharing the apiserver.
async fn make_configs(ctx: &TestContext, name: &str) -> Result<()> {
    let hook = |kind: &str| {
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": {"name": name},
               "webhooks": [{"name": format!("{name}.avigw.test"), "admissionReviewVersions": ["v1"], "sideEffects": "None", "failurePolicy": "Ignore",
                             "clientConfig": {"url": "https://127.0.0.1:1/validate"},
                             "rules": [{"apiGroups": ["unused.avigw.test"], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["nothings"]}]}]})
    };
    Api::<ValidatingWebhookConfiguration>::all(ctx.client.clone())
        .create(
            &PostParams::default(),
            &serde_json::from_value(hook("ValidatingWebhookConfiguration"))?,
        )
        .await?;
    Api::<MutatingWebhookConfiguration>::all(ctx.client.clone())
        .create(
            &PostParams::default(),
            &serde_json::from_value(hook("MutatingWebhookConfiguration"))?,
        )
        .await?;
    Ok(())
}

async fn bundles(ctx: &TestContext, name: &str) -> Result<(Option<Vec<u8>>, Option<Vec<u8>>)> {
    let v = Api::<ValidatingWebhookConfiguration>::all(ctx.client.clone())
        .get(name)
        .await?;
    let m = Api::<MutatingWebhookConfiguration>::all(ctx.client.clone())
        .get(name)
        .await?;
    Ok((
        v.webhooks.unwrap_or_default()[0]
            .client_config
            .ca_bundle
            .clone()
            .map(|b| b.0),
        m.webhooks.unwrap_or_default()[0]
            .client_config
            .ca_bundle
            .clone()
            .map(|b| b.0),
    ))
}

#[tokio::test]
async fn secret_and_ca_bundle_are_idempotent_and_renewed_near_expiry() -> Result<()> {
    let ctx = TestContext::new("certs").await?;
    let cfg_name = format!("{}-hooks", ctx.ns);
    make_configs(&ctx, &cfg_name).await?;
    let names = pki::service_dns_names("avigw-webhook", &ctx.ns);
    let now = OffsetDateTime::now_utc();
    let spec = |now| SecretSpec {
        namespace: &ctx.ns,
        name: "avigw-webhook-tls",
        dns_names: &names,
        validity: Duration::days(365),
        renew_before: Duration::days(30),
        now,
    };

    let (outcome, bundle) = cluster::ensure_secret(&ctx.client, &spec(now)).await?;
    assert_eq!(outcome, SecretOutcome::Created);
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &ctx.ns);
    let s1 = secrets.get("avigw-webhook-tls").await?;
    assert_eq!(s1.type_.as_deref(), Some("kubernetes.io/tls"));
    assert_eq!(
        cluster::patch_ca_bundle(&ctx.client, &bundle.ca_crt, Some(&cfg_name), Some(&cfg_name)).await?,
        2
    );
    let (v, m) = bundles(&ctx, &cfg_name).await?;
    assert_eq!(v.as_deref(), Some(bundle.ca_crt.as_bytes()));
    assert_eq!(m.as_deref(), Some(bundle.ca_crt.as_bytes()));

    // A second run changes nothing: same Secret resourceVersion, no webhook written.
    let (outcome, again) = cluster::ensure_secret(&ctx.client, &spec(now + Duration::days(1))).await?;
    assert_eq!(outcome, SecretOutcome::Kept);
    assert_eq!(again, bundle);
    assert_eq!(
        secrets.get("avigw-webhook-tls").await?.metadata.resource_version,
        s1.metadata.resource_version
    );
    let rv = Api::<ValidatingWebhookConfiguration>::all(ctx.client.clone())
        .get(&cfg_name)
        .await?
        .metadata
        .resource_version;
    assert_eq!(
        cluster::patch_ca_bundle(&ctx.client, &bundle.ca_crt, Some(&cfg_name), Some(&cfg_name)).await?,
        0
    );
    assert_eq!(
        Api::<ValidatingWebhookConfiguration>::all(ctx.client.clone())
            .get(&cfg_name)
            .await?
            .metadata
            .resource_version,
        rv
    );

    // Near expiry: renewed, and the new CA goes into the configurations.
    let (outcome, renewed) = cluster::ensure_secret(&ctx.client, &spec(now + Duration::days(340))).await?;
    match outcome {
        SecretOutcome::Renewed(why) => assert!(why.contains("within the renewal window"), "{why}"),
        o => panic!("{o:?}"),
    }
    assert_ne!(renewed.ca_crt, bundle.ca_crt);
    assert_eq!(
        cluster::read_ca(&ctx.client, &ctx.ns, "avigw-webhook-tls").await?,
        renewed.ca_crt
    );
    assert_eq!(
        cluster::patch_ca_bundle(&ctx.client, &renewed.ca_crt, Some(&cfg_name), Some(&cfg_name)).await?,
        2
    );
    assert_eq!(
        bundles(&ctx, &cfg_name).await?.0.as_deref(),
        Some(renewed.ca_crt.as_bytes())
    );
    Ok(())
}

#[tokio::test]
async fn cli_ensure_against_the_apiserver() -> Result<()> {
    let ctx = TestContext::new("certs-cli").await?;
    let cfg_name = format!("{}-hooks", ctx.ns);
    make_configs(&ctx, &cfg_name).await?;
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_avigw-certs"))
            .env("KUBECONFIG", ctx.env.kubeconfig_path())
            .args([
                "ensure",
                "--namespace",
                &ctx.ns,
                "--service",
                "avigw-webhook",
                "--secret",
                "tls",
            ])
            .args(["--validating-webhook", &cfg_name, "--mutating-webhook", &cfg_name])
            .output()
    };
    let first = run()?;
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let out = String::from_utf8(first.stdout)?;
    assert!(out.contains(&format!("Secret {}/tls: created", ctx.ns)), "{out}");
    assert!(out.contains("caBundle: 2 webhook(s) updated"), "{out}");
    let second = run()?;
    let out = String::from_utf8(second.stdout)?;
    assert!(
        out.contains("certificate valid, kept") && out.contains("caBundle: 0 webhook(s) updated"),
        "{out}"
    );
    // A missing configuration is one clear error line.
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_avigw-certs"))
        .env("KUBECONFIG", ctx.env.kubeconfig_path())
        .args([
            "patch",
            "--namespace",
            &ctx.ns,
            "--secret",
            "tls",
            "--validating-webhook",
            "no-such-config",
        ])
        .output()?;
    assert!(!bad.status.success());
    let err = String::from_utf8(bad.stderr)?;
    assert!(
        err.contains("avigw-certs: reading ValidatingWebhookConfiguration no-such-config"),
        "{err}"
    );
    Ok(())
}

#[test]
fn files_command_writes_a_usable_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_avigw-certs"))
        .args(["files", "--name", "localhost,127.0.0.1", "--out-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
    let b = pki::Bundle {
        ca_crt: read("ca.crt"),
        tls_crt: read("tls.crt"),
        tls_key: read("tls.key"),
    };
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    assert_eq!(
        pki::assess(Some(&b), &names, OffsetDateTime::now_utc(), Duration::days(1)),
        pki::Decision::Keep
    );
}
