//! `avigw-reconciler plan --diff --from-cluster`: the objects the reconciler watches, read from
//! the kubeconfig's apiserver (applied there with kubectl through the webhook), compared with the
//! live controller (avisim, only read). The scope flags are honoured as `run` honours them,
//! the cluster's Namespaces (labels) included; after the reconciler synced, nothing would
//! change, and a `kubectl patch` shows up as an update.

use std::process::Output;
use std::time::Duration;

use anyhow::{Result, ensure};
use avigw_e2e::process::reconciler_binary;
use avigw_e2e::stack::{CLUSTER_NAME, Stack, start_reconciler_with};
use avigw_e2e::wait;
use serde_json::Value;

const LB_SERVICES: &str = "apiVersion: v1
kind: Service
metadata: {name: web-lb, namespace: blue}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: other-lb, namespace: skip}
spec:
  type: LoadBalancer
  selector: {app: other}
  ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]
";

/// Example 000 (a Gateway with two TCP listeners, backends in `blue` and `red`) and a
/// LoadBalancer Service in `blue` and one in `skip`.
fn manifests() -> Result<String> {
    let root = avigw_testenv::workspace_root();
    let gw = std::fs::read_to_string(root.join("manifests/examples/000-gateway-two-tcp-listeners.yaml"))?;
    Ok(format!("{gw}\n---\n{LB_SERVICES}"))
}

