//! The result of translating one key.

use std::collections::BTreeMap;

use serde::Serialize;

use super::keys::{Key, ObjKey};
use super::status::{GatewayStatusPlan, ServiceIngressPlan};
use crate::avi::AviObjects;

/// Whose a key is, which decides what the reconciler may do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Ownership {
    /// avigw serves it: its Avi objects are `avi` (maybe none, e.g. when invalid), its status
    /// is written, it carries avigw's finalizer.
    Ours,
    /// A Gateway whose class does not exist: no Avi objects; its status is written (no other
    /// controller can claim a class-less Gateway).
    Unclaimed,
    /// Not avigw's (another controller's class or loadBalancerClass, namespace not synced,
    /// Gateway support off, being deleted, gone): no Avi objects; any it had are deleted.
    /// `gateway_status`, when set, is written only if the object still carries avigw's
    /// finalizer, i.e. it was ours until now.
    NotOurs,
}

/// A rule violation or an error that keeps (part of) a key off Avi.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The SPEC §2 rule code, when a rule is the cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub reason: String,
    pub message: String,
}

/// One key's translation: its desired Avi objects and the Kubernetes status that follows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyPlan {
    pub key: Key,
    pub ownership: Ownership,
    #[serde(skip_serializing_if = "AviObjects::is_empty")]
    pub avi: AviObjects,
    /// For Gateway keys; `None` leaves the status alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_status: Option<GatewayStatusPlan>,
    /// Services this key gives `status.loadBalancer.ingress` (backends with a pool, or the
    /// LoadBalancer Service itself). A Service the key set before and no longer lists is to be
    /// cleared.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub service_ingress: BTreeMap<ObjKey, ServiceIngressPlan>,
    /// For Ingress keys: every Ingress that names a host of the key, with the hosts it serves
    /// here and its findings (Ingress-wide ones and those of the key's hosts).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ingresses: BTreeMap<ObjKey, IngressOnKey>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    /// Human-readable remarks (ignored backends, a setting that does not apply, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// What an Ingress gets from one key: the hosts it serves there (its entries are on the key's
/// virtual services; `status.loadBalancer.ingress` lists each with the key's VIP) and its
/// findings, each a Warning event once per generation (SPEC-ingress §5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressOnKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Problem>,
}

impl KeyPlan {
    pub(crate) fn new(key: Key, ownership: Ownership) -> Self {
        KeyPlan {
            key,
            ownership,
            avi: AviObjects::default(),
            gateway_status: None,
            service_ingress: BTreeMap::new(),
            ingresses: BTreeMap::new(),
            problems: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub(crate) fn not_ours(key: Key, note: impl Into<String>) -> Self {
        let mut p = KeyPlan::new(key, Ownership::NotOurs);
        p.notes.push(note.into());
        p
    }

    /// The same plan with private keys replaced by `<redacted>`, for display.
    pub fn redacted(&self) -> KeyPlan {
        KeyPlan {
            avi: self.avi.redacted(),
            ..self.clone()
        }
    }
}
