//! avigw-shared: the pure core both avigw processes use. No I/O lives here.
//!
//! - [`api`]: the Kubernetes types avigw serves (GatewayClass, Gateway, AviInfraSetting).
//! - [`crd`]: CRD manifests generated from those types.
//! - [`rules`]: the admission rules (SPEC §2) and admission defaults.
//! - [`naming`]: Avi object names, `created_by`, markers and FQDNs (SPEC §3).
//! - [`config`]: the configuration type and its validation (SPEC §7).

pub mod api;
pub mod config;
pub mod crd;
pub mod naming;
pub mod rules;
