//! avisim over raw HTTPS: the protocol rules a client can trip over.

mod support;

use reqwest::Method;
use serde_json::{Value, json};
use support::Sim;

#[tokio::test]
async fn csrf_version_and_referer_are_enforced() {
    let s = Sim::start(|_| {}).await;
    // No CSRF header on a write: the recorded bare-text 401.
    let r = s
        .http
        .post(s.url("/api/pool"))
        .header("Cookie", &s.cookie)
        .header("Referer", s.sim.base_url())
        .header("X-Avi-Version", "22.1.3")
        .json(&json!({"name": "p"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.text().await.unwrap(), "CSRF token missing or incorrect.");
    // Reads need no CSRF token, but a version.
    let r = s
        .http
        .get(s.url("/api/pool"))
        .header("Cookie", &s.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // No session at all.
    let r = s
        .http
        .get(s.url("/api/pool"))
        .header("X-Avi-Version", "22.1.3")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Missing Referer on an HTTPS write.
    let r = s
        .http
        .post(s.url("/api/pool"))
        .header("Cookie", &s.cookie)
        .header("X-CSRFToken", &s.csrf)
        .header("X-Avi-Version", "22.1.3")
        .json(&json!({"name": "p"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Too new an API version.
    let r = s
        .http
        .get(s.url("/api/pool"))
        .header("Cookie", &s.cookie)
        .header("X-Avi-Version", "99.1.1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn login_variants() {
    let s = Sim::start(|c| c.tokens = vec!["tok".into()]).await;
    let login = |body: Value| s.http.post(s.url("/login")).json(&body).send();
    assert_eq!(
        login(json!({"username": "admin", "password": "pw"}))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        login(json!({"username": "admin", "token": "tok"}))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        login(json!({"username": "admin", "password": "no"}))
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        login(json!({"username": "admin", "token": "no"}))
            .await
            .unwrap()
            .status(),
        401
    );
    // Logout kills the session.
    let (st, _) = s.call(Method::POST, "/logout", None).await;
    assert_eq!(st, 200);
    let (st, _) = s.call(Method::GET, "/api/pool", None).await;
    assert_eq!(st, 401);
}

#[tokio::test]
async fn paths_refs_and_queries() {
    let s = Sim::start(|_| {}).await;
    let (st, p) = s
        .call(
            Method::POST,
            "//api/pool/",
            Some(json!({"name": "p1", "created_by": "avigw-x"})),
        )
        .await;
    assert_eq!(st, 201, "{p}");
    let uuid = p["uuid"].as_str().unwrap().to_string();
    assert!(uuid.starts_with("pool-"));
    assert!(p["url"].as_str().unwrap().ends_with("#p1"));
    assert!(p["_last_modified"].is_string());

    // All three ref forms resolve to the same object.
    let base = s.sim.base_url().to_string();
    for (i, r) in [
        "/api/pool?name=p1".to_string(),
        format!("/api/pool/{uuid}"),
        format!("{base}/api/pool/{uuid}#p1"),
    ]
    .iter()
    .enumerate()
    {
        let (st, v) = s
            .call(
                Method::POST,
                "/api/poolgroup",
                Some(json!({"name": format!("pg{i}"), "members": [{"pool_ref": r}]})),
            )
            .await;
        assert_eq!(st, 201, "{v}");
        assert_eq!(v["members"][0]["pool_ref"], format!("{base}/api/pool/{uuid}#p1"));
    }
    let (st, v) = s
        .call(
            Method::POST,
            "/api/poolgroup",
            Some(json!({"name": "bad", "members": [{"pool_ref": "/api/pool?name=nope"}]})),
        )
        .await;
    assert_eq!(st, 400, "{v}");

    // include_name and fields on reads; plain reads have no #name.
    let (_, v) = s.call(Method::GET, "/api/poolgroup?name=pg0", None).await;
    assert_eq!(
        v["results"][0]["members"][0]["pool_ref"],
        format!("{base}/api/pool/{uuid}")
    );
    let (_, v) = s
        .call(Method::GET, "/api/poolgroup?name=pg0&include_name", None)
        .await;
    assert!(
        v["results"][0]["members"][0]["pool_ref"]
            .as_str()
            .unwrap()
            .ends_with("#p1")
    );
    let (_, v) = s
        .call(Method::GET, "/api/pool?fields=name&created_by=avigw-x", None)
        .await;
    assert_eq!(v["count"], 1);
    let keys: Vec<&str> = v["results"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, vec!["name", "url", "uuid"]);
    let (st, _) = s.call(Method::GET, "/api/pool?page_size=201", None).await;
    assert_eq!(st, 400);
    let (st, _) = s.call(Method::GET, &format!("/api/pool/{uuid}/"), None).await;
    assert_eq!(st, 200);

    // Unknown type, read-only seeds, wrong method.
    let (st, _) = s.call(Method::GET, "/api/nosuchthing", None).await;
    assert_eq!(st, 404);
    let (_, cloud) = s.call(Method::GET, "/api/cloud?name=Default-Cloud", None).await;
    let cloud_uuid = cloud["results"][0]["uuid"].as_str().unwrap().to_string();
    let (st, _) = s
        .call(Method::DELETE, &format!("/api/cloud/{cloud_uuid}"), None)
        .await;
    assert_eq!(st, 403);
    let (st, _) = s.call(Method::DELETE, "/api/pool", None).await;
    assert_eq!(st, 405);
}

#[tokio::test]
async fn tenants_and_slug() {
    let s = Sim::start(|_| {}).await;
    let (st, _) = s
        .call(Method::POST, "/api/tenant", Some(json!({"name": "t1"})))
        .await;
    assert_eq!(st, 201);
    let r = s
        .req(Method::POST, "/api/pool")
        .header("X-Avi-Tenant", "t1")
        .header("Slug", "pool-forced-1")
        .json(&json!({"name": "p"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        s.url("/api/pool/pool-forced-1#p")
    );
    let (_, v) = s.call(Method::GET, "/api/pool", None).await;
    assert_eq!(v["count"], 0);
    let v: Value = s
        .req(Method::GET, "/api/pool")
        .header("X-Avi-Tenant", "*")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["count"], 1);
    assert!(
        v["results"][0]["tenant_ref"]
            .as_str()
            .unwrap()
            .contains("/api/tenant/tenant-")
    );
    let r = s
        .req(Method::GET, "/api/pool")
        .header("X-Avi-Tenant", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn l4_policy_shape_is_checked() {
    let s = Sim::start(|_| {}).await;
    s.call(Method::POST, "/api/pool", Some(json!({"name": "p"})))
        .await;
    let rule = |proto: &str| {
        json!({"name": "l4", "l4_connection_policy": {"rules": [{"name": "r", "index": 0,
            "match": {"port": {"match_criteria": "IS_IN", "ports": [53]},
                      "protocol": {"match_criteria": "IS_IN", "protocol": proto}},
            "action": {"select_pool": {"action_type": "L4_RULE_ACTION_SELECT_POOL", "pool_ref": "/api/pool?name=p"}}}]}})
    };
    let (st, v) = s
        .call(Method::POST, "/api/l4policyset", Some(rule("PROTOCOL_UDPX")))
        .await;
    assert_eq!(st, 400, "{v}");
    let (st, v) = s
        .call(Method::POST, "/api/l4policyset", Some(rule("PROTOCOL_UDP")))
        .await;
    assert_eq!(st, 201, "{v}");
    let (st, v) = s
        .call(Method::DELETE, "/api/pool/".to_string().as_str(), None)
        .await;
    assert_eq!(st, 405, "{v}");
}

#[tokio::test]
async fn vsvip_preferred_ip_and_release() {
    let s = Sim::start(|c| c.networks = vec!["n1=10.70.0.0/29".parse().unwrap()]).await;
    let vip = |name: &str, ip: Option<&str>| {
        let mut v = json!({"vip_id": "0", "auto_allocate_ip": true,
            "ipam_network_subnet": {"network_ref": "/api/network?name=n1",
                "subnet": {"ip_addr": {"addr": "10.70.0.0", "type": "V4"}, "mask": 29}}});
        if let Some(ip) = ip {
            v["ip_address"] = json!({"addr": ip, "type": "V4"});
        }
        json!({"name": name, "vip": [v]})
    };
    let (st, a) = s
        .call(Method::POST, "/api/vsvip", Some(vip("a", Some("10.70.0.5"))))
        .await;
    assert_eq!(st, 201, "{a}");
    assert_eq!(a["vip"][0]["ip_address"]["addr"], "10.70.0.5");
    let (st, _) = s
        .call(Method::POST, "/api/vsvip", Some(vip("b", Some("10.70.0.5"))))
        .await;
    assert_eq!(st, 400);
    let (st, _) = s
        .call(Method::POST, "/api/vsvip", Some(vip("c", Some("10.99.0.5"))))
        .await;
    assert_eq!(st, 400);
    let uuid = a["uuid"].as_str().unwrap();
    let (st, v) = s
        .call(
            Method::PUT,
            &format!("/api/vsvip/{uuid}"),
            Some(vip("a", Some("10.70.0.6"))),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(
        v["error"],
        "If a new preferred IP is needed, please recreate the VIP"
    );
    let (st, _) = s.call(Method::DELETE, &format!("/api/vsvip/{uuid}"), None).await;
    assert_eq!(st, 204);
    let (st, _) = s
        .call(Method::POST, "/api/vsvip", Some(vip("b", Some("10.70.0.5"))))
        .await;
    assert_eq!(st, 201);
}

#[tokio::test]
async fn upgrade_mode_refuses_writes_with_the_controller_text() {
    let s = Sim::start(|_| {}).await;
    s.sim.apply_faults(&avisim::FaultPatch {
        upgrade_mode: Some(true),
        ..Default::default()
    });
    let (st, v) = s
        .call(Method::POST, "/api/pool", Some(json!({"name": "p"})))
        .await;
    assert_eq!(st, 403);
    // AKO retries on this text (its ConfigDisallowedDuringUpgradeError).
    assert_eq!(v["error"], "Configuration is disallowed during upgrade");
    let (st, _) = s.call(Method::GET, "/api/pool", None).await;
    assert_eq!(st, 200);
}

#[tokio::test]
async fn l4_rule_indexes_are_required_and_unique() {
    let s = Sim::start(|_| {}).await;
    s.create("pool", json!({"name": "p"})).await;
    let rule = |index: Value| {
        json!({"name": "r", "index": index,
               "action": {"select_pool": {"action_type": "L4_RULE_ACTION_SELECT_POOL",
                                          "pool_ref": "/api/pool?name=p"}}})
    };
    let set = |rules: Value| json!({"name": "l4", "l4_connection_policy": {"rules": rules}});
    for (rules, text) in [
        (
            json!([rule(json!(0)), rule(json!(0))]),
            "l4_connection_policy.rules[1].index: duplicate index 0",
        ),
        (
            json!([rule(Value::Null)]),
            "l4_connection_policy.rules[0].index: This field is required.",
        ),
    ] {
        let got = s.error(Method::POST, "/api/l4policyset", Some(set(rules))).await;
        assert_eq!(got, (400, text.to_string()));
    }
    s.create("l4policyset", set(json!([rule(json!(0)), rule(json!(1))])))
        .await;
}
