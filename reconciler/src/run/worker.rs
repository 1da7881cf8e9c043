//! Workers: while this replica is active, take a key from a queue, reconcile it, count it, and
//! let the error policy decide when a failed key comes back. One loop serves every queue
//! (Avi keys: Gateways, LoadBalancer Services, Ingress keys; AviInfraSetting status checks;
//! Ingress status and events).

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use avigw_shared::translate::{Key, ObjectKind};
use tokio::sync::watch;

use super::Controller;
use super::error_policy::{Attempt, Failure, error_policy};
use super::queue::{Queue, QueueKey};
use super::state::{IngressName, SettingName};

/// One kind of work the controller does per key.
pub(super) trait Work<K: QueueKey>: Send + Sync + 'static {
    fn queue(&self) -> &Queue<K>;
    /// The `kind` label of the reconcile metrics.
    fn kind(key: &K) -> &'static str;
    /// False while the key cannot be judged yet; it is queued again when it can.
    fn can_judge(&self, _key: &K) -> bool {
        true
    }
    /// For a key that cannot be judged: when to look at it again, if nothing else will queue
    /// it then.
    fn judge_later(&self, _key: &K) -> Option<std::time::Duration> {
        None
    }
    fn run(&self, key: &K, attempt: Attempt) -> impl Future<Output = Result<(), Failure>> + Send;
}

pub(super) async fn worker<K: QueueKey>(c: Arc<Controller>, mut active: watch::Receiver<bool>)
where
    Controller: Work<K>,
{
    let queue = Work::<K>::queue(&*c);
    loop {
        c.update_queue_depth();
        if active.wait_for(|a| *a).await.is_err() {
            return;
        }
        let (key, since) = queue.next().await;
        if !*active.borrow() {
            // Lost the lease meanwhile: the next leader queues every key anyway.
            queue.done(&key, None);
            continue;
        }
        if !c.can_judge(&key) {
            match c.judge_later(&key) {
                Some(after) => queue.defer(&key, after),
                None => queue.done(&key, None),
            }
            continue;
        }
        let attempt = Attempt {
            since,
            failures: queue.failures(&key),
        };
        let started = Instant::now();
        let result = c.run(&key, attempt).await;
        let label = result.as_ref().err().map_or("success", Failure::label);
        c.metrics
            .observe_reconcile(<Controller as Work<K>>::kind(&key), label, started.elapsed());
        let retry = result.err().and_then(|f| error_policy(&f, attempt));
        if retry.is_some_and(|r| r.avi_unavailable) {
            c.avi_health.mark_unavailable();
        }
        queue.done(&key, retry);
    }
}

impl Controller {
    fn update_queue_depth(&self) {
        let depth = self.shared.keys.depth();
        self.metrics
            .queue_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }
}

impl Work<Key> for Controller {
    fn queue(&self) -> &Queue<Key> {
        &self.shared.keys
    }

    fn kind(key: &Key) -> &'static str {
        key.kind()
    }

    /// A Gateway key needs Gateways and GatewayClasses listed: while their CRDs are missing
    /// (or installed but not listed yet) a Gateway key, say from a labelled Service or from
    /// Avi, would read as "no such Gateway" and lose its Avi objects. The watch queues every
    /// key once they are listed. With Gateway support off nothing of a Gateway is ours, and
    /// its keys are judged so.
    fn can_judge(&self, key: &Key) -> bool {
        match key {
            Key::Gateway(_) => {
                !self.ctx.services_api
                    || (self.watches.synced(ObjectKind::Gateway)
                        && self.watches.synced(ObjectKind::GatewayClass))
            }
            Key::Service(_) => true,
            Key::L7(_) => self.ingress_watches_synced() && !self.secrets_pending(),
        }
    }

    fn judge_later(&self, key: &Key) -> Option<std::time::Duration> {
        matches!(key, Key::L7(_)).then_some(SECRETS_PENDING_RECHECK)
    }

    async fn run(&self, key: &Key, attempt: Attempt) -> Result<(), Failure> {
        let result = self.reconcile(key, attempt).await;
        self.count_managed_objects();
        result
    }
}

/// How soon an Ingress key held back by Secrets being read is looked at again.
const SECRETS_PENDING_RECHECK: std::time::Duration = std::time::Duration::from_millis(200);

impl Controller {
    /// A Secret our TLS entries name is being read: until it arrives its hosts would read as
    /// having no Secret (and lose their objects, and hear `SecretNotFound`).
    fn secrets_pending(&self) -> bool {
        !self.shared.secrets_wanted.lock().is_empty()
    }

    /// Ingresses, IngressClasses and Secrets listed: until then an Ingress key would read as
    /// having no hosts and lose its Avi objects. (networking.k8s.io/v1 is always served;
    /// AviInfraSettings are optional, as for Gateways.)
    fn ingress_watches_synced(&self) -> bool {
        [ObjectKind::Ingress, ObjectKind::IngressClass, ObjectKind::Secret]
            .into_iter()
            .all(|k| self.watches.synced(k))
    }
}

impl Work<IngressName> for Controller {
    fn queue(&self) -> &Queue<IngressName> {
        &self.shared.ingresses
    }

    /// Not an Avi sync: its status and events, labelled apart from the Ingress keys.
    fn kind(_: &IngressName) -> &'static str {
        "IngressStatus"
    }

    fn can_judge(&self, _: &IngressName) -> bool {
        self.ingress_watches_synced() && !self.secrets_pending()
    }

    fn judge_later(&self, _: &IngressName) -> Option<std::time::Duration> {
        Some(SECRETS_PENDING_RECHECK)
    }

    async fn run(&self, name: &IngressName, _: Attempt) -> Result<(), Failure> {
        let result = self.report_ingress(name).await;
        if let Err(e) = &result {
            tracing::warn!(ingress = %name.0, error = %e, "cannot write Ingress status");
        }
        result
    }
}

impl Work<SettingName> for Controller {
    fn queue(&self) -> &Queue<SettingName> {
        &self.shared.settings
    }

    fn kind(_: &SettingName) -> &'static str {
        ObjectKind::AviInfraSetting.as_str()
    }

    async fn run(&self, name: &SettingName, _: Attempt) -> Result<(), Failure> {
        let result = self.check_infra_setting(name).await;
        if let Err(e) = &result {
            tracing::warn!(setting = %name.0, error = %e, "cannot check or write AviInfraSetting status");
        }
        result
    }
}
