//! Both charts lint, render with default and non-default values, follow the security rules,
//! and their output is accepted by a real apiserver (`kubectl apply --dry-run=server`). The
//! monitoring they ship (Grafana dashboards, PrometheusRule alerts) renders only when enabled,
//! passes `promtool check rules` and the charts' `promtool test rules` cases, and reads only
//! series, labels and label values that the running webhook and reconciler expose.

use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use avigw_e2e::charts::{self, Exposition, RECONCILER_CHART, WEBHOOK_CHART, documents, kind};
use avigw_e2e::stack::{Stack, start_reconciler};
use avigw_e2e::wait;
use avigw_testenv::TestContext;
use serde_yaml::Value;

/// Held by tests that write to this binary's apiserver: the metrics test registers a webhook
/// for the whole cluster, which must not be called (or vanish) during another test's apply.
static CLUSTER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const MONITORING: [&str; 2] = [
    "metrics.dashboard.enabled=true",
    "metrics.prometheusRule.enabled=true",
];

const REQUIRED: [&str; 2] = ["clusterName=prod-1", "avi.controller=https://avi.example.com"];

fn non_default_reconciler() -> Vec<&'static str> {
    let mut v = REQUIRED.to_vec();
    v.extend([
        "serviceType=NodePortLocal",
        "autoFQDN=flat",
        "defaultDomain=avi.example.com",
        "vipNetworks[0].name=vip-net",
        "vipNetworks[0].cidr=10.50.0.0/24",
        "vipNetworks[1].name=vip-b",
        "nodeNetworks[0].name=nodes",
        "nodeNetworks[0].cidr=10.1.0.0/16",
        "nodeSelector.key=role",
        "nodeSelector.value=edge",
        "namespaceSelector.labelKey=avi-sync",
        "namespaceSelector.labelValue=yes",
        "blockedNamespaces={kube-public,legacy}",
        "avi.caSecret=avi-ca",
        "avi.licenseTier=ESSENTIALS",
        "avi.apiVersion=22.1.3",
        "replicaCount=3",
        "metrics.serviceMonitor.enabled=true",
        "servicesAPI=false",
        "avi.authMethod=token",
        "shardVsSize=DEDICATED",
        "adoptFrom={ako-prod-1,ako-prod-1-avi-system}",
    ]);
    v.extend(MONITORING);
    v
}

const NON_DEFAULT_WEBHOOK: [&str; 13] = [
    "replicaCount=3",
    "failurePolicy=Ignore",
    "excludedNamespaces={legacy}",
    "certificate.validityDays=90",
    "metrics.serviceMonitor.enabled=true",
    "defaultLBController=false",
    "defaultDomain=avi.example.com",
    "namespaceSelector.labelKey=avi-sync",
    "namespaceSelector.labelValue=yes",
    "blockedNamespaces={kube-public,legacy}",
    "shardVsSize=DEDICATED",
    MONITORING[0],
    MONITORING[1],
];

/// The webhook's scope flags as the chart passes them: with default values, and with
/// [`NON_DEFAULT_WEBHOOK`]'s (the reconciler chart's value names, the binaries' flag names).
fn webhook_scope_args(non_default: bool) -> Vec<&'static str> {
    if non_default {
        vec![
            "--default-lb-controller=false",
            "--default-domain=avi.example.com",
            "--namespace-selector=avi-sync=yes",
            "--blocked-namespace=kube-public,legacy",
            "--shard-vs-size=DEDICATED",
        ]
    } else {
        vec!["--default-lb-controller=true", "--shard-vs-size=LARGE"]
    }
}

/// Security settings every pod and container of both charts must carry.
fn check_pod_security(docs: &[Value]) -> Result<usize> {
    let mut pods = 0;
    for d in docs {
        let spec = match kind(d) {
            "Deployment" | "Job" => &d["spec"]["template"]["spec"],
            "CronJob" => &d["spec"]["jobTemplate"]["spec"]["template"]["spec"],
            _ => continue,
        };
        pods += 1;
        let name = d["metadata"]["name"].as_str().unwrap_or("");
        ensure!(
            spec["securityContext"]["runAsNonRoot"] == Value::Bool(true),
            "{name}: runAsNonRoot"
        );
        ensure!(
            spec["securityContext"]["seccompProfile"]["type"].as_str() == Some("RuntimeDefault"),
            "{name}: seccomp"
        );
        for c in spec["containers"].as_sequence().context("containers")? {
            let sc = &c["securityContext"];
            ensure!(
                sc["readOnlyRootFilesystem"] == Value::Bool(true),
                "{name}: readOnlyRootFilesystem"
            );
            ensure!(
                sc["allowPrivilegeEscalation"] == Value::Bool(false),
                "{name}: allowPrivilegeEscalation"
            );
            ensure!(
                sc["capabilities"]["drop"][0].as_str() == Some("ALL"),
                "{name}: drop ALL"
            );
            ensure!(
                c["resources"]["limits"]["memory"].is_string(),
                "{name}: memory limit"
            );
            ensure!(
                c["resources"]["requests"]["cpu"].is_string(),
                "{name}: cpu request"
            );
        }
    }
    Ok(pods)
}

