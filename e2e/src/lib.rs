//! End-to-end helpers: render the Helm charts and split manifests, on top of `avigw-testenv`.

pub mod charts;
