//! Builders for the translation tests: inputs as the YAML users write, a config from a few
//! settings, and lookups into the result.
#![allow(dead_code)]

use std::collections::BTreeMap;

use avigw_shared::avi::Pool;
use avigw_shared::config::{Config, Purpose, RawConfig};
use avigw_shared::translate::{
    Context, ControllerFacts, GatewayStatusPlan, Key, KeyPlan, ListenerStatusPlan, ObjKey, Object,
    PlannedCondition, Snapshot, parse_manifests, translate_all,
};

pub fn config(f: impl FnOnce(&mut RawConfig)) -> Config {
    let mut raw = RawConfig {
        cluster_name: Some("c1".into()),
        ..Default::default()
    };
    f(&mut raw);
    raw.validate(Purpose::Plan).expect("test config")
}

pub fn default_config() -> Config {
    config(|_| {})
}

pub fn ctx(cfg: &Config) -> Context {
    Context::new(cfg, &ControllerFacts::default())
}

pub fn objects(yaml: &str) -> Vec<Object> {
    let m = parse_manifests(yaml).unwrap_or_else(|e| panic!("bad test YAML: {e}\n{yaml}"));
    assert!(m.ignored.is_empty(), "{:?}", m.ignored);
    m.objects
}

pub fn snapshot(cfg: &Config, yaml: &str) -> Snapshot {
    Snapshot::from_objects(cfg.service_type, objects(yaml))
}

pub fn translate(cfg: &Config, yaml: &str) -> BTreeMap<Key, KeyPlan> {
    translate_all(&ctx(cfg), &snapshot(cfg, yaml))
}

pub fn gw_key(ns: &str, name: &str) -> Key {
    Key::Gateway(ObjKey::new(ns, name))
}

pub fn svc_key(ns: &str, name: &str) -> Key {
    Key::Service(ObjKey::new(ns, name))
}

pub fn plan<'a>(plans: &'a BTreeMap<Key, KeyPlan>, key: &Key) -> &'a KeyPlan {
    plans
        .get(key)
        .unwrap_or_else(|| panic!("no plan for {key}; have {:?}", plans.keys().collect::<Vec<_>>()))
}

pub fn status(p: &KeyPlan) -> &GatewayStatusPlan {
    p.gateway_status
        .as_ref()
        .unwrap_or_else(|| panic!("{}: no gateway status", p.key))
}

pub fn cond<'a>(s: &'a GatewayStatusPlan, t: &str) -> &'a PlannedCondition {
    s.condition(t)
        .unwrap_or_else(|| panic!("no {t} condition in {s:#?}"))
}

pub fn listener(s: &GatewayStatusPlan, port: i32) -> &ListenerStatusPlan {
    s.listeners
        .iter()
        .find(|l| l.port == port)
        .unwrap_or_else(|| panic!("no listener {port}"))
}

pub fn pool<'a>(p: &'a KeyPlan, name: &str) -> &'a Pool {
    p.avi.pools.iter().find(|x| x.name == name).unwrap_or_else(|| {
        panic!(
            "no pool {name}; have {:?}",
            p.avi.pools.iter().map(|x| &x.name).collect::<Vec<_>>()
        )
    })
}

pub fn pool_names(p: &KeyPlan) -> Vec<&str> {
    p.avi.pools.iter().map(|x| x.name.as_str()).collect()
}

/// `ip:port` (with `!` when disabled) of a pool's servers, in order.
pub fn servers(pool: &Pool) -> Vec<String> {
    pool.servers
        .iter()
        .map(|s| {
            format!(
                "{}:{}{}",
                s.ip.addr,
                s.port.unwrap_or(0),
                if s.enabled { "" } else { "!" }
            )
        })
        .collect()
}

pub fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).expect("serializable")
}

pub fn docs(parts: &[String]) -> String {
    parts.join("---\n")
}

pub fn class(name: &str) -> String {
    format!(
        "apiVersion: networking.x-k8s.io/v1alpha1\nkind: GatewayClass\nmetadata: {{name: {name}}}\nspec: {{controller: ako.vmware.com/avi-lb}}\n"
    )
}

pub fn class_with_setting(name: &str, setting: &str) -> String {
    format!(
        "apiVersion: networking.x-k8s.io/v1alpha1\nkind: GatewayClass\nmetadata: {{name: {name}}}\nspec:\n  controller: ako.vmware.com/avi-lb\n  parametersRef: {{group: ako.vmware.com, kind: AviInfraSetting, name: {setting}}}\n"
    )
}

