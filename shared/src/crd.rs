//! CRD manifests generated from the Rust types: the checked-in YAML under `manifests/crds/` must
//! equal [`all_crd_files`] (a test enforces it; `cargo run -p avigw-shared --bin crdgen` rewrites).

use kube::CustomResourceExt;

use crate::api::{AviInfraSetting, Gateway, GatewayClass};

/// Where the generated CRDs live, relative to the workspace root: the canonical copy and the
/// reconciler chart's `crds/`.
pub const CRD_DIRS: [&str; 2] = ["manifests/crds", "manifests/charts/avigw-reconciler/crds"];

/// Header written atop every generated file so nobody edits it by hand.
const HEADER: &str = "# Generated from the Rust types in shared/src/api by `cargo run -p avigw-shared --bin crdgen`.\n# Do not edit by hand.\n";

#[derive(Debug, thiserror::Error)]
#[error("serialising CRD {name}: {source}")]
pub struct CrdError {
    name: String,
    #[source]
    source: serde_yaml::Error,
}

/// (file name, YAML) for every CRD avigw installs, in a stable order.
pub fn all_crd_files() -> Result<Vec<(String, String)>, CrdError> {
    [GatewayClass::crd(), Gateway::crd(), AviInfraSetting::crd()]
        .into_iter()
        .map(|crd| {
            let name = crd.metadata.name.clone().unwrap_or_default();
            let yaml = serde_yaml::to_string(&crd).map_err(|source| CrdError {
                name: name.clone(),
                source,
            })?;
            Ok((format!("{name}.yaml"), format!("{HEADER}{yaml}")))
        })
        .collect()
}
