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
