//! Where the installed binaries and the workspace's manifests are.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Locations of the installed binaries and the cache.
#[derive(Debug, Clone)]
pub struct Paths {
    /// `target/testenv` (or `$AVIGW_TESTENV_DIR`).
    pub root: PathBuf,
    pub apiserver: PathBuf,
    pub kubectl: PathBuf,
    pub helm: PathBuf,
}

impl Paths {
    /// Where install.sh puts things: `$AVIGW_TESTENV_DIR`, else `<workspace>/target/testenv`.
    pub fn discover() -> Self {
        let root = std::env::var_os("AVIGW_TESTENV_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join("target").join("testenv"));
        let bin = root.join("bin");
        Paths {
            apiserver: bin.join("avigw-testenv-apiserver"),
            kubectl: bin.join("kubectl"),
            helm: bin.join("helm"),
            root,
        }
    }

    /// Fails with the install hint when a binary is missing.
    pub fn check(&self) -> Result<()> {
        for p in [&self.apiserver, &self.kubectl, &self.helm] {
            if !p.is_file() {
                return Err(Error::NotInstalled { path: p.clone() });
            }
        }
        Ok(())
    }
}

/// The workspace root, found at compile time from this crate's location (e2e/testenv).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| manifest.to_path_buf())
}

/// `manifests/crds` of the workspace.
pub fn crd_dir() -> PathBuf {
    workspace_root().join("manifests").join("crds")
}
