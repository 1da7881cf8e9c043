//! Server-filled defaults per type, taken from what the recorded controller (20.1.x) returns on
//! create, and for types without a recording from the defaults of the Avi object schema
//! (vmware/alb-sdk `swagger/*.json`). Applied on create and on PUT (a PUT replaces the object,
//! so omitted fields revert).

use serde_json::{Map, Value, json};

/// Canonical refs of the system objects defaults point at.
#[derive(Debug, Clone, Default)]
pub struct SystemRefs {
    pub cloud: String,
    pub cloud_type: String,
    pub vrf_global: String,
    pub se_group: String,
    pub analytics_profile: String,
    pub app_profile_http: String,
    pub net_profile_tcp_proxy: String,
    /// What the recorded controller put on a virtual service with an SSL service and no
    /// `ssl_profile_ref`.
    pub ssl_profile_for_ssl_services: String,
}

fn put(m: &mut Map<String, Value>, key: &str, v: Value) {
    m.entry(key.to_string()).or_insert(v);
}

fn put_all(m: &mut Map<String, Value>, defaults: Value) {
    if let Value::Object(d) = defaults {
        for (k, v) in d {
            m.entry(k).or_insert(v);
        }
    }
}

pub fn apply(kind: &str, body: &mut Map<String, Value>, sys: &SystemRefs) {
    match kind {
        "pool" => pool(body, sys),
        "vsvip" => vsvip(body, sys),
        "virtualservice" => virtualservice(body, sys),
        "poolgroup" => poolgroup(body, sys),
        "httppolicyset" => httppolicyset(body),
        "sslkeyandcertificate" => sslkeyandcertificate(body),
        "l4policyset" => put(body, "is_internal_policy", json!(false)),
        "tenant" => tenant(body),
        "healthmonitor" => put_all(
            body,
            json!({"send_interval": 10, "receive_timeout": 4, "successful_checks": 2,
                   "failed_checks": 2, "is_federated": false}),
        ),
        "networkprofile" => put_all(body, json!({"connection_mirror": false})),
        "serviceenginegroup" => {
            put(body, "cloud_ref", json!(sys.cloud));
            put_all(
                body,
                json!({"max_se": 10, "min_scaleout_per_vs": 1, "max_scaleout_per_vs": 4,
                       "ha_mode": "HA_MODE_SHARED", "algo": "PLACEMENT_ALGO_PACKED"}),
            );
        }
        "applicationprofile" => put_all(body, json!({"preserve_client_ip": false})),
        _ => {}
    }
}

fn pool(b: &mut Map<String, Value>, sys: &SystemRefs) {
    put(b, "cloud_ref", json!(sys.cloud));
    put_all(
        b,
        json!({
            "enabled": true,
            "default_server_port": 80,
            "graceful_disable_timeout": 1,
            "connection_ramp_duration": 10,
            "max_concurrent_connections_per_server": 0,
            "lb_algorithm": "LB_ALGORITHM_LEAST_CONNECTIONS",
            "lb_algorithm_hash": "LB_ALGORITHM_CONSISTENT_HASH_SOURCE_IP_ADDRESS",
            "inline_health_monitor": true,
            "use_service_port": false,
            "capacity_estimation": false,
            "capacity_estimation_ttfb_thresh": 0,
            "fewest_tasks_feedback_delay": 10,
            "request_queue_enabled": false,
            "request_queue_depth": 128,
            "host_check_enabled": false,
            "sni_enabled": true,
            "rewrite_host_header_to_sni": false,
            "rewrite_host_header_to_server_name": false,
            "lb_algorithm_core_nonaffinity": 2,
            "lookup_server_by_name": false,
            "server_timeout": 0,
            "delete_server_on_dns_refresh": true,
            "enable_http2": false,
            "ignore_server_port": false,
            "routing_pool": false,
            "vrf_ref": sys.vrf_global,
            "analytics_profile_ref": sys.analytics_profile,
        }),
    );
    if let Some(Value::Array(servers)) = b.get_mut("servers") {
        for s in servers.iter_mut().filter_map(Value::as_object_mut) {
            let host = s
                .get("ip")
                .and_then(|ip| ip.get("addr"))
                .cloned()
                .unwrap_or(Value::Null);
            if !host.is_null() {
                put(s, "hostname", host);
            }
            put_all(
                s,
                json!({"enabled": true, "ratio": 1, "verify_network": false,
                       "resolve_server_by_dns": false, "static": false,
                       "rewrite_host_header": false}),
            );
        }
    }
}

