//! FQDNs (SPEC §3): listener hostname, autoFQDN default / flat / disabled, external-dns.
mod translate_util;

use avigw_shared::translate::{Context, ControllerFacts, ObjKey, translate_all};
use translate_util::*;

fn gw_fqdns(
    cfg: &avigw_shared::config::Config,
    svc_name: &str,
    svc_ns: &str,
    hostname: Option<&str>,
) -> (Vec<String>, Vec<String>) {
    let mut gw = gateway("blue", "gw", &[("TCP", 80)]);
    if let Some(h) = hostname {
        gw = gw.replace("    port: 80\n", &format!("    port: 80\n    hostname: {h}\n"));
    }
    let plans = translate(
        cfg,
        &docs(&[
            class("avi"),
            gw,
            backend(svc_ns, svc_name, "blue", "gw", &[("TCP", 80)]),
        ]),
    );
    let p = plan(&plans, &gw_key("blue", "gw"));
    let dns: Vec<String> = p
        .avi
        .vsvip
        .as_ref()
        .unwrap()
        .dns_info
        .iter()
        .map(|d| d.fqdn.clone())
        .collect();
    let ingress = p.service_ingress[&ObjKey::new(svc_ns, svc_name)]
        .hostnames
        .clone();
    (dns, ingress)
}

fn with_domain(mode: &str) -> avigw_shared::config::Config {
    config(|r| {
        r.auto_fqdn = Some(mode.into());
        r.scope.default_domain = Some("avi.example.com".into());
    })
}

#[test]
fn auto_fqdn_default_uses_the_services_own_namespace() {
    let (dns, ingress) = gw_fqdns(&with_domain("default"), "web", "red", None);
    assert_eq!(dns, ["web.red.avi.example.com"]);
    assert_eq!(ingress, dns);
}

#[test]
fn listener_hostname_wins() {
    let (dns, ingress) = gw_fqdns(&with_domain("default"), "web", "red", Some("svc.example.com"));
    assert_eq!(dns, ["svc.example.com"]);
    assert_eq!(ingress, ["svc.example.com"]);
}

#[test]
fn auto_fqdn_flat_and_63_character_labels() {
    let (dns, _) = gw_fqdns(&with_domain("flat"), "web", "red", None);
    assert_eq!(dns, ["web-red.avi.example.com"]);
    let svc = "s".repeat(60);
    let ns = "n".repeat(20);
    let (dns, _) = gw_fqdns(&with_domain("flat"), &svc, &ns, None);
    let label = dns[0].split('.').next().unwrap().to_owned();
    assert_eq!(label.len(), 63);
    assert_eq!(
        label,
        format!("{}-{ns}", "s".repeat(42)),
        "the Service name is cut first"
    );
    let (dns, _) = gw_fqdns(&with_domain("flat"), "svc", &"n".repeat(63), None);
    let label = dns[0].split('.').next().unwrap().to_owned();
    assert!(label.len() <= 63 && !label.ends_with('-'), "{label}");
}

#[test]
fn auto_fqdn_disabled_or_no_domain_means_none() {
    let (dns, ingress) = gw_fqdns(&with_domain("disabled"), "web", "red", None);
    assert!(dns.is_empty() && ingress.is_empty());
    let (dns, _) = gw_fqdns(&default_config(), "web", "red", None);
    assert!(
        dns.is_empty(),
        "no --default-domain and no cloud DNS profile offline"
    );
}

#[test]
fn the_clouds_dns_domain_is_used_without_default_domain() {
    let cfg = default_config();
    let yaml = lb_service("red", "lb", "", "", &[("TCP", 80)]);
    let facts = ControllerFacts {
        license_tier: None,
        dns_domain: Some("cloud.example.".into()),
    };
    let plans = translate_all(&Context::new(&cfg, &facts), &snapshot(&cfg, &yaml));
    let dns: Vec<String> = plan(&plans, &svc_key("red", "lb"))
        .avi
        .vsvip
        .as_ref()
        .unwrap()
        .dns_info
        .iter()
        .map(|d| d.fqdn.clone())
        .collect();
    assert_eq!(dns, ["lb.red.cloud.example"]);
}

#[test]
fn external_dns_annotation_wins_for_lb_services_even_when_disabled() {
    let ann =
        "  annotations:\n    external-dns.alpha.kubernetes.io/hostname: \"a.example.com, b.example.com.\"\n";
    for mode in ["default", "disabled"] {
        let plans = translate(
            &with_domain(mode),
            &lb_service("red", "lb", ann, "", &[("TCP", 80)]),
        );
        let p = plan(&plans, &svc_key("red", "lb"));
        let dns: Vec<&str> = p
            .avi
            .vsvip
            .as_ref()
            .unwrap()
            .dns_info
            .iter()
            .map(|d| d.fqdn.as_str())
            .collect();
        assert_eq!(dns, ["a.example.com", "b.example.com"], "{mode}");
        assert_eq!(
            p.service_ingress[&ObjKey::new("red", "lb")].hostnames,
            ["a.example.com", "b.example.com"]
        );
    }
    let plans = translate(
        &with_domain("default"),
        &lb_service("red", "lb", "", "", &[("TCP", 80)]),
    );
    let dns: Vec<String> = plan(&plans, &svc_key("red", "lb"))
        .avi
        .vsvip
        .as_ref()
        .unwrap()
        .dns_info
        .iter()
        .map(|d| d.fqdn.clone())
        .collect();
    assert_eq!(dns, ["lb.red.avi.example.com"]);
}
