//! The Avi client against avisim (in-process, real HTTPS): every operation.

mod avi_support;

use avi_support::{Env, PASSWORD, Recorder};
use avigw_reconciler::avi::{
    AviClient, AviClientConfig, AviError, Credentials, ListQuery, ObjectMeta, PatchOp, Secret, TlsOptions,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Serialize, Deserialize)]
struct Pool {
    #[serde(skip_serializing_if = "Option::is_none")]
    uuid: Option<String>,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    created_by: Option<String>,
    #[serde(default)]
    servers: Vec<Value>,
    #[serde(default)]
    health_monitor_refs: Vec<String>,
}

fn pool(name: &str) -> Pool {
    Pool {
        uuid: None,
        name: name.into(),
        created_by: Some("avigw-c1".into()),
        servers: vec![json!({"ip": {"addr": "10.1.0.1", "type": "V4"}, "port": 8080})],
        health_monitor_refs: vec!["/api/healthmonitor?name=System-TCP".into()],
    }
}

fn vsvip(name: &str, ip: Option<&str>) -> Value {
    let mut vip = json!({"vip_id": "0", "auto_allocate_ip": true,
        "ipam_network_subnet": {"network_ref": "/api/network?name=vip-net"}});
    if let Some(ip) = ip {
        vip["ip_address"] = json!({"addr": ip, "type": "V4"});
    }
    json!({"name": name, "vip": [vip]})
}

#[tokio::test]
async fn login_with_password_token_and_bad_credentials() {
    let env = Env::start().await;
    let c = env.client();
    c.login().await.unwrap();
    assert_eq!(c.controller_version().as_deref(), Some("22.1.3"));

    let mut cfg = env.config();
    cfg.credentials = Credentials::Token {
        username: "admin".into(),
        token: Secret::new("tok-abc"),
    };
    let t = AviClient::new(cfg).unwrap();
    let _: Value = t.get_path("/api/cluster/status").await.unwrap();

    let mut cfg = env.config();
    cfg.credentials = Credentials::Password {
        username: "admin".into(),
        password: Secret::new("wrong"),
    };
    let bad = AviClient::new(cfg).unwrap();
    let err = bad.login().await.unwrap_err();
    assert!(matches!(err, AviError::Auth { status: 401, .. }), "{err:?}");
    // A failed call never retries a bad password beyond the single attempt.
    assert_eq!(env.sim.stats().count("POST", "login"), 3);
}

