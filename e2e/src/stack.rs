//! The local stack every end-to-end run and the demo use: the test apiserver, avisim, and the
//! webhook (registered by URL). Everything runs in this process, so stopping it stops all.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use avigw_testenv::TestEnv;
use avigw_webhook::serve::{CertSource, ServeOptions, Webhook};

/// Name of the webhook configurations the stack registers.
pub const WEBHOOK_CONFIG: &str = "avigw-local";
/// Password of avisim's `admin` user in the stack.
pub const AVI_PASSWORD: &str = "avigw-demo-password";

/// Cluster name the stack's reconciler uses: Avi objects are named `demo--<ns>-<name>`.
pub const CLUSTER_NAME: &str = "demo";

pub struct Stack {
    pub env: &'static TestEnv,
    pub client: kube::Client,
    pub avisim: avisim::SimHandle,
    /// `None` when started without the webhook (objects then reach the reconciler unchecked).
    pub webhook: Option<Webhook>,
    /// Holds the webhook's certificate files and the Avi password file.
    pub dir: tempfile::TempDir,
}

/// avisim with the networks the examples name: the global VIP network wide enough for the
/// examples' preferred IPs, and the AviInfraSetting example's own VIP network.
fn sim_config() -> avisim::SimConfig {
    let mut cfg = avisim::SimConfig::for_tests(AVI_PASSWORD);
    let net = |name: &str, cidr: &str| avisim::NetworkSpec {
        name: name.into(),
        cidr: cidr.parse().unwrap_or_default(),
    };
    cfg.networks = vec![
        net("vip-net", "10.0.0.0/8"),
        net("tkg-wkld-oam-vip", "10.223.63.0/26"),
    ];
    cfg
}

impl Stack {
    /// Starts the apiserver (CRDs installed), avisim over HTTPS and the webhook, and registers
    /// the webhook; returns once the apiserver calls it.
    pub async fn start() -> Result<Stack> {
        Stack::start_with(true).await
    }

    /// As [`Stack::start`], with or without the webhook.
    pub async fn start_with(with_webhook: bool) -> Result<Stack> {
        let env = TestEnv::get()?;
        let client = env.client().await?;
        env.install_crds(&client).await?;

        let avisim = avisim::spawn(sim_config()).await.context("starting avisim")?;

        let dir = tempfile::tempdir()?;
        let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
        let bundle =
            avigw_certs::pki::generate(&names, time::OffsetDateTime::now_utc(), time::Duration::days(30))?;
        let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
        std::fs::write(&cert, &bundle.tls_crt)?;
        std::fs::write(&key, &bundle.tls_key)?;
        std::fs::write(dir.path().join("avi-password"), AVI_PASSWORD)?;
        if let Some(ca) = avisim.ca_pem() {
            std::fs::write(dir.path().join("avi-ca.pem"), ca)?;
        }
        if !with_webhook {
            return Ok(Stack {
                env,
                client,
                avisim,
                webhook: None,
                dir,
            });
        }
        let webhook = avigw_webhook::serve::start(
            ServeOptions {
                listen: "127.0.0.1:0".parse()?,
                metrics_addr: "127.0.0.1:0".parse()?,
                cert: CertSource::Files {
                    cert,
                    key,
                    reload_interval: Duration::from_secs(2),
                },
                scope: Default::default(),
            },
            client.clone(),
        )
        .await?;
        let url = format!("https://127.0.0.1:{}", webhook.admission_addr.port());
        let configs = avigw_webhook::registration::url_configurations(WEBHOOK_CONFIG, &url, &bundle.ca_crt);
        env.kubectl_stdin(&["apply", "-f", "-"], &configs).await?.ok()?;
        let stack = Stack {
            env,
            client,
            avisim,
            webhook: Some(webhook),
            dir,
        };
        stack.wait_for_webhook().await?;
        Ok(stack)
    }

