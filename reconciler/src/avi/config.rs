//! Client settings.

use std::path::PathBuf;
use std::time::Duration;

use super::secret::Secret;
use crate::retry::Backoff;

#[derive(Clone, Debug)]
pub enum Credentials {
    Password { username: String, password: Secret },
    Token { username: String, token: Secret },
}

impl Credentials {
    pub fn username(&self) -> &str {
        match self {
            Credentials::Password { username, .. } | Credentials::Token { username, .. } => username,
        }
    }
}

/// How the controller's certificate is checked.
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    /// Trust only the CA(s) in this PEM file.
    pub ca_file: Option<PathBuf>,
    /// Skip verification entirely (labs only; logged loudly).
    pub insecure_skip_verify: bool,
}

/// How one call is retried on 429, 5xx, timeouts and connection errors.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = no retries).
    pub max_retries: u32,
    pub backoff: Backoff,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 5,
            backoff: Backoff::new(Duration::from_millis(200), Duration::from_secs(10)),
        }
    }
}

#[derive(Clone, Debug)]
pub struct AviClientConfig {
    /// `https://controller[:port]`.
    pub controller: String,
    pub credentials: Credentials,
    /// `X-Avi-Version`; the controller's own version (from login) when unset.
    pub api_version: Option<String>,
    /// Tenant used when a call names none.
    pub tenant: String,
    pub tls: TlsOptions,
    /// Whole-request timeout (a timeout is retried like a 5xx).
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: RetryPolicy,
    /// Idle keep-alive connections kept per host.
    pub pool_max_idle_per_host: usize,
}

impl AviClientConfig {
    pub fn new(controller: impl Into<String>, credentials: Credentials) -> Self {
        Self {
            controller: controller.into(),
            credentials,
            api_version: None,
            tenant: "admin".into(),
            tls: TlsOptions::default(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            pool_max_idle_per_host: 32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_credentials() {
        let c = AviClientConfig::new(
            "https://ctl",
            Credentials::Password {
                username: "admin".into(),
                password: Secret::new("topsecret"),
            },
        );
        let d = format!("{c:?}");
        assert!(!d.contains("topsecret"));
        assert!(d.contains("admin"));
        let t = Credentials::Token {
            username: "admin".into(),
            token: Secret::new("tok-123"),
        };
        assert!(!format!("{t:?}").contains("tok-123"));
    }
}