#[tokio::test]
async fn crud_on_the_l4_object_graph() {
    let env = Env::start().await;
    let c = env.client();

    let vip: Value = c.create("vsvip", &vsvip("c1--ns-gw", None), None).await.unwrap();
    assert_eq!(vip["vip"][0]["ip_address"]["addr"], "10.50.0.1");
    let vip_uuid = vip["uuid"].as_str().unwrap().to_string();
    assert!(vip_uuid.starts_with("vsvip-"));

    let p: Pool = c
        .create("pool", &pool("c1--ns-svc-gw-TCP-80"), None)
        .await
        .unwrap();
    let pool_uuid = p.uuid.clone().unwrap();
    assert!(p.health_monitor_refs[0].contains("/api/healthmonitor/healthmonitor-"));
    // Refs come back absolute, with #name in create answers.
    assert!(p.health_monitor_refs[0].starts_with(env.sim.base_url()));
    assert!(p.health_monitor_refs[0].ends_with("#System-TCP"));

    let l4: ObjectMeta = c
        .create(
            "l4policyset",
            &json!({"name": "c1--ns-gw", "created_by": "avigw-c1",
                "l4_connection_policy": {"rules": [{"name": "rule-0", "index": 0,
                    "match": {"port": {"match_criteria": "IS_IN", "ports": [80]},
                              "protocol": {"match_criteria": "IS_IN", "protocol": "PROTOCOL_TCP"}},
                    "action": {"select_pool": {"action_type": "L4_RULE_ACTION_SELECT_POOL",
                                               "pool_ref": format!("/api/pool/{pool_uuid}")}}}]}}),
            None,
        )
        .await
        .unwrap();
    let vs: ObjectMeta = c
        .create(
            "virtualservice",
            &json!({"name": "c1--ns-gw", "created_by": "avigw-c1",
                "services": [{"port": 80, "port_range_end": 80}],
                "application_profile_ref": "/api/applicationprofile?name=System-L4-Application",
                "network_profile_ref": "/api/networkprofile?name=System-TCP-Proxy",
                "vsvip_ref": format!("/api/vsvip/{vip_uuid}"),
                "l4_policies": [{"index": 0, "l4_policy_set_ref": format!("/api/l4policyset?name={}", l4.name)}]}),
            None,
        )
        .await
        .unwrap();
    assert!(vs.uuid.starts_with("virtualservice-"));
    assert!(vs.last_modified.is_some());

    // Reads: by uuid, by name, missing.
    let got: Pool = c.get("pool", &pool_uuid, None).await.unwrap();
    assert_eq!(got.name, "c1--ns-svc-gw-TCP-80");
    assert!(!got.health_monitor_refs[0].contains('#'));
    let by_name: Option<ObjectMeta> = c.get_by_name("virtualservice", "c1--ns-gw", None).await.unwrap();
    assert_eq!(by_name.unwrap().uuid, vs.uuid);
    assert!(
        c.get_by_name::<Value>("pool", "nope", None)
            .await
            .unwrap()
            .is_none()
    );
    let err = c
        .get::<Value>("pool", "pool-does-not-exist", None)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let vsvip_read: Value = c.get("vsvip", &vip_uuid, None).await.unwrap();
    assert_eq!(vsvip_read["vs_refs"].as_array().unwrap().len(), 1);

    // 409 on a duplicate name.
    let err = c
        .create::<_, Value>("pool", &pool("c1--ns-svc-gw-TCP-80"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, AviError::Conflict { .. }), "{err:?}");

    // In-use delete.
    let err = c.delete("pool", &pool_uuid, None).await.unwrap_err();
    match &err {
        AviError::InUse { referred_by, .. } => {
            assert_eq!(referred_by, &vec!["L4PolicySet c1--ns-gw".to_string()])
        }
        other => panic!("expected InUse, got {other:?}"),
    }
    let err = c.delete("vsvip", &vip_uuid, None).await.unwrap_err();
    assert!(matches!(err, AviError::InUse { .. }));

    // VIP change refused; re-sending the allocated address is fine.
    let err = c
        .update::<_, Value>("vsvip", &vip_uuid, &vsvip("c1--ns-gw", Some("10.50.0.77")), None)
        .await
        .unwrap_err();
    assert!(matches!(err, AviError::VipChange { .. }), "{err:?}");
    let same: Value = c
        .update("vsvip", &vip_uuid, &vsvip("c1--ns-gw", Some("10.50.0.1")), None)
        .await
        .unwrap();
    assert_eq!(same["vip"][0]["ip_address"]["addr"], "10.50.0.1");

    // PUT with a stale _last_modified: 412.
    let mut body = serde_json::to_value(pool("c1--ns-svc-gw-TCP-80")).unwrap();
    body["_last_modified"] = json!("1");
    let err = c
        .update::<_, Value>("pool", &pool_uuid, &body, None)
        .await
        .unwrap_err();
    assert!(matches!(err, AviError::PreconditionFailed { .. }), "{err:?}");
    // With the current one it lands.
    let current: ObjectMeta = c.get("pool", &pool_uuid, None).await.unwrap();
    body["_last_modified"] = json!(current.last_modified);
    body["servers"] = json!([{"ip": {"addr": "10.1.0.9", "type": "V4"}, "port": 80}]);
    let updated: Pool = c.update("pool", &pool_uuid, &body, None).await.unwrap();
    assert_eq!(updated.servers[0]["ip"]["addr"], "10.1.0.9");

    // PATCH add / replace / delete.
    let add = json!({"servers": [{"ip": {"addr": "10.1.0.10", "type": "V4"}, "port": 80}]});
    let p: Pool = c
        .patch("pool", &pool_uuid, PatchOp::Add, &add, None)
        .await
        .unwrap();
    assert_eq!(p.servers.len(), 2);
    let del = json!({"servers": [{"ip": {"addr": "10.1.0.9"}}]});
    let p: Pool = c
        .patch("pool", &pool_uuid, PatchOp::Delete, &del, None)
        .await
        .unwrap();
    assert_eq!(p.servers.len(), 1);
    let p: Value = c
        .patch(
            "pool",
            &pool_uuid,
            PatchOp::Replace,
            &json!({"enabled": false}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(p["enabled"], false);

    // Delete in reverse order, then 404.
    c.delete("virtualservice", &vs.uuid, None).await.unwrap();
    c.delete("l4policyset", &l4.uuid, None).await.unwrap();
    c.delete("pool", &pool_uuid, None).await.unwrap();
    c.delete("vsvip", &vip_uuid, None).await.unwrap();
    let err = c.delete("pool", &pool_uuid, None).await.unwrap_err();
    assert!(err.is_not_found());
    // The freed VIP is handed out again.
    let again: Value = c.create("vsvip", &vsvip("other", None), None).await.unwrap();
    assert_eq!(again["vip"][0]["ip_address"]["addr"], "10.50.0.1");
}

#[tokio::test]
async fn vip_exhaustion_is_typed() {
    let env = Env::start_with(|c| c.networks = vec!["vip-net=10.60.0.0/30".parse().unwrap()]).await;
    let c = env.client();
    for n in ["a", "b"] {
        c.create::<_, Value>("vsvip", &vsvip(n, None), None)
            .await
            .unwrap();
    }
    let err = c
        .create::<_, Value>("vsvip", &vsvip("c", None), None)
        .await
        .unwrap_err();
    assert!(matches!(err, AviError::NoFreeIps { .. }), "{err:?}");
}

#[tokio::test]
async fn list_pages_by_created_by_and_name_prefix() {
    let env = Env::start().await;
    let c = env.client();
    for i in 0..230 {
        c.create::<_, ObjectMeta>("pool", &pool(&format!("c1--p{i:03}")), None)
            .await
            .unwrap();
    }
    for i in 0..15 {
        let mut p = pool(&format!("c2--p{i:03}"));
        p.created_by = Some("avigw-c2".into());
        c.create::<_, ObjectMeta>("pool", &p, None).await.unwrap();
    }
    env.sim.stats().reset();
    let mine: Vec<ObjectMeta> = c
        .list("pool", &ListQuery::created_by("avigw-c1"), None)
        .await
        .unwrap();
    assert_eq!(mine.len(), 230);
    // 200 per page at most: two pages.
    assert_eq!(env.sim.stats().count("GET", "pool"), 2);
    let prefixed: Vec<ObjectMeta> = c
        .list("pool", &ListQuery::name_prefix("c2--"), None)
        .await
        .unwrap();
    assert_eq!(prefixed.len(), 15);
    let small = ListQuery {
        created_by: Some("avigw-c2".into()),
        page_size: 4,
        fields: vec!["name".into()],
        ..ListQuery::default()
    };
    let page = c.list_page::<Value>("pool", &small, None).await.unwrap();
    assert_eq!(page.count, 15);
    assert_eq!(page.results.len(), 4);
    assert!(page.next.is_some());
    assert!(page.results[0].get("servers").is_none());
    let all: Vec<Value> = c.list("pool", &small, None).await.unwrap();
    assert_eq!(all.len(), 15);
}

#[tokio::test]
async fn tenant_per_call() {
    let env = Env::start().await;
    let c = env.client();
    let t: ObjectMeta = c
        .create("tenant", &json!({"name": "team-a"}), None)
        .await
        .unwrap();
    let p: ObjectMeta = c
        .create("pool", &pool("shared-name"), Some("team-a"))
        .await
        .unwrap();
    assert!(
        c.get_by_name::<Value>("pool", "shared-name", None)
            .await
            .unwrap()
            .is_none()
    );
    let found: Option<ObjectMeta> = c
        .get_by_name("pool", "shared-name", Some("team-a"))
        .await
        .unwrap();
    assert_eq!(found.unwrap().uuid, p.uuid);
    // Same name in another tenant is no conflict.
    c.create::<_, ObjectMeta>("pool", &pool("shared-name"), None)
        .await
        .unwrap();
    let err = c.get::<Value>("pool", &p.uuid, None).await.unwrap_err();
    assert!(err.is_not_found());
    let err = c.delete("tenant", &t.uuid, None).await.unwrap_err();
    assert!(matches!(err, AviError::InUse { .. }), "{err:?}");
    c.delete("pool", &p.uuid, Some("team-a")).await.unwrap();
    c.delete("tenant", &t.uuid, None).await.unwrap();
}

#[tokio::test]
async fn system_endpoints_and_logout() {
    let env = Env::start_with(|c| c.license_tier = avisim::LicenseTier::Essentials).await;
    let c = env.client();
    assert_eq!(c.license_tier().await.unwrap().as_deref(), Some("ESSENTIALS"));
    let status: Value = c.get_path("/api/cluster/status").await.unwrap();
    assert_eq!(status["cluster_state"]["state"], "CLUSTER_UP_NO_HA");
    let init: Value = c.get_path("/api/initial-data").await.unwrap();
    assert_eq!(init["version"]["Version"], "22.1.3");
    let cloud: Option<Value> = c.get_by_name("cloud", "Default-Cloud", None).await.unwrap();
    assert_eq!(cloud.unwrap()["license_tier"], "ESSENTIALS");
    c.logout().await.unwrap();
    // The next call logs in again by itself.
    let _: Value = c.get_path("/api/systemconfiguration").await.unwrap();
    assert_eq!(env.sim.stats().count("POST", "login"), 2);
    assert_eq!(env.sim.stats().count("POST", "logout"), 1);
}

#[tokio::test]
async fn tls_is_verified_against_the_ca_file() {
    let env = Env::start().await;
    // Without the CA (system roots only) the self-signed chain is refused, without retries.
    let mut cfg = env.config();
    cfg.tls = TlsOptions::default();
    let c = AviClient::new(cfg).unwrap();
    let err = c.login().await.unwrap_err();
    match &err {
        AviError::Transport {
            attempts, message, ..
        } => {
            assert_eq!(*attempts, 1, "{message}");
            assert!(message.to_lowercase().contains("certificate"), "{message}");
        }
        other => panic!("expected a TLS failure, got {other:?}"),
    }
    // Another simulator's CA does not vouch for this one.
    let other = Env::start().await;
    let mut cfg = env.config();
    cfg.tls.ca_file = Some(other.ca_file.clone());
    assert!(AviClient::new(cfg).unwrap().login().await.is_err());
    // The explicit insecure switch connects anyway.
    let mut cfg = env.config();
    cfg.tls = TlsOptions {
        ca_file: None,
        insecure_skip_verify: true,
    };
    AviClient::new(cfg).unwrap().login().await.unwrap();
    // A missing CA file is a configuration error.
    let mut cfg = env.config();
    cfg.tls.ca_file = Some("/nonexistent/ca.pem".into());
    assert!(matches!(AviClient::new(cfg), Err(AviError::Config(_))));
}

#[tokio::test]
async fn plain_http_lab_controller() {
    let env = Env::start_with(|c| c.tls = avisim::TlsSource::Plain).await;
    let mut cfg = env.config();
    cfg.tls = TlsOptions::default();
    let c = AviClient::new(cfg).unwrap();
    let p: ObjectMeta = c.create("pool", &pool("plain"), None).await.unwrap();
    c.delete("pool", &p.uuid, None).await.unwrap();
}

#[tokio::test]
async fn credentials_never_in_debug_or_logs() {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let w = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || w.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let env = Env::start().await;
    let cfg = env.config();
    let c = AviClient::new(cfg.clone()).unwrap();
    c.login().await.unwrap();
    env.sim.apply_faults(&avisim::FaultPatch {
        expire_sessions: Some(419),
        ..Default::default()
    });
    let _: Value = c.get_path("/api/systemconfiguration").await.unwrap();
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    for text in [format!("{cfg:?}"), format!("{c:?}"), logs.clone()] {
        assert!(!text.contains(PASSWORD), "password leaked: {text}");
    }
    assert!(logs.contains("logging in again"), "{logs}");
    // Session cookies are credentials too.
    for r in env.sim.requests() {
        assert!(!format!("{r:?}").contains(PASSWORD));
    }
}

#[tokio::test]
async fn metrics_hook_sees_every_attempt() {
    let env = Env::start().await;
    let rec = Recorder::default();
    let c = AviClient::with_observer(env.config(), rec.hook()).unwrap();
    let p: ObjectMeta = c.create("pool", &pool("m"), None).await.unwrap();
    let _ = c.create::<_, Value>("pool", &pool("m"), None).await.unwrap_err();
    c.delete("pool", &p.uuid, None).await.unwrap();
    assert_eq!(rec.count("POST", "login", "200"), 1);
    assert_eq!(rec.count("POST", "pool", "201"), 1);
    assert_eq!(rec.count("POST", "pool", "409"), 1);
    assert_eq!(rec.count("DELETE", "pool", "204"), 1);
}

#[tokio::test]
async fn api_version_is_the_controllers_unless_configured() {
    let env = Env::start().await;
    let c = env.client();
    let _: Value = c.get_path("/api/systemconfiguration").await.unwrap();
    let mut cfg: AviClientConfig = env.config();
    cfg.api_version = Some("20.1.1".into());
    let pinned = AviClient::new(cfg).unwrap();
    let _: Value = pinned.get_path("/api/systemconfiguration").await.unwrap();
    let versions: Vec<String> = env
        .sim
        .requests()
        .iter()
        .filter(|r| r.path == "/api/systemconfiguration")
        .map(|r| r.headers["x-avi-version"].clone())
        .collect();
    assert_eq!(versions, vec!["22.1.3", "20.1.1"]);
}

#[tokio::test]
async fn concurrent_callers_share_one_session() {
    let env = Env::start().await;
    let c = env.client();
    let mut tasks = vec![];
    for i in 0..16 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            c.create::<_, ObjectMeta>("pool", &pool(&format!("conc-{i}")), None)
                .await
                .map(|m| m.uuid)
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(env.sim.stats().count("POST", "login"), 1);
}
