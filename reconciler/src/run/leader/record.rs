//! What the election decides from, without I/O: the Lease record a replica last saw, when its
//! own monotonic clock first saw it, and the specs it writes.

use std::time::{Duration, Instant};

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;

/// How long a released lease says it holds: electors that judge expiry by `renewTime +
/// leaseDurationSeconds` (earlier avigw releases, in a rollout next to this one) take it a
/// second later; this one takes a lease with no holder at once.
const RELEASED_SECONDS: i32 = 1;

/// The parts of a Lease whose change shows that its holder is alive. Any write changes the
/// resourceVersion, so a holder that renews within the same microsecond still counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// `None` when released (client-go writes an empty string).
    pub holder: Option<String>,
    renew_time: Option<Timestamp>,
    /// The holder's promise: `leaseDurationSeconds`, else this replica's own setting.
    pub duration: Duration,
    resource_version: Option<String>,
}

impl Record {
    pub fn of(lease: &Lease, fallback: Duration) -> Record {
        let spec = lease.spec.as_ref();
        Record {
            holder: spec
                .and_then(|s| s.holder_identity.clone())
                .filter(|h| !h.is_empty()),
            renew_time: spec.and_then(|s| s.renew_time.as_ref()).map(|t| t.0),
            duration: spec
                .and_then(|s| s.lease_duration_seconds)
                .and_then(|d| u64::try_from(d).ok())
                .filter(|d| *d > 0)
                .map_or(fallback, Duration::from_secs),
            resource_version: lease.metadata.resource_version.clone(),
        }
    }
}

/// Whether this replica may write itself in as the holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// No Lease, no holder, or this replica already holds it.
    Free,
    /// Another holder has not changed the lease for its duration.
    Expired,
    /// Another holder, alive by this replica's clock until the instant given.
    HeldUntil(Instant),
}

/// The last record seen (`None`: no Lease) and when this replica first saw it.
#[derive(Debug, Clone)]
pub struct Sighting {
    pub record: Option<Record>,
    since: Instant,
}

impl Sighting {
    /// Notes a record seen at `now`: the clock restarts only when the record changed.
    pub fn see(prev: Option<Sighting>, record: Option<Record>, now: Instant) -> Sighting {
        match prev {
            Some(p) if p.record == record => p,
            _ => Sighting { record, since: now },
        }
    }

    pub fn held_by(&self, identity: &str) -> bool {
        self.holder() == Some(identity)
    }

    fn holder(&self) -> Option<&str> {
        self.record.as_ref().and_then(|r| r.holder.as_deref())
    }

    /// Judged on this replica's clock only: the Lease's timestamps come from the holder's.
    pub fn claim(&self, identity: &str, now: Instant) -> Claim {
        let Some(r) = &self.record else {
            return Claim::Free;
        };
        match r.holder.as_deref() {
            None => Claim::Free,
            Some(h) if h == identity => Claim::Free,
            Some(_) => {
                let until = self.since + r.duration;
                if now >= until {
                    Claim::Expired
                } else {
                    Claim::HeldUntil(until)
                }
            }
        }
    }
}

/// Whether a leader whose renewal just failed keeps leading: yes until its renew deadline
/// (`duration - renew` after the last successful renewal, as client-go's renewDeadline), so a
/// single failed call does not stop every worker and force a full resync. Renewals are timed
/// from when their request was sent, and followers from when they saw the write, so the
/// margin to the lease's expiry on their clocks covers the time the last renewal took.
pub fn keeps_leading(
    was_leading: bool,
    renewed_at: Option<Instant>,
    duration: Duration,
    renew: Duration,
) -> bool {
    was_leading && renewed_at.is_some_and(|t| t.elapsed() < renew_deadline(duration, renew))
}

pub fn renew_deadline(duration: Duration, renew: Duration) -> Duration {
    duration.saturating_sub(renew)
}

pub fn lease_seconds(duration: Duration) -> i32 {
    i32::try_from(duration.as_secs()).unwrap_or(i32::MAX)
}

/// The spec that makes `identity` the holder: a renewal keeps `acquireTime` and the
/// transition count, a takeover restarts the one and adds to the other.
pub fn claimed(prev: Option<&LeaseSpec>, identity: &str, duration: Duration, now: Timestamp) -> LeaseSpec {
    let renewal = prev.is_some_and(|p| p.holder_identity.as_deref() == Some(identity));
    let transitions = prev.and_then(|p| p.lease_transitions).unwrap_or(0);
    LeaseSpec {
        holder_identity: Some(identity.to_owned()),
        lease_duration_seconds: Some(lease_seconds(duration)),
        acquire_time: match prev {
            Some(p) if renewal => p.acquire_time.clone(),
            _ => Some(MicroTime(now)),
        },
        renew_time: Some(MicroTime(now)),
        lease_transitions: Some(match prev {
            None => 0,
            Some(_) if renewal => transitions,
            Some(_) => transitions.saturating_add(1),
        }),
        ..prev.cloned().unwrap_or_default()
    }
}

