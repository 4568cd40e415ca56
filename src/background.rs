//! Background work on threads of its own, at a lower CPU priority than the
//! threads that answer calls.
//!
//! A large refresh (a million Comtrade HS6 lines) parses, stages and
//! reloads for seconds at full speed. On the blocking pool it would compete
//! as an equal with the runtime's workers, and queries answered meanwhile
//! would wait for a CPU. Its threads run at nice [`NICENESS`] instead: the
//! kernel lets a worker with a call to answer go first, and the refresh
//! takes every cycle the calls leave. On Linux the nice value is per thread;
//! elsewhere threads keep the process's priority.
//!
//! Each task gets a new, named thread (spawning one costs microseconds
//! against work that takes milliseconds to seconds), so a lowered priority
//! never leaks into a pooled thread that later runs something urgent.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

/// How much nicer than the rest of the process background threads are. At
/// nice 10 a thread gets ~10% of a CPU a busy nice-0 thread wants, so calls
/// go first, yet a refresh is not starved by other low-priority work (nice
/// 19 protected calls no better in bench/ingest, and made the refresh ~30%
/// slower next to a nice-19 build).
pub const NICENESS: i32 = 10;

#[derive(Debug, thiserror::Error)]
pub enum BackgroundError {
    #[error("could not start background thread {name}: {source}")]
    Spawn {
        name: String,
        source: std::io::Error,
    },
    #[error("background thread {0} stopped without finishing its work (it panicked)")]
    Stopped(String),
}

/// Work running on a background thread; await it for the result.
#[derive(Debug)]
pub struct BackgroundTask<T> {
    name: String,
    result: oneshot::Receiver<T>,
}

impl<T> Future for BackgroundTask<T> {
    type Output = Result<T, BackgroundError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.result)
            .poll(cx)
            .map_err(|_| BackgroundError::Stopped(self.name.clone()))
    }
}

/// Starts `work` on a new thread called `name`, at background priority.
pub fn spawn<T, F>(name: &str, work: F) -> Result<BackgroundTask<T>, BackgroundError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (sender, result) = oneshot::channel();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            lower_priority();
            // The receiver may be gone (its run was dropped); nothing to do then.
            let _ = sender.send(work());
        })
        .map_err(|source| BackgroundError::Spawn {
            name: name.to_owned(),
            source,
        })?;
    Ok(BackgroundTask {
        name: name.to_owned(),
        result,
    })
}

/// Runs `work` on a background thread and waits for it without blocking
/// the runtime.
pub async fn run<T, F>(name: &str, work: F) -> Result<T, BackgroundError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    spawn(name, work)?.await
}

/// Makes the calling thread yield to the process's others.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // `None` is the calling thread: Linux keeps the nice value per thread.
        // Failing to lower it (a seccomp profile, say) costs latency, not data.
        let niceness = rustix::process::getpriority_process(None).unwrap_or(0) + NICENESS;
        if let Err(error) = rustix::process::setpriority_process(None, niceness.min(19)) {
            tracing::debug!("could not lower a background thread's priority: {error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_a_named_thread_at_lower_priority() {
        let (name, niceness) = run("bg-test", || {
            let name = std::thread::current().name().map(str::to_owned);
            #[cfg(target_os = "linux")]
            let niceness = rustix::process::getpriority_process(None).ok();
            #[cfg(not(target_os = "linux"))]
            let niceness = None::<i32>;
            (name, niceness)
        })
        .await
        .expect("runs");
        assert_eq!(name.as_deref(), Some("bg-test"));
        #[cfg(target_os = "linux")]
        {
            let own = rustix::process::getpriority_process(None).expect("readable");
            assert_eq!(niceness, Some((own + NICENESS).min(19)));
        }
        #[cfg(not(target_os = "linux"))]
        let _ = niceness;
    }

    #[tokio::test]
    async fn a_panic_is_an_error_not_a_hang() {
        let result: Result<(), _> = run("bg-panic", || panic!("boom")).await;
        assert!(matches!(result, Err(BackgroundError::Stopped(name)) if name == "bg-panic"));
    }
}
