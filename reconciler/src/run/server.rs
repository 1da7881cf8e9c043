//! Plain-HTTP `/metrics`, `/healthz`, `/readyz` (SPEC §8), served by `avigw-ops`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::metrics::Metrics;

/// What the reconciler reports on its ops port.
struct RunProbes {
    metrics: Metrics,
    ready: Arc<AtomicBool>,
}

impl avigw_ops::Probes for RunProbes {
    fn metrics(&self) -> String {
        self.metrics.render()
    }

    /// Ready once every watch has listed its objects (followers too: their caches are warm).
    fn readiness(&self) -> Result<(), String> {
        if self.ready.load(Ordering::Relaxed) {
            Ok(())
        } else {
            Err("watches not synced".into())
        }
    }
}

/// Binds and serves for the life of the returned task; answers the bound address (port 0
/// picks one).
pub async fn serve(
    addr: SocketAddr,
    metrics: Metrics,
    ready: Arc<AtomicBool>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let server = avigw_ops::serve(addr, Arc::new(RunProbes { metrics, ready })).await?;
    Ok((server.local_addr(), server.into_task()))
}
