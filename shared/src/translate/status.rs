//! The Kubernetes status a translation implies (SPEC §4), as plain data: no timestamps, so it
//! is deterministic. [`render_gateway_status`] and [`render_ingress`] turn it into the API
//! types once the reconciler knows what Avi did.

use k8s_openapi::api::core::v1::LoadBalancerIngress;
use serde::Serialize;

use crate::api::{
    ADDRESS_TYPE_IP, AviInfraSetting, AviInfraSettingStatus, Condition, ConditionStatus, GatewayAddress,
    GatewayStatus, ListenerStatus,
};
use crate::rules::validate_infra_setting;

use super::status_memo::GatewayStatusMemo;

pub const COND_SCHEDULED: &str = "Scheduled";
pub const COND_READY: &str = "Ready";
pub const COND_PORT_CONFLICT: &str = "PortConflict";
pub const COND_UNSUPPORTED_PROTOCOL: &str = "UnsupportedProtocol";

pub const REASON_SCHEDULED: &str = "Scheduled";
pub const REASON_READY: &str = "Ready";
pub const REASON_PENDING: &str = "Pending";
pub const REASON_AVI_ERROR: &str = "AviError";
pub const REASON_INVALID_ADDRESS: &str = "InvalidAddress";
/// An Avi name the Gateway needs is held by another creator (SPEC §5).
pub const REASON_NAME_TAKEN: &str = "NameTaken";
pub const REASON_INVALID_GATEWAY_CLASS: &str = "InvalidGatewayClass";
pub const REASON_UNIDENTIFIED_CONTROLLER: &str = "UnidentifiedController";
pub const REASON_INVALID_LISTENER: &str = "InvalidListener";
pub const REASON_PORT_CONFLICT: &str = "PortConflict";
pub const REASON_UNSUPPORTED_PROTOCOL: &str = "UnsupportedProtocol";
/// An Avi name over 255 characters (decided here: SPEC §3 says only "an error on status").
pub const REASON_NAME_TOO_LONG: &str = "NameTooLong";

/// A condition without time: `{type, status, reason, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedCondition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: ConditionStatus,
    pub reason: String,
    pub message: String,
}

impl PlannedCondition {
    pub fn new(type_: &str, status: bool, reason: &str, message: impl Into<String>) -> Self {
        PlannedCondition {
            type_: type_.to_owned(),
            status: status.into(),
            reason: reason.to_owned(),
            message: message.into(),
        }
    }

