//! The whole path with the webhook on, through real kubectl: the seed examples become Avi
//! virtual services with VIPs visible in `kubectl get`; an invalid Gateway is refused; deleting
//! a Gateway removes its Avi objects and releases its finalizer.

use std::time::Duration;

use anyhow::{Result, ensure};
use avigw_e2e::stack::{Stack, start_reconciler};
use avigw_e2e::wait;
use k8s_openapi::api::core::v1::Service;
use kube::Api;
use kube::api::ListParams;

async fn jsonpath(stack: &Stack, args: &[&str]) -> Result<String> {
    Ok(stack.env.kubectl(args).await?.ok()?.stdout)
}

#[tokio::test]
async fn examples_end_to_end_with_the_webhook() -> Result<()> {
    let stack = Stack::start().await?;
    let reconciler = start_reconciler(&stack).await?;
    for ns in ["blue", "red", "green"] {
        stack.env.kubectl(&["create", "namespace", ns]).await?.ok()?;
    }
    let root = avigw_testenv::workspace_root();
    let examples = root.join("manifests/examples");
    stack
        .env
        .kubectl(&["apply", "-f", examples.to_str().unwrap_or_default()])
        .await?
        .ok()?;
    let services = Api::<Service>::all(stack.client.clone())
        .list(&ListParams::default())
        .await?;
    for (i, svc) in services
        .items
        .iter()
        .filter(|s| s.spec.as_ref().is_some_and(|s| s.selector.is_some()))
        .enumerate()
    {
        avigw_e2e::endpoints::publish(&stack.client, svc, i as u8 + 1, 2).await?;
    }

    // Every Gateway gets its VIP in `kubectl get` and Ready=True.
    let ready = "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}={.status.addresses[0].value},{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}";
    let lines = wait::until("three Ready Gateways", Duration::from_secs(60), || async {
        let out = jsonpath(&stack, &["get", "gateways", "-A", "-o", ready]).await?;
        let done = out.lines().count() == 3 && out.lines().all(|l| l.ends_with(",True"));
        Ok((done.then(|| out.clone()), out))
    })
    .await?;
    ensure!(
        lines.contains("green/my-gateway=10.10.10.11,True"),
        "static VIP honoured: {lines}"
    );
    ensure!(
        lines.contains("blue/my-gateway=10.0.0."),
        "VIP from the global network: {lines}"
    );
    let table = stack.env.kubectl(&["get", "gateways", "-A"]).await?.ok()?.stdout;
    ensure!(
        table
            .lines()
            .next()
            .is_some_and(|h| h.contains("CLASS") && h.contains("ADDRESS") && h.contains("READY")),
        "{table}"
    );

    // The Avi objects, by the SPEC's names.
    let names: Vec<String> = stack
        .avi_objects()
        .into_iter()
        .map(|(k, n, _)| format!("{k}/{n}"))
        .collect();
    for want in [
        "virtualservice/demo--blue-my-gateway",
        "vsvip/demo--blue-my-gateway",
        "l4policyset/demo--blue-my-gateway",
        "pool/demo--blue-avisvc-advlb-my-gateway-TCP-80",
        "pool/demo--blue-avisvc-advlb-my-gateway-TCP-8081",
        "virtualservice/demo--red-avisvc-lb",
        "pool/demo--red-avisvc-lb-TCP-80",
        "pool/demo--default-snmp-oam-app-gateway-admin-0-UDP-161",
    ] {
        ensure!(names.iter().any(|n| n == want), "missing {want} in {names:?}");
    }

    // The LoadBalancer Service: its preferred IP and FQDN in `kubectl get`.
    let ingress = jsonpath(
        &stack,
        &[
            "get",
            "svc",
            "-n",
            "red",
            "avisvc-lb",
            "-o",
            "jsonpath={.status.loadBalancer.ingress[0].ip} {.status.loadBalancer.ingress[0].hostname}",
        ],
    )
    .await?;
    ensure!(
        ingress == "10.20.10.100 avisvc-lb.red.avi.example.com",
        "{ingress}"
    );

    // An invalid Gateway never gets in.
    let bad = root.join("manifests/examples-invalid/gateway-wrong-labels.yaml");
    let out = stack
        .env
        .kubectl(&["apply", "-f", bad.to_str().unwrap_or_default()])
        .await?;
    ensure!(!out.success());
    ensure!(out.stderr.contains("admission webhook \"validate.avigw.ako.vmware.com\" denied the request: Gateway blue/broken-gateway is invalid (3 problems):"), "{}", out.stderr);

    // Deleting a Gateway removes its Avi objects, then the Gateway itself (finalizer released).
    stack
        .env
        .kubectl(&["delete", "gateway", "-n", "blue", "my-gateway", "--wait=false"])
        .await?
        .ok()?;
    wait::until(
        "blue/my-gateway and its Avi objects gone",
        Duration::from_secs(30),
        || async {
            let left: Vec<String> = stack
                .avi_objects()
                .into_iter()
                .filter(|(_, n, _)| n.starts_with("demo--blue-"))
                .map(|(k, n, _)| format!("{k}/{n}"))
                .collect();
            let gw = stack
                .env
                .kubectl(&[
                    "get",
                    "gateway",
                    "-n",
                    "blue",
                    "my-gateway",
                    "--ignore-not-found",
                    "-o",
                    "name",
                ])
                .await?
                .stdout;
            let done = left.is_empty() && gw.trim().is_empty();
            Ok((done.then_some(()), format!("avi {left:?}, gateway {gw:?}")))
        },
    )
    .await?;
    ensure!(
        stack
            .avi_objects()
            .iter()
            .any(|(_, n, _)| n == "demo--green-my-gateway"),
        "other Gateways untouched"
    );
    reconciler.shutdown().await;
    stack.shutdown().await;
    Ok(())
}
