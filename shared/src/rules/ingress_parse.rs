//! The parts of an Ingress and an IngressClass (networking.k8s.io/v1) that the rules and the
//! translation read, parsed once (SPEC-ingress §1): rule hosts resolved (a host-less rule gets
//! `<ingress>.<namespace>.<--default-domain>`), unset `pathType` read as
//! `ImplementationSpecific`, backends and TLS entries flattened.

use std::fmt;
use std::sync::Arc;

use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::jiff::Timestamp;

use crate::api::CONTROLLER_NAME;

/// Annotation that marks an IngressClass as the cluster's default.
pub const ANNOTATION_DEFAULT_INGRESS_CLASS: &str = "ingressclass.kubernetes.io/is-default-class";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathType {
    Exact,
    Prefix,
    ImplementationSpecific,
}

impl PathType {
    fn parse(s: Option<&str>) -> Self {
        match s {
            Some("Exact") => PathType::Exact,
            Some("Prefix") => PathType::Prefix,
            _ => PathType::ImplementationSpecific,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PathType::Exact => "Exact",
            PathType::Prefix => "Prefix",
            PathType::ImplementationSpecific => "ImplementationSpecific",
        }
    }
}

impl fmt::Display for PathType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `backend.service.port`: by number (the Service port's `port`) or by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PortRef {
    Number(i32),
    Name(String),
    Missing,
}

impl fmt::Display for PortRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortRef::Number(n) => write!(f, "{n}"),
            PortRef::Name(n) => write!(f, "{n:?}"),
            PortRef::Missing => f.write_str("(none)"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Service {
        name: String,
        port: PortRef,
    },
    /// `backend.resource` (`<apiGroup>/<kind> <name>`): never served (ING-BACKEND-RESOURCE).
    Resource(String),
    Missing,
}

