//! Deadlines: [`TIMEOUT`] for anything a test awaits, and [`eventually`] for state that can only
//! be polled (HTTP, Redis). WebSocket state is awaited with [`crate::YClient`]'s notifications.

use std::future::Future;
use std::time::{Duration, Instant};

/// Default deadline for anything a test awaits.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// Polls `check` (every 25 ms) until it gives `Ok`, failing with `what` and the last `Err` after
/// `timeout`. For state that can only be observed by asking (HTTP, Redis); WebSocket state is
/// awaited with [`YClient`](crate::YClient)'s notifications instead.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    try_eventually(timeout, check).await.unwrap_or_else(|last| {
        panic!("timed out after {timeout:?} waiting for {what}; last seen: {last}")
    })
}

/// [`eventually`] that returns the last `Err` on timeout instead of panicking.
pub async fn try_eventually<T, F, Fut>(timeout: Duration, mut check: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match check().await {
            Ok(v) => return Ok(v),
            Err(last) => {
                if Instant::now() >= deadline {
                    return Err(last);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
