//! Request authentication for `/api`: basic auth or session cookies, CSRF on unsafe methods,
//! `X-Avi-Version`, and the tenant from `X-Avi-Tenant` / `X-Avi-Tenant-UUID`.

use std::sync::Arc;

use axum::http::{HeaderMap, Method, StatusCode};
use base64::Engine;

use crate::config::{SimConfig, parse_version};
use crate::error::ApiError;
use crate::session::{
    CSRF_COOKIE, DJANGO_SESSION_COOKIE, Lookup, SESSION_COOKIE, Session, Sessions, csrf_token_well_formed,
    parse_cookie_header,
};
use crate::store::{ADMIN_TENANT, Store, TenantScope};

#[derive(Debug, Clone)]
pub struct Auth {
    pub username: String,
    /// The session used (None for basic auth).
    pub session: Option<Arc<Session>>,
}

pub fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

pub fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn expired(code: u16) -> ApiError {
    match code {
        419 => ApiError::new(
            StatusCode::from_u16(419).unwrap_or(StatusCode::UNAUTHORIZED),
            "Session expired",
        ),
        _ => ApiError::not_authenticated(),
    }
}

/// Constant-time-ish comparison so the simulator does not teach clients bad habits.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn check_password(cfg: &SimConfig, user: &str, password: &str) -> bool {
    same(user, &cfg.username) && same(password, &cfg.password)
}

pub fn check_token(cfg: &SimConfig, user: &str, token: &str) -> bool {
    same(user, &cfg.username) && cfg.tokens.iter().any(|t| same(t, token))
}

pub fn authenticate(
    headers: &HeaderMap,
    method: &Method,
    cfg: &SimConfig,
    sessions: &Sessions,
    secure: bool,
) -> Result<Auth, ApiError> {
    if cfg.allow_basic_auth
        && let Some(b64) = header(headers, "authorization").and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
        let (u, p) = decoded.split_once(':').unwrap_or(("", ""));
        if !check_password(cfg, u, p) {
            return Err(ApiError::detail(
                StatusCode::UNAUTHORIZED,
                "Invalid username/password.",
            ));
        }
        // Basic auth bypasses CSRF, as the recorded basic-auth calls show (no X-CSRFToken).
        return Ok(Auth {
            username: u.to_string(),
            session: None,
        });
    }
    let cookies = parse_cookie_header(headers.get_all("cookie").iter().filter_map(|v| v.to_str().ok()));
    let sid = cookies
        .get(SESSION_COOKIE)
        .or_else(|| cookies.get(DJANGO_SESSION_COOKIE))
        .ok_or_else(ApiError::not_authenticated)?;
    let session = match sessions.lookup(sid) {
        Lookup::Valid(s) => s,
        Lookup::Expired(code) => return Err(expired(code)),
        Lookup::Unknown => return Err(ApiError::not_authenticated()),
    };
    if let Some(code) = sessions.take_reject() {
        return Err(expired(code));
    }
    if is_unsafe(method) {
        let sent = header(headers, "x-csrftoken").unwrap_or_default();
        let cookie = cookies.get(CSRF_COOKIE).map(String::as_str).unwrap_or_default();
        if !csrf_token_well_formed(sent) || !same(sent, cookie) || !same(sent, &session.csrf) {
            return Err(ApiError::csrf());
        }
        // Django's strict Referer check for HTTPS requests; the clients send `Referer: <base>`.
        if secure && header(headers, "referer").is_none_or(str::is_empty) {
            return Err(ApiError::detail(
                StatusCode::UNAUTHORIZED,
                "CSRF Failed: Referer checking failed - no Referer.",
            ));
        }
    }
    Ok(Auth {
        username: session.username.clone(),
        session: Some(session),
    })
}

/// The live session a request carries, if any (no CSRF or expiry-fault checks).
pub fn session_of(headers: &HeaderMap, sessions: &Sessions) -> Option<Arc<Session>> {
    let cookies = parse_cookie_header(headers.get_all("cookie").iter().filter_map(|v| v.to_str().ok()));
    let sid = cookies
        .get(SESSION_COOKIE)
        .or_else(|| cookies.get(DJANGO_SESSION_COOKIE))?;
    match sessions.lookup(sid) {
        Lookup::Valid(s) => Some(s),
        _ => None,
    }
}

