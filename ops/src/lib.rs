//! Process plumbing shared by avigw's servers (the webhook, the reconciler, avisim): how they
//! log, when they stop, and the plain-HTTP port that serves `/metrics`, `/healthz` and
//! `/readyz` (SPEC §8). Kept out of `avigw-shared`, which does no I/O.

pub mod log;
pub mod server;
pub mod signal;

pub use log::{LogArgs, LogFormat, init_tracing, init_tracing_at};
pub use server::{METRICS_CONTENT_TYPE, OpsServer, Probes, serve};
pub use signal::shutdown_signal;
