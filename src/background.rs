//! Background work on threads of its own, in the kernel's idle scheduling
//! class (`SCHED_IDLE`), so the threads that answer calls always go first.
//!
//! What runs here is the bulk of a large refresh that only makes data
//! later: parsing Comtrade answers (`comtrade-parse`, `comtrade-page`) and
//! IMF answers (`imf-parse`: the whole partner matrix under `--reporters
//! all`), and staging HS6 product lines (`product-staging`), seconds of CPU
//! for a million lines. On the blocking pool that work would compete as an equal
//! with the runtime's workers, and even at nice 10 it cost calls
//! milliseconds: the kernel lets a running thread finish its time slice
//! before a woken worker of higher priority preempts it, and does not place
//! a woken worker on a CPU that only a nice-10 thread holds. A `SCHED_IDLE`
//! thread is preempted at once by any woken normal thread, and a CPU running
//! only such threads counts as idle when a waking worker is placed (the
//! measurements are in BENCHMARKS.md, under "History").
//!
//! The price: while normal work saturates the CPUs, an idle-class thread
//! gets almost no CPU. For work nothing else waits on that is the right
//! order: data a few minutes late rather than calls slowed down. It is the
//! wrong one for a thread holding something others wait for. So the refresh
//! swap, which holds the store's writer and SQLite's write lock from `BEGIN
//! IMMEDIATE` to `COMMIT`, runs on tokio's blocking pool at normal priority
//! (`store/swap.rs`), as does the reload after it: in the idle class, under
//! saturating load, the swap sat on both locks without CPU while run
//! bookkeeping, TriggerRefresh and shutdown (its cancellation and the final
//! checkpoint) waited for it. `tests/reliability/saturated.rs` checks that.
//! Staging's own transactions (a few thousand rows each) do take the writer
//! here, so a write can still wait for one of them.
//!
//! Elsewhere than on Linux threads keep the process's priority. Each task
//! gets a new, named thread (spawning one costs microseconds against work
//! that takes milliseconds to seconds), so the idle class never leaks into a
//! pooled thread that later runs something urgent.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

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

/// Moves the calling thread into the idle scheduling class.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy};
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        // Failing (a seccomp profile, say) costs calls latency, not data.
        if let Err(error) = thread_priority::set_thread_priority_and_policy(
            thread_priority::thread_native_id(),
            ThreadPriority::Min,
            idle,
        ) {
            tracing::debug!("could not move a background thread to the idle class: {error:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_a_named_thread_in_the_idle_class() {
        let (name, policy) = run("bg-test", || {
            let name = std::thread::current().name().map(str::to_owned);
            #[cfg(target_os = "linux")]
            let policy = Some(thread_priority::thread_schedule_policy().expect("readable"));
            #[cfg(not(target_os = "linux"))]
            let policy = None::<()>;
            (name, policy)
        })
        .await
        .expect("runs");
        assert_eq!(name.as_deref(), Some("bg-test"));
        #[cfg(target_os = "linux")]
        {
            use thread_priority::{NormalThreadSchedulePolicy, ThreadSchedulePolicy};
            let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
            assert_eq!(policy, Some(idle));
            // The caller's own thread is untouched.
            assert_ne!(thread_priority::thread_schedule_policy().ok(), Some(idle));
        }
        #[cfg(not(target_os = "linux"))]
        let _ = policy;
    }

    #[tokio::test]
    async fn a_panic_is_an_error_not_a_hang() {
        let result: Result<(), _> = run("bg-panic", || panic!("boom")).await;
        assert!(matches!(result, Err(BackgroundError::Stopped(name)) if name == "bg-panic"));
    }
}
