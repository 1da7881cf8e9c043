//! Avi controller REST client.
//!
//! Speaks the protocol the recorded controllers do (see `shared/reference/avi-api`): `POST
//! /login` sets `csrftoken`, `sessionid` and `avi-sessionid`; every later call sends the
//! cookies, `X-CSRFToken`, `Referer`, `X-Avi-Version`, `X-Avi-Tenant` and `Content-Type:
//! application/json`. A 401/419 triggers one re-login; 429, 5xx, timeouts and connection
//! errors are retried with the crate's backoff ([`crate::retry::Backoff`]), `Retry-After`
//! honoured. The `shared::avi` object types have typed CRUD ([`AviType`]); a private key sent
//! to Avi never appears in an error message.

mod client;
mod config;
mod cookies;
mod crud;
mod error;
mod metrics;
mod redact;
mod retry;
mod secret;
mod tls;
mod typed;

pub use client::AviClient;
pub use config::{AviClientConfig, Credentials, RetryPolicy, TlsOptions};
pub use crud::{ListQuery, ObjectMeta, Page, PatchOp};
pub use error::{AviError, Result};
pub use metrics::{RequestObserver, RequestRecord};
pub use secret::Secret;
pub use typed::AviType;
