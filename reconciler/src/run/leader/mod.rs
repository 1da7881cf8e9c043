//! Leader election on a coordination.k8s.io Lease, judged as client-go's leaderelection does:
//! each replica remembers the Lease record it last saw and when its own monotonic clock first
//! saw it, and takes the lease over only when that record has not changed for the lease's
//! duration. The Lease's timestamps come from the holder's clock and are never compared with
//! the local one, so clock skew between nodes does not decide leadership.
//!
//! Followers watch the one Lease, so a lease released on shutdown (no holder) is taken at
//! once. Every write carries the resourceVersion it was decided on, so two candidates never
//! both win.

mod record;
mod watch_one;

use std::time::{Duration, Instant};

use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{ObjectMeta, PostParams};
use kube::runtime::watcher;
use kube::{Api, Client};
use tokio::sync::watch;

use record::{Claim, Record, Sighting};
use watch_one::LeaseWatch;

#[derive(Debug, Clone)]
pub struct LeaseSettings {
    pub name: String,
    pub namespace: String,
    pub identity: String,
    pub duration: Duration,
    pub renew: Duration,
}

/// The clock that stamps the Lease's times, for people and tools to read; tests shift it to
/// play a node whose clock is off.
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

/// Longest wait between attempts while something is unknown or failing (no watch, a failed
/// call): a follower without a watch polls this often, a failed renewal is retried this soon.
const MAX_POLL: Duration = Duration::from_secs(2);

/// How long a graceful shutdown waits for the release write (well within the kubelet's
/// default 30 s grace period); past it, the lease is left to expire.
pub const RELEASE_WITHIN: Duration = Duration::from_secs(5);

/// A running election: publishes whether this replica holds the lease.
pub struct Elector {
    leading: watch::Receiver<bool>,
    stop: watch::Sender<bool>,
    pub(in crate::run) task: tokio::task::JoinHandle<()>,
}

impl Elector {
    pub fn spawn(client: Client, s: LeaseSettings, clock: WallClock) -> Elector {
        let (leading_tx, leading) = watch::channel(false);
        let (stop, stop_rx) = watch::channel(false);
        let campaign = Campaign {
            api: Api::namespaced(client, &s.namespace),
            s,
            clock,
            leading: leading_tx,
            known: None,
            seen: None,
            renewed_at: None,
            retry_at: None,
            attempted_at: Instant::now(),
        };
        let task = tokio::spawn(campaign.run(stop_rx));
        Elector { leading, stop, task }
    }

    /// `true` while this replica holds the lease.
    pub fn leading(&self) -> watch::Receiver<bool> {
        self.leading.clone()
    }

    /// Stops campaigning and, if this replica holds the lease, writes it free (no holder, 1 s
    /// duration, guarded by its resourceVersion) so that a follower takes it at once. Waits at
    /// most `within` (then the lease is left to expire); answers whether it finished.
    pub async fn release(mut self, within: Duration) -> bool {
        let _ = self.stop.send(true);
        match tokio::time::timeout(within, &mut self.task).await {
            Ok(_) => true,
            Err(_) => {
                tracing::warn!(?within, "lease: release unfinished; it expires on its own");
                self.task.abort();
                false
            }
        }
    }

    /// Stops at once, as a crash would: the lease is left to expire.
    pub fn abort(self) {
        self.task.abort();
    }
}

