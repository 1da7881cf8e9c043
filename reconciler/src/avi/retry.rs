//! Backoff delays: capped exponential, full jitter, and a server's `Retry-After` honoured
//! (within the cap).

use std::time::Duration;

use rand::Rng;

use super::config::RetryPolicy;

/// Delay before retry number `retry` (0-based).
pub fn backoff(p: &RetryPolicy, retry: u32, retry_after: Option<Duration>) -> Duration {
    let exp = p
        .initial_backoff
        .saturating_mul(2u32.saturating_pow(retry.min(30)));
    let cap = exp.min(p.max_backoff);
    // Full jitter spreads a burst of clients instead of having them retry in lock step.
    let jittered = if cap.is_zero() {
        cap
    } else {
        Duration::from_nanos(rand::rng().random_range(0..=cap.as_nanos() as u64))
    };
    match retry_after {
        Some(ra) => jittered.max(ra.min(p.max_backoff)),
        None => jittered,
    }
}

/// Statuses worth retrying: throttling and server-side failures.
pub fn retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_growing() {
        let p = RetryPolicy {
            max_retries: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        };
        for r in 0..20 {
            assert!(backoff(&p, r, None) <= Duration::from_secs(1));
        }
        assert!(backoff(&p, 0, None) <= Duration::from_millis(100));
        assert_eq!(
            backoff(&p, 0, Some(Duration::from_secs(30))),
            Duration::from_secs(1)
        );
        assert!(retryable_status(429) && retryable_status(503) && !retryable_status(409));
    }
}