/// The dashboard ConfigMap and the PrometheusRule are there exactly when the values enable
/// them; the dashboard is valid Grafana JSON for the sidecar.
fn check_monitoring(docs: &[Value], enabled: bool, chart: &str) -> Result<()> {
    let dashboards: Vec<&Value> = docs
        .iter()
        .filter(|d| {
            kind(d) == "ConfigMap" && d["metadata"]["labels"]["grafana_dashboard"].as_str() == Some("1")
        })
        .collect();
    let rules = docs.iter().filter(|d| kind(d) == "PrometheusRule").count();
    if !enabled {
        ensure!(
            dashboards.is_empty() && rules == 0,
            "{chart}: monitoring rendered while off"
        );
        return Ok(());
    }
    ensure!(
        dashboards.len() == 1 && rules == 1,
        "{chart}: one dashboard, one PrometheusRule"
    );
    let json = dashboards[0]["data"][format!("{chart}.json").as_str()]
        .as_str()
        .context("dashboard JSON key")?;
    check_dashboard(&serde_json::from_str(json)?, chart)
}

/// What Grafana and its sidecar need: a stable uid, the avigw tag, panels with distinct ids
/// that fit the 24-column grid, and every query on the `$datasource` variable.
fn check_dashboard(d: &serde_json::Value, chart: &str) -> Result<()> {
    ensure!(d["uid"].as_str() == Some(chart), "{chart}: uid {}", d["uid"]);
    ensure!(d["title"].as_str().is_some_and(|t| t.starts_with("avigw / ")));
    ensure!(
        d["tags"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "avigw"))
    );
    let mut ids = std::collections::BTreeSet::new();
    let mut queries = 0;
    for p in d["panels"].as_array().context("panels")? {
        let title = p["title"].as_str().unwrap_or("");
        ensure!(
            ids.insert(p["id"].as_u64().context("panel id")?),
            "{chart}: duplicate id at {title}"
        );
        let (x, w) = (p["gridPos"]["x"].as_u64(), p["gridPos"]["w"].as_u64());
        ensure!(
            x.zip(w).is_some_and(|(x, w)| x + w <= 24),
            "{chart}: {title} off the grid"
        );
        if p["type"] == "row" {
            continue;
        }
        ensure!(
            !p["description"].as_str().unwrap_or("").is_empty(),
            "{chart}: {title} undescribed"
        );
        let targets = p["targets"].as_array().context("targets")?;
        ensure!(!targets.is_empty(), "{chart}: {title} has no query");
        for t in targets {
            ensure!(
                t["datasource"]["uid"] == "${datasource}",
                "{chart}: {title} datasource"
            );
            ensure!(
                t["expr"].as_str().is_some_and(|e| !e.is_empty()),
                "{chart}: {title} expr"
            );
            queries += 1;
        }
    }
    ensure!(queries >= 10, "{chart}: only {queries} queries");
    Ok(())
}

async fn dry_run(ctx: &TestContext, docs: &[Value]) -> Result<()> {
    // The ServiceMonitor and PrometheusRule CRDs belong to the Prometheus operator, which this
    // cluster lacks: those two kinds are left out here (promtool checks the rules instead).
    let text = docs
        .iter()
        .filter(|d| !matches!(kind(d), "ServiceMonitor" | "PrometheusRule"))
        .map(serde_yaml::to_string)
        .collect::<Result<Vec<_>, _>>()?
        .join("---\n");
    let out = ctx
        .env
        .kubectl_stdin(&["apply", "--dry-run=server", "-f", "-"], &text)
        .await?;
    ensure!(out.success(), "dry-run apply refused:\n{}", out.stderr);
    Ok(())
}

