//! `plan -o table`: one row per key, then per Service of a key, then per Ingress host, then
//! the remarks (problems, notes and Ingress findings) in full.

use avigw_shared::translate::{COND_READY, COND_SCHEDULED, KeyPlan, Ownership};

use super::ingress::{HostPlan, IngressPlan, fixed_vip};
use super::report::Report;

const NONE: &str = "-";

fn or_none(s: String) -> String {
    if s.is_empty() { NONE.to_owned() } else { s }
}

fn header(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

pub(crate) fn render(r: &Report<'_>) -> String {
    let mut remarks = Vec::new();
    let mut out = aligned(&key_rows(r, &mut remarks));
    if !r.services.is_empty() {
        let mut rows = vec![header(&["SERVICE", "FROM", "VIP", "HOSTNAMES"])];
        for (svc, s) in &r.services {
            let hosts = s.ingress.hostnames.join(",");
            let vip = s
                .ingress
                .preferred_vip
                .clone()
                .unwrap_or_else(|| "auto".to_owned());
            rows.push(vec![svc.clone(), s.from.to_string(), vip, or_none(hosts)]);
        }
        out.push('\n');
        out.push_str(&aligned(&rows));
    }
    if !r.ingresses.is_empty() {
        out.push('\n');
        out.push_str(&aligned(&ingress_rows(r, &mut remarks)));
    }
    if !remarks.is_empty() {
        out.push('\n');
        for line in remarks {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

fn key_rows(r: &Report<'_>, remarks: &mut Vec<String>) -> Vec<Vec<String>> {
    let mut rows = vec![header(&[
        "KEY",
        "OWNER",
        "VIRTUALSERVICE",
        "PORTS",
        "POOLS",
        "SERVERS",
        "VIP",
        "FQDNS",
        "SCHEDULED",
        "READY",
    ])];
    for k in &r.keys {
        let p = k.plan;
        let vs = p.avi.virtualservice.as_ref();
        let ports = vs
            .map(|v| {
                v.services
                    .iter()
                    .map(|s| s.port.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default();
        let vip = match p.avi.vsvip.as_ref() {
            Some(_) => fixed_vip(p).unwrap_or("auto").to_owned(),
            None => String::new(),
        };
        let fqdns = p
            .avi
            .vsvip
            .as_ref()
            .map(|v| {
                v.dns_info
                    .iter()
                    .map(|d| d.fqdn.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default();
        let servers: usize = p.avi.pools.iter().map(|pool| pool.servers.len()).sum();
        rows.push(vec![
            p.key.to_string(),
            owner(p).to_owned(),
            vs.map(|v| v.name.clone()).unwrap_or_else(|| NONE.to_owned()),
            or_none(ports),
            p.avi.pools.len().to_string(),
            servers.to_string(),
            or_none(vip),
            or_none(fqdns),
            condition(p, COND_SCHEDULED),
            condition(p, COND_READY),
        ]);
        for pr in &p.problems {
            remarks.push(format!("{}: {}: {}", p.key, pr.reason, pr.message));
        }
        for n in &p.notes {
            remarks.push(format!("{}: {n}", p.key));
        }
    }
    rows
}

fn owner(p: &KeyPlan) -> &'static str {
    match p.ownership {
        Ownership::Ours => "ours",
        Ownership::Unclaimed => "unclaimed",
        Ownership::NotOurs => "not-ours",
    }
}

fn condition(p: &KeyPlan, type_: &str) -> String {
    p.gateway_status
        .as_ref()
        .and_then(|s| s.condition(type_))
        .map(|c| format!("{}/{}", c.status.as_str(), c.reason))
        .unwrap_or_else(|| NONE.to_owned())
}

/// Per Ingress host: the key's virtual service (shard parent or DEDICATED), whether it is
/// secure (or, for a TLS host that is not served, why), its VIP and the warnings that concern
/// it. An Ingress without hosts gets one row.
fn ingress_rows(r: &Report<'_>, remarks: &mut Vec<String>) -> Vec<Vec<String>> {
    let mut rows = vec![header(&[
        "INGRESS",
        "OWNER",
        "HOST",
        "VIRTUALSERVICE",
        "SECURE",
        "VIP",
        "WARNINGS",
    ])];
    for (id, ing) in &r.ingresses {
        let owner = if ing.ours { "ours" } else { "not-ours" };
        let warnings = |host| or_none(ing.reasons_for(host).join(","));
        if ing.hosts.is_empty() {
            rows.push(vec![
                id.clone(),
                owner.to_owned(),
                NONE.to_owned(),
                NONE.to_owned(),
                NONE.to_owned(),
                NONE.to_owned(),
                warnings(None),
            ]);
        }
        for h in &ing.hosts {
            let key = h
                .key
                .as_ref()
                .and_then(|k| r.keys.iter().find(|kr| kr.plan.key == *k));
            let vs = key
                .and_then(|k| k.plan.avi.virtualservice.as_ref())
                .map(|v| v.name.clone());
            let vip = key.map(|k| fixed_vip(k.plan).unwrap_or("auto").to_owned());
            rows.push(vec![
                id.clone(),
                owner.to_owned(),
                h.host.clone(),
                vs.unwrap_or_else(|| NONE.to_owned()),
                secure(ing, h),
                vip.unwrap_or_else(|| NONE.to_owned()),
                warnings(Some(h)),
            ]);
        }
        for f in &ing.findings {
            remarks.push(format!("Ingress {id}: {}: {}", f.reason, f.message));
        }
    }
    rows
}

/// Served: whether over HTTPS. Not served (an Ingress of ours): why, by its findings' reasons
/// (for a TLS host: its Secret is missing or invalid).
fn secure(ing: &IngressPlan, h: &HostPlan) -> String {
    match (h.served, h.secure) {
        (true, true) => "yes".to_owned(),
        (true, false) => "no".to_owned(),
        (false, _) if !ing.ours => NONE.to_owned(),
        (false, _) if h.reasons.is_empty() => "not served".to_owned(),
        (false, _) => format!("not served: {}", h.reasons.join(",")),
    }
}

/// Rows as left-aligned columns two spaces apart.
fn aligned(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