/// A listener line set: `(protocol, port)` with both labels for `ns/name`.
fn listeners_yaml(ns: &str, name: &str, listeners: &[(&str, i32)]) -> String {
    listeners
        .iter()
        .map(|(proto, port)| {
            format!(
                "  - protocol: {proto}\n    port: {port}\n    routes:\n      kind: Service\n      selector:\n        matchLabels:\n          ako.vmware.com/gateway-name: {name}\n          ako.vmware.com/gateway-namespace: {ns}\n"
            )
        })
        .collect()
}

/// A valid Gateway of class `avi`.
pub fn gateway(ns: &str, name: &str, listeners: &[(&str, i32)]) -> String {
    gateway_of_class(ns, name, "avi", listeners)
}

pub fn gateway_of_class(ns: &str, name: &str, class: &str, listeners: &[(&str, i32)]) -> String {
    format!(
        "apiVersion: networking.x-k8s.io/v1alpha1\nkind: Gateway\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  gatewayClassName: {class}\n  listeners:\n{}",
        listeners_yaml(ns, name, listeners)
    )
}

/// A Gateway with extra spec lines (e.g. addresses) before its listeners.
pub fn gateway_with(ns: &str, name: &str, extra_spec: &str, listeners: &[(&str, i32)]) -> String {
    format!(
        "apiVersion: networking.x-k8s.io/v1alpha1\nkind: Gateway\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  gatewayClassName: avi\n{extra_spec}  listeners:\n{}",
        listeners_yaml(ns, name, listeners)
    )
}

fn ports_yaml(ports: &[(&str, i32)]) -> String {
    ports
        .iter()
        .enumerate()
        .map(|(i, (proto, port))| {
            format!(
                "  - name: p{i}\n    protocol: {proto}\n    port: {port}\n    targetPort: {}\n",
                port + 8000
            )
        })
        .collect()
}

/// A ClusterIP backend of Gateway `gw_ns/gw_name`.
pub fn backend(ns: &str, name: &str, gw_ns: &str, gw_name: &str, ports: &[(&str, i32)]) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels:\n    ako.vmware.com/gateway-name: {gw_name}\n    ako.vmware.com/gateway-namespace: {gw_ns}\nspec:\n  selector: {{app: {name}}}\n  ports:\n{}",
        ports_yaml(ports)
    )
}

/// A Service of type LoadBalancer with extra metadata/spec lines.
pub fn lb_service(ns: &str, name: &str, extra_meta: &str, extra_spec: &str, ports: &[(&str, i32)]) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n{extra_meta}spec:\n  type: LoadBalancer\n  selector: {{app: {name}}}\n{extra_spec}  ports:\n{}",
        ports_yaml(ports)
    )
}

/// An endpoint: address, `ready`, `terminating`, node.
pub type Ep<'a> = (&'a str, Option<bool>, Option<bool>, Option<&'a str>);

/// An EndpointSlice of Service `ns/svc` for its port `p<index>` (as [`backend`] names them).
pub fn slice(
    ns: &str,
    svc: &str,
    slice: &str,
    port_index: usize,
    proto: &str,
    port: i32,
    eps: &[Ep<'_>],
) -> String {
    let endpoints: String = eps
        .iter()
        .map(|(ip, ready, term, node)| {
            let mut conds = Vec::new();
            if let Some(r) = ready {
                conds.push(format!("ready: {r}"));
            }
            if let Some(t) = term {
                conds.push(format!("terminating: {t}"));
            }
            let node = node.map(|n| format!("    nodeName: {n}\n")).unwrap_or_default();
            format!(
                "  - addresses: [\"{ip}\"]\n    conditions: {{{}}}\n{node}",
                conds.join(", ")
            )
        })
        .collect();
    format!(
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: {slice}\n  namespace: {ns}\n  labels: {{kubernetes.io/service-name: {svc}}}\naddressType: IPv4\nports:\n- name: p{port_index}\n  protocol: {proto}\n  port: {port}\nendpoints:\n{endpoints}"
    )
}

pub fn node(name: &str, internal_ip: &str, labels: &str, annotations: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  labels: {{{labels}}}\n  annotations: {{{annotations}}}\nstatus:\n  addresses:\n  - {{type: Hostname, address: {name}}}\n  - {{type: InternalIP, address: \"{internal_ip}\"}}\n"
    )
}

pub fn namespace(name: &str, labels: &str) -> String {
    format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels: {{{labels}}}\n")
}
