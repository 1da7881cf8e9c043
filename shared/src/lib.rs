//! avigw-shared: the pure core both avigw processes use. No I/O lives here, except
//! [`input`], the command-line tools' reading of `-f` paths, built only with the `cli` feature.
//!
//! - [`api`]: the Kubernetes types avigw serves (GatewayClass, Gateway, AviInfraSetting); Ingress
//!   and IngressClass are k8s-openapi's.
//! - [`crd`]: CRD manifests generated from those types.
//! - [`rules`]: the admission rules (SPEC §2, SPEC-ingress §2) and admission defaults.
//! - [`naming`]: Avi object names, `created_by`, markers and FQDNs (SPEC §3, SPEC-ingress §3).
//! - [`config`]: the configuration type and its validation (SPEC §7).
//! - [`avi`]: typed Avi objects as sent to and read from the controller (SPEC §3, §6).
//! - [`translate`]: the pure Kubernetes → Avi translation, incremental by key (SPEC §3, §4;
//!   SPEC-ingress §4, §5).

pub mod api;
pub mod avi;
pub mod config;
pub mod crd;
#[cfg(feature = "cli")]
pub mod input;
pub mod naming;
pub mod rules;
pub mod tight_set;
pub mod translate;
