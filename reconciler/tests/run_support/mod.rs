//! Shared set-up for the `run` tests: the testenv apiserver (one per test binary), an avisim
//! per test, and the reconciler started in-process. Each test gets its own namespace, cluster
//! name and GatewayClass, and the reconciler only syncs namespaces labelled for that test, so
//! tests in one binary do not see each other's objects.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use avigw_reconciler::avi::{
    AviClient, AviClientConfig, Credentials, ListQuery, RetryPolicy, Secret, TlsOptions,
};
use avigw_reconciler::retry::Backoff;
use avigw_reconciler::run::{self, LeaseSettings, RunHandle, Settings};
use avigw_shared::config::{OpsPortArgs, Purpose, RawConfig, ScopeArgs};
use avigw_testenv::{TestContext, TestEnv};
use avisim::{SimConfig, SimHandle};
use serde_json::Value;

pub const PASSWORD: &str = "Sim-Pa55word!";
pub const TEST_LABEL: &str = "avigw-test";

/// Tests of one binary share an apiserver. Each reconciler has its own cluster name (so its
/// own finalizers) and namespace selector, so it leaves other tests' objects alone; still, one
/// test at a time holds this for its whole run: each starts a reconciler and an avisim on a
/// shared machine, and the timing-sensitive tests (the Avi wake-up) stay meaningful.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub struct Env {
    _serial: tokio::sync::MutexGuard<'static, ()>,
    pub ctx: TestContext,
    pub sim: SimHandle,
    pub cluster: String,
    pub class: String,
    pub dir: PathBuf,
}

pub async fn env(hint: &str) -> Env {
    env_with(hint, |_| {}).await
}

pub async fn env_with(hint: &str, sim_cfg: impl FnOnce(&mut SimConfig)) -> Env {
    setup(hint, sim_cfg, Crds::All).await
}

/// An apiserver with only the AviInfraSetting CRD, as on a cluster without the Gateway API
/// v1alpha1 CRDs (the most common LoadBalancer-only install). Use it alone in its test binary:
/// the CRDs of an apiserver are shared by every test of the binary.
pub async fn env_without_gateway_crds(hint: &str) -> Env {
    setup(hint, |_| {}, Crds::AviInfraSettingOnly).await
}

enum Crds {
    All,
    AviInfraSettingOnly,
}

async fn setup(hint: &str, sim_cfg: impl FnOnce(&mut SimConfig), crds: Crds) -> Env {
    let serial = ONE_AT_A_TIME.lock().await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
    let ctx = match crds {
        Crds::All => TestContext::new(hint).await.expect("testenv"),
        Crds::AviInfraSettingOnly => {
            let env = TestEnv::get().expect("testenv");
            let client = env.client().await.expect("kube client");
            apply_crd_file(&client, "aviinfrasettings.ako.vmware.com.yaml").await;
            let ns = env.create_namespace(&client, hint).await.expect("namespace");
            TestContext { env, client, ns }
        }
    };
    let mut cfg = SimConfig::for_tests(PASSWORD);
    sim_cfg(&mut cfg);
    let sim = avisim::spawn(cfg).await.expect("avisim");
    let dir = std::env::temp_dir().join(format!("avigw-run-{}-{}", std::process::id(), ctx.ns));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    std::fs::write(dir.join("password"), PASSWORD).expect("password file");
    if let Some(pem) = sim.ca_pem() {
        std::fs::write(dir.join("ca.pem"), pem).expect("ca file");
    }
    ctx.env
        .kubectl(&["label", "namespace", &ctx.ns, &format!("{TEST_LABEL}={}", ctx.ns)])
        .await
        .expect("kubectl")
        .ok()
        .expect("label namespace");
    // Cluster names are at most 32 characters.
    let cluster = format!(
        "t{}",
        &ctx.ns
            .chars()
            .rev()
            .take(20)
            .collect::<String>()
            .chars()
            .rev()
            .collect::<String>()
    )
    .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "-");
    let class = format!("avi-{}", ctx.ns);
    let e = Env {
        _serial: serial,
        ctx,
        sim,
        cluster,
        class,
        dir,
    };
    if matches!(crds, Crds::All) {
        e.apply_gateway_class().await;
    }
    e
}

/// Applies one CRD of `manifests/crds` (server-side) and waits until it is established.
pub async fn apply_crd_file(client: &kube::Client, file: &str) {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    use kube::api::{Patch, PatchParams};
    let path = avigw_testenv::crd_dir().join(file);
    let text = std::fs::read_to_string(&path).expect("CRD file");
    let crd: CustomResourceDefinition = serde_yaml::from_str(&text).expect("CRD YAML");
    let name = crd.metadata.name.clone().expect("CRD name");
    let api: kube::Api<CustomResourceDefinition> = kube::Api::all(client.clone());
    api.patch(
        &name,
        &PatchParams::apply("avigw-run-tests").force(),
        &Patch::Apply(&crd),
    )
    .await
    .expect("apply CRD");
    tokio::time::timeout(
        Duration::from_secs(60),
        kube::runtime::wait::await_condition(
            api,
            &name,
            kube::runtime::wait::conditions::is_crd_established(),
        ),
    )
    .await
    .expect("CRD established in time")
    .expect("CRD established");
}

