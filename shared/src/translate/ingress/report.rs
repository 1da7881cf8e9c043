//! One Ingress across all its keys: the hosts it serves and on which key, all its findings
//! (also for an Ingress with no key at all), and the status that follows once the keys have
//! VIPs (SPEC-ingress §5).

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressStatus,
};
use serde::Serialize;

use super::host::plan_host;
use super::{findings, push_once};
use crate::translate::context::Context;
use crate::translate::keys::{Key, ObjKey};
use crate::translate::plan::Problem;
use crate::translate::snapshot::Snapshot;
use crate::translate::snapshot_l7::Resolved;

/// What avigw makes of one Ingress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    /// Ours (class of ours), in a synced namespace and not being deleted. An Ingress that is
    /// not ours gets no status from avigw and no events, except `MultipleDefaultClasses`.
    pub ours: bool,
    /// Each host it serves, with the key (VS) that serves it.
    pub hosts: BTreeMap<String, Key>,
    pub findings: Vec<Problem>,
}

impl IngressReport {
    /// The Ingress's status once its keys have VIPs: `vip_of` answers a key's VIP, `None`
    /// while Avi has not placed it (its hosts are left out until then).
    pub fn status<'a>(&'a self, vip_of: impl Fn(&Key) -> Option<&'a str>) -> IngressStatus {
        ingress_status(
            self.hosts
                .iter()
                .filter_map(|(h, k)| vip_of(k).map(|ip| (h.as_str(), ip))),
        )
    }
}

/// The report of Ingress `key`; `None` when the snapshot does not hold it.
pub fn ingress_report(ctx: &Context, snap: &Snapshot, key: &ObjKey) -> Option<IngressReport> {
    let e = snap.l7.ingresses.get(key)?;
    let mut out = IngressReport {
        generation: e.parsed.generation,
        ..IngressReport::default()
    };
    if let Resolved::AmbiguousDefault(classes) = &e.resolved {
        out.findings.push(findings::multiple_defaults(classes));
    }
    if !e.candidate {
        return Some(out);
    }
    out.ours = true;
    out.findings = findings::ingress_wide(&e.parsed);
    let mut hosts: Vec<&str> = e.parsed.rule_hosts();
    hosts.extend(e.parsed.tls_hosts());
    hosts.sort_unstable();
    hosts.dedup();
    for h in hosts {
        let Some(Key::L7(k)) = snap.l7.host_key.get(h) else {
            continue;
        };
        let plan = plan_host(&ctx.cluster, snap, k, h);
        for (ing, f) in &plan.findings {
            if std::ptr::eq(*ing, &*e.parsed) {
                push_once(&mut out.findings, f);
            }
        }
        if plan.serves(&e.parsed) {
            out.hosts.insert(h.to_owned(), Key::L7(k.clone()));
        }
    }
    Some(out)
}

/// `status` of an Ingress: one `{ip, hostname}` per served host whose key has a VIP, sorted by
/// host; `loadBalancer: {}` when there is none.
pub fn ingress_status<'a>(hosts: impl IntoIterator<Item = (&'a str, &'a str)>) -> IngressStatus {
    let mut entries: Vec<(&str, &str)> = hosts.into_iter().collect();
    entries.sort_unstable();
    entries.dedup();
    let ingress: Vec<IngressLoadBalancerIngress> = entries
        .into_iter()
        .map(|(host, ip)| IngressLoadBalancerIngress {
            hostname: Some(host.to_owned()),
            ip: Some(ip.to_owned()),
            ports: None,
        })
        .collect();
    IngressStatus {
        load_balancer: Some(IngressLoadBalancerStatus {
            ingress: (!ingress.is_empty()).then_some(ingress),
        }),
    }
}