#[tokio::test]
async fn webhook_chart_lints_renders_and_applies() -> Result<()> {
    let ctx = TestContext::new("chart-webhook").await?;
    let _cluster = CLUSTER.lock().await;
    charts::lint(ctx.env, WEBHOOK_CHART, &[]).await?;
    charts::lint(ctx.env, WEBHOOK_CHART, &MONITORING).await?;
    for sets in [vec![], NON_DEFAULT_WEBHOOK.to_vec()] {
        let text = charts::render(ctx.env, WEBHOOK_CHART, "avigw-webhook", &ctx.ns, &sets)
            .await?
            .map_err(anyhow::Error::msg)?;
        let docs = documents(&text)?;
        check_monitoring(&docs, !sets.is_empty(), WEBHOOK_CHART)?;
        ensure!(check_pod_security(&docs)? == 4, "Deployment, two Jobs, CronJob");
        let dep = docs
            .iter()
            .find(|d| kind(d) == "Deployment")
            .context("Deployment")?;
        let replicas = if sets.is_empty() { 2 } else { 3 };
        ensure!(dep["spec"]["replicas"].as_u64() == Some(replicas));
        let args: Vec<&str> = dep["spec"]["template"]["spec"]["containers"][0]["args"]
            .as_sequence()
            .context("args")?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let scope_args: Vec<&str> = args
            .iter()
            .copied()
            .filter(|a| {
                [
                    "--default-lb-controller",
                    "--default-domain",
                    "--namespace-selector",
                    "--blocked-namespace",
                    "--shard-vs-size",
                ]
                .iter()
                .any(|f| a.starts_with(f))
            })
            .collect();
        ensure!(
            scope_args == webhook_scope_args(!sets.is_empty()),
            "{scope_args:?}"
        );
        ensure!(docs.iter().any(|d| kind(d) == "PodDisruptionBudget"));
        for cfg in docs.iter().filter(|d| kind(d).ends_with("WebhookConfiguration")) {
            let h = &cfg["webhooks"][0];
            ensure!(h["failurePolicy"].as_str() == Some(if sets.is_empty() { "Fail" } else { "Ignore" }));
            ensure!(h["sideEffects"].as_str() == Some("None") && h["timeoutSeconds"].as_u64() == Some(5));
            ensure!(h["matchPolicy"].as_str() == Some("Equivalent"));
            let excluded: Vec<&str> = h["namespaceSelector"]["matchExpressions"][0]["values"]
                .as_sequence()
                .context("values")?
                .iter()
                .filter_map(Value::as_str)
                .collect();
            ensure!(
                excluded.contains(&"kube-system") && excluded.contains(&ctx.ns.as_str()),
                "{excluded:?}"
            );
        }
        // The webhook may read what its rules look up, nothing else, and never Secrets.
        let role = docs
            .iter()
            .find(|d| kind(d) == "ClusterRole" && d["metadata"]["name"].as_str() == Some("avigw-webhook"))
            .context("ClusterRole")?;
        let mut readable: Vec<String> = Vec::new();
        for rule in role["rules"].as_sequence().context("rules")? {
            let verbs: Vec<&str> = rule["verbs"]
                .as_sequence()
                .context("verbs")?
                .iter()
                .filter_map(Value::as_str)
                .collect();
            ensure!(verbs == ["get", "list", "watch"], "{verbs:?}");
            for group in rule["apiGroups"].as_sequence().context("apiGroups")? {
                for r in rule["resources"].as_sequence().context("resources")? {
                    readable.push(format!(
                        "{}/{}",
                        group.as_str().unwrap_or("?"),
                        r.as_str().unwrap_or("?")
                    ));
                }
            }
        }
        readable.sort();
        ensure!(
            readable
                == [
                    "/namespaces",
                    "ako.vmware.com/aviinfrasettings",
                    "networking.k8s.io/ingressclasses",
                    "networking.k8s.io/ingresses",
                    "networking.x-k8s.io/gatewayclasses",
                    "networking.x-k8s.io/gateways",
                ],
            "{readable:?}"
        );
        dry_run(&ctx, &docs).await?;
    }
    Ok(())
}

