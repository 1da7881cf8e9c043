//! A work queue of keys (translation keys, AviInfraSetting names): a burst of changes to one
//! key is one entry; a key being processed is never handed out again until `done` (changes
//! meanwhile re-queue it once); failed keys come back after the delay the error policy chose
//! — or at once, for the keys that failed because Avi was unavailable, when Avi is reachable
//! again.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::Notify;

/// What a queue can hold.
pub trait QueueKey: Clone + Eq + Hash + Send + Sync + 'static {}
impl<T: Clone + Eq + Hash + Send + Sync + 'static> QueueKey for T {}

struct State<K> {
    ready: VecDeque<K>,
    queued: HashSet<K>,
    active: HashSet<K>,
    /// Changed while active: re-queue on `done`.
    dirty: HashSet<K>,
    /// When each key was first queued since it was last picked (for the sync-lag metric).
    since: HashMap<K, Instant>,
    /// Consecutive failures per key.
    failures: HashMap<K, u32>,
    /// Keys waiting out a backoff, with the token of their pending timer (a newer timer, a
    /// change or a wake-up supersedes an older one).
    delayed: HashMap<K, u64>,
    /// The delayed keys that failed because Avi was unavailable.
    waiting_for_avi: HashSet<K>,
    next_token: u64,
}

impl<K> Default for State<K> {
    fn default() -> Self {
        State {
            ready: VecDeque::new(),
            queued: HashSet::new(),
            active: HashSet::new(),
            dirty: HashSet::new(),
            since: HashMap::new(),
            failures: HashMap::new(),
            delayed: HashMap::new(),
            waiting_for_avi: HashSet::new(),
            next_token: 0,
        }
    }
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

pub struct Queue<K> {
    state: Arc<Mutex<State<K>>>,
    notify: Arc<Notify>,
}

impl<K> Clone for Queue<K> {
    fn clone(&self) -> Self {
        Queue {
            state: self.state.clone(),
            notify: self.notify.clone(),
        }
    }
}

impl<K> Default for Queue<K> {
    fn default() -> Self {
        Queue {
            state: Arc::default(),
            notify: Arc::default(),
        }
    }
}

impl<K: QueueKey> Queue<K> {
    /// Queues a key now; a pending backoff of it is superseded.
    pub fn add(&self, key: K) {
        let mut s = self.state.lock();
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

    fn add_after(&self, key: K, retry: Retry) {
        let token = {
            let mut s = self.state.lock();
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
            let current = q.state.lock().delayed.get(&key) == Some(&token);
            if current {
                q.add(key);
            }
        });
    }

    /// Queues now every key that is waiting out a backoff because Avi was unavailable;
    /// answers how many.
    pub fn wake_avi_waiters(&self) -> usize {
        let keys: Vec<K> = self.state.lock().waiting_for_avi.drain().collect();
        let n = keys.len();
        for k in keys {
            self.add(k);
        }
        n
    }

    /// Keys waiting out a backoff because Avi was unavailable.
    pub fn avi_waiters(&self) -> usize {
        self.state.lock().waiting_for_avi.len()
    }

    /// Waits for a key; returns it with the time it was first queued.
    pub async fn next(&self) -> (K, Instant) {
        loop {
            let notified = self.notify.notified();
            {
                let mut s = self.state.lock();
                if let Some(k) = s.ready.pop_front() {
                    s.queued.remove(&k);
                    s.active.insert(k.clone());
                    let since = s.since.remove(&k).unwrap_or_else(Instant::now);
                    if !s.ready.is_empty() {
                        self.notify.notify_one();
                    }
                    return (k, since);
                }
            }
            notified.await;
        }
    }

    /// Marks a key finished; `None` resets its failure count, a [`Retry`] counts a failure and
    /// re-queues the key later (a change that came meanwhile re-queues it now).
    pub fn done(&self, key: &K, retry: Option<Retry>) {
        let mut s = self.state.lock();
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

    /// Hands `key` back without a result: it is tried again after `after` (sooner if it
    /// changes), with no failure counted.
    pub fn defer(&self, key: &K, after: Duration) {
        let mut s = self.state.lock();
        s.active.remove(key);
        let dirty = s.dirty.remove(key);
        drop(s);
        if dirty {
            self.add(key.clone());
        } else {
            self.add_after(key.clone(), Retry::after(after));
        }
    }

    /// Consecutive failures of a key so far.
    pub fn failures(&self, key: &K) -> u32 {
        self.state.lock().failures.get(key).copied().unwrap_or(0)
    }

    pub fn depth(&self) -> usize {
        self.state.lock().ready.len()
    }

    /// Keys queued, in progress or waiting out a backoff (tests and benchmarks wait for
    /// this to reach zero).
    pub fn busy(&self) -> usize {
        let s = self.state.lock();
        s.ready.len() + s.active.len() + s.delayed.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use avigw_shared::translate::{Key, ObjKey};

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

    #[tokio::test]
    async fn failures_count_until_a_success() {
        let q = Queue::default();
        let k = "setting".to_owned();
        for n in 1..=3 {
            q.add(k.clone());
            let _ = q.next().await;
            q.done(&k, Some(Retry::after(Duration::ZERO)));
            assert_eq!(q.failures(&k), n);
        }
        q.add(k.clone());
        let _ = q.next().await;
        q.done(&k, None);
        assert_eq!(q.failures(&k), 0);
    }

    #[test]
    fn a_panic_while_holding_the_queue_loses_no_key() {
        let q = Queue::default();
        let state = q.state.clone();
        let _ = std::thread::spawn(move || {
            let _held = state.lock();
            panic!("a task panics while holding the queue");
        })
        .join();
        q.add(Key::Gateway(ObjKey::new("ns", "a")));
        assert_eq!(q.depth(), 1, "the key was dropped");
    }
}
