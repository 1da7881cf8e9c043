//! Namespace sync (SPEC §3): `--namespace-selector` and `--blocked-namespace`.

use super::context::Context;
use super::snapshot::Snapshot;
use crate::rules::ClusterView;

/// `Err(reason)` when objects of `namespace` must not be on Avi.
pub(crate) fn check_synced(ctx: &Context, snap: &Snapshot, namespace: &str) -> Result<(), String> {
    ctx.scope
        .namespace_sync(namespace, |label| snap.namespace_has_label(namespace, label))
        .map_err(|why| why.to_string())
}