/// The webhook, running as the chart's ServiceAccount with the chart's ClusterRole bound for
/// real, syncs every reflector (so its RBAC covers what it watches) and may not read Secrets.
#[tokio::test]
async fn webhook_runs_on_the_charts_rbac_and_cannot_read_secrets() -> Result<()> {
    let ctx = TestContext::new("chart-webhook-rbac").await?;
    let _cluster = CLUSTER.lock().await;
    let text = charts::render(ctx.env, WEBHOOK_CHART, "avigw-webhook", &ctx.ns, &[])
        .await?
        .map_err(anyhow::Error::msg)?;
    // Cluster-scoped names made unique to this test's namespace.
    let unique = format!("avigw-webhook-{}", ctx.ns);
    let mut rbac = Vec::new();
    for mut d in documents(&text)?
        .into_iter()
        .filter(|d| matches!(kind(d), "ClusterRole" | "ClusterRoleBinding"))
        .filter(|d| d["metadata"]["name"].as_str() == Some("avigw-webhook"))
    {
        d["metadata"]["name"] = Value::from(unique.clone());
        if kind(&d) == "ClusterRoleBinding" {
            d["roleRef"]["name"] = Value::from(unique.clone());
        }
        rbac.push(serde_yaml::to_string(&d)?);
    }
    ensure!(rbac.len() == 2, "a ClusterRole and its binding");
    ctx.env
        .kubectl_stdin(&["apply", "-f", "-"], &rbac.join("---\n"))
        .await?
        .ok()?;
    let result = async {
        let token = ctx.env.service_account_token(&ctx.ns, "avigw-webhook").await?;
        let client = ctx.env.token_client(&token).await?;
        let webhook = avigw_webhook::serve::start(
            avigw_webhook::serve::ServeOptions {
                listen: "127.0.0.1:0".parse()?,
                metrics_addr: "127.0.0.1:0".parse()?,
                cert: avigw_webhook::serve::CertSource::SelfSigned(vec!["localhost".to_owned()]),
                scope: Default::default(),
            },
            client.clone(),
        )
        .await?;
        let ready = wait::until(
            "the webhook's reflectors synced on the chart's RBAC",
            Duration::from_secs(60),
            || async {
                let ready = webhook.readiness.is_ready();
                Ok((ready.then_some(()), "not ready".to_owned()))
            },
        )
        .await;
        webhook.shutdown(Duration::from_secs(1)).await;
        ready?;
        let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> = kube::Api::namespaced(client, &ctx.ns);
        match secrets.list(&Default::default()).await {
            Err(kube::Error::Api(s)) if s.code == 403 => Ok(()),
            other => bail!("the webhook's ServiceAccount listed Secrets: {other:?}"),
        }
    }
    .await;
    ctx.env
        .kubectl(&["delete", "clusterrolebinding,clusterrole", &unique])
        .await?
        .ok()?;
    result
}

