//! Polling with a deadline, for conditions that settle asynchronously.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

/// Polls `check` every 200 ms until it returns `Some`, or fails after `timeout` naming `what`
/// and the last state seen.
pub async fn until<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(Option<T>, String)>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let (found, state) = check().await?;
        if let Some(v) = found {
            return Ok(v);
        }
        if Instant::now() > deadline {
            bail!(
                "timed out after {}s waiting for {what}; last seen: {state}",
                timeout.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
