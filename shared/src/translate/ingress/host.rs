//! Everything decided about one host of an Ingress key before any Avi object is built
//! (SPEC-ingress §1, §4.1): its owner's Ingresses, whether they are built at all (class and
//! AviInfraSetting), the served entries and their pool names, the Secret of a TLS host, and
//! every finding on the way. Key translation, host re-translation and the per-Ingress report
//! all start here, so they agree.

use std::collections::BTreeSet;

use super::findings::{self, Finding};
use crate::naming::{ClusterName, MAX_AVI_NAME_LEN, policy_rule_name};
use crate::rules::{
    ClassInfra, ParsedIngress, ParsedPath, PortRef, SecretProblem, analyze_host, host_taken, secret_problem,
};
use crate::translate::keys::{L7Key, L7Unit, ObjKey};
use crate::translate::plan::Problem;
use crate::translate::secret::SecretView;
use crate::translate::snapshot::Snapshot;
use crate::translate::snapshot_l7::{IngressEntry, Resolved};
use crate::translate::views::{SvcPort, SvcType, SvcView};

/// A Service port an entry routes to.
pub(crate) struct Backend<'a> {
    pub key: ObjKey,
    pub svc: &'a SvcView,
    pub port: &'a SvcPort,
}

/// One served entry with its pool (and, off the shared parent, PoolGroup) name.
pub(crate) struct PlannedEntry<'a> {
    pub ingress: &'a ParsedIngress,
    pub path: &'a ParsedPath,
    pub service: &'a str,
    pub pool: String,
    /// `None`: pool without servers (BackendNotFound).
    pub backend: Option<Backend<'a>>,
    /// Oldest Ingress first, then spec order.
    pub order: usize,
}

pub(crate) struct HostPlan<'a> {
    pub host: &'a str,
    pub namespace: &'a str,
    pub infra: Option<&'a str>,
    /// Set when the host is secure (a TLS host with a valid Secret).
    pub secret: Option<&'a SecretView>,
    /// Empty when the host is not served.
    pub entries: Vec<PlannedEntry<'a>>,
    /// The owner's Ingresses that name the host, then the others whose rules name it.
    pub touched: Vec<&'a IngressEntry>,
    pub findings: Vec<Finding<'a>>,
}

impl HostPlan<'_> {
    pub fn served(&self) -> bool {
        !self.entries.is_empty()
    }

    /// Whether an Ingress has a served entry on this host.
    pub fn serves(&self, ing: &ParsedIngress) -> bool {
        self.entries.iter().any(|e| std::ptr::eq(e.ingress, ing))
    }
}

/// Everything about `host` on `key`.
pub(crate) fn plan_host<'a>(
    cluster: &ClusterName,
    snap: &'a Snapshot,
    key: &L7Key,
    host: &'a str,
) -> HostPlan<'a> {
    let (group, losers) = snap.l7_host_group(host);
    let mut plan = HostPlan {
        host,
        namespace: "",
        infra: None,
        secret: None,
        entries: Vec::new(),
        touched: group.iter().chain(losers.iter()).copied().collect(),
        findings: Vec::new(),
    };
    let Some(owner) = snap.l7_owner(host) else {
        return plan;
    };
    plan.namespace = &owner.parsed.namespace;
    let owner_infra = owner.infra().and_then(ClassInfra::name);
    plan.infra = owner_infra;
    for l in &losers {
        if let Some(rule) = l.parsed.first_rule_for(host) {
            let infra = l.infra().and_then(ClassInfra::name);
            let v = host_taken(&l.parsed, infra, rule, host, &owner.parsed, owner_infra);
            plan.findings.push((&l.parsed, findings::rule(&v)));
        }
    }
    if let Some(why) = not_built(snap, owner) {
        for g in &group {
            plan.findings.push((&g.parsed, why.clone()));
        }
        return plan;
    }
    let shared = matches!(key.unit, L7Unit::Shard(_));
    let parsed: Vec<&'a ParsedIngress> = group.iter().map(|e| &*e.parsed).collect();
    let analysis = analyze_host(host, &parsed, shared);
    plan.findings
        .extend(analysis.findings.iter().map(|(i, v)| (*i, findings::rule(v))));
    if let Some(choice) = analysis.tls {
        let name = choice.tls.secret_name.as_str();
        let problem = match snap.l7.secrets.get(&ObjKey::new(plan.namespace, name)) {
            _ if name.is_empty() => Some(SecretProblem::Unnamed),
            None => Some(SecretProblem::NotFound),
            Some(s) => match &s.validity {
                Err(why) => Some(SecretProblem::Invalid(why)),
                Ok(()) => {
                    plan.secret = Some(s);
                    None
                }
            },
        };
        if let Some(p) = problem {
            let v = secret_problem(choice.ingress, choice.tls.index, name, host, p);
            plan.findings.push((choice.ingress, findings::secret(&v, p)));
            return plan;
        }
    }
    if let Some((object, name)) = too_long_host_name(cluster, key, &plan, analysis.entries.len()) {
        let rule = |i: &ParsedIngress| i.first_rule_for(host).map_or(0, |r| r.index);
        for g in &group {
            let field = format!("spec.rules[{}].host", rule(&g.parsed));
            let f = findings::name_too_long(&field, object, &name, &format!("host {host:?}"));
            plan.findings.push((&g.parsed, f));
        }
        return plan;
    }
    let mut pools: BTreeSet<String> = BTreeSet::new();
    for (order, e) in analysis.entries.iter().enumerate() {
        let field = format!("spec.rules[{}].http.paths[{}]", e.rule.index, e.path.index);
        let pool = pool_name(cluster, key, &plan, e.ingress, &e.path.path);
        if pool.len() > MAX_AVI_NAME_LEN {
            let f = findings::name_too_long(&field, "pool", &pool, "this entry");
            plan.findings.push((e.ingress, f));
            continue;
        }
        if !pools.insert(pool.clone()) {
            plan.findings
                .push((e.ingress, findings::name_conflict(&field, &pool, host)));
            continue;
        }
        let backend = match resolve_backend(snap, plan.namespace, e.service, e.port) {
            Ok(b) => Some(b),
            Err(why) => {
                let f = findings::backend_not_found(&format!("{field}.backend.service"), &why);
                plan.findings.push((e.ingress, f));
                None
            }
        };
        plan.entries.push(PlannedEntry {
            ingress: e.ingress,
            path: e.path,
            service: e.service,
            pool,
            backend,
            order,
        });
    }
    plan
}

