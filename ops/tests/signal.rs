//! `shutdown_signal` resolves on SIGTERM. Its own test binary: the signal goes to the whole
//! process.

use std::time::Duration;

#[tokio::test]
async fn sigterm_resolves_the_shutdown_signal() {
    let signal = avigw_ops::shutdown_signal();
    tokio::pin!(signal);
    // The first poll installs the handlers; nothing has been sent yet.
    assert!(
        tokio::time::timeout(Duration::from_millis(100), &mut signal)
            .await
            .is_err(),
        "resolved before any signal"
    );
    // SAFETY: kill(2) on our own pid; tokio's handler is installed, so SIGTERM does not end
    // the process.
    assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGTERM) }, 0);
    tokio::time::timeout(Duration::from_secs(30), signal)
        .await
        .expect("SIGTERM did not resolve shutdown_signal");
}
