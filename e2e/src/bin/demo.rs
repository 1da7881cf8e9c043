//! The local demo: a real kube-apiserver, avisim, the webhook and the reconciler on this
//! machine; the examples applied; the refused Gateway's message, the VIPs and the Avi objects
//! shown; then it keeps running for `kubectl` until Ctrl-C.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use avigw_e2e::stack::Stack;
use k8s_openapi::api::core::v1::Service;
use kube::Api;
use kube::api::ListParams;

const EXAMPLES: &str = "manifests/examples";
const INVALID: &str = "manifests/examples-invalid/gateway-wrong-labels.yaml";

fn section(title: &str) {
    println!("\n\x1b[1m== {title}\x1b[0m");
}

#[tokio::main]
async fn main() -> Result<()> {
    avigw_ops::init_tracing_at(avigw_ops::LogFormat::Plain, "warn");
    let root = avigw_testenv::workspace_root();
    std::env::set_current_dir(&root).with_context(|| format!("entering {}", root.display()))?;

    section("Starting kube-apiserver, avisim, the webhook and the reconciler");
    let started = Instant::now();
    let stack = Stack::start().await?;
    let reconciler = avigw_e2e::stack::start_reconciler(&stack).await?;
    println!("apiserver  {}", stack.env.url());
    println!("avisim     {}  (user admin)", stack.avisim.base_url());
    if let Some(w) = &stack.webhook {
        println!(
            "webhook    https://{}  metrics http://{}",
            w.admission_addr, w.metrics_addr
        );
    }
    println!("reconciler metrics http://{}", reconciler.metrics_addr());
    println!("ready in {:.1}s", started.elapsed().as_secs_f64());

    section("kubectl apply -f manifests/examples/");
    for ns in ["blue", "red", "green"] {
        let _ = stack.env.kubectl(&["create", "namespace", ns]).await?;
    }
    let out = stack.env.kubectl(&["apply", "-f", EXAMPLES]).await?;
    print!("{}", out.stdout);
    eprint!("{}", out.stderr);
    // No controller-manager here: publish endpoints for the backends as it would.
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

    section(&format!("kubectl apply -f {INVALID}   (refused by the webhook)"));
    let out = stack.env.kubectl(&["apply", "-f", INVALID]).await?;
    println!("exit code {}", out.status.code().unwrap_or(-1));
    print!("{}", out.stderr);

    section("Waiting for the Gateways to get their VIPs");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = stack
            .env
            .kubectl(&[
                "get",
                "gateways",
                "-A",
                "-o",
                "jsonpath={range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}",
            ])
            .await?;
        let ready = out.stdout.lines().filter(|l| *l == "True").count();
        let total = out.stdout.lines().count();
        if total > 0 && ready == total {
            break;
        }
        if Instant::now() > deadline {
            println!("not all Gateways are Ready after 60s ({ready}/{total}); see their conditions below");
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let out = stack.env.kubectl(&["get", "gateways", "-A"]).await?;
    print!("{}", out.stdout);
    section("kubectl get services -A   (LoadBalancer Services get their VIP and FQDN)");
    // Kubernetes (1.29+) refuses status.loadBalancer on other Service types: a Gateway
    // backend's VIP is the Gateway's address above.
    let out = stack.env.kubectl(&["get", "services", "-A", "-o", "custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name,TYPE:.spec.type,EXTERNAL-IP:.status.loadBalancer.ingress[*].ip,HOSTNAME:.status.loadBalancer.ingress[*].hostname"]).await?;
    print!("{}", out.stdout);
    section("kubectl get aviinfrasettings   (the example names an SE group avisim does not have)");
    let out = stack
        .env
        .kubectl(&[
            "get",
            "aviinfrasettings",
            "-o",
            "custom-columns=NAME:.metadata.name,STATUS:.status.status,ERROR:.status.error",
        ])
        .await?;
    print!("{}", out.stdout);
    println!("(a Rejected setting does not apply: its Gateway uses the global VIP network)");
    section("kubectl describe gateway -n blue my-gateway   (conditions and events)");
    let out = stack
        .env
        .kubectl(&["describe", "gateway", "-n", "blue", "my-gateway"])
        .await?;
    let tail: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Status:"))
        .collect();
    println!("{}", tail.join("\n"));

    section("Avi objects in avisim");
    for (kind, name, body) in stack.avi_objects() {
        let detail = match kind.as_str() {
            "vsvip" => body
                .get("vip")
                .and_then(|v| v.get(0))
                .and_then(|v| v.pointer("/ip_address/addr"))
                .map(|a| format!("VIP {}", a.as_str().unwrap_or("?")))
                .unwrap_or_default(),
            "virtualservice" => body
                .get("services")
                .and_then(|s| s.as_array())
                .map(|s| {
                    format!(
                        "ports {}",
                        s.iter()
                            .filter_map(|p| p.get("port"))
                            .map(|p| p.to_string())
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                })
                .unwrap_or_default(),
            "pool" => body
                .get("servers")
                .and_then(|s| s.as_array())
                .map(|s| format!("{} servers", s.len()))
                .unwrap_or_default(),
            _ => String::new(),
        };
        println!("{kind:<15} {name:<60} {detail}");
    }

    section("Still running: use kubectl against it");
    println!("export KUBECONFIG={}", stack.env.kubeconfig_path().display());
    println!("kubectl get gateways -A");
    println!("(kubectl is at {})", stack.env.paths().kubectl.display());
    println!("Press Ctrl-C to stop everything.");
    tokio::signal::ctrl_c().await?;
    println!("\nstopping...");
    reconciler.shutdown().await;
    stack.shutdown().await;
    Ok(())
}
