//! The Secrets of TLS hosts (SPEC-ingress §4.1): only `tls.crt` and `tls.key` are kept, checked
//! once on arrival. Valid: `tls.crt` holds at least one PEM certificate and `tls.key` one PEM
//! private key matching the first certificate. The key never shows in `Debug`.

use k8s_openapi::api::core::v1::Secret;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::avi::PrivateKeyPem;

pub const SECRET_CERT: &str = "tls.crt";
pub const SECRET_KEY: &str = "tls.key";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretView {
    pub crt: String,
    pub key: PrivateKeyPem,
    /// `Err(what is wrong)` when the host cannot be served with it.
    pub validity: Result<(), String>,
}

impl SecretView {
    pub fn new(secret: &Secret) -> Self {
        let text = |k: &str| -> Option<Result<String, ()>> {
            let bytes = secret
                .data
                .as_ref()
                .and_then(|d| d.get(k))
                .map(|b| b.0.clone())
                .or_else(|| {
                    secret
                        .string_data
                        .as_ref()
                        .and_then(|d| d.get(k))
                        .map(|s| s.clone().into_bytes())
                })?;
            Some(String::from_utf8(bytes).map_err(|_| ()))
        };
        let crt = text(SECRET_CERT);
        let key = text(SECRET_KEY);
        let validity = match (&crt, &key) {
            (None, _) => Err(format!("has no {SECRET_CERT}")),
            (_, None) => Err(format!("has no {SECRET_KEY}")),
            (Some(Err(())), _) => Err(format!("{SECRET_CERT} is not PEM text")),
            (_, Some(Err(()))) => Err(format!("{SECRET_KEY} is not PEM text")),
            (Some(Ok(c)), Some(Ok(k))) => check_pair(c, k),
        };
        SecretView {
            crt: crt.and_then(Result::ok).unwrap_or_default(),
            key: PrivateKeyPem::new(key.and_then(Result::ok).unwrap_or_default()),
            validity,
        }
    }

    pub fn is_valid(&self) -> bool {
        self.validity.is_ok()
    }
}

fn check_pair(crt: &str, key: &str) -> Result<(), String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(crt.as_bytes())
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(format!("{SECRET_CERT} holds no PEM certificate"));
    }
    let mut keys = PrivateKeyDer::pem_slice_iter(key.as_bytes()).filter_map(Result::ok);
    let (Some(first), None) = (keys.next(), keys.next()) else {
        return Err(format!("{SECRET_KEY} must hold exactly one PEM private key"));
    };
    let signer = rustls::crypto::ring::sign::any_supported_type(&first).map_err(|_| {
        format!("{SECRET_KEY} is not a supported private key (RSA, ECDSA P-256/P-384 or Ed25519)")
    })?;
    match CertifiedKey::new(certs, signer).keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Ok(()),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => Err(format!(
            "{SECRET_KEY} does not match the first certificate in {SECRET_CERT}"
        )),
        Err(_) => Err(format!("the first certificate in {SECRET_CERT} cannot be parsed")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;

    fn pair() -> (String, String) {
        let k = rcgen::KeyPair::generate().unwrap();
        let c = rcgen::CertificateParams::new(vec!["noo.com".to_owned()])
            .unwrap()
            .self_signed(&k)
            .unwrap();
        (c.pem(), k.serialize_pem())
    }

    fn secret(crt: Option<&str>, key: Option<&[u8]>) -> Secret {
        let mut data = std::collections::BTreeMap::new();
        if let Some(c) = crt {
            data.insert(SECRET_CERT.to_owned(), ByteString(c.as_bytes().to_vec()));
        }
        if let Some(k) = key {
            data.insert(SECRET_KEY.to_owned(), ByteString(k.to_vec()));
        }
        Secret {
            data: Some(data),
            ..Default::default()
        }
    }

    #[test]
    fn a_matching_pair_is_valid_and_the_key_stays_hidden() {
        let (crt, key) = pair();
        let v = SecretView::new(&secret(Some(&crt), Some(key.as_bytes())));
        assert_eq!(v.validity, Ok(()));
        assert_eq!(v.crt, crt);
        assert_eq!(v.key.expose(), key);
        let debug = format!("{v:?}");
        assert!(!debug.contains("PRIVATE KEY"), "{debug}");
        // A chain: the key matches the first certificate.
        let (other, _) = pair();
        let chain = format!("{crt}{other}");
        assert!(SecretView::new(&secret(Some(&chain), Some(key.as_bytes()))).is_valid());
        // stringData works too (a manifest given to `plan`).
        let s = Secret {
            string_data: Some(
                [
                    (SECRET_CERT.to_owned(), crt.clone()),
                    (SECRET_KEY.to_owned(), key.clone()),
                ]
                .into(),
            ),
            ..Default::default()
        };
        assert!(SecretView::new(&s).is_valid());
    }

    #[test]
    fn every_invalid_case_says_what_is_wrong() {
        let (crt, key) = pair();
        let (other_crt, other_key) = pair();
        let cases: Vec<(Secret, &str)> = vec![
            (secret(None, Some(key.as_bytes())), "has no tls.crt"),
            (secret(Some(&crt), None), "has no tls.key"),
            (
                secret(Some("hello"), Some(key.as_bytes())),
                "tls.crt holds no PEM certificate",
            ),
            (secret(Some(&crt), Some(b"\xff\xfe")), "tls.key is not PEM text"),
            (
                secret(Some(&crt), Some(b"nothing")),
                "tls.key must hold exactly one PEM private key",
            ),
            (
                secret(Some(&crt), Some(format!("{key}{other_key}").as_bytes())),
                "tls.key must hold exactly one PEM private key",
            ),
            (
                secret(Some(&crt), Some(other_key.as_bytes())),
                "tls.key does not match the first certificate in tls.crt",
            ),
            (
                secret(Some(&format!("{other_crt}{crt}")), Some(key.as_bytes())),
                "tls.key does not match the first certificate in tls.crt",
            ),
        ];
        for (s, want) in cases {
            assert_eq!(SecretView::new(&s).validity, Err(want.to_owned()));
        }
    }
}
