//! A DEDICATED host (SPEC-ingress §4.5): its own `VS_TYPE_NORMAL` virtual service and VsVip,
//! per-entry pools and PoolGroups, the switching set, and for a secure host its certificate
//! and the port-80 redirect, which comes before the switching set.

use super::host::HostPlan;
use super::objects::{
    APP_PROFILE_HTTP, APP_PROFILE_SECURE_HTTP, SSL_PROFILE, certificate, entry_poolgroups, http_policies,
    ingress_vs, pools, port, redirect_set, switching_set,
};
use crate::avi::{AviObjects, VS_TYPE_NORMAL, kind, name_ref};
use crate::naming::l7_host_markers;
use crate::translate::context::Context;
use crate::translate::objects::vsvip;
use crate::translate::placement::Placement;
use crate::translate::snapshot::Snapshot;

pub(crate) fn dedicated(ctx: &Context, snap: &Snapshot, p: &Placement, plan: &HostPlan<'_>) -> AviObjects {
    if !plan.served() {
        return AviObjects::default();
    }
    let (cluster, infra, host) = (&ctx.cluster, plan.infra, plan.host);
    let name = cluster.l7_dedicated(infra, host);
    let markers = l7_host_markers(cluster, plan.namespace, host, infra);
    let cert_name = cluster.l7_sni(infra, host);
    let cert = certificate(ctx, cert_name.clone(), plan);
    let switching = switching_set(ctx, cluster.l7_switching_set(infra, plan.namespace, host), plan);
    let redirect = cert
        .is_some()
        .then(|| redirect_set(ctx, &name, vec![host.to_owned()], markers.clone()));
    let mut vs = ingress_vs(ctx, &name, VS_TYPE_NORMAL, p);
    vs.vsvip_ref = Some(name_ref(kind::VSVIP, &name));
    match &cert {
        Some(c) => {
            vs.services = vec![port(80, false), port(443, true)];
            vs.application_profile_ref = Some(name_ref(kind::APPLICATION_PROFILE, APP_PROFILE_SECURE_HTTP));
            vs.ssl_profile_ref = Some(name_ref(kind::SSL_PROFILE, SSL_PROFILE));
            vs.ssl_key_and_certificate_refs = vec![name_ref(kind::SSLKEYANDCERTIFICATE, &c.name)];
        }
        None => {
            vs.services = vec![port(80, false)];
            vs.application_profile_ref = Some(name_ref(kind::APPLICATION_PROFILE, APP_PROFILE_HTTP));
        }
    }
    let sets: Vec<&str> = redirect
        .iter()
        .map(|r| r.name.as_str())
        .chain([switching.name.as_str()])
        .collect();
    vs.http_policies = http_policies(&sets);
    vs.enable_rhi = p.rhi.then_some(true);
    vs.markers = markers;
    AviObjects {
        sslkeyandcertificates: cert.into_iter().collect(),
        pools: pools(ctx, snap, p, plan),
        poolgroups: entry_poolgroups(ctx, plan),
        httppolicysets: redirect.into_iter().chain([switching]).collect(),
        vsvip: Some(vsvip(ctx, &name, p, None, vec![host.to_owned()])),
        virtualservice: Some(vs),
        ..AviObjects::default()
    }
}
