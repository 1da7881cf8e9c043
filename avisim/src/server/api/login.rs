//! `/login`, `/logout` and `/api/initial-data`.

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::{AppState, base_url, respond};
use crate::auth;
use crate::error::ApiError;
use crate::session;

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

pub(super) fn login(st: &AppState, headers: &HeaderMap, body: &[u8]) -> Response {
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

pub(super) fn logout(st: &AppState, headers: &HeaderMap) -> Response {
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

pub(super) fn initial_data(st: &AppState) -> Value {
    json!({
        "version": version_block(st),
        "user_initialized": true,
        "setup_failed": false,
        "sso": false,
        "banner": "",
        "email_configuration_is_set": false,
    })
}
