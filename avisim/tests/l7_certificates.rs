//! SSLKeyAndCertificate and the read-only SSL profiles over HTTPS: PEM parsing and key matching,
//! the computed certificate fields, the private key absent from every answer, the seeded
//! System-Default-Cert.

mod support;

use reqwest::Method;
use serde_json::{Value, json};
use support::{
    EC_P256_PKCS8, EC_P256_SEC1, ED25519_PKCS8, RSA_A_ENCRYPTED, RSA_A_PKCS1, RSA_A_PKCS8, RSA_B_PKCS8, Sim,
    cert_for,
};

fn keycert(name: &str, cert: &str, key: Option<&str>) -> Value {
    let mut v = json!({"name": name, "type": "SSL_CERTIFICATE_TYPE_VIRTUALSERVICE",
                       "certificate": {"certificate": cert}, "created_by": "avigw-c",
                       "markers": [{"key": "clustername", "values": ["c"]},
                                   {"key": "Host", "values": ["noo.com"]}]});
    if let Some(k) = key {
        v["key"] = json!(k);
    }
    v
}

/// No answer may carry key material: `key` is absent (writes) or the placeholder (reads).
fn assert_no_key(answer: &Value) {
    let text = answer.to_string();
    assert!(!text.contains("PRIVATE KEY"), "{text}");
    for key in [RSA_A_PKCS1, RSA_A_PKCS8, EC_P256_SEC1] {
        let body: String = key.lines().nth(1).unwrap().to_string();
        assert!(!text.contains(&body), "key material in {text}");
    }
}

