//! A Gateway that passed the blocking rules → its VsVip, Pools, L4PolicySet and
//! VirtualService, its listeners' statuses and its backend Services' ingress hostnames.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::Judged;
use super::conditions::{listener_status, unscheduled};
use crate::api::{AKO_GROUP, AVI_INFRA_SETTING_KIND, GatewayClass};
use crate::naming::{check_avi_name, gateway_markers, gateway_pool_markers};
use crate::rules::{ServiceOwnership, service_ownership};
use crate::translate::context::Context;
use crate::translate::fqdn::{dedup, gateway_pool_fqdn};
use crate::translate::keys::ObjKey;
use crate::translate::namespace::check_synced;
use crate::translate::objects::{PoolSpec, PortEntry, VsSpec, build};
use crate::translate::placement::resolve;
use crate::translate::plan::{KeyPlan, Problem};
use crate::translate::proto::Proto;
use crate::translate::servers::servers;
use crate::translate::snapshot::Snapshot;
use crate::translate::status::*;
use crate::translate::views::{SvcPort, SvcView};

/// The AviInfraSetting a class names, or a note on why its parametersRef is ignored.
fn class_setting(class: &GatewayClass) -> (Option<&str>, Option<String>) {
    match &class.spec.parameters_ref {
        None => (None, None),
        Some(p) if p.group == AKO_GROUP && p.kind == AVI_INFRA_SETTING_KIND => (Some(p.name.as_str()), None),
        Some(p) => (
            None,
            Some(format!(
                "GatewayClass {:?} parametersRef (group {:?}, kind {:?}) is not an AviInfraSetting; ignored",
                class.metadata.name.as_deref().unwrap_or_default(),
                p.group,
                p.kind
            )),
        ),
    }
}

/// A backend Service port on a listener.
struct Backend<'a> {
    svc: &'a ObjKey,
    view: &'a SvcView,
    port: &'a SvcPort,
}

