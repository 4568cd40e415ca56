//! Cron glue: one tokio-cron-scheduler job per source, each only asking the
//! refresher to run its source. All logic stays in the refresher, which also
//! guards against overlapping runs (the scheduler itself does not).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};
use uuid::Uuid;

use crate::domain::Trigger;

use super::worker::Refresher;

/// A cron expression tradepact accepts: 6 fields, seconds first, UTC.
pub fn check_cron(expression: &str) -> Result<(), String> {
    let fields = expression.split_whitespace().count();
    if fields != 6 {
        return Err(format!(
            "'{expression}' has {fields} fields; schedules take 6 (sec min hour day-of-month month day-of-week), UTC"
        ));
    }
    Job::new_async(expression, |_, _| Box::pin(async {}))
        .map(|_| ())
        .map_err(|e| format!("'{expression}' is not a valid cron expression: {e}"))
}

/// The running schedule.
pub struct Schedule {
    scheduler: JobScheduler,
    jobs: HashMap<&'static str, Uuid>,
}

impl Schedule {
    /// Adds a job per source and starts ticking.
    pub async fn start(refresher: Arc<Refresher>) -> Result<Self, JobSchedulerError> {
        let scheduler = JobScheduler::new().await?;
        let mut jobs = HashMap::new();
        for adapter in refresher.adapters() {
            let name = adapter.name();
            let refresher = Arc::clone(&refresher);
            // Nothing here but a hand-off: a panic outside the async block
            // would stop every job.
            let job = Job::new_async(adapter.settings().schedule.as_str(), move |_, _| {
                let refresher = Arc::clone(&refresher);
                Box::pin(async move { refresher.spawn(name, Trigger::Schedule) })
            })?;
            jobs.insert(name, scheduler.add(job).await?);
        }
        scheduler.start().await?;
        Ok(Self { scheduler, jobs })
    }

    /// When `source` runs next.
    pub async fn next_run(&self, source: &str) -> Option<DateTime<Utc>> {
        let id = *self.jobs.get(source)?;
        let mut scheduler = self.scheduler.clone();
        scheduler.next_tick_for_job(id).await.ok().flatten()
    }

    /// Stops scheduling; runs in flight are the refresher's to finish.
    pub async fn shutdown(&self) {
        let mut scheduler = self.scheduler.clone();
        if let Err(error) = scheduler.shutdown().await {
            tracing::warn!("stopping the schedule: {error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_field_cron_expressions_are_accepted() {
        assert_eq!(check_cron("0 10 2 * * *"), Ok(()));
        assert_eq!(check_cron("*/5 * * * * *"), Ok(()));
    }

    #[test]
    fn five_field_and_malformed_expressions_are_refused() {
        assert!(check_cron("10 2 * * *").is_err_and(|e| e.contains("6")));
        assert!(check_cron("0 99 2 * * *").is_err());
        assert!(check_cron("every day").is_err());
    }
}
