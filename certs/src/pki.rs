//! Certificate generation and assessment, with the clock passed in so tests can move it.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyPair, KeyUsagePurpose, PublicKeyData,
};
use time::{Duration, OffsetDateTime};
use x509_parser::extensions::GeneralName;
use x509_parser::pem::parse_x509_pem;

/// Issued certificates start this much in the past so a slightly slow clock elsewhere accepts
/// them at once.
const BACKDATE: Duration = Duration::hours(1);

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("generating certificate: {0}")]
    Generate(#[from] rcgen::Error),
}

/// PEM texts as stored in the Secret (`ca.crt`, `tls.crt`, `tls.key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub ca_crt: String,
    pub tls_crt: String,
    pub tls_key: String,
}

/// The DNS names a webhook Service is reached by inside the cluster.
pub fn service_dns_names(service: &str, namespace: &str) -> Vec<String> {
    vec![
        service.to_owned(),
        format!("{service}.{namespace}"),
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
    ]
}

/// A new CA and a serving certificate for `names` (DNS names or IP addresses), both valid
/// from `now` for `validity`.
pub fn generate(names: &[String], now: OffsetDateTime, validity: Duration) -> Result<Bundle, PkiError> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "avigw-webhook-ca");
    ca_params.distinguished_name = dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.not_before = now - BACKDATE;
    ca_params.not_after = now + validity;
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(names.to_vec())?;
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CommonName,
        names.first().map(String::as_str).unwrap_or("avigw-webhook"),
    );
    params.distinguished_name = dn;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = now - BACKDATE;
    params.not_after = now + validity;
    let cert = params.signed_by(&key, &issuer)?;
    Ok(Bundle {
        ca_crt: ca_cert.pem(),
        tls_crt: cert.pem(),
        tls_key: key.serialize_pem(),
    })
}

/// Whether an existing bundle can stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Keep,
    Create,
    Renew(String),
}

/// Keeps a bundle only when it is whole, signed by its CA, matches its key, covers every name,
/// and stays valid for longer than `renew_before`.
pub fn assess(
    existing: Option<&Bundle>,
    names: &[String],
    now: OffsetDateTime,
    renew_before: Duration,
) -> Decision {
    let Some(b) = existing else {
        return Decision::Create;
    };
    match check(b, names, now, renew_before) {
        Ok(()) => Decision::Keep,
        Err(reason) => Decision::Renew(reason),
    }
}

fn check(b: &Bundle, names: &[String], now: OffsetDateTime, renew_before: Duration) -> Result<(), String> {
    let (_, leaf_pem) =
        parse_x509_pem(b.tls_crt.as_bytes()).map_err(|e| format!("tls.crt is not PEM: {e}"))?;
    let leaf = leaf_pem
        .parse_x509()
        .map_err(|e| format!("tls.crt is not a certificate: {e}"))?;
    let (_, ca_pem) = parse_x509_pem(b.ca_crt.as_bytes()).map_err(|e| format!("ca.crt is not PEM: {e}"))?;
    let ca = ca_pem
        .parse_x509()
        .map_err(|e| format!("ca.crt is not a certificate: {e}"))?;
    leaf.verify_signature(Some(ca.public_key()))
        .map_err(|_| "tls.crt is not signed by ca.crt".to_owned())?;
    let key = KeyPair::from_pem(&b.tls_key).map_err(|e| format!("tls.key is not a usable key: {e}"))?;
    if key.subject_public_key_info() != leaf.public_key().raw {
        return Err("tls.key does not match tls.crt".to_owned());
    }
    let sans: Vec<String> = leaf
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::DNSName(d) => Some((*d).to_owned()),
                    GeneralName::IPAddress(ip) => ip_text(ip),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(missing) = names.iter().find(|n| !sans.contains(n)) {
        return Err(format!("tls.crt does not cover {missing}"));
    }
    let expires = leaf
        .validity()
        .not_after
        .timestamp()
        .min(ca.validity().not_after.timestamp());
    let left = expires - now.unix_timestamp();
    if left <= renew_before.whole_seconds() {
        return Err(format!(
            "expires in {}h, within the renewal window of {}h",
            left / 3600,
            renew_before.whole_hours()
        ));
    }
    if leaf.validity().not_before.timestamp() > now.unix_timestamp() + BACKDATE.whole_seconds() {
        return Err("tls.crt is not valid yet".to_owned());
    }
    Ok(())
}

fn ip_text(raw: &[u8]) -> Option<String> {
    match raw.len() {
        4 => Some(std::net::Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3]).to_string()),
        16 => <[u8; 16]>::try_from(raw)
            .ok()
            .map(|b| std::net::Ipv6Addr::from(b).to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        service_dns_names("avigw-webhook", "avigw-system")
    }

    #[test]
    fn dns_names() {
        assert_eq!(
            names(),
            [
                "avigw-webhook",
                "avigw-webhook.avigw-system",
                "avigw-webhook.avigw-system.svc",
                "avigw-webhook.avigw-system.svc.cluster.local"
            ]
        );
    }

    #[test]
    fn fresh_bundle_is_kept_until_the_window() {
        let now = OffsetDateTime::now_utc();
        let b = generate(&names(), now, Duration::days(365)).unwrap();
        assert_eq!(
            assess(Some(&b), &names(), now, Duration::days(30)),
            Decision::Keep
        );
        assert_eq!(
            assess(Some(&b), &names(), now + Duration::days(300), Duration::days(30)),
            Decision::Keep
        );
        match assess(Some(&b), &names(), now + Duration::days(340), Duration::days(30)) {
            Decision::Renew(r) => assert!(r.contains("within the renewal window of 720h"), "{r}"),
            d => panic!("{d:?}"),
        }
        assert_eq!(assess(None, &names(), now, Duration::days(30)), Decision::Create);
    }

    #[test]
    fn broken_bundles_are_renewed_with_a_reason() {
        let now = OffsetDateTime::now_utc();
        let a = generate(&names(), now, Duration::days(365)).unwrap();
        let b = generate(&names(), now, Duration::days(365)).unwrap();
        let reason = |x: &Bundle| match assess(Some(x), &names(), now, Duration::days(30)) {
            Decision::Renew(r) => r,
            d => panic!("{d:?}"),
        };
        assert_eq!(
            reason(&Bundle {
                ca_crt: b.ca_crt.clone(),
                ..a.clone()
            }),
            "tls.crt is not signed by ca.crt"
        );
        assert_eq!(
            reason(&Bundle {
                tls_key: b.tls_key.clone(),
                ..a.clone()
            }),
            "tls.key does not match tls.crt"
        );
        assert!(
            reason(&Bundle {
                tls_crt: "junk".into(),
                ..a.clone()
            })
            .starts_with("tls.crt is not PEM")
        );
        let other = generate(&["x".to_owned()], now, Duration::days(365)).unwrap();
        assert_eq!(reason(&other), "tls.crt does not cover avigw-webhook");
    }

    #[test]
    fn ip_names_are_covered() {
        let now = OffsetDateTime::now_utc();
        let n = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let b = generate(&n, now, Duration::days(1)).unwrap();
        assert_eq!(assess(Some(&b), &n, now, Duration::hours(1)), Decision::Keep);
    }
}
