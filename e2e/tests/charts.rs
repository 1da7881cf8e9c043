//! Both charts lint, render with default and non-default values, follow the security rules,
//! and their output is accepted by a real apiserver (`kubectl apply --dry-run=server`).

use anyhow::{Context, Result, ensure};
use avigw_e2e::charts::{self, RECONCILER_CHART, WEBHOOK_CHART, documents, kind};
use avigw_testenv::TestContext;
use serde_yaml::Value;

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
    ]);
    v
}

const NON_DEFAULT_WEBHOOK: [&str; 6] = [
    "replicaCount=3",
    "failurePolicy=Ignore",
    "excludedNamespaces={legacy}",
    "certificate.validityDays=90",
    "metrics.serviceMonitor.enabled=true",
    "defaultLBController=false",
];

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

async fn dry_run(ctx: &TestContext, docs: &[Value]) -> Result<()> {
    // ServiceMonitor's CRD belongs to the Prometheus operator, which this cluster lacks.
    let text = docs
        .iter()
        .filter(|d| kind(d) != "ServiceMonitor")
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
    charts::lint(ctx.env, WEBHOOK_CHART, &[]).await?;
    for sets in [vec![], NON_DEFAULT_WEBHOOK.to_vec()] {
        let text = charts::render(ctx.env, WEBHOOK_CHART, "avigw-webhook", &ctx.ns, &sets)
            .await?
            .map_err(anyhow::Error::msg)?;
        let docs = documents(&text)?;
        ensure!(check_pod_security(&docs)? == 4, "Deployment, two Jobs, CronJob");
        let dep = docs
            .iter()
            .find(|d| kind(d) == "Deployment")
            .context("Deployment")?;
        let replicas = if sets.is_empty() { 2 } else { 3 };
        ensure!(dep["spec"]["replicas"].as_u64() == Some(replicas));
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
        // The webhook may read GatewayClasses and Gateways, nothing else.
        let role = docs
            .iter()
            .find(|d| kind(d) == "ClusterRole" && d["metadata"]["name"].as_str() == Some("avigw-webhook"))
            .context("ClusterRole")?;
        let rules = serde_yaml::to_string(&role["rules"])?;
        ensure!(
            !rules.contains("create") && !rules.contains("update") && !rules.contains("secrets"),
            "{rules}"
        );
        dry_run(&ctx, &docs).await?;
    }
    Ok(())
}

#[tokio::test]
async fn reconciler_chart_lints_renders_and_applies() -> Result<()> {
    let ctx = TestContext::new("chart-reconciler").await?;
    charts::lint(ctx.env, RECONCILER_CHART, &REQUIRED).await?;
    for sets in [REQUIRED.to_vec(), non_default_reconciler()] {
        let text = charts::render(ctx.env, RECONCILER_CHART, "avigw", &ctx.ns, &sets)
            .await?
            .map_err(anyhow::Error::msg)?;
        let docs = documents(&text)?;
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
    let cases: [(&[&str], &str); 4] = [
        (
            &[],
            "clusterName is required: the prefix of every Avi object name, e.g. --set clusterName=prod-1",
        ),
        (
            &["clusterName=prod-1"],
            "avi.controller is required: the Avi controller URL",
        ),
        (
            &["clusterName=has space", "avi.controller=https://a"],
            "at '/clusterName': 'has space' does not match pattern '^([a-zA-Z0-9_-]{1,32})?$'",
        ),
        (
            &[
                "clusterName=c",
                "avi.controller=https://a",
                "serviceType=LoadBalancer",
            ],
            "at '/serviceType': value must be one of 'ClusterIP', 'NodePort', 'NodePortLocal'",
        ),
    ];
    for (sets, want) in cases {
        let err = charts::render(ctx.env, RECONCILER_CHART, "avigw", &ctx.ns, sets)
            .await?
            .err()
            .context("render should fail")?;
        ensure!(err.contains(want), "for {sets:?} expected {want:?} in:\n{err}");
    }
    let err = charts::render(ctx.env, WEBHOOK_CHART, "w", &ctx.ns, &["failurePolicy=Sometimes"])
        .await?
        .err()
        .context("render should fail")?;
    ensure!(err.contains("at '/failurePolicy'"), "{err}");
    Ok(())
}
