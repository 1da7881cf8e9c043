//! `/login`, `/logout` and `/api/...`: fault injection, authentication, version header and
//! session cookies around every answer, and the dispatch by path. The handlers are in
//! `login` (session start and end), `crud` (object list, get and writes) and `system`
//! (cluster status, system configuration).

mod crud;
mod login;
mod system;

use axum::body::{Body, to_bytes};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use super::AppState;
use super::respond;
use crate::auth::{self, Auth};
use crate::error::{ApiError, UPGRADE_IN_PROGRESS};
use crate::faults::Injected;
use crate::kinds;
use crate::session;
use crud::{get_one, list, write};
use login::{initial_data, login, logout};
use system::{cluster_status, system_configuration};

const MAX_BODY: usize = 8 * 1024 * 1024;

/// The object part of a path, for counters: `pool`, `login`, `cluster`, ...
pub fn object_label(path: &str) -> String {
    let mut segs = path.split('/').filter(|s| !s.is_empty());
    match (segs.next(), segs.next()) {
        (Some("api"), Some(obj)) => obj.to_string(),
        (Some(first), _) => first.to_string(),
        _ => "/".to_string(),
    }
}

fn injected(i: Injected) -> Response {
    let e = match i {
        Injected::Down => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
        Injected::RateLimited => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests, slow down"),
        Injected::ServerError(code) => ApiError::new(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "Internal server error (injected by avisim)",
        ),
    };
    let mut r = respond::error(&e);
    if matches!(i, Injected::RateLimited | Injected::Down) {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    r
}

fn base_url(st: &AppState, headers: &HeaderMap) -> String {
    let scheme = if st.secure { "https" } else { "http" };
    let host = auth::header(headers, "host")
        .map(str::to_string)
        .unwrap_or_else(|| st.cfg.listen.to_string());
    format!("{scheme}://{host}")
}

pub async fn handle(st: &AppState, parts: Parts, path: &str, query: &str, body: Body) -> Response {
    let (latency, inj) = st.faults.before_request();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(i) = inj {
        return injected(i);
    }
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return respond::error(&ApiError::bad_request("Request body too large")),
    };
    let m = &parts.method;
    match (m, path) {
        (&Method::POST, "/login") => login(st, &parts.headers, &bytes),
        (&Method::POST, "/logout") => logout(st, &parts.headers),
        (&Method::GET, "/api/initial-data") => respond::json(StatusCode::OK, &initial_data(st)),
        (_, p) if p.starts_with("/api/") => {
            let echo = auth::header(&parts.headers, "x-avi-version")
                .filter(|v| !v.is_empty())
                .unwrap_or(&st.cfg.controller_version)
                .to_string();
            let auth = match auth::authenticate(&parts.headers, m, &st.cfg, &st.sessions, st.secure) {
                Ok(a) => a,
                Err(e) => {
                    // A CSRF failure still refreshes the (valid) session cookies, as recorded.
                    let mut r = respond::error(&e);
                    if let Some(s) = auth::session_of(&parts.headers, &st.sessions) {
                        respond::set_cookies(&mut r, &session::refresh_cookies(&s, st.secure));
                    }
                    respond::set_version(&mut r, &echo);
                    return r;
                }
            };
            let version = match auth::api_version(&parts.headers, &st.cfg) {
                Ok(v) => v,
                Err(e) => return finish(st, respond::error(&e), &auth, None),
            };
            let resp = match api(st, &parts, path, query, &bytes) {
                Ok(r) => r,
                Err(e) => respond::error(&e),
            };
            finish(st, resp, &auth, Some(&version))
        }
        _ => respond::error(&ApiError::not_found(format!("{path}: not found"))),
    }
}

/// Sliding session cookies and the version header on every authenticated answer.
fn finish(st: &AppState, mut r: Response, auth: &Auth, version: Option<&str>) -> Response {
    match &auth.session {
        Some(s) => respond::set_cookies(&mut r, &session::refresh_cookies(s, st.secure)),
        None => respond::set_cookies(&mut r, &session::basic_auth_cookies(st.secure)),
    }
    if let Some(v) = version {
        respond::set_version(&mut r, v);
    }
    r
}

fn parse_body(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("Request body must be a JSON object"));
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("JSON parse error - {e}")))
}

fn method_not_allowed(m: &Method) -> ApiError {
    ApiError::detail(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("Method \"{m}\" not allowed."),
    )
}

fn api(st: &AppState, parts: &Parts, path: &str, query: &str, bytes: &[u8]) -> Result<Response, ApiError> {
    let m = &parts.method;
    let segs: Vec<&str> = path.split('/').skip(2).collect();
    if auth::is_unsafe(m) && st.faults.upgrade_mode() {
        return Err(ApiError::forbidden(UPGRADE_IN_PROGRESS));
    }
    let base = base_url(st, &parts.headers);
    match segs.as_slice() {
        ["cluster", "status"] if m == Method::GET => {
            return Ok(respond::json(StatusCode::OK, &cluster_status(st)));
        }
        ["systemconfiguration"] => return system_configuration(st, m, &base, bytes),
        _ => {}
    }
    let (kind_name, uuid) = match segs.as_slice() {
        [k] => (*k, None),
        [k, u] => (*k, Some(*u)),
        _ => return Err(ApiError::not_found(format!("{path}: not found"))),
    };
    let kind = kinds::kind(kind_name)
        .ok_or_else(|| ApiError::not_found(format!("Unknown object type {kind_name}")))?;
    match (m, uuid) {
        (&Method::GET, None) => list(st, &parts.headers, kind, &base, path, query),
        (&Method::GET, Some(u)) => get_one(st, &parts.headers, kind, u, &base, query),
        (&Method::POST, None) => write(st, parts, kind, None, &base, bytes),
        (&Method::PUT | &Method::PATCH | &Method::DELETE, Some(u)) => {
            write(st, parts, kind, Some(u), &base, bytes)
        }
        _ => Err(method_not_allowed(m)),
    }
}
