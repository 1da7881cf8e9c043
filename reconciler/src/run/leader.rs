//! Leader election with a coordination.k8s.io Lease: the holder renews every `renew`; another
//! replica takes the lease once `renewTime + duration` has passed. Writes use the Lease's
//! resourceVersion, so two candidates never both win.

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct LeaseSettings {
    pub name: String,
    pub namespace: String,
    pub identity: String,
    pub duration: Duration,
    pub renew: Duration,
}

/// The clock that stamps the Lease's times; tests shift it to play a node whose clock is off.
#[derive(Debug, Clone, Copy, Default)]
pub struct WallClock {
    pub offset: SignedDuration,
}

impl WallClock {
    fn now(self) -> Timestamp {
        let now = Timestamp::now();
        now.checked_add(self.offset).unwrap_or(now)
    }
}

/// A running election: publishes whether this replica holds the lease.
pub struct Elector {
    leading: watch::Receiver<bool>,
    pub(super) task: tokio::task::JoinHandle<()>,
}

impl Elector {
    pub fn spawn(client: Client, s: LeaseSettings, clock: WallClock) -> Elector {
        let (tx, leading) = watch::channel(false);
        let task = tokio::spawn(run(client, s, clock, tx));
        Elector { leading, task }
    }

    /// `true` while this replica holds the lease.
    pub fn leading(&self) -> watch::Receiver<bool> {
        self.leading.clone()
    }

    /// Stops at once, as a crash would: the lease is left to expire.
    pub fn abort(self) {
        self.task.abort();
    }
}

/// Runs the election forever, publishing `true` while this replica holds the lease.
async fn run(client: Client, s: LeaseSettings, clock: WallClock, tx: watch::Sender<bool>) {
    let api: Api<Lease> = Api::namespaced(client, &s.namespace);
    let mut renewed_at: Option<Instant> = None;
    loop {
        let attempt = Instant::now();
        let leading = match try_acquire(&api, &s, clock).await {
            Ok(true) => {
                renewed_at = Some(attempt);
                true
            }
            Ok(false) => {
                renewed_at = None;
                false
            }
            Err(e) => {
                let keep = keeps_leading(*tx.borrow(), renewed_at, &s);
                tracing::warn!(error = %e, still_leading = keep, "lease: cannot read or write the lease");
                keep
            }
        };
        if *tx.borrow() != leading {
            tracing::info!(identity = %s.identity, leading, "leadership changed");
            let _ = tx.send(leading);
        }
        // A leader renews every `renew`; a failed renewal, or a follower, tries again sooner.
        let wait = if leading && renewed_at == Some(attempt) {
            s.renew
        } else {
            s.renew.min(Duration::from_secs(2))
        };
        tokio::time::sleep(wait).await;
    }
}

/// Whether a leader whose renewal just failed keeps leading: yes until its renew deadline
/// (`duration - renew` after the last successful renewal, as client-go's renewDeadline), so a
/// single failed call does not stop every worker and force a full resync; the margin to the
/// lease's expiry covers the time the last renewal took.
fn keeps_leading(was_leading: bool, renewed_at: Option<Instant>, s: &LeaseSettings) -> bool {
    was_leading && renewed_at.is_some_and(|t| t.elapsed() < s.duration.saturating_sub(s.renew))
}

async fn try_acquire(api: &Api<Lease>, s: &LeaseSettings, clock: WallClock) -> Result<bool, kube::Error> {
    let now = clock.now();
    let secs = i32::try_from(s.duration.as_secs()).unwrap_or(15);
    match api.get_opt(&s.name).await? {
        None => {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(s.name.clone()),
                    ..Default::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(s.identity.clone()),
                    lease_duration_seconds: Some(secs),
                    acquire_time: Some(MicroTime(now)),
                    renew_time: Some(MicroTime(now)),
                    lease_transitions: Some(0),
                    ..Default::default()
                }),
            };
            match api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(true),
                Err(kube::Error::Api(e)) if e.code == 409 => Ok(false),
                Err(e) => Err(e),
            }
        }
        Some(mut lease) => {
            let spec = lease.spec.clone().unwrap_or_default();
            let mine = spec.holder_identity.as_deref() == Some(s.identity.as_str());
            let held_for = spec.lease_duration_seconds.map_or(s.duration, |d| {
                Duration::from_secs(u64::try_from(d).unwrap_or(15))
            });
            let expired = match &spec.renew_time {
                Some(MicroTime(t)) => now.duration_since(*t).as_secs_f64() > held_for.as_secs_f64(),
                None => true,
            };
            if !mine && !expired {
                return Ok(false);
            }
            let mut next = spec.clone();
            if !mine {
                next.holder_identity = Some(s.identity.clone());
                next.acquire_time = Some(MicroTime(now));
                next.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
            }
            next.renew_time = Some(MicroTime(now));
            next.lease_duration_seconds = Some(secs);
            lease.spec = Some(next);
            match api.replace(&s.name, &PostParams::default(), &lease).await {
                Ok(_) => Ok(true),
                Err(kube::Error::Api(e)) if e.code == 409 => Ok(false),
                Err(e) => Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(duration: u64, renew: u64) -> LeaseSettings {
        LeaseSettings {
            name: "l".into(),
            namespace: "ns".into(),
            identity: "me".into(),
            duration: Duration::from_secs(duration),
            renew: Duration::from_secs(renew),
        }
    }

    #[test]
    fn a_leader_rides_out_failures_until_its_renew_deadline() {
        let s = settings(15, 5);
        let just_now = Instant::now();
        assert!(keeps_leading(true, Some(just_now), &s));
        let Some(long_ago) = Instant::now().checked_sub(Duration::from_secs(11)) else {
            return;
        };
        assert!(!keeps_leading(true, Some(long_ago), &s), "past duration - renew");
        assert!(
            !keeps_leading(false, Some(just_now), &s),
            "a follower stays a follower"
        );
        assert!(!keeps_leading(true, None, &s), "never renewed");
    }
}
