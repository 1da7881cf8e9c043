//! Building answers with the headers the recorded controller sends.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use crate::error::{ApiError, ErrorBody};

pub fn json(status: StatusCode, v: &Value) -> Response {
    let body = serde_json::to_vec(v).unwrap_or_default();
    raw(status, Body::from(body))
}

pub fn raw(status: StatusCode, body: Body) -> Response {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache, must-revalidate"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept, Cookie"));
    h.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    r
}

pub fn empty(status: StatusCode) -> Response {
    raw(status, Body::empty())
}

pub fn error(e: &ApiError) -> Response {
    match &e.body {
        ErrorBody::Json(v) => json(e.status, v),
        // Sent verbatim with a JSON content type, as the recorded controller does.
        ErrorBody::Text(t) => raw(e.status, Body::from(*t)),
    }
}

pub fn set_cookies(r: &mut Response, cookies: &[String]) {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

pub fn set_version(r: &mut Response, version: &str) {
    if let Ok(v) = HeaderValue::from_str(version) {
        r.headers_mut().insert("avi_api_version", v);
    }
}
