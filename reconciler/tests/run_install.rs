//! `run` on a cluster without the Gateway API v1alpha1 CRDs (only AviInfraSetting's), the most
//! common LoadBalancer-only install: ready and serving LoadBalancer Services at once, and
//! serving Gateways, without a restart, once their CRDs are installed. One test in this binary:
//! the CRDs are the apiserver's, shared by every test of a binary.

mod run_support;

use run_support::{apply_crd_file, condition, env_without_gateway_crds, eventually, lb_yaml, wait_ready};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_balancers_without_gateway_crds_then_gateways_once_installed() {
    let e = env_without_gateway_crds("run-lbonly").await;
    let run = e.start().await;
    wait_ready(&run, 30).await;
    e.apply(&lb_yaml("web", "10.50.0.79")).await;
    e.wait_lb_ip("web", "10.50.0.79").await;

    // The Gateway CRDs arrive later: Gateways are served by the running reconciler.
    apply_crd_file(&e.ctx.client, "gatewayclasses.networking.x-k8s.io.yaml").await;
    apply_crd_file(&e.ctx.client, "gateways.networking.x-k8s.io.yaml").await;
    e.apply_gateway_class().await;
    e.apply(&e.gateway_yaml("gw", &[80], None)).await;
    eventually(60, "Gateway Ready", || async {
        let g = e.gateway_json("gw").await?;
        (condition(&g, "Ready")?.get("status")? == "True").then_some(())
    })
    .await;
    let vs = format!("{}--{}-gw", e.cluster, e.ctx.ns);
    assert!(e.names("virtualservice").await.contains(&vs));
    run.shutdown();
}
