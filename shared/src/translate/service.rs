//! One LoadBalancer Service of ours → one VsVip, a Pool per Service port, one L4PolicySet, one
//! VirtualService (SPEC §3).

use std::net::IpAddr;

use super::context::Context;
use super::fqdn::lb_fqdns;
use super::keys::{Key, ObjKey};
use super::namespace::check_synced;
use super::objects::{PoolSpec, PortEntry, VsSpec, build};
use super::placement::resolve;
use super::plan::{KeyPlan, Ownership, Problem};
use super::servers::servers;
use super::snapshot::Snapshot;
use super::status::{REASON_NAME_TOO_LONG, ServiceIngressPlan};
use crate::api::CONTROLLER_NAME;
use crate::naming::{check_avi_name, service_markers, service_pool_markers};
use crate::rules::{Change, Review, ServiceOwnership, judge, preferred_ip, service_ownership};

pub(crate) fn translate_service(ctx: &Context, snap: &Snapshot, key: &ObjKey) -> KeyPlan {
    let k = Key::Service(key.clone());
    let Some(svc) = snap.services.get(key) else {
        return KeyPlan::not_ours(k, "the Service no longer exists");
    };
    if svc.deleting {
        return KeyPlan::not_ours(k, "the Service is being deleted");
    }
    if service_ownership(&svc.raw, ctx.scope.default_lb_controller) != ServiceOwnership::LoadBalancer {
        let why = match svc.raw.spec.as_ref().and_then(|s| s.load_balancer_class.as_deref()) {
            _ if !svc.is_lb_type() => "not of type LoadBalancer".to_owned(),
            Some(class) => format!("loadBalancerClass {class:?} is not {CONTROLLER_NAME}"),
            None => "no loadBalancerClass and avigw is not the default LoadBalancer controller (--default-lb-controller=false)".to_owned(),
        };
        return KeyPlan::not_ours(k, why);
    }
    if let Err(why) = check_synced(ctx, snap, &key.namespace) {
        return KeyPlan::not_ours(k, why);
    }
    let mut plan = KeyPlan::new(k, Ownership::Ours);
    let verdict = judge(&Review::Service(Change::create(&svc.raw)), snap, &ctx.scope);
    plan.notes
        .extend(verdict.warnings.iter().map(|w| format!("{}: {w}", w.code)));
    for v in &verdict.violations {
        plan.problems.push(Problem {
            code: Some(v.code.as_str().to_owned()),
            reason: "Invalid".to_owned(),
            message: v.to_string(),
        });
    }
    if !plan.problems.is_empty() {
        return plan;
    }
    let vs_name = ctx.cluster.service_vs(&key.namespace, &key.name);
    let mut names = vec![vs_name.clone()];
    let mut entries = Vec::new();
    let mut pools = Vec::new();
    for p in &svc.ports {
        let Some(proto) = p.proto else {
            plan.notes.push(format!(
                "port {}/{}: protocol not served (TCP, UDP, SCTP only)",
                p.protocol, p.port
            ));
            continue;
        };
        entries.push(PortEntry { port: p.port, proto });
        let name = ctx
            .cluster
            .service_pool(&key.namespace, &key.name, proto.as_str(), p.port);
        names.push(name.clone());
        pools.push(PoolSpec {
            servers: servers(ctx, snap, key, svc, p),
            markers: service_pool_markers(&ctx.cluster, &key.namespace, &key.name, p.port),
            name,
            proto,
            port: p.port,
        });
    }
    for n in &names {
        if let Err(e) = check_avi_name(n) {
            plan.problems.push(Problem {
                code: None,
                reason: REASON_NAME_TOO_LONG.to_owned(),
                message: e.to_string(),
            });
        }
    }
    if !plan.problems.is_empty() {
        return plan;
    }
    if entries.is_empty() {
        plan.notes
            .push("the Service has no TCP, UDP or SCTP port; nothing to put on Avi".to_owned());
        return plan;
    }
    let (placement, note) = resolve(ctx, snap, svc.infra_setting.as_deref());
    plan.notes.extend(note);
    let preferred: Option<IpAddr> = preferred_ip(&svc.raw).and_then(|s| s.parse().ok());
    let fqdns = lb_fqdns(
        ctx,
        svc.raw.metadata.annotations.as_ref(),
        &key.name,
        &key.namespace,
    );
    plan.service_ingress.insert(
        key.clone(),
        ServiceIngressPlan {
            preferred_vip: preferred.map(|ip| ip.to_string()),
            hostnames: fqdns.clone(),
        },
    );
    plan.avi = build(
        ctx,
        VsSpec {
            name: vs_name,
            markers: service_markers(&ctx.cluster, &key.namespace, &key.name),
            entries,
            pools,
            placement: &placement,
            preferred_vip: preferred,
            fqdns,
        },
    );
    plan
}
