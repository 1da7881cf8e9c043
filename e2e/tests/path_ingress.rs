//! Ingresses through the whole path (real apiserver and kubectl, the webhook on, avisim): the
//! examples of manifests/examples-ingress become Avi objects with a VIP per host in `kubectl
//! get ingress`; the secure host waits for its Secret, which arrives after the Ingress; one
//! endpoint change is one Avi write; a restart with nothing changed writes nothing; deleting a
//! secure Ingress removes its pools and child and keeps the parent; deleting a Secret unserves
//! its host (no HTTP fallback); a class moved to another controller's removes the objects.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Result, ensure};
use avigw_e2e::ingress::{self, EXAMPLES_NAMESPACE as NS, SECURE_HOST, SECURE_SECRET};
use avigw_e2e::stack::{Reconciler, Stack, start_reconciler};
use avigw_e2e::wait;
use k8s_openapi::api::core::v1::Service;
use kube::Api;

const INSECURE_HOST: &str = "web.shop.example.com";

/// `kind/name` of every Avi object the stack's cluster owns.
fn avi_names(stack: &Stack) -> BTreeSet<String> {
    stack
        .avi_objects()
        .into_iter()
        .map(|(k, n, _)| format!("{k}/{n}"))
        .collect()
}

async fn kubectl(stack: &Stack, args: &[&str]) -> Result<String> {
    Ok(stack.env.kubectl(args).await?.ok()?.stdout)
}

async fn apply_file(stack: &Stack, file: &str) -> Result<()> {
    let path = ingress::examples_dir().join(file);
    kubectl(stack, &["apply", "-f", path.to_str().unwrap_or_default()]).await?;
    Ok(())
}

/// Ready endpoints for a Service of the examples, as the EndpointSlice controller would give.
async fn publish(stack: &Stack, svc: &str, subnet: u8, count: u8) -> Result<()> {
    let s = Api::<Service>::namespaced(stack.client.clone(), NS)
        .get(svc)
        .await?;
    avigw_e2e::endpoints::publish(&stack.client, &s, subnet, count).await
}

async fn wait_hosts(stack: &Stack, name: &str, hosts: &[&str]) -> Result<Vec<(String, String)>> {
    let want: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
    wait::until(
        &format!("Ingress {name} serving {hosts:?}"),
        Duration::from_secs(60),
        || async {
            let got = ingress::addresses(stack, NS, name).await?;
            let names: Vec<String> = got.iter().map(|(h, _)| h.clone()).collect();
            let done = names == want && got.iter().all(|(_, ip)| !ip.is_empty());
            Ok((done.then(|| got.clone()), format!("{got:?}")))
        },
    )
    .await
}

async fn idle(r: &Reconciler) -> Result<()> {
    ensure!(
        r.handle().wait_idle(Duration::from_secs(60)).await,
        "reconciler idle"
    );
    Ok(())
}

