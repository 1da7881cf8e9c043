//! A seeded store and write context for the unit tests of the write path.

use serde_json::{Value, json};

use super::{WriteCtx, create};
use crate::config::{LicenseTier, SimConfig};
use crate::defaults::SystemRefs;
use crate::error::ApiError;
use crate::kinds;
use crate::seeds;
use crate::store::{ADMIN_TENANT, Store, TenantScope};

pub struct Env {
    pub store: Store,
    pub sys: SystemRefs,
    pub scope: TenantScope,
}

pub fn env_with(cidr: &str) -> Env {
    let mut store = Store::default();
    let mut cfg = SimConfig::for_tests("pw");
    cfg.networks = vec![format!("vip-net={cidr}").parse().unwrap()];
    let sys = seeds::seed_all(&mut store, &cfg).unwrap();
    Env {
        store,
        sys,
        scope: TenantScope::One(ADMIN_TENANT.into()),
    }
}

impl Env {
    pub fn ctx(&self) -> WriteCtx<'_> {
        WriteCtx {
            scope: &self.scope,
            sys: &self.sys,
            license_tier: LicenseTier::Enterprise,
        }
    }
    pub fn create(&mut self, kind: &str, body: Value) -> Result<String, ApiError> {
        let (scope, sys) = (self.scope.clone(), self.sys.clone());
        let ctx = WriteCtx {
            scope: &scope,
            sys: &sys,
            license_tier: LicenseTier::Enterprise,
        };
        create(&mut self.store, &ctx, kinds::kind(kind).unwrap(), body, None)
    }
}

pub fn auto_vip(name: &str) -> Value {
    json!({"name": name, "vip": [{"vip_id": "0", "auto_allocate_ip": true,
        "ipam_network_subnet": {"network_ref": "/api/network?name=vip-net"}}]})
}
