//! The webhook's reflectors, for kinds that may not be installed. Most clusters run
//! LoadBalancer Services only, without the Gateway CRDs: a reflector for a kind the apiserver
//! does not serve would never sync, and the webhook, with `failurePolicy: Fail`, would refuse
//! every Service write while it waits. So each kind is looked up in API discovery first
//! (built-in kinds are served at once): absent, it counts as synced with no objects, and
//! discovery is asked again every [`DISCOVERY_INTERVAL`]; once served, its reflector starts
//! and stays.

use std::fmt::Debug;
use std::time::Duration;

use futures::StreamExt;
use kube::runtime::reflector::{Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::watch;

/// How often discovery is asked whether a missing kind has been installed. Installing a CRD is
/// rare; a few seconds after it, objects of the new kind are judged with what the webhook
/// knows of them.
pub const DISCOVERY_INTERVAL: Duration = Duration::from_secs(10);

/// Whether the apiserver serves resources of kind `K`: `Ok(false)` when its group version or
/// the resource in it is unknown (404 or not listed).
pub async fn is_served<K>(client: &Client) -> Result<bool, kube::Error>
where
    K: Resource<DynamicType = ()>,
{
    let api_version = K::api_version(&());
    let plural = K::plural(&());
    let listed = if K::group(&()).is_empty() {
        client.list_core_api_resources(&api_version).await
    } else {
        client.list_api_group_resources(&api_version).await
    };
    match listed {
        Ok(list) => Ok(list.resources.iter().any(|r| r.name == plural)),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(false),
        Err(e) => Err(e),
    }
}

/// The annotation `kubectl apply` writes: a copy of the object, which no rule reads.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Drops what no rule reads and what dominates an object's size in memory: managed fields and
/// kubectl's last-applied copy.
pub fn trim<K: Resource>(obj: &mut K) {
    let meta = obj.meta_mut();
    meta.managed_fields = None;
    if let Some(a) = meta.annotations.as_mut() {
        a.remove(LAST_APPLIED);
    }
}

/// A task that fills `writer` from a watch of every `K` once the kind is served (objects
/// [`trim`]med), passes each watch event to `on_event` after the store has it, and sends `true`
/// on `settled` when the kind is known to be absent or its store has synced.
pub async fn watch_when_installed<K, F>(
    client: Client,
    writer: Writer<K>,
    store: Store<K>,
    settled: watch::Sender<bool>,
    interval: Duration,
    mut on_event: F,
) where
    K: Resource<DynamicType = ()> + Clone + Debug + DeserializeOwned + Send + Sync + 'static,
    F: FnMut(&watcher::Event<K>) + Send,
{
    let kind = K::kind(&());
    let api_version = K::api_version(&());
    let mut reported_absent = false;
    loop {
        match is_served::<K>(&client).await {
            Ok(true) => break,
            Ok(false) => {
                if !reported_absent {
                    tracing::info!(
                        %kind, %api_version,
                        "kind not installed: counted as synced with no objects; checking discovery every {}s",
                        interval.as_secs()
                    );
                    reported_absent = true;
                }
                settled.send_replace(true);
            }
            Err(e) => tracing::warn!(%kind, error = %e, "API discovery failed; retrying"),
        }
        tokio::time::sleep(interval).await;
    }
    tracing::info!(%kind, %api_version, "kind installed: watching it");
    let stream = watcher(Api::<K>::all(client), watcher::Config::default())
        .default_backoff()
        .modify(trim)
        .reflect(writer)
        .for_each(|event| {
            match &event {
                Ok(event) => on_event(event),
                Err(e) => tracing::warn!(%kind, error = %e, "watch failed; retrying with backoff"),
            }
            async {}
        });
    let synced = async {
        if store.wait_until_ready().await.is_ok() {
            tracing::info!(%kind, "cache synced");
            settled.send_replace(true);
        }
    };
    tokio::join!(stream, synced);
}