    pub fn is_pending(&self) -> bool {
        self.status == ConditionStatus::False && self.reason == REASON_PENDING
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayStatusPlan {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    pub conditions: Vec<PlannedCondition>,
    pub listeners: Vec<ListenerStatusPlan>,
}

impl GatewayStatusPlan {
    pub fn condition(&self, type_: &str) -> Option<&PlannedCondition> {
        self.conditions.iter().find(|c| c.type_ == type_)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListenerStatusPlan {
    pub port: i32,
    pub protocol: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    pub conditions: Vec<PlannedCondition>,
}

impl ListenerStatusPlan {
    pub fn condition(&self, type_: &str) -> Option<&PlannedCondition> {
        self.conditions.iter().find(|c| c.type_ == type_)
    }
}

/// `status.loadBalancer.ingress` a Service gets from a key: the key's VIP (the preferred one
/// when known; otherwise Avi's) and one entry per hostname.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceIngressPlan {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_vip: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hostnames: Vec<String>,
}

/// What Avi did with a key's objects, as the reconciler learns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AviOutcome<'a> {
    /// Not synced yet.
    Pending,
    /// The virtual service exists and its VsVip holds this address.
    Placed { vip: &'a str },
    /// Avi refused with this message (SPEC §5: 400 other than a VIP change).
    AviError(&'a str),
    /// Avi refused a preferred-VIP change.
    InvalidAddress(&'a str),
    /// An Avi name the key needs belongs to another creator; the message names it.
    NameTaken(&'a str),
}

/// The Gateway status to write: the plan's conditions with `Pending` ones resolved by the
/// outcome, `lastTransitionTime` kept from `previous` where a condition's status did not change.
pub fn render_gateway_status(
    plan: &GatewayStatusPlan,
    outcome: AviOutcome<'_>,
    now: &str,
    previous: Option<&GatewayStatusMemo>,
) -> GatewayStatus {
    let scheduled = plan
        .condition(COND_SCHEDULED)
        .is_some_and(|c| c.status == ConditionStatus::True);
    let resolve = |c: &PlannedCondition, gateway_level: bool| -> PlannedCondition {
        if !c.is_pending() || !scheduled {
            return c.clone();
        }
        match outcome {
            AviOutcome::Pending => c.clone(),
            AviOutcome::Placed { vip } => PlannedCondition::new(
                &c.type_,
                true,
                REASON_READY,
                if gateway_level {
                    format!("the Avi virtual service is placed with VIP {vip}")
                } else {
                    "listening on the Avi virtual service".to_owned()
                },
            ),
            AviOutcome::AviError(m) if gateway_level => {
                PlannedCondition::new(&c.type_, false, REASON_AVI_ERROR, m)
            }
            AviOutcome::InvalidAddress(m) if gateway_level => {
                PlannedCondition::new(&c.type_, false, REASON_INVALID_ADDRESS, m)
            }
            AviOutcome::NameTaken(m) if gateway_level => {
                PlannedCondition::new(&c.type_, false, REASON_NAME_TAKEN, m)
            }
            _ => c.clone(),
        }
    };
    let stamp = |c: &PlannedCondition, listener: Option<(i32, &str)>| {
        let since = previous.and_then(|p| p.since(listener, &c.type_, c.status));
        Condition {
            type_: c.type_.clone(),
            status: c.status,
            observed_generation: plan.observed_generation,
            last_transition_time: since.unwrap_or(now).to_owned(),
            reason: c.reason.clone(),
            message: c.message.clone(),
        }
    };
    let conditions = plan
        .conditions
        .iter()
        .map(|c| stamp(&resolve(c, true), None))
        .collect();
    let listeners = plan
        .listeners
        .iter()
        .map(|l| ListenerStatus {
            port: l.port,
            protocol: l.protocol.clone(),
            hostname: l.hostname.clone(),
            conditions: l
                .conditions
                .iter()
                .map(|c| stamp(&resolve(c, false), Some((l.port, l.protocol.as_str()))))
                .collect(),
        })
        .collect();
    let addresses = match outcome {
        AviOutcome::Placed { vip } if scheduled => {
            vec![GatewayAddress {
                type_: Some(ADDRESS_TYPE_IP.to_owned()),
                value: vip.to_owned(),
            }]
        }
        _ => Vec::new(),
    };
    GatewayStatus {
        addresses,
        conditions,
        listeners,
    }
}

/// `status.loadBalancer.ingress` for a Service of a placed key.
pub fn render_ingress(plan: &ServiceIngressPlan, vip: &str) -> Vec<LoadBalancerIngress> {
    let entry = |hostname: Option<&String>| LoadBalancerIngress {
        ip: Some(vip.to_owned()),
        hostname: hostname.cloned(),
        ..Default::default()
    };
    if plan.hostnames.is_empty() {
        vec![entry(None)]
    } else {
        plan.hostnames.iter().map(Some).map(entry).collect()
    }
}

/// The status avigw gives an AviInfraSetting: `Accepted`, or `Rejected` with the rules' message.
pub fn infra_setting_status(ais: &AviInfraSetting) -> AviInfraSettingStatus {
    let v = validate_infra_setting(ais);
    if v.allowed() {
        AviInfraSettingStatus {
            status: Some("Accepted".to_owned()),
            error: None,
        }
    } else {
        let name = ais.metadata.name.as_deref().unwrap_or_default();
        AviInfraSettingStatus {
            status: Some("Rejected".to_owned()),
            error: Some(v.denial_message("AviInfraSetting", name)),
        }
    }
}