fn vsvip(b: &mut Map<String, Value>, sys: &SystemRefs) {
    put(b, "vrf_context_ref", json!(sys.vrf_global));
    put(b, "cloud_ref", json!(sys.cloud));
    put(b, "east_west_placement", json!(false));
    if let Some(Value::Array(vips)) = b.get_mut("vip") {
        for (i, v) in vips.iter_mut().enumerate() {
            if let Some(v) = v.as_object_mut() {
                put(v, "vip_id", json!(i.to_string()));
                put_all(
                    v,
                    json!({"enabled": true, "auto_allocate_ip": false,
                           "auto_allocate_floating_ip": false, "avi_allocated_vip": false,
                           "avi_allocated_fip": false, "auto_allocate_ip_type": "V4_ONLY",
                           "prefix_length": 32}),
                );
            }
        }
    }
}

fn virtualservice(b: &mut Map<String, Value>, sys: &SystemRefs) {
    put(b, "cloud_ref", json!(sys.cloud));
    put_all(
        b,
        json!({
            "enabled": true,
            "application_profile_ref": sys.app_profile_http,
            "se_group_ref": sys.se_group,
            "vrf_context_ref": sys.vrf_global,
            "analytics_profile_ref": sys.analytics_profile,
            "enable_autogw": true,
            "weight": 1,
            "delay_fairness": false,
            "max_cps_per_client": 0,
            "limit_doser": false,
            "type": "VS_TYPE_NORMAL",
            "vh_type": "VS_TYPE_VH_SNI",
            "cloud_type": sys.cloud_type,
            "use_bridge_ip_as_vip": false,
            "flow_dist": "LOAD_AWARE",
            "ign_pool_net_reach": false,
            "ssl_sess_cache_avg_size": 1024,
            "remove_listening_port_on_vs_down": false,
            "close_client_conn_on_config_update": false,
            "bulk_sync_kvcache": false,
            "advertise_down_vs": false,
            "east_west_placement": false,
            "scaleout_ecmp": false,
            "active_standby_se_tag": "ACTIVE_STANDBY_SE_1",
            "flow_label_type": "NO_LABEL",
            "use_vip_as_snat": false,
            "traffic_enabled": true,
            "allow_invalid_client_cert": false,
            "network_profile_ref": sys.net_profile_tcp_proxy,
        }),
    );
    if let Some(Value::Array(services)) = b.get_mut("services") {
        for s in services.iter_mut().filter_map(Value::as_object_mut) {
            let port = s.get("port").cloned().unwrap_or(Value::Null);
            put(s, "enable_ssl", json!(false));
            put(s, "port_range_end", port);
            put(s, "enable_http2", json!(false));
        }
    }
    let ssl_service = b
        .get("services")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|s| s.get("enable_ssl") == Some(&json!(true))));
    if ssl_service {
        put(b, "ssl_profile_ref", json!(sys.ssl_profile_for_ssl_services));
    }
}

fn poolgroup(b: &mut Map<String, Value>, sys: &SystemRefs) {
    put(b, "cloud_ref", json!(sys.cloud));
    put_all(b, json!({"min_servers": 0, "implicit_priority_labels": false}));
    if let Some(Value::Array(members)) = b.get_mut("members") {
        for m in members.iter_mut().filter_map(Value::as_object_mut) {
            put(m, "ratio", json!(1));
        }
    }
}

