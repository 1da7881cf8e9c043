//! Proves the test environment is a real apiserver: CRDs, schema validation, watches,
//! RBAC with low-privilege tokens, admission webhooks reached over HTTPS, kubectl and helm.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use avigw_testenv::{LIMITED_USER, TestContext, TestEnv};
use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use kube::api::{DynamicObject, ObjectMeta, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::watcher;
use kube::{Api, Client};
use serde_json::json;

fn gateway_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("networking.x-k8s.io", "v1alpha1", "Gateway"),
        "gateways",
    )
}

fn gateways(client: &Client, ns: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), ns, &gateway_resource())
}

fn gateway(name: &str, port: i64) -> Result<DynamicObject> {
    Ok(serde_json::from_value(json!({
        "apiVersion": "networking.x-k8s.io/v1alpha1",
        "kind": "Gateway",
        "metadata": {"name": name},
        "spec": {
            "gatewayClassName": "avi-lb",
            "listeners": [{"protocol": "TCP", "port": port}],
        },
    }))?)
}

fn gateway_yaml(ns: &str, name: &str) -> String {
    format!(
        "apiVersion: networking.x-k8s.io/v1alpha1\nkind: Gateway\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  gatewayClassName: avi-lb\n  listeners:\n  - protocol: TCP\n    port: 80\n"
    )
}

#[tokio::test]
async fn crds_are_established() -> Result<()> {
    let ctx = TestContext::new("crds").await?;
    let out = ctx
        .env
        .kubectl(&[
            "get",
            "crd",
            "-o",
            "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Established\")].status}{\"\\n\"}{end}",
        ])
        .await?
        .ok()?;
    for crd in [
        "gateways.networking.x-k8s.io",
        "gatewayclasses.networking.x-k8s.io",
        "aviinfrasettings.ako.vmware.com",
    ] {
        ensure!(
            out.stdout.lines().any(|l| l == format!("{crd}=True")),
            "{crd} not Established: {}",
            out.stdout
        );
    }
    // Calling again is cheap and harmless.
    ctx.env.install_crds(&ctx.client).await?;
    Ok(())
}

#[tokio::test]
async fn gateway_create_read_watch() -> Result<()> {
    let ctx = TestContext::new("gateway-crud").await?;
    let api = gateways(&ctx.client, &ctx.ns);

    // Watch first so the create is seen as an event, not only as the initial list.
    let mut stream = watcher(api.clone(), watcher::Config::default()).boxed();
    let init = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .context("watch did not start")?;
    ensure!(
        matches!(init, Some(Ok(watcher::Event::Init))),
        "unexpected first watch event: {init:?}"
    );

    let mut gw1 = gateway("gw1", 80)?;
    gw1.data["spec"]["notInTheSchema"] = json!(true);
    api.create(&PostParams::default(), &gw1).await?;
    let got = api.get("gw1").await?;
    ensure!(
        got.data["spec"]["listeners"][0]["port"] == 80,
        "read back: {got:?}"
    );
    // The structural schema prunes unknown fields: proof the apiserver applied it.
    ensure!(
        got.data["spec"].get("notInTheSchema").is_none(),
        "unknown field not pruned: {got:?}"
    );

    let patch = json!({"spec": {"listeners": [{"protocol": "TCP", "port": 8080}]}});
    api.patch("gw1", &PatchParams::default(), &Patch::Merge(&patch))
        .await?;

    let mut saw_port = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !saw_port.contains(&8080) {
        let ev = tokio::time::timeout_at(deadline, stream.next())
            .await
            .with_context(|| format!("watch saw only ports {saw_port:?}"))?;
        match ev {
            Some(Ok(watcher::Event::Apply(o) | watcher::Event::InitApply(o))) => {
                ensure!(o.metadata.name.as_deref() == Some("gw1"));
                if let Some(p) = o.data["spec"]["listeners"][0]["port"].as_i64() {
                    saw_port.push(p);
                }
            }
            Some(Ok(_)) => {}
            other => bail!("watch ended: {other:?}"),
        }
    }
    Ok(())
}

