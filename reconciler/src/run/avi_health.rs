//! Whether Avi is reachable. A key that fails because Avi did not answer (or answered 5xx/429)
//! marks it unavailable; meanwhile a watchdog probes Avi every second and, at the first answer,
//! queues every key that was waiting for it — instead of leaving each to its own backoff, which
//! after a long outage reaches a minute.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use super::Controller;

/// How often the watchdog probes Avi while it is unavailable.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub struct AviHealth {
    unavailable: AtomicBool,
    changed: Notify,
}

impl AviHealth {
    pub fn mark_unavailable(&self) {
        if !self.unavailable.swap(true, Ordering::SeqCst) {
            self.changed.notify_one();
        }
    }

    pub fn is_unavailable(&self) -> bool {
        self.unavailable.load(Ordering::SeqCst)
    }

    fn mark_available(&self) {
        self.unavailable.store(false, Ordering::SeqCst);
    }

    async fn wait_unavailable(&self) {
        loop {
            let notified = self.changed.notified();
            if self.is_unavailable() {
                return;
            }
            notified.await;
        }
    }
}

/// Probes Avi while it is marked unavailable; on an answer, wakes the keys waiting for it.
pub async fn watchdog(c: Arc<Controller>) {
    loop {
        c.metrics.avi_available.set(1);
        c.avi_health.wait_unavailable().await;
        c.metrics.avi_available.set(0);
        loop {
            tokio::time::sleep(PROBE_INTERVAL).await;
            match c.avi.license_tier().await {
                Ok(_) => break,
                Err(e) if e.is_retryable() => {
                    tracing::debug!(error = %e, "Avi still unavailable");
                }
                // It answered, if not kindly: reachable.
                Err(_) => break,
            }
        }
        c.avi_health.mark_available();
        let woken = c.shared.keys.wake_avi_waiters() + c.shared.settings.wake_avi_waiters();
        tracing::info!(
            keys = woken,
            "Avi answers again; retrying the keys that waited for it"
        );
    }
}
