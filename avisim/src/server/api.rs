//! `/login`, `/logout` and `/api/...`.

use axum::body::{Body, to_bytes};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::AppState;
use super::respond;
use crate::auth::{self, Auth};
use crate::error::{ApiError, RECORD_NOT_FOUND, UPGRADE_IN_PROGRESS};
use crate::faults::Injected;
use crate::kinds::{self, Kind};
use crate::objects::{self, WriteCtx};
use crate::query;
use crate::render::{RenderOpts, render};
use crate::session;
use crate::store::{Store, TenantScope, visible};
use crate::timefmt;

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

#[derive(Default)]
struct Credentials {
    username: String,
    password: Option<String>,
    token: Option<String>,
}

fn parse_login(headers: &HeaderMap, body: &[u8]) -> Credentials {
    let form = auth::header(headers, "content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let mut c = Credentials::default();
    let json: Option<Value> = if form {
        None
    } else {
        serde_json::from_slice(body).ok()
    };
    match json {
        Some(v) => {
            let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            c.username = s("username").unwrap_or_default();
            c.password = s("password");
            c.token = s("token");
        }
        None => {
            for (k, v) in form_urlencoded::parse(body) {
                match k.as_ref() {
                    "username" => c.username = v.into_owned(),
                    "password" => c.password = Some(v.into_owned()),
                    "token" => c.token = Some(v.into_owned()),
                    _ => {}
                }
            }
        }
    }
    c
}

fn version_block(st: &AppState) -> Value {
    json!({
        "build": 9046,
        "Tag": format!("{}-9046-avisim", st.cfg.controller_version),
        "ProductName": "Avi Cloud Controller",
        "min_version": 15.2,
        "Version": st.cfg.controller_version,
        "Product": "controller",
        "Date": "2020-07-20T04:33:29+00:00",
    })
}

fn login(st: &AppState, headers: &HeaderMap, body: &[u8]) -> Response {
    let c = parse_login(headers, body);
    let ok = match (&c.password, &c.token) {
        (Some(p), _) => auth::check_password(&st.cfg, &c.username, p),
        (None, Some(t)) => auth::check_token(&st.cfg, &c.username, t),
        _ => false,
    };
    if !ok {
        return respond::error(&ApiError::new(StatusCode::UNAUTHORIZED, "Invalid credentials"));
    }
    let s = st.sessions.create(&c.username);
    let store = st.store_read();
    let base = base_url(st, headers);
    let tenants: Vec<Value> = store
        .list("tenant")
        .map(|t| {
            json!({"url": format!("{base}/api/tenant/{}", t.uuid), "uuid": t.uuid,
                   "name": t.name, "local": t.body.get("local").cloned().unwrap_or(json!(true))})
        })
        .collect();
    drop(store);
    let mut sysconfig = st.sysconfig.read().unwrap_or_else(|e| e.into_inner()).clone();
    if let Some(m) = sysconfig.as_object_mut() {
        m.insert("url".into(), json!("/api/systemconfiguration"));
    }
    let idle_minutes = st.sessions.idle_timeout().as_secs().div_ceil(60);
    let body = json!({
        "user_initialized": true,
        "version": version_block(st),
        "user": {
            "is_superuser": true,
            "default_tenant_ref": format!("{base}/api/tenant/admin"),
            "name": c.username, "username": c.username, "full_name": "System Administrator",
            "email": "", "local": true, "uuid": "user-1",
            "ui_property": "{}",
        },
        "tenants": tenants,
        "system_config": sysconfig,
        "controller": {"api_idle_timeout": idle_minutes},
        "session_cookie_name": session::SESSION_COOKIE,
    });
    let mut r = respond::json(StatusCode::OK, &body);
    respond::set_cookies(&mut r, &session::login_cookies(&s, st.secure));
    let v = auth::header(headers, "x-avi-version").unwrap_or(&st.cfg.controller_version);
    respond::set_version(&mut r, v);
    r
}

fn logout(st: &AppState, headers: &HeaderMap) -> Response {
    match auth::authenticate(headers, &Method::POST, &st.cfg, &st.sessions, st.secure) {
        Ok(a) => {
            if let Some(s) = a.session {
                st.sessions.remove(&s.id);
            }
            let mut r = respond::empty(StatusCode::OK);
            respond::set_cookies(&mut r, &session::logout_cookies(st.secure));
            r
        }
        Err(e) => respond::error(&e),
    }
}

fn initial_data(st: &AppState) -> Value {
    json!({
        "version": version_block(st),
        "user_initialized": true,
        "setup_failed": false,
        "sso": false,
        "banner": "",
        "email_configuration_is_set": false,
    })
}

fn cluster_status(st: &AppState) -> Value {
    let up = timefmt::http_date(st.started);
    json!({
        "cluster_state": {"state": "CLUSTER_UP_NO_HA", "progress": 100, "up_since": up},
        "node_states": [{"name": st.cfg.listen.ip().to_string(), "role": "CLUSTER_LEADER",
                          "state": "CLUSTER_ACTIVE", "up_since": up,
                          "mgmt_ip": st.cfg.listen.ip().to_string()}],
    })
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

fn list(
    st: &AppState,
    headers: &HeaderMap,
    kind: &'static Kind,
    base: &str,
    path: &str,
    query: &str,
) -> Result<Response, ApiError> {
    let q = query::parse(query)?;
    let store = st.store_read();
    let scope = auth::tenant_scope(headers, &store)?;
    // `name=` is the hot path (GET by name): use the name index instead of a scan.
    let by_name = q.filters.iter().find_map(|f| match f {
        query::Filter::Eq(k, v) if k == "name" => Some(v.as_str()),
        _ => None,
    });
    let matching: Vec<_> = match by_name {
        Some(n) => {
            let mut hits: Vec<_> = store
                .by_name(kind.name, n, &scope)
                .into_iter()
                .filter(|r| query::matches(r, &q.filters))
                .collect();
            hits.sort_by_key(|r| r.seq());
            hits
        }
        None => store
            .list(kind.name)
            .filter(|r| visible(r, &scope) && query::matches(r, &q.filters))
            .collect(),
    };
    let count = matching.len();
    let start = (q.page - 1) * q.page_size;
    if start >= count && q.page > 1 {
        return Err(ApiError::not_found("Invalid page."));
    }
    let opts = RenderOpts {
        include_name: q.include_name,
        read_view: true,
        fields: q.fields.as_deref(),
    };
    let results: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(q.page_size)
        .map(|r| render(&store, r, base, opts))
        .collect();
    let mut out = json!({"count": count, "results": results});
    if start + q.page_size < count {
        out["next"] = json!(query::next_url(&format!("{base}{path}"), &q));
    }
    Ok(respond::json(StatusCode::OK, &out))
}

fn get_one(
    st: &AppState,
    headers: &HeaderMap,
    kind: &'static Kind,
    uuid: &str,
    base: &str,
    query: &str,
) -> Result<Response, ApiError> {
    let store = st.store_read();
    let scope = auth::tenant_scope(headers, &store)?;
    let rec = store
        .get_visible(kind.name, uuid, &scope)
        .ok_or_else(|| ApiError::not_found(format!("{} object not found!", kind.model)))?;
    let fields = query::fields(query);
    let opts = RenderOpts {
        include_name: query::include_name(query),
        read_view: true,
        fields: fields.as_deref(),
    };
    Ok(respond::json(StatusCode::OK, &render(&store, rec, base, opts)))
}

fn write(
    st: &AppState,
    parts: &Parts,
    kind: &'static Kind,
    uuid: Option<&str>,
    base: &str,
    bytes: &[u8],
) -> Result<Response, ApiError> {
    let m = &parts.method;
    let body = if *m == Method::DELETE {
        Value::Null
    } else {
        parse_body(bytes)?
    };
    if *m == Method::POST && st.faults.take_record_not_found() {
        return Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, RECORD_NOT_FOUND));
    }
    let license_tier = st.license_tier();
    let mut store = st.store_write();
    let scope = auth::tenant_scope(&parts.headers, &store)?;
    let ctx = WriteCtx {
        scope: &scope,
        sys: &st.sys,
        license_tier,
    };
    let (status, id) = match (m, uuid) {
        (&Method::POST, None) => {
            let slug = auth::header(&parts.headers, "slug");
            let id = objects::create(&mut store, &ctx, kind, body, slug)?;
            tracing::info!(kind = kind.name, uuid = %id, "created");
            (StatusCode::CREATED, id)
        }
        (&Method::PUT, Some(u)) => {
            objects::update(&mut store, &ctx, kind, u, body)?;
            (StatusCode::OK, u.to_string())
        }
        (&Method::PATCH, Some(u)) => {
            objects::patch(&mut store, &ctx, kind, u, body)?;
            (StatusCode::OK, u.to_string())
        }
        (&Method::DELETE, Some(u)) => {
            objects::delete(&mut store, &ctx, kind, u)?;
            tracing::info!(kind = kind.name, uuid = %u, "deleted");
            return Ok(respond::empty(StatusCode::NO_CONTENT));
        }
        _ => return Err(method_not_allowed(m)),
    };
    render_written(&store, &scope, &id, base, status)
}

