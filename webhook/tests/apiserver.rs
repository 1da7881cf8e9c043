//! The webhook binary registered with the real test apiserver (url + caBundle), exercised
//! through `kubectl apply` as a user would.

mod support;

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use avigw_testenv::TestContext;
use support::{apply, denied, start_webhook};

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/tests/fixtures/seeds");

#[tokio::test]
async fn kubectl_apply_through_the_webhook() -> Result<()> {
    let ctx = TestContext::new("webhook").await?;
    let hook = start_webhook(ctx.env).await?;
    apply(
        ctx.env,
        &avigw_webhook::registration::url_configurations(
            "avigw-test",
            &format!("https://127.0.0.1:{}", hook.port),
            &hook.ca,
        ),
    )
    .await?
    .ok()?;
    let ns = &ctx.ns;
    // The apiserver reads webhook configurations asynchronously; wait until ours answers.
    let probe = "apiVersion: ako.vmware.com/v1alpha1\nkind: AviInfraSetting\nmetadata: {name: probe}\nspec: {network: {vipNetworks: [{cidr: 10.0.0.0/24}]}}\n";
    let deadline = Instant::now() + Duration::from_secs(20);
    while apply(ctx.env, probe).await?.success() {
        ctx.env.kubectl(&["delete", "aviinfrasetting", "probe"]).await?;
        ensure!(Instant::now() < deadline, "the webhook was never called");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // The seeds' examples apply (into namespaces blue/red/default as written).
    for n in ["blue", "red"] {
        let _ = ctx.env.kubectl(&["create", "namespace", n]).await?;
    }
    let out = ctx.env.kubectl(&["apply", "-f", SEEDS]).await?;
    ensure!(out.success(), "seeds refused: {}", out.stderr);
    ensure!(
        out.stderr
            .contains("Warning: metadata.labels: a Service of type LoadBalancer is never a Gateway backend"),
        "no SVC-LB-LABELS warning: {}",
        out.stderr
    );

    let class = "apiVersion: networking.x-k8s.io/v1alpha1\nkind: GatewayClass\nmetadata: {name: avi-lb}\nspec: {controller: ako.vmware.com/avi-lb}\n";
    apply(ctx.env, class).await?.ok()?;
    let gw = |name: &str, spec: &str| {
        format!(
            "apiVersion: networking.x-k8s.io/v1alpha1\nkind: Gateway\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  gatewayClassName: avi-lb\n{spec}"
        )
    };

    // Each bad Gateway, with the message kubectl prints.
    let bad_gateways = [
        ("  listeners:\n  - {protocol: TCP, port: 80, routes: {selector: {matchLabels: {ako.vmware.com/gateway-name: g1, ako.vmware.com/gateway-namespace: elsewhere}}}}\n",
         format!("spec.listeners[0].routes.selector.matchLabels[ako.vmware.com/gateway-namespace]: Invalid value: \"elsewhere\": listener 0 (port 80) must use \"{ns}\", the Gateway's own namespace")),
        ("  listeners:\n  - {protocol: TCP, port: 80, routes: {selector: {matchLabels: {app: x}}}}\n",
         "spec.listeners[0].routes.selector.matchLabels[ako.vmware.com/gateway-name]: Required value: listener 0 (port 80) must select its Services with the label ako.vmware.com/gateway-name: \"g1\"".to_owned()),
        ("  addresses: [{type: IPAddress, value: 10.0.0.1}, {type: IPAddress, value: 10.0.0.2}]\n  listeners: [{protocol: TCP, port: 80}]\n",
         "spec.addresses: Too many: 2: only a single IPv4 address is supported; keep one entry".to_owned()),
        ("  addresses: [{type: NamedAddress, value: vip}]\n  listeners: [{protocol: TCP, port: 80}]\n",
         "spec.addresses[0].type: Unsupported value: \"NamedAddress\": supported values: \"IPAddress\"".to_owned()),
        ("  addresses: [{value: 10.0.0.256}]\n  listeners: [{protocol: TCP, port: 80}]\n",
         "spec.addresses[0].value: Invalid value: \"10.0.0.256\": must be a valid IPv4 address such as 10.10.10.11".to_owned()),
        ("  listeners: [{protocol: HTTP, port: 80}]\n",
         "spec.listeners[0].protocol: Unsupported value: \"HTTP\": supported values: \"TCP\", \"UDP\", \"SCTP\" (avigw serves Layer 4 only)".to_owned()),
        ("  listeners: [{protocol: UDP, port: 53}, {protocol: udp, port: 53}]\n",
         "spec.listeners[1]: Duplicate value: UDP/53: listeners 0 and 1 both use protocol UDP and port 53".to_owned()),
        ("  listeners: [{protocol: TCP, port: 80, hostname: Not_A_Host}]\n",
         "spec.listeners[0].hostname: Invalid value: \"Not_A_Host\": must be a lowercase RFC 1123 subdomain".to_owned()),
    ];
    for (spec, want) in &bad_gateways {
        let out = apply(ctx.env, &gw("g1", spec)).await?;
        denied(&out, want).with_context(|| format!("Gateway spec:\n{spec}"))?;
    }
    // Every violation of one object comes back together.
    let out = apply(
        ctx.env,
        &gw(
            "g1",
            "  addresses: [{value: \"x\"}, {value: \"vip\"}]\n  listeners: [{protocol: TLS, port: 443}]\n",
        ),
    )
    .await?;
    denied(&out, &format!("Gateway {ns}/g1 is invalid (4 problems):"))?;

    // Defaults: empty selectors, lowercase protocol and untyped address are filled in.
    apply(ctx.env, &gw("good", "  addresses: [{value: 10.10.10.11}]\n  listeners: [{protocol: tcp, port: 80}, {protocol: UDP, port: 53}]\n")).await?.ok()?;
    let got = ctx.env.kubectl(&["get", "gateway", "good", "-n", ns, "-o", "jsonpath={.spec.listeners[0].protocol} {.spec.listeners[1].routes.selector.matchLabels.ako\\.vmware\\.com/gateway-name} {.spec.addresses[0].type}"]).await?.ok()?;
    ensure!(
        got.stdout == "TCP good IPAddress",
        "defaults not applied: {:?}",
        got.stdout
    );

    // In-place VIP change once Avi assigned the address: refused.
    ctx.env
        .kubectl(&[
            "patch",
            "gateway",
            "good",
            "-n",
            ns,
            "--subresource=status",
            "--type=merge",
            "-p",
            r#"{"status":{"addresses":[{"type":"IPAddress","value":"10.10.10.11"}]}}"#,
        ])
        .await?
        .ok()?;
    let out = apply(ctx.env, &gw("good", "  addresses: [{type: IPAddress, value: 10.10.10.22}]\n  listeners: [{protocol: TCP, port: 80}, {protocol: UDP, port: 53}]\n")).await?;
    denied(
        &out,
        "spec.addresses: Forbidden: changed from [10.10.10.11] to [10.10.10.22] while the VIP 10.10.10.11 is bound to the Avi virtual service; delete and re-create the Gateway to change it",
    )?;

    // Gateways of another class are untouched: no denial, no defaults.
    apply(ctx.env, "apiVersion: networking.x-k8s.io/v1alpha1\nkind: GatewayClass\nmetadata: {name: other}\nspec: {controller: example.io/lb}\n").await?.ok()?;
    let foreign = format!(
        "apiVersion: networking.x-k8s.io/v1alpha1\nkind: Gateway\nmetadata: {{name: foreign, namespace: {ns}}}\nspec:\n  gatewayClassName: other\n  listeners: [{{protocol: HTTP, port: 80}}]\n"
    );
    let out = apply(ctx.env, &foreign).await?;
    ensure!(
        out.success() && out.stderr.is_empty(),
        "foreign Gateway judged: {}",
        out.stderr
    );
    let sel = ctx
        .env
        .kubectl(&[
            "get",
            "gateway",
            "foreign",
            "-n",
            ns,
            "-o",
            "jsonpath={.spec.listeners[0].routes}",
        ])
        .await?
        .ok()?;
    ensure!(sel.stdout.is_empty(), "foreign Gateway mutated: {}", sel.stdout);

    // Services.
    let svc = |meta: &str, spec: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: s1\n  namespace: {ns}\n{meta}spec:\n{spec}"
        )
    };
    let out = apply(
        ctx.env,
        &svc(
            "  labels: {ako.vmware.com/gateway-name: good}\n",
            "  ports: [{port: 80}]\n",
        ),
    )
    .await?;
    denied(
        &out,
        "metadata.labels[ako.vmware.com/gateway-namespace]: Required value: ako.vmware.com/gateway-name is set (\"good\")",
    )?;
    let out = apply(
        ctx.env,
        &svc(
            "",
            "  type: LoadBalancer\n  loadBalancerIP: 300.1.1.1\n  ports: [{port: 80}]\n",
        ),
    )
    .await?;
    denied(
        &out,
        "spec.loadBalancerIP: Invalid value: \"300.1.1.1\": must be a valid IP address",
    )?;
    let out = apply(
        ctx.env,
        &svc(
            &format!(
                "  labels: {{ako.vmware.com/gateway-name: good, ako.vmware.com/gateway-namespace: {ns}}}\n"
            ),
            "  ports: [{port: 8080, protocol: TCP}]\n",
        ),
    )
    .await?;
    ensure!(out.success(), "{}", out.stderr);
    ensure!(out.stderr.contains(&format!("Warning: spec.ports[0]: Gateway {ns}/good has no listener for TCP/8080; this port gets no pool. The Gateway's listeners are: TCP/80, UDP/53")), "{}", out.stderr);

    // AviInfraSettings (cluster-scoped).
    let out = apply(ctx.env, "apiVersion: ako.vmware.com/v1alpha1\nkind: AviInfraSetting\nmetadata: {name: bad-rhi}\nspec: {network: {bgpPeerLabels: [peer]}}\n").await?;
    denied(
        &out,
        "spec.network.bgpPeerLabels: Forbidden: BGP peer labels apply only with route health injection; set spec.network.enableRhi: true (found unset)",
    )?;
    let out = apply(ctx.env, "apiVersion: ako.vmware.com/v1alpha1\nkind: AviInfraSetting\nmetadata: {name: bad-cidr}\nspec: {network: {vipNetworks: [{networkName: vip, cidr: 10.0.0.0/99}]}}\n").await?;
    denied(
        &out,
        "spec.network.vipNetworks[0].cidr: Invalid value: \"10.0.0.0/99\": network \"vip\": must be an IPv4 CIDR",
    )?;

    // GatewayClass rules.
    let out = apply(ctx.env, "apiVersion: networking.x-k8s.io/v1alpha1\nkind: GatewayClass\nmetadata: {name: avi-lb}\nspec: {controller: example.io/lb}\n").await?;
    denied(
        &out,
        "spec.controller: Invalid value: \"example.io/lb\": field is immutable (it was \"ako.vmware.com/avi-lb\")",
    )?;

    // Objects of other kinds flow.
    ctx.env
        .kubectl(&["create", "configmap", "plain", "-n", ns, "--from-literal=a=b"])
        .await?
        .ok()?;
    Ok(())
}
