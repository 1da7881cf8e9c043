//! The two Helm charts as a cluster admin uses them: lint, render, split into objects; and the
//! monitoring they ship: promtool on the alert rules, the dashboards' queries, a `/metrics` scrape.

use std::path::PathBuf;

use anyhow::{Context, Result, ensure};
use avigw_testenv::TestEnv;
use serde::Deserialize;
use serde_yaml::Value;

mod promql;
pub use promql::{Exposition, Matcher, PromqlUse, TARGET_LABELS, promql_use};

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

// ---- The monitoring the charts ship: dashboards and alert rules --------------------------

/// promtool from the test environment (install.sh puts it there), else from PATH.
pub fn promtool(env: &TestEnv) -> Result<PathBuf> {
    let installed = env.paths().root.join("bin").join("promtool");
    if installed.is_file() {
        return Ok(installed);
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.join("promtool"))
        .find(|p| p.is_file());
    on_path.with_context(|| {
        format!(
            "promtool not found in {} or on PATH: run e2e/testenv/install.sh (it extracts promtool from Debian's prometheus package)",
            installed.display()
        )
    })
}

/// `promtool check rules` on a PrometheusRule's groups, then `promtool test rules` on the
/// chart's `tests/alerts.test.yaml` against them. Returns promtool's output.
pub async fn promtool_rules(env: &TestEnv, chart: &str, rule: &Value) -> Result<String> {
    let promtool = promtool(env)?;
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("rules.yaml"),
        serde_yaml::to_string(&rule["spec"])?,
    )?;
    let tests = chart_dir(chart).join("tests").join("alerts.test.yaml");
    std::fs::copy(&tests, dir.path().join("alerts.test.yaml"))
        .with_context(|| format!("copying {}", tests.display()))?;
    let mut report = String::new();
    for args in [
        ["check", "rules", "rules.yaml"],
        ["test", "rules", "alerts.test.yaml"],
    ] {
        let out = tokio::process::Command::new(&promtool)
            .args(args)
            .current_dir(dir.path())
            .output()
            .await
            .with_context(|| format!("running {}", promtool.display()))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        ensure!(
            out.status.success(),
            "promtool {} failed for {chart}:\n{text}",
            args.join(" ")
        );
        report.push_str(&text);
    }
    Ok(report)
}

/// Every PromQL expression of a Grafana dashboard: panel targets and query variables.
pub fn dashboard_exprs(dashboard: &serde_json::Value) -> Vec<String> {
    let mut exprs = Vec::new();
    let panels = dashboard["panels"].as_array().into_iter().flatten();
    for target in panels.flat_map(|p| p["targets"].as_array().into_iter().flatten()) {
        if let Some(e) = target["expr"].as_str() {
            exprs.push(e.to_owned());
        }
    }
    for var in dashboard["templating"]["list"].as_array().into_iter().flatten() {
        if let Some(q) = var["query"]["query"].as_str().or(var["query"].as_str())
            && var["type"] == "query"
        {
            // Grafana's label_values(METRIC, LABEL): the metric is a selector, the label a
            // grouping label.
            let inner = q
                .strip_prefix("label_values(")
                .and_then(|r| r.strip_suffix(')'))
                .and_then(|r| r.rsplit_once(','));
            match inner {
                Some((metric, label)) => {
                    exprs.push(format!("group by ({}) ({})", label.trim(), metric.trim()))
                }
                None => exprs.push(q.to_owned()),
            }
        }
    }
    exprs
}

/// Every alert expression of a PrometheusRule, by alert name.
pub fn rule_exprs(rule: &Value) -> Vec<(String, String)> {
    let groups = rule["spec"]["groups"].as_sequence().into_iter().flatten();
    groups
        .flat_map(|g| g["rules"].as_sequence().into_iter().flatten())
        .map(|r| {
            (
                r["alert"].as_str().unwrap_or("").to_owned(),
                r["expr"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}
/// GET `/metrics` over plain HTTP/1.0, as Prometheus scrapes it.
pub async fn scrape(addr: std::net::SocketAddr) -> Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: avigw\r\n\r\n")
        .await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .with_context(|| format!("no HTTP header end in {response:?}"))?;
    ensure!(
        head.starts_with("HTTP/1.") && head.contains(" 200 "),
        "scrape of {addr}: {head}"
    );
    Ok(body.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashboard_exprs_reads_targets_and_label_values_variables() {
        let d: serde_json::Value = serde_json::from_str(
            r#"{"panels": [{"type": "row"}, {"targets": [{"expr": "a"}, {"expr": "b"}]}],
                "templating": {"list": [{"type": "datasource", "query": "prometheus"},
                  {"type": "query", "query": {"query": "label_values(c, namespace)"}}]}}"#,
        )
        .unwrap();
        assert_eq!(dashboard_exprs(&d), ["a", "b", "group by (namespace) (c)"]);
    }
}
