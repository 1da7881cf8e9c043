//! Read-only system objects every controller has: admin tenant, Default-Cloud, global VRF,
//! Default-Group, VIP networks with IPAM subnets, the System-* profiles and health monitors,
//! the System-Standard SSL profiles and System-Default-Cert.

use serde_json::{Map, Value, json};

use crate::config::SimConfig;
use crate::defaults::SystemRefs;
use crate::keycert::{self, KeyCertError};
use crate::kinds;
use crate::refs::canonical;
use crate::store::{ADMIN_TENANT, Record, Store};

fn new_uuid(kind: &str) -> String {
    format!("{kind}-{}", uuid::Uuid::new_v4())
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Inserts one seeded object; returns its canonical ref.
fn seed(
    store: &mut Store,
    kind: &str,
    uuid: Option<&str>,
    name: &str,
    cloud: Option<&str>,
    body: Value,
) -> String {
    seed_keyed(store, kind, uuid, name, cloud, body, None)
}

/// [`seed`] for an object holding a private key.
fn seed_keyed(
    store: &mut Store,
    kind: &str,
    uuid: Option<&str>,
    name: &str,
    cloud: Option<&str>,
    body: Value,
    secret: Option<String>,
) -> String {
    let Some(k) = kinds::kind(kind) else {
        return String::new();
    };
    let uuid = uuid.map_or_else(|| new_uuid(kind), str::to_string);
    let mut rec = Record::new(k, uuid.clone(), name.to_string(), ADMIN_TENANT.to_string());
    rec.body = obj(body);
    if kind != "tenant" {
        rec.body
            .insert("tenant_ref".into(), json!(canonical("tenant", ADMIN_TENANT)));
    }
    if let Some(c) = cloud {
        rec.body.insert("cloud_ref".into(), json!(canonical("cloud", c)));
        rec.cloud = Some(c.to_string());
    }
    rec.readonly = true;
    rec.secret = secret;
    rec.last_modified = (kind != "tenant").then(|| store.next_last_modified());
    store.insert(rec);
    canonical(kind, &uuid)
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("generating System-Default-Cert: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("describing System-Default-Cert: {0}")]
    Describe(#[from] KeyCertError),
}

pub fn seed_all(store: &mut Store, cfg: &SimConfig) -> Result<SystemRefs, SeedError> {
    seed(
        store,
        "tenant",
        Some(ADMIN_TENANT),
        "admin",
        None,
        json!({"local": true}),
    );
    let cloud_uuid = new_uuid("cloud");
    let cloud = seed(
        store,
        "cloud",
        Some(&cloud_uuid),
        "Default-Cloud",
        None,
        json!({
            "vtype": "CLOUD_NONE", "apic_mode": false, "dhcp_enabled": true, "mtu": 1500,
            "prefer_static_routes": false, "enable_vip_static_routes": false,
            "license_type": "LIC_CORES", "state_based_dns_registration": true,
            "ip6_autocfg_enabled": false, "dns_resolution_on_se": false,
            "enable_vip_on_all_interfaces": false, "license_tier": cfg.license_tier.as_str(),
            "autoscale_polling_interval": 60,
        }),
    );
    let vrf_global = seed(
        store,
        "vrfcontext",
        None,
        "global",
        Some(&cloud_uuid),
        json!({"system_default": true, "lldp_enable": true}),
    );
    seed(
        store,
        "vrfcontext",
        None,
        "management",
        Some(&cloud_uuid),
        json!({"system_default": true, "lldp_enable": true}),
    );
    let se_group = seed(
        store,
        "serviceenginegroup",
        None,
        "Default-Group",
        Some(&cloud_uuid),
        json!({"max_se": 10, "min_scaleout_per_vs": 1, "max_scaleout_per_vs": 4,
               "ha_mode": "HA_MODE_SHARED", "algo": "PLACEMENT_ALGO_PACKED"}),
    );
    for n in &cfg.networks {
        let uuid = new_uuid("network");
        let net = n.cidr;
        let hosts = net.hosts();
        let (begin, end) = match (hosts.clone().next(), hosts.last()) {
            (Some(b), Some(e)) => (b, e),
            _ => (net.network(), net.broadcast()),
        };
        seed(
            store,
            "network",
            Some(&uuid),
            &n.name,
            Some(&cloud_uuid),
            json!({
                "vrf_context_ref": vrf_global,
                "dhcp_enabled": false,
                "exclude_discovered_subnets": false,
                "synced_from_se": false,
                "ip6_autocfg_enabled": false,
                "configured_subnets": [{
                    "prefix": {"ip_addr": {"addr": net.network().to_string(), "type": "V4"},
                               "mask": net.prefix_len()},
                    "static_ip_ranges": [{
                        "range": {"begin": {"addr": begin.to_string(), "type": "V4"},
                                  "end": {"addr": end.to_string(), "type": "V4"}},
                        "type": "STATIC_IPS_FOR_VIP_AND_SE"
                    }]
                }],
            }),
        );
        store.vips.add_network(&uuid, &n.name, vec![net]);
    }
    let analytics_profile = seed(
        store,
        "analyticsprofile",
        None,
        "System-Analytics-Profile",
        None,
        json!({}),
    );
    let app_profile_http = seed(
        store,
        "applicationprofile",
        None,
        "System-HTTP",
        None,
        json!({"type": "APPLICATION_PROFILE_TYPE_HTTP", "preserve_client_ip": false}),
    );
    seed(
        store,
        "applicationprofile",
        None,
        "System-L4-Application",
        None,
        json!({"type": "APPLICATION_PROFILE_TYPE_L4", "preserve_client_ip": false}),
    );
    // System-Secure-HTTP is an HTTP profile that also redirects HTTP to HTTPS and sets HSTS.
    seed(
        store,
        "applicationprofile",
        None,
        "System-Secure-HTTP",
        None,
        json!({"type": "APPLICATION_PROFILE_TYPE_HTTP", "preserve_client_ip": false,
               "http_profile": {"http_to_https": true, "hsts_enabled": true,
                                "secure_cookie_enabled": true}}),
    );
    let mut ssl_profile_for_ssl_services = String::new();
    for (name, versions) in [
        (
            "System-Standard",
            &["SSL_VERSION_TLS1_1", "SSL_VERSION_TLS1_2", "SSL_VERSION_TLS1_3"][..],
        ),
        (
            "System-Standard-PFS",
            &["SSL_VERSION_TLS1_1", "SSL_VERSION_TLS1_2", "SSL_VERSION_TLS1_3"][..],
        ),
    ] {
        let accepted: Vec<Value> = versions.iter().map(|v| json!({"type": v})).collect();
        let r = seed(
            store,
            "sslprofile",
            None,
            name,
            None,
            json!({"type": "SSL_PROFILE_TYPE_APPLICATION", "accepted_versions": accepted,
                   "prefer_client_cipher_ordering": false, "send_close_notify": true,
                   "enable_ssl_session_reuse": true, "ssl_session_timeout": 86400}),
        );
        if name == "System-Standard-PFS" {
            ssl_profile_for_ssl_services = r;
        }
    }
    seed_default_cert(store)?;
    let mut tcp_proxy = String::new();
    for (name, ty) in [
        ("System-TCP-Proxy", "PROTOCOL_TYPE_TCP_PROXY"),
        ("System-TCP-Fast-Path", "PROTOCOL_TYPE_TCP_FAST_PATH"),
        ("System-UDP-Fast-Path", "PROTOCOL_TYPE_UDP_FAST_PATH"),
        ("System-SCTP-Proxy", "PROTOCOL_TYPE_SCTP_PROXY"),
    ] {
        let r = seed(
            store,
            "networkprofile",
            None,
            name,
            None,
            json!({"profile": {"type": ty}, "connection_mirror": false}),
        );
        if name == "System-TCP-Proxy" {
            tcp_proxy = r;
        }
    }
    for (name, ty) in [
        ("System-TCP", "HEALTH_MONITOR_TCP"),
        ("System-UDP", "HEALTH_MONITOR_UDP"),
        ("System-SCTP", "HEALTH_MONITOR_SCTP"),
        ("System-Ping", "HEALTH_MONITOR_PING"),
    ] {
        seed(
            store,
            "healthmonitor",
            None,
            name,
            None,
            json!({"type": ty, "send_interval": 10, "receive_timeout": 4,
                   "successful_checks": 2, "failed_checks": 2, "is_federated": false}),
        );
    }
    Ok(SystemRefs {
        cloud,
        cloud_type: "CLOUD_NONE".into(),
        vrf_global,
        se_group,
        analytics_profile,
        app_profile_http,
        net_profile_tcp_proxy: tcp_proxy,
        ssl_profile_for_ssl_services,
    })
}

/// System-Default-Cert: a real self-signed certificate generated at start, described and
/// keyed like any uploaded one.
fn seed_default_cert(store: &mut Store) -> Result<(), SeedError> {
    let name = "System-Default-Cert";
    let (cert, key) = keycert::generate_self_signed(name)?;
    let described = keycert::inspect(&cert, Some(&key), std::time::SystemTime::now())?;
    let mut body = json!({
        "type": "SSL_CERTIFICATE_TYPE_VIRTUALSERVICE", "status": "SSL_CERTIFICATE_FINISHED",
        "format": "SSL_PEM", "key_passphrase": "", "certificate_base64": false,
        "key_base64": false, "enable_ocsp_stapling": false,
        "key_params": described.key_params,
    });
    let mut certificate = described.certificate;
    certificate.insert("days_until_expire".into(), json!(365));
    body["certificate"] = Value::Object(certificate);
    seed_keyed(store, "sslkeyandcertificate", None, name, None, body, Some(key));
    Ok(())
}

/// The `systemconfiguration` singleton (shape as recorded, minus refs to objects we lack).
pub fn system_configuration(cfg: &SimConfig) -> Value {
    json!({
        "uuid": "default",
        "dns_configuration": {"search_domain": ""},
        "portal_configuration": {
            "enable_https": true, "redirect_to_https": true, "enable_http": true,
            "use_uuid_from_input": false, "enable_clickjacking_protection": true,
            "allow_basic_authentication": cfg.allow_basic_auth,
            "password_strength_check": false, "disable_remote_cli_shell": false,
            "disable_swagger": false, "api_force_timeout": 24,
            "sslkeyandcertificate_refs": [],
            "sslprofile_ref": format!("/api/sslprofile/sslprofile-{}", uuid::Uuid::new_v4()),
        },
        "global_tenant_config": {"tenant_vrf": false, "se_in_provider_context": true,
                                 "tenant_access_to_provider_se": true},
        "email_configuration": {"smtp_type": "SMTP_LOCAL_HOST",
                                "from_email": "admin@avicontroller.net",
                                "mail_server_name": "localhost", "mail_server_port": 25,
                                "disable_tls": false},
        "docker_mode": false,
        "ssh_ciphers": ["aes128-ctr", "aes256-ctr"],
        "ssh_hmacs": ["hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com"],
        "default_license_tier": cfg.license_tier.as_str(),
        "secure_channel_configuration": {"sslkeyandcertificate_refs": []},
        "welcome_workflow_complete": true,
        "fips_mode": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::TenantScope;

    #[test]
    fn seeds_are_findable_and_read_only() {
        let mut s = Store::default();
        let cfg = SimConfig::for_tests("pw");
        let sys = seed_all(&mut s, &cfg).unwrap();
        let admin = TenantScope::One(ADMIN_TENANT.into());
        for (kind, name) in [
            ("cloud", "Default-Cloud"),
            ("vrfcontext", "global"),
            ("serviceenginegroup", "Default-Group"),
            ("network", "vip-net"),
            ("applicationprofile", "System-L4-Application"),
            ("networkprofile", "System-UDP-Fast-Path"),
            ("networkprofile", "System-SCTP-Proxy"),
            ("healthmonitor", "System-SCTP"),
            ("tenant", "admin"),
            ("applicationprofile", "System-HTTP"),
            ("applicationprofile", "System-Secure-HTTP"),
            ("sslprofile", "System-Standard"),
            ("sslprofile", "System-Standard-PFS"),
            ("sslkeyandcertificate", "System-Default-Cert"),
        ] {
            let found = s.by_name(kind, name, &admin);
            assert_eq!(found.len(), 1, "{kind} {name}");
            assert!(found[0].readonly);
        }
        assert!(sys.cloud.starts_with("/api/cloud/cloud-"));
        assert!(!sys.net_profile_tcp_proxy.is_empty());
        assert!(sys.ssl_profile_for_ssl_services.starts_with("/api/sslprofile/"));
        let cert = s.by_name("sslkeyandcertificate", "System-Default-Cert", &admin)[0];
        assert_eq!(cert.tenant, ADMIN_TENANT);
        assert_eq!(cert.body["type"], "SSL_CERTIFICATE_TYPE_VIRTUALSERVICE");
        assert!(cert.secret.as_deref().unwrap().contains("PRIVATE KEY"));
        assert!(!cert.body.contains_key("key"));
        let pem = cert.body["certificate"]["certificate"].as_str().unwrap();
        keycert::inspect(pem, cert.secret.as_deref(), std::time::SystemTime::now()).unwrap();
    }
}
