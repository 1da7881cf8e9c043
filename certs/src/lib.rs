//! avigw-certs: the webhook's CA and serving certificate.
//!
//! - [`pki`]: pure certificate work — generate a CA and a serving cert, and decide whether an
//!   existing pair can be kept.
//! - [`cluster`]: the Kubernetes side — the Secret and the caBundle of the webhook
//!   configurations, both idempotent.

pub mod cluster;
pub mod pki;
