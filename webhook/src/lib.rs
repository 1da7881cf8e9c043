//! avigw admission webhook: runs the rules of `avigw_shared::rules` at admit time.
//!
//! - [`policy`]: judge one object (validate or mutate) against a [`view::ClusterView`]; shared
//!   by the HTTPS server and the offline `check` command.
//! - [`review`]: AdmissionReview decoding and encoding around [`policy`].
//! - [`view`]: what the webhook knows of the cluster (reflectors in production, files offline);
//!   [`host_index`]: host → Ingresses, beside the Ingress reflector store.
//! - [`tls`]: the serving certificate, hot-reloaded from files.
//! - [`serve`]: the whole process as one call; [`metrics`], [`server`], [`check`].

pub mod check;
mod defaults;
pub mod host_index;
pub mod installed;
pub mod metrics;
pub mod policy;
pub mod registration;
pub mod review;
pub mod serve;
pub mod server;
pub mod tls;
pub mod view;
