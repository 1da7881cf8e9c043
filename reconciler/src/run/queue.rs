//! The work queue, keyed by translation key: a burst of changes to one key is one entry; a key
//! being processed is never handed out again until `done` (changes meanwhile re-queue it once);
//! failed keys come back after a capped exponential backoff with jitter — or at once, for the
//! keys that failed because Avi was unavailable, when Avi is reachable again.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use avigw_shared::translate::Key;
use tokio::sync::Notify;

#[derive(Default)]
struct State {
    ready: VecDeque<Key>,
    queued: HashSet<Key>,
    active: HashSet<Key>,
    /// Changed while active: re-queue on `done`.
    dirty: HashSet<Key>,
    /// When each key was first queued since it was last picked (for the sync-lag metric).
    since: HashMap<Key, Instant>,
    /// Consecutive failures per key.
    failures: BTreeMap<Key, u32>,
    /// Keys waiting out a backoff, with the token of their pending timer (a newer timer, a
    /// change or a wake-up supersedes an older one).
    delayed: HashMap<Key, u64>,
    /// The delayed keys that failed because Avi was unavailable.
    waiting_for_avi: HashSet<Key>,
    next_token: u64,
}

/// Why and when a key must be tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub after: Duration,
    /// Failed because Avi was unavailable: [`Queue::wake_avi_waiters`] brings it back early.
    pub avi_unavailable: bool,
}

impl Retry {
    pub fn after(after: Duration) -> Self {
        Retry {
            after,
            avi_unavailable: false,
        }
    }
}

#[derive(Clone, Default)]
pub struct Queue {
    state: Arc<Mutex<State>>,
    notify: Arc<Notify>,
}

/// Backoff after `failures` consecutive failures: base·2ⁿ capped, with ±50 % jitter.
pub fn backoff(base: Duration, cap: Duration, failures: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << failures.min(16)).min(cap);
    let jitter: f64 = rand::random_range(0.5..1.5);
    exp.mul_f64(jitter).min(cap)
}

impl Queue {
    /// Queues a key now; a pending backoff of it is superseded.
    pub fn add(&self, key: Key) {
        let Ok(mut s) = self.state.lock() else { return };
        s.delayed.remove(&key);
        s.waiting_for_avi.remove(&key);
        s.since.entry(key.clone()).or_insert_with(Instant::now);
        if s.active.contains(&key) {
            s.dirty.insert(key);
            return;
        }
        if s.queued.insert(key.clone()) {
            s.ready.push_back(key);
            drop(s);
            self.notify.notify_one();
        }
    }

