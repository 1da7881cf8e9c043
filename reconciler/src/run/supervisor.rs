//! Leadership drives the workers. Every replica lists the cluster first (then it is ready: a
//! follower's caches are warm). A replica that wins the lease loads what Avi holds,
//! garbage-collects what no key wants, queues every key, and only then lets the workers run;
//! it re-reads Avi every `resync` until it loses the lease.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use avigw_shared::translate::Key;
use backon::Retryable;
use tokio::sync::watch;

use super::Controller;
use super::cache::vs_name;
use super::sync::Syncer;
use crate::avi::AviError;
use crate::retry::Backoff;

/// Pacing of a start-up sync that cannot reach Avi.
const STARTUP_RETRY: Backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));

pub(super) async fn supervise(
    c: Arc<Controller>,
    mut leader: watch::Receiver<bool>,
    ready: Arc<AtomicBool>,
    active: watch::Sender<bool>,
) {
    if !c.watches.listed().await {
        tracing::error!("a watch ended before its first list");
        return;
    }
    ready.store(true, Ordering::Relaxed);
    tracing::info!("watches synced");
    loop {
        c.metrics.leader.set(0);
        active.send_replace(false);
        if leader.wait_for(|l| *l).await.is_err() {
            return;
        }
        c.metrics.leader.set(1);
        let synced = tokio::select! {
            () = c.startup_sync_retrying() => true,
            () = lost(&mut leader) => false,
        };
        if !synced {
            continue;
        }
        active.send_replace(true);
        c.shared.queue_every_setting();
        c.shared.queue_every_ingress();
        c.lead(&mut leader).await;
    }
}

/// Resolves once this replica no longer leads (or the election stopped).
async fn lost(leader: &mut watch::Receiver<bool>) {
    let _ = leader.wait_for(|l| !*l).await;
}

impl Controller {
    async fn startup_sync_retrying(&self) {
        let sync = move || self.startup_sync();
        let _ = sync
            .retry(STARTUP_RETRY.builder())
            .notify(|e: &AviError, wait: Duration| {
                tracing::warn!(error = %e, ?wait, "cannot load Avi state; retrying");
            })
            .await;
    }

    /// Leads until the lease is lost, re-reading Avi and re-checking every key each `resync`
    /// (which catches objects changed or deleted on the controller behind avigw's back).
    async fn lead(&self, leader: &mut watch::Receiver<bool>) {
        if self.resync.is_zero() {
            return lost(leader).await;
        }
        loop {
            tokio::select! {
                () = lost(leader) => return,
                () = tokio::time::sleep(self.resync) => {
                    tracing::info!("periodic resync");
                    if let Err(e) = self.startup_sync().await {
                        tracing::warn!(error = %e, "periodic resync failed");
                    }
                }
            }
        }
    }

    /// Loads what Avi holds, deletes VsVips no key claims, and queues every key: those of the
    /// cluster, and those only Avi knows (they translate to nothing, so their sync deletes
    /// them; a kept Ingress parent translates to itself).
    /// Objects of `adoptFrom` creators avigw has not taken over: left alone, never deleted.
    /// At the first start-up these include the ones about to be adopted; at a resync they are
    /// the ones avigw does not want.
    fn log_not_adopted(&self) {
        let rest = self.owners.not_adopted();
        if rest.is_empty() {
            return;
        }
        let names: Vec<String> = rest
            .iter()
            .take(50)
            .map(|(k, n, c)| format!("{k}/{n} ({c})"))
            .collect();
        tracing::info!(
            count = rest.len(),
            objects = %names.join(", "),
            "objects of adoptFrom creators not taken over: left alone (avigw adopts only names it wants)"
        );
    }

    async fn startup_sync(&self) -> Result<(), AviError> {
        let cluster = &self.ctx.cluster;
        self.cache.load(&self.avi, cluster, &self.ctx.tenant).await?;
        // Another creator's VsVip carries the same marker as ours: never ours to change.
        for vip in self.owners.load(&self.avi, &self.ctx.tenant).await? {
            self.cache.remove(avigw_shared::avi::kind::VSVIP, &vip);
        }
        self.log_not_adopted();
        let (keys, l7_keys, l7_orphans, mut names) = {
            let snap = self.shared.snap.read();
            let keys = snap.keys();
            let (l7_keys, l7_orphans, tops) = self.cache.l7(|i| {
                let (k, o) = i.keys_and_orphans(cluster, |infra, host| snap.l7_key(host, infra));
                let tops: BTreeSet<String> = i.top_names().map(str::to_owned).collect();
                (k, o, tops)
            });
            (keys, l7_keys, l7_orphans, tops)
        };
        names.extend(keys.iter().map(|k| vs_name(cluster, k)));
        let (owned_keys, orphan_vips) = self.cache.keys_and_orphans(cluster, names);
        let garbage: Vec<Key> = owned_keys
            .into_iter()
            .chain(l7_keys)
            .filter(|k| !keys.contains(k))
            .collect();
        tracing::info!(
            keys = keys.len(),
            garbage_keys = garbage.len(),
            orphan_vips = orphan_vips.len(),
            "start-up sync"
        );
        for k in garbage {
            self.shared.keys.add(k);
        }
        let syncer = Syncer {
            avi: &self.avi,
            cache: &self.cache,
            owners: &self.owners,
            cluster: &self.ctx.cluster,
            tenant: &self.ctx.tenant,
        };
        let l7_orphan_vips = l7_orphans
            .into_iter()
            .filter(|(k, _)| *k == avigw_shared::avi::kind::VSVIP)
            .map(|(_, n)| n);
        for v in orphan_vips.into_iter().chain(l7_orphan_vips) {
            syncer.delete_vsvip(&v).await?;
        }
        for k in keys {
            self.shared.keys.add(k);
        }
        Ok(())
    }
}