#[tokio::test]
async fn out_of_range_port_is_refused_by_schema() -> Result<()> {
    let ctx = TestContext::new("gateway-schema").await?;
    let api = gateways(&ctx.client, &ctx.ns);
    match api
        .create(&PostParams::default(), &gateway("bad-port", 70000)?)
        .await
    {
        Err(kube::Error::Api(s)) => {
            ensure!(s.code == 422, "want 422 Invalid, got {s:?}");
            ensure!(
                s.message.contains("spec.listeners[0].port")
                    && s.message.contains("less than or equal to 65535"),
                "message: {}",
                s.message
            );
        }
        other => bail!("port 70000 was not refused: {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn rbac_applies_to_low_privilege_tokens() -> Result<()> {
    let ctx = TestContext::new("rbac").await?;
    let env = ctx.env;
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "c"}}))?;

    // Static token user: authenticated, forbidden until bound.
    let limited = env.limited_client().await?;
    let limited_cms: Api<ConfigMap> = Api::namespaced(limited, &ctx.ns);
    match limited_cms.list(&Default::default()).await {
        Err(kube::Error::Api(s)) if s.code == 403 => {
            ensure!(s.message.contains(LIMITED_USER), "{}", s.message)
        }
        other => bail!("limited user was not forbidden: {other:?}"),
    }

    // ServiceAccount token: forbidden, then allowed by a namespaced Role.
    let sa_client = env.service_account_client(&ctx.ns, "reader").await?;
    let sa_cms: Api<ConfigMap> = Api::namespaced(sa_client, &ctx.ns);
    let admin_cms: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &ctx.ns);
    admin_cms.create(&PostParams::default(), &cm).await?;
    ensure!(
        matches!(sa_cms.get("c").await, Err(kube::Error::Api(ref s)) if s.code == 403),
        "service account read before any binding"
    );
    let role = Role {
        metadata: ObjectMeta {
            name: Some("cm-reader".into()),
            ..Default::default()
        },
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["configmaps".into()]),
            verbs: vec!["get".into(), "list".into()],
            ..Default::default()
        }]),
    };
    Api::<Role>::namespaced(ctx.client.clone(), &ctx.ns)
        .create(&PostParams::default(), &role)
        .await?;
    let binding = RoleBinding {
        metadata: ObjectMeta {
            name: Some("cm-reader".into()),
            ..Default::default()
        },
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "Role".into(),
            name: "cm-reader".into(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: "reader".into(),
            namespace: Some(ctx.ns.clone()),
            ..Default::default()
        }]),
    };
    Api::<RoleBinding>::namespaced(ctx.client.clone(), &ctx.ns)
        .create(&PostParams::default(), &binding)
        .await?;
    // RBAC is served from an informer cache: allow it a moment to see the binding.
    let mut last = None;
    for _ in 0..50 {
        match sa_cms.get("c").await {
            Ok(_) => {
                last = None;
                break;
            }
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ensure!(last.is_none(), "still denied after binding: {last:?}");
    ensure!(
        matches!(sa_cms.create(&PostParams::default(), &cm).await, Err(kube::Error::Api(ref s)) if s.code == 403),
        "role grants no create"
    );
    Ok(())
}

#[tokio::test]
async fn kubectl_and_helm_reach_the_apiserver() -> Result<()> {
    let env = TestEnv::get()?;
    let v = env.kubectl(&["version", "-o", "json"]).await?.ok()?;
    let parsed: serde_json::Value = serde_json::from_str(&v.stdout)?;
    ensure!(
        parsed["serverVersion"]["gitVersion"]
            .as_str()
            .is_some_and(|s| s.starts_with("v1.34.")),
        "server version: {}",
        v.stdout
    );
    let h = env.helm(&["list", "--all-namespaces"]).await?.ok()?;
    ensure!(h.stdout.contains("NAME"), "helm list: {}", h.stdout);
    // A failing command reports its status and stderr instead of erroring.
    let bad = env.kubectl(&["get", "nosuchkind"]).await?;
    ensure!(!bad.success() && bad.stderr.contains("nosuchkind"), "{bad:?}");
    Ok(())
}

// ---- admission webhook ---------------------------------------------------------------------

const WEBHOOK_NAME: &str = "smoke.testenv.avigw.io";
const DENY_MESSAGE: &str = "testenv-smoke: Gateway names starting with deny- are refused";

async fn review(axum::Json(body): axum::Json<serde_json::Value>) -> axum::Json<serde_json::Value> {
    let req = &body["request"];
    let name = req["name"].as_str().unwrap_or_default();
    let allowed = !name.starts_with("deny-");
    let mut response = json!({"uid": req["uid"], "allowed": allowed});
    if !allowed {
        response["status"] = json!({"code": 403, "message": DENY_MESSAGE});
    }
    axum::Json(json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": response,
    }))
}

