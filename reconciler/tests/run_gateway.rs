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
    assert_eq!(fin, json!(["gateway.ako.vmware.com/cleanup"]));

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
