use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use avigw_ops::LogArgs;
use avigw_shared::config::{ConfigError, OpsPortArgs, Scope, ScopeArgs};
use avigw_webhook::serve::{CertSource, ServeOptions};
use clap::{Args, Parser, Subcommand};
use kube::Client;

#[derive(Parser)]
#[command(name = "avigw-webhook", version, about = "avigw admission webhook")]
struct Cli {
    #[command(flatten)]
    log: LogArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve /validate and /mutate over TLS, metrics and probes over plain HTTP.
    Serve(ServeArgs),
    /// Run the admission rules offline over manifest files; exit 1 when anything is denied.
    Check {
        /// A file or directory of manifests (read recursively: *.yaml, *.yml, *.json); `-` for
        /// stdin. Repeatable. Multi-document YAML and List kinds are read.
        #[arg(short = 'f', long = "filename", required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        scope: ScopeArgs,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address of the TLS admission port.
    #[arg(long, env = "AVIGW_LISTEN", default_value = "0.0.0.0:8443")]
    listen: SocketAddr,
    #[command(flatten)]
    ops: OpsPortArgs,
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
    scope: ScopeArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    avigw_ops::init_tracing(cli.log.format());
    // ring is the only rustls provider built in; choosing it explicitly keeps kube's TLS from
    // depending on feature unification.
    let _ = rustls::crypto::ring::default_provider().install_default();
    match cli.command {
        Command::Check { files, scope } => match scope.validate() {
            Ok(scope) => check(&files, &scope),
            Err(e) => bad_setting(e),
        },
        Command::Serve(args) => {
            let (metrics_addr, scope) = match serve_settings(&args) {
                Ok(c) => c,
                Err(e) => return bad_setting(e),
            };
            let rt = match tokio::runtime::Runtime::new() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("avigw-webhook: starting the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match rt.block_on(serve(args, metrics_addr, scope)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("avigw-webhook: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// A bad flag stops start-up with one line and exit code 2, as in the reconciler.
fn bad_setting(e: ConfigError) -> ExitCode {
    eprintln!("avigw-webhook: {e}");
    ExitCode::from(2)
}

/// The settings `serve` shares with the reconciler, checked before anything starts.
fn serve_settings(args: &ServeArgs) -> Result<(SocketAddr, Scope), ConfigError> {
    Ok((args.ops.validate()?, args.scope.clone().validate()?))
}

fn check(files: &[PathBuf], scope: &Scope) -> ExitCode {
    let docs = match avigw_webhook::check::read_docs(files) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("avigw-webhook check: {e}");
            return ExitCode::from(2);
        }
    };
    for note in &docs.notes {
        eprintln!("note: {note}");
    }
    let report = avigw_webhook::check::check_docs(&docs.docs, scope);
    print!("{}", report.text);
    if report.all_admitted {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

async fn serve(args: ServeArgs, metrics_addr: SocketAddr, scope: Scope) -> Result<()> {
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
        metrics_addr,
        cert,
        scope,
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

#[cfg(test)]
mod tests {
    use avigw_shared::config::{env_name, flags_with_env};
    use clap::CommandFactory;

    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("avigw-webhook").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    fn serve_args(args: &[&str]) -> ServeArgs {
        let all: Vec<&str> = ["serve", "--self-signed"].iter().chain(args).copied().collect();
        match parse(&all).command {
            Command::Serve(a) => a,
            Command::Check { .. } => unreachable!(),
        }
    }

    #[test]
    fn flags_are_well_formed_and_named_after_their_env() {
        Cli::command().debug_assert();
        let flags = flags_with_env(&Cli::command());
        for (_, long, env) in &flags {
            assert_eq!(*env, env_name(long), "--{long}");
        }
        for shared in [
            "log-json",
            "metrics-addr",
            "default-lb-controller",
            "default-domain",
            "shard-vs-size",
            "namespace-selector",
            "blocked-namespace",
        ] {
            assert!(
                flags.iter().any(|f| f.1 == shared),
                "--{shared} missing: {flags:?}"
            );
        }
    }

    #[test]
    fn metrics_addr_takes_the_reconcilers_syntax() {
        let default = serve_args(&[]).ops.validate().unwrap();
        assert_eq!(default, "0.0.0.0:9090".parse().unwrap());
        let port_only = serve_args(&["--metrics-addr", ":9191"]).ops.validate().unwrap();
        assert_eq!(port_only, "0.0.0.0:9191".parse().unwrap());
        let e = serve_args(&["--metrics-addr=nine"]).ops.validate().unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid setting --metrics-addr (AVIGW_METRICS_ADDR): \"nine\""),
            "{e}"
        );
    }

    #[test]
    fn serve_and_check_read_the_same_scope() {
        assert!(serve_args(&[]).scope.validate().unwrap().default_lb_controller);
        let off = serve_args(&["--default-lb-controller=false"])
            .scope
            .validate()
            .unwrap();
        assert!(!off.default_lb_controller);
        let Command::Check { scope, files } = parse(&[
            "check",
            "-f",
            "x.yaml",
            "--default-lb-controller",
            "false",
            "--default-domain",
            "avi.example.com",
        ])
        .command
        else {
            unreachable!()
        };
        assert_eq!(files, vec![PathBuf::from("x.yaml")]);
        let scope = scope.validate().unwrap();
        assert!(!scope.default_lb_controller);
        assert_eq!(scope.default_domain.as_deref(), Some("avi.example.com"));
    }

    #[test]
    fn log_json_goes_before_or_after_the_subcommand() {
        assert!(parse(&["--log-json", "serve", "--self-signed"]).log.log_json);
        assert!(parse(&["serve", "--self-signed", "--log-json"]).log.log_json);
        assert!(
            !parse(&["serve", "--self-signed", "--log-json=false"])
                .log
                .log_json
        );
    }
}
