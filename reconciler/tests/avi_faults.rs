//! The Avi client against every avisim fault knob.

mod avi_support;

use std::time::{Duration, Instant};

use avi_support::{Env, Recorder};
use avigw_reconciler::avi::{AviClient, AviError, ObjectMeta, RetryPolicy};
use avigw_reconciler::retry::Backoff;
use avisim::FaultPatch;
use avisim::faults::RejectAuth;
use serde_json::{Value, json};

fn faults() -> FaultPatch {
    FaultPatch::default()
}

async fn get(c: &AviClient) -> Result<Value, AviError> {
    c.get_path("/api/systemconfiguration").await
}

#[tokio::test]
async fn latency_within_and_beyond_the_timeout() {
    let env = Env::start().await;
    env.sim.apply_faults(&FaultPatch {
        latency_ms: Some(300),
        ..faults()
    });
    let c = env.client();
    let t = Instant::now();
    get(&c).await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(600),
        "login and call both delayed"
    );

    let mut cfg = env.config();
    cfg.timeout = Duration::from_millis(100);
    cfg.retry.max_retries = 2;
    let rec = Recorder::default();
    let slow = AviClient::with_observer(cfg, rec.hook()).unwrap();
    match slow.login().await.unwrap_err() {
        AviError::Transport {
            timeout, attempts, ..
        } => {
            assert!(timeout);
            assert_eq!(attempts, 3);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(rec.count("POST", "login", "error"), 3);
}

#[tokio::test]
async fn server_errors_are_retried_then_surface() {
    let env = Env::start().await;
    let c = env.client();
    c.login().await.unwrap();
    env.sim.stats().reset();
    env.sim.apply_faults(&FaultPatch {
        error_next: Some(2),
        error_code: Some(502),
        ..faults()
    });
    get(&c).await.unwrap();
    let s = env.sim.stats().snapshot();
    assert_eq!(s["by_code"]["502"], 2);
    assert_eq!(s["by_code"]["200"], 1);

    env.sim.apply_faults(&FaultPatch {
        error_rate: Some(1.0),
        error_code: Some(500),
        ..faults()
    });
    match get(&c).await.unwrap_err() {
        AviError::Unavailable { status, attempts, .. } => {
            assert_eq!(status, 500);
            assert_eq!(attempts, 4, "first try + 3 retries");
        }
        other => panic!("{other:?}"),
    }
    env.sim.reset_faults();
    // A 50% error rate is absorbed by the retry budget almost always; give it a deep one.
    env.sim.apply_faults(&FaultPatch {
        error_rate: Some(0.5),
        ..faults()
    });
    let mut cfg = env.config();
    cfg.retry.max_retries = 12;
    let patient = AviClient::new(cfg).unwrap();
    for _ in 0..5 {
        get(&patient).await.unwrap();
    }
}

#[tokio::test]
async fn rate_limit_429_backs_off() {
    let env = Env::start().await;
    let mut cfg = env.config();
    cfg.retry = RetryPolicy {
        max_retries: 8,
        backoff: Backoff::new(Duration::from_millis(50), Duration::from_millis(1500)),
    };
    let c = AviClient::new(cfg).unwrap();
    c.login().await.unwrap();
    env.sim.apply_faults(&FaultPatch {
        rate_limit_rps: Some(3),
        ..faults()
    });
    let mut tasks = vec![];
    for _ in 0..8 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move { get(&c).await.map(|_| ()) }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let s = env.sim.stats().snapshot();
    assert!(s["by_code"]["429"].as_u64().unwrap_or(0) >= 1, "{s}");
}

#[tokio::test]
async fn expired_session_logs_in_once_more() {
    for code in [419u16, 401] {
        let env = Env::start().await;
        let c = env.client();
        c.login().await.unwrap();
        env.sim.apply_faults(&FaultPatch {
            expire_sessions: Some(code),
            ..faults()
        });
        let p: ObjectMeta = c
            .create("pool", &json!({"name": format!("after-{code}")}), None)
            .await
            .unwrap();
        assert!(p.uuid.starts_with("pool-"));
        assert_eq!(env.sim.stats().count("POST", "login"), 2, "code {code}");
    }
}

#[tokio::test]
async fn still_rejected_after_relogin_is_an_auth_error() {
    let env = Env::start().await;
    let c = env.client();
    c.login().await.unwrap();
    env.sim.apply_faults(&FaultPatch {
        reject_auth_next: Some(RejectAuth { count: 2, code: 401 }),
        ..faults()
    });
    let err = get(&c).await.unwrap_err();
    assert!(matches!(err, AviError::Auth { status: 401, .. }), "{err:?}");
    // Exactly one re-login, no loop.
    assert_eq!(env.sim.stats().count("POST", "login"), 2);
    get(&c).await.unwrap();
}

#[tokio::test]
async fn idle_timeout_expires_sessions() {
    let env = Env::start().await;
    env.sim.apply_faults(&FaultPatch {
        session_idle_timeout_secs: Some(1),
        ..faults()
    });
    let c = env.client();
    get(&c).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1300)).await;
    get(&c).await.unwrap();
    assert_eq!(env.sim.stats().count("POST", "login"), 2);
}

