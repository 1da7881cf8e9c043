//! The webhook configurations for a webhook reached by URL (local runs, the demo, tests). The
//! in-cluster ones come from the Helm chart; both carry the same settings (SPEC §2).

use base64::Engine as _;

/// The objects the webhooks are called for.
const RULES: &str = r#"
  - {apiGroups: ["networking.x-k8s.io"], apiVersions: ["v1alpha1"], operations: ["CREATE", "UPDATE"], resources: ["gateways", "gatewayclasses"]}
  - {apiGroups: ["ako.vmware.com"], apiVersions: ["v1alpha1"], operations: ["CREATE", "UPDATE"], resources: ["aviinfrasettings"]}
  - {apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["services"]}"#;

/// Mutating and Validating webhook configurations named `name`, pointing at
/// `<base_url>/mutate` and `<base_url>/validate`, trusting `ca_pem`.
pub fn url_configurations(name: &str, base_url: &str, ca_pem: &str) -> String {
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    let hook = |path: &str| {
        format!(
            "  admissionReviewVersions: [v1]\n  sideEffects: None\n  failurePolicy: Fail\n  timeoutSeconds: 5\n  matchPolicy: Equivalent\n  namespaceSelector:\n    matchExpressions:\n    - {{key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system, avigw-system]}}\n  clientConfig:\n    url: {base_url}/{path}\n    caBundle: {ca}\n  rules:{RULES}\n"
        )
    };
    format!(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {{name: {name}}}\nwebhooks:\n- name: mutate.avigw.ako.vmware.com\n  reinvocationPolicy: Never\n{}---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {{name: {name}}}\nwebhooks:\n- name: validate.avigw.ako.vmware.com\n{}",
        hook("mutate"),
        hook("validate")
    )
}
