//! avigw-reconciler: puts Kubernetes L4 traffic (Gateways, LoadBalancer Services) on an Avi
//! controller. Subcommands: `run` (the controller) and `plan` (offline translation of
//! manifests).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use avigw_reconciler::plan::{PlanArgs, execute};
use avigw_reconciler::run::cli::RunArgs;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "avigw-reconciler",
    version,
    about = "avigw reconciler: Kubernetes Gateways and LoadBalancer Services on Avi"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Translate manifests offline: print the Avi objects per Gateway / LoadBalancer Service
    /// and the status each Kubernetes object would get. Objects without a namespace are taken
    /// to be in `default`; the license tier defaults to ENTERPRISE and the cluster name to
    /// "plan" unless given. Exit 1 when an input breaks an admission rule, 2 on unusable input.
    Plan(Box<PlanArgs>),
    /// Run the controller: watch the cluster, sync Avi, write status and events. Settings
    /// come from flags or `AVIGW_*` env; a bad one stops start-up with one line.
    Run(Box<RunArgs>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run(*args),
        Command::Plan(args) => match execute(&args) {
            Ok(out) => {
                for n in &out.notes {
                    eprintln!("{n}");
                }
                match write_stdout(&out.stdout) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("error: {e:#}");
                        ExitCode::from(2)
                    }
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(e.exit_code())
            }
        },
    }
}

fn write_stdout(s: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes()).context("cannot write to stdout")?;
    out.flush().context("cannot write to stdout")
}

fn run(args: RunArgs) -> ExitCode {
    avigw_ops::init_tracing(avigw_ops::LogFormat::json(args.log_json));
    // One rustls provider for kube and the Avi client (both are built without a default).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let setup = args.config().and_then(|c| {
        let avi = avigw_reconciler::run::cli::avi_config(&c)?;
        Ok((args.settings(c)?, avi))
    });
    let (settings, avi) = match setup {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(serve(settings, avi)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(
    settings: avigw_reconciler::run::Settings,
    avi: avigw_reconciler::avi::AviClientConfig,
) -> anyhow::Result<()> {
    let kube = kube::Client::try_default()
        .await
        .context("cannot build a Kubernetes client (kubeconfig or in-cluster)")?;
    tracing::info!(
        cluster = %settings.config.cluster_name.as_str(),
        controller = settings.config.controller.as_deref().unwrap_or_default(),
        identity = %settings.lease.identity,
        leader_elect = settings.config.leader_elect,
        "starting"
    );
    let handle = avigw_reconciler::run::start(settings, kube, avi).await?;
    tracing::info!(metrics = %handle.metrics_addr, "serving metrics");
    tokio::select! {
        _ = handle.wait() => anyhow::bail!("a reconciler task stopped"),
        _ = avigw_ops::shutdown_signal() => {
            tracing::info!("signalled; stopping");
            Ok(())
        }
    }
}
