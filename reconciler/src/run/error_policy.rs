//! Why a reconcile did not finish, and the one policy that decides when it is tried again
//! (SPEC §5): transient failures come back fast, refusals that need a change first come back
//! slowly, and a refused VIP waits for the key's spec to change.

use std::time::{Duration, Instant};

use super::queue::Retry;
use super::status::WriteError;
use crate::avi::AviError;
use crate::retry::Backoff;

/// Avi unavailable, races with other writers, Kubernetes write failures: these pass on their
/// own, soon.
pub const FAST: Backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(60));
/// Avi refused the request (a 400 that is not about the VIP, 403): it needs a change first,
/// but the controller's state may change too (an SE group created, an upgrade finished).
pub const SLOW: Backoff = Backoff::new(Duration::from_secs(30), Duration::from_secs(600));

/// Where a key is in its series of attempts.
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    /// When the key was first queued since it was last picked (for the sync-lag metric).
    pub since: Instant,
    /// Failures of the key in a row so far: 0 is the first try of a series (events are
    /// published then, not on every retry).
    pub failures: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Avi refused the key's preferred VIP (or has no free address): nothing is retried until
    /// the key's desired objects change. `repeated` when this refusal was already reported.
    #[error("{message}")]
    InvalidAddress { message: String, repeated: bool },
    #[error(transparent)]
    Avi(#[from] AviError),
    #[error(transparent)]
    Kube(#[from] WriteError),
}

impl Failure {
    /// The reason of the Warning event that reports it.
    pub fn reason(&self) -> &'static str {
        match self {
            Failure::InvalidAddress { .. } => "InvalidAddress",
            Failure::Avi(AviError::NameTaken { .. }) => "NameTaken",
            Failure::Avi(_) | Failure::Kube(_) => "AviError",
        }
    }

    /// The `result` label of `avigw_reconcile_total`.
    pub fn label(&self) -> &'static str {
        match self {
            Failure::InvalidAddress { .. } => "invalid",
            Failure::Avi(_) | Failure::Kube(_) => "error",
        }
    }
}

/// When to try a failed key again (`None`: not until it changes).
pub fn error_policy(failure: &Failure, attempt: Attempt) -> Option<Retry> {
    match failure {
        Failure::InvalidAddress { .. } => None,
        Failure::Kube(_) => Some(Retry::after(FAST.delay(attempt.failures, None))),
        Failure::Avi(e) => {
            let policy = if transient(e) { FAST } else { SLOW };
            Some(Retry {
                after: policy.delay(attempt.failures, e.retry_after()),
                // Avi did not answer, or answered 5xx/429: the key also waits for Avi to answer
                // again (the watchdog wakes it then).
                avi_unavailable: e.is_retryable(),
            })
        }
    }
}

/// Failures that pass without a change on either side: Avi unavailable (after the client's
/// own retries), auth after the client's one re-login, a 409 race, a stale 412, a 404 or
/// in-use answer from a concurrent writer, an answer that did not decode.
fn transient(e: &AviError) -> bool {
    e.is_retryable()
        || matches!(
            e,
            AviError::Auth { .. }
                | AviError::Conflict { .. }
                | AviError::PreconditionFailed { .. }
                | AviError::NotFound { .. }
                | AviError::InUse { .. }
                | AviError::Decode { .. }
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(failures: u32) -> Attempt {
        Attempt {
            since: Instant::now(),
            failures,
        }
    }

    fn avi(e: AviError) -> Failure {
        Failure::Avi(e)
    }

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn a_refused_vip_waits_for_a_change() {
        let f = Failure::InvalidAddress {
            message: "If a new preferred IP is needed, please recreate the VIP".into(),
            repeated: false,
        };
        assert_eq!(error_policy(&f, attempt(0)), None);
        assert_eq!(f.label(), "invalid");
    }

    #[test]
    fn unavailable_is_fast_and_waits_for_avi() {
        let f = avi(AviError::Unavailable {
            object: "pool".into(),
            status: 503,
            message: "down".into(),
            attempts: 6,
            retry_after: None,
        });
        let r = error_policy(&f, attempt(0)).unwrap();
        assert!(r.avi_unavailable);
        assert!(r.after <= Duration::from_millis(500), "{r:?}");
        let r = error_policy(&f, attempt(30)).unwrap();
        assert!(r.after >= s(30) && r.after <= s(60), "capped at a minute: {r:?}");
        assert_eq!(f.label(), "error");
    }

    #[test]
    fn a_429_retry_after_sets_the_requeue() {
        let f = avi(AviError::Unavailable {
            object: "pool".into(),
            status: 429,
            message: "slow down".into(),
            attempts: 6,
            retry_after: Some(s(20)),
        });
        assert_eq!(error_policy(&f, attempt(0)).unwrap().after, s(20));
    }

    #[test]
    fn races_are_fast_and_refusals_slow() {
        let conflict = avi(AviError::Conflict {
            object: "pool".into(),
            message: "exists".into(),
        });
        let r = error_policy(&conflict, attempt(0)).unwrap();
        assert!(
            !r.avi_unavailable && r.after <= Duration::from_millis(500),
            "{r:?}"
        );
        let bad = avi(AviError::BadRequest {
            object: "virtualservice".into(),
            message: "Invalid se_group_ref".into(),
        });
        let r = error_policy(&bad, attempt(0)).unwrap();
        assert!(
            !r.avi_unavailable && r.after >= s(15) && r.after <= s(30),
            "{r:?}"
        );
        let r = error_policy(&bad, attempt(10)).unwrap();
        assert!(
            r.after >= s(300) && r.after <= s(600),
            "capped at ten minutes: {r:?}"
        );
        let forbidden = avi(AviError::Forbidden {
            object: "pool".into(),
            message: "upgrade in progress".into(),
        });
        assert!(error_policy(&forbidden, attempt(0)).unwrap().after >= s(15));
    }

    /// Another creator's name waits for someone to act (adoptFrom, a rename): slow, and
    /// never the fast path of a 409 race.
    #[test]
    fn a_name_taken_by_another_creator_is_retried_slowly() {
        let f = avi(AviError::NameTaken {
            object: "virtualservice".into(),
            name: "demo--default-gw".into(),
            created_by: "ako-demo".into(),
        });
        let r = error_policy(&f, attempt(0)).unwrap();
        assert!(
            !r.avi_unavailable && r.after >= s(15) && r.after <= s(30),
            "{r:?}"
        );
        assert_eq!(f.label(), "error");
        assert_eq!(f.reason(), "NameTaken");
    }

    #[test]
    fn kubernetes_write_failures_are_fast() {
        let f = Failure::Kube(WriteError::Encode("patch".into()));
        let r = error_policy(&f, attempt(1)).unwrap();
        assert!(!r.avi_unavailable && r.after >= Duration::from_millis(500) && r.after <= s(1));
    }
}
