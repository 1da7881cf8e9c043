//! avigw-reconciler: puts Kubernetes L4 traffic (Gateways, LoadBalancer Services) on an Avi
//! controller. Subcommands: `plan` (offline translation of manifests).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use avigw_reconciler::plan::{PlanArgs, execute};
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
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
