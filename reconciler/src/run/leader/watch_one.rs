//! The one Lease, watched: a kube-runtime watcher selecting it by name, so that a follower
//! sees a renewal or a release as it happens.

use futures::StreamExt;
use futures::stream::BoxStream;
use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use kube::runtime::{WatchStreamExt, watcher};

/// The one Lease, watched (a kube-runtime watcher selecting it by name).
pub struct LeaseWatch {
    pub events: BoxStream<'static, Result<watcher::Event<Lease>, watcher::Error>>,
    /// Whether events arrive (`None` before the first event or error); while not, followers
    /// poll.
    health: Option<bool>,
    relist_found: bool,
}

impl LeaseWatch {
    pub fn new(api: &Api<Lease>, name: &str) -> LeaseWatch {
        let by_name = watcher::Config::default().fields(&format!("metadata.name={name}"));
        LeaseWatch {
            // kube-runtime's default re-watch backoff: while the watch is down, followers poll.
            events: watcher(api.clone(), by_name).default_backoff().boxed(),
            health: None,
            relist_found: false,
        }
    }

    pub fn healthy(&self) -> bool {
        self.health == Some(true)
    }

    /// What an event shows of the Lease: `Some(None)` when there is none.
    pub fn saw(
        &mut self,
        ev: Option<Result<watcher::Event<Lease>, watcher::Error>>,
    ) -> Option<Option<Lease>> {
        let ev = match ev {
            Some(Ok(ev)) => ev,
            Some(Err(e)) => {
                if self.health != Some(false) {
                    tracing::warn!(error = %e, "lease: cannot watch it; polling until the watch works");
                }
                self.health = Some(false);
                return None;
            }
            None => {
                // A watcher never ends; should it, stop polling it.
                self.health = Some(false);
                self.events = futures::stream::pending().boxed();
                return None;
            }
        };
        match ev {
            // Sent before each list, also before one that fails: not yet a sign of health.
            watcher::Event::Init => {
                self.relist_found = false;
                return None;
            }
            _ => self.health = Some(true),
        }
        match ev {
            watcher::Event::Init => None,
            watcher::Event::InitApply(l) => {
                self.relist_found = true;
                Some(Some(l))
            }
            watcher::Event::InitDone if self.relist_found => None,
            watcher::Event::InitDone | watcher::Event::Delete(_) => Some(None),
            watcher::Event::Apply(l) => Some(Some(l)),
        }
    }
}
