//! The webhook configurations, as typed objects: the one definition of what the apiserver
//! sends to the webhook and how it treats failures (SPEC §2). Local runs, the demo and tests
//! register them by URL ([`url_configurations`]); the Helm chart writes the same settings in
//! YAML, and a test renders the chart and checks that it agrees with these.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhook, MutatingWebhookConfiguration, RuleWithOperations, ValidatingWebhook,
    ValidatingWebhookConfiguration, WebhookClientConfig,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement, ObjectMeta};

pub const MUTATING_WEBHOOK_NAME: &str = "mutate.avigw.ako.vmware.com";
pub const VALIDATING_WEBHOOK_NAME: &str = "validate.avigw.ako.vmware.com";

/// What an install may choose (the chart's values); everything else is fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationSettings {
    /// `Fail` (the default: nothing bad gets in while the webhook is down) or `Ignore`.
    pub failure_policy: String,
    pub timeout_seconds: i32,
    /// The namespace avigw is installed in: never sent to the webhook, like kube-system.
    pub install_namespace: String,
    /// More namespaces whose objects the webhook never sees.
    pub excluded_namespaces: Vec<String>,
}

impl Default for RegistrationSettings {
    fn default() -> Self {
        RegistrationSettings {
            failure_policy: "Fail".to_owned(),
            timeout_seconds: 5,
            install_namespace: "avigw-system".to_owned(),
            excluded_namespaces: Vec::new(),
        }
    }
}

fn rule(group: &str, version: &str, resources: &[&str], scope: &str) -> RuleWithOperations {
    RuleWithOperations {
        api_groups: Some(vec![group.to_owned()]),
        api_versions: Some(vec![version.to_owned()]),
        operations: Some(vec!["CREATE".to_owned(), "UPDATE".to_owned()]),
        resources: Some(resources.iter().map(|r| (*r).to_owned()).collect()),
        scope: Some(scope.to_owned()),
    }
}

/// The objects the mutating webhook is called for. Ingresses and IngressClasses have no
/// admission defaults, so it is not called for them: a call per Ingress write would cost
/// latency and, with `failurePolicy: Fail`, one more way for the write to fail.
pub fn mutating_rules() -> Vec<RuleWithOperations> {
    vec![
        rule(
            "networking.x-k8s.io",
            "v1alpha1",
            &["gateways", "gatewayclasses"],
            "*",
        ),
        rule("ako.vmware.com", "v1alpha1", &["aviinfrasettings"], "*"),
        rule("", "v1", &["services"], "Namespaced"),
    ]
}

/// The objects the validating webhook is called for: the mutating webhook's, Ingresses and
/// IngressClasses.
pub fn validating_rules() -> Vec<RuleWithOperations> {
    let mut rules = mutating_rules();
    rules.push(rule(
        "networking.k8s.io",
        "v1",
        &["ingresses", "ingressclasses"],
        "*",
    ));
    rules
}

/// Every namespace but kube-system, the install namespace and the excluded ones.
pub fn namespace_selector(s: &RegistrationSettings) -> LabelSelector {
    let mut values = vec!["kube-system".to_owned(), s.install_namespace.clone()];
    for n in &s.excluded_namespaces {
        if !values.contains(n) {
            values.push(n.clone());
        }
    }
    LabelSelector {
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: "kubernetes.io/metadata.name".to_owned(),
            operator: "NotIn".to_owned(),
            values: Some(values),
        }]),
        match_labels: None,
    }
}

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        ..ObjectMeta::default()
    }
}

/// The mutating configuration `name`, calling `client_config` (whose path should be `/mutate`).
pub fn mutating(
    name: &str,
    s: &RegistrationSettings,
    client_config: WebhookClientConfig,
) -> MutatingWebhookConfiguration {
    MutatingWebhookConfiguration {
        metadata: meta(name),
        webhooks: Some(vec![MutatingWebhook {
            name: MUTATING_WEBHOOK_NAME.to_owned(),
            admission_review_versions: vec!["v1".to_owned()],
            side_effects: "None".to_owned(),
            failure_policy: Some(s.failure_policy.clone()),
            timeout_seconds: Some(s.timeout_seconds),
            match_policy: Some("Equivalent".to_owned()),
            namespace_selector: Some(namespace_selector(s)),
            // The defaults are idempotent and no other webhook's change needs them again.
            reinvocation_policy: Some("Never".to_owned()),
            client_config,
            rules: Some(mutating_rules()),
            ..MutatingWebhook::default()
        }]),
    }
}

