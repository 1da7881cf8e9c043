//! Moving from AKO (docs/migrate-from-ako.md): avisim holds AKO's objects for a Gateway with two
//! listeners and a LoadBalancer Service (`created_by: ako-demo`; names and markers are the ones
//! current AKO writes, which avigw's translation reproduces, SPEC §3; VsVips marked with
//! `clustername` only, as AKO's `lib.GetMarkers()` does; pools with endpoints gone stale while
//! AKO was scaled to 0), plus an AKO pool avigw does not want.
//!
//! Without adoptFrom nothing of AKO's is written and the Kubernetes objects say why. `plan
//! --diff` then reports adoptions with field changes and exits 2; the reconciler with adoptFrom
//! converges with no create and no delete, keeping every uuid and VIP; `plan --diff` exits 0.

use std::collections::BTreeMap;
use std::process::Output;
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use avigw_e2e::process::reconciler_binary;
use avigw_e2e::stack::{CLUSTER_NAME, Stack, start_reconciler_with};
use avigw_e2e::wait;
use avigw_reconciler::avi::{AviClient, AviClientConfig, Credentials, Secret, TlsOptions};
use avigw_shared::config::{Purpose, RawConfig, ScopeArgs};
use avigw_shared::translate::{Context, ControllerFacts, Snapshot, parse_manifests, translate_all};
use serde_json::{Value, json};

const AKO: &str = "ako-demo";

const LB_SERVICE: &str = "apiVersion: v1
kind: Service
metadata: {name: web-lb, namespace: blue}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]
";

/// The manifests: example 000 (a Gateway with two TCP listeners, backends in two namespaces)
/// and a LoadBalancer Service.
fn manifests() -> Result<String> {
    let root = avigw_testenv::workspace_root();
    let gw = std::fs::read_to_string(root.join("manifests/examples/000-gateway-two-tcp-listeners.yaml"))?;
    Ok(format!("{gw}\n---\n{LB_SERVICE}"))
}

