//! The local demo: a real kube-apiserver, avisim, the webhook and the reconciler on this
//! machine; the examples applied, and an insecure and a secure Ingress (with a certificate made
//! here); the refused Gateway's message, the VIPs, the Ingress hosts and the Avi objects shown;
//! then it keeps running for `kubectl` until Ctrl-C.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use avigw_e2e::ingress::{self, EXAMPLES_NAMESPACE, SECURE_HOST, SECURE_SECRET};
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

    section("kubectl apply -f manifests/examples-ingress/   (an insecure and a secure Ingress)");
    let _ = stack
        .env
        .kubectl(&["create", "namespace", EXAMPLES_NAMESPACE])
        .await?;
    let secret = ingress::tls_secret_yaml(EXAMPLES_NAMESPACE, SECURE_SECRET, SECURE_HOST)?;
    let out = stack.env.kubectl_stdin(&["apply", "-f", "-"], &secret).await?;
    print!("{}", out.stdout);
    eprint!("{}", out.stderr);
    println!("(a self-signed certificate for {SECURE_HOST}, made by the demo with rcgen)");
    let dir = ingress::examples_dir();
    let out = stack
        .env
        .kubectl(&["apply", "-f", dir.to_str().unwrap_or_default()])
        .await?;
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
    show_ingresses(&stack).await?;
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
    let objects = stack.avi_objects();
    let name_of_uuid: std::collections::HashMap<String, String> = stack
        .avisim
        .state()
        .store_read()
        .all()
        .map(|r| (r.uuid.clone(), r.name.clone()))
        .collect();
    for (kind, name, body) in &objects {
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
            "poolgroup" => format!("{} members", count(body, "members")),
            "httppolicyset" => body
                .get("http_request_policy")
                .and_then(|p| p.get("rules"))
                .and_then(|r| r.as_array())
                .map(|r| format!("{} rules", r.len()))
                .unwrap_or_default(),
            "sslkeyandcertificate" => body
                .get("certificate")
                .and_then(|c| c.pointer("/subject/common_name"))
                .and_then(|c| c.as_str())
                .map(|c| format!("CN {c}"))
                .unwrap_or_default(),
            _ => String::new(),
        };
        let detail = match body.get("type").and_then(|t| t.as_str()) {
            Some("VS_TYPE_VH_CHILD") if kind == "virtualservice" => {
                let parent = body
                    .get("vh_parent_vs_ref")
                    .and_then(|r| r.as_str())
                    .and_then(|r| r.rsplit('/').next())
                    .and_then(|uuid| name_of_uuid.get(uuid))
                    .map_or("?", String::as_str);
                format!("VH_CHILD of {parent}")
            }
            Some(t) if kind == "virtualservice" && t != "VS_TYPE_NORMAL" => {
                format!("{} {detail}", t.trim_start_matches("VS_TYPE_"))
            }
            _ => detail,
        };
        println!("{kind:<20} {name:<60} {detail}");
    }

    section("Still running: use kubectl against it");
    println!("export KUBECONFIG={}", stack.env.kubeconfig_path().display());
    println!("kubectl get gateways -A");
    println!("kubectl get ingress -A");
    println!("(kubectl is at {})", stack.env.paths().kubectl.display());
    println!("Press Ctrl-C to stop everything.");
    tokio::signal::ctrl_c().await?;
    println!("\nstopping...");
    reconciler.shutdown().await;
    stack.shutdown().await;
    Ok(())
}

fn count(body: &serde_json::Map<String, serde_json::Value>, field: &str) -> usize {
    body.get(field).and_then(|v| v.as_array()).map_or(0, Vec::len)
}

/// Waits for both example Ingresses to show their hosts, then prints them and, per host, its
/// VIP and the virtual service that serves it.
async fn show_ingresses(stack: &Stack) -> Result<()> {
    section("Waiting for the Ingresses to show their hosts' VIPs");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut hosts = Vec::new();
    loop {
        hosts.clear();
        for name in ["web", "store"] {
            for (h, ip) in ingress::addresses(stack, EXAMPLES_NAMESPACE, name).await? {
                hosts.push((name, h, ip));
            }
        }
        if hosts.len() == 2 {
            break;
        }
        if Instant::now() > deadline {
            println!("not every Ingress host has a VIP after 60s; see the events below");
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let out = stack.env.kubectl(&["get", "ingress", "-A"]).await?;
    print!("{}", out.stdout);
    let names: Vec<(String, String)> = stack
        .avi_objects()
        .into_iter()
        .filter(|(k, _, _)| k == "virtualservice")
        .map(|(_, n, b)| {
            (
                n,
                b.get("vh_domain_name")
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            )
        })
        .collect();
    println!("\n{:<8} {:<26} {:<12} served by", "INGRESS", "HOST", "VIP");
    for (name, host, ip) in &hosts {
        let child = names
            .iter()
            .find(|(_, domains)| domains.contains(&format!("\"{host}\"")))
            .map(|(n, _)| format!("{n} (SNI child, HTTPS; port 80 redirects)"));
        let parent = names
            .iter()
            .find(|(n, _)| {
                n.contains("--Shared-L7-") && ip_of_parent(stack, n).as_deref() == Some(ip.as_str())
            })
            .map(|(n, _)| format!("{n} (shared parent, HTTP)"));
        let by = child.or(parent).unwrap_or_default();
        println!("{name:<8} {host:<26} {ip:<12} {by}");
    }
    section("kubectl describe ingress -n shop store   (events)");
    let out = stack
        .env
        .kubectl(&["describe", "ingress", "-n", EXAMPLES_NAMESPACE, "store"])
        .await?;
    let tail: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Events:"))
        .collect();
    println!("{}", tail.join("\n"));
    Ok(())
}

/// The VIP of a shared parent's VsVip.
fn ip_of_parent(stack: &Stack, parent: &str) -> Option<String> {
    stack
        .avi_objects()
        .into_iter()
        .find(|(k, n, _)| k == "vsvip" && n == parent)
        .and_then(|(_, _, b)| {
            b.get("vip")?
                .get(0)?
                .pointer("/ip_address/addr")?
                .as_str()
                .map(str::to_owned)
        })
}
