//! Ingress admission through the real apiserver and kubectl: an Ingress taking another
//! namespace's host is refused by `kubectl apply` with the rule's message (on create, and on
//! an update that adds the host), a warning-only Ingress is created with kubectl printing the
//! warning, and the webhook's metrics count both under kind Ingress.

use std::time::Duration;

use anyhow::{Result, ensure};
use avigw_e2e::charts;
use avigw_e2e::stack::Stack;
use avigw_e2e::wait;
use avigw_testenv::CmdOutput;

const DENIED: &str = "admission webhook \"validate.avigw.ako.vmware.com\" denied the request: ";

fn ingress(ns: &str, name: &str, class: &str, spec: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  ingressClassName: {class}\n{spec}"
    )
}

fn rules(hosts: &[&str]) -> String {
    let mut s = String::from("  rules:\n");
    for h in hosts {
        s.push_str(&format!(
            "  - host: {h}\n    http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}]}}\n"
        ));
    }
    s
}

async fn apply(stack: &Stack, yaml: &str) -> Result<CmdOutput> {
    Ok(stack.env.kubectl_stdin(&["apply", "-f", "-"], yaml).await?)
}

/// Applies `yaml` until the webhook denies it (its reflectors learn of new objects a moment
/// after the apiserver stores them); each admitted attempt is undone with `undo`.
async fn until_denied(stack: &Stack, yaml: &str, undo: &[&str]) -> Result<CmdOutput> {
    wait::until("a denial by the webhook", Duration::from_secs(60), || async {
        let out = apply(stack, yaml).await?;
        if !out.success() && out.stderr.contains(DENIED) {
            return Ok((Some(out), String::new()));
        }
        if out.success() {
            stack.env.kubectl(undo).await?.ok()?;
        }
        Ok((None, format!("{} {}", out.stdout, out.stderr)))
    })
    .await
}

#[tokio::test]
async fn kubectl_apply_of_ingresses_through_the_webhook() -> Result<()> {
    let stack = Stack::start().await?;
    let result = run(&stack).await;
    stack.shutdown().await;
    result
}

async fn run(stack: &Stack) -> Result<()> {
    let team_a = stack.env.create_namespace(&stack.client, "ing-a").await?;
    let team_b = stack.env.create_namespace(&stack.client, "ing-b").await?;
    // Cluster-scoped and host names unique to this run.
    let class = format!("avi-{team_a}");
    let host = format!("shop.{team_a}.example.com");
    apply(
        stack,
        &format!(
            "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {{name: {class}}}\nspec: {{controller: ako.vmware.com/avi-lb}}\n"
        ),
    )
    .await?
    .ok()?;

    // team-a takes the host first; the webhook learns of it, then team-b's is refused.
    apply(stack, &ingress(&team_a, "web", &class, &rules(&[&host])))
        .await?
        .ok()?;
    let taken = ingress(&team_b, "web", &class, &rules(&["other.example.com", &host]));
    let out = until_denied(stack, &taken, &["delete", "ingress", "-n", &team_b, "web"]).await?;
    let message = format!(
        "{DENIED}Ingress {team_b}/web is invalid: spec.rules[1].host: \"{host}\" is already served by Ingress {team_a}/web: a host belongs to one namespace: use another host or create this Ingress in namespace {team_a}"
    );
    ensure!(out.stderr.contains(&message), "{}", out.stderr);
    let listed = stack
        .env
        .kubectl(&["get", "ingress", "-n", &team_b, "-o", "name"])
        .await?
        .ok()?;
    ensure!(
        listed.stdout.trim().is_empty(),
        "stored anyway: {}",
        listed.stdout
    );

    // An update: without the host it is created; adding the host is refused the same way.
    apply(
        stack,
        &ingress(&team_b, "web", &class, &rules(&["other.example.com"])),
    )
    .await?
    .ok()?;
    let out = apply(stack, &taken).await?;
    ensure!(
        !out.success() && out.stderr.contains(&message),
        "update adding the host: {} {}",
        out.stdout,
        out.stderr
    );

    // Warnings only: created, and kubectl prints each as a `Warning:` line.
    let warned = ingress(
        &team_a,
        "fallback",
        &class,
        &format!(
            "  defaultBackend: {{service: {{name: web, port: {{number: 80}}}}}}\n{}",
            rules(&[&format!("fallback.{team_a}.example.com")])
        ),
    );
    let out = apply(stack, &warned).await?;
    ensure!(out.success(), "{}", out.stderr);
    ensure!(
        out.stderr.contains(
            "Warning: spec.defaultBackend: is not used by avigw: add a rule with path \"/\" instead"
        ),
        "no warning line: {}",
        out.stderr
    );
    ensure!(
        out.stdout.contains("ingress.networking.k8s.io/fallback created"),
        "{}",
        out.stdout
    );

    // The metrics count them by kind and rule.
    let webhook = stack
        .webhook
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("no webhook"))?;
    let text = charts::scrape(webhook.metrics_addr).await?;
    for line in [
        r#"avigw_admission_denials_total{kind="Ingress",rule="ING-HOST-TAKEN"}"#,
        r#"avigw_admission_requests_total{allowed="false",kind="Ingress",mutated="false",operation="UPDATE"} 1"#,
        r#"avigw_admission_requests_total{allowed="true",kind="IngressClass",mutated="false",operation="CREATE"}"#,
        r#"avigw_admission_duration_seconds_count{kind="Ingress"}"#,
    ] {
        ensure!(text.contains(line), "{line} missing from\n{text}");
    }
    Ok(())
}
