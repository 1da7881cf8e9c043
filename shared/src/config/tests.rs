use super::*;
use crate::api::ShardSize;
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
    assert!(c.services_api && c.scope.default_lb_controller && c.leader_elect);
    assert_eq!(c.scope, Scope::default());
    assert_eq!(c.scope.shard_vs_size, ShardSize::Large);
    assert_eq!(c.workers, 4);
    assert_eq!(c.metrics_addr, "0.0.0.0:9090".parse().unwrap());
    assert_eq!(c.license_tier, None);
    assert!(c.adopt_from.is_empty());
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
                scope: ScopeArgs {
                    namespace_selector: Some("=x".into()),
                    ..Default::default()
                },
                ..raw()
            },
            "--namespace-selector (AVIGW_NAMESPACE_SELECTOR)",
        ),
        (
            RawConfig {
                scope: ScopeArgs {
                    blocked_namespace: vec!["Bad_NS".into()],
                    ..Default::default()
                },
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
                ops: OpsPortArgs {
                    metrics_addr: Some("nine".into()),
                },
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
                scope: ScopeArgs {
                    default_domain: Some("bad domain".into()),
                    ..Default::default()
                },
                ..raw()
            },
            "--default-domain (AVIGW_DEFAULT_DOMAIN)",
        ),
        (
            RawConfig {
                scope: ScopeArgs {
                    shard_vs_size: Some("HUGE".into()),
                    ..Default::default()
                },
                ..raw()
            },
            "--shard-vs-size (AVIGW_SHARD_VS_SIZE): \"HUGE\" is not one of LARGE, MEDIUM, SMALL, DEDICATED",
        ),
        (
            RawConfig {
                insecure_skip_verify: Some(true),
                ca_file: Some("/ca".into()),
                ..raw()
            },
            "--insecure-skip-verify (AVIGW_INSECURE_SKIP_VERIFY): contradicts --ca-file",
        ),
        (
            RawConfig {
                adopt_from: vec!["ako-c1".into(), "ako c2".into()],
                ..raw()
            },
            "--adopt-from (AVIGW_ADOPT_FROM): \"ako c2\" is not a created_by value such as ako-prod-1",
        ),
        (
            RawConfig {
                adopt_from: vec![String::new()],
                ..raw()
            },
            "--adopt-from (AVIGW_ADOPT_FROM): \"\" is not a created_by value",
        ),
        (
            RawConfig {
                adopt_from: vec!["avigw-c1".into()],
                ..raw()
            },
            "--adopt-from (AVIGW_ADOPT_FROM): \"avigw-c1\" is avigw's own created_by for this cluster; list another creator, e.g. ako-c1",
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
        scope: ScopeArgs {
            default_domain: Some("avi.example.com.".into()),
            shard_vs_size: Some("DEDICATED".into()),
            ..Default::default()
        },
        license_tier: Some("ESSENTIALS".into()),
        ops: OpsPortArgs {
            metrics_addr: Some("127.0.0.1:9191".into()),
        },
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
    assert_eq!(c.scope.default_domain.as_deref(), Some("avi.example.com"));
    assert_eq!(c.metrics_addr, "127.0.0.1:9191".parse().unwrap());
    assert_eq!(c.license_tier, Some(LicenseTier::Essentials));
    assert!(!LicenseTier::Essentials.is_enterprise());
    assert_eq!(c.scope.shard_vs_size, ShardSize::Dedicated);
}

