//! The two Helm charts as a cluster admin uses them: lint, render, split into objects.

use std::path::PathBuf;

use anyhow::{Context, Result, ensure};
use avigw_testenv::TestEnv;
use serde::Deserialize;
use serde_yaml::Value;

pub const WEBHOOK_CHART: &str = "avigw-webhook";
pub const RECONCILER_CHART: &str = "avigw-reconciler";

pub fn chart_dir(chart: &str) -> PathBuf {
    avigw_testenv::workspace_root()
        .join("manifests/charts")
        .join(chart)
}

/// `helm lint` with the given `--set` values; returns its output.
pub async fn lint(env: &TestEnv, chart: &str, sets: &[&str]) -> Result<String> {
    let dir = chart_dir(chart);
    let mut args = vec!["lint", "--strict", dir.to_str().context("chart path")?];
    for s in sets {
        args.extend(["--set", s]);
    }
    let out = env.helm(&args).await?;
    ensure!(
        out.success(),
        "helm lint {chart} failed:\n{}\n{}",
        out.stdout,
        out.stderr
    );
    Ok(out.stdout)
}

/// `helm template` (hooks and CRDs included); the rendered text or helm's error text.
pub async fn render(
    env: &TestEnv,
    chart: &str,
    release: &str,
    namespace: &str,
    sets: &[&str],
) -> Result<std::result::Result<String, String>> {
    let dir = chart_dir(chart);
    let mut args = vec![
        "template",
        release,
        dir.to_str().context("chart path")?,
        "--namespace",
        namespace,
        "--include-crds",
    ];
    for s in sets {
        args.extend(["--set", s]);
    }
    let out = env.helm(&args).await?;
    Ok(if out.success() {
        Ok(out.stdout)
    } else {
        Err(out.stderr)
    })
}

/// Every non-empty YAML document.
pub fn documents(text: &str) -> Result<Vec<Value>> {
    let mut docs = Vec::new();
    for d in serde_yaml::Deserializer::from_str(text) {
        let v = Value::deserialize(d)?;
        if !v.is_null() {
            docs.push(v);
        }
    }
    Ok(docs)
}

pub fn kind(v: &Value) -> &str {
    v["kind"].as_str().unwrap_or("")
}
