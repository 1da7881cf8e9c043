use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use avigw_certs::cluster::{self, SecretSpec};
use avigw_certs::pki;
use clap::{Args, Parser, Subcommand};
use time::{Duration, OffsetDateTime};

#[derive(Parser)]
#[command(
    name = "avigw-certs",
    version,
    about = "CA and serving certificate for the avigw webhook"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct CertArgs {
    /// Namespace of the webhook Service and Secret.
    #[arg(long, env = "AVIGW_NAMESPACE")]
    namespace: String,
    /// The webhook Service: the certificate covers svc, svc.ns, svc.ns.svc, svc.ns.svc.cluster.local.
    #[arg(long, env = "AVIGW_SERVICE")]
    service: String,
    /// Extra DNS names or IP addresses for the certificate (repeatable).
    #[arg(long = "extra-name", env = "AVIGW_EXTRA_NAMES", value_delimiter = ',')]
    extra_names: Vec<String>,
    #[arg(long, env = "AVIGW_VALIDITY_DAYS", default_value_t = 365, value_parser = clap::value_parser!(i64).range(1..=3650))]
    validity_days: i64,
    /// Renew when the certificate expires within this many days.
    #[arg(long, env = "AVIGW_RENEW_BEFORE_DAYS", default_value_t = 30, value_parser = clap::value_parser!(i64).range(0..=3650))]
    renew_before_days: i64,
}

impl CertArgs {
    fn names(&self) -> Vec<String> {
        let mut n = pki::service_dns_names(&self.service, &self.namespace);
        n.extend(self.extra_names.iter().cloned());
        n
    }
}

#[derive(Args)]
struct PatchArgs {
    #[arg(long, env = "AVIGW_VALIDATING_WEBHOOK")]
    validating_webhook: Option<String>,
    #[arg(long, env = "AVIGW_MUTATING_WEBHOOK")]
    mutating_webhook: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Make sure the Secret holds a valid CA and serving certificate (kept while valid).
    Generate {
        #[command(flatten)]
        cert: CertArgs,
        #[arg(long, env = "AVIGW_SECRET")]
        secret: String,
    },
    /// Put the Secret's ca.crt into the webhook configurations' caBundle.
    Patch {
        #[arg(long, env = "AVIGW_NAMESPACE")]
        namespace: String,
        #[arg(long, env = "AVIGW_SECRET")]
        secret: String,
        #[command(flatten)]
        patch: PatchArgs,
    },
    /// generate, then patch: what the Helm hook Job and CronJob run.
    Ensure {
        #[command(flatten)]
        cert: CertArgs,
        #[arg(long, env = "AVIGW_SECRET")]
        secret: String,
        #[command(flatten)]
        patch: PatchArgs,
    },
    /// Write ca.crt, tls.crt and tls.key into a directory, without a cluster (local runs).
    Files {
        #[arg(long = "name", required = true, value_delimiter = ',')]
        names: Vec<String>,
        #[arg(long)]
        out_dir: PathBuf,
        #[arg(long, default_value_t = 365)]
        validity_days: i64,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    // Only ring is compiled in; installing it explicitly makes that a choice, not a guess.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    let result = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt.block_on(run(cli.command)),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("avigw-certs: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cmd: Command) -> Result<()> {
    let now = OffsetDateTime::now_utc();
    match cmd {
        Command::Files {
            names,
            out_dir,
            validity_days,
        } => {
            let b = pki::generate(&names, now, Duration::days(validity_days))?;
            std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
            for (f, text) in [
                ("ca.crt", &b.ca_crt),
                ("tls.crt", &b.tls_crt),
                ("tls.key", &b.tls_key),
            ] {
                let p = out_dir.join(f);
                std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?;
            }
            println!("wrote ca.crt, tls.crt, tls.key to {}", out_dir.display());
        }
        Command::Generate { cert, secret } => {
            let client = kube::Client::try_default()
                .await
                .context("connecting to the Kubernetes API")?;
            generate(&client, &cert, &secret, now).await?;
        }
        Command::Patch {
            namespace,
            secret,
            patch,
        } => {
            let client = kube::Client::try_default()
                .await
                .context("connecting to the Kubernetes API")?;
            let ca = cluster::read_ca(&client, &namespace, &secret).await?;
            patch_bundles(&client, &ca, &patch).await?;
        }
        Command::Ensure { cert, secret, patch } => {
            let client = kube::Client::try_default()
                .await
                .context("connecting to the Kubernetes API")?;
            let bundle = generate(&client, &cert, &secret, now).await?;
            patch_bundles(&client, &bundle.ca_crt, &patch).await?;
        }
    }
    Ok(())
}

async fn generate(
    client: &kube::Client,
    cert: &CertArgs,
    secret: &str,
    now: OffsetDateTime,
) -> Result<pki::Bundle> {
    let names = cert.names();
    let spec = SecretSpec {
        namespace: &cert.namespace,
        name: secret,
        dns_names: &names,
        validity: Duration::days(cert.validity_days),
        renew_before: Duration::days(cert.renew_before_days),
        now,
    };
    let (outcome, bundle) = cluster::ensure_secret(client, &spec).await?;
    match outcome {
        cluster::SecretOutcome::Kept => {
            println!("Secret {}/{secret}: certificate valid, kept", cert.namespace)
        }
        cluster::SecretOutcome::Created => println!("Secret {}/{secret}: created", cert.namespace),
        cluster::SecretOutcome::Renewed(why) => {
            println!("Secret {}/{secret}: renewed ({why})", cert.namespace)
        }
    }
    Ok(bundle)
}

async fn patch_bundles(client: &kube::Client, ca: &str, patch: &PatchArgs) -> Result<()> {
    let n = cluster::patch_ca_bundle(
        client,
        ca,
        patch.validating_webhook.as_deref(),
        patch.mutating_webhook.as_deref(),
    )
    .await?;
    println!("caBundle: {n} webhook(s) updated");
    Ok(())
}
