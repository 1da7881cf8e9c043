//! The webhook over real TLS on loopback: admission, limits, probes, metrics, cert rotation.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use avigw_webhook::metrics::Metrics;
use avigw_webhook::server::{self, AppState, Readiness, Running};
use avigw_webhook::tls::{self, ReloadingResolver};
use avigw_webhook::view::StaticView;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{Value, json};

struct Cert {
    pem: String,
    key: String,
    der: CertificateDer<'static>,
}

fn make_cert() -> Cert {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    Cert {
        pem: ck.cert.pem(),
        key: ck.signing_key.serialize_pem(),
        der: ck.cert.der().clone(),
    }
}

fn client_config(
    roots: &[&CertificateDer<'static>],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> rustls::ClientConfig {
    let mut store = rustls::RootCertStore::empty();
    for r in roots {
        store.add((*r).clone()).unwrap();
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth()
}

fn http(roots: &[&CertificateDer<'static>]) -> reqwest::Client {
    reqwest::Client::builder()
        .use_preconfigured_tls(client_config(roots, rustls::ALL_VERSIONS))
        .build()
        .unwrap()
}

struct Harness {
    running: Running,
    readiness: Arc<Readiness>,
    resolver: Arc<ReloadingResolver>,
    metrics: Arc<Metrics>,
}

async fn start(cert: &Cert) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tls.crt"), &cert.pem).unwrap();
    std::fs::write(dir.path().join("tls.key"), &cert.key).unwrap();
    let loaded = tls::load_files(&dir.path().join("tls.crt"), &dir.path().join("tls.key")).unwrap();
    let metrics = Arc::new(Metrics::new().unwrap());
    metrics.cert_expiry.set(loaded.not_after as f64);
    let resolver = ReloadingResolver::new(loaded.key);
    let readiness = Arc::new(Readiness::default());
    readiness.set_cert_loaded();
    let mut view = StaticView::default();
    view.add_class(serde_json::from_value(json!({"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "GatewayClass", "metadata": {"name": "avi"}, "spec": {"controller": "ako.vmware.com/avi-lb"}})).unwrap());
    let state = AppState {
        view: Arc::new(view),
        scope: Default::default(),
        metrics: metrics.clone(),
        readiness: readiness.clone(),
    };
    let running = server::start(
        "127.0.0.1:0".parse().unwrap(),
        "127.0.0.1:0".parse().unwrap(),
        tls::server_config(resolver.clone()).unwrap(),
        state,
    )
    .await
    .unwrap();
    Harness {
        running,
        readiness,
        resolver,
        metrics,
    }
}

fn review_body(listeners: Value) -> Value {
    json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": "u-1", "kind": {"group": "networking.x-k8s.io", "version": "v1alpha1", "kind": "Gateway"},
            "resource": {"group": "networking.x-k8s.io", "version": "v1alpha1", "resource": "gateways"},
            "namespace": "blue", "name": "gw", "operation": "CREATE", "userInfo": {},
            "object": {"apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "Gateway", "metadata": {"name": "gw", "namespace": "blue"}, "spec": {"gatewayClassName": "avi", "listeners": listeners}}
        }
    })
}

#[tokio::test]
async fn admission_over_tls_with_limits_probes_and_metrics() {
    let cert = make_cert();
    let h = start(&cert).await;
    let base = format!("https://localhost:{}", h.running.admission_addr.port());
    let ops = format!("http://{}", h.running.ops_addr);
    let c = http(&[&cert.der]);

    // Not ready until the cluster view has synced.
    let plain = http(&[&cert.der]);
    assert_eq!(
        plain.get(format!("{ops}/readyz")).send().await.unwrap().status(),
        503
    );
    h.readiness.set_view_synced();
    assert_eq!(
        plain.get(format!("{ops}/readyz")).send().await.unwrap().status(),
        200
    );
    assert_eq!(
        plain.get(format!("{ops}/healthz")).send().await.unwrap().status(),
        200
    );

    let denied: Value = c
        .post(format!("{base}/validate"))
        .json(&review_body(json!([{"protocol": "HTTP", "port": 80}])))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(denied["response"]["uid"], "u-1");
    assert_eq!(denied["response"]["allowed"], false);
    assert_eq!(denied["response"]["status"]["code"], 422);

    let mutated: Value = c
        .post(format!("{base}/mutate"))
        .json(&review_body(json!([{"protocol": "tcp", "port": 80}])))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mutated["response"]["allowed"], true);
    assert_eq!(mutated["response"]["patchType"], "JSONPatch");

    let bad = c
        .post(format!("{base}/validate"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(
        bad.text()
            .await
            .unwrap()
            .starts_with("request body is not an admission.k8s.io/v1 AdmissionReview")
    );

    let huge = vec![b' '; server::MAX_BODY_BYTES + 1];
    let r = c
        .post(format!("{base}/validate"))
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(
        r.text().await.unwrap(),
        "admission request body over 3145728 bytes (3 MiB) refused"
    );

    let empty = c
        .post(format!("{base}/validate"))
        .json(&json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 400);
    assert_eq!(empty.text().await.unwrap(), "AdmissionReview has no request");

    // A body cut short: the client says 100 bytes, sends 3 and closes.
    {
        use tokio::io::AsyncWriteExt;
        let connector =
            tokio_rustls::TlsConnector::from(Arc::new(client_config(&[&cert.der], rustls::ALL_VERSIONS)));
        let tcp = tokio::net::TcpStream::connect(h.running.admission_addr)
            .await
            .unwrap();
        let mut tls = connector
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        tls.write_all(b"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nabc")
            .await
            .unwrap();
        tls.shutdown().await.unwrap();
    }

    // Exactly 3 MiB of padding inside a valid review still fits.
    let mut body = serde_json::to_vec(&review_body(json!([{"protocol": "TCP", "port": 80}]))).unwrap();
    body.pop();
    body.extend(std::iter::repeat_n(b' ', server::MAX_BODY_BYTES - body.len() - 1));
    body.push(b'}');
    assert_eq!(
        c.post(format!("{base}/validate"))
            .body(body)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Plain HTTP on the admission port is not served.
    let plaintext = plain
        .post(format!("http://{}/validate", h.running.admission_addr))
        .body("{}")
        .send()
        .await;
    assert!(!plaintext.map(|r| r.status().is_success()).unwrap_or(false));

    // The cut-short body is read (and fails) on the server's own time: wait for its count.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let text = loop {
        let text = plain
            .get(format!("{ops}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if text.contains(r#"error="unreadable_body""#) || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(text.contains(r#"avigw_admission_requests_total{allowed="false",kind="Gateway",mutated="false",operation="CREATE"} 1"#), "{text}");
    assert!(text.contains(r#"avigw_admission_requests_total{allowed="true",kind="Gateway",mutated="true",operation="CREATE"} 1"#), "{text}");
    assert!(
        text.contains(r#"avigw_admission_denials_total{kind="Gateway",rule="GW-LISTENER-PROTOCOL"} 1"#),
        "{text}"
    );
    assert!(text.contains("avigw_admission_duration_seconds_bucket{kind=\"Gateway\""));
    // Requests answered before their kind is read: counted by cause, under kind "Unknown", and
    // nowhere else.
    for cause in ["undecodable", "too_large", "no_request", "unreadable_body"] {
        let line = format!(r#"avigw_admission_errors_total{{error="{cause}",kind="Unknown"}} 1"#);
        assert!(text.contains(&line), "{line} in\n{text}");
    }
    assert!(!text.contains(r#"kind="Unknown",mutated"#), "{text}");
    assert!(!text.contains(r#"avigw_admission_duration_seconds_count{kind="Unknown"}"#));
    assert!(text.contains("avigw_webhook_certificate_expiry_timestamp_seconds "));
    h.running.shutdown(Duration::from_secs(1)).await;
}

async fn served_cert(
    addr: std::net::SocketAddr,
    roots: &[&CertificateDer<'static>],
    version: &'static rustls::SupportedProtocolVersion,
) -> std::io::Result<CertificateDer<'static>> {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config(roots, &[version])));
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await?;
    Ok(tls.get_ref().1.peer_certificates().unwrap()[0].clone())
}

/// A Gateway whose defaults cannot be written as a patch (its JSON holds a number no JSON tree
/// holds, in a field the typed decode skips): the apiserver gets an error answer, and the
/// error is counted.
#[tokio::test]
async fn a_defaults_patch_that_cannot_be_built_is_answered_and_counted() {
    let cert = make_cert();
    let h = start(&cert).await;
    let base = format!("https://localhost:{}", h.running.admission_addr.port());
    let body = serde_json::to_string(&review_body(json!([{"protocol": "tcp", "port": 80}])))
        .unwrap()
        .replacen(r#""port":80"#, r#""port":80,"futureField":1e400"#, 1);
    let c = http(&[&cert.der]);
    let answer: Value = c
        .post(format!("{base}/mutate"))
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["response"]["allowed"], false, "{answer}");
    assert_eq!(answer["response"]["status"]["code"], 500);
    let text = c
        .get(format!("http://{}/metrics", h.running.ops_addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(r#"avigw_admission_errors_total{error="patch",kind="Gateway"} 1"#),
        "{text}"
    );
    h.running.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn tls12_and_tls13_only() {
    let cert = make_cert();
    let h = start(&cert).await;
    for v in [&rustls::version::TLS12, &rustls::version::TLS13] {
        assert_eq!(
            served_cert(h.running.admission_addr, &[&cert.der], v)
                .await
                .unwrap(),
            cert.der
        );
    }
    // rustls cannot even offer TLS 1.1 or older, so the server has nothing older to accept:
    // the config is built with exactly TLS 1.3 and 1.2.
    assert_eq!(rustls::ALL_VERSIONS.len(), 2);
    h.running.shutdown(Duration::from_secs(1)).await;
}

/// Writes `cert` the way kubelet projects a Secret: files are symlinks into `..data`, itself a
/// symlink to a timestamped directory that is swapped atomically.
fn kubelet_write(dir: &Path, generation: u32, cert: &Cert) {
    let ts = dir.join(format!("..2026_11_22_{generation}"));
    std::fs::create_dir(&ts).unwrap();
    std::fs::write(ts.join("tls.crt"), &cert.pem).unwrap();
    std::fs::write(ts.join("tls.key"), &cert.key).unwrap();
    let tmp = dir.join("..data_tmp");
    std::os::unix::fs::symlink(ts.file_name().unwrap(), &tmp).unwrap();
    std::fs::rename(&tmp, dir.join("..data")).unwrap();
    for f in ["tls.crt", "tls.key"] {
        if !dir.join(f).exists() {
            std::os::unix::fs::symlink(format!("..data/{f}"), dir.join(f)).unwrap();
        }
    }
}

#[tokio::test]
async fn certificate_rotation_by_symlink_swap_fails_no_request() {
    let first = make_cert();
    let second = make_cert();
    let dir = tempfile::tempdir().unwrap();
    kubelet_write(dir.path(), 1, &first);
    let h = start(&first).await;
    h.readiness.set_view_synced();
    let loaded = tls::load_files(&dir.path().join("tls.crt"), &dir.path().join("tls.key")).unwrap();
    h.resolver.swap(loaded.key);
    tokio::spawn(tls::watch_files(
        h.resolver.clone(),
        dir.path().join("tls.crt"),
        dir.path().join("tls.key"),
        Duration::from_millis(100),
        h.metrics.clone(),
    ));
    let addr = h.running.admission_addr;
    // Clients that trust both certs hammer the server across the rotation.
    let load = tokio::spawn({
        let (a, b) = (first.der.clone(), second.der.clone());
        async move {
            let mut failures = 0;
            let mut ok = 0;
            for _ in 0..60 {
                let c = http(&[&a, &b]);
                match c
                    .post(format!("https://localhost:{}/validate", addr.port()))
                    .json(&review_body(json!([{"protocol": "TCP", "port": 80}])))
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 200 => ok += 1,
                    _ => failures += 1,
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            (ok, failures)
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    kubelet_write(dir.path(), 2, &second);
    let mut rotated = false;
    for _ in 0..50 {
        if served_cert(addr, &[&first.der, &second.der], &rustls::version::TLS13)
            .await
            .unwrap()
            == second.der
        {
            rotated = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(rotated, "the new certificate was never served");
    let (ok, failures) = load.await.unwrap();
    assert_eq!(
        failures, 0,
        "{ok} requests succeeded, {failures} failed during rotation"
    );
    assert_eq!(h.metrics.cert_reloads.get(), 1);
    // A half-written or mismatched pair is not picked up: keep serving the current cert.
    let third = make_cert();
    std::fs::write(dir.path().join("..data").join("tls.crt"), &third.pem).unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        served_cert(
            addr,
            &[&first.der, &second.der, &third.der],
            &rustls::version::TLS13
        )
        .await
        .unwrap(),
        second.der
    );
    assert_eq!(h.metrics.cert_reloads.get(), 1);
    h.running.shutdown(Duration::from_secs(1)).await;
}

#[test]
fn bad_cert_files_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = tls::load_files(&dir.path().join("nope.crt"), &dir.path().join("nope.key"))
        .err()
        .unwrap();
    assert!(
        missing
            .to_string()
            .starts_with(&format!("reading {}", dir.path().join("nope.crt").display()))
    );
    std::fs::write(dir.path().join("empty.crt"), "").unwrap();
    std::fs::write(dir.path().join("k.key"), make_cert().key).unwrap();
    let e = tls::load_files(&dir.path().join("empty.crt"), &dir.path().join("k.key"))
        .err()
        .unwrap();
    assert!(e.to_string().ends_with("no PEM certificate found"), "{e}");
    std::fs::write(dir.path().join("a.crt"), make_cert().pem).unwrap();
    let e = tls::load_files(&dir.path().join("a.crt"), &dir.path().join("k.key"))
        .err()
        .unwrap();
    assert!(
        e.to_string()
            .starts_with("certificate and key do not belong together"),
        "{e}"
    );
}
