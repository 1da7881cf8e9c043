//! Ingress helpers shared by the demo and the end-to-end tests: the examples of
//! `manifests/examples-ingress`, a TLS Secret with a fresh certificate, and what `kubectl`
//! shows of an Ingress.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::stack::Stack;

/// The Ingress examples (an IngressClass, an insecure and a secure Ingress in namespace
/// `shop`).
pub fn examples_dir() -> PathBuf {
    avigw_testenv::workspace_root().join("manifests/examples-ingress")
}

pub const EXAMPLES_NAMESPACE: &str = "shop";
/// The secure example's Secret and host.
pub const SECURE_SECRET: &str = "store-tls";
pub const SECURE_HOST: &str = "store.shop.example.com";

/// A `kubernetes.io/tls` Secret whose certificate (self-signed, made now) names `host`.
pub fn tls_secret_yaml(namespace: &str, name: &str, host: &str) -> Result<String> {
    let pair = rcgen::generate_simple_self_signed(vec![host.to_owned()]).context("making a certificate")?;
    let indent = |pem: String| pem.lines().map(|l| format!("    {l}\n")).collect::<String>();
    Ok(format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {namespace}\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: |\n{}  tls.key: |\n{}",
        indent(pair.cert.pem()),
        indent(pair.signing_key.serialize_pem())
    ))
}

/// `(host, ip)` of an Ingress's `status.loadBalancer.ingress`, as kubectl shows them; empty
/// when it has none (or is gone).
pub async fn addresses(stack: &Stack, namespace: &str, name: &str) -> Result<Vec<(String, String)>> {
    let out = stack
        .env
        .kubectl(&[
            "get",
            "ingress",
            "-n",
            namespace,
            name,
            "--ignore-not-found",
            "-o",
            "jsonpath={range .status.loadBalancer.ingress[*]}{.hostname}={.ip}{\"\\n\"}{end}",
        ])
        .await?
        .ok()?;
    Ok(out
        .stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(h, ip)| (h.to_owned(), ip.to_owned()))
        .collect())
}
