//! The status of a Gateway that gets no objects, and one listener's status entry.

use crate::api::{Gateway, Listener};
use crate::rules::Violation;
use crate::translate::status::*;

/// Scheduled=False (and Ready=False with the same reason) for a Gateway that gets no objects;
/// listeners named by a violation carry it, the others point at the Gateway's condition.
pub(super) fn unscheduled(
    gw: &Gateway,
    generation: Option<i64>,
    reason: &str,
    msg: &str,
    violations: &[Violation],
) -> GatewayStatusPlan {
    let listeners = gw
        .spec
        .listeners
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let own: Vec<String> = violations
                .iter()
                .filter(|v| v.listener == Some(i))
                .map(|v| v.to_string())
                .collect();
            let cond = match violations.iter().find(|v| v.listener == Some(i)) {
                Some(v) => PlannedCondition::new(COND_READY, false, v.code.gateway_reason(), own.join("; ")),
                None => PlannedCondition::new(
                    COND_READY,
                    false,
                    reason,
                    "the Gateway is not scheduled; see its Scheduled condition",
                ),
            };
            listener_status(l, vec![cond])
        })
        .collect();
    GatewayStatusPlan {
        observed_generation: generation,
        conditions: vec![
            PlannedCondition::new(COND_SCHEDULED, false, reason, msg),
            PlannedCondition::new(
                COND_READY,
                false,
                reason,
                "the Gateway is not scheduled; see its Scheduled condition",
            ),
        ],
        listeners,
    }
}

pub(super) fn listener_status(l: &Listener, conditions: Vec<PlannedCondition>) -> ListenerStatusPlan {
    ListenerStatusPlan {
        port: l.port,
        protocol: l.protocol.clone(),
        hostname: l.hostname.clone(),
        conditions,
    }
}
