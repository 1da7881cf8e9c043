//! The ops port over real HTTP: routes, content type, readiness, binding and stopping.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use avigw_ops::{METRICS_CONTENT_TYPE, Probes, serve};

struct Fake {
    ready: AtomicBool,
}

impl Probes for Fake {
    fn metrics(&self) -> String {
        "# TYPE fake_total counter\nfake_total 3\n".into()
    }
    fn readiness(&self) -> Result<(), String> {
        if self.ready.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err("caches not synced".into())
        }
    }
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn get(c: &reqwest::Client, addr: SocketAddr, path: &str) -> (u16, Option<String>, String) {
    let r = c.get(format!("http://{addr}{path}")).send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned());
    (status, ct, r.text().await.unwrap())
}

fn localhost() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let fake = Arc::new(Fake {
        ready: AtomicBool::new(false),
    });
    let s = serve(localhost(), fake).await.unwrap();
    assert_ne!(s.local_addr().port(), 0, "port 0 must pick a port");
    let (status, ct, body) = get(&client(), s.local_addr(), "/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(ct.as_deref(), Some(METRICS_CONTENT_TYPE));
    assert_eq!(METRICS_CONTENT_TYPE, "text/plain; version=0.0.4");
    assert_eq!(body, "# TYPE fake_total counter\nfake_total 3\n");
    s.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn readiness_follows_the_probe_and_health_does_not() {
    let fake = Arc::new(Fake {
        ready: AtomicBool::new(false),
    });
    let s = serve(localhost(), fake.clone()).await.unwrap();
    let c = client();
    assert_eq!(
        get(&c, s.local_addr(), "/readyz").await,
        (
            503,
            Some("text/plain; charset=utf-8".into()),
            "caches not synced".into()
        )
    );
    assert_eq!(get(&c, s.local_addr(), "/healthz").await.0, 200);
    fake.ready.store(true, Ordering::SeqCst);
    assert_eq!(get(&c, s.local_addr(), "/readyz").await.2, "ok");
    assert_eq!(get(&c, s.local_addr(), "/readyz").await.0, 200);
    fake.ready.store(false, Ordering::SeqCst);
    assert_eq!(get(&c, s.local_addr(), "/readyz").await.0, 503);
    assert_eq!(get(&c, s.local_addr(), "/nope").await.0, 404);
    s.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_taken_port_is_an_error_and_a_stopped_server_closes_its_port() {
    let fake = Arc::new(Fake {
        ready: AtomicBool::new(true),
    });
    let s = serve(localhost(), fake.clone()).await.unwrap();
    let addr = s.local_addr();
    let taken = serve(addr, fake.clone())
        .await
        .err()
        .expect("second bind must fail");
    assert_eq!(taken.kind(), std::io::ErrorKind::AddrInUse);

    s.shutdown(Duration::from_secs(5)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "port still open"
    );

    // Serving for the life of a task: aborting the task closes the port.
    let s = serve(localhost(), fake).await.unwrap();
    let addr = s.local_addr();
    let task = s.into_task();
    assert_eq!(get(&client(), addr, "/healthz").await.0, 200);
    task.abort();
    let _ = task.await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "port still open"
    );
}
