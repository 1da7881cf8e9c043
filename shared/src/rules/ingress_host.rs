//! What the Ingresses of one owner make of one host (SPEC-ingress §2, §4.1): which entries are
//! served, which Secret makes it a TLS host, and the warnings ING-PATH-DUPLICATE,
//! ING-TLS-CONFLICT and ING-PATH-EXACT-HTTP. The webhook judges a new Ingress with it and the
//! translation builds the host from it, so both agree by construction.

use std::collections::BTreeMap;

use super::format::fit;
use super::ingress_parse::{Backend, ParsedIngress, ParsedPath, ParsedRule, ParsedTls, PathType, PortRef};
use super::{RuleCode, Violation};
use crate::naming::priority_label;

/// One served entry: (host, path, pathType, Ingress, backend).
#[derive(Debug, Clone, Copy)]
pub struct HostEntry<'a> {
    pub ingress: &'a ParsedIngress,
    pub rule: &'a ParsedRule,
    pub path: &'a ParsedPath,
    pub service: &'a str,
    pub port: &'a PortRef,
}

/// The `tls` entry that decides the host's Secret: the oldest Ingress's.
#[derive(Debug, Clone, Copy)]
pub struct TlsChoice<'a> {
    pub ingress: &'a ParsedIngress,
    pub tls: &'a ParsedTls,
}

#[derive(Debug, Clone, Default)]
pub struct HostAnalysis<'a> {
    /// Set when the host is a TLS host.
    pub tls: Option<TlsChoice<'a>>,
    /// Served entries, oldest Ingress first, then spec order.
    pub entries: Vec<HostEntry<'a>>,
    /// Warnings, each on the Ingress it names.
    pub findings: Vec<(&'a ParsedIngress, Violation)>,
}

fn warning(code: RuleCode, field: String, message: String) -> Violation {
    let (field, message) = fit(field, message);
    Violation {
        code,
        field,
        message,
        listener: None,
    }
}

fn path_field(rule: &ParsedRule, path: &ParsedPath) -> String {
    format!("spec.rules[{}].http.paths[{}]", rule.index, path.index)
}

/// Analyses `host` for `group`: the Ingresses of one owner (namespace and AviInfraSetting) that
/// name it in a rule or under `tls`, **oldest first**. `shared` is whether the host sits on a
/// shared parent (shard size not DEDICATED), where paths match as case-insensitive prefixes.
pub fn analyze_host<'a>(host: &str, group: &[&'a ParsedIngress], shared: bool) -> HostAnalysis<'a> {
    let mut out = HostAnalysis::default();
    for ing in group {
        for t in ing.tls.iter().filter(|t| t.hosts.iter().any(|h| h == host)) {
            match out.tls {
                None => out.tls = Some(TlsChoice { ingress: ing, tls: t }),
                Some(chosen) if chosen.tls.secret_name != t.secret_name => {
                    let by = if std::ptr::eq(chosen.ingress, *ing) {
                        format!("spec.tls[{}] of this Ingress", chosen.tls.index)
                    } else {
                        format!("the older Ingress {}", chosen.ingress.id())
                    };
                    out.findings.push((
                        ing,
                        warning(
                            RuleCode::IngTlsConflict,
                            format!("spec.tls[{}].secretName", t.index),
                            format!(
                                "host {:?} already gets Secret {:?} from {by}, not {:?}: the older one's is used: use the same Secret or remove the host from this entry",
                                host, chosen.tls.secret_name, t.secret_name
                            ),
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
    }
    let by_label = shared && out.tls.is_none();
    let mut kept: BTreeMap<(&str, PathType), &ParsedIngress> = BTreeMap::new();
    let mut labels: BTreeMap<String, (&ParsedIngress, &str)> = BTreeMap::new();
    for ing in group {
        let mut own: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for (rule, path) in ing.paths_of(host) {
            let Backend::Service { name, port } = &path.backend else {
                continue;
            };
            let field = path_field(rule, path);
            if let Some((r, p)) = own.get(path.path.as_str()) {
                out.findings.push((
                    ing,
                    warning(
                        RuleCode::IngPathDuplicate,
                        field,
                        format!(
                            "host {host:?} path {:?} is already in spec.rules[{r}].http.paths[{p}] of this Ingress: this entry is not served: remove one of them",
                            path.path
                        ),
                    ),
                ));
                continue;
            }
            own.insert(&path.path, (rule.index, path.index));
            if let Some(older) = kept.get(&(path.path.as_str(), path.path_type)) {
                out.findings.push((
                    ing,
                    warning(
                        RuleCode::IngPathDuplicate,
                        field,
                        format!(
                            "host {host:?} path {:?} ({}) is already served by the older Ingress {}: this entry is not served: remove it or change its path",
                            path.path,
                            path.path_type,
                            older.id()
                        ),
                    ),
                ));
                continue;
            }
            if by_label {
                let label = priority_label(host, &path.path);
                if let Some((older, older_path)) = labels.get(&label) {
                    out.findings.push((
                        ing,
                        warning(
                            RuleCode::IngPathDuplicate,
                            field,
                            format!(
                                "host {host:?} path {:?} matches the same requests as path {older_path:?} of Ingress {} on the shared virtual service (paths match there as case-insensitive prefixes): this entry is not served: change its path or add TLS",
                                path.path,
                                older.id()
                            ),
                        ),
                    ));
                    continue;
                }
                labels.insert(label, (ing, &path.path));
            }
            kept.insert((&path.path, path.path_type), ing);
            if by_label && path.path_type == PathType::Exact {
                out.findings.push((
                    ing,
                    warning(
                        RuleCode::IngPathExactHttp,
                        format!("{}.pathType", path_field(rule, path)),
                        format!(
                            "Exact path {:?} on host {host:?} is matched as a case-insensitive prefix on the shared virtual service (no Ingress lists the host under spec.tls): add the host under spec.tls or use shard size DEDICATED",
                            path.path
                        ),
                    ),
                ));
            }
            out.entries.push(HostEntry {
                ingress: ing,
                rule,
                path,
                service: name,
                port,
            });
        }
    }
    out
}