/// One `rules[].http.paths[]` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedPath {
    /// Its index in the rule's `http.paths`.
    pub index: usize,
    /// As written; empty when unset.
    pub path: String,
    pub path_type: PathType,
    pub backend: Backend,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleHost {
    /// `host` as written.
    Given(String),
    /// No `host`: `<ingress>.<namespace>.<--default-domain>`.
    Generated(String),
    /// No `host` and no `--default-domain`: the rule is skipped (ING-HOST-EMPTY).
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRule {
    pub index: usize,
    pub host: RuleHost,
    /// `None` when the rule has no `http` (ING-RULE-NO-HTTP).
    pub paths: Option<Vec<ParsedPath>>,
}

impl ParsedRule {
    /// The host this rule serves: resolved, and not a wildcard.
    pub fn served_host(&self) -> Option<&str> {
        match &self.host {
            RuleHost::Given(h) if !is_wildcard(h) => Some(h),
            RuleHost::Generated(h) => Some(h),
            _ => None,
        }
    }

    /// The host as the rule names it (wildcards included), for messages and rule checks.
    pub fn named_host(&self) -> Option<&str> {
        match &self.host {
            RuleHost::Given(h) | RuleHost::Generated(h) => Some(h),
            RuleHost::Missing => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedTls {
    pub index: usize,
    pub hosts: Vec<String>,
    /// Empty when unset.
    pub secret_name: String,
}

/// Orders Ingresses for every "oldest wins" decision: `creationTimestamp`, then
/// namespace/name. Without a timestamp (a manifest given to `plan`) an Ingress counts as oldest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IngressAge {
    pub created: Option<Timestamp>,
    pub namespace: String,
    pub name: String,
}

/// An Ingress as the rules and the translation read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedIngress {
    pub namespace: String,
    pub name: String,
    pub created: Option<Timestamp>,
    pub generation: Option<i64>,
    /// `deletionTimestamp` is set.
    pub deleting: bool,
    /// `spec.ingressClassName`, unset when empty.
    pub class_name: Option<String>,
    pub default_backend: bool,
    pub rules: Vec<ParsedRule>,
    pub tls: Vec<ParsedTls>,
}

pub fn is_wildcard(host: &str) -> bool {
    host.starts_with("*.")
}

impl ParsedIngress {
    /// Parses an Ingress; `default_domain` (`--default-domain`) names host-less rules.
    pub fn new(ing: &Ingress, default_domain: Option<&str>) -> Self {
        let meta = &ing.metadata;
        let namespace = meta.namespace.clone().unwrap_or_else(|| "default".to_owned());
        let name = meta.name.clone().unwrap_or_default();
        let spec = ing.spec.as_ref();
        let generated = default_domain
            .map(|d| d.trim_matches('.'))
            .filter(|d| !d.is_empty())
            .map(|d| format!("{name}.{namespace}.{d}"));
        let rules = spec
            .and_then(|s| s.rules.as_ref())
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(index, r)| ParsedRule {
                index,
                host: match r.host.as_deref().filter(|h| !h.is_empty()) {
                    Some(h) => RuleHost::Given(h.to_owned()),
                    None => generated.clone().map_or(RuleHost::Missing, RuleHost::Generated),
                },
                paths: r.http.as_ref().map(|http| {
                    http.paths
                        .iter()
                        .enumerate()
                        .map(|(index, p)| ParsedPath {
                            index,
                            path: p.path.clone().unwrap_or_default(),
                            path_type: PathType::parse(Some(p.path_type.as_str()).filter(|t| !t.is_empty())),
                            backend: match (&p.backend.service, &p.backend.resource) {
                                (_, Some(r)) => Backend::Resource(format!(
                                    "{}/{} {:?}",
                                    r.api_group.as_deref().unwrap_or(""),
                                    r.kind,
                                    r.name
                                )),
                                (Some(s), None) => Backend::Service {
                                    name: s.name.clone(),
                                    port: match &s.port {
                                        Some(p) => {
                                            match (p.number, p.name.as_deref().filter(|n| !n.is_empty())) {
                                                (Some(n), _) => PortRef::Number(n),
                                                (None, Some(n)) => PortRef::Name(n.to_owned()),
                                                (None, None) => PortRef::Missing,
                                            }
                                        }
                                        None => PortRef::Missing,
                                    },
                                },
                                (None, None) => Backend::Missing,
                            },
                        })
                        .collect()
                }),
            })
            .collect();
        let tls = spec
            .and_then(|s| s.tls.as_ref())
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(index, t)| ParsedTls {
                index,
                hosts: t.hosts.clone().unwrap_or_default(),
                secret_name: t.secret_name.clone().unwrap_or_default(),
            })
            .collect();
        ParsedIngress {
            namespace,
            name,
            created: meta.creation_timestamp.as_ref().map(|t| t.0),
            generation: meta.generation,
            deleting: meta.deletion_timestamp.is_some(),
            class_name: spec
                .and_then(|s| s.ingress_class_name.clone())
                .filter(|c| !c.is_empty()),
            default_backend: spec.is_some_and(|s| s.default_backend.is_some()),
            rules,
            tls,
        }
    }

    pub fn age(&self) -> IngressAge {
        IngressAge {
            created: self.created,
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }

    /// Whether `self` is older than `other` (the "oldest wins" order of [`IngressAge`]).
    pub fn older_than(&self, other: &ParsedIngress) -> bool {
        (self.created, &self.namespace, &self.name) < (other.created, &other.namespace, &other.name)
    }

    /// `namespace/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Every host a rule serves (resolved, no wildcards), once each, in rule order.
    pub fn rule_hosts(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for h in self.rules.iter().filter_map(ParsedRule::served_host) {
            if !out.contains(&h) {
                out.push(h);
            }
        }
        out
    }

    /// Every `tls[].hosts` entry (no wildcards), once each.
    pub fn tls_hosts(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for h in self.tls.iter().flat_map(|t| t.hosts.iter()) {
            if !is_wildcard(h) && !out.contains(&h.as_str()) {
                out.push(h);
            }
        }
        out
    }

    /// Whether a rule serves `host`.
    pub fn names_in_rule(&self, host: &str) -> bool {
        self.rules.iter().any(|r| r.served_host() == Some(host))
    }

    /// The first rule that serves `host`.
    pub fn first_rule_for(&self, host: &str) -> Option<&ParsedRule> {
        self.rules.iter().find(|r| r.served_host() == Some(host))
    }

    /// The first `tls` entry that lists `host`.
    pub fn tls_for(&self, host: &str) -> Option<&ParsedTls> {
        self.tls.iter().find(|t| t.hosts.iter().any(|h| h == host))
    }

    /// The entries of `host`: paths of rules serving it, in spec order, with their rule.
    /// Rules without `http` contribute nothing; backends are not filtered here.
    pub fn paths_of<'a, 'h>(
        &'a self,
        host: &'h str,
    ) -> impl Iterator<Item = (&'a ParsedRule, &'a ParsedPath)> + use<'a, 'h> {
        self.rules
            .iter()
            .filter(move |r| r.served_host() == Some(host))
            .flat_map(|r| r.paths.iter().flatten().map(move |p| (r, p)))
    }

    /// Names of the Services the paths route to.
    pub fn backend_services(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .rules
            .iter()
            .flat_map(|r| r.paths.iter().flatten())
            .filter_map(|p| match &p.backend {
                Backend::Service { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// `spec.parameters` of an IngressClass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassParameters {
    pub api_group: Option<String>,
    pub kind: String,
    pub name: String,
    pub scope: Option<String>,
}

/// An IngressClass as the rules and the translation read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedIngressClass {
    pub name: String,
    pub controller: String,
    /// Annotation `ingressclass.kubernetes.io/is-default-class: "true"`.
    pub is_default: bool,
    pub parameters: Option<ClassParameters>,
}

impl ParsedIngressClass {
    pub fn new(class: &IngressClass) -> Self {
        let spec = class.spec.as_ref();
        ParsedIngressClass {
            name: class.metadata.name.clone().unwrap_or_default(),
            controller: spec.and_then(|s| s.controller.clone()).unwrap_or_default(),
            is_default: class
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(ANNOTATION_DEFAULT_INGRESS_CLASS))
                .is_some_and(|v| v == "true"),
            parameters: spec.and_then(|s| s.parameters.as_ref()).map(|p| ClassParameters {
                api_group: p.api_group.clone(),
                kind: p.kind.clone(),
                name: p.name.clone(),
                scope: p.scope.clone(),
            }),
        }
    }

    /// `spec.controller` is avigw's.
    pub fn is_ours(&self) -> bool {
        self.controller == CONTROLLER_NAME
    }

    /// The classes among `classes` annotated as the cluster's default, for a
    /// [`ClusterView`](super::ClusterView) that holds its classes parsed.
    pub fn defaults<'a>(
        classes: impl IntoIterator<Item = &'a Arc<ParsedIngressClass>>,
    ) -> Vec<Arc<ParsedIngressClass>> {
        classes.into_iter().filter(|c| c.is_default).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ingress(yaml: &str) -> Ingress {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn parses_what_translation_reads() {
        let ing = ingress(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop, creationTimestamp: '2024-01-02T03:04:05Z', generation: 3}\nspec:\n  ingressClassName: avi\n  defaultBackend: {service: {name: x, port: {number: 80}}}\n  tls: [{hosts: [a.com, '*.b.com']}, {hosts: [c.com], secretName: s}]\n  rules:\n  - host: a.com\n    http:\n      paths:\n      - {path: /x, pathType: Prefix, backend: {service: {name: svc, port: {name: http}}}}\n      - {pathType: ImplementationSpecific, backend: {resource: {apiGroup: k8s.example.com, kind: Bucket, name: b}}}\n  - {}\n  - host: '*.w.com'\n",
        );
        let p = ParsedIngress::new(&ing, Some("avi.internal."));
        assert_eq!(p.id(), "shop/web");
        assert_eq!(p.generation, Some(3));
        assert_eq!(p.class_name.as_deref(), Some("avi"));
        assert!(p.default_backend && p.created.is_some() && !p.deleting);
        assert_eq!(p.rules[0].host, RuleHost::Given("a.com".into()));
        assert_eq!(
            p.rules[1].host,
            RuleHost::Generated("web.shop.avi.internal".into())
        );
        assert_eq!(p.rules[1].paths, None);
        assert_eq!(p.rules[2].served_host(), None);
        assert_eq!(p.rules[2].named_host(), Some("*.w.com"));
        let paths = p.rules[0].paths.as_ref().unwrap();
        assert_eq!(paths[0].path_type, PathType::Prefix);
        assert_eq!(
            paths[0].backend,
            Backend::Service {
                name: "svc".into(),
                port: PortRef::Name("http".into())
            }
        );
        assert_eq!(paths[1].path, "");
        assert_eq!(
            paths[1].backend,
            Backend::Resource("k8s.example.com/Bucket \"b\"".into())
        );
        assert_eq!(p.rule_hosts(), ["a.com", "web.shop.avi.internal"]);
        assert_eq!(p.tls_hosts(), ["a.com", "c.com"]);
        assert_eq!(p.tls[0].secret_name, "");
        assert_eq!(p.tls_for("c.com").map(|t| t.index), Some(1));
        assert_eq!(p.backend_services(), ["svc"]);
        assert_eq!(p.paths_of("a.com").count(), 2);
        // Without --default-domain a host-less rule has no host.
        assert_eq!(ParsedIngress::new(&ing, None).rules[1].host, RuleHost::Missing);
    }

    #[test]
    fn age_orders_by_time_then_name() {
        let at = |t: &str, ns: &str, n: &str| {
            ParsedIngress::new(
                &ingress(&format!(
                    "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {n}, namespace: {ns}, creationTimestamp: '{t}'}}\n"
                )),
                None,
            )
        };
        let old = at("2024-01-01T00:00:00Z", "z", "z");
        let young = at("2024-01-02T00:00:00Z", "a", "a");
        assert!(old.older_than(&young) && !young.older_than(&old));
        let twin = at("2024-01-01T00:00:00Z", "z", "a");
        assert!(twin.older_than(&old));
        assert!(old.age() < young.age());
    }

    #[test]
    fn classes() {
        let c: IngressClass = serde_yaml::from_str(
            "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: avi, annotations: {ingressclass.kubernetes.io/is-default-class: 'true'}}\nspec: {controller: ako.vmware.com/avi-lb, parameters: {apiGroup: ako.vmware.com, kind: AviInfraSetting, name: is1}}\n",
        )
        .unwrap();
        let p = ParsedIngressClass::new(&c);
        assert!(p.is_ours() && p.is_default);
        assert_eq!(p.parameters.unwrap().name, "is1");
    }
}
