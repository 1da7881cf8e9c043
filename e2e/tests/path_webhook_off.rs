//! With the webhook off (or down when the object was written), an invalid Gateway is stored;
//! the reconciler judges it with the same shared rules and reports on its status instead.

use std::time::Duration;

use anyhow::{Result, ensure};
use avigw_e2e::stack::{Stack, start_reconciler};
use avigw_e2e::wait;

#[tokio::test]
async fn invalid_gateway_gets_conditions_instead_of_a_denial() -> Result<()> {
    let stack = Stack::start_with(false).await?;
    let reconciler = start_reconciler(&stack).await?;
    for ns in ["blue", "red"] {
        stack.env.kubectl(&["create", "namespace", ns]).await?.ok()?;
    }
    let root = avigw_testenv::workspace_root();
    let class = root.join("manifests/examples/000-gateway-two-tcp-listeners.yaml");
    stack
        .env
        .kubectl(&["apply", "-f", class.to_str().unwrap_or_default()])
        .await?
        .ok()?;
    let bad = root.join("manifests/examples-invalid/gateway-wrong-labels.yaml");
    let out = stack
        .env
        .kubectl(&["apply", "-f", bad.to_str().unwrap_or_default()])
        .await?;
    ensure!(
        out.success(),
        "without the webhook the apiserver stores it: {}",
        out.stderr
    );

    let cond = "jsonpath={.status.conditions[?(@.type==\"Scheduled\")].status}|{.status.conditions[?(@.type==\"Scheduled\")].reason}|{.status.conditions[?(@.type==\"Scheduled\")].message}";
    let status = wait::until(
        "Scheduled=False on broken-gateway",
        Duration::from_secs(30),
        || async {
            let out = stack
                .env
                .kubectl(&["get", "gateway", "-n", "blue", "broken-gateway", "-o", cond])
                .await?
                .ok()?
                .stdout;
            Ok((out.starts_with("False|").then(|| out.clone()), out))
        },
    )
    .await?;
    ensure!(
        status.starts_with("False|InvalidMatchLabels|") || status.starts_with("False|InvalidAddress|"),
        "{status}"
    );
    ensure!(
        status.contains("must use \"blue\", the Gateway's own namespace"),
        "the rule's own message: {status}"
    );
    ensure!(
        !stack
            .avi_objects()
            .iter()
            .any(|(_, n, _)| n.contains("broken-gateway")),
        "no Avi objects for an invalid Gateway"
    );
    // The valid Gateway of the same file set still works.
    wait::until("blue/my-gateway Ready", Duration::from_secs(30), || async {
        let out = stack
            .env
            .kubectl(&[
                "get",
                "gateway",
                "-n",
                "blue",
                "my-gateway",
                "-o",
                "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
            ])
            .await?
            .ok()?
            .stdout;
        Ok(((out == "True").then_some(()), out))
    })
    .await?;
    reconciler.shutdown().await;
    stack.shutdown().await;
    Ok(())
}
