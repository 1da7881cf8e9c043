//! The one entry point to the admission rules: what is under review, what else the rules may
//! look up, and [`judge`], which the webhook, `plan` and the translation all call.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Service;

use super::gateway::{ClassState, GatewayContext, validate_gateway};
use super::gateway_class::validate_gateway_class;
use super::infra::validate_infra_setting;
use super::kind::RuleKind;
use super::ownership::gateway_ref_of;
use super::service::{ServiceContext, validate_service};
use super::{Verdict, default_gateway};
use crate::api::{AviInfraSetting, Gateway, GatewayClass};

/// What the rules may know besides the object under review. Implemented by the webhook's
/// reflector stores, by the translation's snapshot and by the fixed sets of the offline tools;
/// lookups return `Arc`s because all of them keep their objects that way.
pub trait ClusterView {
    /// The GatewayClass of that name, if it exists.
    fn gateway_class(&self, name: &str) -> Option<Arc<GatewayClass>>;
    /// The Gateway `namespace/name`, if it exists.
    fn gateway(&self, namespace: &str, name: &str) -> Option<Arc<Gateway>>;
}

/// The settings that decide which objects are avigw's and so judged at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnershipSettings {
    /// `--default-lb-controller`: LoadBalancer Services without a loadBalancerClass are ours.
    pub default_lb_controller: bool,
}

impl Default for OwnershipSettings {
    fn default() -> Self {
        OwnershipSettings {
            default_lb_controller: true,
        }
    }
}

/// One object under review: the stored object on update (`old`), and the new one.
#[derive(Debug)]
pub struct Change<'a, T> {
    pub old: Option<&'a T>,
    pub new: &'a T,
}

impl<T> Clone for Change<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Change<'_, T> {}

impl<'a, T> Change<'a, T> {
    /// A create (or an object judged on its own, as the translation does).
    pub fn create(new: &'a T) -> Self {
        Change { old: None, new }
    }

    pub fn update(old: &'a T, new: &'a T) -> Self {
        Change { old: Some(old), new }
    }
}

/// What is under review, by kind.
#[derive(Debug, Clone, Copy)]
pub enum Review<'a> {
    GatewayClass(Change<'a, GatewayClass>),
    Gateway(Change<'a, Gateway>),
    Service(Change<'a, Service>),
    AviInfraSetting(Change<'a, AviInfraSetting>),
}

impl Review<'_> {
    pub fn kind(&self) -> RuleKind {
        match self {
            Review::GatewayClass(_) => RuleKind::GatewayClass,
            Review::Gateway(_) => RuleKind::Gateway,
            Review::Service(_) => RuleKind::Service,
            Review::AviInfraSetting(_) => RuleKind::AviInfraSetting,
        }
    }
}

/// Every SPEC §2 rule for the object under review, with what `view` knows of the cluster.
///
/// A Gateway is judged as the apiserver would store it: the admission defaults
/// ([`default_gateway`]) are applied first, as the mutating webhook runs before the validating
/// one (they are idempotent, so an already-defaulted Gateway is judged as it is).
pub fn judge(review: &Review, view: &dyn ClusterView, ownership: OwnershipSettings) -> Verdict {
    match *review {
        Review::GatewayClass(c) => validate_gateway_class(c.old, c.new),
        Review::Gateway(c) => {
            let class = ClassState::of(view.gateway_class(&c.new.spec.gateway_class_name).as_deref());
            let defaulted = default_gateway(c.new);
            validate_gateway(c.old, &defaulted, &GatewayContext { class })
        }
        Review::Service(c) => {
            let gateway = gateway_ref_of(c.new).and_then(|(ns, name)| view.gateway(ns, name));
            let ctx = ServiceContext {
                default_lb_controller: ownership.default_lb_controller,
                gateway: gateway.as_deref(),
            };
            validate_service(c.old, c.new, &ctx)
        }
        Review::AviInfraSetting(c) => validate_infra_setting(c.new),
    }
}
