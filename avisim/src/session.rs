//! Login sessions: ids, CSRF tokens, idle expiry, forced expiry (fault knob) and the
//! `Set-Cookie` values the recorded controller sends.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use rand::Rng;
use rand::distr::Alphanumeric;

use crate::faults::lock;
use crate::timefmt::cookie_expires;

pub const SESSION_COOKIE: &str = "avi-sessionid";
pub const DJANGO_SESSION_COOKIE: &str = "sessionid";
pub const CSRF_COOKIE: &str = "csrftoken";
/// Session cookie lifetime in the recordings (a day); idle expiry is enforced separately.
const SESSION_MAX_AGE: u64 = 86_400;
/// CSRF cookie lifetime in the recordings (52 weeks).
const CSRF_MAX_AGE: u64 = 31_449_600;

#[derive(Debug)]
pub struct Session {
    pub id: String,
    pub csrf: String,
    pub username: String,
    /// Milliseconds since [`Sessions::epoch`] of the last use.
    last_seen: AtomicU64,
}

/// What a presented session id turned out to be.
#[derive(Debug, Clone)]
pub enum Lookup {
    Valid(Arc<Session>),
    /// Killed by the `expire_sessions` knob: answer with this code.
    Expired(u16),
    /// Unknown, logged out, or idle too long.
    Unknown,
}

#[derive(Debug)]
pub struct Sessions {
    live: RwLock<HashMap<String, Arc<Session>>>,
    expired: RwLock<HashMap<String, u16>>,
    idle_ms: AtomicU64,
    epoch: Instant,
    reject_next: Mutex<Option<(u32, u16)>>,
}

fn random_token(len: usize, lowercase: bool) -> String {
    let s: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect();
    if lowercase { s.to_ascii_lowercase() } else { s }
}

/// Django accepts only alphanumeric CSRF tokens of 32 (or masked 64) characters; anything else
/// (the recorded `csrftoken=invalid`) is treated as missing.
pub fn csrf_token_well_formed(t: &str) -> bool {
    (t.len() == 32 || t.len() == 64) && t.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl Sessions {
    pub fn new(idle: Duration) -> Self {
        Self {
            live: RwLock::new(HashMap::new()),
            expired: RwLock::new(HashMap::new()),
            idle_ms: AtomicU64::new(idle.as_millis() as u64),
            epoch: Instant::now(),
            reject_next: Mutex::new(None),
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.idle_ms.load(Ordering::Relaxed))
    }

    pub fn set_idle_timeout(&self, d: Duration) {
        self.idle_ms.store(d.as_millis() as u64, Ordering::Relaxed);
    }

    pub fn create(&self, username: &str) -> Arc<Session> {
        let s = Arc::new(Session {
            id: random_token(32, true),
            csrf: random_token(32, false),
            username: username.to_string(),
            last_seen: AtomicU64::new(self.now_ms()),
        });
        self.live
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(s.id.clone(), s.clone());
        s
    }

    pub fn lookup(&self, id: &str) -> Lookup {
        let found = self
            .live
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned();
        match found {
            Some(s) => {
                let now = self.now_ms();
                let idle = self.idle_ms.load(Ordering::Relaxed);
                if now.saturating_sub(s.last_seen.load(Ordering::Relaxed)) > idle {
                    self.remove(id);
                    return Lookup::Unknown;
                }
                s.last_seen.store(now, Ordering::Relaxed);
                Lookup::Valid(s)
            }
            None => match self.expired.read().unwrap_or_else(|e| e.into_inner()).get(id) {
                Some(code) => Lookup::Expired(*code),
                None => Lookup::Unknown,
            },
        }
    }

    pub fn remove(&self, id: &str) {
        self.live.write().unwrap_or_else(|e| e.into_inner()).remove(id);
    }

    /// Fault knob: every live session dies; its holders get `code` until they log in again.
    pub fn expire_all(&self, code: u16) {
        let drained: Vec<String> = self
            .live
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .map(|(k, _)| k)
            .collect();
        let mut exp = self.expired.write().unwrap_or_else(|e| e.into_inner());
        for id in drained {
            exp.insert(id, code);
        }
    }

    /// Fault knob: the next `count` session-authenticated requests answer `code`.
    pub fn reject_next(&self, count: u32, code: u16) {
        *lock(&self.reject_next) = (count > 0).then_some((count, code));
    }

    pub fn take_reject(&self) -> Option<u16> {
        let mut g = lock(&self.reject_next);
        let (count, code) = (*g)?;
        *g = (count > 1).then_some((count - 1, code));
        Some(code)
    }

    pub fn live_count(&self) -> usize {
        self.live.read().unwrap_or_else(|e| e.into_inner()).len()
    }
}

fn suffix(secure: bool) -> &'static str {
    if secure { "; Secure" } else { "" }
}

