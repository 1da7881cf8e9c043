//! `run` against a real apiserver and avisim: the best-case Gateway end to end, deletion with
//! the finalizer, a restart that makes no Avi write, and garbage collection at start.

mod run_support;

use std::time::Duration;

use run_support::{condition, env, eventually};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_best_case_then_delete() {
    let e = env("run-best").await;
    let ns = e.ctx.ns.clone();
    let run = e.start().await;
    e.apply(&e.gateway_yaml("gw", &[80, 8081], None)).await;

    let vs_name = format!("{}--{ns}-gw", e.cluster);
    let gw = eventually(30, "Gateway Ready", || async {
        let g = e.gateway_json("gw").await?;
        (condition(&g, "Ready")?.get("status")? == "True").then_some(g)
    })
    .await;
    let vip = gw
        .pointer("/status/addresses/0/value")
        .and_then(Value::as_str)
        .expect("VIP in status");
    assert!(vip.starts_with("10.50.0."), "VIP from the avisim network: {vip}");
    assert_eq!(condition(&gw, "Scheduled").unwrap()["status"], "True");
    assert_eq!(condition(&gw, "Ready").unwrap()["reason"], "Ready");
    assert!(condition(&gw, "Ready").unwrap()["observedGeneration"].is_i64());
    let fin = gw.pointer("/metadata/finalizers").cloned().unwrap_or(json!([]));
    assert_eq!(
        fin,
        json!([format!("gateway.ako.vmware.com/avigw-{}-cleanup", e.cluster)])
    );

    // Avi objects with the SPEC §3 names and fields.
    assert_eq!(e.names("virtualservice").await, vec![vs_name.clone()]);
    assert_eq!(e.names("vsvip").await, vec![vs_name.clone()]);
    assert_eq!(e.names("l4policyset").await, vec![vs_name.clone()]);
    assert_eq!(
        e.names("pool").await,
        vec![
            format!("{}--{ns}-gw-b80-gw-TCP-80", e.cluster),
            format!("{}--{ns}-gw-b8081-gw-TCP-8081", e.cluster)
        ]
    );
    let vs = e.object("virtualservice", &vs_name).await.unwrap();
    assert_eq!(vs["created_by"], format!("avigw-{}", e.cluster));
    let ports: Vec<i64> = vs["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["port"].as_i64().unwrap())
        .collect();
    assert_eq!(ports, vec![80, 8081]);
    let pool = e
        .object("pool", &format!("{}--{ns}-gw-b80-gw-TCP-80", e.cluster))
        .await
        .unwrap();
    assert_eq!(pool["servers"].as_array().unwrap().len(), 2);

    // ClusterIP backends: the apiserver allows no load-balancer status on them, so none is
    // written (the VIP is on the Gateway).
    let svc = e.service_json("gw-b80").await;
    assert!(svc.pointer("/status/loadBalancer/ingress").is_none());

    // Events.
    let events = eventually(20, "Synced event", || async {
        let out = e.kubectl(&["get", "events", "-n", &ns, "-o", "json"]).await;
        out.contains("Added virtualservice").then_some(out)
    })
    .await;
    assert!(
        events.contains(&format!("Added virtualservice {vs_name} for gw")),
        "{events}"
    );
    eventually(20, "backend Synced event", || async {
        let out = e.kubectl(&["get", "events", "-n", &ns, "-o", "json"]).await;
        out.contains(&format!("Added virtualservice {vs_name} for gw-b80"))
            .then_some(())
    })
    .await;

    // Metrics.
    let body = reqwest_get(&format!("http://{}/metrics", run.metrics_addr)).await;
    assert!(body.contains("avigw_reconcile_total"), "{body}");
    assert!(body.contains("avigw_avi_requests_total{code=\"201\""), "{body}");
    assert!(
        body.contains("avigw_managed_objects{object=\"pool\"} 2"),
        "{body}"
    );
    assert!(body.contains("avigw_leader 1"), "{body}");

    // An endpoint change is one pool update.
    assert!(run.wait_idle(Duration::from_secs(20)).await);
    let before = e.writes();
    e.ctx
        .env
        .kubectl(&[
            "patch", "endpointslice", "gw-b80-x", "-n", &ns, "--type=json", "-p",
            r#"[{"op":"add","path":"/endpoints/-","value":{"addresses":["10.1.0.9"],"conditions":{"ready":true}}}]"#,
        ])
        .await
        .unwrap()
        .ok()
        .unwrap();
    eventually(20, "pool has 3 servers", || async {
        let p = e
            .object("pool", &format!("{}--{ns}-gw-b80-gw-TCP-80", e.cluster))
            .await?;
        (p["servers"].as_array()?.len() == 3).then_some(())
    })
    .await;
    assert!(run.wait_idle(Duration::from_secs(20)).await);
    assert_eq!(e.writes() - before, 1, "one endpoint change = one Avi call");

    // Deletion: Avi objects go, then the finalizer is released and the Gateway disappears.
    e.kubectl(&["delete", "gateway", "gw", "-n", &ns, "--wait=false"])
        .await;
    eventually(30, "Gateway gone", || async {
        e.gateway_json("gw").await.is_none().then_some(())
    })
    .await;
    for k in ["virtualservice", "vsvip", "l4policyset", "pool"] {
        assert!(e.names(k).await.is_empty(), "{k} left on Avi");
    }
    run.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_makes_no_avi_writes_and_collects_garbage() {
    let e = env("run-restart").await;
    let ns = e.ctx.ns.clone();
    let run = e.start().await;
    e.apply(&e.gateway_yaml("gw", &[80, 8081], None)).await;
    eventually(30, "Gateway Ready", || async {
        let g = e.gateway_json("gw").await?;
        (condition(&g, "Ready")?.get("status")? == "True").then_some(())
    })
    .await;
    assert!(run.wait_idle(Duration::from_secs(20)).await);
    run.shutdown();

    // Left by "an earlier run": a whole key's objects for a Gateway that no longer exists,
    // and a lone VsVip.
    let avi = e.avi();
    let vip_net = "/api/network?name=vip-net";
    let ghost = format!("{}--{ns}-ghost", e.cluster);
    let _: Value = avi
        .create(
            "vsvip",
            &json!({"name": ghost, "markers": [{"key": "clustername", "values": [e.cluster]}],
                "vip": [{"vip_id": "0", "auto_allocate_ip": true, "ipam_network_subnet": {"network_ref": vip_net}}]}),
            None,
        )
        .await
        .unwrap();
    let _: Value = avi
        .create(
            "virtualservice",
            &json!({"name": ghost, "created_by": format!("avigw-{}", e.cluster),
                "vsvip_ref": format!("/api/vsvip?name={ghost}"),
                "services": [{"port": 99}],
                "markers": [{"key": "clustername", "values": [e.cluster]}, {"key": "Namespace", "values": [ns]}, {"key": "GatewayName", "values": ["ghost"]}]}),
            None,
        )
        .await
        .unwrap();
    let lone = format!("{}--{ns}-lone", e.cluster);
    let _: Value = avi
        .create(
            "vsvip",
            &json!({"name": lone, "markers": [{"key": "clustername", "values": [e.cluster]}],
                "vip": [{"vip_id": "0", "auto_allocate_ip": true, "ipam_network_subnet": {"network_ref": vip_net}}]}),
            None,
        )
        .await
        .unwrap();
    // Someone else's object with our prefix but no marker: never touched.
    let foreign = format!("{}--{ns}-foreign", e.cluster);
    let _: Value = avi
        .create(
            "vsvip",
            &json!({"name": foreign,
                "vip": [{"vip_id": "0", "auto_allocate_ip": true, "ipam_network_subnet": {"network_ref": vip_net}}]}),
            None,
        )
        .await
        .unwrap();

    e.sim.stats().reset();
    let run = e.start_with(e.raw(), "replica-b").await;
    assert!(run.wait_idle(Duration::from_secs(30)).await);
    let vs_name = format!("{}--{ns}-gw", e.cluster);
    assert_eq!(e.names("virtualservice").await, vec![vs_name.clone()]);
    let mut want_vips = vec![foreign.clone(), vs_name.clone()];
    want_vips.sort();
    assert_eq!(e.names("vsvip").await, want_vips);
    // Exactly the garbage went: VS ghost, VsVip ghost, VsVip lone.
    assert_eq!(
        e.writes(),
        3,
        "only garbage collection writes: {}",
        e.sim.stats().snapshot()
    );
    assert_eq!(e.sim.stats().count("DELETE", "virtualservice"), 1);
    assert_eq!(e.sim.stats().count("DELETE", "vsvip"), 2);

    // And a no-op resync after that: nothing, on Avi nor on the Gateway.
    e.sim.stats().reset();
    run.shutdown();
    let rv = |g: Option<Value>| g.and_then(|g| g.pointer("/metadata/resourceVersion").cloned());
    let before = rv(e.gateway_json("gw").await);
    let run = e.start_with(e.raw(), "replica-c").await;
    assert!(run.wait_idle(Duration::from_secs(30)).await);
    assert_eq!(
        rv(e.gateway_json("gw").await),
        before,
        "Gateway rewritten on a no-op restart"
    );
    assert_eq!(
        e.writes(),
        0,
        "restart with everything in place: {}",
        e.sim.stats().snapshot()
    );
    run.shutdown();
}

async fn reqwest_get(url: &str) -> String {
    let out = tokio::process::Command::new("curl")
        .args(["-s", url])
        .output()
        .await
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Status PATCHes on Services, all codes, as the apiserver counts them.
async fn service_status_patches(e: &run_support::Env) -> u64 {
    let out = e.kubectl(&["get", "--raw", "/metrics"]).await;
    out.lines()
        .filter(|l| l.starts_with("apiserver_request_total{"))
        .filter(|l| {
            l.contains("resource=\"services\"")
                && l.contains("subresource=\"status\"")
                && l.contains("verb=\"PATCH\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// Kubernetes ≥ 1.29 refuses `status.loadBalancer` on Services that are not LoadBalancers, so
/// a Gateway's ClusterIP and NodePort backends get no ingress (the VIP is on the Gateway):
/// nothing may even try to write it, or every sync would be a refused call and a retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_backends_get_no_status_writes() {
    let e = env("run-backends").await;
    let ns = e.ctx.ns.clone();
    let run = e.start().await;
    assert!(run.wait_idle(Duration::from_secs(20)).await);
    let before = service_status_patches(&e).await;
    e.apply(&e.gateway_yaml("gw", &[80, 81], None)).await;
    e.kubectl(&[
        "patch",
        "service",
        "gw-b81",
        "-n",
        &ns,
        "-p",
        r#"{"spec":{"type":"NodePort"}}"#,
    ])
    .await;
    eventually(30, "Gateway Ready", || async {
        let g = e.gateway_json("gw").await?;
        (condition(&g, "Ready")?.get("status")? == "True").then_some(())
    })
    .await;
    eventually(30, "both pools with their backends", || async {
        let p80 = e
            .object("pool", &format!("{}--{ns}-gw-b80-gw-TCP-80", e.cluster))
            .await?;
        let p81 = e
            .object("pool", &format!("{}--{ns}-gw-b81-gw-TCP-81", e.cluster))
            .await?;
        (p80["servers"].as_array()?.len() == 2 && p81["servers"].as_array()?.len() == 2).then_some(())
    })
    .await;
    let idle = run.wait_idle(Duration::from_secs(20)).await;
    assert_eq!(
        service_status_patches(&e).await,
        before,
        "status PATCHes on the Gateway's backend Services"
    );
    assert!(idle, "keys still busy");
    for svc in ["gw-b80", "gw-b81"] {
        let s = e.service_json(svc).await;
        assert!(s.pointer("/status/loadBalancer/ingress").is_none(), "{s}");
    }
    run.shutdown();
}

/// Two installs (different cluster names, disjoint namespaces) in one cluster: each holds its
/// own finalizer, so one never releases a Gateway the other still has objects of on Avi; and
/// objects that carry the finalizer of earlier releases are moved to the install's own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_installs_keep_to_their_own_finalizers() {
    let mut e = env("run-2inst").await;
    let ns_a = e.ctx.ns.clone();
    let ns_b = e
        .ctx
        .env
        .create_namespace(&e.ctx.client, "run-2inst-b")
        .await
        .expect("second namespace");
    e.kubectl(&["label", "namespace", &ns_b, &format!("avigw-test={ns_b}")])
        .await;
    // Cluster names at the edges of ^[a-zA-Z0-9_-]{1,32}$: the finalizer name must stay valid.
    let base = e.cluster.clone();
    let cluster_a = format!("-{base}_");
    let cluster_b = format!("_{base}-");
    let fin_a = format!("gateway.ako.vmware.com/avigw-{cluster_a}-cleanup");
    let fin_b = format!("gateway.ako.vmware.com/avigw-{cluster_b}-cleanup");
    const LEGACY: &str = "gateway.ako.vmware.com/cleanup";
    e.cluster = cluster_a.clone();
    let raw_a = e.raw();
    let mut raw_b = e.raw();
    raw_b.cluster_name = Some(cluster_b.clone());
    raw_b.scope.namespace_selector = Some(format!("avigw-test={ns_b}"));
    let a = e.start_with(raw_a.clone(), "install-a").await;
    let b = e.start_with(raw_b, "install-b").await;
    let finalizers = |ns: String, name: &'static str| {
        let e = &e;
        async move {
            let out = e
                .ctx
                .env
                .kubectl(&["get", "gateway", name, "-n", &ns, "-o", "json"])
                .await
                .ok()?;
            if !out.success() {
                return None;
            }
            let g: Value = serde_json::from_str(&out.stdout).ok()?;
            Some(g.pointer("/metadata/finalizers").cloned().unwrap_or(json!([])))
        }
    };

    e.apply(&e.gateway_yaml("gw", &[80], None)).await;
    eventually(30, "Gateway Ready", || async {
        let g = e.gateway_json("gw").await?;
        (condition(&g, "Ready")?.get("status")? == "True").then_some(())
    })
    .await;
    let vs = format!("{cluster_a}--{ns_a}-gw");
    assert_eq!(e.names("virtualservice").await, vec![vs.clone()]);

    // Install A stops; the Gateway is deleted. B must not release A's finalizer: the Gateway
    // stays (Terminating) and A's objects stay on Avi until A is back to delete them.
    a.shutdown();
    e.kubectl(&["delete", "gateway", "gw", "-n", &ns_a, "--wait=false"])
        .await;
    stays_held(
        &finalizers,
        &ns_a,
        "gw",
        json!([fin_a]),
        "install B released install A's Gateway",
    )
    .await;
    assert_eq!(e.names("virtualservice").await, vec![vs.clone()]);
    let a = e.start_with(raw_a.clone(), "install-a").await;
    eventually(30, "Gateway gone once A cleaned up", || async {
        finalizers(ns_a.clone(), "gw").await.is_none().then_some(())
    })
    .await;
    assert!(e.names("virtualservice").await.is_empty());

    // Gateways that carry the finalizer of earlier releases: each install moves its own to
    // its scoped finalizer, and leaves the other's alone.
    let legacy = |y: String| {
        y.replacen(
            "metadata:\n",
            &format!("metadata:\n  finalizers: [\"{LEGACY}\"]\n"),
            1,
        )
    };
    e.apply(&legacy(e.gateway_yaml("old", &[82], None))).await;
    let yaml_b = legacy(e.gateway_yaml("old", &[83], None)).replace(
        &format!("gateway-namespace: {ns_a}"),
        &format!("gateway-namespace: {ns_b}"),
    );
    e.ctx
        .env
        .kubectl_stdin(&["apply", "-n", &ns_b, "-f", "-"], &yaml_b)
        .await
        .expect("kubectl")
        .ok()
        .expect("apply in the second namespace");
    eventually(30, "A's old Gateway moved to A's finalizer", || async {
        (finalizers(ns_a.clone(), "old").await? == json!([fin_a])).then_some(())
    })
    .await;
    eventually(30, "B's old Gateway moved to B's finalizer", || async {
        (finalizers(ns_b.clone(), "old").await? == json!([fin_b])).then_some(())
    })
    .await;

    // An old release's Gateway deleted while A is down (as during an upgrade): B leaves the
    // old finalizer alone; A, which holds its Avi objects, deletes them and releases it.
    eventually(30, "A's old Gateway on Avi", || async {
        e.names("virtualservice")
            .await
            .contains(&format!("{cluster_a}--{ns_a}-old"))
            .then_some(())
    })
    .await;
    assert!(a.wait_idle(Duration::from_secs(20)).await);
    a.shutdown();
    e.kubectl(&[
        "patch",
        "gateway",
        "old",
        "-n",
        &ns_a,
        "--type=json",
        "-p",
        &format!(r#"[{{"op":"replace","path":"/metadata/finalizers","value":["{LEGACY}"]}}]"#),
    ])
    .await;
    e.kubectl(&["delete", "gateway", "old", "-n", &ns_a, "--wait=false"])
        .await;
    stays_held(
        &finalizers,
        &ns_a,
        "old",
        json!([LEGACY]),
        "install B released a Gateway it never served",
    )
    .await;
    let a = e.start_with(raw_a, "install-a").await;
    eventually(30, "old Gateway gone once A cleaned up", || async {
        finalizers(ns_a.clone(), "old").await.is_none().then_some(())
    })
    .await;
    assert!(e.names("virtualservice").await.is_empty());
    a.shutdown();
    b.shutdown();
}

/// Checks for five seconds that a deleted Gateway keeps exactly `held` (a release would let it
/// go within a poll or two).
async fn stays_held<F, Fut>(finalizers: &F, ns: &str, name: &'static str, held: Value, what: &str)
where
    F: Fn(String, &'static str) -> Fut,
    Fut: std::future::Future<Output = Option<Value>>,
{
    for _ in 0..25 {
        assert_eq!(
            finalizers(ns.to_owned(), name).await,
            Some(held.clone()),
            "{what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
