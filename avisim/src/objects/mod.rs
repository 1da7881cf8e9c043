//! Write semantics: create (POST), replace (PUT), patch (PATCH add/replace/delete) and delete,
//! with reference resolution, server defaults, per-type validation, duplicate and in-use checks
//! and VIP allocation.

mod crud;
mod patch;
mod prepare;
mod resolve;
mod sslcert;
#[cfg(test)]
mod test_env;
mod validate;
mod vip_assign;

use crate::config::LicenseTier;
use crate::defaults::SystemRefs;
use crate::error::ApiError;
use crate::store::TenantScope;

pub use crud::{create, delete, update};
pub use patch::patch;

pub struct WriteCtx<'a> {
    pub scope: &'a TenantScope,
    pub sys: &'a SystemRefs,
    pub license_tier: LicenseTier,
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request(msg)
}
