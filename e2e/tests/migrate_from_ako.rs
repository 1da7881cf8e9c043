//! Moving from AKO (docs/migrate-from-ako.md): avisim holds AKO's objects for a Gateway with two
//! listeners, a LoadBalancer Service and two Ingresses (an insecure host on one shared parent, a
//! secure host as an SNI child of another) (`created_by: ako-demo`; names and markers are the
//! ones current AKO writes, which avigw's translation reproduces, SPEC §3 and SPEC-ingress §4;
//! VsVips marked with `clustername` only, as AKO's `lib.GetMarkers()` does; what AKO writes
//! differently, SPEC-ingress §10: no `ServiceName` marker on an insecure host's pool, no
//! `ssl_profile_ref` on parents and SNI children; pools with endpoints gone stale while AKO was
//! scaled to 0), plus an AKO pool avigw does not want.
//!
//! Without adoptFrom nothing of AKO's is written and the Kubernetes objects say why. `plan
//! --diff` then reports adoptions with field changes and exits 2; the reconciler with adoptFrom
//! converges with no create and no delete, keeping every uuid and VIP; `plan --diff` exits 0.

use std::collections::BTreeMap;
use std::process::Output;
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use avigw_e2e::ingress::{self, EXAMPLES_NAMESPACE, SECURE_HOST, SECURE_SECRET};
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

const INSECURE_HOST: &str = "web.shop.example.com";

