//! Ingress rules (ING-*, SPEC-ingress §2): [`validate_ingress`] for the webhook, and the pieces
//! the translation applies to Ingresses that got in while the webhook was down (built without
//! the offending host, rule or path).

use std::sync::Arc;

use super::format::{fit, q};
use super::ingress_class::{ClassChoice, ClassInfra, resolve_class};
use super::ingress_host::analyze_host;
use super::ingress_parse::{Backend, ParsedIngress, ParsedRule, RuleHost, is_wildcard};
use super::judge::ClusterView;
use super::{RuleCode, Verdict, Violation};
use crate::api::ShardSize;
use crate::config::Scope;

impl Verdict {
    /// A warning cut to fit an AdmissionReview (SPEC-ingress §2: at most 256 characters).
    fn warn_fit(&mut self, code: RuleCode, field: String, message: String) {
        let (field, message) = fit(field, message);
        self.warn(code, field, message);
    }
}

/// The rules that need nothing but the Ingress: ING-HOST-WILDCARD, ING-BACKEND-RESOURCE
/// (denials), ING-RULE-NO-HTTP, ING-DEFAULT-BACKEND, ING-HOST-EMPTY, ING-TLS-UNUSED-HOST.
pub fn ingress_local_rules(ing: &ParsedIngress) -> Verdict {
    let mut v = Verdict::default();
    for rule in &ing.rules {
        let field = format!("spec.rules[{}].host", rule.index);
        match &rule.host {
            RuleHost::Given(h) if is_wildcard(h) => v.deny(
                RuleCode::IngHostWildcard,
                field,
                format!(
                    "{}: wildcard hosts are not supported yet: use the full host name",
                    q(h)
                ),
            ),
            RuleHost::Missing => v.warn_fit(
                RuleCode::IngHostEmpty,
                field,
                "is empty and no --default-domain is set: the rule is skipped: set a host".to_owned(),
            ),
            _ => {}
        }
        match &rule.paths {
            None => v.warn_fit(
                RuleCode::IngRuleNoHttp,
                format!("spec.rules[{}]", rule.index),
                format!(
                    "the rule for host {} has no http paths: the rule is not served: add http.paths",
                    q(rule.named_host().unwrap_or(""))
                ),
            ),
            Some(paths) => {
                for p in paths {
                    if let Backend::Resource(r) = &p.backend {
                        v.deny(
                            RuleCode::IngBackendResource,
                            format!("spec.rules[{}].http.paths[{}].backend.resource", rule.index, p.index),
                            format!("Unsupported value: {r}: only service backends are supported: set backend.service"),
                        );
                    }
                }
            }
        }
    }
    let rule_hosts = ing.rule_hosts();
    for t in &ing.tls {
        for (j, h) in t.hosts.iter().enumerate() {
            let field = format!("spec.tls[{}].hosts[{j}]", t.index);
            if is_wildcard(h) {
                v.deny(
                    RuleCode::IngHostWildcard,
                    field,
                    format!(
                        "{}: wildcard hosts are not supported yet: use the full host name",
                        q(h)
                    ),
                );
            } else if !rule_hosts.contains(&h.as_str()) {
                v.warn_fit(
                    RuleCode::IngTlsUnusedHost,
                    field,
                    format!(
                        "{} is the host of no rule of this Ingress: add a rule for it or remove it",
                        q(h)
                    ),
                );
            }
        }
    }
    if ing.default_backend {
        v.warn_fit(
            RuleCode::IngDefaultBackend,
            "spec.defaultBackend".to_owned(),
            "is not used by avigw: add a rule with path \"/\" instead".to_owned(),
        );
    }
    v
}

/// ING-HOST-TAKEN: `rule` of `ing` names `host`, which `owner` (another namespace or another
/// AviInfraSetting) already serves.
pub fn host_taken(
    ing: &ParsedIngress,
    infra: Option<&str>,
    rule: &ParsedRule,
    host: &str,
    owner: &ParsedIngress,
    owner_infra: Option<&str>,
) -> Violation {
    let field = format!("spec.rules[{}].host", rule.index);
    let message = if owner.namespace != ing.namespace {
        format!(
            "{} is already served by Ingress {}: a host belongs to one namespace: use another host or create this Ingress in namespace {}",
            q(host),
            owner.id(),
            owner.namespace
        )
    } else {
        let name = |i: Option<&str>| i.map_or_else(|| "none".to_owned(), q);
        format!(
            "{} is already served by Ingress {} with AviInfraSetting {} (this Ingress's class gives {}): a host belongs to one AviInfraSetting: use another host or the IngressClass of Ingress {}",
            q(host),
            owner.id(),
            name(owner_infra),
            name(infra),
            owner.id()
        )
    };
    Violation {
        code: RuleCode::IngHostTaken,
        field,
        message,
        listener: None,
    }
}

/// Another Ingress as the rules see it: ours, with its AviInfraSetting.
struct Other {
    ing: Arc<ParsedIngress>,
    infra: ClassInfra,
}

