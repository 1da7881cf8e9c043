//! FQDN choice (SPEC §3): a listener hostname wins for its pools; LoadBalancer Services honour
//! external-dns's annotation even when autoFQDN is disabled; otherwise `naming::auto_fqdn`.

use super::context::Context;
use crate::api::ANNOTATION_EXTERNAL_DNS_HOSTNAME;
use crate::naming::auto_fqdn;

/// The FQDN of a Gateway pool: the listener's hostname, else the backend Service's automatic one.
pub(crate) fn gateway_pool_fqdn(
    ctx: &Context,
    listener_hostname: Option<&str>,
    svc_name: &str,
    svc_ns: &str,
) -> Option<String> {
    match listener_hostname.filter(|h| !h.is_empty()) {
        Some(h) => Some(h.to_owned()),
        None => auto_fqdn(ctx.auto_fqdn, svc_name, svc_ns, ctx.domain.as_deref()),
    }
}

/// The FQDNs of a LoadBalancer Service: external-dns's comma-separated list, else the automatic one.
pub(crate) fn lb_fqdns(
    ctx: &Context,
    annotations: Option<&std::collections::BTreeMap<String, String>>,
    svc_name: &str,
    svc_ns: &str,
) -> Vec<String> {
    let explicit: Vec<String> = annotations
        .and_then(|a| a.get(ANNOTATION_EXTERNAL_DNS_HOSTNAME))
        .map(|v| {
            v.split(',')
                .map(|h| h.trim().trim_end_matches('.'))
                .filter(|h| !h.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if !explicit.is_empty() {
        return dedup(explicit);
    }
    auto_fqdn(ctx.auto_fqdn, svc_name, svc_ns, ctx.domain.as_deref())
        .into_iter()
        .collect()
}

/// Removes repeats, keeping first occurrences in order.
pub(crate) fn dedup(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for s in v {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}
