//! The work queue, keyed by translation key: a burst of changes to one key is one entry; a key
//! being processed is never handed out again until `done` (changes meanwhile re-queue it once);
//! failed keys come back after a capped exponential backoff with jitter.

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
    /// Keys waiting out a backoff.
    delayed: usize,
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
    pub fn add(&self, key: Key) {
        let Ok(mut s) = self.state.lock() else { return };
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

    pub fn add_after(&self, key: Key, after: Duration) {
        if let Ok(mut s) = self.state.lock() {
            s.delayed += 1;
        }
        let q = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            if let Ok(mut s) = q.state.lock() {
                s.delayed = s.delayed.saturating_sub(1);
            }
            q.add(key);
        });
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

    /// Marks a key finished; `Ok` resets its backoff, `Err(delay)` re-queues it after `delay`.
    pub fn done(&self, key: &Key, retry_after: Option<Duration>) {
        let Ok(mut s) = self.state.lock() else { return };
        s.active.remove(key);
        match retry_after {
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
        } else if let Some(d) = retry_after {
            self.add_after(key.clone(), d);
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
            .map(|s| s.ready.len() + s.active.len() + s.delayed)
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

    #[test]
    fn backoff_is_capped() {
        let d = backoff(Duration::from_millis(100), Duration::from_secs(5), 30);
        assert!(d <= Duration::from_secs(5));
    }
}
