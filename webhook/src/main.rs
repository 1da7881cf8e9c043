use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use avigw_ops::LogFormat;
use avigw_webhook::policy::PolicyConfig;
use avigw_webhook::serve::{CertSource, ServeOptions};
use clap::{Args, Parser, Subcommand};
use kube::Client;

#[derive(Parser)]
#[command(name = "avigw-webhook", version, about = "avigw admission webhook")]
struct Cli {
    /// Log as JSON lines.
    #[arg(long, env = "AVIGW_LOG_JSON", global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve /validate and /mutate over TLS, metrics and probes over plain HTTP.
    Serve(ServeArgs),
    /// Run the admission rules offline over manifest files; exit 1 when anything is denied.
    Check {
        /// A file or directory of manifests (repeatable).
        #[arg(short = 'f', long = "filename", required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        policy: PolicyArgs,
    },
}

#[derive(Args)]
struct PolicyArgs {
    /// LoadBalancer Services without a loadBalancerClass are ours.
    #[arg(long, env = "AVIGW_DEFAULT_LB_CONTROLLER", default_value_t = true, action = clap::ArgAction::Set)]
    default_lb_controller: bool,
}

#[derive(Args)]
struct ServeArgs {
    /// Address of the TLS admission port.
    #[arg(long, env = "AVIGW_LISTEN", default_value = "0.0.0.0:8443")]
    listen: SocketAddr,
    /// Address of the plain-HTTP /metrics, /healthz, /readyz port.
    #[arg(long, env = "AVIGW_METRICS_ADDR", default_value = "0.0.0.0:9090")]
    metrics_addr: SocketAddr,
    /// PEM certificate chain (leaf first), e.g. from a mounted Secret; reloaded when it changes.
    #[arg(
        long,
        env = "AVIGW_TLS_CERT_FILE",
        required_unless_present = "self_signed",
        requires = "tls_key_file"
    )]
    tls_cert_file: Option<PathBuf>,
    #[arg(long, env = "AVIGW_TLS_KEY_FILE", requires = "tls_cert_file")]
    tls_key_file: Option<PathBuf>,
    /// Make an in-memory self-signed certificate (local runs only).
    #[arg(long, env = "AVIGW_SELF_SIGNED", conflicts_with = "tls_cert_file")]
    self_signed: bool,
    /// Names for the self-signed certificate.
    #[arg(
        long,
        env = "AVIGW_SELF_SIGNED_NAMES",
        value_delimiter = ',',
        default_value = "localhost,127.0.0.1"
    )]
    self_signed_names: Vec<String>,
    /// How often the certificate files are checked for a rotation.
    #[arg(long, env = "AVIGW_CERT_RELOAD_INTERVAL_SECS", default_value_t = 2)]
    cert_reload_interval_secs: u64,
    /// How long in-flight requests may take to finish on shutdown.
    #[arg(long, env = "AVIGW_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    shutdown_grace_secs: u64,
    #[command(flatten)]
    policy: PolicyArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    avigw_ops::init_tracing(LogFormat::json(cli.log_json));
    // ring is the only rustls provider built in; choosing it explicitly keeps kube's TLS from
    // depending on feature unification.
    let _ = rustls::crypto::ring::default_provider().install_default();
    match cli.command {
        Command::Check { files, policy } => check(&files, policy),
        Command::Serve(args) => {
            let rt = match tokio::runtime::Runtime::new() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("avigw-webhook: starting the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match rt.block_on(serve(args)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("avigw-webhook: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn check(files: &[PathBuf], policy: PolicyArgs) -> ExitCode {
    let docs = match avigw_webhook::check::read_docs(files) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("avigw-webhook check: {e}");
            return ExitCode::from(2);
        }
    };
    let report = avigw_webhook::check::check_docs(
        &docs,
        PolicyConfig {
            default_lb_controller: policy.default_lb_controller,
        },
    );
    print!("{}", report.text);
    if report.all_admitted {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

async fn serve(args: ServeArgs) -> Result<()> {
    let cert = match (args.tls_cert_file, args.tls_key_file, args.self_signed) {
        (Some(cert), Some(key), _) => CertSource::Files {
            cert,
            key,
            reload_interval: Duration::from_secs(args.cert_reload_interval_secs.max(1)),
        },
        (_, _, true) => CertSource::SelfSigned(args.self_signed_names),
        _ => anyhow::bail!("--tls-cert-file and --tls-key-file, or --self-signed, are required"),
    };
    let client = Client::try_default()
        .await
        .context("connecting to the Kubernetes API")?;
    let opts = ServeOptions {
        listen: args.listen,
        metrics_addr: args.metrics_addr,
        cert,
        policy: PolicyConfig {
            default_lb_controller: args.policy.default_lb_controller,
        },
    };
    let webhook = avigw_webhook::serve::start(opts, client).await?;
    tracing::info!(admission = %webhook.admission_addr, metrics = %webhook.metrics_addr, "avigw-webhook serving");
    avigw_ops::shutdown_signal().await;
    tracing::info!("shutting down: draining in-flight requests");
    webhook
        .shutdown(Duration::from_secs(args.shutdown_grace_secs))
        .await;
    Ok(())
}
