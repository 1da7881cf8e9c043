//! `avigw-reconciler plan`: the translation, offline. Reads manifests (Gateways, Services,
//! Ingresses, IngressClasses, Secrets, ...), applies the admission defaults and rules as the
//! apiserver would with avigw's webhook installed, translates every key (L4 and L7), and
//! renders the Avi objects per key and the status each Kubernetes object would get. Private
//! keys from Secrets are redacted right after translation, so no output shows them.
//!
//! Exit codes: 0 done; 1 an input breaks an admission rule (the messages say which); 2 bad
//! flags or config, an unreadable file, or a document that is not a Kubernetes object.
//!
//! `--diff` also reads the live controller (`live.rs`, reads only) and prints what a sync
//! would do (`diff.rs`). Its exit codes are those of `terraform plan -detailed-exitcode`:
//! 0 nothing would change, 2 something would, 1 any error (bad flags or input included), so
//! that 2 never means an error there.

mod admit;
pub mod diff;
mod ingress;
mod live;
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
    #[arg(
        short = 'f',
        long = "filename",
        required_unless_present = "from_cluster",
        conflicts_with = "from_cluster",
        value_name = "FILE|DIR"
    )]
    pub files: Vec<PathBuf>,
    /// Compare with the live Avi controller (the connection settings `run` reads) and print
    /// what a sync would do per object; reads only. Exit 0: nothing would change; 2: something
    /// would; 1: error.
    #[arg(long)]
    pub diff: bool,
    /// With --diff: read the objects the reconciler watches from the kubeconfig's cluster
    /// instead of -f.
    #[arg(long, requires = "diff")]
    pub from_cluster: bool,
    #[command(flatten)]
    pub config_file: ConfigFileArgs,
    /// Output format (default: yaml; with --diff: table).
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<Format>,
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
    /// `--diff` could not read the controller or the cluster.
    #[error("{0}")]
    Read(String),
}

/// `--diff`: nothing would change.
pub const DIFF_CLEAN: u8 = 0;
/// `--diff`: any error.
pub const DIFF_ERROR: u8 = 1;
/// `--diff`: something would change.
pub const DIFF_PENDING: u8 = 2;

impl PlanError {
    pub fn exit_code(&self, diff: bool) -> u8 {
        match self {
            _ if diff => DIFF_ERROR,
            PlanError::Input(_) | PlanError::Read(_) => 2,
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

/// The validated settings `plan` runs with, and its notes so far.
fn settings(args: &PlanArgs) -> Result<(avigw_shared::config::Config, Vec<String>), PlanError> {
    let mut notes = Vec::new();
    let mut raw = args
        .config_file
        .load(args.settings.clone(), |p| std::fs::read_to_string(p))
        .map_err(|e| PlanError::Input(e.to_string()))?;
    if !args.diff && raw.cluster_name.as_deref().is_none_or(str::is_empty) {
        notes.push(format!(
            "note: no --cluster-name (or AVIGW_CLUSTER_NAME / clusterName in --config); names use {DEFAULT_PLAN_CLUSTER_NAME:?}"
        ));
        raw.cluster_name = Some(DEFAULT_PLAN_CLUSTER_NAME.to_owned());
    }
    // Against a live controller the connection settings are those `run` needs.
    let purpose = if args.diff { Purpose::Run } else { Purpose::Plan };
    let config = raw
        .validate(purpose)
        .map_err(|e| PlanError::Input(e.to_string()))?;
    Ok((config, notes))
}

pub fn execute(args: &PlanArgs) -> Result<PlanOutput, PlanError> {
    let (config, mut notes) = settings(args)?;
    let admitted = admitted(args, &config, &mut notes)?;
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
        .render(args.output.unwrap_or(Format::Yaml))
        .map_err(|e| PlanError::Input(format!("cannot render the plan: {e}")))?;
    Ok(PlanOutput { stdout, notes })
}

/// The `-f` manifests as the apiserver would hold them with the webhook installed; its
/// warnings (and, with --allow-invalid, its denials) go to `notes`.
fn admitted(
    args: &PlanArgs,
    config: &avigw_shared::config::Config,
    notes: &mut Vec<String>,
) -> Result<admit::Admitted, PlanError> {
    let loaded = load::load_all(&args.files)?;
    notes.extend(loaded.ignored.iter().map(|i| format!("note: {i}")));
    let admitted = admit::admit(config, loaded.objects);
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
    Ok(admitted)
}

/// What `plan --diff` found: the rendered diff and whether something would change.
#[derive(Debug)]
pub struct DiffOutput {
    pub stdout: String,
    pub notes: Vec<String>,
    pub pending: bool,
}

impl DiffOutput {
    pub fn exit_code(&self) -> u8 {
        if self.pending { DIFF_PENDING } else { DIFF_CLEAN }
    }
}

/// `plan --diff`: the desired objects (from `-f` or the cluster) against the controller's.
pub async fn execute_diff(args: &PlanArgs) -> Result<DiffOutput, PlanError> {
    let (config, mut notes) = settings(args)?;
    let avi_config = crate::run::cli::avi_config(&config).map_err(|e| PlanError::Input(e.to_string()))?;
    let avi = crate::avi::AviClient::new(avi_config).map_err(|e| PlanError::Input(e.to_string()))?;
    let snapshot = if args.from_cluster {
        let client = kube::Client::try_default().await.map_err(|e| {
            PlanError::Read(format!(
                "cannot build a Kubernetes client from the kubeconfig: {e}"
            ))
        })?;
        let objects = live::read_cluster(&client, &config)
            .await
            .map_err(|e| PlanError::Read(format!("cannot read the cluster: {e}")))?;
        avigw_shared::translate::Snapshot::from_config_objects(&config, objects)
    } else {
        admitted(args, &config, &mut notes)?.snapshot
    };
    let facts = match (config.license_tier, avi.license_tier().await) {
        (Some(_), _) => ControllerFacts::default(),
        (None, Ok(t)) => ControllerFacts {
            license_tier: t.as_deref().and_then(avigw_shared::config::LicenseTier::parse),
            dns_domain: None,
        },
        (None, Err(e)) => return Err(PlanError::Read(format!("cannot read the controller: {e}"))),
    };
    let ctx = Context::new(&config, &facts);
    let plans = translate_all(&ctx, &snapshot);
    let live = live::read_avi(&avi, &config)
        .await
        .map_err(|e| PlanError::Read(format!("cannot read the controller: {e}")))?;
    let desired = plans.iter().map(|(k, p)| (k.to_string(), &p.avi));
    let d = diff::compare(desired, &live, &config.cluster_name, &config.adopt_from);
    let stdout = match args.output {
        Some(Format::Json) => serde_json::to_string_pretty(&d)
            .map(|s| s + "\n")
            .map_err(|e| PlanError::Input(format!("cannot render the diff: {e}")))?,
        Some(Format::Yaml) => {
            serde_yaml::to_string(&d).map_err(|e| PlanError::Input(format!("cannot render the diff: {e}")))?
        }
        Some(Format::Table) | None => d.table(),
    };
    Ok(DiffOutput {
        stdout,
        notes,
        pending: d.pending(),
    })
}
