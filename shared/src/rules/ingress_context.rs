//! What the Ingress rules need to know about the cluster besides the object judged. The
//! webhook implements it over its reflectors, the translation's `Snapshot` over its indexes, so
//! both judge with the same functions.

use std::sync::Arc;

use super::ingress_parse::{ParsedIngress, ParsedIngressClass};
use crate::api::{AviInfraSetting, ShardSize};

pub trait IngressClusterView {
    /// The IngressClass of that name, whoever its controller is.
    fn ingress_class(&self, name: &str) -> Option<Arc<ParsedIngressClass>>;

    /// The IngressClasses annotated `ingressclass.kubernetes.io/is-default-class: "true"`
    /// (the rules keep those of ours).
    fn default_ingress_classes(&self) -> Vec<Arc<ParsedIngressClass>>;

    /// Whether objects of the namespace are synced (`--namespace-selector`,
    /// `--blocked-namespace`).
    fn namespace_synced(&self, namespace: &str) -> bool;

    /// The Ingresses that name `host` in a rule or under `tls`, in any order. An implementation
    /// may leave out Ingresses that are not ours or are in namespaces not synced: the rules
    /// check both themselves.
    fn ingresses_naming_host(&self, host: &str) -> Vec<Arc<ParsedIngress>>;

    /// The AviInfraSetting of that name.
    fn infra_setting(&self, name: &str) -> Option<Arc<AviInfraSetting>>;
}

/// The settings the Ingress rules read: `--shard-vs-size` (ING-PATH-EXACT-HTTP does not apply
/// to DEDICATED hosts). `--default-domain` is read when parsing ([`ParsedIngress::new`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngressRuleSettings {
    pub shard_size: ShardSize,
}
