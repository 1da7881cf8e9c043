//! Namespace sync (SPEC §3): `--namespace-selector` and `--blocked-namespace`.

use super::context::Context;
use super::snapshot::Snapshot;

/// `Err(reason)` when objects of `namespace` must not be on Avi.
pub(crate) fn check_synced(ctx: &Context, snap: &Snapshot, namespace: &str) -> Result<(), String> {
    if ctx.blocked_namespaces.contains(namespace) {
        return Err(format!(
            "namespace {namespace:?} is blocked (--blocked-namespace)"
        ));
    }
    if let Some(sel) = &ctx.namespace_selector {
        let labelled = snap
            .namespaces
            .get(namespace)
            .is_some_and(|n| n.labels.get(&sel.key) == Some(&sel.value));
        if !labelled {
            return Err(format!(
                "namespace {namespace:?} does not carry the label {}={} (--namespace-selector)",
                sel.key, sel.value
            ));
        }
    }
    Ok(())
}
