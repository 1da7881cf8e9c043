//! Keeps a private key sent to Avi (an SSLKeyAndCertificate's `key`) out of error messages: a
//! controller that echoes the request in its answer (the whole key, or one line of it, as a
//! parse error may) would otherwise put it into a log line, an event or a status.

use serde_json::Value;

use super::error::AviError;
use avigw_shared::avi::REDACTED;

/// Shortest line of a key that is hidden on its own (PEM body lines are 64 characters; the
/// last one can be short, and a very short one is no secret on its own).
const MIN_LINE: usize = 8;

/// The texts of a request body that must not appear in an answer's message.
#[derive(Debug, Default)]
pub(super) struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// The private key a request body carries, whole and by line (the PEM armour lines are
    /// no secret).
    pub fn of(body: Option<&Value>) -> Self {
        let Some(key) = body.and_then(|b| b.get("key")).and_then(Value::as_str) else {
            return Redactor::default();
        };
        let mut secrets = vec![key.trim().to_owned()];
        secrets.extend(
            key.lines()
                .map(str::trim)
                .filter(|l| l.len() >= MIN_LINE && !l.starts_with("-----"))
                .map(str::to_owned),
        );
        secrets.retain(|s| !s.is_empty());
        // Longest first, so the whole key is replaced before its lines are looked for.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    pub fn text(&self, s: &mut String) {
        for secret in &self.secrets {
            if s.contains(secret.as_str()) {
                *s = s.replace(secret.as_str(), REDACTED);
            }
        }
    }

    /// The same error with every secret text in its message replaced by `<redacted>`.
    pub fn error(&self, mut e: AviError) -> AviError {
        if self.is_empty() {
            return e;
        }
        match &mut e {
            AviError::Conflict { message, .. }
            | AviError::NotFound { message, .. }
            | AviError::VipChange { message, .. }
            | AviError::NoFreeIps { message, .. }
            | AviError::BadRequest { message, .. }
            | AviError::PreconditionFailed { message, .. }
            | AviError::Forbidden { message, .. }
            | AviError::Auth { message, .. }
            | AviError::Unavailable { message, .. }
            | AviError::Transport { message, .. }
            | AviError::Http { message, .. }
            | AviError::Decode { message, .. } => self.text(message),
            AviError::InUse {
                message, referred_by, ..
            } => {
                self.text(message);
                referred_by.iter_mut().for_each(|r| self.text(r));
            }
            AviError::Config(message) => self.text(message),
            AviError::NameTaken { .. } => {}
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSecretLineOne\nhRANCAAQSecretLineTwo\nxyz\n-----END PRIVATE KEY-----\n";

    #[test]
    fn an_echoed_key_or_key_line_is_replaced_in_every_message() {
        let r = Redactor::of(Some(&json!({"name": "c--foo.com", "key": KEY})));
        let whole = AviError::BadRequest {
            object: "sslkeyandcertificate".into(),
            message: format!("key: cannot parse {KEY}"),
        };
        let one_line = AviError::Http {
            object: "sslkeyandcertificate".into(),
            status: 500,
            message: "bad base64 near 'hRANCAAQSecretLineTwo'".into(),
        };
        for e in [whole, one_line] {
            let shown = r.error(e).to_string();
            assert!(!shown.contains("SecretLine"), "{shown}");
            assert!(shown.contains(REDACTED), "{shown}");
        }
        // A short line alone is no secret, and the armour is kept: the message stays readable.
        let mut s = "expected -----BEGIN PRIVATE KEY----- got xyz".to_owned();
        r.text(&mut s);
        assert_eq!(s, "expected -----BEGIN PRIVATE KEY----- got xyz");
    }

    #[test]
    fn bodies_without_a_key_change_nothing() {
        for body in [None, Some(json!({"name": "p"})), Some(json!({"key": 3}))] {
            let r = Redactor::of(body.as_ref());
            assert!(r.is_empty());
            let e = r.error(AviError::Conflict {
                object: "pool".into(),
                message: "Pool with this Name already exists.".into(),
            });
            assert_eq!(
                e.to_string(),
                "avi pool: conflict: Pool with this Name already exists."
            );
        }
    }
}
