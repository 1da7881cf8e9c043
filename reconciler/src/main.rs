//! avigw-reconciler: puts Kubernetes L4 traffic (Gateways, LoadBalancer Services) on an Avi
//! controller. Subcommands: `run` (the controller) and `plan` (offline translation of
//! manifests).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use avigw_ops::LogArgs;
use avigw_reconciler::plan::{PlanArgs, execute};
use avigw_reconciler::run::cli::RunArgs;
use clap::{Parser, Subcommand};

/// jemalloc: under glibc's malloc the workers' per-thread arenas kept a fifth more resident
/// memory than the heap needs after a large sync (BENCHMARKS.md, "Reconciler memory and time
/// at 10,000 Gateways").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options. It returns freed pages to the OS only while the process allocates,
/// so a controller that goes quiet after a burst (a sync, a resync) would keep them: a
/// background thread returns them within a second instead.
#[unsafe(export_name = "_rjem_malloc_conf")]
static JEMALLOC_CONF: &[u8] = b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

#[derive(Debug, Parser)]
#[command(
    name = "avigw-reconciler",
    version,
    about = "avigw reconciler: Kubernetes Gateways and LoadBalancer Services on Avi"
)]
struct Cli {
    #[command(flatten)]
    log: LogArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Translate manifests offline: print the Avi objects per key (Gateway, LoadBalancer
    /// Service, Ingress shard or DEDICATED host) and the status each Kubernetes object would
    /// get; certificate keys are printed as `<redacted>`. Objects without a namespace are taken
    /// to be in `default`; the license tier defaults to ENTERPRISE and the cluster name to
    /// "plan" unless given. Exit 1 when an input breaks an admission rule, 2 on unusable input.
    /// With --diff: compare with the live controller; exit 0 nothing would change, 2 something
    /// would, 1 any error.
    Plan(Box<PlanArgs>),
    /// Run the controller: watch the cluster, sync Avi, write status and events. Settings
    /// come from flags or `AVIGW_*` env; a bad one stops start-up with one line.
    Run(Box<RunArgs>),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // `plan --diff` keeps 2 for "something would change": its usage errors exit 1.
        Err(e) if e.use_stderr() && std::env::args().any(|a| a == "--diff") => {
            let _ = e.print();
            return ExitCode::from(avigw_reconciler::plan::DIFF_ERROR);
        }
        Err(e) => e.exit(),
    };
    avigw_ops::init_tracing(cli.log.format());
    match cli.command {
        Command::Run(args) => run(*args),
        Command::Plan(args) if args.diff => plan_diff(&args),
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
                ExitCode::from(e.exit_code(false))
            }
        },
    }
}

fn plan_diff(args: &PlanArgs) -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let error = |e: &dyn std::fmt::Display| {
        eprintln!("error: {e}");
        ExitCode::from(avigw_reconciler::plan::DIFF_ERROR)
    };
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return error(&format!("cannot start the async runtime: {e}")),
    };
    match rt.block_on(avigw_reconciler::plan::execute_diff(args)) {
        Ok(out) => {
            for n in &out.notes {
                eprintln!("{n}");
            }
            match write_stdout(&out.stdout) {
                Ok(()) => ExitCode::from(out.exit_code()),
                Err(e) => error(&format!("{e:#}")),
            }
        }
        Err(e) => error(&e),
    }
}

fn write_stdout(s: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes()).context("cannot write to stdout")?;
    out.flush().context("cannot write to stdout")
}

fn run(args: RunArgs) -> ExitCode {
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
    let mut handle = avigw_reconciler::run::start(settings, kube, avi).await?;
    tracing::info!(metrics = %handle.metrics_addr, "serving metrics");
    tokio::select! {
        _ = handle.wait() => anyhow::bail!("a reconciler task stopped"),
        _ = avigw_ops::shutdown_signal() => {}
    }
    tracing::info!("signalled; stopping");
    handle.shutdown_gracefully().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use avigw_shared::config::{env_name, flags_with_env};
    use clap::CommandFactory;

    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("avigw-reconciler").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    /// SPEC §7: env is `AVIGW_` + the flag in upper snake case; the Lease's namespace and
    /// identity come from the pod (downward API) instead.
    #[test]
    fn flags_are_well_formed_and_named_after_their_env() {
        Cli::command().debug_assert();
        let flags = flags_with_env(&Cli::command());
        for (_, long, env) in &flags {
            match long.as_str() {
                "lease-namespace" => assert_eq!(env, "POD_NAMESPACE"),
                "identity" => assert_eq!(env, "POD_NAME"),
                _ => assert_eq!(*env, env_name(long), "--{long}"),
            }
        }
        let has = |cmd: &str, long: &str| flags.iter().any(|f| f.0 == cmd && f.1 == long);
        for sub in ["run", "plan"] {
            for shared in [
                "config",
                "metrics-addr",
                "default-lb-controller",
                "default-domain",
            ] {
                assert!(has(sub, shared), "{sub} --{shared} missing: {flags:?}");
            }
        }
        assert!(has("avigw-reconciler", "log-json"), "{flags:?}");
    }

    #[test]
    fn run_and_plan_read_the_same_settings() {
        let shared = [
            "--config",
            "c.yaml",
            "--default-lb-controller=false",
            "--metrics-addr",
            ":9191",
        ];
        let run_args: Vec<&str> = ["run"].iter().chain(&shared).copied().collect();
        let plan_args: Vec<&str> = ["plan", "-f", "x.yaml"].iter().chain(&shared).copied().collect();
        let (Command::Run(run), Command::Plan(plan)) = (parse(&run_args).command, parse(&plan_args).command)
        else {
            unreachable!()
        };
        assert_eq!(run.settings, plan.settings);
        assert_eq!(run.config_file, plan.config_file);
        assert_eq!(run.settings.scope.default_lb_controller, Some(false));
        assert_eq!(run.settings.ops.metrics_addr.as_deref(), Some(":9191"));
    }

    #[test]
    fn log_json_goes_before_or_after_the_subcommand() {
        assert!(parse(&["--log-json", "run"]).log.log_json);
        assert!(parse(&["run", "--log-json"]).log.log_json);
        assert!(!parse(&["run", "--log-json=false"]).log.log_json);
    }
}
