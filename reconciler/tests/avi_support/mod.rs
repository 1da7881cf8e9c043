//! Shared set-up for the Avi client contract tests: an in-process avisim over real HTTPS and a
//! client that trusts its CA file.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use avigw_reconciler::avi::{
    AviClient, AviClientConfig, Credentials, RequestRecord, RetryPolicy, Secret, TlsOptions,
};
use avigw_reconciler::retry::Backoff;
use avisim::{SimConfig, SimHandle};

pub const PASSWORD: &str = "Sim-Pa55word!";

pub struct Env {
    pub sim: SimHandle,
    pub ca_file: PathBuf,
}

impl Env {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(f: impl FnOnce(&mut SimConfig)) -> Self {
        let mut cfg = SimConfig::for_tests(PASSWORD);
        cfg.tokens = vec!["tok-abc".into()];
        f(&mut cfg);
        let sim = avisim::spawn(cfg).await.expect("avisim starts");
        let ca_file = std::env::temp_dir().join(format!(
            "avisim-ca-{}-{}.pem",
            std::process::id(),
            sim.addr().port()
        ));
        if let Some(pem) = sim.ca_pem() {
            std::fs::write(&ca_file, pem).expect("write CA file");
        }
        Self { sim, ca_file }
    }

    /// Fast retries so fault tests finish quickly.
    pub fn config(&self) -> AviClientConfig {
        let mut c = AviClientConfig::new(
            self.sim.base_url(),
            Credentials::Password {
                username: "admin".into(),
                password: Secret::new(PASSWORD),
            },
        );
        c.tls = TlsOptions {
            ca_file: Some(self.ca_file.clone()),
            insecure_skip_verify: false,
        };
        c.timeout = Duration::from_secs(5);
        c.retry = RetryPolicy {
            max_retries: 3,
            backoff: Backoff::new(Duration::from_millis(10), Duration::from_millis(200)),
        };
        c
    }

    pub fn client(&self) -> AviClient {
        AviClient::new(self.config()).expect("client")
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca_file);
    }
}

/// Collects what the metrics hook sees.
#[derive(Default, Clone)]
pub struct Recorder(pub Arc<Mutex<Vec<(String, String, String)>>>);

impl Recorder {
    pub fn hook(&self) -> Arc<dyn avigw_reconciler::avi::RequestObserver> {
        let inner = self.0.clone();
        Arc::new(move |r: &RequestRecord<'_>| {
            inner
                .lock()
                .unwrap()
                .push((r.method.to_string(), r.object.to_string(), r.code()));
        })
    }

    pub fn seen(&self) -> Vec<(String, String, String)> {
        self.0.lock().unwrap().clone()
    }

    pub fn count(&self, method: &str, object: &str, code: &str) -> usize {
        self.seen()
            .iter()
            .filter(|(m, o, c)| m == method && o == object && c == code)
            .count()
    }
}