#[tokio::test]
async fn certificate_is_described_and_key_never_returned() {
    let s = Sim::start(|_| {}).await;
    let cert = cert_for(RSA_A_PKCS8, "noo.com");
    let created = s
        .create(
            "sslkeyandcertificate",
            keycert("cluster--noo.com", &cert, Some(RSA_A_PKCS1)),
        )
        .await;
    assert_no_key(&created);
    assert!(created.get("key").is_none(), "{created}");
    // The create answer has the recorded shape: computed fields, not the PEM text.
    let c = &created["certificate"];
    assert!(c.get("certificate").is_none() && c.get("public_key").is_none() && c.get("text").is_none());
    assert_eq!(c["subject"]["common_name"], "noo.com");
    assert_eq!(c["subject"]["distinguished_name"], "CN=noo.com");
    assert_eq!(c["self_signed"], true);
    assert_eq!(c["version"], "2");
    assert_eq!(c["expiry_status"], "SSL_CERTIFICATE_GOOD");
    assert_eq!(c["days_until_expire"], 365);
    assert_eq!(c["subject_alt_names"], json!(["noo.com"]));
    assert!(
        c["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("SHA1 Fingerprint=")
    );
    assert_eq!(
        created["key_params"],
        json!({"algorithm": "SSL_KEY_ALGORITHM_RSA",
               "rsa_params": {"key_size": "SSL_KEY_2048_BITS", "exponent": 65537}})
    );
    for (field, want) in [
        ("status", json!("SSL_CERTIFICATE_FINISHED")),
        ("format", json!("SSL_PEM")),
        ("key_passphrase", json!("")),
        ("certificate_base64", json!(false)),
        ("key_base64", json!(false)),
        ("enable_ocsp_stapling", json!(false)),
        ("type", json!("SSL_CERTIFICATE_TYPE_VIRTUALSERVICE")),
        ("created_by", json!("avigw-c")),
    ] {
        assert_eq!(created[field], want, "{field}");
    }
    assert!(created["tenant_ref"].as_str().unwrap().ends_with("#admin"));
    let uuid = created["uuid"].as_str().unwrap().to_string();

    // Every read path shows the placeholder, and the certificate text the client sent.
    let by_name = s.get_by_name("sslkeyandcertificate", "cluster--noo.com").await;
    let (_, one) = s
        .call(
            Method::GET,
            &format!("/api/sslkeyandcertificate/{uuid}?include_name"),
            None,
        )
        .await;
    let (_, listed) = s.call(Method::GET, "/api/sslkeyandcertificate", None).await;
    let (_, projected) = s
        .call(
            Method::GET,
            "/api/sslkeyandcertificate?fields=key,certificate",
            None,
        )
        .await;
    for read in [&by_name, &one] {
        assert_eq!(read["key"], "<sensitive>");
        assert_eq!(read["certificate"]["certificate"], cert.as_str());
        assert!(
            read["certificate"]["public_key"]
                .as_str()
                .unwrap()
                .starts_with("-----BEGIN PUBLIC KEY-----\n")
        );
        assert!(
            read["certificate"]["text"]
                .as_str()
                .unwrap()
                .contains("Subject: CN=noo.com")
        );
        assert_no_key(read);
    }
    for list in [&listed, &projected] {
        assert!(list["count"].as_u64().unwrap() >= 2, "{list}");
        for r in list["results"].as_array().unwrap() {
            assert_eq!(r["key"], "<sensitive>");
        }
        assert_no_key(list);
    }
    // Filters do not see the key either.
    let (_, probe) = s
        .call(
            Method::GET,
            "/api/sslkeyandcertificate?key.contains=PRIVATE",
            None,
        )
        .await;
    assert_eq!(probe["count"], 0);

    // PUT: a new certificate with its key; then the read placeholder sent back keeps the key.
    let ec_cert = cert_for(EC_P256_PKCS8, "noo.com");
    let (st, put) = s
        .call(
            Method::PUT,
            &format!("/api/sslkeyandcertificate/{uuid}"),
            Some(keycert("cluster--noo.com", &ec_cert, Some(EC_P256_SEC1))),
        )
        .await;
    assert_eq!(st, 200, "{put}");
    assert!(put.get("key").is_none());
    assert_no_key(&put);
    assert_eq!(put["key_params"]["algorithm"], "SSL_KEY_ALGORITHM_EC");
    let mut echoed = s.get_by_name("sslkeyandcertificate", "cluster--noo.com").await;
    echoed["created_by"] = json!("avigw-d");
    let (st, put) = s
        .call(
            Method::PUT,
            &format!("/api/sslkeyandcertificate/{uuid}"),
            Some(echoed),
        )
        .await;
    assert_eq!(st, 200, "{put}");
    assert_eq!(put["created_by"], "avigw-d");
    // A PUT of another certificate without its key is checked against the stored key.
    let got = s
        .error(
            Method::PUT,
            &format!("/api/sslkeyandcertificate/{uuid}"),
            Some(keycert("cluster--noo.com", &cert, None)),
        )
        .await;
    assert_eq!(
        got,
        (
            400,
            "key: the private key does not match the certificate's public key".to_string()
        )
    );
    let (st, patched) = s
        .call(
            Method::PATCH,
            &format!("/api/sslkeyandcertificate/{uuid}"),
            Some(json!({"replace": {"created_by": "avigw-e"}})),
        )
        .await;
    assert_eq!(st, 200, "{patched}");
    assert_no_key(&patched);
}

#[tokio::test]
async fn objects_dump_shows_no_key() {
    let s = Sim::start(|_| {}).await;
    s.create(
        "sslkeyandcertificate",
        keycert("k", &cert_for(EC_P256_PKCS8, "e.com"), Some(EC_P256_PKCS8)),
    )
    .await;
    let http = support::http_client(s.sim.ca_pem().unwrap());
    let dump: Value = http
        .get(format!("{}/_sim/objects", s.sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let certs = dump["sslkeyandcertificate"].as_array().unwrap();
    assert_eq!(certs.len(), 2, "System-Default-Cert and k");
    for c in certs {
        assert_eq!(c["key"], "<sensitive>");
    }
    assert!(!dump.to_string().contains("PRIVATE KEY"));
}

#[tokio::test]
async fn bad_certificates_and_keys_are_refused() {
    let s = Sim::start(|_| {}).await;
    let rsa = cert_for(RSA_A_PKCS8, "a.com");
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut v = keycert("bad", &rsa, Some(RSA_A_PKCS8));
        edit(&mut v);
        v
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            with(&|v| {
                v.as_object_mut().unwrap().remove("certificate");
            }),
            "certificate.certificate: This field is required.",
        ),
        (
            with(&|v| v["certificate"] = json!({})),
            "certificate.certificate: This field is required.",
        ),
        (
            with(&|v| v["certificate"]["certificate"] = json!("no pem here")),
            "certificate.certificate: no PEM certificate found",
        ),
        (
            with(&|v| v["certificate"]["certificate"] = json!(RSA_A_PKCS8)),
            "certificate.certificate: no PEM certificate found",
        ),
        (
            with(&|v| {
                v["certificate"]["certificate"] =
                    json!("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            }),
            "",
        ),
        (
            with(&|v| v["key"] = json!(RSA_B_PKCS8)),
            "key: the private key does not match the certificate's public key",
        ),
        (
            with(&|v| v["key"] = json!(EC_P256_SEC1)),
            "key: the private key does not match the certificate's public key",
        ),
        (
            with(&|v| v["key"] = json!(RSA_A_ENCRYPTED)),
            "key: encrypted private keys are not supported by avisim; send the key unencrypted",
        ),
        (
            with(&|v| v["key"] = json!(format!("{RSA_A_PKCS8}{RSA_A_PKCS1}"))),
            "key: 2 private keys found; exactly one is expected",
        ),
        (
            with(&|v| v["key"] = json!("not a key")),
            "key: no PEM private key found",
        ),
        (
            with(&|v| v["key"] = json!(ED25519_PKCS8)),
            "key: ED25519 keys are not supported; Avi takes RSA and EC keys",
        ),
        (
            with(&|v| {
                v.as_object_mut().unwrap().remove("key");
            }),
            "key: This field is required.",
        ),
        (
            with(&|v| v["key"] = json!("<sensitive>")),
            "key: This field is required.",
        ),
        (
            with(&|v| v["type"] = json!("SSL_CERTIFICATE_TYPE_FOO")),
            "type: \"SSL_CERTIFICATE_TYPE_FOO\" is not a valid choice.",
        ),
        (
            with(&|v| v["format"] = json!("SSL_PKCS12")),
            "format: avisim models SSL_PEM only",
        ),
        (
            with(&|v| v["key_base64"] = json!(true)),
            "key_base64: avisim models PEM text only (false)",
        ),
        (
            with(&|v| v["key_passphrase"] = json!("secret")),
            "key_passphrase: encrypted private keys are not supported by avisim; send the key unencrypted",
        ),
    ];
    for (body, text) in cases {
        let (st, got) = s
            .error(Method::POST, "/api/sslkeyandcertificate", Some(body))
            .await;
        assert_eq!(st, 400);
        if text.is_empty() {
            assert!(
                got.starts_with(
                    "certificate.certificate: PEM certificate 0 is not a valid X.509 certificate: "
                ),
                "{got}"
            );
        } else {
            assert_eq!(got, text);
        }
        assert!(!got.contains("PRIVATE KEY"));
    }
    // A CA certificate needs no key.
    s.create(
        "sslkeyandcertificate",
        json!({"name": "ca", "type": "SSL_CERTIFICATE_TYPE_CA",
               "certificate": {"certificate": cert_for(EC_P256_PKCS8, "ca")}}),
    )
    .await;
    s.create("sslkeyandcertificate", keycert("ok", &rsa, Some(RSA_A_PKCS8)))
        .await;
    let got = s
        .error(
            Method::POST,
            "/api/sslkeyandcertificate",
            Some(keycert("ok", &rsa, Some(RSA_A_PKCS8))),
        )
        .await;
    assert_eq!(
        got,
        (
            409,
            "Ssl key and certificate with this Name and Tenant ref already exists.".to_string()
        )
    );
}

#[tokio::test]
async fn system_objects_are_seeded_read_only() {
    let s = Sim::start(|_| {}).await;
    let cert = s.get_by_name("sslkeyandcertificate", "System-Default-Cert").await;
    assert_eq!(cert["type"], "SSL_CERTIFICATE_TYPE_VIRTUALSERVICE");
    assert!(
        cert["tenant_ref"]
            .as_str()
            .unwrap()
            .ends_with("/api/tenant/admin")
    );
    assert_eq!(cert["key"], "<sensitive>");
    assert_eq!(
        cert["certificate"]["subject"]["common_name"],
        "System-Default-Cert"
    );
    assert!(
        cert["certificate"]["certificate"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    let uuid = cert["uuid"].as_str().unwrap();
    let (st, _) = s
        .call(Method::DELETE, &format!("/api/sslkeyandcertificate/{uuid}"), None)
        .await;
    assert_eq!(st, 403);
    for (kind, name, ty) in [
        (
            "applicationprofile",
            "System-HTTP",
            "APPLICATION_PROFILE_TYPE_HTTP",
        ),
        (
            "applicationprofile",
            "System-Secure-HTTP",
            "APPLICATION_PROFILE_TYPE_HTTP",
        ),
        ("sslprofile", "System-Standard", "SSL_PROFILE_TYPE_APPLICATION"),
        (
            "sslprofile",
            "System-Standard-PFS",
            "SSL_PROFILE_TYPE_APPLICATION",
        ),
    ] {
        assert_eq!(s.get_by_name(kind, name).await["type"], ty, "{name}");
    }
    // SSL profiles are read-only as a type.
    let (st, _) = s
        .call(Method::POST, "/api/sslprofile", Some(json!({"name": "mine"})))
        .await;
    assert_eq!(st, 403);
}
