//! The one retry policy: capped exponential backoff with jitter (on `backon`), a server's
//! `Retry-After` honoured within the cap. The Avi client's per-call retries, the work queue's
//! per-key requeues, the start-up sync and the watch reconnects all pace themselves with it;
//! they differ only in base and cap.

use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};

/// Retry number n waits a random time in `[d/2, d)`, `d = min(base·2ⁿ, cap)`: growing, never
/// above the cap, and spread out so that many clients or keys failing together do not retry
/// in lock step. A `Retry-After` longer than that wins, up to the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    pub const fn new(base: Duration, cap: Duration) -> Self {
        Backoff { base, cap }
    }

    /// The policy as a `backon` builder, retrying forever (bound it with `with_max_times`).
    /// backon's jitter adds up to the delay again, so the builder runs at half the delays.
    pub fn builder(&self) -> ExponentialBuilder {
        ExponentialBuilder::new()
            .with_min_delay(self.base / 2)
            .with_max_delay(self.cap / 2)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times()
    }

    /// The wait before retry number `retry` (0-based), honouring `retry_after`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        // Past 2⁴⁰ the cap has long been reached; stepping further only costs time.
        let steps = usize::try_from(retry.min(40)).unwrap_or(40);
        let d = self.builder().build().nth(steps).unwrap_or(self.cap);
        self.honour(d, retry_after)
    }

    /// A backoff delay, or the server's `Retry-After` when that is longer (up to the cap: a
    /// server asking for an hour must not park a key for an hour).
    pub fn honour(&self, delay: Duration, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(ra) => delay.max(ra.min(self.cap)),
            None => delay,
        }
    }
}

/// A `Retry-After` header value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn grows_within_half_and_whole_of_the_capped_delay() {
        let b = Backoff::new(100 * MS, 1000 * MS);
        for retry in 0..50 {
            let whole = (100 * MS).saturating_mul(1 << retry.min(20)).min(1000 * MS);
            for _ in 0..20 {
                let d = b.delay(retry, None);
                assert!(
                    d >= whole / 2 && d <= whole,
                    "retry {retry}: {d:?} outside [{:?}, {whole:?}]",
                    whole / 2
                );
            }
        }
    }

    #[test]
    fn jitter_spreads_the_delays() {
        let b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        let delays: std::collections::BTreeSet<Duration> = (0..20).map(|_| b.delay(3, None)).collect();
        assert!(delays.len() > 10, "{delays:?}");
    }

    #[test]
    fn retry_after_wins_when_longer_up_to_the_cap() {
        let b = Backoff::new(10 * MS, Duration::from_secs(5));
        assert_eq!(b.delay(0, Some(Duration::from_secs(1))), Duration::from_secs(1));
        assert_eq!(b.delay(0, Some(Duration::from_secs(60))), Duration::from_secs(5));
        // A shorter Retry-After does not cut a longer backoff.
        let slow = Backoff::new(Duration::from_secs(30), Duration::from_secs(600));
        assert!(slow.delay(0, Some(Duration::from_secs(1))) >= Duration::from_secs(15));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        // 2015-10-21T07:28:00Z is 1_445_412_480; two minutes later:
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }
}