/// The reconciler's settings (as `start_reconciler` gives them), for the translation that names
/// AKO's objects and for `plan --diff`.
fn raw(stack: &Stack) -> RawConfig {
    RawConfig {
        cluster_name: Some(CLUSTER_NAME.into()),
        controller: Some(stack.avisim.base_url().to_owned()),
        username: Some("admin".into()),
        password_file: Some(stack.avi_password_file()),
        ca_file: Some(stack.avi_ca_file()),
        vip_network: vec!["vip-net".into()],
        scope: ScopeArgs {
            default_domain: Some("avi.example.com".into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn avi(stack: &Stack) -> Result<AviClient> {
    let mut c = AviClientConfig::new(
        stack.avisim.base_url(),
        Credentials::Password {
            username: "admin".into(),
            password: Secret::new(avigw_e2e::stack::AVI_PASSWORD),
        },
    );
    c.tls = TlsOptions {
        ca_file: Some(stack.avi_ca_file()),
        insecure_skip_verify: false,
    };
    Ok(AviClient::new(c)?)
}

/// What AKO left on the controller, as AKO wrote it. Answers (type, name) → uuid, and the VIP
/// of each VsVip.
async fn seed_ako(stack: &Stack) -> Result<(BTreeMap<(String, String), String>, BTreeMap<String, String>)> {
    let config = raw(stack).validate(Purpose::Plan).map_err(anyhow::Error::msg)?;
    let objects = parse_manifests(&manifests()?)?.objects;
    let snap = Snapshot::from_config_objects(&config, objects);
    let ctx = Context::new(&config, &ControllerFacts::default());
    let avi = avi(stack)?;
    let mut uuids = BTreeMap::new();
    let mut vips = BTreeMap::new();
    for plan in translate_all(&ctx, &snap).values() {
        for o in plan.avi.create_order() {
            let mut v = serde_json::to_value(o)?;
            if v.get("created_by").is_some() {
                v["created_by"] = json!(AKO);
            }
            if o.kind() == "pool" {
                // Endpoints that moved while AKO was scaled to 0.
                v["servers"] =
                    json!([{"ip": {"addr": "10.244.9.9", "type": "V4"}, "port": 8080, "enabled": true}]);
            }
            if o.kind() == "vsvip" {
                // AKO sets this on every VsVip it creates.
                v["east_west_placement"] = json!(false);
            }
            let made: Value = avi.create(o.kind(), &v, None).await?;
            let uuid = made["uuid"].as_str().context("uuid")?.to_owned();
            if o.kind() == "vsvip" {
                let ip = made
                    .pointer("/vip/0/ip_address/addr")
                    .and_then(Value::as_str)
                    .context("VIP")?;
                vips.insert(o.name().to_owned(), ip.to_owned());
            }
            uuids.insert((o.kind().to_owned(), o.name().to_owned()), uuid);
        }
    }
    // AKO's pool for something avigw does not serve (e.g. an OpenShift route).
    let legacy: Value = avi
        .create(
            "pool",
            &json!({"name": format!("{CLUSTER_NAME}--blue-legacy-route-pool"), "created_by": AKO,
                "markers": [{"key": "clustername", "values": [CLUSTER_NAME]}]}),
            None,
        )
        .await?;
    uuids.insert(
        ("pool".into(), format!("{CLUSTER_NAME}--blue-legacy-route-pool")),
        legacy["uuid"].as_str().context("uuid")?.to_owned(),
    );
    Ok((uuids, vips))
}

fn plan_diff(stack: &Stack, manifest: &std::path::Path, extra: &[&str]) -> Result<Output> {
    let mut cmd = std::process::Command::new(reconciler_binary()?);
    cmd.args(["plan", "--diff", "-f"]).arg(manifest);
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
    Ok(tokio::task::block_in_place(|| cmd.output())?)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn kubectl_json(stack: &Stack, args: &[&str]) -> Result<Value> {
    let out = stack.env.kubectl(args).await?;
    ensure!(out.success(), "kubectl {args:?}: {}", out.stderr);
    Ok(serde_json::from_str(&out.stdout)?)
}

// Multi-threaded: avisim serves in this process while `plan --diff` runs as a child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ako_objects_are_adopted_in_place_only_with_adopt_from() -> Result<()> {
    let stack = Stack::start_with(false).await?;
    for ns in ["blue", "red"] {
        stack.env.kubectl(&["create", "namespace", ns]).await?.ok()?;
    }
    let manifest = stack.dir.path().join("manifests.yaml");
    std::fs::write(&manifest, manifests()?)?;
    stack
        .env
        .kubectl(&["apply", "-f", manifest.to_str().unwrap_or_default()])
        .await?
        .ok()?;
    let (uuids, vips) = seed_ako(&stack).await?;
    let gw_vs = format!("{CLUSTER_NAME}--blue-my-gateway");
    let lb_vs = format!("{CLUSTER_NAME}--blue-web-lb");
    ensure!(
        uuids.contains_key(&("virtualservice".into(), gw_vs.clone())),
        "{uuids:?}"
    );
    ensure!(
        uuids.contains_key(&("virtualservice".into(), lb_vs.clone())),
        "{uuids:?}"
    );
    let pools = uuids.keys().filter(|(k, _)| k == "pool").count();
    ensure!(
        pools == 4,
        "two gateway pools, one LB pool, the legacy pool: {uuids:?}"
    );
    stack.avisim.stats().reset();

    // Without adoptFrom: never written; the Gateway and the Service say why.
    let r = start_reconciler_with(&stack, stack.client.clone(), |_| {}).await?;
    let want = format!("Avi object vsvip/{gw_vs} belongs to {AKO}; set adoptFrom to take it over");
    wait::until(
        "Gateway Ready=False NameTaken",
        Duration::from_secs(90),
        || async {
            let g = kubectl_json(
                &stack,
                &["get", "gateway", "-n", "blue", "my-gateway", "-o", "json"],
            )
            .await?;
            let ready = g["status"]["conditions"]
                .as_array()
                .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
                .cloned()
                .unwrap_or_default();
            let done = ready["status"] == "False"
                && ready["reason"] == "NameTaken"
                && ready["message"] == want.as_str();
            Ok((done.then_some(()), ready.to_string()))
        },
    )
    .await?;
    let lb_want = format!("Avi object vsvip/{lb_vs} belongs to {AKO}; set adoptFrom to take it over");
    wait::until(
        "NameTaken event on the Service",
        Duration::from_secs(60),
        || async {
            let ev = kubectl_json(&stack, &["get", "events", "-n", "blue", "-o", "json"]).await?;
            let found = ev["items"].as_array().into_iter().flatten().any(|e| {
                e["reason"] == "NameTaken"
                    && e["type"] == "Warning"
                    && e["involvedObject"]["name"] == "web-lb"
                    && e["message"] == lb_want.as_str()
            });
            Ok((found.then_some(()), "no NameTaken event on web-lb".to_owned()))
        },
    )
    .await?;
    let svc = kubectl_json(&stack, &["get", "service", "-n", "blue", "web-lb", "-o", "json"]).await?;
    ensure!(
        svc["status"]["loadBalancer"]["ingress"].is_null(),
        "no ingress: {svc}"
    );
    ensure!(
        stack.avi_writes() == 0,
        "wrote to Avi: {:?}",
        stack.avisim.requests()
    );
    r.shutdown().await;

    // plan --diff: adoptions with their field changes, the unwanted pool left alone; exit 2.
    let o = plan_diff(&stack, &manifest, &["--adopt-from", AKO])?;
    let out = text(&o.stdout);
    ensure!(o.status.code() == Some(2), "{out}\n{}", text(&o.stderr));
    ensure!(
        out.contains(&format!("adopt from ako-demo virtualservice         {gw_vs}")),
        "{out}"
    );
    ensure!(
        out.contains("    created_by: \"ako-demo\" -> \"avigw-demo\""),
        "{out}"
    );
    ensure!(
        out.contains("    servers: [{\"enabled\":true,\"hostname\":\"10.244.9.9\""),
        "{out}"
    );
    ensure!(
        out.contains(&format!(
            "left-alone (ako-demo) pool                   {CLUSTER_NAME}--blue-legacy-route-pool"
        )),
        "{out}"
    );
    ensure!(out.contains("0 create, 0 update, 9 adopt, 0 delete"), "{out}");
    ensure!(stack.avi_writes() == 0, "plan --diff wrote");

    // With adoptFrom: taken over in place.
    let r = start_reconciler_with(&stack, stack.client.clone(), |c| c.adopt_from = vec![AKO.into()]).await?;
    let gw_vip = vips.get(&gw_vs).context("gateway VIP")?.clone();
    wait::until(
        "Gateway Ready with AKO's VIP",
        Duration::from_secs(90),
        || async {
            let g = kubectl_json(
                &stack,
                &["get", "gateway", "-n", "blue", "my-gateway", "-o", "json"],
            )
            .await?;
            let done = g["status"]["addresses"][0]["value"] == gw_vip.as_str();
            Ok((done.then_some(()), g["status"].to_string()))
        },
    )
    .await?;
    let lb_vip = vips.get(&lb_vs).context("LB VIP")?.clone();
    wait::until(
        "Service ingress with AKO's VIP",
        Duration::from_secs(60),
        || async {
            let s = kubectl_json(&stack, &["get", "service", "-n", "blue", "web-lb", "-o", "json"]).await?;
            let done = s["status"]["loadBalancer"]["ingress"][0]["ip"] == lb_vip.as_str();
            Ok((done.then_some(()), s["status"].to_string()))
        },
    )
    .await?;
    ensure!(r.handle().wait_idle(Duration::from_secs(60)).await, "not idle");
    let stats = stack.avisim.stats();
    for kind in avigw_e2e::stack::AVI_KINDS {
        ensure!(stats.count("POST", kind) == 0, "created a {kind}");
        ensure!(stats.count("DELETE", kind) == 0, "deleted a {kind}");
    }
    let avi = avi(&stack)?;
    for ((kind, name), uuid) in &uuids {
        let now: Value = avi.get_by_name(kind, name, None).await?.context("still there")?;
        ensure!(now["uuid"] == uuid.as_str(), "{kind}/{name} recreated");
        let creator = if name.ends_with("legacy-route-pool") {
            AKO
        } else {
            "avigw-demo"
        };
        if kind != "vsvip" {
            ensure!(
                now["created_by"] == creator,
                "{kind}/{name}: {}",
                now["created_by"]
            );
        }
        if let Some(ip) = vips.get(name).filter(|_| kind == "vsvip") {
            ensure!(
                now.pointer("/vip/0/ip_address/addr") == Some(&json!(ip)),
                "{name} VIP moved"
            );
        }
    }
    r.shutdown().await;

    // Nothing left to do.
    let o = plan_diff(&stack, &manifest, &["--adopt-from", AKO])?;
    ensure!(
        o.status.code() == Some(0),
        "{}\n{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    ensure!(
        text(&o.stdout)
            .contains("0 create, 0 update, 0 adopt, 0 delete, 9 unchanged, 0 name-taken, 1 left-alone"),
        "{}",
        text(&o.stdout)
    );
    stack.shutdown().await;
    Ok(())
}