/// Every ING-* rule for an Ingress of ours (SPEC-ingress §2); other Ingresses get an empty
/// verdict. `old` is the stored object on update: ING-HOST-TAKEN then judges only hosts it
/// lacked.
///
/// Where the Ingress stands among the others that name a host: when `view` already holds it
/// naming the host (`plan`, `check` and the translation judge objects they hold), at its age,
/// as the translation orders it; otherwise (a create, or a host an update adds) its claim is
/// the newest. So a create never takes a host from its owner, and `plan` denies exactly the
/// Ingresses whose hosts the translation leaves to another namespace.
pub(crate) fn validate_ingress(
    old: Option<&ParsedIngress>,
    new: &ParsedIngress,
    view: &dyn ClusterView,
    scope: &Scope,
) -> Verdict {
    let ClassChoice::Ours(class) = resolve_class(new, view) else {
        return Verdict::default();
    };
    let mut v = ingress_local_rules(new);
    let infra = class.infra();
    let global = scope.shard_vs_size;
    let shard = match &infra {
        ClassInfra::Setting(n) => view.infra_setting(n).map_or(global, |s| s.shard_size_or(global)),
        _ => global,
    };
    let synced = |ns: &str| {
        scope
            .namespace_sync(ns, |label| view.namespace_has_label(ns, label))
            .is_ok()
    };
    let is_new = |o: &ParsedIngress| o.namespace == new.namespace && o.name == new.name;
    let mut hosts = new.rule_hosts();
    hosts.extend(
        new.tls_hosts()
            .into_iter()
            .filter(|h| !hosts.contains(h))
            .collect::<Vec<_>>(),
    );
    for host in hosts {
        let naming = view.ingresses_naming_host(host);
        let held = naming.iter().find(|o| is_new(o));
        let mut others: Vec<Other> = naming
            .iter()
            .filter(|o| !o.deleting && !is_new(o) && synced(&o.namespace))
            .filter_map(|o| {
                let infra = resolve_class(o, view).ours()?.infra();
                Some(Other {
                    ing: o.clone(),
                    infra,
                })
            })
            .collect();
        others.sort_by_key(|a| a.ing.age());
        if let Some(rule) = new.first_rule_for(host)
            && !old.is_some_and(|o| o.names_in_rule(host))
        {
            let claims_at_age = held.is_some_and(|h| h.names_in_rule(host)) && synced(&new.namespace);
            let owner = others
                .iter()
                .find(|o| o.ing.names_in_rule(host))
                .filter(|o| !(claims_at_age && new.older_than(&o.ing)));
            if let Some(owner) = owner.filter(|o| o.ing.namespace != new.namespace || o.infra != infra) {
                let t = host_taken(new, infra.name(), rule, host, &owner.ing, owner.infra.name());
                v.violations.push(t);
                continue;
            }
        }
        // The Ingresses of this one's owner that name the host, in age order, with this one.
        let mut group: Vec<&ParsedIngress> = Vec::new();
        let mut placed = false;
        for o in others
            .iter()
            .filter(|o| o.ing.namespace == new.namespace && o.infra == infra)
        {
            if !placed && held.is_some() && new.older_than(&o.ing) {
                group.push(new);
                placed = true;
            }
            group.push(&o.ing);
        }
        if !placed {
            group.push(new);
        }
        let analysis = analyze_host(host, &group, shard != ShardSize::Dedicated);
        for (ing, w) in analysis.findings {
            if std::ptr::eq(ing, new) {
                v.warnings.push(w);
            }
        }
    }
    v
}

/// ING-SECRET-MISSING (an event of the translation, never an admission answer): why the Secret
/// of TLS host `host` (`spec.tls[tls_index].secretName` of `ing`) keeps it off Avi.
pub fn secret_problem(
    ing: &ParsedIngress,
    tls_index: usize,
    secret: &str,
    host: &str,
    problem: SecretProblem,
) -> Violation {
    let field = format!("spec.tls[{tls_index}].secretName");
    let message = match problem {
        SecretProblem::Unnamed => format!(
            "is empty: host {} is not served until it names a Secret with tls.crt and tls.key",
            q(host)
        ),
        SecretProblem::NotFound => format!(
            "Secret {} not found in namespace {}: host {} is not served until it exists",
            q(secret),
            ing.namespace,
            q(host)
        ),
        SecretProblem::Invalid(why) => format!(
            "Secret {}/{secret}: {why}: host {} is not served until it is fixed",
            ing.namespace,
            q(host)
        ),
    };
    let (field, message) = fit(field, message);
    Violation {
        code: RuleCode::IngSecretMissing,
        field,
        message,
        listener: None,
    }
}

/// Why a TLS host's Secret cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretProblem<'a> {
    /// `secretName` is empty.
    Unnamed,
    NotFound,
    /// What is wrong with its `tls.crt`/`tls.key`.
    Invalid(&'a str),
}
