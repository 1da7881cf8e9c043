//! The webhook killed while registered with failurePolicy Fail: the apiserver refuses writes of
//! the kinds the webhook judges, and everything else keeps flowing.

use std::time::Duration;

use anyhow::{Result, ensure};
use avigw_e2e::stack::Stack;

#[tokio::test]
async fn webhook_down_blocks_our_kinds_only() -> Result<()> {
    let mut stack = Stack::start().await?;
    let ns = stack.env.create_namespace(&stack.client, "webhook-down").await?;
    if let Some(w) = stack.webhook.take() {
        w.shutdown(Duration::from_millis(200)).await;
    }
    let gateway = format!(
        "apiVersion: networking.x-k8s.io/v1alpha1\nkind: Gateway\nmetadata: {{name: g, namespace: {ns}}}\nspec:\n  gatewayClassName: avi-lb\n  listeners: [{{protocol: TCP, port: 80}}]\n"
    );
    let out = stack.env.kubectl_stdin(&["apply", "-f", "-"], &gateway).await?;
    ensure!(!out.success(), "a Gateway got in with the webhook down");
    ensure!(
        out.stderr.contains("failed calling webhook") && out.stderr.contains("mutate.avigw.ako.vmware.com"),
        "{}",
        out.stderr
    );
    let svc = format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: s, namespace: {ns}}}\nspec: {{ports: [{{port: 80}}]}}\n"
    );
    ensure!(
        !stack
            .env
            .kubectl_stdin(&["apply", "-f", "-"], &svc)
            .await?
            .success(),
        "Services are judged too"
    );
    // Other kinds flow.
    stack
        .env
        .kubectl(&[
            "create",
            "configmap",
            "still-works",
            "-n",
            &ns,
            "--from-literal=a=b",
        ])
        .await?
        .ok()?;
    stack
        .env
        .kubectl(&[
            "create",
            "secret",
            "generic",
            "also-works",
            "-n",
            &ns,
            "--from-literal=a=b",
        ])
        .await?
        .ok()?;
    // Namespaces excluded by the selector are never sent to the webhook.
    stack
        .env
        .kubectl(&["create", "namespace", "avigw-system"])
        .await?
        .ok()?;
    let excluded = svc.replace(&format!("namespace: {ns}"), "namespace: avigw-system");
    stack
        .env
        .kubectl_stdin(&["apply", "-f", "-"], &excluded)
        .await?
        .ok()?;
    stack.shutdown().await;
    Ok(())
}