    pub fn add_after(&self, key: Key, retry: Retry) {
        let token = {
            let Ok(mut s) = self.state.lock() else { return };
            s.next_token += 1;
            let token = s.next_token;
            s.delayed.insert(key.clone(), token);
            if retry.avi_unavailable {
                s.waiting_for_avi.insert(key.clone());
            } else {
                s.waiting_for_avi.remove(&key);
            }
            token
        };
        let q = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(retry.after).await;
            let current = q
                .state
                .lock()
                .map(|s| s.delayed.get(&key) == Some(&token))
                .unwrap_or(false);
            if current {
                q.add(key);
            }
        });
    }

    /// Queues now every key that is waiting out a backoff because Avi was unavailable;
    /// answers how many.
    pub fn wake_avi_waiters(&self) -> usize {
        let keys: Vec<Key> = match self.state.lock() {
            Ok(mut s) => s.waiting_for_avi.drain().collect(),
            Err(_) => return 0,
        };
        let n = keys.len();
        for k in keys {
            self.add(k);
        }
        n
    }

    /// Keys waiting out a backoff because Avi was unavailable.
    pub fn avi_waiters(&self) -> usize {
        self.state.lock().map(|s| s.waiting_for_avi.len()).unwrap_or(0)
    }

    /// Waits for a key; returns it with the time it was first queued.
    pub async fn next(&self) -> (Key, Instant) {
        loop {
            let notified = self.notify.notified();
            if let Ok(mut s) = self.state.lock()
                && let Some(k) = s.ready.pop_front()
            {
                s.queued.remove(&k);
                s.active.insert(k.clone());
                let since = s.since.remove(&k).unwrap_or_else(Instant::now);
                if !s.ready.is_empty() {
                    self.notify.notify_one();
                }
                return (k, since);
            }
            notified.await;
        }
    }

    /// Marks a key finished; `None` resets its backoff, a [`Retry`] re-queues it later.
    pub fn done(&self, key: &Key, retry: Option<Retry>) {
        let Ok(mut s) = self.state.lock() else { return };
        s.active.remove(key);
        match retry {
            None => {
                s.failures.remove(key);
            }
            Some(_) => {
                *s.failures.entry(key.clone()).or_default() += 1;
            }
        }
        let dirty = s.dirty.remove(key);
        drop(s);
        if dirty {
            self.add(key.clone());
        } else if let Some(r) = retry {
            self.add_after(key.clone(), r);
        }
    }

    pub fn failures(&self, key: &Key) -> u32 {
        self.state
            .lock()
            .ok()
            .and_then(|s| s.failures.get(key).copied())
            .unwrap_or(0)
    }

    pub fn depth(&self) -> usize {
        self.state.lock().map(|s| s.ready.len()).unwrap_or(0)
    }

    /// Keys queued, in progress or waiting out a backoff (tests and benchmarks wait for
    /// this to reach zero).
    pub fn busy(&self) -> usize {
        self.state
            .lock()
            .map(|s| s.ready.len() + s.active.len() + s.delayed.len())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use avigw_shared::translate::ObjKey;

    #[tokio::test]
    async fn coalesces_and_never_hands_out_twice() {
        let q = Queue::default();
        let k = Key::Gateway(ObjKey::new("ns", "a"));
        q.add(k.clone());
        q.add(k.clone());
        assert_eq!(q.depth(), 1);
        let (got, _) = q.next().await;
        assert_eq!(got, k);
        q.add(k.clone());
        assert_eq!(q.depth(), 0, "active key is not handed out again");
        q.done(&k, None);
        assert_eq!(q.depth(), 1, "a change while active re-queues once");
    }

    #[tokio::test]
    async fn a_newer_timer_or_a_change_supersedes_a_backoff() {
        let q = Queue::default();
        let k = Key::Gateway(ObjKey::new("ns", "a"));
        q.add(k.clone());
        let _ = q.next().await;
        q.done(&k, Some(Retry::after(Duration::from_millis(30))));
        assert_eq!((q.depth(), q.busy()), (0, 1), "waiting out its backoff");
        // A change arrives: handed out now, and the old timer must not queue it again.
        q.add(k.clone());
        let _ = q.next().await;
        q.done(&k, None);
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!((q.depth(), q.busy()), (0, 0), "superseded timer did nothing");
    }

    #[tokio::test]
    async fn avi_waiters_wake_at_once_and_only_they() {
        let q = Queue::default();
        let avi = Key::Gateway(ObjKey::new("ns", "avi"));
        let other = Key::Gateway(ObjKey::new("ns", "k8s"));
        for k in [&avi, &other] {
            q.add(k.clone());
            let _ = q.next().await;
        }
        let long = Duration::from_secs(3600);
        q.done(
            &avi,
            Some(Retry {
                after: long,
                avi_unavailable: true,
            }),
        );
        q.done(&other, Some(Retry::after(long)));
        assert_eq!(q.avi_waiters(), 1);
        assert_eq!(q.wake_avi_waiters(), 1);
        assert_eq!(q.depth(), 1);
        let (got, _) = q.next().await;
        assert_eq!(got, avi);
        assert_eq!(q.avi_waiters(), 0);
        assert_eq!(q.busy(), 2, "the other key still waits out its backoff");
        assert_eq!(q.failures(&avi), 1, "the wake-up keeps the failure count");
    }

    #[test]
    fn backoff_is_capped() {
        let d = backoff(Duration::from_millis(100), Duration::from_secs(5), 30);
        assert!(d <= Duration::from_secs(5));
    }
}
