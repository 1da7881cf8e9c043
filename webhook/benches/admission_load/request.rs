//! The request: a full AdmissionReview for a CREATE of a two-listener TCP Gateway as
//! `kubectl apply` sends it, and the view that makes it admitted.

use anyhow::{Context, ensure};
use avigw_webhook::view::StaticView;
use serde_json::{Value, json};

pub const NAMESPACE: &str = "storefront";
pub const NAME: &str = "payments-l4";
pub const UID: &str = "5b1c2e7d-8f3a-4c61-9d0e-2a7b6f41c9e3";

/// The Gateway as the user wrote it (what `kubectl apply` stores as last-applied).
pub fn applied_gateway() -> Value {
    let labels = json!({
        "ako.vmware.com/gateway-name": NAME,
        "ako.vmware.com/gateway-namespace": NAMESPACE,
    });
    json!({
        "apiVersion": "networking.x-k8s.io/v1alpha1",
        "kind": "Gateway",
        "metadata": {
            "name": NAME,
            "namespace": NAMESPACE,
            "labels": {
                "app.kubernetes.io/name": "payments",
                "app.kubernetes.io/instance": "payments-prod",
                "app.kubernetes.io/part-of": "storefront",
                "app.kubernetes.io/managed-by": "kustomize",
                "team": "payments",
                "env": "prod"
            },
            "annotations": {
                "argocd.argoproj.io/tracking-id": "storefront:networking.x-k8s.io/Gateway:storefront/payments-l4",
                "owner.example.com/oncall": "payments-sre@example.com"
            }
        },
        "spec": {
            "gatewayClassName": "avi",
            "listeners": [
                {"protocol": "TCP", "port": 443, "routes": {"kind": "Service", "selector": {"matchLabels": labels}}},
                {"protocol": "TCP", "port": 8443, "routes": {"kind": "Service", "selector": {"matchLabels": labels}}}
            ],
            "addresses": [{"type": "IPAddress", "value": "10.10.10.11"}]
        }
    })
}

/// The full AdmissionReview the apiserver sends for that `kubectl apply` (a CREATE).
pub fn admission_review() -> Vec<u8> {
    let applied = applied_gateway();
    let mut object = applied.clone();
    let meta = object["metadata"].as_object_mut().expect("metadata");
    meta["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
        Value::String(serde_json::to_string(&applied).expect("json") + "\n");
    meta.insert("uid".into(), json!("9e0f3a52-1b7c-4d8e-a6f5-0c2d4b8e7a91"));
    meta.insert("generation".into(), json!(1));
    meta.insert("creationTimestamp".into(), json!("2026-11-22T09:14:03Z"));
    let label_fields: serde_json::Map<String, Value> = applied["metadata"]["labels"]
        .as_object()
        .expect("labels")
        .keys()
        .map(|k| (format!("f:{k}"), json!({})))
        .collect();
    let listener_fields = json!({
        ".": {}, "f:port": {}, "f:protocol": {},
        "f:routes": {".": {}, "f:kind": {}, "f:selector": {".": {}, "f:matchLabels": {
            ".": {}, "f:ako.vmware.com/gateway-name": {}, "f:ako.vmware.com/gateway-namespace": {}
        }}}
    });
    meta.insert(
        "managedFields".into(),
        json!([{
            "manager": "kubectl-client-side-apply",
            "operation": "Update",
            "apiVersion": "networking.x-k8s.io/v1alpha1",
            "time": "2026-11-22T09:14:03Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {
                    "f:annotations": {
                        ".": {},
                        "f:argocd.argoproj.io/tracking-id": {},
                        "f:kubectl.kubernetes.io/last-applied-configuration": {},
                        "f:owner.example.com/oncall": {}
                    },
                    "f:labels": Value::Object({
                        let mut m = label_fields;
                        m.insert(".".into(), json!({}));
                        m
                    })
                },
                "f:spec": {
                    ".": {},
                    "f:addresses": {},
                    "f:gatewayClassName": {},
                    "f:listeners": {
                        "k:{\"port\":443,\"protocol\":\"TCP\"}": listener_fields.clone(),
                        "k:{\"port\":8443,\"protocol\":\"TCP\"}": listener_fields
                    }
                }
            }
        }]),
    );
    let gvk = json!({"group": "networking.x-k8s.io", "version": "v1alpha1", "kind": "Gateway"});
    let gvr = json!({"group": "networking.x-k8s.io", "version": "v1alpha1", "resource": "gateways"});
    serde_json::to_vec(&json!({
        "kind": "AdmissionReview",
        "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": UID,
            "kind": gvk,
            "resource": gvr,
            "requestKind": gvk,
            "requestResource": gvr,
            "name": NAME,
            "namespace": NAMESPACE,
            "operation": "CREATE",
            "userInfo": {
                "username": "system:serviceaccount:argocd:argocd-application-controller",
                "uid": "0c7d9a3e-5f21-4b8a-9e64-d1f0a2c3b4e5",
                "groups": [
                    "system:serviceaccounts",
                    "system:serviceaccounts:argocd",
                    "system:authenticated"
                ],
                "extra": {
                    "authentication.kubernetes.io/credential-id": ["JTI=7f3e9c1a-2b4d-4e6f-8a0b-c1d2e3f4a5b6"],
                    "authentication.kubernetes.io/node-name": ["worker-3.prod.example.com"],
                    "authentication.kubernetes.io/node-uid": ["3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d"],
                    "authentication.kubernetes.io/pod-name": ["argocd-application-controller-0"],
                    "authentication.kubernetes.io/pod-uid": ["6d7e8f9a-0b1c-4d2e-8f3a-4b5c6d7e8f9a"]
                }
            },
            "object": object,
            "oldObject": null,
            "dryRun": false,
            "options": {
                "kind": "CreateOptions",
                "apiVersion": "meta.k8s.io/v1",
                "fieldManager": "kubectl-client-side-apply",
                "fieldValidation": "Strict"
            }
        }
    }))
    .expect("json")
}

pub fn view() -> StaticView {
    let mut v = StaticView::default();
    v.add_class(
        serde_json::from_value(json!({
            "apiVersion": "networking.x-k8s.io/v1alpha1", "kind": "GatewayClass",
            "metadata": {"name": "avi"}, "spec": {"controller": "ako.vmware.com/avi-lb"}
        }))
        .expect("GatewayClass"),
    );
    v
}

/// The request must be admitted cleanly, or the benchmark measures the wrong path.
pub fn check_answer(who: &str, answer: &[u8]) -> anyhow::Result<()> {
    let v: Value = serde_json::from_slice(answer).with_context(|| format!("{who}: answer is not JSON"))?;
    ensure!(v["response"]["uid"] == UID, "{who}: wrong uid in {v}");
    ensure!(
        v["response"]["allowed"] == true,
        "{who}: request not allowed: {v}"
    );
    ensure!(v["response"].get("warnings").is_none(), "{who}: warnings: {v}");
    Ok(())
}
