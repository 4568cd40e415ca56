//! Per-source pacing: a source's requests (retries included) are spaced by
//! its configured interval, so a refresh stays within what the provider
//! tolerates instead of relying on its 429s.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// At most one request per `min_interval` for one source (shared by its requests).
#[derive(Debug)]
pub struct RateLimiter {
    min_interval: Duration,
    last: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter whose first [`acquire`](Self::acquire) returns at once.
    pub fn new(min_interval: Duration) -> Self {
        Self {
            min_interval,
            last: Mutex::new(None),
        }
    }

    /// Waits until `min_interval` has passed since the previous acquire.
    /// Callers queue in order; dropping the future gives up the turn.
    pub async fn acquire(&self) {
        let mut last = self.last.lock().await;
        if let Some(next) = last.and_then(|previous| previous.checked_add(self.min_interval)) {
            tokio::time::sleep_until(next).await;
        }
        *last = Some(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn acquires_are_spaced_by_min_interval() {
        let limiter = RateLimiter::new(Duration::from_millis(100));

        limiter.acquire().await;
        let first = Instant::now();
        limiter.acquire().await;

        assert!(first.elapsed() >= Duration::from_millis(100));
    }
}
