//! Typed errors, classified from the controller's status codes and messages.

use std::time::Duration;

use serde_json::Value;

pub type Result<T, E = AviError> = std::result::Result<T, E>;

/// Message prefixes the controller uses (AKO matches the same strings).
const VIP_CHANGE: &str = "If a new preferred IP is needed, please recreate the VIP";
const VIP_ID_CHANGE: &str = "Changing an existing VIP's vip_id is not supported";
const IN_USE: &str = "Cannot delete, object is referred by";
const NO_FREE_IPS: &str = "No available free IPs";

#[derive(Debug, thiserror::Error)]
pub enum AviError {
    /// 409: an object with this name already exists.
    #[error("avi {object}: conflict: {message}")]
    Conflict { object: String, message: String },
    /// The name is held by another creator (SPEC §5): avigw never writes that object.
    #[error("{}", name_taken_message(.object, .name, .created_by))]
    NameTaken {
        object: String,
        name: String,
        /// Empty when the object names no creator.
        created_by: String,
    },
    /// 404.
    #[error("avi {object}: not found: {message}")]
    NotFound { object: String, message: String },
    /// 400 on a VsVip whose address (or vip_id) would change: recreate instead.
    #[error("avi {object}: VIP change refused: {message}")]
    VipChange { object: String, message: String },
    /// 400 on delete: other objects still refer to this one.
    #[error("avi {object}: in use: {message}")]
    InUse {
        object: String,
        message: String,
        /// `Type name` entries from the message, e.g. `VirtualService vs1`.
        referred_by: Vec<String>,
    },
    /// 400: the VIP network has no free address.
    #[error("avi {object}: {message}")]
    NoFreeIps { object: String, message: String },
    /// Other 400s: the request itself is wrong (not retried).
    #[error("avi {object}: bad request: {message}")]
    BadRequest { object: String, message: String },
    /// 412: `_last_modified` is stale; re-read and retry.
    #[error("avi {object}: precondition failed: {message}")]
    PreconditionFailed { object: String, message: String },
    /// 403 (e.g. controller upgrade in progress, read-only object).
    #[error("avi {object}: forbidden: {message}")]
    Forbidden { object: String, message: String },
    /// Login refused, or still 401/419 after one re-login.
    #[error("avi: authentication failed ({status}): {message}")]
    Auth { status: u16, message: String },
    /// 429/5xx after all retries.
    #[error("avi {object}: unavailable ({status}) after {attempts} attempts: {message}")]
    Unavailable {
        object: String,
        status: u16,
        message: String,
        attempts: u32,
        /// The controller's `Retry-After` on its last answer.
        retry_after: Option<Duration>,
    },
    /// Timeout or connection error after all retries.
    #[error("avi {object}: transport error after {attempts} attempts: {message}")]
    Transport {
        object: String,
        message: String,
        attempts: u32,
        timeout: bool,
    },
    /// Any other status.
    #[error("avi {object}: HTTP {status}: {message}")]
    Http {
        object: String,
        status: u16,
        message: String,
    },
    /// The answer did not have the expected shape.
    #[error("avi {object}: decoding answer: {message}")]
    Decode { object: String, message: String },
    /// The client settings are unusable (bad URL, unreadable CA file, ...).
    #[error("avi client configuration: {0}")]
    Config(String),
}

impl AviError {
    /// Worth retrying later with backoff (the client already retried within its budget).
    pub fn is_retryable(&self) -> bool {
        matches!(self, AviError::Unavailable { .. } | AviError::Transport { .. })
    }

    /// The HTTP status, when there was one.
    pub fn status(&self) -> Option<u16> {
        Some(match self {
            AviError::Conflict { .. } | AviError::NameTaken { .. } => 409,
            AviError::NotFound { .. } => 404,
            AviError::VipChange { .. }
            | AviError::InUse { .. }
            | AviError::NoFreeIps { .. }
            | AviError::BadRequest { .. } => 400,
            AviError::PreconditionFailed { .. } => 412,
            AviError::Forbidden { .. } => 403,
            AviError::Auth { status, .. }
            | AviError::Unavailable { status, .. }
            | AviError::Http { status, .. } => *status,
            AviError::Transport { .. } | AviError::Decode { .. } | AviError::Config(_) => {
                return None;
            }
        })
    }