#[tokio::test]
async fn reconciler_chart_lints_renders_and_applies() -> Result<()> {
    let ctx = TestContext::new("chart-reconciler").await?;
    let _cluster = CLUSTER.lock().await;
    charts::lint(ctx.env, RECONCILER_CHART, &REQUIRED).await?;
    charts::lint(
        ctx.env,
        RECONCILER_CHART,
        &[REQUIRED.as_slice(), &MONITORING].concat(),
    )
    .await?;
    for sets in [REQUIRED.to_vec(), non_default_reconciler()] {
        let text = charts::render(ctx.env, RECONCILER_CHART, "avigw", &ctx.ns, &sets)
            .await?
            .map_err(anyhow::Error::msg)?;
        let docs = documents(&text)?;
        check_monitoring(&docs, sets.len() > 2, RECONCILER_CHART)?;
        ensure!(check_pod_security(&docs)? == 1);
        ensure!(
            docs.iter()
                .filter(|d| kind(d) == "CustomResourceDefinition")
                .count()
                == 3,
            "CRDs in crds/"
        );
        let role = docs
            .iter()
            .find(|d| kind(d) == "ClusterRole")
            .context("ClusterRole")?;
        for rule in role["rules"].as_sequence().context("rules")? {
            let verbs = serde_yaml::to_string(&rule["verbs"])?;
            let resources = serde_yaml::to_string(&rule["resources"])?;
            // Writes only to status, finalizers (a patch of Gateways/Services) and events.
            if verbs.contains("patch") || verbs.contains("update") || verbs.contains("create") {
                ensure!(
                    resources.contains("/status")
                        || resources.contains("events")
                        || resources.trim() == "- gateways"
                        || resources.trim() == "- services",
                    "unexpected write access: {resources} {verbs}"
                );
            }
            ensure!(
                !verbs.contains("delete"),
                "the reconciler deletes nothing in Kubernetes: {resources}"
            );
        }
        let env: Vec<String> = docs
            .iter()
            .find(|d| kind(d) == "Deployment")
            .context("Deployment")?["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_sequence()
            .context("env")?
            .iter()
            .map(|e| {
                format!(
                    "{}={}",
                    e["name"].as_str().unwrap_or(""),
                    e["value"].as_str().unwrap_or("<ref>")
                )
            })
            .collect();
        ensure!(env.contains(&"AVIGW_CLUSTER_NAME=prod-1".to_owned()), "{env:?}");
        // Ingresses: read with their classes and the Secrets their TLS entries name; only
        // their status is written.
        let rules = serde_yaml::to_string(&role["rules"])?;
        for want in [
            "- ingresses\n  - ingressclasses\n  verbs:\n  - get\n  - list\n  - watch",
            "- ingresses/status\n  verbs:\n  - patch",
            "- secrets\n  verbs:\n  - get\n  - list\n  - watch",
        ] {
            ensure!(rules.contains(want), "missing {want:?} in {rules}");
        }
        let shard = if sets.len() > 2 { "DEDICATED" } else { "LARGE" };
        ensure!(env.contains(&format!("AVIGW_SHARD_VS_SIZE={shard}")), "{env:?}");
        if sets.len() <= 2 {
            ensure!(!env.iter().any(|e| e.starts_with("AVIGW_ADOPT_FROM=")), "{env:?}");
        }
        if sets.len() > 2 {
            for want in [
                "AVIGW_VIP_NETWORK=vip-net=10.50.0.0/24,vip-b",
                "AVIGW_NODE_NETWORK=nodes=10.1.0.0/16",
                "AVIGW_SERVICE_TYPE=NodePortLocal",
                "AVIGW_NODE_SELECTOR=role=edge",
                "AVIGW_NAMESPACE_SELECTOR=avi-sync=yes",
                "AVIGW_BLOCKED_NAMESPACE=kube-public,legacy",
                "AVIGW_CA_FILE=/etc/avigw/ca/ca.crt",
                "AVIGW_SERVICES_API=false",
                "AVIGW_ADOPT_FROM=ako-prod-1,ako-prod-1-avi-system",
            ] {
                ensure!(env.contains(&want.to_owned()), "missing {want}: {env:?}");
            }
            ensure!(docs.iter().any(|d| kind(d) == "ServiceMonitor"));
        }
        dry_run(&ctx, &docs).await?;
    }
    Ok(())
}

#[tokio::test]
async fn reconciler_chart_refuses_bad_values_with_one_clear_line() -> Result<()> {
    let ctx = TestContext::new("chart-values").await?;
    let cases: [(&str, &[&str], &str); 10] = [
        (
            RECONCILER_CHART,
            &[],
            "clusterName is required: the prefix of every Avi object name, e.g. --set clusterName=prod-1",
        ),
        (
            RECONCILER_CHART,
            &["clusterName=prod-1"],
            "avi.controller is required: the Avi controller URL",
        ),
        (
            RECONCILER_CHART,
            &["clusterName=has space", "avi.controller=https://a"],
            "at '/clusterName': 'has space' does not match pattern '^([a-zA-Z0-9_-]{1,32})?$'",
        ),
        (
            RECONCILER_CHART,
            &[
                "clusterName=c",
                "avi.controller=https://a",
                "serviceType=LoadBalancer",
            ],
            "at '/serviceType': value must be one of 'ClusterIP', 'NodePort', 'NodePortLocal'",
        ),
        (
            RECONCILER_CHART,
            &["clusterName=c", "avi.controller=https://a", "shardVsSize=HUGE"],
            "at '/shardVsSize': value must be one of 'LARGE', 'MEDIUM', 'SMALL', 'DEDICATED'",
        ),
        (
            RECONCILER_CHART,
            &["clusterName=c", "avi.controller=https://a", "adoptFrom={ako c}"],
            "at '/adoptFrom/0'",
        ),
        (
            RECONCILER_CHART,
            &[
                "clusterName=c",
                "avi.controller=https://a",
                "metrics.prometheusRule.syncLagSeconds=30",
            ],
            "at '/metrics/prometheusRule/syncLagSeconds'",
        ),
        (WEBHOOK_CHART, &["failurePolicy=Sometimes"], "at '/failurePolicy'"),
        (
            WEBHOOK_CHART,
            &[
                "metrics.prometheusRule.enabled=true",
                "certificate.renewBeforeDays=14",
            ],
            "metrics.prometheusRule.certificateExpiryDays (14) must be below certificate.renewBeforeDays (14): the certificate is only renewed then",
        ),
        (
            WEBHOOK_CHART,
            &["metrics.prometheusRule.admissionLatencyMilliseconds=500"],
            "at '/metrics/prometheusRule/admissionLatencyMilliseconds'",
        ),
    ];
    for (chart, sets, want) in cases {
        let err = charts::render(ctx.env, chart, "avigw", &ctx.ns, sets)
            .await?
            .err()
            .context("render should fail")?;
        ensure!(
            err.contains(want),
            "{chart}: for {sets:?} expected {want:?} in:\n{err}"
        );
    }
    Ok(())
}

/// Renders `chart` as release `release` in avigw-system (the names the promtool cases use).
async fn render_docs(chart: &str, release: &str, sets: &[&str]) -> Result<Vec<Value>> {
    let env = avigw_testenv::TestEnv::get()?;
    let text = charts::render(env, chart, release, "avigw-system", sets)
        .await?
        .map_err(anyhow::Error::msg)?;
    documents(&text)
}

fn only<'a>(docs: &'a [Value], k: &str) -> Result<&'a Value> {
    let mut found = docs.iter().filter(|d| kind(d) == k);
    let first = found.next().with_context(|| format!("no {k} rendered"))?;
    ensure!(found.next().is_none(), "more than one {k}");
    Ok(first)
}