#[test]
fn yaml_file_and_overlay() {
    let file =
        RawConfig::from_yaml("clusterName: fromfile\nautoFqdn: flat\nvipNetwork: [a]\nshardVsSize: MEDIUM\n")
            .unwrap();
    let flags = RawConfig {
        cluster_name: Some("fromflag".into()),
        ..Default::default()
    };
    let c = file.overlay(flags).unwrap().validate(Purpose::Plan).unwrap();
    assert_eq!(c.cluster_name.as_str(), "fromflag");
    assert_eq!(c.auto_fqdn, AutoFqdn::Flat);
    assert_eq!(c.vip_networks.len(), 1);
    assert_eq!(c.scope.shard_vs_size, ShardSize::Medium);
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

/// The keys a `--config` file takes: the flags in camelCase, whichever group they are in.
#[test]
fn file_keys_are_the_flags_in_camel_case() {
    let mut keys = RawConfig::file_keys();
    keys.sort();
    let mut want = vec![
        "clusterName",
        "controller",
        "username",
        "passwordFile",
        "tokenFile",
        "caFile",
        "insecureSkipVerify",
        "apiVersion",
        "tenant",
        "cloud",
        "seGroup",
        "vrf",
        "vipNetwork",
        "nodeNetwork",
        "adoptFrom",
        "serviceType",
        "nodeSelector",
        "autoFqdn",
        "defaultDomain",
        "namespaceSelector",
        "blockedNamespace",
        "servicesApi",
        "defaultLbController",
        "shardVsSize",
        "licenseTier",
        "leaderElect",
        "workers",
        "metricsAddr",
    ];
    want.sort();
    assert_eq!(keys, want);
}

#[test]
fn yaml_file_reads_every_group() {
    let file = RawConfig::from_yaml(
        "clusterName: f\ndefaultLbController: false\nblockedNamespace: [a, b]\nmetricsAddr: \":9191\"\n",
    )
    .unwrap();
    assert_eq!(file.scope.default_lb_controller, Some(false));
    assert_eq!(file.scope.blocked_namespace, vec!["a", "b"]);
    assert_eq!(file.ops.metrics_addr.as_deref(), Some(":9191"));
    let c = file.validate(Purpose::Plan).unwrap();
    assert!(!c.scope.default_lb_controller);
    assert_eq!(c.metrics_addr, "0.0.0.0:9191".parse().unwrap());
}

#[test]
fn yaml_file_refuses_unknown_keys_next_to_every_group() {
    for (text, key) in [
        (
            "clusterName: a\ndefaultLBController: true\n",
            "defaultLBController",
        ),
        ("metricAddr: \":1\"\n", "metricAddr"),
        ("namespaceSelector: a=b\nlogJson: true\n", "logJson"),
        ("1: x\n", "1"),
    ] {
        let e = RawConfig::from_yaml(text).unwrap_err().to_string();
        let want = format!(
            "invalid setting --config (AVIGW_CONFIG): not a valid config file: unknown field `{key}`, expected one of `clusterName`, "
        );
        assert!(e.starts_with(&want), "{e}");
        assert!(
            e.contains("`defaultLbController`") && e.contains("`metricsAddr`"),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
    }
}

#[test]
fn yaml_errors_name_the_key_and_line_in_every_group() {
    for (text, want) in [
        (
            "clusterName: a\ndefaultLbController: yes\n",
            "not a valid config file: defaultLbController: invalid type: string \"yes\", expected a boolean at line 2",
        ),
        (
            "metricsAddr: [1]\n",
            "not a valid config file: metricsAddr: invalid type: sequence, expected a string at line 1",
        ),
        (
            "workers: x\n",
            "not a valid config file: workers: invalid type: string \"x\", expected usize at line 1",
        ),
        (
            "- a\n",
            "not a valid config file: invalid type: sequence, expected struct RawConfig",
        ),
    ] {
        let e = RawConfig::from_yaml(text).unwrap_err().to_string();
        assert!(e.contains(want), "{e}\n  want: {want}");
    }
    assert_eq!(RawConfig::from_yaml("").unwrap(), RawConfig::default());
    assert_eq!(RawConfig::from_yaml("# nothing\n").unwrap(), RawConfig::default());
}

#[test]
fn flags_win_over_the_file_in_every_group() {
    let file = RawConfig::from_yaml(
        "clusterName: f\nworkers: 2\ndefaultDomain: file.example.com\nblockedNamespace: [x]\nmetricsAddr: \":1\"\n",
    )
    .unwrap();
    let flags = RawConfig {
        scope: ScopeArgs {
            default_lb_controller: Some(false),
            blocked_namespace: vec!["y".into()],
            ..Default::default()
        },
        ops: OpsPortArgs {
            metrics_addr: Some(":2".into()),
        },
        ..Default::default()
    };
    let r = file.overlay(flags).unwrap();
    assert_eq!(r.cluster_name.as_deref(), Some("f"));
    assert_eq!(r.workers, Some(2));
    assert_eq!(r.scope.default_domain.as_deref(), Some("file.example.com"));
    assert_eq!(r.scope.default_lb_controller, Some(false));
    assert_eq!(r.scope.blocked_namespace, vec!["y"]);
    assert_eq!(r.ops.metrics_addr.as_deref(), Some(":2"));
    // Nothing given over nothing stays nothing.
    assert_eq!(
        RawConfig::default().overlay(RawConfig::default()).unwrap(),
        RawConfig::default()
    );
}

#[test]
fn config_file_is_read_through_the_callers_reader() {
    let flags = RawConfig {
        cluster_name: Some("flag".into()),
        ..Default::default()
    };
    let none = ConfigFileArgs::default();
    assert_eq!(
        none.load(flags.clone(), |_| panic!("no file to read")).unwrap(),
        flags
    );
    let some = ConfigFileArgs {
        file: Some("/etc/avigw/config.yaml".into()),
    };
    let r = some
        .load(flags.clone(), |p| {
            assert_eq!(p, std::path::Path::new("/etc/avigw/config.yaml"));
            Ok("clusterName: file\ntenant: t\n".into())
        })
        .unwrap();
    assert_eq!(
        (r.cluster_name.as_deref(), r.tenant.as_deref()),
        (Some("flag"), Some("t"))
    );
    let e = some
        .load(flags.clone(), |_| Err(std::io::Error::other("boom")))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "invalid setting --config (AVIGW_CONFIG): /etc/avigw/config.yaml: boom"
    );
    let e = some
        .load(flags, |_| Ok("tennant: t\n".into()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `tennant`"), "{e}");
}

#[test]
fn scope_and_ops_port_validate_alone() {
    assert_eq!(ScopeArgs::default().validate().unwrap(), Scope::default());
    assert!(Scope::default().default_lb_controller);
    let e = ScopeArgs {
        default_domain: Some("bad domain".into()),
        ..Default::default()
    }
    .validate()
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("invalid setting --default-domain (AVIGW_DEFAULT_DOMAIN)"),
        "{e}"
    );
    assert_eq!(
        OpsPortArgs::default().validate().unwrap(),
        "0.0.0.0:9090".parse().unwrap()
    );
    assert_eq!(
        OpsPortArgs {
            metrics_addr: Some("127.0.0.1:0".into())
        }
        .validate()
        .unwrap(),
        "127.0.0.1:0".parse().unwrap()
    );
}

#[test]
fn adopt_from_is_trimmed_and_deduplicated() {
    let c = RawConfig {
        adopt_from: vec!["ako-c1".into(), " ako-c1-kube-system ".into(), "ako-c1".into()],
        ..raw()
    }
    .validate(Purpose::Plan)
    .unwrap();
    assert_eq!(c.adopt_from, ["ako-c1", "ako-c1-kube-system"]);
}

#[test]
fn adopt_from_is_read_from_a_config_file_and_flags_win() {
    let file = RawConfig::from_yaml("clusterName: c1\nadoptFrom: [ako-c1]\n").unwrap();
    assert_eq!(file.adopt_from, ["ako-c1"]);
    let flags = RawConfig {
        adopt_from: vec!["ako-other".into()],
        ..Default::default()
    };
    assert_eq!(file.clone().overlay(flags).unwrap().adopt_from, ["ako-other"]);
    assert_eq!(file.overlay(RawConfig::default()).unwrap().adopt_from, ["ako-c1"]);
}
