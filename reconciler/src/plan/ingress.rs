//! What `plan` says about each Ingress of the input: every host its rules name, served or not
//! and where, its findings, and the status it would get (SPEC-ingress §4, §5).

use std::collections::{BTreeMap, BTreeSet};

use avigw_shared::rules::ParsedIngress;
use avigw_shared::translate::{
    Context, IngressReport, Key, KeyPlan, L7Unit, ObjKey, Problem, Snapshot, ingress_report, ingress_status,
};
use k8s_openapi::api::networking::v1::{Ingress, IngressStatus};
use serde::Serialize;

/// One Ingress as `plan` shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressPlan {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    /// Ours (class of ours), in a synced namespace: avigw serves it and writes its status.
    pub ours: bool,
    /// Every host its rules serve, in rule order.
    pub hosts: Vec<HostPlan>,
    /// Each is a Warning event on the Ingress (reason, message).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Problem>,
    /// The status avigw writes (ours only). The VIP is unknown offline: each `ip` reads
    /// `<VIP of VS>` for the virtual service whose VsVip gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<IngressStatus>,
    /// Why `status` is not final yet: the virtual services Avi has to place first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
}

/// One host of an Ingress.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostPlan {
    pub host: String,
    /// This Ingress's entries for the host are on Avi.
    pub served: bool,
    /// The reconcile key (the top virtual service: shard parent or DEDICATED).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<Key>,
    /// The virtual service that routes the host's paths: the SNI child of a secure host on a
    /// shard, else the key's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_service: Option<String>,
    /// This Ingress lists the host under `spec.tls`.
    pub tls: bool,
    /// Served over HTTPS with the Secret's certificate (port 80 redirects).
    pub secure: bool,
    /// The reasons of this Ingress's findings that name the host.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

impl IngressPlan {
    /// The finding reasons that concern `host`: those naming it and those naming no host of
    /// this Ingress (Ingress-wide ones), each once. `None`: the Ingress-wide ones only.
    pub fn reasons_for<'a>(&'a self, host: Option<&'a HostPlan>) -> Vec<&'a str> {
        let mut out: Vec<&str> = host
            .map(|h| h.reasons.iter().map(String::as_str).collect())
            .unwrap_or_default();
        for f in &self.findings {
            let names_any = self.hosts.iter().any(|h| names_host(&f.message, &h.host));
            if !names_any && !out.contains(&f.reason.as_str()) {
                out.push(&f.reason);
            }
        }
        out
    }
}

/// Rule messages quote hosts as Rust string literals (`"noo.com"`).
fn names_host(message: &str, host: &str) -> bool {
    message.contains(&format!("{host:?}"))
}

/// The VIP a key's VsVip holds, when it is fixed before Avi places it.
pub(crate) fn fixed_vip(plan: &KeyPlan) -> Option<&str> {
    plan.avi.vsvip.as_ref().and_then(|v| v.address())
}

/// Every Ingress of the input, by `namespace/name`, from the (redacted) key plans.
pub(crate) fn ingress_plans(
    ctx: &Context,
    snap: &Snapshot,
    plans: &BTreeMap<Key, KeyPlan>,
    ingresses: &BTreeMap<ObjKey, Ingress>,
    default_domain: Option<&str>,
) -> BTreeMap<String, IngressPlan> {
    ingresses
        .iter()
        .filter_map(|(id, ing)| {
            let report = ingress_report(ctx, snap, id)?;
            let parsed = ParsedIngress::new(ing, default_domain);
            Some((id.to_string(), one(ctx, plans, &parsed, report)))
        })
        .collect()
}

fn one(
    ctx: &Context,
    plans: &BTreeMap<Key, KeyPlan>,
    parsed: &ParsedIngress,
    report: IngressReport,
) -> IngressPlan {
    let tls: BTreeSet<&str> = parsed.tls_hosts().into_iter().collect();
    let hosts = parsed
        .rule_hosts()
        .into_iter()
        .map(|h| host_plan(ctx, plans, &report, h, tls.contains(h)))
        .collect();
    let (status, pending) = match report.ours {
        true => {
            let (status, pending) = status(plans, &report);
            (Some(status), pending)
        }
        false => (None, None),
    };
    IngressPlan {
        generation: report.generation,
        ours: report.ours,
        hosts,
        findings: report.findings,
        status,
        pending,
    }
}

fn host_plan(
    ctx: &Context,
    plans: &BTreeMap<Key, KeyPlan>,
    report: &IngressReport,
    host: &str,
    tls: bool,
) -> HostPlan {
    let mut reasons: Vec<String> = Vec::new();
    for f in report.findings.iter().filter(|f| names_host(&f.message, host)) {
        if !reasons.contains(&f.reason) {
            reasons.push(f.reason.clone());
        }
    }
    let mut plan = HostPlan {
        host: host.to_owned(),
        served: false,
        key: None,
        virtual_service: None,
        tls,
        secure: false,
        reasons,
    };
    let Some(key) = report.hosts.get(host) else {
        return plan;
    };
    plan.served = true;
    plan.key = Some(key.clone());
    if let Key::L7(k) = key {
        // A secure host has its certificate, named as its SNI child, among the key's objects.
        let sni = ctx.cluster.l7_sni(k.infra.as_deref(), host);
        plan.secure = plans
            .get(key)
            .is_some_and(|p| p.avi.sslkeyandcertificates.iter().any(|c| c.name == sni));
        plan.virtual_service = Some(match k.unit {
            L7Unit::Shard(_) if plan.secure => sni,
            _ => k.vs.clone(),
        });
    }
    plan
}

/// The status of an Ingress of ours, each host with its key's VIP (a placeholder until Avi
/// places the key), and which virtual services Avi has to place first.
fn status(plans: &BTreeMap<Key, KeyPlan>, report: &IngressReport) -> (IngressStatus, Option<String>) {
    let mut waiting: BTreeSet<&str> = BTreeSet::new();
    let mut vips: BTreeMap<&Key, String> = BTreeMap::new();
    for k in report.hosts.values() {
        let Some(vs) = top_vs(k) else {
            continue;
        };
        let vip = match plans.get(k).and_then(fixed_vip) {
            Some(ip) => ip.to_owned(),
            None => {
                waiting.insert(vs);
                format!("<VIP of {vs}>")
            }
        };
        vips.insert(k, vip);
    }
    let status = ingress_status(
        report
            .hosts
            .iter()
            .filter_map(|(h, k)| Some((h.as_str(), vips.get(k)?.as_str()))),
    );
    let pending = (!waiting.is_empty()).then(|| {
        format!(
            "waiting for the Avi controller to place virtual service {}: the VIP is known then",
            waiting.into_iter().collect::<Vec<_>>().join(", ")
        )
    });
    (status, pending)
}

/// The top virtual service of an Ingress key (whose VsVip holds the VIP).
fn top_vs(k: &Key) -> Option<&str> {
    match k {
        Key::L7(k) => Some(&k.vs),
        Key::Gateway(_) | Key::Service(_) => None,
    }
}