/// Why the owner's Ingresses are not built at all: their class breaks ICL-PARAMS, or its
/// AviInfraSetting is missing or not Accepted (SPEC-ingress §2, §4.7).
fn not_built(snap: &Snapshot, owner: &IngressEntry) -> Option<Problem> {
    let Resolved::Ours { class, infra } = &owner.resolved else {
        return None;
    };
    match infra {
        ClassInfra::None => None,
        ClassInfra::Invalid(_) => {
            let why = snap
                .l7
                .classes
                .get(class)
                .and_then(|c| c.params_violation())
                .unwrap_or_default();
            Some(findings::invalid_class(class, &why))
        }
        ClassInfra::Setting(name) => match snap.settings.get(name) {
            Some(s) if s.is_accepted() => None,
            found => Some(findings::infra_not_ready(class, name, found.map(|s| s.as_ref()))),
        },
    }
}

/// The pool (and SNI/DEDICATED PoolGroup) name of an entry.
fn pool_name(
    cluster: &ClusterName,
    key: &L7Key,
    plan: &HostPlan<'_>,
    ing: &ParsedIngress,
    path: &str,
) -> String {
    let (infra, ns, host) = (plan.infra, plan.namespace, plan.host);
    match (&key.unit, plan.secret) {
        (L7Unit::Dedicated(_), _) => cluster.l7_dedicated_pool(infra, ns, host, path, &ing.name),
        (L7Unit::Shard(_), Some(_)) => cluster.l7_sni_pool(infra, ns, host, path, &ing.name),
        (L7Unit::Shard(_), None) => cluster.l7_insecure_pool(infra, host, path, ns, &ing.name),
    }
}

/// The first host-level name (child or DEDICATED VS, certificate, switching set and its rules)
/// over Avi's limit: `(object, name)`.
fn too_long_host_name(
    cluster: &ClusterName,
    key: &L7Key,
    plan: &HostPlan<'_>,
    entries: usize,
) -> Option<(&'static str, String)> {
    let (infra, ns, host) = (plan.infra, plan.namespace, plan.host);
    let set = cluster.l7_switching_set(infra, ns, host);
    // Prefix entries give two rules each.
    let last_rule = policy_rule_name(&set, (2 * entries).saturating_sub(1));
    let names: Vec<(&'static str, String)> = match (&key.unit, plan.secret) {
        (L7Unit::Shard(_), None) => Vec::new(),
        (L7Unit::Shard(_), Some(_)) => vec![
            ("virtual service", cluster.l7_sni(infra, host)),
            ("HTTP policy set rule", last_rule),
        ],
        (L7Unit::Dedicated(_), _) => vec![
            ("virtual service", cluster.l7_dedicated(infra, host)),
            ("SSL key and certificate", cluster.l7_sni(infra, host)),
            ("HTTP policy set rule", last_rule),
            (
                "HTTP policy set rule",
                policy_rule_name(&cluster.l7_dedicated(infra, host), 0),
            ),
        ],
    };
    names.into_iter().find(|(_, n)| n.len() > MAX_AVI_NAME_LEN)
}

/// The Service port an entry routes to: `port.number` matches the Service port's `port`,
/// `port.name` its `name` (SPEC-ingress §4.6); `Err` says why there is none.
pub(crate) fn resolve_backend<'a>(
    snap: &'a Snapshot,
    namespace: &str,
    service: &str,
    port: &PortRef,
) -> Result<Backend<'a>, String> {
    let key = ObjKey::new(namespace, service);
    let Some(svc) = snap.services.get(&key) else {
        return Err(format!("Service {service:?} not found in namespace {namespace}"));
    };
    if svc.svc_type == SvcType::ExternalName {
        return Err(format!(
            "Service {key} is of type ExternalName, which has no endpoints"
        ));
    }
    let found = match port {
        PortRef::Number(n) => svc.ports.iter().find(|p| p.port == *n),
        PortRef::Name(n) => svc.ports.iter().find(|p| p.name.as_deref() == Some(n)),
        PortRef::Missing => return Err("no port is set".to_owned()),
    };
    match found {
        Some(p) => Ok(Backend { key, svc, port: p }),
        None => {
            let have: Vec<String> = svc
                .ports
                .iter()
                .map(|p| match &p.name {
                    Some(n) => format!("{} ({n:?})", p.port),
                    None => p.port.to_string(),
                })
                .collect();
            Err(format!(
                "port {port} not found on Service {key} (its ports: {})",
                if have.is_empty() {
                    "none".to_owned()
                } else {
                    have.join(", ")
                }
            ))
        }
    }
}