/// The spec that hands the lease over at once (client-go's ReleaseOnCancel): no holder, a
/// one-second duration, the transition count kept for the next holder to add to.
pub fn released(prev: &LeaseSpec, now: Timestamp) -> LeaseSpec {
    LeaseSpec {
        holder_identity: None,
        lease_duration_seconds: Some(RELEASED_SECONDS),
        acquire_time: Some(MicroTime(now)),
        renew_time: Some(MicroTime(now)),
        lease_transitions: prev.lease_transitions,
        ..prev.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::api::ObjectMeta;

    const D: Duration = Duration::from_secs(15);

    fn lease(holder: Option<&str>, renew_secs: i64, rv: &str) -> Lease {
        Lease {
            metadata: ObjectMeta {
                name: Some("l".into()),
                resource_version: Some(rv.into()),
                ..Default::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: holder.map(str::to_owned),
                lease_duration_seconds: Some(15),
                renew_time: Some(MicroTime(Timestamp::from_second(renew_secs).expect("timestamp"))),
                ..Default::default()
            }),
        }
    }

    fn seen(l: Option<&Lease>, prev: Option<Sighting>, at: Instant) -> Sighting {
        Sighting::see(prev, l.map(|l| Record::of(l, D)), at)
    }

    #[test]
    fn expiry_counts_from_the_first_local_sight_of_a_record() {
        let t0 = Instant::now();
        let s = seen(Some(&lease(Some("a"), 1_000, "1")), None, t0);
        assert_eq!(s.claim("me", t0), Claim::HeldUntil(t0 + D));
        assert_eq!(
            s.claim("me", t0 + D - Duration::from_millis(1)),
            Claim::HeldUntil(t0 + D)
        );
        assert_eq!(s.claim("me", t0 + D), Claim::Expired);
        // Seeing the same record again does not restart the clock …
        let later = t0 + Duration::from_secs(10);
        let s = seen(Some(&lease(Some("a"), 1_000, "1")), Some(s), later);
        assert_eq!(s.claim("me", t0 + D), Claim::Expired);
        // … a renewal does, whatever time it carries: a renewTime far in the past (a holder
        // whose clock is behind) or in the future (ahead) changes nothing.
        for renew in [1_000 - 3_600, 1_000 + 3_600] {
            let r = seen(Some(&lease(Some("a"), renew, "2")), Some(s.clone()), later);
            assert_eq!(r.claim("me", t0 + D), Claim::HeldUntil(later + D));
        }
        // A write that keeps renewTime still shows the holder alive (resourceVersion).
        let r = seen(Some(&lease(Some("a"), 1_000, "3")), Some(s), later);
        assert_eq!(r.claim("me", later), Claim::HeldUntil(later + D));
    }

    #[test]
    fn free_when_absent_released_or_already_ours() {
        let t0 = Instant::now();
        assert_eq!(seen(None, None, t0).claim("me", t0), Claim::Free);
        for holder in [None, Some(""), Some("me")] {
            let s = seen(Some(&lease(holder, 1, "1")), None, t0);
            assert_eq!(s.claim("me", t0), Claim::Free, "holder {holder:?}");
        }
        let s = seen(Some(&lease(Some("other"), 1, "1")), None, t0);
        assert!(s.held_by("other") && !s.held_by("me"));
    }

    #[test]
    fn the_holders_duration_counts_else_ours() {
        let t0 = Instant::now();
        let mut l = lease(Some("a"), 1, "1");
        if let Some(s) = l.spec.as_mut() {
            s.lease_duration_seconds = Some(40);
        }
        let s = seen(Some(&l), None, t0);
        assert_eq!(s.claim("me", t0), Claim::HeldUntil(t0 + Duration::from_secs(40)));
        for bad in [None, Some(0), Some(-5)] {
            if let Some(s) = l.spec.as_mut() {
                s.lease_duration_seconds = bad;
            }
            let s = seen(Some(&l), None, t0);
            assert_eq!(s.claim("me", t0), Claim::HeldUntil(t0 + D), "{bad:?}");
        }
    }

    #[test]
    fn a_leader_rides_out_failures_until_its_renew_deadline() {
        let (d, r) = (Duration::from_secs(15), Duration::from_secs(5));
        let just_now = Instant::now();
        assert!(keeps_leading(true, Some(just_now), d, r));
        let Some(long_ago) = Instant::now().checked_sub(Duration::from_secs(11)) else {
            return;
        };
        assert!(
            !keeps_leading(true, Some(long_ago), d, r),
            "past duration - renew"
        );
        assert!(
            !keeps_leading(false, Some(just_now), d, r),
            "a follower stays a follower"
        );
        assert!(!keeps_leading(true, None, d, r), "never renewed");
    }

    #[test]
    fn claim_renew_and_release_specs() {
        let t = |s| Timestamp::from_second(s).expect("timestamp");
        let first = claimed(None, "a", D, t(10));
        assert_eq!(first.holder_identity.as_deref(), Some("a"));
        assert_eq!(first.lease_duration_seconds, Some(15));
        assert_eq!(first.lease_transitions, Some(0));
        assert_eq!(first.acquire_time, Some(MicroTime(t(10))));

        let renewed = claimed(Some(&first), "a", D, t(15));
        assert_eq!(renewed.acquire_time, Some(MicroTime(t(10))));
        assert_eq!(renewed.renew_time, Some(MicroTime(t(15))));
        assert_eq!(renewed.lease_transitions, Some(0));

        let taken = claimed(Some(&renewed), "b", D, t(40));
        assert_eq!(taken.holder_identity.as_deref(), Some("b"));
        assert_eq!(taken.acquire_time, Some(MicroTime(t(40))));
        assert_eq!(taken.lease_transitions, Some(1));

        let free = released(&taken, t(50));
        assert_eq!(free.holder_identity, None);
        assert_eq!(free.lease_duration_seconds, Some(1));
        assert_eq!(free.renew_time, Some(MicroTime(t(50))));
        assert_eq!(free.lease_transitions, Some(1));
        let again = claimed(Some(&free), "a", D, t(51));
        assert_eq!(again.lease_transitions, Some(2));
        assert_eq!(again.lease_duration_seconds, Some(15));
    }
}
