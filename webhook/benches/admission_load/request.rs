//! The requests: full AdmissionReviews for a CREATE of a two-listener TCP Gateway and of an
//! Ingress adding paths to two hosts its namespace serves, as `kubectl apply` sends them. Both
//! are admitted without warnings by the benchmark's cluster, so both answers are the same
//! bytes (the ceiling's).

use anyhow::{Context, ensure};
use serde_json::{Value, json};

use crate::cluster;

pub const NAMESPACE: &str = "storefront";
pub const NAME: &str = "payments-l4";
pub const UID: &str = "5b1c2e7d-8f3a-4c61-9d0e-2a7b6f41c9e3";
/// The Ingress's name; it goes into the namespace of existing Ingress 0 and names its hosts.
pub const INGRESS_NAME: &str = "storefront-v2";

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
pub fn gateway_review() -> Vec<u8> {
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
    envelope(
        json!({"group": "networking.x-k8s.io", "version": "v1alpha1", "kind": "Gateway"}),
        json!({"group": "networking.x-k8s.io", "version": "v1alpha1", "resource": "gateways"}),
        NAME,
        NAMESPACE,
        object,
    )
}

/// An Ingress as the user wrote it: two more paths on the hosts of Ingress 0 of the
/// benchmark's cluster (same namespace, so ING-HOST-TAKEN looks them up and lets them pass).
pub fn applied_ingress() -> Value {
    let path = |p: &str| json!({"path": p, "pathType": "Prefix", "backend": {"service": {"name": "storefront-v2", "port": {"name": "http"}}}});
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": INGRESS_NAME,
            "namespace": cluster::namespace(0),
            "labels": {
                "app.kubernetes.io/name": "storefront",
                "app.kubernetes.io/instance": "storefront-v2",
                "app.kubernetes.io/managed-by": "kustomize",
                "team": "storefront",
                "env": "prod"
            },
            "annotations": {
                "argocd.argoproj.io/tracking-id": "storefront:networking.k8s.io/Ingress:team-0/storefront-v2",
                "owner.example.com/oncall": "storefront-sre@example.com"
            }
        },
        "spec": {
            "ingressClassName": "avi",
            "rules": [
                {"host": cluster::host(0, 'a'), "http": {"paths": [path("/v2/api"), path("/v2/web")]}},
                {"host": cluster::host(0, 'b'), "http": {"paths": [path("/v2/api"), path("/v2/web")]}}
            ]
        }
    })
}

/// The full AdmissionReview for that Ingress's `kubectl apply` (a CREATE).
pub fn ingress_review() -> Vec<u8> {
    let applied = applied_ingress();
    let mut object = applied.clone();
    let meta = object["metadata"].as_object_mut().expect("metadata");
    meta["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
        Value::String(serde_json::to_string(&applied).expect("json") + "\n");
    meta.insert("uid".into(), json!("1c4e7a90-3b2d-4f6e-8a1c-5d9e0f2b3a47"));
    meta.insert("generation".into(), json!(1));
    meta.insert("creationTimestamp".into(), json!("2026-11-22T09:14:03Z"));
    let path_fields = json!({".": {}, "f:backend": {"f:service": {"f:name": {}, "f:port": {"f:name": {}}}}, "f:path": {}, "f:pathType": {}});
    let rule_fields = json!({".": {}, "f:host": {}, "f:http": {"f:paths": {}}});
    meta.insert(
        "managedFields".into(),
        json!([{
            "manager": "kubectl-client-side-apply",
            "operation": "Update",
            "apiVersion": "networking.k8s.io/v1",
            "time": "2026-11-22T09:14:03Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {
                    "f:annotations": {".": {}, "f:argocd.argoproj.io/tracking-id": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}, "f:owner.example.com/oncall": {}},
                    "f:labels": {".": {}, "f:app.kubernetes.io/instance": {}, "f:app.kubernetes.io/managed-by": {}, "f:app.kubernetes.io/name": {}, "f:env": {}, "f:team": {}}
                },
                "f:spec": {"f:ingressClassName": {}, "f:rules": {"k:0": rule_fields.clone(), "k:1": rule_fields, "paths": path_fields}}
            }
        }]),
    );
    envelope(
        json!({"group": "networking.k8s.io", "version": "v1", "kind": "Ingress"}),
        json!({"group": "networking.k8s.io", "version": "v1", "resource": "ingresses"}),
        INGRESS_NAME,
        &cluster::namespace(0),
        object,
    )
}

/// The AdmissionReview around `object`, with the request metadata an Argo CD apply carries.
fn envelope(gvk: Value, gvr: Value, name: &str, namespace: &str, object: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "kind": "AdmissionReview",
        "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": UID,
            "kind": gvk,
            "resource": gvr,
            "requestKind": gvk,
            "requestResource": gvr,
            "name": name,
            "namespace": namespace,
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
