//! An in-process avisim and an HTTPS client logged in through the recorded session/CSRF flow.

#![allow(dead_code)]

use std::sync::Arc;

use avisim::{SimConfig, SimHandle};
use rcgen::{CertificateParams, DnType, KeyPair};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Test keys made once with openssl (`tests/fixtures`); certificates are made at test time.
pub const RSA_A_PKCS8: &str = include_str!("../fixtures/rsa-a.pkcs8.pem");
pub const RSA_A_PKCS1: &str = include_str!("../fixtures/rsa-a.pkcs1.pem");
pub const RSA_A_ENCRYPTED: &str = include_str!("../fixtures/rsa-a.encrypted.pem");
pub const RSA_B_PKCS8: &str = include_str!("../fixtures/rsa-b.pkcs8.pem");
pub const EC_P256_SEC1: &str = include_str!("../fixtures/ec-p256.sec1.pem");
pub const EC_P256_PKCS8: &str = include_str!("../fixtures/ec-p256.pkcs8.pem");
pub const ED25519_PKCS8: &str = include_str!("../fixtures/ed25519.pkcs8.pem");

/// A self-signed certificate for `host` on the key `key_pem` (PKCS#8), signed by rcgen.
pub fn cert_for(key_pem: &str, host: &str) -> String {
    let key = KeyPair::from_pem(key_pem).unwrap();
    let mut params = CertificateParams::new(vec![host.to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, host);
    params.self_signed(&key).unwrap().pem()
}

pub struct Sim {
    pub sim: SimHandle,
    pub http: reqwest::Client,
    pub csrf: String,
    pub cookie: String,
}

pub fn http_client(ca_pem: &str) -> reqwest::Client {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(cfg)
        .build()
        .unwrap()
}

impl Sim {
    pub async fn start(f: impl FnOnce(&mut SimConfig)) -> Self {
        let mut cfg = SimConfig::for_tests("pw");
        f(&mut cfg);
        let sim = avisim::spawn(cfg).await.unwrap();
        let http = http_client(sim.ca_pem().unwrap());
        let r = http
            .post(format!("{}/login", sim.base_url()))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("username=admin&password=pw")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let mut csrf = String::new();
        let mut parts = vec![];
        for v in r.headers().get_all("set-cookie") {
            let nv = v.to_str().unwrap().split(';').next().unwrap().to_string();
            if let Some(t) = nv.strip_prefix("csrftoken=") {
                csrf = t.to_string();
            }
            parts.push(nv);
        }
        Self {
            cookie: parts.join("; "),
            sim,
            http,
            csrf,
        }
    }

    pub fn url(&self, p: &str) -> String {
        format!("{}{p}", self.sim.base_url())
    }

    pub fn req(&self, m: Method, p: &str) -> reqwest::RequestBuilder {
        self.http
            .request(m, self.url(p))
            .header("Cookie", &self.cookie)
            .header("X-CSRFToken", &self.csrf)
            .header("Referer", self.sim.base_url())
            .header("X-Avi-Version", "22.1.3")
            .header("Content-Type", "application/json")
    }

    pub async fn call(&self, m: Method, p: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut rb = self.req(m, p);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let s = r.status();
        let t = r.text().await.unwrap();
        (s, serde_json::from_str(&t).unwrap_or(Value::String(t)))
    }

    /// POSTs `body` to `/api/<kind>`, expecting 201; returns the answer.
    pub async fn create(&self, kind: &str, body: Value) -> Value {
        let (st, v) = self.call(Method::POST, &format!("/api/{kind}"), Some(body)).await;
        assert_eq!(st, 201, "creating {kind}: {v}");
        v
    }

    /// Status and `error` text of a call expected to fail.
    pub async fn error(&self, m: Method, path: &str, body: Option<Value>) -> (u16, String) {
        let (st, v) = self.call(m, path, body).await;
        assert!(!st.is_success(), "{path} should fail: {v}");
        let text = v["error"].as_str().map_or_else(|| v.to_string(), str::to_string);
        (st.as_u16(), text)
    }

    /// The one object of `kind` named `name`, as a read returns it.
    pub async fn get_by_name(&self, kind: &str, name: &str) -> Value {
        let (st, v) = self
            .call(Method::GET, &format!("/api/{kind}?name={name}"), None)
            .await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["count"], 1, "{kind} {name}: {v}");
        v["results"][0].clone()
    }
}
