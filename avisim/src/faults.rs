//! Fault knobs: latency, random 5xx, rate limiting (429), a down window (503), upgrade mode
//! (403 on writes), and `500 record not found` on create. Session expiry lives in
//! [`crate::session`] because it acts on sessions.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultSettings {
    /// Added to every `/api` and `/login` request before it is handled.
    pub latency_ms: u64,
    /// Probability (0..=1) that a request is answered with `error_code`.
    pub error_rate: f64,
    /// The 5xx code for `error_rate` and `error_next` (500 when unset).
    pub error_code: Option<u16>,
    /// Deterministic variant of `error_rate`: the next N requests fail.
    pub error_next: u32,
    /// Above this many requests in one second, answer 429.
    pub rate_limit_rps: Option<u32>,
    /// Reject writes with 403 as a controller being upgraded does.
    pub upgrade_mode: bool,
    /// The next N creates answer `500 {"error": "record not found"}`.
    pub create_record_not_found: u32,
}

/// A partial update for `PUT /_sim/faults`: only the given fields change.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultPatch {
    pub latency_ms: Option<u64>,
    pub error_rate: Option<f64>,
    pub error_code: Option<u16>,
    pub error_next: Option<u32>,
    /// `0` clears the limit.
    pub rate_limit_rps: Option<u32>,
    pub upgrade_mode: Option<bool>,
    pub create_record_not_found: Option<u32>,
    /// Answer 503 to everything for this many seconds from now (0 ends a window).
    pub down_for_secs: Option<f64>,
    /// Drop every live session; requests still carrying them get this code (401 or 419).
    pub expire_sessions: Option<u16>,
    /// The next `count` session-authenticated requests answer `code` (401 or 419).
    pub reject_auth_next: Option<RejectAuth>,
    /// Idle timeout for sessions, in seconds.
    pub session_idle_timeout_secs: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RejectAuth {
    pub count: u32,
    pub code: u16,
}

/// What the fault layer decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    Down,
    RateLimited,
    ServerError(u16),
}

#[derive(Debug)]
struct Window {
    started: Instant,
    count: u32,
}

#[derive(Debug)]
pub struct Faults {
    settings: Mutex<FaultSettings>,
    down_until: Mutex<Option<Instant>>,
    window: Mutex<Window>,
}

impl Faults {
    pub fn new(initial: FaultSettings) -> Self {
        Self {
            settings: Mutex::new(initial),
            down_until: Mutex::new(None),
            window: Mutex::new(Window {
                started: Instant::now(),
                count: 0,
            }),
        }
    }

    pub fn settings(&self) -> FaultSettings {
        lock(&self.settings).clone()
    }

    pub fn down_remaining(&self) -> Option<Duration> {
        let until = (*lock(&self.down_until))?;
        until.checked_duration_since(Instant::now())
    }

    /// Applies the plain knobs of a patch (session knobs are applied by the caller).
    pub fn apply(&self, p: &FaultPatch) {
        let mut s = lock(&self.settings);
        if let Some(v) = p.latency_ms {
            s.latency_ms = v;
        }
        if let Some(v) = p.error_rate {
            s.error_rate = v.clamp(0.0, 1.0);
        }
        if let Some(v) = p.error_code {
            s.error_code = Some(v);
        }
        if let Some(v) = p.error_next {
            s.error_next = v;
        }
        if let Some(v) = p.rate_limit_rps {
            s.rate_limit_rps = (v > 0).then_some(v);
        }
        if let Some(v) = p.upgrade_mode {
            s.upgrade_mode = v;
        }
        if let Some(v) = p.create_record_not_found {
            s.create_record_not_found = v;
        }
        drop(s);
        if let Some(secs) = p.down_for_secs {
            self.set_down(Duration::from_secs_f64(secs.max(0.0)));
        }
    }

    pub fn set_down(&self, d: Duration) {
        *lock(&self.down_until) = (!d.is_zero()).then(|| Instant::now() + d);
    }

    pub fn reset(&self) {
        *lock(&self.settings) = FaultSettings::default();
        *lock(&self.down_until) = None;
    }

    /// Latency to add, and whether to answer with an injected failure instead of handling.
    pub fn before_request(&self) -> (Duration, Option<Injected>) {
        if self.down_remaining().is_some() {
            return (Duration::ZERO, Some(Injected::Down));
        }
        let mut s = lock(&self.settings);
        let latency = Duration::from_millis(s.latency_ms);
        if let Some(limit) = s.rate_limit_rps {
            let mut w = lock(&self.window);
            if w.started.elapsed() >= Duration::from_secs(1) {
                w.started = Instant::now();
                w.count = 0;
            }
            w.count += 1;
            if w.count > limit {
                return (latency, Some(Injected::RateLimited));
            }
        }
        let code = s.error_code.unwrap_or(500);
        if s.error_next > 0 {
            s.error_next -= 1;
            return (latency, Some(Injected::ServerError(code)));
        }
        if s.error_rate > 0.0 && rand::rng().random_bool(s.error_rate.clamp(0.0, 1.0)) {
            return (latency, Some(Injected::ServerError(code)));
        }
        (latency, None)
    }

    pub fn upgrade_mode(&self) -> bool {
        lock(&self.settings).upgrade_mode
    }

    /// Consumes one `create_record_not_found` if armed.
    pub fn take_record_not_found(&self) -> bool {
        let mut s = lock(&self.settings);
        if s.create_record_not_found > 0 {
            s.create_record_not_found -= 1;
            true
        } else {
            false
        }
    }
}

/// A poisoned lock only means another request panicked mid-update of a counter; the data is
/// still usable, so carry on rather than take the whole simulator down.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_next_is_deterministic() {
        let f = Faults::new(FaultSettings {
            error_next: 2,
            error_code: Some(503),
            ..Default::default()
        });
        assert_eq!(f.before_request().1, Some(Injected::ServerError(503)));
        assert_eq!(f.before_request().1, Some(Injected::ServerError(503)));
        assert_eq!(f.before_request().1, None);
    }

    #[test]
    fn rate_limit_counts_per_second() {
        let f = Faults::new(FaultSettings {
            rate_limit_rps: Some(3),
            ..Default::default()
        });
        let hits: Vec<_> = (0..5).map(|_| f.before_request().1).collect();
        assert_eq!(hits.iter().filter(|h| h.is_none()).count(), 3);
        assert_eq!(hits[4], Some(Injected::RateLimited));
    }

    #[test]
    fn down_window() {
        let f = Faults::new(FaultSettings::default());
        f.apply(&FaultPatch {
            down_for_secs: Some(30.0),
            ..Default::default()
        });
        assert_eq!(f.before_request().1, Some(Injected::Down));
        f.apply(&FaultPatch {
            down_for_secs: Some(0.0),
            ..Default::default()
        });
        assert_eq!(f.before_request().1, None);
    }
}
