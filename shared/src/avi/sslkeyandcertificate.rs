use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::naming::Marker;

/// `type` of a certificate a virtual service presents.
pub const SSL_CERTIFICATE_TYPE_VIRTUALSERVICE: &str = "SSL_CERTIFICATE_TYPE_VIRTUALSERVICE";
/// What stands for a private key wherever one is shown (`plan`, `Debug`).
pub const REDACTED: &str = "<redacted>";

/// An Avi SSLKeyAndCertificate: the certificate and key of a secure host, from its Secret's
/// `tls.crt` and `tls.key` as they are. Avi never returns `key`; avigw diffs on the certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SslKeyAndCertificate {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_ref: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    #[serde(default)]
    pub certificate: SslCertificate,
    /// Sent to Avi; shown as `<redacted>` by `Debug` and by [`SslKeyAndCertificate::redacted`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<PrivateKeyPem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub markers: Vec<Marker>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, rename = "_last_modified", skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl SslKeyAndCertificate {
    /// The same object with the key replaced by `<redacted>`, for display.
    pub fn redacted(&self) -> Self {
        SslKeyAndCertificate {
            key: self.key.as_ref().map(|_| PrivateKeyPem::new(REDACTED)),
            ..self.clone()
        }
    }
}

/// `certificate`: the PEM text (Avi adds parsed fields on read, which are ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SslCertificate {
    #[serde(default)]
    pub certificate: String,
}

/// A PEM private key: serialized as its text (so it reaches Avi), never shown by `Debug`, and
/// without `Display`, so it cannot end up in a log line or a message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKeyPem(String);

impl PrivateKeyPem {
    pub fn new(pem: impl Into<String>) -> Self {
        PrivateKeyPem(pem.into())
    }

    /// The key text, for the one place that needs it: the request body to Avi.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PrivateKeyPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKeyPem({REDACTED})")
    }
}

impl Serialize for PrivateKeyPem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PrivateKeyPem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(PrivateKeyPem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAsecret\n-----END PRIVATE KEY-----\n";

    fn cert() -> SslKeyAndCertificate {
        SslKeyAndCertificate {
            name: "c--noo.com".into(),
            tenant_ref: None,
            type_: Some(SSL_CERTIFICATE_TYPE_VIRTUALSERVICE.into()),
            certificate: SslCertificate {
                certificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".into(),
            },
            key: Some(PrivateKeyPem::new(KEY)),
            created_by: None,
            markers: vec![],
            uuid: None,
            url: None,
            last_modified: None,
        }
    }

    #[test]
    fn the_key_goes_to_avi_but_never_into_debug() {
        let c = cert();
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["key"], KEY, "the request body carries the key");
        let debug = format!("{c:?} {c:#?}");
        assert!(!debug.contains("MIGHAgEAsecret"), "{debug}");
        assert!(debug.contains("PrivateKeyPem(<redacted>)"));
        // The certificate is no secret.
        assert!(debug.contains("BEGIN CERTIFICATE"));
    }

    #[test]
    fn redacted_view_for_display() {
        let r = cert().redacted();
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains(r#""key":"<redacted>""#), "{json}");
        assert!(!json.contains("secret"));
        // Without a key (as Avi answers) there is nothing to redact.
        let mut c = cert();
        c.key = None;
        assert_eq!(c.redacted().key, None);
        let read: SslKeyAndCertificate = serde_json::from_str(
            r#"{"name":"x","certificate":{"certificate":"pem","subject":{"common_name":"x"}}}"#,
        )
        .unwrap();
        assert_eq!(read.certificate.certificate, "pem");
        assert!(read.key.is_none());
    }
}
