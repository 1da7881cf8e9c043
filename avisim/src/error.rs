//! API errors in the shapes the controller answers with.

use axum::http::StatusCode;
use serde_json::{Value, json};

/// An error answer. Most are `{"error": "..."}`; Django's auth layer answers
/// `{"detail": "..."}`; the CSRF failure is a bare string (as recorded).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ErrorBody {
    Json(Value),
    Text(&'static str),
}

/// The recorded CSRF failure body (the controller sends it as-is, with a JSON content type).
pub const CSRF_FAILED: &str = "CSRF token missing or incorrect.";
pub const NOT_AUTHENTICATED: &str = "Authentication credentials were not provided.";
pub const VIP_CHANGE: &str = "If a new preferred IP is needed, please recreate the VIP";
pub const VIP_ID_CHANGE: &str = "Changing an existing VIP's vip_id is not supported";
pub const NO_FREE_IPS: &str = "No available free IPs";
pub const RECORD_NOT_FOUND: &str = "record not found";
/// AKO retries writes refused with this text (its `ConfigDisallowedDuringUpgradeError`).
pub const UPGRADE_IN_PROGRESS: &str = "Configuration is disallowed during upgrade";

impl ApiError {
    pub fn new(status: StatusCode, msg: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody::Json(json!({ "error": msg.into() })),
        }
    }
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, msg)
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, msg)
    }
    pub fn conflict(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, msg)
    }
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, msg)
    }
    pub fn detail(status: StatusCode, msg: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody::Json(json!({ "detail": msg.into() })),
        }
    }
    pub fn not_authenticated() -> Self {
        Self::detail(StatusCode::UNAUTHORIZED, NOT_AUTHENTICATED)
    }
    pub fn csrf() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            body: ErrorBody::Text(CSRF_FAILED),
        }
    }
    pub fn message(&self) -> String {
        match &self.body {
            ErrorBody::Text(t) => (*t).to_string(),
            ErrorBody::Json(v) => v
                .get("error")
                .or_else(|| v.get("detail"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        }
    }
}
