//! The Avi objects of a shared-parent key (SPEC-ingress §4.2, §4.3): per insecure host its
//! pools (members of the parent's PoolGroup); per secure host its certificate, pools, PoolGroups,
//! switching HTTPPolicySet and SNI child; then the parent's PoolGroup, VSDataScriptSet, redirect
//! HTTPPolicySet, VsVip and VirtualService.

use super::host::HostPlan;
use super::switching::{SwitchEntry, switching_rules};
use crate::avi::{
    AviObjects, DATASCRIPT_EVT_HTTP_REQ, HDR_EQUALS, HTTP_REDIRECT_STATUS_CODE_302, HostHdrMatch,
    HttpPolicies, HttpPolicySet, HttpRedirectAction, HttpRequestPolicy, HttpRequestRule, IS_IN, MatchTarget,
    Pool, PoolGroup, PoolGroupMember, PortMatch, PrivateKeyPem, SSL_CERTIFICATE_TYPE_VIRTUALSERVICE,
    SslCertificate, SslKeyAndCertificate, VS_TYPE_VH_CHILD, VS_TYPE_VH_PARENT, VirtualService, VsDataScript,
    VsDataScriptSet, VsDataScripts, VsService, kind, name_ref,
};
use crate::naming::{
    AutoFqdn, l7_certificate_markers, l7_host_markers, l7_paths_markers, l7_pool_markers, policy_rule_name,
    priority_label, vsvip_markers,
};
use crate::translate::context::Context;
use crate::translate::objects::{build_pool, vsvip};
use crate::translate::placement::Placement;
use crate::translate::servers::servers;
use crate::translate::snapshot::Snapshot;

pub(crate) const APP_PROFILE_HTTP: &str = "System-HTTP";
pub(crate) const APP_PROFILE_SECURE_HTTP: &str = "System-Secure-HTTP";
pub(crate) const NETWORK_PROFILE: &str = "System-TCP-Proxy";
pub(crate) const SSL_PROFILE: &str = "System-Standard";
pub(crate) const DEFAULT_CERTIFICATE: &str = "System-Default-Cert";
pub(crate) const HEALTH_MONITOR: &str = "System-TCP";
/// `http_policies` index of the first (redirect or switching) set, and of the next.
pub(crate) const FIRST_POLICY_INDEX: u32 = 11;

/// AKO's parent DataScript: the request Host (after rewrites) without `:port`, `/`, the path
/// without its leading `/`, lowercased, selects the PoolGroup member with the longest
/// `priority_label` prefixing it.
const DATASCRIPT: &str = "host = avi.http.get_host_tokens(\"MODIFIED\", 1)\npath = avi.http.get_path_tokens(1)\nif string.contains(host, \":\") then\nfor match in string.gmatch(host, \".*:\") do\nhost = string.sub(match,0,-2)\nend\nend\nif host and path then\nlbl = host..\"/\"..path\nelse\nlbl = host..\"/\"\nend\navi.poolgroup.select(\"{pg}\", string.lower(lbl) )";

/// Objects of the hosts of a key, before the parent-level ones are added.
#[derive(Default)]
pub(crate) struct HostObjects {
    pub certs: Vec<SslKeyAndCertificate>,
    pub pools: Vec<Pool>,
    pub poolgroups: Vec<PoolGroup>,
    pub sets: Vec<HttpPolicySet>,
    pub children: Vec<VirtualService>,
    /// Members of the parent's PoolGroup (insecure entries).
    pub members: Vec<PoolGroupMember>,
}

impl HostObjects {
    pub fn into_avi(self) -> AviObjects {
        AviObjects {
            sslkeyandcertificates: self.certs,
            pools: self.pools,
            poolgroups: self.poolgroups,
            httppolicysets: self.sets,
            child_virtualservices: self.children,
            ..AviObjects::default()
        }
    }
}