#[derive(Debug, thiserror::Error)]
enum ClaimError {
    #[error(transparent)]
    Kube(#[from] kube::Error),
    #[error("another replica wrote the lease first")]
    Conflict,
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

/// When to try to claim (or renew) next, and whether the watched Lease is recent enough to
/// write on without reading it first.
#[derive(Debug, Clone, Copy)]
struct Next {
    at: Instant,
    from_watch: bool,
}

enum Wake {
    Stop,
    Watched(Box<Option<Result<watcher::Event<Lease>, watcher::Error>>>),
    Attempt(bool),
}

struct Campaign {
    api: Api<Lease>,
    s: LeaseSettings,
    clock: WallClock,
    leading: watch::Sender<bool>,
    /// The Lease as last read, watched or written (`Some(None)`: there is none); its
    /// resourceVersion guards the next write. `None` after a conflict: read before writing.
    known: Option<Option<Lease>>,
    seen: Option<Sighting>,
    /// When the request of the last successful claim or renewal was sent.
    renewed_at: Option<Instant>,
    /// After a failed call: not before then.
    retry_at: Option<Instant>,
    /// When the last attempt began (polls are timed from it, not from the last wake-up).
    attempted_at: Instant,
}

impl Campaign {
    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut watch = LeaseWatch::new(&self.api, &self.s.name);
        let mut next = Next {
            at: Instant::now(),
            from_watch: false,
        };
        loop {
            let wake = tokio::select! {
                biased;
                // A dropped handle leaves the election running, as it leaves every other task.
                Ok(_) = stop.wait_for(|s| *s) => Wake::Stop,
                ev = watch.events.next() => Wake::Watched(Box::new(ev)),
                () = tokio::time::sleep_until(next.at.into()) => Wake::Attempt(next.from_watch),
            };
            match wake {
                Wake::Stop => break,
                Wake::Attempt(from_watch) => self.attempt(from_watch).await,
                Wake::Watched(ev) => {
                    if let Some(lease) = watch.saw(*ev) {
                        self.observe(lease);
                    }
                }
            }
            next = self.plan(watch.healthy());
        }
        self.release().await;
    }

    fn observe(&mut self, lease: Option<Lease>) {
        let record = lease.as_ref().map(|l| Record::of(l, self.s.duration));
        self.seen = Some(Sighting::see(self.seen.take(), record, Instant::now()));
        self.known = Some(lease);
    }

    fn is_leading(&self) -> bool {
        *self.leading.borrow()
    }

    fn plan(&self, watching: bool) -> Next {
        let now = Instant::now();
        let not_before = |t: Instant| self.retry_at.map_or(t, |r| t.max(r));
        let at = |at, from_watch| Next { at, from_watch };
        if self.is_leading() {
            // A write by anyone else: check at once whether this replica still leads.
            let taken = self.seen.as_ref().is_some_and(|s| !s.held_by(&self.s.identity));
            let renew_at = self.renewed_at.map_or(now, |t| t + self.s.renew);
            return at(not_before(if taken { now } else { renew_at }), false);
        }
        let Some(seen) = &self.seen else {
            return at(not_before(now), false);
        };
        match seen.claim(&self.s.identity, now) {
            Claim::Free => at(not_before(now), watching && self.known.is_some()),
            Claim::Expired => at(not_before(now), false),
            // Without a watch, poll for a release; with one, its events wake the loop.
            Claim::HeldUntil(t) if watching => at(t, false),
            Claim::HeldUntil(t) => at(t.min(self.attempted_at + self.s.renew.min(MAX_POLL)), false),
        }
    }

    /// One claim or renewal, and what it means for leadership.
    async fn attempt(&mut self, from_watch: bool) {
        let started = Instant::now();
        self.attempted_at = started;
        let was_leading = self.is_leading();
        // A leader must know by its renew deadline whether it still leads: a hung call must
        // not keep it leading after a follower may have taken over.
        let budget = if was_leading {
            self.renewed_at.map_or(Duration::ZERO, |t| {
                (t + record::renew_deadline(self.s.duration, self.s.renew)).saturating_duration_since(started)
            })
        } else {
            self.s.renew
        };
        let outcome = tokio::time::timeout(budget, self.claim(from_watch))
            .await
            .unwrap_or(Err(ClaimError::Timeout(budget)));
        self.retry_at = None;
        let leading = match outcome {
            Ok(true) => {
                self.renewed_at = Some(started);
                true
            }
            Ok(false) => false,
            // Lost a race for the lease; the winner's write is on its way.
            Err(ClaimError::Conflict) if !was_leading => false,
            Err(e) => {
                if !matches!(e, ClaimError::Conflict) {
                    self.retry_at = Some(Instant::now() + self.s.renew.min(MAX_POLL));
                }
                let keep = record::keeps_leading(was_leading, self.renewed_at, self.s.duration, self.s.renew);
                tracing::warn!(error = %e, still_leading = keep, "lease: cannot read or write the lease");
                keep
            }
        };
        if !leading {
            self.renewed_at = None;
        }
        self.publish(leading);
    }

    fn publish(&self, leading: bool) {
        if self.is_leading() != leading {
            tracing::info!(identity = %self.s.identity, leading, "leadership changed");
            let _ = self.leading.send(leading);
        }
    }

    /// Writes this replica in as the holder if the lease is free, expired or already its own;
    /// answers whether it now holds it.
    async fn claim(&mut self, from_watch: bool) -> Result<bool, ClaimError> {
        let current = match (&self.known, from_watch) {
            (Some(known), true) => known.clone(),
            _ => {
                let lease = self.api.get_opt(&self.s.name).await?;
                self.observe(lease.clone());
                lease
            }
        };
        let now = self.clock.now();
        let written = match current {
            None => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(self.s.name.clone()),
                        ..Default::default()
                    },
                    spec: Some(record::claimed(None, &self.s.identity, self.s.duration, now)),
                };
                self.api.create(&PostParams::default(), &lease).await
            }
            Some(mut lease) => {
                let claim = self
                    .seen
                    .as_ref()
                    .map_or(Claim::Free, |s| s.claim(&self.s.identity, Instant::now()));
                if let Claim::HeldUntil(_) = claim {
                    return Ok(false);
                }
                let spec = record::claimed(lease.spec.as_ref(), &self.s.identity, self.s.duration, now);
                lease.spec = Some(spec);
                self.api
                    .replace(&self.s.name, &PostParams::default(), &lease)
                    .await
            }
        };
        match written {
            Ok(lease) => {
                self.observe(Some(lease));
                Ok(true)
            }
            Err(kube::Error::Api(e)) if e.code == 409 => {
                self.known = None;
                Err(ClaimError::Conflict)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Hands the lease over if this replica holds it (by its latest sight of it).
    async fn release(&mut self) {
        self.publish(false);
        for _ in 0..2 {
            let lease = match self.known.clone() {
                Some(known) => known,
                None => match self.api.get_opt(&self.s.name).await {
                    Ok(lease) => {
                        self.observe(lease.clone());
                        lease
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "lease: cannot read it to release it; it expires on its own");
                        return;
                    }
                },
            };
            let Some(mut lease) = lease else { return };
            let Some(spec) = lease
                .spec
                .as_ref()
                .filter(|s| s.holder_identity.as_deref() == Some(self.s.identity.as_str()))
            else {
                return;
            };
            lease.spec = Some(record::released(spec, self.clock.now()));
            match self
                .api
                .replace(&self.s.name, &PostParams::default(), &lease)
                .await
            {
                Ok(_) => {
                    tracing::info!(identity = %self.s.identity, "lease released");
                    return;
                }
                // Written since this replica last saw it: read it again.
                Err(kube::Error::Api(e)) if e.code == 409 => self.known = None,
                Err(e) => {
                    tracing::warn!(error = %e, "lease: cannot release it; it expires on its own");
                    return;
                }
            }
        }
    }
}
