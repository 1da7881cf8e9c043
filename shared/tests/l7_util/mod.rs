//! Builders for the Ingress translation tests: manifests as users write them, a config, and a
//! snapshot made with it.
#![allow(dead_code)]

use std::collections::BTreeMap;

use avigw_shared::config::{Config, Purpose, RawConfig, ScopeArgs};
use avigw_shared::translate::{
    Context, ControllerFacts, Key, KeyPlan, L7Key, Object, Snapshot, parse_manifests, translate_all,
};

pub const CERT: &str = include_str!("../fixtures/tls/noo.crt");
pub const KEY: &str = include_str!("../fixtures/tls/noo.key");
pub const OTHER_KEY: &str = include_str!("../fixtures/tls/other.key");

/// SPEC-ingress §9's config: cluster `cluster`, LARGE, `--default-domain avi.internal`.
pub fn l7_config(f: impl FnOnce(&mut RawConfig)) -> Config {
    let mut raw = RawConfig {
        cluster_name: Some("cluster".into()),
        scope: ScopeArgs {
            default_domain: Some("avi.internal".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    f(&mut raw);
    raw.validate(Purpose::Plan).expect("test config")
}

pub fn l7_ctx(cfg: &Config) -> Context {
    Context::new(cfg, &ControllerFacts::default())
}

pub fn objs(yaml: &str) -> Vec<Object> {
    let m = parse_manifests(yaml).unwrap_or_else(|e| panic!("bad test YAML: {e}\n{yaml}"));
    assert!(m.ignored.is_empty(), "{:?}", m.ignored);
    m.objects
}

pub fn l7_snapshot(cfg: &Config, yaml: &str) -> Snapshot {
    Snapshot::from_config_objects(cfg, objs(yaml))
}

pub fn l7_translate(cfg: &Config, yaml: &str) -> BTreeMap<Key, KeyPlan> {
    translate_all(&l7_ctx(cfg), &l7_snapshot(cfg, yaml))
}

pub fn join(parts: &[String]) -> String {
    parts.join("---\n")
}

/// An IngressClass of ours, default or not, with an AviInfraSetting or not.
pub fn ingress_class(name: &str, default: bool, infra: Option<&str>) -> String {
    let params = infra
        .map(|i| format!("\n  parameters: {{apiGroup: ako.vmware.com, kind: AviInfraSetting, name: {i}}}"))
        .unwrap_or_default();
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: {name}\n  annotations: {{ingressclass.kubernetes.io/is-default-class: '{default}'}}\nspec:\n  controller: ako.vmware.com/avi-lb{params}\n"
    )
}

/// One path of a rule: (path, pathType, service, port: a number or a name).
pub type P<'a> = (&'a str, &'a str, &'a str, &'a str);

fn port_yaml(port: &str) -> String {
    match port.parse::<i32>() {
        Ok(n) => format!("{{number: {n}}}"),
        Err(_) => format!("{{name: {port}}}"),
    }
}

/// A rule for `host` (empty: no host) with `paths`.
pub fn rule(host: &str, paths: &[P<'_>]) -> String {
    let host = if host.is_empty() {
        String::new()
    } else {
        format!("host: {host}\n    ")
    };
    let paths: String = paths
        .iter()
        .map(|(p, t, svc, port)| {
            let path = if p.is_empty() {
                String::new()
            } else {
                format!("path: {p}, ")
            };
            format!(
                "      - {{{path}pathType: {t}, backend: {{service: {{name: {svc}, port: {}}}}}}}\n",
                port_yaml(port)
            )
        })
        .collect();
    format!("  - {host}http:\n      paths:\n{paths}")
}

/// An Ingress created at minute `minute` with extra spec lines (`ingressClassName`, `tls`, ...).
pub fn ingress(ns: &str, name: &str, minute: u32, extra: &str, rules: &[String]) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {name}, namespace: {ns}, generation: 1, creationTimestamp: '2024-01-01T00:{minute:02}:00Z'}}\nspec:\n{extra}  rules:\n{}",
        rules.concat()
    )
}

/// `tls: [{hosts, secretName}]` as an extra spec line.
pub fn tls(hosts: &[&str], secret: &str) -> String {
    format!(
        "  tls: [{{hosts: [{}], secretName: {secret}}}]\n",
        hosts.join(", ")
    )
}

fn indent(pem: &str) -> String {
    pem.lines().map(|l| format!("    {l}\n")).collect()
}

/// A TLS Secret (stringData, as a manifest would give it).
pub fn secret(ns: &str, name: &str, crt: &str, key: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: {ns}}}\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: |\n{}  tls.key: |\n{}",
        indent(crt),
        indent(key)
    )
}

/// A ClusterIP Service with named ports `(name, port, targetPort)`.
pub fn svc(ns: &str, name: &str, ports: &[(&str, i32, i32)]) -> String {
    let ports: String = ports
        .iter()
        .map(|(n, p, t)| format!("  - {{name: {n}, protocol: TCP, port: {p}, targetPort: {t}}}\n"))
        .collect();
    format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  selector: {{app: {name}}}\n  ports:\n{ports}"
    )
}

/// An EndpointSlice of Service `ns/svc`: one port `(name, port)`, endpoints `(ip, ready)`.
pub fn endpoints(ns: &str, svc: &str, port: (&str, i32), eps: &[(&str, bool)]) -> String {
    let eps: String = eps
        .iter()
        .map(|(ip, ready)| format!("- {{addresses: ['{ip}'], conditions: {{ready: {ready}}}}}\n"))
        .collect();
    format!(
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: {svc}-1\n  namespace: {ns}\n  labels: {{kubernetes.io/service-name: {svc}}}\naddressType: IPv4\nports: [{{name: {}, protocol: TCP, port: {}}}]\nendpoints:\n{eps}",
        port.0, port.1
    )
}

pub fn infra_setting(name: &str, extra_spec: &str, status: &str) -> String {
    format!(
        "apiVersion: ako.vmware.com/v1alpha1\nkind: AviInfraSetting\nmetadata: {{name: {name}}}\nspec:\n  seGroup: {{name: se-{name}}}\n  network:\n    vipNetworks: [{{networkName: vip-{name}, cidr: 10.60.0.0/24}}]\n{extra_spec}status: {{status: {status}}}\n"
    )
}

pub fn l7_key_names(keys: impl IntoIterator<Item = Key>) -> Vec<String> {
    keys.into_iter()
        .map(|k| match k {
            Key::L7(L7Key { vs, .. }) => vs,
            other => other.to_string(),
        })
        .collect()
}