pub(super) fn translate_valid(
    ctx: &Context,
    snap: &Snapshot,
    key: &ObjKey,
    judged: Judged<'_>,
    mut plan: KeyPlan,
) -> KeyPlan {
    let Judged {
        gw,
        generation,
        class,
        violations,
    } = judged;
    let (gw_ns, gw_name) = (key.namespace.as_str(), key.name.as_str());
    let listeners = &gw.spec.listeners;
    // Listener-scoped protocol violations only drop that listener (SPEC §3).
    let l4: Vec<Option<Proto>> = listeners
        .iter()
        .enumerate()
        .map(|(i, l)| Proto::parse(&l.protocol).filter(|_| !violations.iter().any(|v| v.listener == Some(i))))
        .collect();
    if l4.iter().all(Option::is_none) {
        let msg = "no listener has protocol TCP, UDP or SCTP; avigw serves Layer 4 only";
        plan.gateway_status = Some(unscheduled(
            gw,
            generation,
            REASON_INVALID_LISTENER,
            msg,
            violations,
        ));
        return plan;
    }
    let vs_name = ctx.cluster.gateway_vs(gw_ns, gw_name);
    if let Err(e) = check_avi_name(&vs_name) {
        plan.problems.push(Problem {
            code: None,
            reason: REASON_NAME_TOO_LONG.to_owned(),
            message: e.to_string(),
        });
        plan.gateway_status = Some(unscheduled(
            gw,
            generation,
            REASON_NAME_TOO_LONG,
            &e.to_string(),
            violations,
        ));
        return plan;
    }
    let (setting, class_note) = class_setting(class);
    plan.notes.extend(class_note);
    let (placement, setting_note) = resolve(ctx, snap, setting);
    plan.notes.extend(setting_note);

    // Match every backend Service port to the listener with the same (protocol, port).
    let mut on_listener: Vec<Vec<Backend<'_>>> = (0..listeners.len()).map(|_| Vec::new()).collect();
    let mut unsupported: Vec<Vec<String>> = (0..listeners.len()).map(|_| Vec::new()).collect();
    for svc_key in snap.services_by_gateway.get(key).into_iter().flatten() {
        let Some(svc) = snap.services.get(svc_key) else {
            continue;
        };
        if svc.deleting {
            continue;
        }
        if service_ownership(&svc.raw, ctx.scope.default_lb_controller) != ServiceOwnership::GatewayBackend {
            plan.notes.push(format!(
                "Service {svc_key} is of type LoadBalancer: it gets its own virtual service and is not attached to the Gateway"
            ));
            continue;
        }
        if let Err(why) = check_synced(ctx, snap, &svc_key.namespace) {
            plan.notes
                .push(format!("Service {svc_key} is not attached: {why}"));
            continue;
        }
        for p in &svc.ports {
            let exact = listeners
                .iter()
                .enumerate()
                .find(|(i, l)| l4[*i].is_some() && l.protocol == p.protocol && l.port == p.port);
            if let Some((i, _)) = exact {
                on_listener[i].push(Backend {
                    svc: svc_key,
                    view: svc,
                    port: p,
                });
                continue;
            }
            let same_port: Vec<usize> = (0..listeners.len())
                .filter(|i| l4[*i].is_some() && listeners[*i].port == p.port)
                .collect();
            if same_port.is_empty() {
                plan.notes.push(format!(
                    "Service {svc_key} port {}/{} matches no listener; it gets no pool",
                    p.protocol, p.port
                ));
            }
            for i in same_port {
                unsupported[i].push(format!(
                    "Service {svc_key} port {}/{}: the listener on port {} is {}",
                    p.protocol, p.port, p.port, listeners[i].protocol
                ));
            }
        }
    }

    let preferred_vip: Option<IpAddr> = gw.spec.addresses.first().and_then(|a| a.value.parse().ok());
    let mut entries = Vec::new();
    let mut pools = Vec::new();
    let mut fqdns = Vec::new();
    let mut ingress: BTreeMap<ObjKey, Vec<String>> = BTreeMap::new();
    let mut listener_plans = Vec::with_capacity(listeners.len());
    for (i, l) in listeners.iter().enumerate() {
        let Some(proto) = l4[i] else {
            let msg = violations
                .iter()
                .filter(|v| v.listener == Some(i))
                .map(|v| v.to_string())
                .collect::<Vec<_>>();
            listener_plans.push(listener_status(
                l,
                vec![PlannedCondition::new(
                    COND_READY,
                    false,
                    REASON_INVALID_LISTENER,
                    msg.join("; "),
                )],
            ));
            continue;
        };
        entries.push(PortEntry { port: l.port, proto });
        let mut ready = PlannedCondition::new(
            COND_READY,
            false,
            REASON_PENDING,
            "waiting for the Avi virtual service",
        );
        let mut extra = Vec::new();
        match on_listener[i].as_slice() {
            [] => {
                ready.message = format!(
                    "waiting for the Avi virtual service; no backend Service has port {}/{} yet",
                    l.protocol, l.port
                );
            }
            [b] => {
                let (svc, port) = (b.view, b.port);
                let name = ctx
                    .cluster
                    .gateway_pool(gw_ns, &b.svc.name, gw_name, proto.as_str(), l.port);
                match check_avi_name(&name) {
                    Err(e) => {
                        ready = PlannedCondition::new(COND_READY, false, REASON_NAME_TOO_LONG, e.to_string());
                        plan.problems.push(Problem {
                            code: None,
                            reason: REASON_NAME_TOO_LONG.to_owned(),
                            message: e.to_string(),
                        });
                    }
                    Ok(()) => {
                        let fqdn =
                            gateway_pool_fqdn(ctx, l.hostname.as_deref(), &b.svc.name, &b.svc.namespace);
                        let hostnames = ingress.entry(b.svc.clone()).or_default();
                        if let Some(f) = fqdn {
                            hostnames.push(f.clone());
                            fqdns.push(f);
                        }
                        pools.push(PoolSpec {
                            servers: servers(ctx, snap, b.svc, svc, port),
                            markers: gateway_pool_markers(
                                &ctx.cluster,
                                gw_ns,
                                gw_name,
                                &b.svc.name,
                                l.port,
                                proto.as_str(),
                            ),
                            name,
                            proto,
                            port: l.port,
                        });
                    }
                }
            }
            many => {
                let names: Vec<String> = many.iter().map(|b| b.svc.to_string()).collect();
                let msg = format!(
                    "Services {} all have port {}/{}; a listener takes one backend Service: no pool until only one remains",
                    names.join(", "),
                    l.protocol,
                    l.port
                );
                ready = PlannedCondition::new(COND_READY, false, REASON_PORT_CONFLICT, msg.clone());
                extra.push(PlannedCondition::new(
                    COND_PORT_CONFLICT,
                    true,
                    REASON_PORT_CONFLICT,
                    msg,
                ));
            }
        }
        if !unsupported[i].is_empty() {
            extra.push(PlannedCondition::new(
                COND_UNSUPPORTED_PROTOCOL,
                true,
                REASON_UNSUPPORTED_PROTOCOL,
                unsupported[i].join("; "),
            ));
        }
        let mut conds = vec![ready];
        conds.extend(extra);
        listener_plans.push(listener_status(l, conds));
    }

    let pool_count = pools.len();
    let preferred_text = preferred_vip.map(|ip| ip.to_string());
    plan.service_ingress = ingress
        .into_iter()
        .map(|(svc, hostnames)| {
            let mut hostnames = dedup(hostnames);
            hostnames.sort();
            (
                svc,
                ServiceIngressPlan {
                    preferred_vip: preferred_text.clone(),
                    hostnames,
                },
            )
        })
        .collect();
    plan.avi = build(
        ctx,
        VsSpec {
            markers: gateway_markers(&ctx.cluster, gw_ns, gw_name),
            entries,
            pools,
            placement: &placement,
            preferred_vip,
            fqdns: dedup(fqdns),
            name: vs_name.clone(),
        },
    );
    plan.gateway_status = Some(GatewayStatusPlan {
        observed_generation: generation,
        conditions: vec![
            PlannedCondition::new(
                COND_SCHEDULED,
                true,
                REASON_SCHEDULED,
                format!("accepted by avigw: virtual service {vs_name} with {pool_count} pool(s)"),
            ),
            PlannedCondition::new(
                COND_READY,
                false,
                REASON_PENDING,
                format!("waiting for the Avi controller to place virtual service {vs_name}"),
            ),
        ],
        listeners: listener_plans,
    });
    plan
}