/// The validating configuration `name`, calling `client_config` (path `/validate`).
pub fn validating(
    name: &str,
    s: &RegistrationSettings,
    client_config: WebhookClientConfig,
) -> ValidatingWebhookConfiguration {
    ValidatingWebhookConfiguration {
        metadata: meta(name),
        webhooks: Some(vec![ValidatingWebhook {
            name: VALIDATING_WEBHOOK_NAME.to_owned(),
            admission_review_versions: vec!["v1".to_owned()],
            side_effects: "None".to_owned(),
            failure_policy: Some(s.failure_policy.clone()),
            timeout_seconds: Some(s.timeout_seconds),
            match_policy: Some("Equivalent".to_owned()),
            namespace_selector: Some(namespace_selector(s)),
            client_config,
            rules: Some(validating_rules()),
            ..ValidatingWebhook::default()
        }]),
    }
}

fn by_url(base_url: &str, path: &str, ca_pem: &str) -> WebhookClientConfig {
    WebhookClientConfig {
        url: Some(format!("{base_url}/{path}")),
        ca_bundle: Some(ByteString(ca_pem.as_bytes().to_vec())),
        service: None,
    }
}

/// Mutating and Validating webhook configurations named `name`, pointing at
/// `<base_url>/mutate` and `<base_url>/validate`, trusting `ca_pem`, as two YAML documents.
pub fn url_configurations(name: &str, base_url: &str, ca_pem: &str) -> String {
    let s = RegistrationSettings::default();
    let m = mutating(name, &s, by_url(base_url, "mutate", ca_pem));
    let v = validating(name, &s, by_url(base_url, "validate", ca_pem));
    // Typed objects serialize without apiVersion/kind; kubectl needs both.
    let doc = |api: &str, kind: &str, obj: serde_json::Value| {
        let mut map: BTreeMap<String, serde_json::Value> = serde_json::from_value(obj).unwrap_or_default();
        map.insert("apiVersion".to_owned(), api.into());
        map.insert("kind".to_owned(), kind.into());
        serde_yaml::to_string(&map).unwrap_or_default()
    };
    let api = "admissionregistration.k8s.io/v1";
    format!(
        "{}---\n{}",
        doc(
            api,
            "MutatingWebhookConfiguration",
            serde_json::to_value(&m).unwrap_or_default()
        ),
        doc(
            api,
            "ValidatingWebhookConfiguration",
            serde_json::to_value(&v).unwrap_or_default()
        )
    )
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    #[test]
    fn url_configurations_are_two_documents_with_the_ca_in_base64() {
        let text = url_configurations("t", "https://127.0.0.1:9443", "PEM");
        let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&text)
            .map(|d| serde::Deserialize::deserialize(d).unwrap())
            .collect();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0]["kind"], "MutatingWebhookConfiguration");
        assert_eq!(docs[1]["kind"], "ValidatingWebhookConfiguration");
        let hook = &docs[1]["webhooks"][0];
        assert_eq!(hook["clientConfig"]["url"], "https://127.0.0.1:9443/validate");
        assert_eq!(
            hook["clientConfig"]["caBundle"].as_str().unwrap(),
            base64::engine::general_purpose::STANDARD.encode("PEM")
        );
        assert_eq!(docs[0]["webhooks"][0]["reinvocationPolicy"], "Never");
        // Ingresses go to the validating webhook only: they have no defaults.
        let resources = |d: &serde_yaml::Value| serde_yaml::to_string(&d["webhooks"][0]["rules"]).unwrap();
        assert!(!resources(&docs[0]).contains("ingresses"));
        assert!(
            resources(&docs[1]).contains("- ingresses\n")
                && resources(&docs[1]).contains("- ingressclasses\n")
        );
    }
}
