//! Watches (kube-runtime watchers) for every kind translation reads, feeding the shared
//! snapshot; each change queues the keys it affects. A relist drops objects that vanished
//! while the watch was down.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use avigw_shared::translate::{Affected, Object, ObjectKind};
use futures::StreamExt;
use kube::runtime::utils::ResetTimerBackoff;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::watch as tokio_watch;

use super::Shared;

/// Re-watch pacing: 0.5 s doubling to 5 s, with jitter, reset after a minute without errors.
/// client-go's (and kube-runtime's default) 0.8 s → 30 s spares a struggling apiserver from
/// many clients; one controller's seven watches are no such load, and after a network blip a
/// 30 s wait is 30 s of Gateways not being served.
fn backoff() -> ResetTimerBackoff<watcher::ExponentialBackoff> {
    let exp = backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(500))
        .with_max_delay(Duration::from_secs(5))
        .with_factor(2.0)
        .with_jitter()
        .without_max_times();
    ResetTimerBackoff::new(exp.into(), Duration::from_secs(60))
}

/// Spawns one watcher; `ready` turns true after its first full list.
pub fn spawn<K>(
    client: Client,
    kind: ObjectKind,
    wrap: fn(K) -> Object,
    shared: Arc<Shared>,
    ready: tokio_watch::Sender<bool>,
) -> tokio::task::JoinHandle<()>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default,
{
    tokio::spawn(async move {
        let api: Api<K> = Api::all(client);
        // managedFields are never read, and are a large share of each object in memory.
        let mut stream = watcher(api, watcher::Config::default())
            .backoff(backoff())
            .modify(|o: &mut K| o.meta_mut().managed_fields = None)
            .boxed();
        // Objects seen in the current relist, to drop the ones that are gone.
        let mut relist: Option<BTreeSet<(Option<String>, String)>> = None;
        let mut known: BTreeSet<(Option<String>, String)> = BTreeSet::new();
        while let Some(ev) = stream.next().await {
            let ev = match ev {
                Ok(ev) => ev,
                Err(e) => {
                    tracing::warn!(kind = kind.as_str(), error = %e, "watch error (retrying)");
                    continue;
                }
            };
            let affected = match ev {
                watcher::Event::Init => {
                    relist = Some(BTreeSet::new());
                    Affected::new()
                }
                watcher::Event::InitApply(o) => {
                    let id = (o.namespace(), o.name_any());
                    if let Some(r) = relist.as_mut() {
                        r.insert(id.clone());
                    }
                    known.insert(id);
                    shared.upsert(wrap(o))
                }
                watcher::Event::InitDone => {
                    let mut out = Affected::new();
                    if let Some(seen) = relist.take() {
                        let gone: Vec<_> = known.difference(&seen).cloned().collect();
                        for (ns, name) in gone {
                            known.remove(&(ns.clone(), name.clone()));
                            out.extend(shared.delete(kind, ns.as_deref(), &name));
                        }
                    }
                    let _ = ready.send(true);
                    out
                }
                watcher::Event::Apply(o) => {
                    known.insert((o.namespace(), o.name_any()));
                    shared.upsert(wrap(o))
                }
                watcher::Event::Delete(o) => {
                    let (ns, name) = (o.namespace(), o.name_any());
                    known.remove(&(ns.clone(), name.clone()));
                    shared.delete(kind, ns.as_deref(), &name)
                }
            };
            for k in affected {
                shared.queue.add(k);
            }
        }
    })
}