impl Env {
    /// This test's GatewayClass of avigw's controller.
    pub async fn apply_gateway_class(&self) {
        self.ctx
            .env
            .kubectl_stdin(
                &["apply", "-f", "-"],
                &format!(
                    "apiVersion: networking.x-k8s.io/v1alpha1\nkind: GatewayClass\nmetadata:\n  name: {}\nspec:\n  controller: ako.vmware.com/avi-lb\n",
                    self.class
                ),
            )
            .await
            .expect("kubectl")
            .ok()
            .expect("gatewayclass");
    }

    pub fn raw(&self) -> RawConfig {
        RawConfig {
            cluster_name: Some(self.cluster.clone()),
            controller: Some(self.sim.base_url().to_owned()),
            username: Some("admin".into()),
            password_file: Some(self.dir.join("password")),
            ca_file: Some(self.dir.join("ca.pem")),
            vip_network: vec!["vip-net".into()],
            scope: ScopeArgs {
                namespace_selector: Some(format!("{TEST_LABEL}={}", self.ctx.ns)),
                ..ScopeArgs::default()
            },
            leader_elect: Some(false),
            workers: Some(4),
            ops: OpsPortArgs {
                metrics_addr: Some("127.0.0.1:0".into()),
            },
            ..RawConfig::default()
        }
    }

    pub fn settings(&self, raw: RawConfig, identity: &str) -> Settings {
        let config = raw.validate(Purpose::Run).expect("valid config");
        Settings {
            metrics_addr: config.metrics_addr,
            resync: Duration::from_secs(600),
            config,
            lease: LeaseSettings {
                name: "avigw-reconciler".into(),
                namespace: self.ctx.ns.clone(),
                identity: identity.into(),
                duration: Duration::from_secs(3),
                renew: Duration::from_secs(1),
            },
        }
    }

    pub fn avi_config(&self) -> AviClientConfig {
        let mut c = AviClientConfig::new(
            self.sim.base_url(),
            Credentials::Password {
                username: "admin".into(),
                password: Secret::new(PASSWORD),
            },
        );
        c.tls = TlsOptions {
            ca_file: Some(self.dir.join("ca.pem")),
            insecure_skip_verify: false,
        };
        c.timeout = Duration::from_secs(5);
        c.retry = RetryPolicy {
            max_retries: 2,
            backoff: Backoff::new(Duration::from_millis(20), Duration::from_millis(200)),
        };
        c
    }

    pub async fn start(&self) -> RunHandle {
        self.start_with(self.raw(), "replica-a").await
    }

    pub async fn start_with(&self, raw: RawConfig, identity: &str) -> RunHandle {
        let client = self.ctx.env.client().await.expect("kube client");
        self.start_as(client, raw, identity).await
    }

    /// With a kube client of the caller's (e.g. a user with less RBAC than admin).
    pub async fn start_as(&self, client: kube::Client, raw: RawConfig, identity: &str) -> RunHandle {
        run::start(self.settings(raw, identity), client, self.avi_config())
            .await
            .expect("reconciler starts")
    }

    pub fn avi(&self) -> AviClient {
        AviClient::new(self.avi_config()).expect("avi client")
    }

    /// Names of one Avi type's objects.
    pub async fn names(&self, kind: &str) -> Vec<String> {
        let items: Vec<Value> = self
            .avi()
            .list(kind, &ListQuery::default(), None)
            .await
            .expect("list");
        let mut n: Vec<String> = items
            .iter()
            .filter_map(|v| v.get("name").and_then(Value::as_str).map(str::to_owned))
            .filter(|n| n.starts_with(&format!("{}--", self.cluster)))
            .collect();
        n.sort();
        n
    }

    pub async fn object(&self, kind: &str, name: &str) -> Option<Value> {
        self.avi().get_by_name(kind, name, None).await.expect("get")
    }

    /// POST/PUT/PATCH/DELETE calls avisim served on our object types.
    /// Every Avi write (POST/PUT/PATCH/DELETE) avisim served, on every type avigw writes.
    pub fn writes(&self) -> u64 {
        let mut n = 0;
        for m in ["POST", "PUT", "PATCH", "DELETE"] {
            for k in [
                "vsvip",
                "pool",
                "l4policyset",
                "virtualservice",
                "poolgroup",
                "vsdatascriptset",
                "httppolicyset",
                "sslkeyandcertificate",
            ] {
                n += self.sim.stats().count(m, k);
            }
        }
        n
    }

