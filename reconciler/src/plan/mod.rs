//! `avigw-reconciler plan`: the translation, offline. Reads manifests (Gateways, Services,
//! Ingresses, IngressClasses, Secrets, ...), applies the admission defaults and rules as the
//! apiserver would with avigw's webhook installed, translates every key (L4 and L7), and
//! renders the Avi objects per key and the status each Kubernetes object would get. Private
//! keys from Secrets are redacted right after translation, so no output shows them.
//!
//! Exit codes: 0 done; 1 an input breaks an admission rule (the messages say which); 2 bad
//! flags or config, an unreadable file, or a document that is not a Kubernetes object.

mod admit;
mod ingress;
mod load;
mod report;
mod table;

use std::collections::BTreeMap;
use std::path::PathBuf;

use avigw_shared::config::{ConfigFileArgs, Purpose, RawConfig};
use avigw_shared::translate::{Context, ControllerFacts, Key, KeyPlan, translate_all};

pub use ingress::{HostPlan, IngressPlan};
pub use report::{Format, Report};

/// The cluster name `plan` uses when none is given by flag, env or config file.
pub const DEFAULT_PLAN_CLUSTER_NAME: &str = "plan";

#[derive(Debug, Clone, clap::Args)]
pub struct PlanArgs {
    /// Manifest file or directory (read recursively: *.yaml, *.yml, *.json); `-` for stdin.
    /// Repeatable. Multi-document YAML and List kinds are read.
    #[arg(short = 'f', long = "filename", required = true, value_name = "FILE|DIR")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub config_file: ConfigFileArgs,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "yaml")]
    pub output: Format,
    /// Translate inputs that break an admission rule anyway (as if they got in while the
    /// webhook was down) instead of refusing them.
    #[arg(long)]
    pub allow_invalid: bool,
    #[command(flatten)]
    pub settings: RawConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A setting, a file or a document that cannot be used (exit 2).
    #[error("{0}")]
    Input(String),
    /// Inputs the webhook would refuse (exit 1); one message per object.
    #[error("{} invalid object(s):\n{}", .0.len(), .0.join("\n"))]
    Invalid(Vec<String>),
}

impl PlanError {
    pub fn exit_code(&self) -> u8 {
        match self {
            PlanError::Input(_) => 2,
            PlanError::Invalid(_) => 1,
        }
    }
}

/// What `plan` prints: the rendered plan for stdout, remarks for stderr.
#[derive(Debug)]
pub struct PlanOutput {
    pub stdout: String,
    pub notes: Vec<String>,
}

pub fn execute(args: &PlanArgs) -> Result<PlanOutput, PlanError> {
    let mut notes = Vec::new();
    let mut raw = args
        .config_file
        .load(args.settings.clone(), |p| std::fs::read_to_string(p))
        .map_err(|e| PlanError::Input(e.to_string()))?;
    if raw.cluster_name.as_deref().is_none_or(str::is_empty) {
        notes.push(format!(
            "note: no --cluster-name (or AVIGW_CLUSTER_NAME / clusterName in --config); names use {DEFAULT_PLAN_CLUSTER_NAME:?}"
        ));
        raw.cluster_name = Some(DEFAULT_PLAN_CLUSTER_NAME.to_owned());
    }
    let config = raw
        .validate(Purpose::Plan)
        .map_err(|e| PlanError::Input(e.to_string()))?;

    let loaded = load::load_all(&args.files)?;
    notes.extend(loaded.ignored.iter().map(|i| format!("note: {i}")));
    let admitted = admit::admit(&config, loaded.objects);
    notes.extend(admitted.warnings.iter().map(|w| format!("Warning: {w}")));
    if !admitted.denials.is_empty() {
        if !args.allow_invalid {
            return Err(PlanError::Invalid(admitted.denials));
        }
        notes.extend(
            admitted
                .denials
                .iter()
                .map(|d| format!("Warning: translated anyway (--allow-invalid): {d}")),
        );
    }

    let snapshot = admitted.snapshot;
    let ctx = Context::new(&config, &ControllerFacts::default());
    let plans: BTreeMap<Key, KeyPlan> = translate_all(&ctx, &snapshot)
        .into_iter()
        .map(|(k, p)| (k, p.redacted()))
        .collect();
    let ingresses = ingress::ingress_plans(
        &ctx,
        &snapshot,
        &plans,
        &admitted.ingresses,
        config.scope.default_domain.as_deref(),
    );
    for (id, ing) in &ingresses {
        for f in &ing.findings {
            let line = format!("Ingress {id}: {}", f.message);
            // The admission rules may have said it already (as a warning or a denial).
            let said =
                admitted.warnings.contains(&line) || admitted.denials.iter().any(|d| d.contains(&f.message));
            if !said {
                notes.push(format!("Warning: {line}"));
            }
        }
    }
    let report = Report::new(&ctx, &snapshot, &plans, ingresses);
    let stdout = report
        .render(args.output)
        .map_err(|e| PlanError::Input(format!("cannot render the plan: {e}")))?;
    Ok(PlanOutput { stdout, notes })
}
