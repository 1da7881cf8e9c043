//! `run` against a real apiserver and avisim: LoadBalancer Services, a refused VIP change,
//! Avi down then up, namespace sync by label, leader election between two replicas, and
//! Gateway support turned off.

mod run_support;

use std::time::Duration;

use avisim::FaultPatch;
use run_support::{condition, env, eventually, lb_yaml, wait_ready};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loadbalancer_service_with_preferred_ip() {
    let e = env("run-lb").await;
    let ns = e.ctx.ns.clone();
    let run = e.start().await;
    e.apply(&lb_yaml("web", "10.50.0.77")).await;
    let svc = eventually(30, "LB ingress", || async {
        let s = e.service_json("web").await;
        s.pointer("/status/loadBalancer/ingress/0/ip")
            .is_some()
            .then_some(s)
    })
    .await;
    assert_eq!(
        svc.pointer("/status/loadBalancer/ingress/0/ip").unwrap(),
        "10.50.0.77"
    );
    assert_eq!(
        svc.pointer("/metadata/finalizers").unwrap(),
        &serde_json::json!([format!("service.ako.vmware.com/avigw-{}-cleanup", e.cluster)])
    );
    let vs = format!("{}--{ns}-web", e.cluster);
    assert_eq!(e.names("virtualservice").await, vec![vs.clone()]);
    assert_eq!(
        e.names("pool").await,
        vec![format!("{}--{ns}-web-TCP-443", e.cluster)]
    );
    let vip = e.object("vsvip", &vs).await.unwrap();
    assert_eq!(vip.pointer("/vip/0/ip_address/addr").unwrap(), "10.50.0.77");
    let events = eventually(20, "Synced event", || async {
        let out = e.kubectl(&["get", "events", "-n", &ns, "-o", "json"]).await;
        out.contains(&format!("Added virtualservice {vs} for web"))
            .then_some(out)
    })
    .await;
    drop(events);

    // Out of sync scope (namespace label removed): Avi objects, ingress and finalizer go.
    e.kubectl(&["label", "namespace", &ns, "avigw-test-"]).await;
    eventually(30, "ingress and finalizer cleared", || async {
        let s = e.service_json("web").await;
        (s.pointer("/status/loadBalancer/ingress/0").is_none()
            && s.pointer("/metadata/finalizers/0").is_none())
        .then_some(())
    })
    .await;
    assert!(e.names("virtualservice").await.is_empty());
    e.kubectl(&["label", "namespace", &ns, &format!("avigw-test={ns}")])
        .await;
    eventually(30, "LB ingress back", || async {
        let s = e.service_json("web").await;
        s.pointer("/status/loadBalancer/ingress/0/ip")
            .is_some()
            .then_some(())
    })
    .await;

    // Deleting the Service removes its Avi objects, then releases the finalizer.
    e.kubectl(&["delete", "service", "web", "-n", &ns, "--wait=false"])
        .await;
    eventually(30, "Service gone", || async {
        let out = e
            .ctx
            .env
            .kubectl(&["get", "service", "web", "-n", &ns])
            .await
            .ok()?;
        (!out.success()).then_some(())
    })
    .await;
    assert!(e.names("virtualservice").await.is_empty());
    assert!(e.names("vsvip").await.is_empty());
    run.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_vip_change_is_invalid_address() {
    let e = env("run-vip").await;
    let run = e.start().await;
    e.apply(&e.gateway_yaml("gw", &[80], Some("10.50.0.20"))).await;
    eventually(30, "Gateway Ready with the preferred VIP", || async {
        let g = e.gateway_json("gw").await?;
        (g.pointer("/status/addresses/0/value")? == "10.50.0.20").then_some(())
    })
    .await;
    // No webhook in this environment: the change gets in, Avi refuses it.
    e.apply(&e.gateway_yaml("gw", &[80], Some("10.50.0.21"))).await;
    let g = eventually(30, "InvalidAddress", || async {
        let g = e.gateway_json("gw").await?;
        (condition(&g, "Ready")?.get("reason")? == "InvalidAddress").then_some(g)
    })
    .await;
    let msg = condition(&g, "Ready").unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(msg.contains("please recreate the VIP"), "{msg}");
    // Not retried while the spec stays the same.
    assert!(run.wait_idle(Duration::from_secs(20)).await);
    let before = e.writes();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(e.writes(), before);
    run.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avi_down_then_up_converges() {
    let e = env("run-down").await;
    let run = e.start().await;
    assert!(run.wait_idle(Duration::from_secs(20)).await);
    e.sim.apply_faults(&FaultPatch {
        down_for_secs: Some(4.0),
        ..FaultPatch::default()
    });
    e.apply(&e.gateway_yaml("gw", &[80], None)).await;
    let g = eventually(60, "Gateway Ready after Avi comes back", || async {
        let g = e.gateway_json("gw").await?;
        (condition(&g, "Ready")?.get("status")? == "True").then_some(g)
    })
    .await;
    assert!(g.pointer("/status/addresses/0/value").is_some());
    let body = curl(&format!("http://{}/metrics", run.metrics_addr)).await;
    assert!(
        body.contains("avigw_reconcile_total{kind=\"Gateway\",result=\"error\"}"),
        "{body}"
    );
    run.shutdown();
}

/// After a long outage a key's own backoff has grown to seconds (0.5 s doubling, each wait
/// random in [d/2, d): 8–16 s after 20 s); the Avi watchdog must retry it within about its 1 s probe interval of Avi
/// answering again, and say so on the availability gauge meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_waiting_for_avi_retry_as_soon_as_it_answers() {
    let e = env("run-wake").await;
    let run = e.start().await;
    assert!(run.wait_idle(Duration::from_secs(20)).await);
    let down = Duration::from_secs(20);
    e.sim.apply_faults(&FaultPatch {
        down_for_secs: Some(down.as_secs_f64()),
        ..FaultPatch::default()
    });
    let down_at = std::time::Instant::now();
    e.apply(&e.gateway_yaml("gw", &[80], None)).await;
    eventually(10, "availability gauge at 0", || async {
        let body = curl(&format!("http://{}/metrics", run.metrics_addr)).await;
        body.contains("avigw_avi_available 0").then_some(())
    })
    .await;
    tokio::time::sleep(down.saturating_sub(down_at.elapsed())).await;
    let up_at = std::time::Instant::now();
    let vs = format!("{}--{}-gw", e.cluster, e.ctx.ns);
    eventually(30, "VS created", || async {
        (e.names("virtualservice").await == vec![vs.clone()]).then_some(())
    })
    .await;
    let took = up_at.elapsed();
    println!("the waiting key was retried {took:?} after Avi came back");
    assert!(
        took < Duration::from_secs(4),
        "the waiting key was retried {took:?} after Avi came back"
    );
    let body = curl(&format!("http://{}/metrics", run.metrics_addr)).await;
    assert!(body.contains("avigw_avi_available 1"), "{body}");
    run.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_label_controls_sync() {
    let e = env("run-ns").await;
    let ns = e.ctx.ns.clone();
    let run = e.start().await;
    e.apply(&e.gateway_yaml("gw", &[80], None)).await;
    let vs = format!("{}--{ns}-gw", e.cluster);
    eventually(30, "VS created", || async {
        (e.names("virtualservice").await == vec![vs.clone()]).then_some(())
    })
    .await;
    e.kubectl(&["label", "namespace", &ns, "avigw-test-"]).await;
    eventually(30, "VS removed with the label", || async {
        e.names("virtualservice").await.is_empty().then_some(())
    })
    .await;
    assert!(e.names("pool").await.is_empty());
    assert!(e.names("vsvip").await.is_empty());
    e.kubectl(&["label", "namespace", &ns, &format!("avigw-test={ns}")])
        .await;
    eventually(30, "VS back with the label", || async {
        (e.names("virtualservice").await == vec![vs.clone()]).then_some(())
    })
    .await;
    run.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_one_writes_then_takeover() {
    let e = env("run-ha").await;
    let mut raw = e.raw();
    raw.leader_elect = Some(true);
    let a = e.start_with(raw.clone(), "replica-a").await;
    eventually(20, "a leads", || async { a.is_active().then_some(()) }).await;
    let b = e.start_with(raw, "replica-b").await;
    e.apply(&e.gateway_yaml("gw", &[80], None)).await;
    eventually(30, "Ready", || async {
        let g = e.gateway_json("gw").await?;
        (condition(&g, "Ready")?.get("status")? == "True").then_some(())
    })
    .await;
    assert!(!b.is_active(), "the follower must not be active");
    let b_metrics = curl(&format!("http://{}/metrics", b.metrics_addr)).await;
    assert!(b_metrics.contains("avigw_leader 0"), "{b_metrics}");
    assert!(
        !b_metrics.contains("method=\"POST\",object=\"virtualservice\""),
        "follower wrote: {b_metrics}"
    );

    // Kill the leader (no lease release): b takes over within a lease duration (3 s here).
    a.shutdown();
    let t0 = std::time::Instant::now();
    eventually(15, "b takes over", || async { b.is_active().then_some(()) }).await;
    assert!(t0.elapsed() < Duration::from_secs(8), "took {:?}", t0.elapsed());
    // b now serves changes.
    e.apply(&e.gateway_yaml("gw2", &[81], None)).await;
    eventually(30, "gw2 Ready via b", || async {
        let g = e.gateway_json("gw2").await?;
        (condition(&g, "Ready")?.get("status")? == "True").then_some(())
    })
    .await;
    b.shutdown();
}

async fn curl(url: &str) -> String {
    let out = tokio::process::Command::new("curl")
        .args(["-s", url])
        .output()
        .await
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infra_setting_status_checks_the_controller() {
    let e = env("run-ais").await;
    let run = e.start().await;
    let good = format!("{}-good", e.ctx.ns);
    let bad = format!("{}-bad", e.ctx.ns);
    let yaml = format!(
        "apiVersion: ako.vmware.com/v1alpha1\nkind: AviInfraSetting\nmetadata:\n  name: {good}\nspec:\n  seGroup:\n    name: Default-Group\n  network:\n    vipNetworks:\n    - networkName: vip-net\n---\napiVersion: ako.vmware.com/v1alpha1\nkind: AviInfraSetting\nmetadata:\n  name: {bad}\nspec:\n  seGroup:\n    name: no-such-group\n"
    );
    e.apply(&yaml).await;
    let status = |name: String| {
        let e = &e;
        async move {
            let out = e
                .kubectl(&[
                    "get",
                    "aviinfrasetting",
                    &name,
                    "-o",
                    "jsonpath={.status.status}|{.status.error}",
                ])
                .await;
            (!out.starts_with('|') && !out.is_empty()).then_some(out)
        }
    };
    let g = eventually(30, "good Accepted", || status(good.clone())).await;
    assert_eq!(g, "Accepted|");
    let b = eventually(30, "bad Rejected", || status(bad.clone())).await;
    assert!(b.starts_with("Rejected|") && b.contains("no-such-group"), "{b}");
    run.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_gateway_gets_status_and_no_avi_objects() {
    let e = env("run-invalid").await;
    let run = e.start().await;
    // Labels naming another Gateway: GW-LABELS-MISMATCH (no webhook here to stop it).
    let yaml = e.gateway_yaml("gw", &[80], None).replacen(
        "ako.vmware.com/gateway-name: gw\n      group",
        "ako.vmware.com/gateway-name: other\n      group",
        1,
    );
    e.apply(&yaml).await;
    let g = eventually(30, "Scheduled=False", || async {
        let g = e.gateway_json("gw").await?;
        (condition(&g, "Scheduled")?.get("status")? == "False").then_some(g)
    })
    .await;
    assert_eq!(
        condition(&g, "Scheduled").unwrap()["reason"],
        "InvalidMatchLabels"
    );
    assert!(run.wait_idle(Duration::from_secs(20)).await);
    assert!(e.names("virtualservice").await.is_empty());
    assert_eq!(e.writes(), 0);
    let events = eventually(20, "Invalid event", || async {
        let out = e.kubectl(&["get", "events", "-n", &e.ctx.ns, "-o", "json"]).await;
        out.contains("\"Invalid\"").then_some(out)
    })
    .await;
    drop(events);
    run.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_session_logs_in_again() {
    let e = env("run-relogin").await;
    let ns = e.ctx.ns.clone();
    let run = e.start().await;
    e.apply(&e.gateway_yaml("gw", &[80], None)).await;
    eventually(30, "Ready", || async {
        let g = e.gateway_json("gw").await?;
        (condition(&g, "Ready")?.get("status")? == "True").then_some(())
    })
    .await;
    e.sim.apply_faults(&FaultPatch {
        expire_sessions: Some(419),
        ..FaultPatch::default()
    });
    let logins = e.sim.stats().count("POST", "login");
    e.ctx
        .env
        .kubectl(&[
            "patch",
            "endpointslice",
            "gw-b80-x",
            "-n",
            &ns,
            "--type=json",
            "-p",
            r#"[{"op":"add","path":"/endpoints/-","value":{"addresses":["10.1.0.9"]}}]"#,
        ])
        .await
        .unwrap()
        .ok()
        .unwrap();
    eventually(20, "pool updated after a re-login", || async {
        let p = e
            .object("pool", &format!("{}--{ns}-gw-b80-gw-TCP-80", e.cluster))
            .await?;
        (p["servers"].as_array()?.len() == 3).then_some(())
    })
    .await;
    assert!(e.sim.stats().count("POST", "login") > logins);
    run.shutdown();
}

/// A create whose answer was lost: Avi holds the name under avigw's own `created_by` (made
/// after the start-up read, so not in the cache): the 409 is read back and updated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflict_on_create_of_our_own_object_reads_and_updates() {
    let e = env("run-409").await;
    let ns = e.ctx.ns.clone();
    let pool = format!("{}--{ns}-gw-b80-gw-TCP-80", e.cluster);
    let run = e.start().await;
    wait_ready(&run, 60).await;
    let _: serde_json::Value = e
        .avi()
        .create(
            "pool",
            &serde_json::json!({"name": pool, "created_by": format!("avigw-{}", e.cluster),
                "servers": [{"ip": {"addr": "192.0.2.1", "type": "V4"}, "port": 1}]}),
            None,
        )
        .await
        .unwrap();
    e.apply(&e.gateway_yaml("gw", &[80], None)).await;
    eventually(30, "Ready", || async {
        let g = e.gateway_json("gw").await?;
        (condition(&g, "Ready")?.get("status")? == "True").then_some(())
    })
    .await;
    // Ready can come before the EndpointSlices are seen; the pool then gets its servers.
    let p = eventually(30, "the pool updated with both endpoints", || async {
        let p = e.object("pool", &pool).await?;
        (p["servers"].as_array()?.len() == 2).then_some(p)
    })
    .await;
    assert_eq!(p["created_by"], format!("avigw-{}", e.cluster));
    assert!(e.sim.stats().count("PUT", "pool") >= 1);
    run.shutdown();
}

/// SPEC §5: a name held by an object that names no creator is never written; the Gateway says
/// which object and why (`Ready=False`, `NameTaken`, a Warning event), and the key is not
/// retried fast.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_held_by_another_creator_is_never_written() {
    let e = env("run-taken").await;
    let ns = e.ctx.ns.clone();
    // A pool with the name avigw will want, made by someone else (no created_by).
    let pool = format!("{}--{ns}-gw-b80-gw-TCP-80", e.cluster);
    let made: serde_json::Value = e
        .avi()
        .create(
            "pool",
            &serde_json::json!({"name": pool, "servers": [{"ip": {"addr": "192.0.2.1", "type": "V4"}, "port": 1}]}),
            None,
        )
        .await
        .unwrap();
    let run = e.start().await;
    e.apply(&e.gateway_yaml("gw", &[80], None)).await;
    let want = format!(
        "Avi object pool/{pool} belongs to another creator (no created_by); avigw does not take it over: rename or remove it on Avi"
    );
    eventually(60, "Ready=False NameTaken", || async {
        let g = e.gateway_json("gw").await?;
        let c = condition(&g, "Ready")?;
        (c["status"] == "False" && c["reason"] == "NameTaken" && c["message"] == want.as_str()).then_some(())
    })
    .await;
    eventually(30, "a NameTaken Warning event", || async {
        let out = e.kubectl(&["get", "events", "-n", &ns, "-o", "json"]).await;
        (out.contains("\"reason\": \"NameTaken\"") && out.contains(&want)).then_some(())
    })
    .await;
    // Settled: no further attempt for a while (slow retry), and the pool was never written.
    let uuid = made["uuid"].as_str().unwrap().to_owned();
    let posts = e.sim.stats().count("POST", "pool");
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    assert_eq!(e.sim.stats().count("POST", "pool"), posts, "no fast retry loop");
    let touched: Vec<_> = e
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && r.path.contains(&uuid))
        .collect();
    assert!(touched.is_empty(), "{touched:?}");
    let p = e.object("pool", &pool).await.unwrap();
    assert_eq!(p["servers"], made["servers"]);
    assert_eq!(p["_last_modified"], made["_last_modified"]);
    run.shutdown();
}

/// With `--services-api=false` the reconciler must neither watch Gateways nor wait for them:
/// here it runs as a user that may not read them (as a chart without the Gateway rules would
/// install it), and must still get ready and serve a LoadBalancer Service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_api_off_never_watches_gateways() {
    let e = env("run-nogw").await;
    let ns = e.ctx.ns.clone();
    let role = format!("avigw-no-gateways-{ns}");
    let rbac = format!(
        "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {role}
rules:
- apiGroups: [\"\"]
  resources: [\"services\", \"namespaces\", \"nodes\", \"pods\"]
  verbs: [\"get\", \"list\", \"watch\"]
- apiGroups: [\"\"]
  resources: [\"services\", \"services/status\"]
  verbs: [\"patch\"]
- apiGroups: [\"discovery.k8s.io\"]
  resources: [\"endpointslices\"]
  verbs: [\"get\", \"list\", \"watch\"]
- apiGroups: [\"ako.vmware.com\"]
  resources: [\"aviinfrasettings\"]
  verbs: [\"get\", \"list\", \"watch\"]
- apiGroups: [\"ako.vmware.com\"]
  resources: [\"aviinfrasettings/status\"]
  verbs: [\"patch\"]
- apiGroups: [\"networking.k8s.io\"]
  resources: [\"ingresses\", \"ingressclasses\"]
  verbs: [\"get\", \"list\", \"watch\"]
- apiGroups: [\"networking.k8s.io\"]
  resources: [\"ingresses/status\"]
  verbs: [\"patch\"]
- apiGroups: [\"\"]
  resources: [\"secrets\"]
  verbs: [\"get\", \"list\", \"watch\"]
- apiGroups: [\"\", \"events.k8s.io\"]
  resources: [\"events\"]
  verbs: [\"create\", \"patch\"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {role}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {role}
subjects:
- kind: ServiceAccount
  name: reconciler
  namespace: {ns}
"
    );
    e.ctx
        .env
        .kubectl_stdin(&["apply", "-f", "-"], &rbac)
        .await
        .expect("kubectl")
        .ok()
        .expect("RBAC without Gateways");
    let client = e
        .ctx
        .env
        .service_account_client(&ns, "reconciler")
        .await
        .expect("client without Gateway rights");
    let mut raw = e.raw();
    raw.services_api = Some(false);
    let run = e.start_as(client, raw, "replica-a").await;
    wait_ready(&run, 30).await;
    e.apply(&lb_yaml("web", "10.50.0.78")).await;
    e.wait_lb_ip("web", "10.50.0.78").await;
    run.shutdown();
}
