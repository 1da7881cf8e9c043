//! SSL key-and-certificate material: parsing the PEM a client sends, checking that the private
//! key belongs to the first certificate, and describing the certificate as the controller does
//! (subject, issuer, validity, serial, fingerprint, public key, key parameters).

use std::time::{Duration, SystemTime};

use rustls::SignatureAlgorithm;
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521, OID_PKCS1_RSAENCRYPTION,
};
use x509_parser::prelude::{
    FromDer, GeneralName, ParsedExtension, X509Certificate, X509Name, parse_x509_certificate,
};
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::timefmt;

/// Certificates expiring within this many days are reported as `SSL_CERTIFICATE_EXPIRY_WARNING`
/// (the controller's first default warning threshold).
const EXPIRY_WARNING_DAYS: u64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyCertError {
    #[error("certificate.certificate: no PEM certificate found")]
    NoCertificate,
    #[error("certificate.certificate: invalid PEM: {0}")]
    CertificatePem(String),
    #[error("certificate.certificate: PEM certificate {index} is not a valid X.509 certificate: {reason}")]
    BadCertificate { index: usize, reason: String },
    #[error("certificate.certificate: the certificate's public key is {0}; Avi takes RSA and EC keys")]
    UnsupportedCertificateKey(String),
    #[error("key: no PEM private key found")]
    NoKey,
    #[error("key: invalid PEM: {0}")]
    KeyPem(String),
    #[error("key: encrypted private keys are not supported by avisim; send the key unencrypted")]
    Encrypted,
    #[error("key: {0} private keys found; exactly one is expected")]
    SeveralKeys(usize),
    #[error(
        "key: not a usable private key (avisim loads RSA keys of 2048 to 4096 bits and EC keys on P-256 or P-384)"
    )]
    Unloadable,
    #[error("key: {0} keys are not supported; Avi takes RSA and EC keys")]
    UnsupportedKey(String),
    #[error("key: the private key does not match the certificate's public key")]
    Mismatch,
}

/// What the controller computes from a key and certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    /// Fields of `certificate` (the PEM itself included).
    pub certificate: Map<String, Value>,
    /// `key_params` of the object: the key algorithm and its size or curve.
    pub key_params: Value,
}

/// Parses `cert_pem` (one or more PEM certificates; the first is the object's own, the rest
/// its chain), checks `key_pem` when given against the first, and describes the first.
pub fn inspect(cert_pem: &str, key_pem: Option<&str>, now: SystemTime) -> Result<Described, KeyCertError> {
    let ders = certificate_ders(cert_pem)?;
    let mut parsed = Vec::with_capacity(ders.len());
    for (index, der) in ders.iter().enumerate() {
        let (_, cert) = parse_x509_certificate(der).map_err(|e| KeyCertError::BadCertificate {
            index,
            reason: e.to_string(),
        })?;
        parsed.push(cert);
    }
    let first = &parsed[0];
    let key_params = key_params(first.public_key())?;
    if let Some(key) = key_pem {
        check_key(key, first.public_key())?;
    }
    Ok(Described {
        certificate: describe(first, &ders[0], cert_pem, now),
        key_params,
    })
}

fn certificate_ders(cert_pem: &str) -> Result<Vec<Vec<u8>>, KeyCertError> {
    let ders: Vec<Vec<u8>> = rustls_pki_types::CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|e| KeyCertError::CertificatePem(e.to_string()))?;
    if ders.is_empty() {
        return Err(KeyCertError::NoCertificate);
    }
    Ok(ders)
}

fn check_key(key_pem: &str, cert_key: &SubjectPublicKeyInfo<'_>) -> Result<(), KeyCertError> {
    // PKCS#8 `ENCRYPTED PRIVATE KEY` sections and legacy `Proc-Type: 4,ENCRYPTED` headers.
    if key_pem.contains("ENCRYPTED") {
        return Err(KeyCertError::Encrypted);
    }
    let keys: Vec<PrivateKeyDer<'static>> = PrivateKeyDer::pem_slice_iter(key_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| KeyCertError::KeyPem(e.to_string()))?;
    let key = match keys.as_slice() {
        [] => return Err(KeyCertError::NoKey),
        [one] => one,
        several => return Err(KeyCertError::SeveralKeys(several.len())),
    };
    // ring checks the key's own consistency while loading it (RSA: the CRT components; EC:
    // the embedded public point against the private scalar).
    let signing =
        rustls::crypto::ring::sign::any_supported_type(key).map_err(|_| KeyCertError::Unloadable)?;
    match signing.algorithm() {
        SignatureAlgorithm::RSA | SignatureAlgorithm::ECDSA => {}
        other => return Err(KeyCertError::UnsupportedKey(format!("{other:?}"))),
    }
    let spki = signing.public_key().ok_or(KeyCertError::Unloadable)?;
    let (_, key_spki) =
        SubjectPublicKeyInfo::from_der(spki.as_ref()).map_err(|_| KeyCertError::Unloadable)?;
    let same_algorithm = key_spki.algorithm.algorithm == cert_key.algorithm.algorithm;
    if !same_algorithm || key_spki.subject_public_key.data != cert_key.subject_public_key.data {
        return Err(KeyCertError::Mismatch);
    }
    Ok(())
}

