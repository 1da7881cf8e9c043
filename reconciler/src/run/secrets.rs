//! Secrets our TLS entries newly name are read by GET (SPEC-ingress §4.4): the Secret watch
//! passes every Secret by, but the snapshot keeps only those named when they arrive, so one
//! named later would otherwise wait for its next change. Contents are never logged.

use std::sync::Arc;

use avigw_shared::translate::ObjKey;
use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client};
use tokio::sync::mpsc;

use super::state::Shared;
use crate::retry::Backoff;

/// Pacing of a read that failed (the apiserver unreachable, a 5xx), and how many reads before
/// giving up (about 20 s): Ingress keys wait while a read is pending, so a read that keeps
/// failing (say, RBAC without `get` on Secrets) must not hold them forever. Its hosts then
/// read as having no Secret until the watch delivers it.
const RETRY: Backoff = Backoff::new(
    std::time::Duration::from_millis(500),
    std::time::Duration::from_secs(5),
);
const ATTEMPTS: u32 = 8;

/// Reads each Secret sent on `rx` while the snapshot still wants it.
pub(super) async fn fetch_secrets(
    client: Client,
    shared: Arc<Shared>,
    mut rx: mpsc::UnboundedReceiver<ObjKey>,
) {
    while let Some(key) = rx.recv().await {
        tokio::spawn(fetch_one(client.clone(), shared.clone(), key));
    }
}

async fn fetch_one(client: Client, shared: Arc<Shared>, key: ObjKey) {
    let api: Api<Secret> = Api::namespaced(client, &key.namespace);
    for attempt in 0..ATTEMPTS {
        if !shared.secrets_wanted.lock().contains(&key) {
            return;
        }
        match api.get_opt(&key.name).await {
            Ok(Some(mut s)) => {
                s.metadata.managed_fields = None;
                shared.fetched(s);
                return;
            }
            // Not there: the watch delivers it when it is created.
            Ok(None) => break,
            Err(e) if attempt + 1 < ATTEMPTS => {
                let wait = RETRY.delay(attempt, None);
                tracing::warn!(secret = %key, error = %e, ?wait, "cannot read a TLS Secret; retrying");
                tokio::time::sleep(wait).await;
            }
            Err(e) => {
                tracing::warn!(secret = %key, error = %e, "cannot read a TLS Secret; its hosts wait for the watch");
            }
        }
    }
    shared.unwant(&key);
}