#[tokio::test]
async fn ingresses_end_to_end_through_kubectl() -> Result<()> {
    let stack = Stack::start().await?;
    let mut reconciler = start_reconciler(&stack).await?;
    kubectl(&stack, &["create", "namespace", NS]).await?;

    // The insecure Ingress: served on a shared parent; its VIP in `kubectl get ingress`.
    apply_file(&stack, "010-ingress-class-and-insecure.yaml").await?;
    publish(&stack, "web", 1, 2).await?;
    let web = wait_hosts(&stack, "web", &[INSECURE_HOST]).await?;
    let table = kubectl(&stack, &["get", "ingress", "-n", NS]).await?;
    ensure!(
        table.lines().next().is_some_and(|h| h.contains("ADDRESS")) && table.contains(&web[0].1),
        "the VIP in kubectl get ingress: {table}"
    );
    let names = avi_names(&stack);
    let parent = names
        .iter()
        .find_map(|n| n.strip_prefix("virtualservice/demo--Shared-L7-"))
        .map(|n| format!("demo--Shared-L7-{n}"))
        .ok_or_else(|| anyhow::anyhow!("no shared parent in {names:?}"))?;
    for want in [
        format!("vsvip/{parent}"),
        format!("poolgroup/{parent}"),
        format!("vsdatascriptset/{parent}"),
        format!("pool/demo--{INSECURE_HOST}_-{NS}-web"),
    ] {
        ensure!(names.contains(&want), "missing {want} in {names:?}");
    }

    // The secure Ingress before its Secret: its host is not served at all.
    apply_file(&stack, "011-ingress-secure.yaml").await?;
    publish(&stack, "store", 2, 2).await?;
    wait::until("SecretNotFound on store", Duration::from_secs(30), || async {
        let ev = kubectl(
            &stack,
            &[
                "get",
                "events",
                "-n",
                NS,
                "--field-selector",
                "involvedObject.name=store",
                "-o",
                "jsonpath={.items[*].reason}",
            ],
        )
        .await?;
        Ok((ev.contains("SecretNotFound").then_some(()), ev))
    })
    .await?;
    idle(&reconciler).await?;
    ensure!(ingress::addresses(&stack, NS, "store").await?.is_empty());
    ensure!(
        !avi_names(&stack).iter().any(|n| n.contains("store")),
        "{:?}",
        avi_names(&stack)
    );

    // The Secret arrives: the host is served on its own SNI child with the certificate.
    let secret = ingress::tls_secret_yaml(NS, SECURE_SECRET, SECURE_HOST)?;
    stack
        .env
        .kubectl_stdin(&["apply", "-f", "-"], &secret)
        .await?
        .ok()?;
    let store = wait_hosts(&stack, "store", &[SECURE_HOST]).await?;
    let child = format!("demo--{SECURE_HOST}");
    let names = avi_names(&stack);
    for want in [
        format!("virtualservice/{child}"),
        format!("sslkeyandcertificate/{child}"),
        format!("httppolicyset/demo--{NS}-{SECURE_HOST}"),
        format!("pool/demo--{NS}-{SECURE_HOST}_-store"),
        format!("pool/demo--{NS}-{SECURE_HOST}_api-store"),
    ] {
        ensure!(names.contains(&want), "missing {want} in {names:?}");
    }
    println!("web {web:?}, store {store:?}");

    // One endpoint change: one Avi write.
    idle(&reconciler).await?;
    stack.avisim.stats().reset();
    publish(&stack, "web", 1, 3).await?;
    let pool = format!("demo--{INSECURE_HOST}_-{NS}-web");
    wait::until("web's pool has 3 servers", Duration::from_secs(30), || async {
        let n = stack
            .avi_objects()
            .into_iter()
            .find(|(k, n, _)| k == "pool" && *n == pool)
            .and_then(|(_, _, b)| b.get("servers").and_then(|s| s.as_array()).map(Vec::len))
            .unwrap_or(0);
        Ok(((n == 3).then_some(()), format!("{n} servers")))
    })
    .await?;
    idle(&reconciler).await?;
    let w = stack.avi_writes();
    ensure!(w == 1, "one endpoint change = one Avi write, got {w}");

    // A restart with nothing changed: no Avi write, the same status.
    reconciler.shutdown().await;
    stack.avisim.stats().reset();
    reconciler = start_reconciler(&stack).await?;
    idle(&reconciler).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    idle(&reconciler).await?;
    ensure!(
        stack.avi_writes() == 0,
        "{} Avi writes after a restart",
        stack.avi_writes()
    );
    ensure!(ingress::addresses(&stack, NS, "store").await? == store);

    // The secure Ingress deleted: its pools, switching set, certificate and child go; the
    // parent stays (still serving web).
    kubectl(&stack, &["delete", "ingress", "-n", NS, "store"]).await?;
    wait::until("store's objects gone", Duration::from_secs(30), || async {
        let left: Vec<String> = avi_names(&stack)
            .into_iter()
            .filter(|n| n.contains("store"))
            .collect();
        Ok((left.is_empty().then_some(()), format!("{left:?}")))
    })
    .await?;
    ensure!(avi_names(&stack).contains(&format!("virtualservice/{parent}")));

    // Back, then its Secret deleted: the host is unserved, not downgraded to HTTP.
    apply_file(&stack, "011-ingress-secure.yaml").await?;
    wait_hosts(&stack, "store", &[SECURE_HOST]).await?;
    kubectl(&stack, &["delete", "secret", "-n", NS, SECURE_SECRET]).await?;
    wait_hosts(&stack, "store", &[]).await?;
    idle(&reconciler).await?;
    let names = avi_names(&stack);
    ensure!(!names.iter().any(|n| n.contains("store")), "{names:?}");
    let pg = stack
        .avi_objects()
        .into_iter()
        .find(|(k, n, _)| k == "poolgroup" && *n == parent)
        .map(|(_, _, b)| serde_json::Value::Object(b))
        .unwrap_or_default();
    ensure!(
        !pg.to_string().contains("store"),
        "no HTTP fallback on the parent: {pg}"
    );

    // web moves to another controller's class: its objects go, the parent is kept empty.
    stack
        .env
        .kubectl_stdin(
            &["apply", "-f", "-"],
            "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: nginx}\nspec: {controller: k8s.io/ingress-nginx}\n",
        )
        .await?
        .ok()?;
    kubectl(
        &stack,
        &[
            "patch",
            "ingress",
            "-n",
            NS,
            "web",
            "--type=merge",
            "-p",
            r#"{"spec":{"ingressClassName":"nginx"}}"#,
        ],
    )
    .await?;
    wait::until("web's pool gone", Duration::from_secs(30), || async {
        let pools: Vec<String> = avi_names(&stack)
            .into_iter()
            .filter(|n| n.starts_with("pool/"))
            .collect();
        Ok((pools.is_empty().then_some(()), format!("{pools:?}")))
    })
    .await?;
    wait_hosts(&stack, "web", &[]).await?;
    let names = avi_names(&stack);
    ensure!(
        names.contains(&format!("virtualservice/{parent}")) && names.contains(&format!("vsvip/{parent}")),
        "the parent is kept: {names:?}"
    );

    reconciler.shutdown().await;
    stack.shutdown().await;
    Ok(())
}