fn render_written(
    store: &Store,
    scope: &TenantScope,
    uuid: &str,
    base: &str,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let rec = store
        .get(uuid)
        .filter(|r| visible(r, scope) || r.tenant == scope.write_tenant())
        .ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, RECORD_NOT_FOUND))?;
    let opts = RenderOpts {
        include_name: true,
        read_view: false,
        fields: None,
    };
    let v = render(store, rec, base, opts);
    let mut r = respond::json(status, &v);
    if status == StatusCode::CREATED
        && let Some(loc) = v.get("url").and_then(Value::as_str)
        && let Ok(hv) = HeaderValue::from_str(loc)
    {
        r.headers_mut().insert(header::LOCATION, hv);
    }
    Ok(r)
}

fn system_configuration(st: &AppState, m: &Method, base: &str, bytes: &[u8]) -> Result<Response, ApiError> {
    let mut cfg = st.sysconfig.write().unwrap_or_else(|e| e.into_inner());
    match *m {
        Method::GET => {}
        Method::PUT => {
            // The recorded SDK PUTs an empty body; that is a no-op save.
            let body = if bytes.iter().all(u8::is_ascii_whitespace) {
                Value::Null
            } else {
                parse_body(bytes)?
            };
            if let Value::Object(new) = body {
                if let Some(t) = new.get("default_license_tier").and_then(Value::as_str) {
                    t.parse::<crate::config::LicenseTier>()
                        .map_err(ApiError::bad_request)?;
                }
                if let Some(obj) = cfg.as_object_mut() {
                    for (k, v) in new {
                        if !["url", "uuid", "_last_modified"].contains(&k.as_str()) {
                            obj.insert(k, v);
                        }
                    }
                }
            } else if !body.is_null() {
                return Err(ApiError::bad_request("Request body must be a JSON object"));
            }
            let lm = st.store_write().next_last_modified();
            cfg["_last_modified"] = json!(lm.to_string());
        }
        _ => return Err(method_not_allowed(m)),
    }
    let mut out = cfg.clone();
    out["url"] = json!(format!("{base}/api/systemconfiguration"));
    Ok(respond::json(StatusCode::OK, &out))
}
