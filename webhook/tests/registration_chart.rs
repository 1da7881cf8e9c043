//! The Helm chart's webhook configurations agree with the typed ones of
//! `avigw_webhook::registration` on every setting but clientConfig (which differs by design:
//! a Service in the cluster, a URL for local runs), with default and with non-default values.

use std::process::Command;

use anyhow::{Context, Result, ensure};
use avigw_testenv::{Paths, workspace_root};
use avigw_webhook::registration::{self, RegistrationSettings};
use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration, WebhookClientConfig,
};
use serde::Deserialize;

/// `helm template` of the webhook chart into `namespace` with `--set` values; no cluster needed.
fn render(namespace: &str, sets: &[&str]) -> Result<String> {
    let paths = Paths::discover();
    paths.check()?;
    let home = tempfile::tempdir()?;
    let chart = workspace_root().join("manifests/charts/avigw-webhook");
    let mut cmd = Command::new(&paths.helm);
    cmd.arg("template")
        .arg("avigw-webhook")
        .arg(&chart)
        .args(["--namespace", namespace])
        .env("HELM_CACHE_HOME", home.path().join("cache"))
        .env("HELM_CONFIG_HOME", home.path().join("config"))
        .env("HELM_DATA_HOME", home.path().join("data"));
    for s in sets {
        cmd.args(["--set", s]);
    }
    let out = cmd.output().context("running helm template")?;
    ensure!(
        out.status.success(),
        "helm template failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?)
}

fn rendered<T: serde::de::DeserializeOwned>(text: &str, kind: &str) -> Result<T> {
    for doc in serde_yaml::Deserializer::from_str(text) {
        let v = serde_yaml::Value::deserialize(doc)?;
        if v["kind"].as_str() == Some(kind) {
            return Ok(serde_yaml::from_value(v)?);
        }
    }
    anyhow::bail!("no {kind} in the rendered chart")
}

/// Compares the fields one by one (so a failure names the field), then as a whole.
fn agree(chart: &str, namespace: &str, sets: &[&str], typed: &RegistrationSettings) -> Result<()> {
    let text = render(namespace, sets)?;
    let no_client = WebhookClientConfig::default();

    let chart_m: MutatingWebhookConfiguration = rendered(&text, "MutatingWebhookConfiguration")?;
    let typed_m = registration::mutating("x", typed, no_client.clone());
    let (mut c, t) = (
        chart_m.webhooks.context("chart: no mutating webhooks")?,
        typed_m.webhooks.context("typed: no mutating webhooks")?,
    );
    ensure!(c.len() == 1 && t.len() == 1, "{chart}: one mutating webhook each");
    let (c, t) = (&mut c[0], &t[0]);
    c.client_config = no_client.clone();
    ensure!(
        c.name == t.name,
        "{chart}: mutating name {:?} vs {:?}",
        c.name,
        t.name
    );
    ensure!(
        c.rules == t.rules,
        "{chart}: mutating rules\n{:?}\nvs\n{:?}",
        c.rules,
        t.rules
    );
    ensure!(
        c.failure_policy == t.failure_policy,
        "{chart}: mutating failurePolicy {:?} vs {:?}",
        c.failure_policy,
        t.failure_policy
    );
    ensure!(
        c.side_effects == t.side_effects,
        "{chart}: mutating sideEffects {:?} vs {:?}",
        c.side_effects,
        t.side_effects
    );
    ensure!(
        c.timeout_seconds == t.timeout_seconds,
        "{chart}: mutating timeoutSeconds {:?} vs {:?}",
        c.timeout_seconds,
        t.timeout_seconds
    );
    ensure!(
        c.match_policy == t.match_policy,
        "{chart}: mutating matchPolicy {:?} vs {:?}",
        c.match_policy,
        t.match_policy
    );
    ensure!(
        c.namespace_selector == t.namespace_selector,
        "{chart}: mutating namespaceSelector {:?} vs {:?}",
        c.namespace_selector,
        t.namespace_selector
    );
    ensure!(
        c.admission_review_versions == t.admission_review_versions,
        "{chart}: mutating admissionReviewVersions {:?} vs {:?}",
        c.admission_review_versions,
        t.admission_review_versions
    );
    ensure!(
        c.reinvocation_policy == t.reinvocation_policy,
        "{chart}: mutating reinvocationPolicy {:?} vs {:?}",
        c.reinvocation_policy,
        t.reinvocation_policy
    );
    ensure!(
        c == t,
        "{chart}: mutating webhooks differ elsewhere:\n{c:?}\nvs\n{t:?}"
    );

    let chart_v: ValidatingWebhookConfiguration = rendered(&text, "ValidatingWebhookConfiguration")?;
    let typed_v = registration::validating("x", typed, no_client.clone());
    let (mut c, t) = (
        chart_v.webhooks.context("chart: no validating webhooks")?,
        typed_v.webhooks.context("typed: no validating webhooks")?,
    );
    ensure!(
        c.len() == 1 && t.len() == 1,
        "{chart}: one validating webhook each"
    );
    let (c, t) = (&mut c[0], &t[0]);
    c.client_config = no_client;
    ensure!(
        c.name == t.name,
        "{chart}: validating name {:?} vs {:?}",
        c.name,
        t.name
    );
    ensure!(
        c.rules == t.rules,
        "{chart}: validating rules\n{:?}\nvs\n{:?}",
        c.rules,
        t.rules
    );
    ensure!(
        c.failure_policy == t.failure_policy,
        "{chart}: validating failurePolicy {:?} vs {:?}",
        c.failure_policy,
        t.failure_policy
    );
    ensure!(
        c.side_effects == t.side_effects,
        "{chart}: validating sideEffects {:?} vs {:?}",
        c.side_effects,
        t.side_effects
    );
    ensure!(
        c.timeout_seconds == t.timeout_seconds,
        "{chart}: validating timeoutSeconds {:?} vs {:?}",
        c.timeout_seconds,
        t.timeout_seconds
    );
    ensure!(
        c.match_policy == t.match_policy,
        "{chart}: validating matchPolicy {:?} vs {:?}",
        c.match_policy,
        t.match_policy
    );
    ensure!(
        c.namespace_selector == t.namespace_selector,
        "{chart}: validating namespaceSelector {:?} vs {:?}",
        c.namespace_selector,
        t.namespace_selector
    );
    ensure!(
        c.admission_review_versions == t.admission_review_versions,
        "{chart}: validating admissionReviewVersions {:?} vs {:?}",
        c.admission_review_versions,
        t.admission_review_versions
    );
    ensure!(
        c == t,
        "{chart}: validating webhooks differ elsewhere:\n{c:?}\nvs\n{t:?}"
    );
    Ok(())
}

#[test]
fn chart_webhooks_agree_with_the_typed_ones() -> Result<()> {
    agree("defaults", "avigw-system", &[], &RegistrationSettings::default())?;
    agree(
        "non-default values",
        "lb-infra",
        &[
            "failurePolicy=Ignore",
            "timeoutSeconds=9",
            "excludedNamespaces={legacy,kube-system}",
        ],
        &RegistrationSettings {
            failure_policy: "Ignore".to_owned(),
            timeout_seconds: 9,
            install_namespace: "lb-infra".to_owned(),
            excluded_namespaces: vec!["legacy".to_owned(), "kube-system".to_owned()],
        },
    )
}
