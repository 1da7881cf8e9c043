//! Watches (kube-runtime watchers) for every kind translation reads, feeding the shared state;
//! a relist drops objects that vanished while the watch was down. Each watch reports how far it
//! got: a kind the apiserver does not serve (its CRD is not installed: most clusters have no
//! Gateway API v1alpha1 CRDs) is `Absent` — nothing to wait for, and re-checked by the watch's
//! own retries, so that Gateways are served as soon as their CRDs are installed.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use avigw_shared::api;
use avigw_shared::rules::ANNOTATION_DEFAULT_INGRESS_CLASS;
use avigw_shared::translate::{Object, ObjectKind};
use futures::StreamExt;
use kube::runtime::utils::ResetTimerBackoff;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::watch as tokio_watch;

use super::state::Shared;
use crate::retry::Backoff;

/// Re-watch pacing, reset after a minute without errors. client-go's (and kube-runtime's
/// default) 0.8 s → 30 s spares a struggling apiserver from many clients; one controller's
/// few watches are no such load, and after a network blip a 30 s wait is 30 s of Gateways not
/// being served. It is also how often an absent kind is looked for again.
const RECONNECT: Backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(5));

/// How far a watch has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchState {
    /// Its first list has not come yet.
    Listing,
    /// Listed: the snapshot holds every object of the kind.
    Synced,
    /// The apiserver does not serve the kind (404 on its list): it has no objects.
    Absent,
}

/// The watches' progress, by kind.
#[derive(Clone, Default)]
pub struct Watches(Vec<(ObjectKind, tokio_watch::Receiver<WatchState>)>);

impl Watches {
    /// Starts the watch of one kind.
    pub fn spawn<K>(
        &mut self,
        client: &Client,
        kind: ObjectKind,
        wrap: fn(K) -> Object,
        shared: &Arc<Shared>,
    ) -> tokio::task::JoinHandle<()>
    where
        K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
        K::DynamicType: Default,
    {
        self.spawn_after(client, kind, wrap, shared, None)
    }

    /// As [`Watches::spawn`], listing only once the watch of `after` (started before) has
    /// listed: Secrets after Ingresses, so that the first list of Secrets finds every
    /// reference of our TLS entries in the snapshot and none has to be read on its own.
    pub fn spawn_after<K>(
        &mut self,
        client: &Client,
        kind: ObjectKind,
        wrap: fn(K) -> Object,
        shared: &Arc<Shared>,
        after: Option<ObjectKind>,
    ) -> tokio::task::JoinHandle<()>
    where
        K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
        K::DynamicType: Default,
    {
        let first = after.and_then(|a| self.0.iter().find(|(k, _)| *k == a).map(|(_, rx)| rx.clone()));
        let (tx, rx) = tokio_watch::channel(WatchState::Listing);
        self.0.push((kind, rx));
        let (client, shared) = (client.clone(), shared.clone());
        tokio::spawn(async move {
            if let Some(mut first) = first {
                // Ended without listing: list anyway (readiness reports the other watch).
                let _ = first.wait_for(|s| *s != WatchState::Listing).await;
            }
            run::<K>(client, kind, wrap, shared, tx).await;
        })
    }

    /// Waits until every watch has listed its kind or found it absent; false when a watch
    /// ended first (it will never list).
    pub async fn listed(&self) -> bool {
        for (_, rx) in &self.0 {
            let mut rx = rx.clone();
            if rx.wait_for(|s| *s != WatchState::Listing).await.is_err() {
                return false;
            }
        }
        true
    }

    /// Whether the snapshot holds every object of `kind` (false for a kind not watched).
    pub fn synced(&self, kind: ObjectKind) -> bool {
        self.0
            .iter()
            .any(|(k, rx)| *k == kind && *rx.borrow() == WatchState::Synced)
    }
}

async fn run<K>(
    client: Client,
    kind: ObjectKind,
    wrap: fn(K) -> Object,
    shared: Arc<Shared>,
    state: tokio_watch::Sender<WatchState>,
) where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::all(client);
    let reconnect: watcher::ExponentialBackoff = RECONNECT.builder().into();
    let backoff = ResetTimerBackoff::new(reconnect, Duration::from_secs(60));
    let mut stream = watcher(api, watcher::Config::default())
        .backoff(backoff)
        .modify(trim::<K>)
        .boxed();
    // Objects seen in the current relist: what the snapshot holds of the kind and the relist
    // did not list is gone.
    let mut relist: Option<BTreeSet<(Option<String>, String)>> = None;
    let drop_gone = |seen: &BTreeSet<(Option<String>, String)>| {
        let held = shared.snap.read().names_of(kind);
        for (ns, name) in held.into_iter().filter(|id| !seen.contains(id)) {
            shared.deleted(kind, ns.as_deref(), &name);
        }
    };
    while let Some(ev) = stream.next().await {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) if not_served(&e) => {
                if *state.borrow() != WatchState::Absent {
                    tracing::info!(
                        kind = kind.as_str(),
                        "the apiserver does not serve this kind (CRD not installed?); serving without it and checking again every few seconds"
                    );
                    drop_gone(&BTreeSet::new());
                    state.send_replace(WatchState::Absent);
                }
                relist = None;
                continue;
            }
            Err(e) => {
                tracing::warn!(kind = kind.as_str(), error = %e, "watch error (retrying)");
                continue;
            }
        };
        match ev {
            watcher::Event::Init => relist = Some(BTreeSet::new()),
            watcher::Event::InitApply(o) => {
                if let Some(r) = relist.as_mut() {
                    r.insert((o.namespace(), o.name_any()));
                }
                shared.upserted(wrap(o));
            }
            watcher::Event::InitDone => {
                if let Some(seen) = relist.take() {
                    drop_gone(&seen);
                }
                let was = state.send_replace(WatchState::Synced);
                if was == WatchState::Absent {
                    // Keys of this kind were skipped while it was absent (its CRD installed
                    // since): look at every key again.
                    tracing::info!(kind = kind.as_str(), "the apiserver serves this kind now");
                    shared.queue_every_key();
                }
            }
            watcher::Event::Apply(o) => shared.upserted(wrap(o)),
            watcher::Event::Delete(o) => shared.deleted(kind, o.namespace().as_deref(), &o.name_any()),
        }
    }
}