    /// The apiserver reads webhook configurations asynchronously: probe until a request that
    /// only the webhook refuses is refused.
    async fn wait_for_webhook(&self) -> Result<()> {
        let probe = "apiVersion: ako.vmware.com/v1alpha1\nkind: AviInfraSetting\nmetadata: {name: avigw-webhook-probe}\nspec: {network: {vipNetworks: [{cidr: 10.0.0.0/24}]}}\n";
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = self
                .env
                .kubectl_stdin(&["apply", "--dry-run=server", "-f", "-"], probe)
                .await?;
            if !out.success() && out.stderr.contains("must set networkName or networkUUID") {
                return Ok(());
            }
            ensure!(
                Instant::now() < deadline,
                "the apiserver never called the webhook: {}",
                out.stderr
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    pub fn avi_password_file(&self) -> PathBuf {
        self.dir.path().join("avi-password")
    }

    pub fn avi_ca_file(&self) -> PathBuf {
        self.dir.path().join("avi-ca.pem")
    }

    /// The objects users created in avisim (not its seeded ones), as (kind, name, stored body).
    pub fn avi_objects(&self) -> Vec<(String, String, serde_json::Map<String, serde_json::Value>)> {
        let store = self.avisim.state().store_read();
        store
            .all()
            .filter(|r| !r.readonly)
            .map(|r| (r.kind.name.to_string(), r.name.clone(), r.body.clone()))
            .collect()
    }

    /// Writes (POST/PUT/PATCH/DELETE) avisim served on the object types avigw writes.
    pub fn avi_writes(&self) -> u64 {
        avi_writes(&self.avisim)
    }

    pub async fn shutdown(self) {
        let _ = self
            .env
            .kubectl(&[
                "delete",
                "validatingwebhookconfiguration,mutatingwebhookconfiguration",
                WEBHOOK_CONFIG,
                "--ignore-not-found",
            ])
            .await;
        if let Some(w) = self.webhook {
            w.shutdown(Duration::from_secs(2)).await;
        }
        self.avisim.shutdown().await;
    }
}

/// The object types avigw writes (L4 and Ingress).
pub const AVI_KINDS: [&str; 8] = [
    "vsvip",
    "pool",
    "l4policyset",
    "virtualservice",
    "sslkeyandcertificate",
    "poolgroup",
    "vsdatascriptset",
    "httppolicyset",
];

/// Writes (POST/PUT/PATCH/DELETE) `sim` served on [`AVI_KINDS`] since its counters were reset.
pub fn avi_writes(sim: &avisim::SimHandle) -> u64 {
    ["POST", "PUT", "PATCH", "DELETE"]
        .iter()
        .flat_map(|m| AVI_KINDS.map(|k| sim.stats().count(m, k)))
        .sum()
}

/// The reconciler, running in this process against the stack's apiserver and avisim.
pub struct Reconciler {
    handle: avigw_reconciler::run::RunHandle,
}

impl Reconciler {
    pub fn metrics_addr(&self) -> std::net::SocketAddr {
        self.handle.metrics_addr
    }

    pub fn handle(&self) -> &avigw_reconciler::run::RunHandle {
        &self.handle
    }

    pub async fn shutdown(self) {
        self.handle.shutdown();
    }
}

/// Starts the reconciler with the settings a cluster admin would give it (SPEC §7), going
/// through the same config validation and credential files as `avigw-reconciler run`.
pub async fn start_reconciler(stack: &Stack) -> Result<Reconciler> {
    start_reconciler_with(stack, stack.client.clone(), |_| {}).await
}

/// As [`start_reconciler`], with its own kube client (e.g. through a proxy) and settings
/// changed by `tweak`.
pub async fn start_reconciler_with(
    stack: &Stack,
    client: kube::Client,
    tweak: impl FnOnce(&mut avigw_shared::config::RawConfig),
) -> Result<Reconciler> {
    use avigw_reconciler::run::{self, LeaseSettings, Settings, cli};
    use avigw_shared::config::{OpsPortArgs, Purpose, RawConfig, ScopeArgs};
    let mut raw = RawConfig {
        cluster_name: Some(CLUSTER_NAME.into()),
        controller: Some(stack.avisim.base_url().to_owned()),
        username: Some("admin".into()),
        password_file: Some(stack.avi_password_file()),
        ca_file: Some(stack.avi_ca_file()),
        vip_network: vec!["vip-net".into()],
        scope: ScopeArgs {
            default_domain: Some("avi.example.com".into()),
            ..Default::default()
        },
        ops: OpsPortArgs {
            metrics_addr: Some("127.0.0.1:0".into()),
        },
        ..Default::default()
    };
    tweak(&mut raw);
    let config = raw.validate(Purpose::Run).map_err(anyhow::Error::msg)?;
    let avi = cli::avi_config(&config).map_err(anyhow::Error::msg)?;
    let settings = Settings {
        metrics_addr: config.metrics_addr,
        config,
        lease: LeaseSettings {
            name: "avigw-reconciler".into(),
            namespace: "default".into(),
            identity: "demo".into(),
            duration: Duration::from_secs(15),
            renew: Duration::from_secs(5),
        },
        resync: Duration::from_secs(300),
    };
    let handle = run::start(settings, client, avi).await?;
    Ok(Reconciler { handle })
}
