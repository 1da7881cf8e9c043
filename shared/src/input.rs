//! The command-line tools' input reading (`-f` paths), compiled only with the `cli` feature:
//! the one place in this crate that touches the file system. `avigw-webhook check` and
//! `avigw-reconciler plan` read their manifests through it, then parse the text with
//! [`crate::translate::documents`] / [`crate::translate::parse_manifests`].

use std::io::Read;
use std::path::{Path, PathBuf};

/// A path that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {source}", path.display())]
pub struct InputError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// One text to parse, named by its path (or `<stdin>`).
#[derive(Debug)]
pub struct Input {
    pub name: String,
    pub text: String,
}

/// Every text the paths name, in order, and a note per directory that held no manifest.
#[derive(Debug, Default)]
pub struct Inputs {
    pub inputs: Vec<Input>,
    pub notes: Vec<String>,
}

/// Whether a file met inside a directory is read: `*.yaml`, `*.yml`, `*.json`. A file named
/// on the command line is read whatever its name.
fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Reads each path: `-` is stdin, a directory is read recursively (each level in name order),
/// anything else is a file.
pub fn read_inputs(paths: &[PathBuf]) -> Result<Inputs, InputError> {
    let mut out = Inputs::default();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|source| InputError {
                    path: path.clone(),
                    source,
                })?;
            out.inputs.push(Input {
                name: "<stdin>".to_owned(),
                text,
            });
            continue;
        }
        let err = |source| InputError {
            path: path.clone(),
            source,
        };
        if std::fs::metadata(path).map_err(err)?.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files)?;
            if files.is_empty() {
                out.notes
                    .push(format!("{}: no *.yaml, *.yml or *.json file", path.display()));
            }
            for f in files {
                out.inputs.push(read_file(&f)?);
            }
        } else {
            out.inputs.push(read_file(path)?);
        }
    }
    Ok(out)
}

fn read_file(path: &Path) -> Result<Input, InputError> {
    let text = std::fs::read_to_string(path).map_err(|source| InputError {
        path: path.to_owned(),
        source,
    })?;
    Ok(Input {
        name: path.display().to_string(),
        text,
    })
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let err = |source| InputError {
        path: dir.to_owned(),
        source,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(err)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, files)?;
        } else if is_manifest(&path) {
            files.push(path);
        }
    }
    Ok(())
}