/// The manifests: example 000 (a Gateway with two TCP listeners, backends in two namespaces),
/// a LoadBalancer Service, and the Ingress examples (an IngressClass, an insecure and a secure
/// Ingress) with the secure one's Secret (a fresh certificate: read once, used for both the
/// cluster and AKO's objects).
fn manifests() -> Result<String> {
    let root = avigw_testenv::workspace_root();
    let gw = std::fs::read_to_string(root.join("manifests/examples/000-gateway-two-tcp-listeners.yaml"))?;
    let dir = ingress::examples_dir();
    let insecure = std::fs::read_to_string(dir.join("010-ingress-class-and-insecure.yaml"))?;
    let secure = std::fs::read_to_string(dir.join("011-ingress-secure.yaml"))?;
    let secret = ingress::tls_secret_yaml(EXAMPLES_NAMESPACE, SECURE_SECRET, SECURE_HOST)?;
    Ok(format!(
        "{gw}\n---\n{LB_SERVICE}\n---\n{insecure}\n---\n{secure}\n---\n{secret}"
    ))
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
/// of each VsVip and of each Ingress host (its parent's).
async fn seed_ako(
    stack: &Stack,
    manifests: &str,
) -> Result<(BTreeMap<(String, String), String>, BTreeMap<String, String>)> {
    let config = raw(stack).validate(Purpose::Plan).map_err(anyhow::Error::msg)?;
    let objects = parse_manifests(manifests)?.objects;
    let snap = Snapshot::from_config_objects(&config, objects);
    let ctx = Context::new(&config, &ControllerFacts::default());
    let avi = avi(stack)?;
    let mut uuids = BTreeMap::new();
    let mut vips = BTreeMap::new();
    for plan in translate_all(&ctx, &snap).values() {
        let mut plan_vip = None;
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
            if o.kind() == "pool" && o.name().contains(INSECURE_HOST) {
                let markers = v["markers"].as_array_mut().context("markers")?;
                markers.retain(|m| m["key"] != "ServiceName");
            }
            if let Some(vs) = v.as_object_mut().filter(|_| o.kind() == "virtualservice") {
                vs.remove("ssl_profile_ref");
            }
            let made: Value = avi.create(o.kind(), &v, None).await?;
            let uuid = made["uuid"].as_str().context("uuid")?.to_owned();
            if o.kind() == "vsvip" {
                let ip = made
                    .pointer("/vip/0/ip_address/addr")
                    .and_then(Value::as_str)
                    .context("VIP")?;
                vips.insert(o.name().to_owned(), ip.to_owned());
                plan_vip = Some(ip.to_owned());
            }
            uuids.insert((o.kind().to_owned(), o.name().to_owned()), uuid);
        }
        for host in [INSECURE_HOST, SECURE_HOST] {
            if let Some(ip) = plan_vip
                .as_ref()
                .filter(|_| plan.avi.names().iter().any(|(_, n)| n.contains(host)))
            {
                vips.insert(host.to_owned(), ip.clone());
            }
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
    for ns in ["blue", "red", EXAMPLES_NAMESPACE] {
        stack.env.kubectl(&["create", "namespace", ns]).await?.ok()?;
    }
    let manifests = manifests()?;
    let manifest = stack.dir.path().join("manifests.yaml");
    std::fs::write(&manifest, &manifests)?;
    stack
        .env
        .kubectl(&["apply", "-f", manifest.to_str().unwrap_or_default()])
        .await?
        .ok()?;
    let (uuids, vips) = seed_ako(&stack, &manifests).await?;
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
    let sni_child = format!("{CLUSTER_NAME}--{SECURE_HOST}");
    ensure!(
        uuids.contains_key(&("virtualservice".into(), sni_child.clone())),
        "{uuids:?}"
    );
    let parents = uuids
        .keys()
        .filter(|(k, n)| k == "virtualservice" && n.starts_with(&format!("{CLUSTER_NAME}--Shared-L7-")))
        .count();
    ensure!(parents == 2, "a shared parent per host: {uuids:?}");
    let pools = uuids.keys().filter(|(k, _)| k == "pool").count();
    ensure!(
        pools == 7,
        "two gateway pools, one LB pool, one insecure and two secure Ingress pools, the legacy pool: {uuids:?}"
    );
    let seeded = stack.avi_objects();
    let seed_requests = stack.avisim.requests().len();
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
    // Each Ingress hears of the first of its objects that is taken.
    for (ingress, first) in [
        ("store", format!("sslkeyandcertificate/{sni_child}")),
        (
            "web",
            format!("pool/{CLUSTER_NAME}--{INSECURE_HOST}_-{EXAMPLES_NAMESPACE}-web"),
        ),
    ] {
        let want = format!("Avi object {first} belongs to {AKO}; set adoptFrom to take it over");
        wait::until(
            "NameTaken event on the Ingress",
            Duration::from_secs(60),
            || async {
                let ev =
                    kubectl_json(&stack, &["get", "events", "-n", EXAMPLES_NAMESPACE, "-o", "json"]).await?;
                let mine: Vec<&Value> = ev["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|e| {
                        e["involvedObject"]["name"] == ingress && e["involvedObject"]["kind"] == "Ingress"
                    })
                    .collect();
                let found = mine.iter().any(|e| {
                    e["reason"] == "NameTaken" && e["type"] == "Warning" && e["message"] == want.as_str()
                });
                Ok((found.then_some(()), format!("events on {ingress}: {mine:?}")))
            },
        )
        .await?;
    }
    let svc = kubectl_json(&stack, &["get", "service", "-n", "blue", "web-lb", "-o", "json"]).await?;
    ensure!(
        svc["status"]["loadBalancer"]["ingress"].is_null(),
        "no ingress: {svc}"
    );
    for name in ["web", "store"] {
        let a = ingress::addresses(&stack, EXAMPLES_NAMESPACE, name).await?;
        ensure!(a.is_empty(), "Ingress {name} has an address: {a:?}");
    }
    ensure!(
        stack.avi_objects() == seeded,
        "AKO's objects changed: {:?}",
        stack.avisim.requests()
    );
    // Ingress objects other than virtual services are not known as taken before a create is
    // tried: such a create is refused (409) and changes nothing. No other write is sent.
    let writes: Vec<String> = stack
        .avisim
        .requests()
        .into_iter()
        .skip(seed_requests)
        .filter(|q| q.method != "GET" && !q.path.ends_with("/login"))
        .filter(|q| !(q.method == "POST" && q.status == 409))
        .map(|q| format!("{} {} -> {}", q.method, q.path, q.status))
        .collect();
    ensure!(writes.is_empty(), "wrote to Avi: {writes:?}");
    r.shutdown().await;
    stack.avisim.stats().reset();

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
    ensure!(
        out.contains(&format!("adopt from ako-demo virtualservice         {sni_child}")),
        "{out}"
    );
    ensure!(
        out.contains("    ssl_profile_ref: (none) -> \"/api/sslprofile?name=System-Standard\""),
        "{out}"
    );
    ensure!(out.contains("0 create, 0 update, 26 adopt, 0 delete"), "{out}");
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
    for host in [INSECURE_HOST, SECURE_HOST] {
        let vip = vips.get(host).context("host VIP")?.clone();
        let name = if host == SECURE_HOST { "store" } else { "web" };
        wait::until(
            "Ingress host with AKO's parent VIP",
            Duration::from_secs(60),
            || async {
                let a = ingress::addresses(&stack, EXAMPLES_NAMESPACE, name).await?;
                let done = a == [(host.to_owned(), vip.clone())];
                Ok((done.then_some(()), format!("{a:?}, want {host}={vip}")))
            },
        )
        .await?;
    }
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
            .contains("0 create, 0 update, 0 adopt, 0 delete, 26 unchanged, 0 name-taken, 1 left-alone"),
        "{}",
        text(&o.stdout)
    );
    stack.shutdown().await;
    Ok(())
}
