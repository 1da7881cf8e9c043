use super::*;
use crate::naming::AutoFqdn;

fn raw() -> RawConfig {
    RawConfig {
        cluster_name: Some("c1".into()),
        ..Default::default()
    }
}

fn err(r: RawConfig, p: Purpose) -> String {
    r.validate(p).unwrap_err().to_string()
}

#[test]
fn defaults() {
    let c = raw().validate(Purpose::Plan).unwrap();
    assert_eq!(c.tenant, "admin");
    assert_eq!(c.cloud, "Default-Cloud");
    assert_eq!(c.se_group, "Default-Group");
    assert_eq!(c.vrf, "global");
    assert_eq!(c.service_type, ServiceType::ClusterIP);
    assert_eq!(c.auto_fqdn, AutoFqdn::Default);
    assert!(c.services_api && c.default_lb_controller && c.leader_elect);
    assert_eq!(c.workers, 4);
    assert_eq!(c.metrics_addr, "0.0.0.0:9090".parse().unwrap());
    assert_eq!(c.license_tier, None);
}

#[test]
fn one_line_errors_name_the_setting() {
    assert_eq!(
        err(RawConfig::default(), Purpose::Plan),
        "invalid setting --cluster-name (AVIGW_CLUSTER_NAME): required: the prefix of every Avi object name, e.g. --cluster-name prod-1"
    );
    assert_eq!(
        err(
            RawConfig {
                cluster_name: Some("a b".into()),
                ..raw()
            },
            Purpose::Plan
        ),
        "invalid setting --cluster-name (AVIGW_CLUSTER_NAME): \"a b\" must match ^[a-zA-Z0-9_-]{1,32}$"
    );
    assert_eq!(
        err(raw(), Purpose::Run),
        "invalid setting --controller (AVIGW_CONTROLLER): required: the Avi controller URL, e.g. https://avi.example.com"
    );
    let cases: Vec<(RawConfig, &str)> = vec![
        (
            RawConfig {
                controller: Some("avi.local".into()),
                ..raw()
            },
            "--controller (AVIGW_CONTROLLER): \"avi.local\" must be an http(s) URL",
        ),
        (
            RawConfig {
                service_type: Some("LoadBalancer".into()),
                ..raw()
            },
            "--service-type (AVIGW_SERVICE_TYPE): \"LoadBalancer\" is not one of ClusterIP, NodePort, NodePortLocal",
        ),
        (
            RawConfig {
                auto_fqdn: Some("short".into()),
                ..raw()
            },
            "--auto-fqdn (AVIGW_AUTO_FQDN): \"short\" is not one of default, flat, disabled",
        ),
        (
            RawConfig {
                vip_network: vec!["net=10.0.0.0/33".into()],
                ..raw()
            },
            "--vip-network (AVIGW_VIP_NETWORK): \"net=10.0.0.0/33\": \"10.0.0.0/33\" is not a CIDR",
        ),
        (
            RawConfig {
                node_network: vec!["net".into()],
                ..raw()
            },
            "--node-network (AVIGW_NODE_NETWORK): \"net\" has no CIDR; expected NAME=CIDR",
        ),
        (
            RawConfig {
                node_selector: Some("novalue".into()),
                ..raw()
            },
            "--node-selector (AVIGW_NODE_SELECTOR): \"novalue\" is not a label key=value pair",
        ),
        (
            RawConfig {
                namespace_selector: Some("=x".into()),
                ..raw()
            },
            "--namespace-selector (AVIGW_NAMESPACE_SELECTOR)",
        ),
        (
            RawConfig {
                blocked_namespace: vec!["Bad_NS".into()],
                ..raw()
            },
            "--blocked-namespace (AVIGW_BLOCKED_NAMESPACE): \"Bad_NS\" is not a namespace name",
        ),
        (
            RawConfig {
                license_tier: Some("GOLD".into()),
                ..raw()
            },
            "--license-tier (AVIGW_LICENSE_TIER): \"GOLD\" is not one of ENTERPRISE",
        ),
        (
            RawConfig {
                workers: Some(0),
                ..raw()
            },
            "--workers (AVIGW_WORKERS): 0 is outside 1..=256",
        ),
        (
            RawConfig {
                metrics_addr: Some("nine".into()),
                ..raw()
            },
            "--metrics-addr (AVIGW_METRICS_ADDR): \"nine\" is not an address",
        ),
        (
            RawConfig {
                api_version: Some("v22".into()),
                ..raw()
            },
            "--api-version (AVIGW_API_VERSION): \"v22\" is not an Avi version",
        ),
        (
            RawConfig {
                tenant: Some(" ".into()),
                ..raw()
            },
            "--tenant (AVIGW_TENANT): must not be empty",
        ),
        (
            RawConfig {
                default_domain: Some("bad domain".into()),
                ..raw()
            },
            "--default-domain (AVIGW_DEFAULT_DOMAIN)",
        ),
        (
            RawConfig {
                insecure_skip_verify: Some(true),
                ca_file: Some("/ca".into()),
                ..raw()
            },
            "--insecure-skip-verify (AVIGW_INSECURE_SKIP_VERIFY): contradicts --ca-file",
        ),
    ];
    for (r, want) in cases {
        let e = err(r, Purpose::Plan);
        assert!(
            e.starts_with(&format!("invalid setting {want}")),
            "{e}\n  want prefix: {want}"
        );
        assert!(!e.contains('\n'));
    }
}