    pub async fn apply(&self, yaml: &str) {
        self.ctx
            .env
            .kubectl_stdin(&["apply", "-n", &self.ctx.ns, "-f", "-"], yaml)
            .await
            .expect("kubectl")
            .ok()
            .expect("apply");
    }

    pub async fn kubectl(&self, args: &[&str]) -> String {
        let out = self.ctx.env.kubectl(args).await.expect("kubectl");
        out.stdout.clone()
    }

    /// A Gateway `name` with TCP listeners on `ports`, one ClusterIP backend Service per port
    /// (`<name>-b<port>`) and an EndpointSlice for each (two ready endpoints).
    pub fn gateway_yaml(&self, name: &str, ports: &[u16], address: Option<&str>) -> String {
        let ns = &self.ctx.ns;
        let mut y = format!(
            "apiVersion: networking.x-k8s.io/v1alpha1\nkind: Gateway\nmetadata:\n  name: {name}\nspec:\n  gatewayClassName: {}\n",
            self.class
        );
        if let Some(a) = address {
            y.push_str(&format!("  addresses:\n  - type: IPAddress\n    value: {a}\n"));
        }
        y.push_str("  listeners:\n");
        for p in ports {
            y.push_str(&format!(
                "  - protocol: TCP\n    port: {p}\n    routes:\n      selector:\n        matchLabels:\n          ako.vmware.com/gateway-namespace: {ns}\n          ako.vmware.com/gateway-name: {name}\n      group: v1\n      kind: Service\n"
            ));
        }
        for (i, p) in ports.iter().enumerate() {
            y.push_str(&format!(
                "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}-b{p}\n  labels:\n    ako.vmware.com/gateway-name: {name}\n    ako.vmware.com/gateway-namespace: {ns}\nspec:\n  ports:\n  - port: {p}\n    targetPort: 8080\n    protocol: TCP\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: {name}-b{p}-x\n  labels:\n    kubernetes.io/service-name: {name}-b{p}\naddressType: IPv4\nports:\n- port: 8080\n  protocol: TCP\nendpoints:\n- addresses: [\"10.1.{i}.1\"]\n  conditions: {{ready: true}}\n- addresses: [\"10.1.{i}.2\"]\n  conditions: {{ready: true}}\n"
            ));
        }
        y
    }

    pub async fn gateway_json(&self, name: &str) -> Option<Value> {
        let out = self
            .ctx
            .env
            .kubectl(&["get", "gateway", name, "-n", &self.ctx.ns, "-o", "json"])
            .await
            .expect("kubectl");
        if !out.success() {
            return None;
        }
        serde_json::from_str(&out.stdout).ok()
    }

    /// Waits until LoadBalancer Service `name` shows `ip` in its ingress.
    pub async fn wait_lb_ip(&self, name: &str, ip: &str) {
        eventually(30, "LB ingress", || async {
            let s = self.service_json(name).await;
            (s.pointer("/status/loadBalancer/ingress/0/ip")? == ip).then_some(())
        })
        .await;
    }

    pub async fn service_json(&self, name: &str) -> Value {
        let out = self
            .kubectl(&["get", "service", name, "-n", &self.ctx.ns, "-o", "json"])
            .await;
        serde_json::from_str(&out).expect("service json")
    }
}

/// Polls `f` until it answers `Some`, or panics with `what` after `secs`.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {secs}s waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The condition `type_` of a Gateway JSON.
pub fn condition<'a>(gw: &'a Value, type_: &str) -> Option<&'a Value> {
    gw.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))
}

/// A LoadBalancer Service with a preferred IP and an EndpointSlice.
pub fn lb_yaml(name: &str, ip: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  type: LoadBalancer\n  loadBalancerIP: {ip}\n  ports:\n  - port: 443\n    targetPort: 8443\n    protocol: TCP\n    name: https\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: {name}-x\n  labels:\n    kubernetes.io/service-name: {name}\naddressType: IPv4\nports:\n- port: 8443\n  protocol: TCP\n  name: https\nendpoints:\n- addresses: [\"10.2.0.1\"]\n"
    )
}

/// The HTTP status of a GET (0 when nothing answered).
pub async fn http_status(url: &str) -> u16 {
    let out = tokio::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", url])
        .output()
        .await
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0)
}

/// Waits for `/readyz` of a reconciler to answer 200.
pub async fn wait_ready(run: &RunHandle, secs: u64) {
    let url = format!("http://{}/readyz", run.metrics_addr);
    eventually(secs, "/readyz 200", || async {
        (http_status(&url).await == 200).then_some(())
    })
    .await;
}