/// The API version the request asked for (echoed in `AVI_API_VERSION`).
pub fn api_version(headers: &HeaderMap, cfg: &SimConfig) -> Result<String, ApiError> {
    match header(headers, "x-avi-version") {
        None | Some("") if cfg.require_api_version => {
            Err(ApiError::bad_request("X-Avi-Version header is required"))
        }
        None | Some("") => Ok(cfg.controller_version.clone()),
        Some(v) => {
            let asked = parse_version(v)
                .ok_or_else(|| ApiError::bad_request(format!("Invalid X-Avi-Version {v:?}")))?;
            let ours = parse_version(&cfg.controller_version).unwrap_or_default();
            if asked > ours {
                return Err(ApiError::bad_request(format!(
                    "API version {v} is newer than the controller version {}",
                    cfg.controller_version
                )));
            }
            Ok(v.to_string())
        }
    }
}

pub fn tenant_scope(headers: &HeaderMap, store: &Store) -> Result<TenantScope, ApiError> {
    if let Some(t) = header(headers, "x-avi-tenant").filter(|t| !t.is_empty()) {
        if t == "*" {
            return Ok(TenantScope::All);
        }
        let found = store.by_name("tenant", t, &TenantScope::All);
        return found
            .first()
            .map(|r| TenantScope::One(r.uuid.clone()))
            .ok_or_else(|| ApiError::bad_request(format!("Tenant {t} does not exist")));
    }
    if let Some(u) = header(headers, "x-avi-tenant-uuid").filter(|t| !t.is_empty()) {
        return store
            .get_visible("tenant", u, &TenantScope::All)
            .map(|r| TenantScope::One(r.uuid.clone()))
            .ok_or_else(|| ApiError::bad_request(format!("Tenant {u} does not exist")));
    }
    Ok(TenantScope::One(ADMIN_TENANT.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn cfg() -> SimConfig {
        SimConfig::for_tests("pw")
    }

    fn hdrs(pairs: &[(&str, String)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn csrf_enforced_on_writes_only() {
        let s = Sessions::new(Duration::from_secs(60));
        let sess = s.create("admin");
        let cookie = format!("avi-sessionid={}; csrftoken={}", sess.id, sess.csrf);
        let get = hdrs(&[("cookie", cookie.clone())]);
        assert!(authenticate(&get, &Method::GET, &cfg(), &s, true).is_ok());
        assert_eq!(
            authenticate(&get, &Method::POST, &cfg(), &s, true).unwrap_err(),
            ApiError::csrf()
        );
        let ok = hdrs(&[
            ("cookie", cookie.clone()),
            ("x-csrftoken", sess.csrf.clone()),
            ("referer", "https://ctl".into()),
        ]);
        assert!(authenticate(&ok, &Method::POST, &cfg(), &s, true).is_ok());
        let no_ref = hdrs(&[("cookie", cookie), ("x-csrftoken", sess.csrf.clone())]);
        assert!(authenticate(&no_ref, &Method::POST, &cfg(), &s, true).is_err());
        assert!(authenticate(&no_ref, &Method::POST, &cfg(), &s, false).is_ok());
    }

    #[test]
    fn basic_auth() {
        let s = Sessions::new(Duration::from_secs(60));
        let good = base64::engine::general_purpose::STANDARD.encode("admin:pw");
        let h = hdrs(&[("authorization", format!("Basic {good}"))]);
        assert!(authenticate(&h, &Method::POST, &cfg(), &s, true).is_ok());
        let bad = base64::engine::general_purpose::STANDARD.encode("admin:nope");
        let h = hdrs(&[("authorization", format!("Basic {bad}"))]);
        assert_eq!(
            authenticate(&h, &Method::GET, &cfg(), &s, true)
                .unwrap_err()
                .status,
            401
        );
    }

    #[test]
    fn versions() {
        let c = cfg();
        assert!(api_version(&HeaderMap::new(), &c).is_err());
        let h = hdrs(&[("x-avi-version", "20.1.1".into())]);
        assert_eq!(api_version(&h, &c).unwrap(), "20.1.1");
        let h = hdrs(&[("x-avi-version", "99.1.1".into())]);
        assert!(api_version(&h, &c).is_err());
        let mut lax = cfg();
        lax.require_api_version = false;
        assert!(api_version(&HeaderMap::new(), &lax).is_ok());
    }
}
