//! SSLKeyAndCertificate writes: the private key leaves the body (it is kept on the record and
//! never rendered), the PEM is checked, and the fields the controller computes from the
//! certificate are filled in.

use std::time::SystemTime;

use serde_json::{Map, Value};

use super::bad;
use super::validate::one_of;
use crate::error::ApiError;
use crate::keycert;
use crate::render::SENSITIVE;
use crate::store::Record;

const TYPES: &[&str] = &[
    "SSL_CERTIFICATE_TYPE_VIRTUALSERVICE",
    "SSL_CERTIFICATE_TYPE_SYSTEM",
    "SSL_CERTIFICATE_TYPE_CA",
];

/// Checks the certificate (and key) in `m`, fills in what the controller computes, and returns
/// the key to keep. `key` is what the client sent: absent or the `<sensitive>` placeholder a
/// read returns keeps the stored key on an update.
pub(super) fn complete(
    m: &mut Map<String, Value>,
    key: Option<Value>,
    existing: Option<&Record>,
) -> Result<Option<String>, ApiError> {
    let ty = one_of(m.get("type"), TYPES, "type")?.to_string();
    if m.get("format").and_then(Value::as_str) != Some("SSL_PEM") {
        return Err(bad("format: avisim models SSL_PEM only"));
    }
    for flag in ["certificate_base64", "key_base64"] {
        if m.get(flag) != Some(&Value::Bool(false)) {
            return Err(bad(format!("{flag}: avisim models PEM text only (false)")));
        }
    }
    if m.get("key_passphrase").is_some_and(|p| p.as_str() != Some("")) {
        return Err(bad(
            "key_passphrase: encrypted private keys are not supported by avisim; send the key unencrypted",
        ));
    }
    let key = match key {
        Some(Value::String(k)) if k != SENSITIVE => Some(k),
        Some(Value::String(_)) | None => existing.and_then(|e| e.secret.clone()),
        Some(_) => return Err(bad("key: must be a string")),
    };
    if key.is_none() && ty != "SSL_CERTIFICATE_TYPE_CA" {
        return Err(bad("key: This field is required."));
    }
    let Some(Value::Object(certificate)) = m.get_mut("certificate") else {
        return Err(bad("certificate.certificate: This field is required."));
    };
    let pem = match certificate.get("certificate") {
        Some(Value::String(p)) => p.clone(),
        Some(_) => return Err(bad("certificate.certificate: must be a string")),
        None => return Err(bad("certificate.certificate: This field is required.")),
    };
    let described =
        keycert::inspect(&pem, key.as_deref(), SystemTime::now()).map_err(|e| bad(e.to_string()))?;
    certificate.extend(described.certificate);
    m.insert("key_params".into(), described.key_params);
    Ok(key)
}