/// The annotations translation reads (Services, Nodes, Pods, IngressClasses).
const READ_ANNOTATIONS: [&str; 7] = [
    api::ANNOTATION_LOAD_BALANCER_IP,
    api::ANNOTATION_INFRA_SETTING,
    api::ANNOTATION_EXTERNAL_DNS_HOSTNAME,
    api::ANNOTATION_NODE_PORT_LOCAL,
    api::ANNOTATION_CALICO_IPV4,
    api::ANNOTATION_ANTREA_TRANSPORT,
    ANNOTATION_DEFAULT_INGRESS_CLASS,
];

/// Drops what translation never reads before an object is kept: managedFields and every
/// other annotation (`kubectl.kubernetes.io/last-applied-configuration`, a second copy of the
/// object, above all). Both are a large share of each object in memory, and a change to them
/// alone is then no change.
fn trim<K: Resource>(o: &mut K) {
    let meta = o.meta_mut();
    meta.managed_fields = None;
    if let Some(a) = meta.annotations.as_mut() {
        a.retain(|k, _| READ_ANNOTATIONS.contains(&k.as_str()));
        if a.is_empty() {
            meta.annotations = None;
        }
    }
}

/// A list answered 404: the resource is not served (a missing CRD answers a bare "404 page not
/// found", which kube turns into a status with only the code).
fn not_served(e: &watcher::Error) -> bool {
    matches!(e, watcher::Error::InitialListFailed(kube::Error::Api(s)) if s.code == 404)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_watch_that_ends_before_listing_is_not_synced() {
        let mut w = Watches::default();
        let (listed_tx, listed) = tokio_watch::channel(WatchState::Listing);
        listed_tx.send_replace(WatchState::Synced);
        let (ended_tx, ended) = tokio_watch::channel(WatchState::Listing);
        drop(ended_tx);
        w.0.push((ObjectKind::Service, listed));
        w.0.push((ObjectKind::Gateway, ended));
        assert!(!w.listed().await, "an ended watch counted as synced");
    }

    #[tokio::test]
    async fn an_absent_kind_is_listed_but_not_synced() {
        let mut w = Watches::default();
        let (svc_tx, svc) = tokio_watch::channel(WatchState::Listing);
        let (gw_tx, gw) = tokio_watch::channel(WatchState::Listing);
        w.0.push((ObjectKind::Service, svc));
        w.0.push((ObjectKind::Gateway, gw));
        svc_tx.send_replace(WatchState::Synced);
        gw_tx.send_replace(WatchState::Absent);
        assert!(w.listed().await);
        assert!(w.synced(ObjectKind::Service));
        assert!(!w.synced(ObjectKind::Gateway));
        assert!(!w.synced(ObjectKind::Node), "not watched");
    }

    #[test]
    fn only_the_annotations_translation_reads_are_kept() {
        use k8s_openapi::api::core::v1::Service;
        let mut svc: Service = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "s", "namespace": "ns",
                "managedFields": [{"manager": "kubectl", "operation": "Apply"}],
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"kind\":\"Service\"}",
                    "ako.vmware.com/load-balancer-ip": "10.50.0.9",
                    "external-dns.alpha.kubernetes.io/hostname": "a.example.com",
                    "team": "blue"}}}))
        .unwrap();
        trim(&mut svc);
        let kept: Vec<&str> = svc
            .metadata
            .annotations
            .as_ref()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            kept,
            [
                "ako.vmware.com/load-balancer-ip",
                "external-dns.alpha.kubernetes.io/hostname"
            ]
        );
        assert!(svc.metadata.managed_fields.is_none());
        let mut bare: Service = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "s", "annotations": {"team": "blue"}}}))
        .unwrap();
        trim(&mut bare);
        assert!(bare.metadata.annotations.is_none());
    }

    /// Every annotation `shared` names is one it reads: a new one must be kept here too.
    #[test]
    fn every_annotation_shared_names_is_kept() {
        let sources = [
            include_str!("../../../shared/src/api/mod.rs"),
            include_str!("../../../shared/src/rules/ingress_parse.rs"),
        ];
        let mut named = 0;
        for line in sources.iter().flat_map(|s| s.lines()) {
            let Some(rest) = line.trim().strip_prefix("pub const ANNOTATION_") else {
                continue;
            };
            let value = rest.split('"').nth(1).unwrap();
            assert!(
                READ_ANNOTATIONS.contains(&value),
                "{value} is dropped from watched objects"
            );
            named += 1;
        }
        assert_eq!(named, READ_ANNOTATIONS.len());
    }
}