    /// How long the controller asked to be left alone, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AviError::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, AviError::NotFound { .. })
    }
}

fn name_taken_message(object: &str, name: &str, created_by: &str) -> String {
    if created_by.is_empty() {
        format!(
            "Avi object {object}/{name} belongs to another creator (no created_by); avigw does not take it over: rename or remove it on Avi"
        )
    } else {
        format!("Avi object {object}/{name} belongs to {created_by}; set adoptFrom to take it over")
    }
}

/// The message of an error body: `{"error": ...}`, `{"detail": ...}`, or the raw text (the
/// CSRF failure is sent as bare text).
pub fn message_of(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => v
            .get("error")
            .or_else(|| v.get("detail"))
            .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_string))
            .unwrap_or_else(|| v.to_string()),
        Err(_) => String::from_utf8_lossy(body).trim().chars().take(500).collect(),
    }
}

/// `Cannot delete, object is referred by: ['VirtualService vs1', 'Pool p']` -> the entries.
fn referred_by(message: &str) -> Vec<String> {
    let Some((_, list)) = message.split_once(':') else {
        return vec![];
    };
    list.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|s| s.trim().trim_matches(|c| c == '\'' || c == '"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Maps a non-success answer (401/419 are handled before this; a 429/5xx comes here once the
/// retries ran out).
pub fn classify(
    object: &str,
    status: u16,
    body: &[u8],
    attempts: u32,
    retry_after: Option<Duration>,
) -> AviError {
    let message = message_of(body);
    let object = object.to_string();
    match status {
        400 if message.contains(VIP_CHANGE) || message.contains(VIP_ID_CHANGE) => {
            AviError::VipChange { object, message }
        }
        400 if message.starts_with(IN_USE) => AviError::InUse {
            object,
            referred_by: referred_by(&message),
            message,
        },
        400 if message.contains(NO_FREE_IPS) => AviError::NoFreeIps { object, message },
        400 => AviError::BadRequest { object, message },
        401 | 419 => AviError::Auth { status, message },
        403 => AviError::Forbidden { object, message },
        404 => AviError::NotFound { object, message },
        409 => AviError::Conflict { object, message },
        412 => AviError::PreconditionFailed { object, message },
        s if super::retry::retryable_status(s) => AviError::Unavailable {
            object,
            status,
            message,
            attempts,
            retry_after,
        },
        _ => AviError::Http {
            object,
            status,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_controller_messages() {
        let e = classify(
            "pool",
            400,
            br#"{"error": "Cannot delete, object is referred by: ['VirtualService vs1', 'L4PolicySet l4']"}"#,
            1,
            None,
        );
        match e {
            AviError::InUse { referred_by, .. } => {
                assert_eq!(referred_by, vec!["VirtualService vs1", "L4PolicySet l4"])
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(
                "vsvip",
                400,
                br#"{"error": "If a new preferred IP is needed, please recreate the VIP"}"#,
                1,
                None
            ),
            AviError::VipChange { .. }
        ));
        assert!(matches!(
            classify("pool", 401, b"CSRF token missing or incorrect.", 1, None),
            AviError::Auth { status: 401, .. }
        ));
        assert!(matches!(
            classify("pool", 409, b"{}", 1, None),
            AviError::Conflict { .. }
        ));
        let busy = classify("pool", 429, b"", 6, Some(Duration::from_secs(3)));
        assert!(busy.is_retryable());
        assert_eq!(busy.retry_after(), Some(Duration::from_secs(3)));
        assert_eq!(message_of(br#"{"detail": "x"}"#), "x");
    }
}
