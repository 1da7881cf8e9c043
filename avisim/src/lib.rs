//! avisim: an Avi-REST-compatible controller simulator.
//!
//! In-memory and stateful, strict where a real controller is strict (CSRF, API version, refs,
//! duplicate names, in-use deletes, VIP changes), and with fault knobs for the failure modes a
//! client has to survive. Start it in-process with [`spawn`] (tests bind `127.0.0.1:0`) or run
//! the `avisim` binary.

pub mod auth;
pub mod config;
pub mod defaults;
pub mod error;
pub mod faults;
pub mod keycert;
pub mod kinds;
pub mod objects;
pub mod query;
pub mod refs;
pub mod render;
pub mod seeds;
pub mod server;
pub mod session;
pub mod stats;
pub mod store;
pub mod testkit;
pub mod timefmt;
pub mod tls;
pub mod vip;

pub use config::{LicenseTier, NetworkSpec, SimConfig, TlsSource};
pub use faults::{FaultPatch, FaultSettings};
pub use server::{SimError, SimHandle, spawn};
