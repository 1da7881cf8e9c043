//! What the status writer needs of a Gateway's current status, kept instead of the status
//! itself: a digest, to tell whether a rendered status is already there, and since when each
//! condition holds (`lastTransitionTime` carries over while a condition's status stays).
//! Kept for every Gateway of the cluster, it holds no message or reason: those are only ever
//! compared, never read back.

use std::hash::{DefaultHasher, Hash, Hasher};

use crate::api::{ConditionStatus, GatewayStatus};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayStatusMemo {
    /// 64-bit SipHash of the whole status. Two different statuses of one Gateway digest alike
    /// with probability 2⁻⁶⁴; a status write would then be skipped until the next change.
    digest: u64,
    since: Box<[Since]>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Since {
    /// `None` for a Gateway-level condition; a listener's `(port, protocol)` otherwise.
    listener: Option<(i32, Box<str>)>,
    type_: Box<str>,
    status: ConditionStatus,
    at: Box<str>,
}

impl GatewayStatusMemo {
    pub fn of(status: &GatewayStatus) -> Self {
        let gateway = status.conditions.iter().map(|c| (None, c));
        let listeners = status.listeners.iter().flat_map(|l| {
            l.conditions
                .iter()
                .map(move |c| (Some((l.port, Box::from(l.protocol.as_str()))), c))
        });
        let since = gateway
            .chain(listeners)
            .map(|(listener, c)| Since {
                listener,
                type_: c.type_.as_str().into(),
                status: c.status,
                at: c.last_transition_time.as_str().into(),
            })
            .collect();
        GatewayStatusMemo {
            digest: digest(status),
            since,
        }
    }

    /// Whether `status` is the one this memo was taken of.
    pub fn matches(&self, status: &GatewayStatus) -> bool {
        self.digest == digest(status)
    }

    /// Since when a condition of the Gateway (`listener: None`) or of a listener has had this
    /// status, if it had it.
    pub fn since(&self, listener: Option<(i32, &str)>, type_: &str, status: ConditionStatus) -> Option<&str> {
        self.since
            .iter()
            .find(|s| {
                s.listener.as_ref().map(|(p, proto)| (*p, proto.as_ref())) == listener
                    && s.type_.as_ref() == type_
                    && s.status == status
            })
            .map(|s| s.at.as_ref())
    }
}

fn digest(status: &GatewayStatus) -> u64 {
    let mut h = DefaultHasher::new();
    status.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Condition, GatewayAddress, ListenerStatus};

    fn cond(type_: &str, status: ConditionStatus, at: &str, message: &str) -> Condition {
        Condition {
            type_: type_.into(),
            status,
            observed_generation: Some(1),
            last_transition_time: at.into(),
            reason: type_.into(),
            message: message.into(),
        }
    }

    fn status() -> GatewayStatus {
        GatewayStatus {
            addresses: vec![GatewayAddress {
                type_: Some("IPAddress".into()),
                value: "10.0.0.1".into(),
            }],
            conditions: vec![
                cond("Scheduled", ConditionStatus::True, "t1", "accepted"),
                cond("Ready", ConditionStatus::True, "t2", "placed"),
            ],
            listeners: vec![ListenerStatus {
                port: 80,
                protocol: "TCP".into(),
                hostname: None,
                conditions: vec![cond("Ready", ConditionStatus::False, "t3", "pending")],
            }],
        }
    }

    #[test]
    fn matches_the_status_it_was_taken_of_and_no_other() {
        let s = status();
        let memo = GatewayStatusMemo::of(&s);
        assert!(memo.matches(&s.clone()));
        let mut message = s.clone();
        message.listeners[0].conditions[0].message = "pending!".into();
        assert!(!memo.matches(&message));
        let mut address = s.clone();
        address.addresses.clear();
        assert!(!memo.matches(&address));
        let mut generation = s.clone();
        generation.conditions[1].observed_generation = Some(2);
        assert!(!memo.matches(&generation));
        let mut hostname = s;
        hostname.listeners[0].hostname = Some(String::new());
        assert!(!memo.matches(&hostname));
        assert!(!memo.matches(&GatewayStatus::default()));
    }

    #[test]
    fn since_finds_a_condition_by_where_it_is_its_type_and_its_status() {
        let memo = GatewayStatusMemo::of(&status());
        assert_eq!(memo.since(None, "Ready", ConditionStatus::True), Some("t2"));
        assert_eq!(memo.since(None, "Scheduled", ConditionStatus::True), Some("t1"));
        assert_eq!(
            memo.since(Some((80, "TCP")), "Ready", ConditionStatus::False),
            Some("t3")
        );
        assert_eq!(memo.since(None, "Ready", ConditionStatus::False), None);
        assert_eq!(
            memo.since(Some((80, "TCP")), "Ready", ConditionStatus::True),
            None
        );
        assert_eq!(
            memo.since(Some((80, "UDP")), "Ready", ConditionStatus::False),
            None
        );
        assert_eq!(
            memo.since(Some((81, "TCP")), "Ready", ConditionStatus::False),
            None
        );
        assert_eq!(
            memo.since(Some((80, "TCP")), "Scheduled", ConditionStatus::True),
            None
        );
    }
}