/// Schema defaults: rule `enable`, match `match_case`, path `match_decoded_string`, redirect
/// `keep_query` and `status_code`.
fn httppolicyset(b: &mut Map<String, Value>) {
    put(b, "is_internal_policy", json!(false));
    let rules = b
        .get_mut("http_request_policy")
        .and_then(|p| p.get_mut("rules"))
        .and_then(Value::as_array_mut);
    for rule in rules.into_iter().flatten().filter_map(Value::as_object_mut) {
        put(rule, "enable", json!(true));
        if let Some(m) = rule.get_mut("match").and_then(Value::as_object_mut) {
            if let Some(h) = m.get_mut("host_hdr").and_then(Value::as_object_mut) {
                put(h, "match_case", json!("INSENSITIVE"));
            }
            if let Some(p) = m.get_mut("path").and_then(Value::as_object_mut) {
                put_all(
                    p,
                    json!({"match_case": "INSENSITIVE", "match_decoded_string": true}),
                );
            }
        }
        if let Some(r) = rule.get_mut("redirect_action").and_then(Value::as_object_mut) {
            put_all(
                r,
                json!({"keep_query": true, "status_code": "HTTP_REDIRECT_STATUS_CODE_302"}),
            );
        }
    }
}

/// As in the recorded create answer (`type` is the schema's first value).
fn sslkeyandcertificate(b: &mut Map<String, Value>) {
    put_all(
        b,
        json!({
            "type": "SSL_CERTIFICATE_TYPE_VIRTUALSERVICE",
            "status": "SSL_CERTIFICATE_FINISHED",
            "format": "SSL_PEM",
            "key_passphrase": "",
            "certificate_base64": false,
            "key_base64": false,
            "enable_ocsp_stapling": false,
        }),
    );
    if let Some(c) = b.get_mut("certificate").and_then(Value::as_object_mut) {
        put(c, "days_until_expire", json!(365));
    }
}

fn tenant(b: &mut Map<String, Value>) {
    // The recorded SDK sends `"local": "true"`; the controller stores a boolean.
    let local = match b.get("local") {
        Some(Value::String(s)) => Value::Bool(s.eq_ignore_ascii_case("true")),
        Some(v @ Value::Bool(_)) => v.clone(),
        _ => Value::Bool(true),
    };
    b.insert("local".into(), local);
    put(
        b,
        "config_settings",
        json!({"tenant_vrf": false, "se_in_provider_context": true,
               "tenant_access_to_provider_se": true}),
    );
}

/// Runtime fields a virtual service shows on reads (not in the create answer), as recorded.
pub fn virtualservice_runtime(seq: u64) -> Map<String, Value> {
    let key = || {
        json!({
            "aes_key": base64_16(),
            "hmac_key": base64_16(),
            "name": uuid::Uuid::new_v4().to_string(),
        })
    };
    let v = json!({
        "marked_for_delete": false,
        "redis_db": 1 + (seq % 16),
        "redis_port": 5028,
        "self_se_election": true,
        "tls_ticket_key": [key(), key(), key()],
        "version": "2",
        "vip_runtime": [{"vip_id": "0", "num_additional_se": 0,
                          "requested_resource": {"num_se": 1, "num_standby_se": 0}}],
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn base64_16() -> String {
    use base64::Engine;
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_server_defaults() {
        let mut b = json!({"name": "p", "servers": [{"ip": {"addr": "10.0.0.1", "type": "V4"}, "port": 80}]})
            .as_object()
            .cloned()
            .unwrap();
        apply("pool", &mut b, &SystemRefs::default());
        assert_eq!(b["servers"][0]["hostname"], "10.0.0.1");
        assert_eq!(b["servers"][0]["ratio"], 1);
        assert_eq!(b["lb_algorithm"], "LB_ALGORITHM_LEAST_CONNECTIONS");
    }

    #[test]
    fn given_values_win() {
        let mut b = json!({"name": "v", "services": [{"port": 80, "port_range_end": 90}], "enabled": false})
            .as_object()
            .cloned()
            .unwrap();
        apply("virtualservice", &mut b, &SystemRefs::default());
        assert_eq!(b["enabled"], false);
        assert_eq!(b["services"][0]["port_range_end"], 90);
        assert_eq!(b["services"][0]["enable_ssl"], false);
    }

    #[test]
    fn tenant_local_string_coerced() {
        let mut b = json!({"name": "t", "local": "true"})
            .as_object()
            .cloned()
            .unwrap();
        apply("tenant", &mut b, &SystemRefs::default());
        assert_eq!(b["local"], true);
    }
}