fn key_params(spki: &SubjectPublicKeyInfo<'_>) -> Result<Value, KeyCertError> {
    let alg = &spki.algorithm.algorithm;
    if *alg == OID_PKCS1_RSAENCRYPTION {
        let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = spki.parsed() else {
            return Err(KeyCertError::UnsupportedCertificateKey(
                "an unreadable RSA key".into(),
            ));
        };
        let exponent = rsa.try_exponent().unwrap_or_default();
        return Ok(json!({
            "algorithm": "SSL_KEY_ALGORITHM_RSA",
            "rsa_params": {
                "key_size": format!("SSL_KEY_{}_BITS", modulus_bits(rsa.modulus)),
                "exponent": exponent,
            },
        }));
    }
    if *alg == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok());
        let curve = match curve {
            Some(c) if c == OID_EC_P256 => "SSL_KEY_EC_CURVE_SECP256R1",
            Some(c) if c == OID_NIST_EC_P384 => "SSL_KEY_EC_CURVE_SECP384R1",
            Some(c) if c == OID_NIST_EC_P521 => "SSL_KEY_EC_CURVE_SECP521R1",
            other => {
                return Err(KeyCertError::UnsupportedCertificateKey(format!(
                    "EC on curve {}",
                    other.map_or_else(|| "?".to_string(), |o| o.to_id_string())
                )));
            }
        };
        return Ok(json!({"algorithm": "SSL_KEY_ALGORITHM_EC", "ec_params": {"curve": curve}}));
    }
    Err(KeyCertError::UnsupportedCertificateKey(oid_name(alg)))
}

fn modulus_bits(modulus: &[u8]) -> usize {
    let digits: &[u8] = match modulus.iter().position(|b| *b != 0) {
        Some(i) => &modulus[i..],
        None => &[],
    };
    digits
        .first()
        .map_or(0, |top| digits.len() * 8 - top.leading_zeros() as usize)
}

fn oid_name(oid: &x509_parser::oid_registry::Oid<'_>) -> String {
    x509_parser::objects::oid2sn(oid, x509_parser::objects::oid_registry())
        .map(str::to_string)
        .unwrap_or_else(|_| oid.to_id_string())
}

fn name_fields(n: &X509Name<'_>) -> Value {
    let mut out = Map::new();
    let mut put = |key: &str, value: Option<&str>| {
        if let Some(v) = value {
            out.insert(key.into(), json!(v));
        }
    };
    put(
        "common_name",
        n.iter_common_name().next().and_then(|a| a.as_str().ok()),
    );
    put(
        "organization",
        n.iter_organization().next().and_then(|a| a.as_str().ok()),
    );
    put(
        "organization_unit",
        n.iter_organizational_unit().next().and_then(|a| a.as_str().ok()),
    );
    put("locality", n.iter_locality().next().and_then(|a| a.as_str().ok()));
    put(
        "state",
        n.iter_state_or_province().next().and_then(|a| a.as_str().ok()),
    );
    put("country", n.iter_country().next().and_then(|a| a.as_str().ok()));
    put(
        "email_address",
        n.iter_email().next().and_then(|a| a.as_str().ok()),
    );
    out.insert("distinguished_name".into(), json!(n.to_string()));
    Value::Object(out)
}