pub(crate) fn certificate(ctx: &Context, name: String, plan: &HostPlan<'_>) -> Option<SslKeyAndCertificate> {
    let s = plan.secret?;
    Some(SslKeyAndCertificate {
        name,
        tenant_ref: Some(ctx.tenant_ref.clone()),
        type_: Some(SSL_CERTIFICATE_TYPE_VIRTUALSERVICE.to_owned()),
        certificate: SslCertificate {
            certificate: s.crt.clone(),
        },
        key: Some(PrivateKeyPem::new(s.key.expose())),
        created_by: Some(ctx.created_by.clone()),
        markers: l7_certificate_markers(&ctx.cluster, plan.host, plan.infra),
        uuid: None,
        url: None,
        last_modified: None,
    })
}

/// The pools of a host's entries, by name.
pub(crate) fn pools(ctx: &Context, snap: &Snapshot, p: &Placement, plan: &HostPlan<'_>) -> Vec<Pool> {
    let mut out: Vec<Pool> = plan
        .entries
        .iter()
        .map(|e| {
            let servers = e
                .backend
                .as_ref()
                .map(|b| servers(ctx, snap, &b.key, b.svc, b.port))
                .unwrap_or_default();
            let markers = l7_pool_markers(
                &ctx.cluster,
                plan.namespace,
                plan.host,
                plan.infra,
                e.service,
                &e.path.path,
                &e.ingress.name,
            );
            build_pool(ctx, e.pool.clone(), servers, HEALTH_MONITOR, p, markers)
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// One PoolGroup per entry (same name as its pool), off the shared parent's PoolGroup.
pub(crate) fn entry_poolgroups(ctx: &Context, plan: &HostPlan<'_>) -> Vec<PoolGroup> {
    let mut out: Vec<PoolGroup> = plan
        .entries
        .iter()
        .map(|e| PoolGroup {
            name: e.pool.clone(),
            tenant_ref: Some(ctx.tenant_ref.clone()),
            cloud_ref: Some(ctx.cloud_ref.clone()),
            implicit_priority_labels: false,
            members: vec![PoolGroupMember {
                pool_ref: name_ref(kind::POOL, &e.pool),
                ratio: Some(100),
                priority_label: None,
            }],
            created_by: Some(ctx.created_by.clone()),
            markers: l7_paths_markers(
                &ctx.cluster,
                plan.namespace,
                plan.host,
                plan.infra,
                [e.path.path.as_str()],
                [e.ingress.name.as_str()],
            ),
            uuid: None,
            url: None,
            last_modified: None,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The host's switching HTTPPolicySet `name`.
pub(crate) fn switching_set(ctx: &Context, name: String, plan: &HostPlan<'_>) -> HttpPolicySet {
    let entries: Vec<SwitchEntry<'_>> = plan
        .entries
        .iter()
        .map(|e| SwitchEntry {
            path: &e.path.path,
            path_type: e.path.path_type,
            pool_group: &e.pool,
            order: e.order,
        })
        .collect();
    let rules = switching_rules(&name, &entries);
    HttpPolicySet {
        tenant_ref: Some(ctx.tenant_ref.clone()),
        http_request_policy: HttpRequestPolicy { rules },
        created_by: Some(ctx.created_by.clone()),
        markers: l7_paths_markers(
            &ctx.cluster,
            plan.namespace,
            plan.host,
            plan.infra,
            plan.entries.iter().map(|e| e.path.path.as_str()),
            plan.entries.iter().map(|e| e.ingress.name.as_str()),
        ),
        name,
        uuid: None,
        url: None,
        last_modified: None,
    }
}

/// A redirect HTTPPolicySet: requests on port 80 for `hosts` go to HTTPS on 443 (302).
pub(crate) fn redirect_set(
    ctx: &Context,
    name: &str,
    hosts: Vec<String>,
    markers: Vec<crate::naming::Marker>,
) -> HttpPolicySet {
    HttpPolicySet {
        name: name.to_owned(),
        tenant_ref: Some(ctx.tenant_ref.clone()),
        http_request_policy: HttpRequestPolicy {
            rules: vec![HttpRequestRule {
                name: policy_rule_name(name, 0),
                index: 0,
                enable: true,
                match_: Some(MatchTarget {
                    host_hdr: Some(HostHdrMatch {
                        match_criteria: HDR_EQUALS.to_owned(),
                        value: hosts,
                    }),
                    vs_port: Some(PortMatch {
                        match_criteria: IS_IN.to_owned(),
                        ports: vec![80],
                    }),
                    path: None,
                }),
                switching_action: None,
                redirect_action: Some(HttpRedirectAction {
                    protocol: "HTTPS".to_owned(),
                    port: Some(443),
                    status_code: Some(HTTP_REDIRECT_STATUS_CODE_302.to_owned()),
                }),
            }],
        },
        created_by: Some(ctx.created_by.clone()),
        markers,
        uuid: None,
        url: None,
        last_modified: None,
    }
}

pub(crate) fn http_policies(sets: &[&str]) -> Vec<HttpPolicies> {
    sets.iter()
        .zip(FIRST_POLICY_INDEX..)
        .map(|(s, index)| HttpPolicies {
            index,
            http_policy_set_ref: name_ref(kind::HTTPPOLICYSET, s),
        })
        .collect()
}

/// A VirtualService with the fields every Ingress VS shares; the callers fill in the rest.
pub(crate) fn ingress_vs(ctx: &Context, name: &str, type_: &str, p: &Placement) -> VirtualService {
    VirtualService {
        name: name.to_owned(),
        type_: Some(type_.to_owned()),
        tenant_ref: Some(ctx.tenant_ref.clone()),
        cloud_ref: Some(ctx.cloud_ref.clone()),
        se_group_ref: Some(p.se_group_ref.clone()),
        vrf_context_ref: Some(ctx.vrf_ref.clone()),
        vh_parent_vs_ref: None,
        vh_domain_name: Vec::new(),
        vsvip_ref: None,
        application_profile_ref: None,
        network_profile_ref: Some(name_ref(kind::NETWORK_PROFILE, NETWORK_PROFILE)),
        ssl_profile_ref: None,
        ssl_key_and_certificate_refs: Vec::new(),
        services: Vec::new(),
        l4_policies: Vec::new(),
        vs_datascripts: Vec::new(),
        http_policies: Vec::new(),
        enable_rhi: None,
        created_by: Some(ctx.created_by.clone()),
        markers: Vec::new(),
        uuid: None,
        url: None,
        last_modified: None,
    }
}

pub(crate) fn port(port: i32, ssl: bool) -> VsService {
    VsService {
        port,
        port_range_end: Some(port),
        enable_ssl: Some(ssl),
        override_network_profile_ref: None,
    }
}

/// The objects of one host on a shared parent `parent`, added to `out`.
pub(crate) fn shard_host(
    ctx: &Context,
    snap: &Snapshot,
    p: &Placement,
    parent: &str,
    plan: &HostPlan<'_>,
    out: &mut HostObjects,
) {
    if !plan.served() {
        return;
    }
    out.pools.extend(pools(ctx, snap, p, plan));
    let (cluster, infra) = (&ctx.cluster, plan.infra);
    if plan.secret.is_none() {
        out.members.extend(plan.entries.iter().map(|e| PoolGroupMember {
            pool_ref: name_ref(kind::POOL, &e.pool),
            ratio: Some(100),
            priority_label: Some(priority_label(plan.host, &e.path.path)),
        }));
        return;
    }
    let child = cluster.l7_sni(infra, plan.host);
    out.certs.extend(certificate(ctx, child.clone(), plan));
    out.poolgroups.extend(entry_poolgroups(ctx, plan));
    let set = switching_set(
        ctx,
        cluster.l7_switching_set(infra, plan.namespace, plan.host),
        plan,
    );
    let mut vs = ingress_vs(ctx, &child, VS_TYPE_VH_CHILD, p);
    vs.vh_parent_vs_ref = Some(name_ref(kind::VIRTUALSERVICE, parent));
    vs.vh_domain_name = vec![plan.host.to_owned()];
    vs.application_profile_ref = Some(name_ref(kind::APPLICATION_PROFILE, APP_PROFILE_SECURE_HTTP));
    vs.ssl_profile_ref = Some(name_ref(kind::SSL_PROFILE, SSL_PROFILE));
    vs.ssl_key_and_certificate_refs = vec![name_ref(kind::SSLKEYANDCERTIFICATE, &child)];
    vs.http_policies = http_policies(&[&set.name]);
    vs.markers = l7_host_markers(cluster, plan.namespace, plan.host, infra);
    out.sets.push(set);
    out.children.push(vs);
}

/// The shared parent's own objects around the hosts' ones: `served` and `secure` are the
/// shard's served and secure hosts.
pub(crate) fn shared_parent(
    ctx: &Context,
    p: &Placement,
    name: &str,
    mut hosts: HostObjects,
    served: Vec<String>,
    secure: Vec<String>,
) -> AviObjects {
    hosts.members.sort_by(|a, b| a.pool_ref.cmp(&b.pool_ref));
    let markers = vsvip_markers(&ctx.cluster);
    let pg = PoolGroup {
        name: name.to_owned(),
        tenant_ref: Some(ctx.tenant_ref.clone()),
        cloud_ref: Some(ctx.cloud_ref.clone()),
        implicit_priority_labels: true,
        members: std::mem::take(&mut hosts.members),
        created_by: Some(ctx.created_by.clone()),
        markers: markers.clone(),
        uuid: None,
        url: None,
        last_modified: None,
    };
    let ds = VsDataScriptSet {
        name: name.to_owned(),
        tenant_ref: Some(ctx.tenant_ref.clone()),
        datascript: vec![VsDataScript {
            evt: DATASCRIPT_EVT_HTTP_REQ.to_owned(),
            script: DATASCRIPT.replace("{pg}", name),
        }],
        pool_group_refs: vec![name_ref(kind::POOLGROUP, name)],
        created_by: Some(ctx.created_by.clone()),
        markers: markers.clone(),
        uuid: None,
        url: None,
        last_modified: None,
    };
    let redirect = (!secure.is_empty()).then(|| redirect_set(ctx, name, secure, markers.clone()));
    let mut fqdns: Vec<String> = shared_fqdn(ctx, name).into_iter().collect();
    fqdns.extend(served);
    let vip = vsvip(ctx, name, p, None, fqdns);
    let mut vs = ingress_vs(ctx, name, VS_TYPE_VH_PARENT, p);
    vs.vsvip_ref = Some(name_ref(kind::VSVIP, name));
    vs.application_profile_ref = Some(name_ref(kind::APPLICATION_PROFILE, APP_PROFILE_HTTP));
    vs.ssl_profile_ref = Some(name_ref(kind::SSL_PROFILE, SSL_PROFILE));
    vs.ssl_key_and_certificate_refs = vec![name_ref(kind::SSLKEYANDCERTIFICATE, DEFAULT_CERTIFICATE)];
    vs.services = vec![port(80, false), port(443, true)];
    vs.vs_datascripts = vec![VsDataScripts {
        index: 0,
        vs_datascript_set_ref: name_ref(kind::VSDATASCRIPTSET, name),
    }];
    if let Some(r) = &redirect {
        vs.http_policies = http_policies(&[&r.name]);
    }
    vs.enable_rhi = p.rhi.then_some(true);
    vs.markers = markers;
    let mut avi = hosts.into_avi();
    avi.poolgroups.insert(0, pg);
    avi.vsdatascriptset = Some(ds);
    if let Some(r) = redirect {
        avi.httppolicysets.insert(0, r);
    }
    avi.vsvip = Some(vip);
    avi.virtualservice = Some(vs);
    avi
}

/// The parent's own DNS name: `<parent>.<tenant>.<domain>` (`--auto-fqdn default`) or
/// `<parent>-<tenant>.<domain>` (`flat`), when a domain is known.
fn shared_fqdn(ctx: &Context, parent: &str) -> Option<String> {
    let domain = ctx.domain.as_deref()?;
    match ctx.auto_fqdn {
        AutoFqdn::Default => Some(format!("{parent}.{}.{domain}", ctx.tenant)),
        AutoFqdn::Flat => Some(format!("{parent}-{}.{domain}", ctx.tenant)),
        AutoFqdn::Disabled => None,
    }
}