/// Starts an HTTPS admission server on a free loopback port; returns its address and
/// the PEM of its self-signed certificate (the caBundle).
async fn start_webhook_server() -> Result<(SocketAddr, String)> {
    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])?;
    let cert_pem = ck.cert.pem();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![ck.cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(ck.signing_key.serialize_der().into()),
        )?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new().route("/validate", axum::routing::post(review));
    let config = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(tls));
    let server = axum_server::from_tcp_rustls(listener, config)?;
    tokio::spawn(async move { server.serve(app.into_make_service()).await });
    Ok((addr, cert_pem))
}

#[tokio::test]
async fn webhook_denial_reaches_kubectl() -> Result<()> {
    let ctx = TestContext::new("webhook").await?;
    let (addr, ca_pem) = start_webhook_server().await?;
    let vwc_name = format!("testenv-smoke-{}", ctx.ns);
    // ByteString serializes as base64, the wire form of caBundle.
    let ca_bundle = k8s_openapi::ByteString(ca_pem.into_bytes());
    let vwc = json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": vwc_name},
        "webhooks": [{
            "name": WEBHOOK_NAME,
            "clientConfig": {"url": format!("https://{addr}/validate"), "caBundle": ca_bundle},
            "rules": [{
                "apiGroups": ["networking.x-k8s.io"],
                "apiVersions": ["v1alpha1"],
                "operations": ["CREATE", "UPDATE"],
                "resources": ["gateways"],
                "scope": "Namespaced",
            }],
            // Only this test's namespace and only deny-* names: no other test can be hit.
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ctx.ns}},
            "matchConditions": [{
                "name": "deny-prefix",
                "expression": "object.metadata.name.startsWith('deny-')",
            }],
            "failurePolicy": "Fail",
            "sideEffects": "None",
            "admissionReviewVersions": ["v1"],
            "timeoutSeconds": 5,
        }],
    });
    let vwcs: Api<k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration> =
        Api::all(ctx.client.clone());
    vwcs.create(&PostParams::default(), &serde_json::from_value(vwc)?)
        .await?;

    let result = async {
        // The apiserver picks up webhook configurations from an informer: wait until a
        // server-side dry run is denied before asserting on the real apply.
        let deny = gateway_yaml(&ctx.ns, "deny-me");
        let mut last = String::new();
        let mut active = false;
        for _ in 0..100 {
            let out = ctx
                .env
                .kubectl_stdin(&["apply", "--dry-run=server", "-f", "-"], &deny)
                .await?;
            if !out.success() && out.stderr.contains(DENY_MESSAGE) {
                active = true;
                break;
            }
            last = format!("{out:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        ensure!(active, "webhook never became active: {last}");

        let out = ctx.env.kubectl_stdin(&["apply", "-f", "-"], &deny).await?;
        ensure!(!out.success(), "deny-me was admitted: {out:?}");
        let want = format!("admission webhook \"{WEBHOOK_NAME}\" denied the request: {DENY_MESSAGE}");
        ensure!(out.stderr.contains(&want), "stderr: {}", out.stderr);

        // Names outside the matchCondition never reach the webhook.
        ctx.env
            .kubectl_stdin(&["apply", "-f", "-"], &gateway_yaml(&ctx.ns, "allow-me"))
            .await?
            .ok()?;
        Ok(())
    }
    .await;

    // Clean up even on failure: the webhook server dies with this test's runtime.
    vwcs.delete(&vwc_name, &Default::default()).await?;
    result
}