/// `promtool check rules` and `promtool test rules` pass, and the unit tests have, for every
/// alert, a case where it fires and one where it must not (and name no other alert).
#[tokio::test]
async fn alert_rules_pass_promtool_check_and_unit_tests() -> Result<()> {
    let env = avigw_testenv::TestEnv::get()?;
    for (chart, release, sets) in [
        (WEBHOOK_CHART, "avigw-webhook", MONITORING.to_vec()),
        (
            RECONCILER_CHART,
            "avigw",
            [REQUIRED.as_slice(), &MONITORING].concat(),
        ),
    ] {
        let docs = render_docs(chart, release, &sets).await?;
        let rule = only(&docs, "PrometheusRule")?;
        let report = charts::promtool_rules(env, chart, rule).await?;
        println!("{chart}:\n{report}");
        let alerts: Vec<String> = charts::rule_exprs(rule).into_iter().map(|(a, _)| a).collect();
        ensure!(alerts.len() >= 4, "{chart}: {alerts:?}");
        let tests: Value = serde_yaml::from_str(&std::fs::read_to_string(
            charts::chart_dir(chart).join("tests/alerts.test.yaml"),
        )?)?;
        let mut fires = std::collections::BTreeSet::new();
        let mut quiet = std::collections::BTreeSet::new();
        // A quiet case is a scenario (one input) in which the alert never fires, not just the
        // pending time before a firing case.
        for t in tests["tests"].as_sequence().context("tests")? {
            let mut fired_here = std::collections::BTreeSet::new();
            let mut evaluated_here = std::collections::BTreeSet::new();
            for case in t["alert_rule_test"].as_sequence().context("alert_rule_test")? {
                let name = case["alertname"].as_str().context("alertname")?.to_owned();
                ensure!(alerts.contains(&name), "{chart}: tests name unknown alert {name}");
                if case["exp_alerts"].as_sequence().is_some_and(|a| !a.is_empty()) {
                    fired_here.insert(name.clone());
                }
                evaluated_here.insert(name);
            }
            quiet.extend(evaluated_here.difference(&fired_here).cloned());
            fires.extend(fired_here);
        }
        for a in &alerts {
            ensure!(fires.contains(a), "{chart}: no promtool case where {a} fires");
            ensure!(
                quiet.contains(a),
                "{chart}: no promtool case where {a} stays quiet"
            );
        }
    }
    Ok(())
}