#[test]
fn run_needs_credentials() {
    let base = RawConfig {
        controller: Some("https://avi".into()),
        ..raw()
    };
    assert!(err(base.clone(), Purpose::Run).starts_with("invalid setting --username"));
    let with_user = RawConfig {
        username: Some("admin".into()),
        ..base
    };
    assert!(err(with_user.clone(), Purpose::Run).starts_with("invalid setting --password-file"));
    let both = RawConfig {
        password_file: Some("/p".into()),
        token_file: Some("/t".into()),
        ..with_user.clone()
    };
    assert!(err(both, Purpose::Run).starts_with("invalid setting --token-file"));
    let ok = RawConfig {
        password_file: Some("/p".into()),
        ..with_user
    }
    .validate(Purpose::Run)
    .unwrap();
    assert_eq!(ok.controller.as_deref(), Some("https://avi"));
}

#[test]
fn parses_everything() {
    let r = RawConfig {
        vip_network: vec!["vip-a".into(), "vip-b=10.1.0.0/24".into()],
        node_network: vec!["nodes=10.2.0.0/16".into()],
        service_type: Some("NodePort".into()),
        node_selector: Some("role=edge".into()),
        auto_fqdn: Some("flat".into()),
        default_domain: Some("avi.example.com.".into()),
        license_tier: Some("ESSENTIALS".into()),
        metrics_addr: Some("127.0.0.1:9191".into()),
        ..raw()
    };
    let c = r.validate(Purpose::Plan).unwrap();
    assert_eq!(
        c.vip_networks[0],
        NetworkSetting {
            name: "vip-a".into(),
            cidr: None
        }
    );
    assert_eq!(c.vip_networks[1].cidr, Some("10.1.0.0/24".parse().unwrap()));
    assert_eq!(c.node_networks[0].name, "nodes");
    assert_eq!(c.service_type, ServiceType::NodePort);
    assert_eq!(
        c.node_selector,
        Some(LabelPair {
            key: "role".into(),
            value: "edge".into()
        })
    );
    assert_eq!(c.auto_fqdn, AutoFqdn::Flat);
    assert_eq!(c.default_domain.as_deref(), Some("avi.example.com"));
    assert_eq!(c.license_tier, Some(LicenseTier::Essentials));
    assert!(!LicenseTier::Essentials.is_enterprise());
}

#[test]
fn yaml_file_and_overlay() {
    let file = RawConfig::from_yaml("clusterName: fromfile\nautoFqdn: flat\nvipNetwork: [a]\n").unwrap();
    let flags = RawConfig {
        cluster_name: Some("fromflag".into()),
        ..Default::default()
    };
    let c = file.overlay(flags).validate(Purpose::Plan).unwrap();
    assert_eq!(c.cluster_name.as_str(), "fromflag");
    assert_eq!(c.auto_fqdn, AutoFqdn::Flat);
    assert_eq!(c.vip_networks.len(), 1);
    let e = RawConfig::from_yaml("clusterNmae: typo\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(
            "invalid setting --config (AVIGW_CONFIG): not a valid config file: unknown field `clusterNmae`"
        ),
        "{e}"
    );
}
