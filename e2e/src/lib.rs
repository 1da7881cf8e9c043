//! End-to-end helpers on top of `avigw-testenv`: the local stack (apiserver, avisim, webhook,
//! reconciler) shared by the demo and the end-to-end tests, and the Helm charts.

pub mod charts;
pub mod endpoints;
pub mod fleet;
pub mod ingress;
pub mod process;
pub mod proxy;
pub mod stack;
pub mod wait;
