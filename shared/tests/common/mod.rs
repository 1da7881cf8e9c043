//! Builders shared by the rules tests: objects are written as YAML, as users write them.
#![allow(dead_code)]

use avigw_shared::api::{AviInfraSetting, Gateway, GatewayClass};
use k8s_openapi::api::core::v1::Service;

pub fn gateway(yaml: &str) -> Gateway {
    serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("bad test Gateway: {e}\n{yaml}"))
}

pub fn class(yaml: &str) -> GatewayClass {
    serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("bad test GatewayClass: {e}\n{yaml}"))
}

pub fn service(yaml: &str) -> Service {
    serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("bad test Service: {e}\n{yaml}"))
}

pub fn infra(yaml: &str) -> AviInfraSetting {
    serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("bad test AviInfraSetting: {e}\n{yaml}"))
}

/// A valid Gateway `blue/gw` with the given listener lines spliced in.
pub fn gw_with(listeners: &str, extra_spec: &str) -> Gateway {
    gateway(&format!(
        "apiVersion: networking.x-k8s.io/v1alpha1\nkind: Gateway\nmetadata: {{name: gw, namespace: blue}}\nspec:\n  gatewayClassName: avi\n{extra_spec}  listeners:\n{listeners}"
    ))
}

/// One listener entry with both labels set to the given values.
pub fn listener(proto: &str, port: i32, name: &str, ns: &str) -> String {
    format!(
        "  - protocol: {proto}\n    port: {port}\n    routes:\n      kind: Service\n      selector:\n        matchLabels:\n          ako.vmware.com/gateway-name: {name}\n          ako.vmware.com/gateway-namespace: {ns}\n"
    )
}

pub fn good_listener(proto: &str, port: i32) -> String {
    listener(proto, port, "gw", "blue")
}

/// Every multi-document YAML object in a fixture, as (kind, raw value).
pub fn fixture_docs(path: &str) -> Vec<(String, serde_yaml::Value)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| {
            let v: serde_yaml::Value = serde::Deserialize::deserialize(d).unwrap();
            let kind = v["kind"].as_str().unwrap().to_owned();
            (kind, v)
        })
        .collect()
}

/// A fixed cluster as the rules' view: what a test puts in, nothing else.
#[derive(Default)]
pub struct TestView {
    pub classes: std::collections::BTreeMap<String, std::sync::Arc<GatewayClass>>,
    pub gateways: std::collections::BTreeMap<(String, String), std::sync::Arc<Gateway>>,
    pub ingress_classes: Vec<std::sync::Arc<avigw_shared::rules::ParsedIngressClass>>,
    pub ingresses: Vec<std::sync::Arc<avigw_shared::rules::ParsedIngress>>,
    /// Namespace → its labels.
    pub namespaces: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    pub settings: Vec<std::sync::Arc<AviInfraSetting>>,
}

impl avigw_shared::rules::ClusterView for TestView {
    fn gateway_class(&self, name: &str) -> Option<std::sync::Arc<GatewayClass>> {
        self.classes.get(name).cloned()
    }
    fn gateway(&self, namespace: &str, name: &str) -> Option<std::sync::Arc<Gateway>> {
        self.gateways
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned()
    }
    fn ingress_class(&self, name: &str) -> Option<std::sync::Arc<avigw_shared::rules::ParsedIngressClass>> {
        self.ingress_classes.iter().find(|c| c.name == name).cloned()
    }
    fn default_ingress_classes(&self) -> Vec<std::sync::Arc<avigw_shared::rules::ParsedIngressClass>> {
        self.ingress_classes
            .iter()
            .filter(|c| c.is_default)
            .cloned()
            .collect()
    }
    fn namespace_has_label(&self, namespace: &str, label: &avigw_shared::config::LabelPair) -> bool {
        self.namespaces
            .get(namespace)
            .is_some_and(|l| l.get(&label.key) == Some(&label.value))
    }
    fn ingresses_naming_host(&self, host: &str) -> Vec<std::sync::Arc<avigw_shared::rules::ParsedIngress>> {
        self.ingresses
            .iter()
            .filter(|i| i.rule_hosts().contains(&host) || i.tls_hosts().contains(&host))
            .cloned()
            .collect()
    }
    fn infra_setting(&self, name: &str) -> Option<std::sync::Arc<AviInfraSetting>> {
        self.settings
            .iter()
            .find(|s| s.metadata.name.as_deref() == Some(name))
            .cloned()
    }
}