#[tokio::test]
async fn down_window_ridden_out_or_reported() {
    let env = Env::start().await;
    let mut cfg = env.config();
    cfg.retry = RetryPolicy {
        max_retries: 10,
        backoff: Backoff::new(Duration::from_millis(100), Duration::from_millis(300)),
    };
    let patient = AviClient::new(cfg).unwrap();
    patient.login().await.unwrap();
    env.sim.apply_faults(&FaultPatch {
        down_for_secs: Some(0.8),
        ..faults()
    });
    get(&patient).await.unwrap();

    let c = env.client();
    env.sim.apply_faults(&FaultPatch {
        down_for_secs: Some(30.0),
        ..faults()
    });
    match c.login().await.unwrap_err() {
        AviError::Unavailable {
            status: 503,
            attempts: 4,
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    env.sim.apply_faults(&FaultPatch {
        down_for_secs: Some(0.0),
        ..faults()
    });
    get(&c).await.unwrap();
}

#[tokio::test]
async fn after_an_outage_is_found_calls_fail_at_once_until_avi_answers() {
    let env = Env::start().await;
    let c = env.client();
    c.login().await.unwrap();
    env.sim.apply_faults(&FaultPatch {
        down_for_secs: Some(30.0),
        ..faults()
    });
    match get(&c).await.unwrap_err() {
        AviError::Unavailable {
            status: 503,
            attempts: 4,
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    assert!(c.unreachable());
    // Known unreachable: one attempt, without the retry budget's waits.
    match get(&c).await.unwrap_err() {
        AviError::Unavailable {
            status: 503,
            attempts: 1,
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    env.sim.apply_faults(&FaultPatch {
        down_for_secs: Some(0.0),
        ..faults()
    });
    get(&c).await.unwrap();
    assert!(!c.unreachable());
    // Answered again: the full retry budget is back.
    env.sim.stats().reset();
    env.sim.apply_faults(&FaultPatch {
        error_next: Some(2),
        error_code: Some(502),
        ..faults()
    });
    get(&c).await.unwrap();
    assert_eq!(env.sim.stats().snapshot()["by_code"]["502"], 2);
}

#[tokio::test]
async fn upgrade_mode_refuses_writes_only() {
    let env = Env::start().await;
    let c = env.client();
    env.sim.apply_faults(&FaultPatch {
        upgrade_mode: Some(true),
        ..faults()
    });
    get(&c).await.unwrap();
    let err = c
        .create::<_, Value>("pool", &json!({"name": "p"}), None)
        .await
        .unwrap_err();
    assert!(matches!(err, AviError::Forbidden { .. }), "{err:?}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn record_not_found_on_create_is_retried() {
    let env = Env::start().await;
    let c = env.client();
    env.sim.apply_faults(&FaultPatch {
        create_record_not_found: Some(1),
        ..faults()
    });
    let p: ObjectMeta = c.create("pool", &json!({"name": "p"}), None).await.unwrap();
    assert_eq!(p.name, "p");
    let s = env.sim.stats().snapshot();
    let detail = s["detail"].as_array().unwrap();
    let n = |code: u64| {
        detail
            .iter()
            .find(|d| d["method"] == "POST" && d["object"] == "pool" && d["code"] == code)
            .map(|d| d["count"].as_u64().unwrap())
    };
    assert_eq!(n(500), Some(1));
    assert_eq!(n(201), Some(1));
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let env = Env::start().await;
    let mut cfg = env.config();
    // Bind and drop to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    cfg.controller = format!("https://127.0.0.1:{port}");
    cfg.retry.max_retries = 2;
    match AviClient::new(cfg).unwrap().login().await.unwrap_err() {
        AviError::Transport {
            attempts: 3,
            timeout: false,
            ..
        } => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn admin_api_drives_the_same_knobs() {
    // The /_sim HTTP API is what out-of-process users (e2e, demo) use.
    let env = Env::start_with(|c| c.tls = avisim::TlsSource::Plain).await;
    // reqwest is built without a bundled crypto provider; plain HTTP still wants one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let base = env.sim.base_url().to_string();
    let r = http
        .put(format!("{base}/_sim/faults"))
        .json(&json!({"upgrade_mode": true, "latency_ms": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["settings"]["upgrade_mode"], true);
    let mut cfg = env.config();
    cfg.tls = Default::default();
    let c = AviClient::new(cfg).unwrap();
    assert!(matches!(
        c.create::<_, Value>("pool", &json!({"name": "p"}), None).await,
        Err(AviError::Forbidden { .. })
    ));
    http.post(format!("{base}/_sim/faults/reset"))
        .send()
        .await
        .unwrap();
    c.create::<_, Value>("pool", &json!({"name": "p"}), None)
        .await
        .unwrap();
    let objects: Value = http
        .get(format!("{base}/_sim/objects"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(objects["pool"].as_array().unwrap().len(), 1);
    let stats: Value = http
        .get(format!("{base}/_sim/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["by_method_object"]["POST pool"], 2);
    http.delete(format!("{base}/_sim/stats")).send().await.unwrap();
    let stats: Value = http
        .get(format!("{base}/_sim/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["total"], 0);
}

/// A 503 with `Retry-After: 1` is waited out even when the backoff alone would have spent
/// every retry within the outage: the second attempt comes after the second asked for.
#[tokio::test]
async fn retry_after_is_honoured_within_the_cap() {
    let env = Env::start().await;
    let mut cfg = env.config();
    cfg.retry = RetryPolicy {
        max_retries: 3,
        backoff: Backoff::new(Duration::from_millis(10), Duration::from_secs(5)),
    };
    let c = AviClient::new(cfg).unwrap();
    c.login().await.unwrap();
    env.sim.stats().reset();
    env.sim.apply_faults(&FaultPatch {
        down_for_secs: Some(0.5),
        ..faults()
    });
    let t = Instant::now();
    get(&c).await.unwrap();
    assert!(t.elapsed() >= Duration::from_secs(1), "{:?}", t.elapsed());
    let s = env.sim.stats().snapshot();
    assert_eq!(s["by_code"]["503"], 1, "{s}");
    assert_eq!(s["by_code"]["200"], 1, "{s}");

    // A cap below the server's ask wins: the retries run out inside a longer outage.
    let mut cfg = env.config();
    cfg.retry = RetryPolicy {
        max_retries: 2,
        backoff: Backoff::new(Duration::from_millis(10), Duration::from_millis(50)),
    };
    let quick = AviClient::new(cfg).unwrap();
    quick.login().await.unwrap();
    env.sim.apply_faults(&FaultPatch {
        down_for_secs: Some(5.0),
        ..faults()
    });
    match get(&quick).await.unwrap_err() {
        AviError::Unavailable {
            status: 503,
            attempts: 3,
            retry_after,
            ..
        } => assert_eq!(retry_after, Some(Duration::from_secs(1))),
        other => panic!("{other:?}"),
    }
}
