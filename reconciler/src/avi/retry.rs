//! Per-call retries: one HTTP exchange is repeated, paced by the crate's retry policy
//! ([`crate::retry::Backoff`] through backon), while it fails in a way that may pass — a
//! timeout, a connection failure, 429 or 5xx (with their `Retry-After` honoured). Every other
//! answer is the caller's to judge.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use backon::Retryable;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, RequestBuilder};

use super::client::AviClient;
use crate::retry::parse_retry_after;

/// An answer, whatever its status.
pub(super) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(&self.headers)
    }
}

/// An attempt that may pass when repeated (or, for `Transport` with `retryable: false`, not).
enum Failed {
    /// No usable answer: timeout, connection failure, a body cut off.
    Transport { error: reqwest::Error, retryable: bool },
    /// 429 or 5xx.
    Busy(Reply),
}

impl Failed {
    fn retryable(&self) -> bool {
        match self {
            Failed::Transport { retryable, .. } => *retryable,
            Failed::Busy(_) => true,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Failed::Busy(r) => r.retry_after(),
            Failed::Transport { .. } => None,
        }
    }
}

/// Statuses worth retrying: throttling and server-side failures.
pub fn retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

fn retry_after(h: &HeaderMap) -> Option<Duration> {
    parse_retry_after(h.get(RETRY_AFTER)?.to_str().ok()?, SystemTime::now())
}

impl AviClient {
    /// Sends `request()` until it answers something other than 429/5xx, fails for good, or the
    /// retries run out. Answers the last reply (429/5xx included when retries ran out) or
    /// transport error, and the number of attempts made. With `keep_cookies`, every answer's
    /// `Set-Cookie` goes into the session (the login sets the session itself).
    ///
    /// Once a call has run out of retries this way, Avi is taken as unreachable and later calls
    /// make a single attempt until one is answered: during an outage each key then fails at
    /// once and waits for Avi to answer again, instead of every worker spending the whole
    /// retry budget on every key in turn.
    pub(super) async fn exchange(
        &self,
        method: &Method,
        object: &str,
        keep_cookies: bool,
        request: impl Fn() -> RequestBuilder,
    ) -> (Result<Reply, reqwest::Error>, u32) {
        let policy = &self.config().retry;
        let retries = if self.unreachable() { 0 } else { policy.max_retries };
        let attempts = AtomicU32::new(0);
        let result = (|| {
            let (attempts, request) = (&attempts, &request);
            async move {
                let attempt = attempts.fetch_add(1, Ordering::Relaxed);
                self.attempt(method, object, keep_cookies, request(), attempt)
                    .await
            }
        })
        .retry(
            policy
                .backoff
                .builder()
                .with_max_times(usize::try_from(retries).unwrap_or(usize::MAX)),
        )
        .when(Failed::retryable)
        .adjust(|f, delay| delay.map(|d| policy.backoff.honour(d, f.retry_after())))
        .notify(|f, wait| match f {
            Failed::Busy(r) => {
                tracing::debug!(%method, object, status = r.status, ?wait, "Avi busy; retrying")
            }
            Failed::Transport { error, .. } => {
                tracing::debug!(%method, object, error = %error, ?wait, "Avi call failed; retrying")
            }
        })
        .await;
        let attempts = attempts.load(Ordering::Relaxed);
        match &result {
            Ok(_) => self.set_unreachable(false),
            Err(f) if f.retryable() => self.set_unreachable(true),
            // A certificate refused: Avi's reachability is not what failed.
            Err(_) => {}
        }
        match result {
            Ok(reply) | Err(Failed::Busy(reply)) => (Ok(reply), attempts),
            Err(Failed::Transport { error, .. }) => (Err(error), attempts),
        }
    }

    /// One HTTP attempt, seen by the request observer.
    async fn attempt(
        &self,
        method: &Method,
        object: &str,
        keep_cookies: bool,
        request: RequestBuilder,
        attempt: u32,
    ) -> Result<Reply, Failed> {
        let started = Instant::now();
        let resp = match request.send().await {
            Ok(r) => r,
            Err(error) => {
                self.observe(method, object, None, started.elapsed(), attempt);
                return Err(Failed::Transport {
                    retryable: transient(&error),
                    error,
                });
            }
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if keep_cookies {
            self.keep_cookies(&headers);
        }
        match resp.bytes().await {
            Ok(body) => {
                self.observe(method, object, Some(status), started.elapsed(), attempt);
                let reply = Reply {
                    status,
                    headers,
                    body: body.to_vec(),
                };
                if retryable_status(status) {
                    Err(Failed::Busy(reply))
                } else {
                    Ok(reply)
                }
            }
            Err(error) => {
                self.observe(method, object, None, started.elapsed(), attempt);
                Err(Failed::Transport {
                    error,
                    retryable: true,
                })
            }
        }
    }
}

/// Timeouts and connection-level failures are worth another try; a certificate the client
/// does not trust is not (it will not start being trusted a second later).
fn transient(e: &reqwest::Error) -> bool {
    if bad_certificate(e) {
        return false;
    }
    e.is_timeout() || e.is_connect() || e.is_request() || e.is_body()
}

fn bad_certificate(e: &reqwest::Error) -> bool {
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        // io::Error hides its payload from source(); look inside explicitly.
        let inner = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|i| i as &(dyn std::error::Error + 'static));
        for candidate in [Some(s), inner].into_iter().flatten() {
            if let Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented) =
                candidate.downcast_ref::<rustls::Error>()
            {
                return true;
            }
        }
        // Wrappers in between (hyper-util's connect error) may not expose the rustls error
        // type; its message is stable.
        if s.to_string().contains("invalid peer certificate") {
            return true;
        }
        src = s.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        assert!(retryable_status(429) && retryable_status(503) && retryable_status(500));
        assert!(!retryable_status(409) && !retryable_status(400) && !retryable_status(401));
    }

    #[test]
    fn retry_after_header() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
    }
}
