//! The one entry point to the admission rules: what is under review, what else the rules may
//! look up, and [`judge`], which the webhook, `plan` and the translation all call.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

use super::gateway::{ClassState, GatewayContext, validate_gateway};
use super::gateway_class::validate_gateway_class;
use super::infra::validate_infra_setting;
use super::ingress::validate_ingress;
use super::ingress_class::validate_ingress_class;
use super::ingress_parse::{ParsedIngress, ParsedIngressClass};
use super::kind::RuleKind;
use super::ownership::gateway_ref_of;
use super::service::{ServiceContext, validate_service};
use super::{Verdict, default_gateway};
use crate::api::{AviInfraSetting, Gateway, GatewayClass};
use crate::config::{LabelPair, Scope};

/// What the rules may know besides the object under review. Implemented by the webhook's
/// reflector stores, by the translation's snapshot and by the fixed sets of the offline tools;
/// lookups return `Arc`s because all of them keep their objects that way.
pub trait ClusterView {
    /// The GatewayClass of that name, if it exists.
    fn gateway_class(&self, name: &str) -> Option<Arc<GatewayClass>>;

    /// The Gateway `namespace/name`, if it exists.
    fn gateway(&self, namespace: &str, name: &str) -> Option<Arc<Gateway>>;

    /// The IngressClass of that name, whoever its controller is.
    fn ingress_class(&self, name: &str) -> Option<Arc<ParsedIngressClass>>;

    /// The IngressClasses annotated `ingressclass.kubernetes.io/is-default-class: "true"`
    /// (the rules keep those of ours).
    fn default_ingress_classes(&self) -> Vec<Arc<ParsedIngressClass>>;

    /// Whether the namespace exists and carries `label` (for `--namespace-selector`; whether a
    /// namespace is synced is [`Scope::namespace_sync`]'s decision).
    fn namespace_has_label(&self, namespace: &str, label: &LabelPair) -> bool;

    /// The Ingresses that name `host` in a rule or under `tls`, in any order, parsed with the
    /// scope's `--default-domain`. An implementation may leave out Ingresses that are not ours
    /// or are in namespaces not synced: the rules check both themselves.
    fn ingresses_naming_host(&self, host: &str) -> Vec<Arc<ParsedIngress>>;

    /// The AviInfraSetting of that name.
    fn infra_setting(&self, name: &str) -> Option<Arc<AviInfraSetting>>;
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
    Ingress(Change<'a, Ingress>),
    IngressClass(Change<'a, IngressClass>),
}

impl Review<'_> {
    pub fn kind(&self) -> RuleKind {
        match self {
            Review::GatewayClass(_) => RuleKind::GatewayClass,
            Review::Gateway(_) => RuleKind::Gateway,
            Review::Service(_) => RuleKind::Service,
            Review::AviInfraSetting(_) => RuleKind::AviInfraSetting,
            Review::Ingress(_) => RuleKind::Ingress,
            Review::IngressClass(_) => RuleKind::IngressClass,
        }
    }
}

/// Every SPEC §2 and SPEC-ingress §2 rule for the object under review, with what `view` knows
/// of the cluster and the `scope` settings that decide which objects are avigw's.
///
/// A Gateway is judged as the apiserver would store it: the admission defaults
/// ([`default_gateway`]) are applied first, as the mutating webhook runs before the validating
/// one (they are idempotent, so an already-defaulted Gateway is judged as it is). An Ingress is
/// read with the scope's `--default-domain` (host-less rules) and `--shard-vs-size`.
pub fn judge(review: &Review, view: &dyn ClusterView, scope: &Scope) -> Verdict {
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
                default_lb_controller: scope.default_lb_controller,
                gateway: gateway.as_deref(),
            };
            validate_service(c.old, c.new, &ctx)
        }
        Review::AviInfraSetting(c) => validate_infra_setting(c.new),
        Review::Ingress(c) => {
            let domain = scope.default_domain.as_deref();
            let old = c.old.map(|o| ParsedIngress::new(o, domain));
            validate_ingress(old.as_ref(), &ParsedIngress::new(c.new, domain), view, scope)
        }
        Review::IngressClass(c) => validate_ingress_class(
            c.old.map(ParsedIngressClass::new).as_ref(),
            &ParsedIngressClass::new(c.new),
        ),
    }
}