fn utc(ts: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(ts).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn describe(cert: &X509Certificate<'_>, der: &[u8], pem: &str, now: SystemTime) -> Map<String, Value> {
    let not_before = utc(cert.validity().not_before.timestamp());
    let not_after = utc(cert.validity().not_after.timestamp());
    let now = OffsetDateTime::from(now);
    let warn_from = not_after - Duration::from_secs(EXPIRY_WARNING_DAYS * 86_400);
    let expiry_status = if now >= not_after {
        "SSL_CERTIFICATE_EXPIRED"
    } else if now >= warn_from {
        "SSL_CERTIFICATE_EXPIRY_WARNING"
    } else {
        "SSL_CERTIFICATE_GOOD"
    };
    let spki = cert.public_key();
    let public_key = pem::encode_config(
        &pem::Pem::new("PUBLIC KEY", spki.raw.to_vec()),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    );
    let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    let fingerprint = sha1
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let version = cert.version().0;
    let serial = cert.tbs_certificate.serial.to_string();
    let signature_algorithm = oid_name(&cert.signature_algorithm.algorithm);
    let mut out = Map::new();
    out.insert("version".into(), json!(version.to_string()));
    out.insert("serial_number".into(), json!(serial));
    out.insert(
        "self_signed".into(),
        json!(cert.subject().as_raw() == cert.issuer().as_raw()),
    );
    out.insert("issuer".into(), name_fields(cert.issuer()));
    out.insert("subject".into(), name_fields(cert.subject()));
    out.insert("public_key".into(), json!(public_key));
    out.insert("signature_algorithm".into(), json!(signature_algorithm));
    out.insert("not_before".into(), json!(timefmt::certificate_time(not_before)));
    out.insert("not_after".into(), json!(timefmt::certificate_time(not_after)));
    out.insert("certificate".into(), json!(pem));
    out.insert(
        "text".into(),
        json!(text(
            cert,
            version,
            &serial,
            &signature_algorithm,
            not_before,
            not_after
        )),
    );
    out.insert(
        "fingerprint".into(),
        json!(format!("SHA1 Fingerprint={fingerprint}\n")),
    );
    out.insert("expiry_status".into(), json!(expiry_status));
    let sans = subject_alt_names(cert);
    if !sans.is_empty() {
        out.insert("subject_alt_names".into(), json!(sans));
    }
    out
}

fn subject_alt_names(cert: &X509Certificate<'_>) -> Vec<String> {
    let mut out = vec![];
    for ext in cert.extensions() {
        if let ParsedExtension::SubjectAlternativeName(san) = ext.parsed_extension() {
            for name in &san.general_names {
                match name {
                    GeneralName::DNSName(d) => out.push((*d).to_string()),
                    GeneralName::IPAddress(ip) => match ip.len() {
                        4 => out.push(std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string()),
                        16 => {
                            let mut b = [0u8; 16];
                            b.copy_from_slice(ip);
                            out.push(std::net::Ipv6Addr::from(b).to_string());
                        }
                        _ => {}
                    },
                    _ => {}
                }
            }
        }
    }
    out
}

/// An abridged `openssl x509 -text` rendering (the controller shows OpenSSL's full output).
fn text(
    cert: &X509Certificate<'_>,
    version: u32,
    serial: &str,
    signature_algorithm: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> String {
    let key_alg = oid_name(&cert.public_key().algorithm.algorithm);
    format!(
        "Certificate:\n    Data:\n        Version: {} (0x{version:x})\n        Serial Number: {serial}\n    \
         Signature Algorithm: {signature_algorithm}\n        Issuer: {}\n        Validity\n            \
         Not Before: {}\n            Not After : {}\n        Subject: {}\n        Subject Public Key Info:\n            \
         Public Key Algorithm: {key_alg}\n",
        version + 1,
        cert.issuer(),
        timefmt::openssl_time(not_before),
        timefmt::openssl_time(not_after),
        cert.subject(),
    )
}

/// A self-signed EC P-256 certificate and its key, PEM encoded (ring, behind rcgen, cannot
/// generate RSA keys).
pub fn generate_self_signed(common_name: &str) -> Result<(String, String), rcgen::Error> {
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(vec![common_name.to_string()])?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    let cert = params.self_signed(&key)?;
    Ok((cert.pem(), key.serialize_pem()))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use rcgen::{CertificateParams, DnType, KeyPair};
    use serde_json::{Value, json};

    use super::*;
    use crate::testkit;

    const RSA_A_PKCS8: &str = include_str!("../tests/fixtures/rsa-a.pkcs8.pem");
    const RSA_A_PKCS1: &str = include_str!("../tests/fixtures/rsa-a.pkcs1.pem");
    const RSA_A_ENCRYPTED: &str = include_str!("../tests/fixtures/rsa-a.encrypted.pem");
    const RSA_B_PKCS8: &str = include_str!("../tests/fixtures/rsa-b.pkcs8.pem");
    const EC_P256_SEC1: &str = include_str!("../tests/fixtures/ec-p256.sec1.pem");
    const EC_P256_PKCS8: &str = include_str!("../tests/fixtures/ec-p256.pkcs8.pem");
    const EC_P384_PKCS8: &str = include_str!("../tests/fixtures/ec-p384.pkcs8.pem");
    const ED25519_PKCS8: &str = include_str!("../tests/fixtures/ed25519.pkcs8.pem");

    fn cert_for(key_pem: &str, cn: &str, edit: impl FnOnce(&mut CertificateParams)) -> String {
        let key = KeyPair::from_pem(key_pem).unwrap();
        let mut params = CertificateParams::new(vec![format!("{cn}.example.com")]).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        edit(&mut params);
        params.self_signed(&key).unwrap().pem()
    }

    fn now() -> SystemTime {
        SystemTime::now()
    }

    /// The certificate and key the recorded controller described (test_ssl_vs).
    fn recorded() -> (String, String, Value, Value) {
        let cassettes = testkit::load_cassettes().unwrap();
        let c = cassettes.iter().find(|c| c.name == "test_ssl_vs").unwrap();
        let post = c
            .interactions
            .iter()
            .find(|i| i.request.method == "POST" && i.request.uri.ends_with("/sslkeyandcertificate"))
            .unwrap();
        let sent: Value = serde_json::from_str(post.request.body.as_deref().unwrap()).unwrap();
        let read = c
            .interactions
            .iter()
            .find(|i| i.request.method == "GET" && i.request.uri.contains("sslkeyandcertificate?name="))
            .unwrap();
        let got: Value = serde_json::from_str(&read.response.body.string).unwrap();
        let obj = got["results"][0].clone();
        (
            sent["certificate"]["certificate"].as_str().unwrap().to_string(),
            sent["key"].as_str().unwrap().to_string(),
            obj["certificate"].clone(),
            obj["key_params"].clone(),
        )
    }

    #[test]
    fn describes_the_recorded_certificate_as_the_controller_did() {
        let (cert, key, want, want_params) = recorded();
        // The recording is from 2020; describe it as of then for expiry_status.
        let then = SystemTime::UNIX_EPOCH + Duration::from_secs(1_595_317_894);
        let d = inspect(&cert, Some(&key), then).unwrap();
        assert_eq!(d.key_params, want_params);
        for field in [
            "version",
            "serial_number",
            "self_signed",
            "issuer",
            "subject",
            "public_key",
            "signature_algorithm",
            "not_before",
            "not_after",
            "certificate",
            "fingerprint",
            "expiry_status",
        ] {
            assert_eq!(d.certificate[field], want[field], "{field}");
        }
        assert!(d.certificate["text"].as_str().unwrap().contains(
            "Issuer: C=US, ST=CA, L=San Francisco, O=IT, CN=app2-cert\n        Validity\n            \
             Not Before: Jun 11 04:44:28 2017 GMT\n            Not After : Jun  9 04:44:28 2027 GMT"
        ));
        // A certificate alone (no key) is described too.
        assert!(inspect(&cert, None, then).is_ok());
    }

    #[test]
    fn rsa_keys_match_in_pkcs1_and_pkcs8() {
        let cert = cert_for(RSA_A_PKCS8, "a", |_| {});
        for key in [RSA_A_PKCS8, RSA_A_PKCS1] {
            let d = inspect(&cert, Some(key), now()).unwrap();
            assert_eq!(
                d.key_params,
                json!({"algorithm": "SSL_KEY_ALGORITHM_RSA",
                       "rsa_params": {"key_size": "SSL_KEY_2048_BITS", "exponent": 65537}})
            );
            assert_eq!(d.certificate["subject"]["common_name"], "a");
            assert_eq!(d.certificate["subject_alt_names"], json!(["a.example.com"]));
            assert_eq!(d.certificate["signature_algorithm"], "sha256WithRSAEncryption");
            assert_eq!(d.certificate["expiry_status"], "SSL_CERTIFICATE_GOOD");
            assert_eq!(d.certificate["self_signed"], true);
        }
        assert_eq!(
            inspect(&cert, Some(RSA_B_PKCS8), now()),
            Err(KeyCertError::Mismatch)
        );
        assert_eq!(
            inspect(&cert, Some(EC_P256_PKCS8), now()),
            Err(KeyCertError::Mismatch)
        );
    }

    #[test]
    fn ec_keys_match_in_sec1_and_pkcs8() {
        let cert = cert_for(EC_P256_PKCS8, "e", |_| {});
        // The SEC1 file starts with an `EC PARAMETERS` section, as `openssl ecparam -genkey`
        // writes it.
        for key in [EC_P256_PKCS8, EC_P256_SEC1] {
            let d = inspect(&cert, Some(key), now()).unwrap();
            assert_eq!(
                d.key_params,
                json!({"algorithm": "SSL_KEY_ALGORITHM_EC",
                       "ec_params": {"curve": "SSL_KEY_EC_CURVE_SECP256R1"}})
            );
            assert_eq!(d.certificate["signature_algorithm"], "ecdsa-with-SHA256");
        }
        let p384 = cert_for(EC_P384_PKCS8, "e384", |_| {});
        let d = inspect(&p384, Some(EC_P384_PKCS8), now()).unwrap();
        assert_eq!(d.key_params["ec_params"]["curve"], "SSL_KEY_EC_CURVE_SECP384R1");
        assert_eq!(
            inspect(&p384, Some(EC_P256_PKCS8), now()),
            Err(KeyCertError::Mismatch)
        );
        assert_eq!(
            inspect(&cert, Some(RSA_A_PKCS1), now()),
            Err(KeyCertError::Mismatch)
        );
    }

    #[test]
    fn bad_keys_are_named() {
        let cert = cert_for(RSA_A_PKCS8, "a", |_| {});
        let two = format!("{RSA_A_PKCS8}{RSA_B_PKCS8}");
        let cases: Vec<(&str, KeyCertError)> = vec![
            (RSA_A_ENCRYPTED, KeyCertError::Encrypted),
            (&two, KeyCertError::SeveralKeys(2)),
            ("not a key", KeyCertError::NoKey),
            (&cert, KeyCertError::NoKey),
            (
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                KeyCertError::Unloadable,
            ),
            (ED25519_PKCS8, KeyCertError::UnsupportedKey("ED25519".into())),
        ];
        for (key, want) in cases {
            assert_eq!(inspect(&cert, Some(key), now()), Err(want));
        }
        assert!(matches!(
            inspect(
                &cert,
                Some("-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n"),
                now()
            ),
            Err(KeyCertError::KeyPem(_))
        ));
        assert_eq!(
            KeyCertError::Mismatch.to_string(),
            "key: the private key does not match the certificate's public key"
        );
    }

    #[test]
    fn bad_certificates_are_named() {
        let good = cert_for(RSA_A_PKCS8, "a", |_| {});
        assert_eq!(
            inspect(RSA_A_PKCS8, None, now()),
            Err(KeyCertError::NoCertificate)
        );
        assert_eq!(inspect("", None, now()), Err(KeyCertError::NoCertificate));
        let junk = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            inspect(junk, None, now()),
            Err(KeyCertError::BadCertificate { index: 0, .. })
        ));
        assert!(matches!(
            inspect(&format!("{good}{junk}"), None, now()),
            Err(KeyCertError::BadCertificate { index: 1, .. })
        ));
        let ed = cert_for(ED25519_PKCS8, "ed", |_| {});
        assert_eq!(
            inspect(&ed, None, now()),
            Err(KeyCertError::UnsupportedCertificateKey("ed25519".into()))
        );
        // A chain: the first certificate is the object's own.
        let ca = cert_for(EC_P256_PKCS8, "ca", |_| {});
        let d = inspect(&format!("{good}{ca}"), Some(RSA_A_PKCS1), now()).unwrap();
        assert_eq!(d.certificate["subject"]["common_name"], "a");
    }

    #[test]
    fn expiry_status_follows_not_after() {
        let in_days = |days: i64| {
            cert_for(EC_P256_PKCS8, "t", |p| {
                p.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(400);
                p.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(days);
            })
        };
        for (days, want) in [
            (-1, "SSL_CERTIFICATE_EXPIRED"),
            (10, "SSL_CERTIFICATE_EXPIRY_WARNING"),
            (60, "SSL_CERTIFICATE_GOOD"),
        ] {
            let d = inspect(&in_days(days), Some(EC_P256_SEC1), now()).unwrap();
            assert_eq!(d.certificate["expiry_status"], want, "{days} days");
        }
    }

    #[test]
    fn generated_default_certificate_inspects() {
        let (cert, key) = generate_self_signed("System-Default-Cert").unwrap();
        let d = inspect(&cert, Some(&key), now()).unwrap();
        assert_eq!(d.certificate["subject"]["common_name"], "System-Default-Cert");
        assert_eq!(d.key_params["algorithm"], "SSL_KEY_ALGORITHM_EC");
    }
}
