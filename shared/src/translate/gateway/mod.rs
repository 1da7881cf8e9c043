//! One Gateway → one VsVip, a Pool per listener with exactly one backend port, one
//! L4PolicySet, one VirtualService, and the Gateway's status (SPEC §3, §4).
//!
//! This module judges the Gateway and decides whether it gets objects; `valid` builds the
//! objects and statuses of one that passed, `conditions` writes the status of one that did not.

mod conditions;
mod valid;

use super::context::Context;
use super::keys::{Key, ObjKey};
use super::namespace::check_synced;
use super::plan::{KeyPlan, Ownership, Problem};
use super::snapshot::Snapshot;
use super::status::*;
use crate::api::{CONTROLLER_NAME, Gateway, GatewayClass};
use crate::rules::{Change, ClassState, Review, Violation, default_gateway, judge};
use conditions::unscheduled;
use valid::translate_valid;

pub(crate) fn translate_gateway(ctx: &Context, snap: &Snapshot, key: &ObjKey) -> KeyPlan {
    let k = Key::Gateway(key.clone());
    let Some(raw) = snap.gateways.get(key) else {
        return KeyPlan::not_ours(k, "the Gateway no longer exists");
    };
    if !ctx.services_api {
        return KeyPlan::not_ours(k, "Gateway support is off (--services-api=false)");
    }
    if raw.metadata.deletion_timestamp.is_some() {
        return KeyPlan::not_ours(k, "the Gateway is being deleted");
    }
    if let Err(why) = check_synced(ctx, snap, &key.namespace) {
        return KeyPlan::not_ours(k, why);
    }
    // Judge and translate the object as the apiserver would store it with the webhook on.
    let gw = default_gateway(raw);
    let generation = raw.metadata.generation;
    let class_name = gw.spec.gateway_class_name.as_str();
    let class = snap.classes.get(class_name).map(|c| c.as_ref());
    let state = ClassState::of(class);
    let verdict = judge(&Review::Gateway(Change::create(&gw)), snap, &ctx.scope);
    let class = match (state, class) {
        (ClassState::Ours, Some(c)) => c,
        (ClassState::Foreign, Some(c)) => {
            let msg = format!(
                "GatewayClass {class_name:?} names controller {:?}, not {CONTROLLER_NAME}",
                c.spec.controller
            );
            let mut plan = KeyPlan::not_ours(k, msg.clone());
            plan.gateway_status = Some(unscheduled(
                &gw,
                generation,
                REASON_UNIDENTIFIED_CONTROLLER,
                &msg,
                &[],
            ));
            return plan;
        }
        _ => {
            let msg = verdict
                .warnings
                .first()
                .map(|w| w.to_string())
                .unwrap_or_else(|| format!("GatewayClass {class_name:?} not found"));
            let mut plan = KeyPlan::new(k, Ownership::Unclaimed);
            plan.gateway_status = Some(unscheduled(
                &gw,
                generation,
                REASON_INVALID_GATEWAY_CLASS,
                &msg,
                &[],
            ));
            plan.problems.push(Problem {
                code: verdict.warnings.first().map(|w| w.code.as_str().to_owned()),
                reason: REASON_INVALID_GATEWAY_CLASS.to_owned(),
                message: msg,
            });
            return plan;
        }
    };
    let mut plan = KeyPlan::new(k, Ownership::Ours);
    for v in &verdict.violations {
        plan.problems.push(Problem {
            code: Some(v.code.as_str().to_owned()),
            reason: v.code.gateway_reason().to_owned(),
            message: v.to_string(),
        });
    }
    let blocking: Vec<&Violation> = verdict
        .violations
        .iter()
        .filter(|v| v.code.blocks_whole_gateway())
        .collect();
    if let Some(first) = blocking.first() {
        let msg = blocking
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join("; ");
        plan.gateway_status = Some(unscheduled(
            &gw,
            generation,
            first.code.gateway_reason(),
            &msg,
            &verdict.violations,
        ));
        return plan;
    }
    let judged = Judged {
        gw: &gw,
        generation,
        class,
        violations: &verdict.violations,
    };
    translate_valid(ctx, snap, key, judged, plan)
}

/// A Gateway of ours that passed the blocking rules, with what judging it found.
struct Judged<'a> {
    gw: &'a Gateway,
    generation: Option<i64>,
    class: &'a GatewayClass,
    /// Only non-blocking ones (listener protocols) remain.
    violations: &'a [Violation],
}