/// `plan --diff -o json` with the connection settings `run` gets, the kubeconfig of the
/// testenv, no `AVIGW_*` from this process, and `source` (`--from-cluster` or `-f <file>`).
fn plan_diff(stack: &Stack, source: &[&str], extra: &[&str]) -> Result<Output> {
    let mut cmd = std::process::Command::new(reconciler_binary()?);
    cmd.args(["plan", "--diff", "-o", "json"]).args(source);
    cmd.args([
        "--cluster-name",
        CLUSTER_NAME,
        "--controller",
        stack.avisim.base_url(),
    ]);
    cmd.args(["--username", "admin", "--password-file"])
        .arg(stack.avi_password_file());
    cmd.arg("--ca-file").arg(stack.avi_ca_file());
    cmd.args(["--vip-network", "vip-net", "--default-domain", "avi.example.com"]);
    cmd.args(extra);
    for (k, _) in std::env::vars() {
        if k.starts_with("AVIGW_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("KUBECONFIG", stack.env.kubeconfig_path());
    Ok(tokio::task::block_in_place(|| cmd.output())?)
}

/// The exit code and the parsed JSON diff; fails with both streams when stdout is not JSON.
fn parsed(o: &Output) -> Result<(i32, Value)> {
    let code = o.status.code().unwrap_or(-1);
    let v = serde_json::from_slice(&o.stdout).map_err(|e| {
        anyhow::anyhow!(
            "exit {code}, not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })?;
    Ok((code, v))
}

/// `action type/name` of every change, sorted.
fn actions(diff: &Value) -> Vec<String> {
    let mut out: Vec<String> = diff["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            format!(
                "{} {}/{}",
                c["action"].as_str().unwrap_or("?"),
                c["type"].as_str().unwrap_or("?"),
                c["name"].as_str().unwrap_or("?")
            )
        })
        .collect();
    out.sort();
    out
}

// Multi-threaded: avisim and the webhook serve in this process while `plan --diff` runs as a
// child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_cluster_reads_what_kubectl_applied_and_only_reads() -> Result<()> {
    let stack = Stack::start().await?;
    for ns in ["blue", "red", "skip"] {
        stack.env.kubectl(&["create", "namespace", ns]).await?.ok()?;
    }
    for ns in ["blue", "red"] {
        stack
            .env
            .kubectl(&["label", "namespace", ns, "avigw=on"])
            .await?
            .ok()?;
    }
    let manifest = stack.dir.path().join("manifests.yaml");
    std::fs::write(&manifest, manifests()?)?;
    let manifest = manifest.to_str().unwrap_or_default().to_owned();
    stack.env.kubectl(&["apply", "-f", &manifest]).await?.ok()?;
    stack.avisim.stats().reset();

    // Everything the cluster holds: the same diff as the manifests give (the apiserver's
    // copies carry the webhook's defaults, as `-f` applies them).
    let (code, all) = parsed(&plan_diff(&stack, &["--from-cluster"], &[])?)?;
    ensure!(code == 2, "exit {code}: {all}");
    let (code, from_files) = parsed(&plan_diff(&stack, &["-f", &manifest], &[])?)?;
    ensure!(code == 2, "exit {code}: {from_files}");
    ensure!(all == from_files, "--from-cluster:\n{all}\n-f:\n{from_files}");
    let gw_vs = format!("create virtualservice/{CLUSTER_NAME}--blue-my-gateway");
    let skip_vs = format!("create virtualservice/{CLUSTER_NAME}--skip-other-lb");
    let all_actions = actions(&all);
    ensure!(
        all_actions.contains(&gw_vs) && all_actions.contains(&skip_vs),
        "{all_actions:?}"
    );
    ensure!(
        all_actions.iter().all(|a| a.starts_with("create ")),
        "{all_actions:?}"
    );

    // The namespace selector, judged on the cluster's Namespace labels: `skip` drops out, and
    // only its objects do.
    let selector = ["--namespace-selector", "avigw=on"];
    let (code, scoped) = parsed(&plan_diff(&stack, &["--from-cluster"], &selector)?)?;
    ensure!(code == 2, "exit {code}: {scoped}");
    let scoped_actions = actions(&scoped);
    let skip_prefix = format!("/{CLUSTER_NAME}--skip-");
    let expected: Vec<String> = all_actions
        .iter()
        .filter(|a| !a.contains(&skip_prefix))
        .cloned()
        .collect();
    ensure!(
        expected.len() < all_actions.len(),
        "`skip` had objects: {all_actions:?}"
    );
    ensure!(scoped_actions == expected, "{scoped_actions:?}");
    ensure!(
        stack.avi_writes() == 0,
        "plan --diff wrote: {:?}",
        stack.avisim.requests()
    );

    // The reconciler with the same scope syncs; nothing would change any more.
    let r = start_reconciler_with(&stack, stack.client.clone(), |c| {
        c.scope.namespace_selector = Some("avigw=on".into());
    })
    .await?;
    let wanted: Vec<String> = expected
        .iter()
        .filter_map(|a| a.strip_prefix("create "))
        .map(str::to_owned)
        .collect();
    wait::until(
        "the reconciler made every object the plan creates",
        Duration::from_secs(90),
        || async {
            let made: Vec<String> = stack
                .avi_objects()
                .into_iter()
                .map(|(kind, name, _)| format!("{kind}/{name}"))
                .collect();
            let missing: Vec<&String> = wanted.iter().filter(|w| !made.contains(w)).collect();
            Ok((missing.is_empty().then_some(()), format!("missing {missing:?}")))
        },
    )
    .await?;
    ensure!(r.handle().wait_idle(Duration::from_secs(90)).await, "not idle");
    r.shutdown().await;
    let writes = stack.avi_writes();
    ensure!(writes > 0, "the reconciler wrote nothing");
    let (code, synced) = parsed(&plan_diff(&stack, &["--from-cluster"], &selector)?)?;
    ensure!(code == 0, "exit {code}: {synced}");
    ensure!(
        actions(&synced).iter().all(|a| a.starts_with("unchanged ")),
        "{synced}"
    );

    // A change made with kubectl is read: the Service's port moves, its VS would be updated.
    stack
        .env
        .kubectl(&[
            "patch",
            "service",
            "-n",
            "blue",
            "web-lb",
            "--type=json",
            "-p",
            r#"[{"op":"replace","path":"/spec/ports/0/port","value":8080}]"#,
        ])
        .await?
        .ok()?;
    let (code, patched) = parsed(&plan_diff(&stack, &["--from-cluster"], &selector)?)?;
    ensure!(code == 2, "exit {code}: {patched}");
    let lb_vs = format!("{CLUSTER_NAME}--blue-web-lb");
    let vs = patched["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "virtualservice" && c["name"] == lb_vs.as_str())
        .cloned()
        .unwrap_or_default();
    ensure!(vs["action"] == "update", "{patched}");
    ensure!(
        vs["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["field"] == "services" && f["to"].to_string().contains("8080")),
        "{vs}"
    );
    ensure!(
        stack.avi_writes() == writes,
        "plan --diff wrote: {:?}",
        stack.avisim.requests()
    );
    stack.shutdown().await;
    Ok(())
}