/// The monitoring values do what values.yaml says: labels on the PrometheusRule and on every
/// alert, a custom series selector in every expression, thresholds, and the dashboard's
/// namespace and annotations.
#[tokio::test]
async fn monitoring_values_render_as_configured() -> Result<()> {
    let custom = [
        "metrics.prometheusRule.labels.release=kube-prometheus-stack",
        "metrics.prometheusRule.alertLabels.team=platform",
        "metrics.prometheusRule.alertLabels.severity=ignored",
        r#"metrics.prometheusRule.selector=job="scraped-avigw""#,
        "metrics.dashboard.namespace=grafana",
        "metrics.dashboard.annotations.grafana_folder=avigw",
    ];
    for (chart, release, extra) in [
        (
            RECONCILER_CHART,
            "avigw",
            vec![
                "metrics.prometheusRule.syncLagSeconds=5",
                "clusterName=c",
                "avi.controller=https://a",
            ],
        ),
        (
            WEBHOOK_CHART,
            "avigw-webhook",
            vec![
                "metrics.prometheusRule.admissionLatencyMilliseconds=100",
                "metrics.prometheusRule.certificateExpiryDays=7",
            ],
        ),
    ] {
        let docs = render_docs(chart, release, &[MONITORING.as_slice(), &custom, &extra].concat()).await?;
        let rule = only(&docs, "PrometheusRule")?;
        ensure!(rule["metadata"]["labels"]["release"].as_str() == Some("kube-prometheus-stack"));
        for r in rule["spec"]["groups"][0]["rules"]
            .as_sequence()
            .context("rules")?
        {
            let alert = r["alert"].as_str().unwrap_or("");
            ensure!(
                r["labels"]["team"].as_str() == Some("platform"),
                "{alert}: team label"
            );
            let severity = r["labels"]["severity"].as_str();
            ensure!(
                matches!(severity, Some("critical" | "warning")),
                "{alert}: severity {severity:?}"
            );
            let expr = r["expr"].as_str().unwrap_or("");
            ensure!(
                expr.contains(r#"job="scraped-avigw""#) && !expr.contains("namespace=\"avigw-system\""),
                "{alert}: selector not applied: {expr}"
            );
            let threshold = match alert {
                "AvigwSyncLagHigh" => Some("> 5"),
                "AvigwWebhookSlow" => Some("> 0.1"),
                "AvigwWebhookCertificateExpiring" => Some("< 7 * 86400"),
                _ => None,
            };
            if let Some(t) = threshold {
                ensure!(expr.trim_end().ends_with(t), "{alert}: want {t} in {expr}");
            }
        }
        let cm = only(&docs, "ConfigMap")?;
        ensure!(cm["metadata"]["namespace"].as_str() == Some("grafana"));
        ensure!(cm["metadata"]["annotations"]["grafana_folder"].as_str() == Some("avigw"));
        ensure!(cm["metadata"]["labels"]["grafana_dashboard"].as_str() == Some("1"));
    }
    Ok(())
}

/// Every query of the dashboards and every alert expression reads series, labels and label
/// values that the running webhook and reconciler expose on `/metrics`, and each dashboard
/// shows every metric family of its component.
#[tokio::test]
async fn dashboards_and_alerts_read_only_what_the_components_expose() -> Result<()> {
    let _cluster = CLUSTER.lock().await;
    let stack = Stack::start().await?;
    let reconciler = start_reconciler(&stack).await?;
    let result = drive_and_compare(&stack, &reconciler).await;
    reconciler.shutdown().await;
    stack.shutdown().await;
    result
}

async fn drive_and_compare(stack: &Stack, reconciler: &avigw_e2e::stack::Reconciler) -> Result<()> {
    let env = stack.env;
    let ns = env.create_namespace(&stack.client, "metrics").await?;
    // A Gateway the webhook completes (mutated="true") and the reconciler syncs, and a
    // LoadBalancer Service.
    let objects = format!(
        r#"apiVersion: networking.x-k8s.io/v1alpha1
kind: GatewayClass
metadata: {{name: avi-lb}}
spec: {{controller: ako.vmware.com/avi-lb}}
---
apiVersion: networking.x-k8s.io/v1alpha1
kind: Gateway
metadata: {{name: gw, namespace: {ns}}}
spec:
  gatewayClassName: avi-lb
  listeners:
  - {{protocol: TCP, port: 80, routes: {{group: v1, kind: Service}}}}
---
apiVersion: v1
kind: Service
metadata:
  name: backend
  namespace: {ns}
  labels: {{ako.vmware.com/gateway-name: gw, ako.vmware.com/gateway-namespace: {ns}}}
spec: {{ports: [{{port: 80, targetPort: 8080, protocol: TCP}}], selector: {{app: backend}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: lb, namespace: {ns}}}
spec: {{type: LoadBalancer, ports: [{{port: 80, targetPort: 8080}}], selector: {{app: lb}}}}
"#
    );
    env.kubectl_stdin(&["apply", "-f", "-"], &objects).await?.ok()?;
    let ip = "jsonpath={.status.loadBalancer.ingress[0].ip}";
    wait::until(
        "the LoadBalancer Service's VIP",
        Duration::from_secs(60),
        || async {
            let out = env
                .kubectl(&["get", "svc", "-n", &ns, "lb", "-o", ip])
                .await?
                .stdout;
            Ok(((!out.is_empty()).then_some(()), out))
        },
    )
    .await?;
    // A refused request (allowed="false", a denial by rule).
    let bad = "apiVersion: ako.vmware.com/v1alpha1\nkind: AviInfraSetting\nmetadata: {name: metrics-bad}\nspec: {network: {vipNetworks: [{cidr: 10.0.0.0/24}]}}\n";
    let out = env
        .kubectl_stdin(&["apply", "--dry-run=server", "-f", "-"], bad)
        .await?;
    ensure!(
        !out.success() && out.stderr.contains("denied the request"),
        "{}",
        out.stderr
    );
    // A failed sync (result="error"): Avi refuses writes while "upgrading".
    stack.avisim.apply_faults(&avisim::FaultPatch {
        upgrade_mode: Some(true),
        ..Default::default()
    });
    env.kubectl(&[
        "patch",
        "svc",
        "-n",
        &ns,
        "lb",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/ports/0/port","value":81}]"#,
    ])
    .await?
    .ok()?;
    let metrics_addr = reconciler.metrics_addr();
    let reconciler_text = wait::until(
        "a failed reconcile in the metrics",
        Duration::from_secs(60),
        || async {
            let text = charts::scrape(metrics_addr).await?;
            let failed = text.contains(r#"result="error""#);
            Ok((failed.then(|| text.clone()), "no result=\"error\" yet".to_owned()))
        },
    )
    .await?;
    stack.avisim.apply_faults(&avisim::FaultPatch {
        upgrade_mode: Some(false),
        ..Default::default()
    });
    let webhook = stack.webhook.as_ref().context("the stack's webhook")?;
    // A request answered before its kind is read (errors_total{kind="Unknown"}).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let https = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()?;
    let answer = https
        .post(format!(
            "https://127.0.0.1:{}/validate",
            webhook.admission_addr.port()
        ))
        .body("not an AdmissionReview")
        .send()
        .await?;
    ensure!(answer.status() == 400, "{}", answer.status());
    let webhook_text = charts::scrape(webhook.metrics_addr).await?;
    ensure!(
        webhook_text.contains(r#"avigw_admission_errors_total{error="undecodable",kind="Unknown"} 1"#),
        "{webhook_text}"
    );

    let mut problems = Vec::new();
    for (chart, release, sets, text) in [
        (WEBHOOK_CHART, "avigw-webhook", MONITORING.to_vec(), &webhook_text),
        (
            RECONCILER_CHART,
            "avigw",
            [REQUIRED.as_slice(), &MONITORING].concat(),
            &reconciler_text,
        ),
    ] {
        let exposed = Exposition::parse(text)?;
        let docs = render_docs(chart, release, &sets).await?;
        let json = only(&docs, "ConfigMap")?["data"][format!("{chart}.json").as_str()]
            .as_str()
            .context("dashboard JSON")?;
        let dashboard_exprs = charts::dashboard_exprs(&serde_json::from_str(json)?);
        let mut exprs: Vec<(String, String)> = dashboard_exprs
            .iter()
            .map(|e| ("dashboard".to_owned(), e.clone()))
            .collect();
        exprs.extend(charts::rule_exprs(only(&docs, "PrometheusRule")?));
        for (source, expr) in &exprs {
            for p in exposed.problems(expr)? {
                problems.push(format!("{chart} {source}: {p}\n    in {expr}"));
            }
        }
        let shown: std::collections::BTreeSet<String> = dashboard_exprs
            .iter()
            .map(|e| charts::promql_use(e))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flat_map(|u| u.selectors.into_iter().map(|(name, _)| name))
            .collect();
        for family in &exposed.families {
            let on_dashboard = ["", "_bucket", "_sum", "_count"]
                .iter()
                .any(|suffix| shown.contains(&format!("{family}{suffix}")));
            if !on_dashboard {
                problems.push(format!("{chart}: {family} is exposed but on no dashboard panel"));
            }
        }
        ensure!(
            exposed.families.len() >= 5,
            "{chart}: scraped only {:?}",
            exposed.families
        );
    }
    if !problems.is_empty() {
        bail!(
            "the charts' monitoring does not match /metrics:\n{}",
            problems.join("\n")
        );
    }
    Ok(())
}
