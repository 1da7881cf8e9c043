//! Writes the CRD YAML generated from the types into `manifests/crds` and into the reconciler
//! chart's `crds/` (Helm installs CRDs only from inside the chart), or into the directories given.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let mut dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        dirs = avigw_shared::crd::CRD_DIRS.iter().map(|d| root.join(d)).collect();
    }
    let files = match avigw_shared::crd::all_crd_files() {
        Ok(files) => files,
        Err(e) => {
            eprintln!("crdgen: {e}");
            return ExitCode::FAILURE;
        }
    };
    for dir in &dirs {
        for (name, yaml) in &files {
            let path = dir.join(name);
            if let Err(e) = std::fs::write(&path, yaml) {
                eprintln!("crdgen: writing {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
            println!("wrote {}", path.display());
        }
    }
    ExitCode::SUCCESS
}