/// The three cookies a successful login sets, attributes as recorded.
pub fn login_cookies(s: &Session, secure: bool) -> Vec<String> {
    let now = SystemTime::now();
    vec![
        format!(
            "{CSRF_COOKIE}={}; expires={}; Max-Age={CSRF_MAX_AGE}; Path=/{}",
            s.csrf,
            cookie_expires(now + Duration::from_secs(CSRF_MAX_AGE)),
            suffix(secure)
        ),
        session_cookie(SESSION_COOKIE, &s.id, now, secure),
        session_cookie(DJANGO_SESSION_COOKIE, &s.id, now, secure),
    ]
}

/// The two session cookies the controller re-sends on every authenticated answer (sliding
/// expiry), as recorded.
pub fn refresh_cookies(s: &Session, secure: bool) -> Vec<String> {
    let now = SystemTime::now();
    vec![
        session_cookie(SESSION_COOKIE, &s.id, now, secure),
        session_cookie(DJANGO_SESSION_COOKIE, &s.id, now, secure),
    ]
}

/// What the recorded 20.1.5 controller sets on basic-auth answers (literally `None`).
pub fn basic_auth_cookies(secure: bool) -> Vec<String> {
    let now = SystemTime::now();
    [SESSION_COOKIE, DJANGO_SESSION_COOKIE]
        .iter()
        .map(|name| {
            format!(
                "{name}=None; expires={}; HttpOnly; Max-Age={SESSION_MAX_AGE}; Path=/; SameSite=None{}",
                cookie_expires(now + Duration::from_secs(SESSION_MAX_AGE)),
                suffix(secure)
            )
        })
        .collect()
}

/// Cookies that end a session on logout.
pub fn logout_cookies(secure: bool) -> Vec<String> {
    [SESSION_COOKIE, DJANGO_SESSION_COOKIE]
        .iter()
        .map(|name| {
            format!(
                "{name}=\"\"; expires=Thu, 01-Jan-1970 00:00:00 GMT; Max-Age=0; Path=/{}",
                suffix(secure)
            )
        })
        .collect()
}

fn session_cookie(name: &str, id: &str, now: SystemTime, secure: bool) -> String {
    format!(
        "{name}={id}; expires={}; HttpOnly; Max-Age={SESSION_MAX_AGE}; Path=/{}",
        cookie_expires(now + Duration::from_secs(SESSION_MAX_AGE)),
        suffix(secure)
    )
}

/// Parses `Cookie` headers the way Django does: later values of a name win (the recorded
/// clients send stale and fresh cookies side by side, fresh last).
pub fn parse_cookie_header<'a>(values: impl Iterator<Item = &'a str>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for v in values {
        for part in v.split(';') {
            if let Some((k, val)) = part.split_once('=') {
                out.insert(k.trim().to_string(), val.trim().trim_matches('"').to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_cookie_wins() {
        let c = parse_cookie_header(
            ["avi-sessionid=old; csrftoken=a; avi-sessionid=new; csrftoken=invalid"].into_iter(),
        );
        assert_eq!(c["avi-sessionid"], "new");
        assert_eq!(c["csrftoken"], "invalid");
    }

    #[test]
    fn sessions_expire_when_idle() {
        let s = Sessions::new(Duration::from_millis(0));
        let sess = s.create("admin");
        std::thread::sleep(Duration::from_millis(5));
        assert!(matches!(s.lookup(&sess.id), Lookup::Unknown));
    }

    #[test]
    fn forced_expiry_reports_code() {
        let s = Sessions::new(Duration::from_secs(60));
        let sess = s.create("admin");
        assert!(matches!(s.lookup(&sess.id), Lookup::Valid(_)));
        s.expire_all(419);
        assert!(matches!(s.lookup(&sess.id), Lookup::Expired(419)));
        let fresh = s.create("admin");
        assert!(matches!(s.lookup(&fresh.id), Lookup::Valid(_)));
    }

    #[test]
    fn tokens_look_like_django() {
        let s = Sessions::new(Duration::from_secs(60)).create("admin");
        assert!(csrf_token_well_formed(&s.csrf));
        assert_eq!(s.id.len(), 32);
        assert!(!csrf_token_well_formed("invalid"));
        let cookies = login_cookies(&s, true);
        assert!(cookies[0].starts_with("csrftoken="));
        assert!(cookies[0].contains("Max-Age=31449600; Path=/; Secure"));
        assert!(cookies[1].contains("HttpOnly; Max-Age=86400; Path=/; Secure"));
    }

    #[test]
    fn reject_next_counts_down() {
        let s = Sessions::new(Duration::from_secs(60));
        s.reject_next(2, 419);
        assert_eq!(s.take_reject(), Some(419));
        assert_eq!(s.take_reject(), Some(419));
        assert_eq!(s.take_reject(), None);
    }
}
