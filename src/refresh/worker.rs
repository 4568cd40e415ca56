//! The run lifecycle of one source: never two at once (a second is recorded
//! as SKIPPED_OVERLAP), a total time limit, cancellation on shutdown (the
//! swap's transaction rolls back), validation, the swap, the reload of the
//! read model, and the change events that go out once the swap commits.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Mutex, broadcast, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::domain::{Batch, DataChange, Dataset, RunRecord, RunState, StatusChange, Trigger};
use crate::query::{ReadModel, SourceStatus};
use crate::store::{
    BatchSwap, ProductStaging, SourceState, StagedProducts, StagingError, Store, StoreError,
};

use super::http::{HttpClient, RateLimiter, Validators};
use super::sources::{Fetch, FetchContext, SourceAdapter};
use super::validate::{ValidationPolicy, current_year, validate};

/// How many changes a slow WatchChanges subscriber may fall behind before it
/// re-reads from the store.
const CHANGE_BUFFER: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("source: '{0}' is not a configured source")]
    UnknownSource(String),
    #[error("the service is shutting down")]
    ShuttingDown,
    #[error(transparent)]
    Store(#[from] StoreError),
    /// What a caller waiting only for the start hears when the run could not
    /// be recorded; the run itself logs the store's error.
    #[error("the run could not be recorded")]
    NotRecorded,
}

/// Why a run ended without swapping data in.
struct Failure {
    state: RunState,
    reason: String,
}

impl Failure {
    fn failed(reason: impl std::fmt::Display) -> Self {
        Self {
            state: RunState::Failed,
            reason: reason.to_string(),
        }
    }

    fn cancelled() -> Self {
        Self {
            state: RunState::Cancelled,
            reason: "cancelled by shutdown; nothing was written".to_owned(),
        }
    }
}

/// Runs refreshes and reports what they did.
pub struct Refresher {
    store: Store,
    read_model: Arc<ReadModel>,
    http: HttpClient,
    adapters: Vec<Arc<dyn SourceAdapter>>,
    limiters: HashMap<&'static str, Arc<RateLimiter>>,
    guards: HashMap<&'static str, Arc<Mutex<()>>>,
    changes: broadcast::Sender<DataChange>,
    tracker: TaskTracker,
    shutdown: CancellationToken,
    run_timeout: Duration,
    policy: ValidationPolicy,
    /// Runs whose outcome is recorded but not served yet: the run's row
    /// already says how it ended, and until the reload and the sources'
    /// states are published a client reading it must not conclude the
    /// answers show it.
    publishing: std::sync::Mutex<HashSet<i64>>,
    /// Told each time the sources' states are published.
    sources_published: tokio::sync::Notify,
}

impl Refresher {
    pub fn new(
        store: Store,
        read_model: Arc<ReadModel>,
        http: HttpClient,
        adapters: Vec<Arc<dyn SourceAdapter>>,
        run_timeout: Duration,
    ) -> Arc<Self> {
        let limiters = adapters
            .iter()
            .map(|a| {
                (
                    a.name(),
                    Arc::new(RateLimiter::new(a.settings().min_interval)),
                )
            })
            .collect();
        let guards = adapters
            .iter()
            .map(|a| (a.name(), Arc::new(Mutex::new(()))))
            .collect();
        let (changes, _) = broadcast::channel(CHANGE_BUFFER);
        Arc::new(Self {
            store,
            read_model,
            http,
            adapters,
            limiters,
            guards,
            changes,
            tracker: TaskTracker::new(),
            shutdown: CancellationToken::new(),
            run_timeout,
            policy: ValidationPolicy::default(),
            publishing: std::sync::Mutex::default(),
            sources_published: tokio::sync::Notify::new(),
        })
    }

    pub fn adapters(&self) -> &[Arc<dyn SourceAdapter>] {
        &self.adapters
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Whether run `id` has committed its data but they are not served yet
    /// (it is still running, as a client sees it).
    pub fn is_publishing(&self, id: i64) -> bool {
        self.publishing_runs().contains(&id)
    }

    fn publishing_runs(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        // A set of ids has no invariant a panic could break.
        self.publishing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Changes from now on, as each swap commits.
    pub fn subscribe(&self) -> broadcast::Receiver<DataChange> {
        self.changes.subscribe()
    }

    fn adapter(&self, name: &str) -> Result<Arc<dyn SourceAdapter>, RefreshError> {
        self.adapters
            .iter()
            .find(|a| a.name() == name)
            .cloned()
            .ok_or_else(|| RefreshError::UnknownSource(name.to_owned()))
    }

    /// Runs `source` now and returns its finished record. The run belongs to
    /// the refresher, not the caller: dropping this future does not stop it.
    pub async fn run(
        self: &Arc<Self>,
        source: &str,
        trigger: Trigger,
    ) -> Result<RunRecord, RefreshError> {
        let adapter = self.adapter(source)?;
        if self.tracker.is_closed() {
            return Err(RefreshError::ShuttingDown);
        }
        let this = Arc::clone(self);
        self.tracker
            .spawn(async move { this.run_to_end(adapter, trigger).await })
            .await
            .map_err(|join| RefreshError::Store(StoreError::Task(join)))?
    }

    /// Starts `source` and returns its record as soon as it exists: RUNNING,
    /// or already finished when it could not start (skipped). The run goes
    /// on in the background, as a scheduled one does.
    pub async fn start(
        self: &Arc<Self>,
        source: &str,
        trigger: Trigger,
    ) -> Result<RunRecord, RefreshError> {
        let adapter = self.adapter(source)?;
        if self.tracker.is_closed() {
            return Err(RefreshError::ShuttingDown);
        }
        let (begun_sender, begun) = oneshot::channel();
        let this = Arc::clone(self);
        self.tracker.spawn(async move {
            let _ = this
                .run_reporting_start(adapter, trigger, begun_sender)
                .await;
        });
        begun.await.map_err(|_| RefreshError::ShuttingDown)?
    }

    /// Starts `source` in the background (for the scheduler).
    pub fn spawn(self: &Arc<Self>, source: &'static str, trigger: Trigger) {
        let this = Arc::clone(self);
        self.tracker.spawn(async move {
            if let Err(error) = this.run(source, trigger).await {
                tracing::error!(source, "refresh could not run: {error}");
            }
        });
    }

    /// Start-up: runs a process died during are marked INTERRUPTED, and
    /// every source whose data are older than its max age refreshes at once.
    pub async fn catch_up(self: &Arc<Self>) -> Result<(), RefreshError> {
        let now = now();
        let interrupted = self.store.mark_interrupted_runs(now.clone()).await?;
        if interrupted > 0 {
            tracing::warn!(interrupted, "found runs left RUNNING by a previous process");
        }
        let states = self.store.source_states().await?;
        for adapter in &self.adapters {
            let last = states
                .get(adapter.name())
                .and_then(|s| s.last_success_at.clone());
            if is_stale(last.as_deref(), adapter.settings().max_age) {
                tracing::info!(
                    source = adapter.name(),
                    "data older than max age; refreshing now"
                );
                self.spawn(adapter.name(), Trigger::Startup);
            }
        }
        Ok(())
    }

    /// Cancels running refreshes (their transactions roll back) and waits for
    /// them, at most `grace`.
    pub async fn shutdown(&self, grace: Duration) {
        self.tracker.close();
        self.shutdown.cancel();
        if tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("refresh runs still going after the grace period");
        }
    }

    async fn run_to_end(
        &self,
        adapter: Arc<dyn SourceAdapter>,
        trigger: Trigger,
    ) -> Result<RunRecord, RefreshError> {
        let (begun, _) = oneshot::channel();
        self.run_reporting_start(adapter, trigger, begun).await
    }

    /// Runs one source to its end; `begun` gets the run's record as soon as
    /// it exists (RUNNING, or the finished record of a skipped run).
    async fn run_reporting_start(
        &self,
        adapter: Arc<dyn SourceAdapter>,
        trigger: Trigger,
        begun: oneshot::Sender<Result<RunRecord, RefreshError>>,
    ) -> Result<RunRecord, RefreshError> {
        let name = adapter.name();
        let guard = self.guards.get(name).cloned().unwrap_or_default();
        let Ok(_running) = guard.try_lock_owned() else {
            tracing::info!(source = name, "previous run still going; skipping");
            let reason = "the previous run of this source was still in progress".to_owned();
            let skipped = (RunState::SkippedOverlap, reason);
            return self.record_skipped(name, trigger, skipped, begun).await;
        };
        if let Some(reason) = adapter.skip_reason() {
            tracing::info!(source = name, %reason, "source not configured; skipping");
            let skipped = (RunState::Skipped, reason);
            return self.record_skipped(name, trigger, skipped, begun).await;
        }
        let started_at = now();
        let run_id = match self
            .store
            .start_run(name, trigger, started_at.clone())
            .await
        {
            Ok(id) => id,
            Err(error) => {
                let _ = begun.send(Err(RefreshError::NotRecorded));
                return Err(error.into());
            }
        };
        let _ = begun.send(Ok(RunRecord {
            id: run_id,
            source: name.to_owned(),
            trigger,
            state: RunState::Running,
            started_at,
            finished_at: None,
            rows: 0,
            changes: 0,
            error: String::new(),
        }));
        let started = std::time::Instant::now();
        // Until the answers report this run's outcome, clients see it RUNNING.
        self.publishing_runs().insert(run_id);
        let finished = match self.fetch_and_swap(run_id, adapter.as_ref()).await {
            Ok(record) => Ok(record),
            Err(failure) => {
                self.store
                    .finish_run(run_id, failure.state, failure.reason, now())
                    .await
            }
        };
        self.publish_sources().await;
        self.publishing_runs().remove(&run_id);
        let record = finished?;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        if record.state.is_success() {
            tracing::info!(
                source = name,
                run = record.id,
                state = record.state.as_str(),
                rows = record.rows,
                changes = record.changes,
                elapsed_ms,
                "refresh finished"
            );
        } else {
            tracing::warn!(
                source = name,
                run = record.id,
                state = record.state.as_str(),
                elapsed_ms,
                reason = %record.error,
                "refresh did not change the data"
            );
        }
        Ok(record)
    }

    /// Records a run that did not start, and tells whoever waits for its start.
    async fn record_skipped(
        &self,
        name: &str,
        trigger: Trigger,
        (state, reason): (RunState, String),
        begun: oneshot::Sender<Result<RunRecord, RefreshError>>,
    ) -> Result<RunRecord, RefreshError> {
        match self
            .store
            .record_skipped_run(name, trigger, state, reason, now())
            .await
        {
            Ok(record) => {
                self.publish_sources().await;
                let _ = begun.send(Ok(record.clone()));
                Ok(record)
            }
            Err(error) => {
                let _ = begun.send(Err(RefreshError::NotRecorded));
                Err(error.into())
            }
        }
    }

    async fn fetch_and_swap(
        &self,
        run_id: i64,
        adapter: &dyn SourceAdapter,
    ) -> Result<RunRecord, Failure> {
        let name = adapter.name();
        let dataset = self
            .read_model
            .dataset()
            .ok_or_else(|| Failure::failed("no dataset loaded yet"))?;
        let validators: HashMap<String, Validators> = self
            .store
            .validators(name)
            .await
            .map_err(Failure::failed)?
            .into_iter()
            .map(|v| {
                let validators = Validators {
                    etag: v.etag,
                    last_modified: v.last_modified,
                };
                (v.url, validators)
            })
            .collect();
        let limiter = self
            .limiters
            .get(name)
            .cloned()
            .unwrap_or_else(|| Arc::new(RateLimiter::new(Duration::ZERO)));
        let cancel = self.shutdown.child_token();
        // Product lines too many to hold go to the store as they arrive.
        let staging = if adapter.stages_products() {
            let staging = self
                .store
                .stage_products(name, cancel.clone())
                .await
                .map_err(Failure::failed)?;
            Some(staging)
        } else {
            None
        };
        let started_at = Utc::now();
        let ctx = FetchContext {
            http: &self.http,
            limiter: &limiter,
            cancel: &cancel,
            dataset: &dataset,
            validators: &validators,
            now: started_at,
            products: staging.as_ref().map(ProductStaging::sink),
        };
        // Biased, cancellation first: a cancelled fetch also ends with an
        // error, and the run must then read CANCELLED, not FAILED.
        let fetched = tokio::select! {
            biased;
            () = cancel.cancelled() => Err(Failure::cancelled()),
            fetched = tokio::time::timeout(self.run_timeout, adapter.fetch(&ctx)) => match fetched {
                Ok(Ok(fetched)) => Ok(fetched),
                Ok(Err(_)) if cancel.is_cancelled() => Err(Failure::cancelled()),
                Ok(Err(error)) => Err(Failure::failed(error)),
                Err(_) => Err(Failure::failed(format!(
                    "took longer than the {} s limit for one run", self.run_timeout.as_secs()
                ))),
            },
        };
        let fetch_ms = elapsed_ms(started_at);
        let (fetched, products) = finish_staging(fetched, staging).await?;
        let (batch, url_validators) = match fetched {
            Fetch::Unchanged => {
                return self
                    .store
                    .finish_run(run_id, RunState::Unchanged, String::new(), now())
                    .await
                    .map_err(Failure::failed);
            }
            Fetch::Data { batch, validators } => (batch, validators),
        };
        let staged_rows = products.as_ref().map_or(0, |p| p.rows);
        if batch.rows() == 0 && staged_rows == 0 {
            // An empty answer more often means a broken query or a provider
            // outage than a world without trade: keep what we have.
            return Err(Failure::failed(
                "the source returned no data; the stored data were kept",
            ));
        }
        validate(
            &batch,
            &dataset,
            name,
            &self.policy,
            current_year(started_at),
        )
        .map_err(Failure::failed)?;
        let status_changes = status_changes(&dataset, &batch);
        let swap = BatchSwap {
            run_id,
            source: name.to_owned(),
            batch: Arc::new(batch),
            status_changes,
            validators: url_validators,
            products,
        };
        let swap_started = Utc::now();
        let swapped =
            self.store
                .apply_batch(swap, cancel, now())
                .await
                .map_err(|error| match error {
                    StoreError::Cancelled => Failure::cancelled(),
                    other => Failure::failed(other),
                });
        let (record, changes) = match swapped {
            Ok(swapped) => swapped,
            Err(failure) => return Err(failure),
        };
        let swap_ms = elapsed_ms(swap_started);
        let reload_started = Utc::now();
        self.reload().await;
        tracing::debug!(
            source = name,
            run = run_id,
            fetch_ms,
            swap_ms,
            reload_ms = elapsed_ms(reload_started),
            "refresh phases"
        );
        for change in changes {
            // No subscribers is fine: the change is in the store for replay.
            let _ = self.changes.send(change);
        }
        Ok(record)
    }

    /// Publishes every source's state (last success, staleness, last run)
    /// to the read model, for the answers that report it. If the store
    /// cannot be read, answers keep the states they had.
    pub async fn publish_sources(&self) {
        match self.store.source_states().await {
            Ok(states) => self.read_model.set_sources(self.statuses(&states)),
            Err(error) => {
                tracing::warn!(%error, "source states not read; answers keep the previous ones");
            }
        }
        self.sources_published.notify_waiters();
    }

    /// Publishes the sources' states again whenever one turns stale, so an
    /// answer's `stale` flips on time even when nothing runs; until `stop`.
    pub async fn republish_when_stale(self: Arc<Self>, stop: CancellationToken) {
        // Checked at least hourly, as a backstop against a clock that jumps.
        const AT_MOST: Duration = Duration::from_secs(3600);
        loop {
            let wait = self
                .until_next_stale()
                .map_or(AT_MOST, |until| until.min(AT_MOST))
                + Duration::from_millis(500);
            let published = self.sources_published.notified();
            tokio::select! {
                () = tokio::time::sleep(wait) => self.publish_sources().await,
                // A run published new states: its staleness comes later.
                () = published => {}
                () = stop.cancelled() => return,
            }
        }
    }

    fn statuses(&self, states: &HashMap<String, SourceState>) -> Vec<SourceStatus> {
        self.adapters
            .iter()
            .map(|adapter| {
                let state = states.get(adapter.name());
                let last_success_at = state.and_then(|s| s.last_success_at.clone());
                let max_age = adapter.settings().max_age;
                SourceStatus {
                    name: adapter.name().to_owned(),
                    skip_reason: adapter.skip_reason(),
                    stale: is_stale(last_success_at.as_deref(), max_age),
                    last_success_at,
                    max_age,
                    last_run: state.and_then(|s| s.last_run.as_ref()).map(|run| {
                        (
                            run.state.as_str().to_owned(),
                            run.started_at.clone(),
                            run.error.clone(),
                        )
                    }),
                }
            })
            .collect()
    }

    /// How long until the next source that is fresh now turns stale; `None`
    /// when none will (none succeeded, or all are stale already).
    pub fn until_next_stale(&self) -> Option<Duration> {
        let now = Utc::now();
        self.read_model
            .sources()
            .iter()
            .filter(|source| !source.stale)
            .filter_map(|source| {
                let last = chrono::DateTime::parse_from_rfc3339(source.last_success_at.as_deref()?)
                    .ok()?;
                let turns_stale = last + chrono::Duration::from_std(source.max_age).ok()?;
                (turns_stale.with_timezone(&Utc) - now).to_std().ok()
            })
            .min()
    }

    /// On a read replica, after Litestream applied the writer's changes to
    /// the copy: loads the dataset into the read model exactly as a refresh
    /// does, then broadcasts the changes the writer recorded after
    /// `after_seq` to `WatchChanges`, and returns the newest one's seq. The
    /// changes are read before the dataset, so a client told of one always
    /// finds its data (the dataset may be newer still; those changes go out
    /// with the next load).
    pub async fn load_replica(&self, after_seq: i64) -> Result<i64, crate::store::StoreError> {
        const CHUNK: usize = 500;
        let mut changes = Vec::new();
        loop {
            let after = changes.last().map_or(after_seq, |c: &DataChange| c.seq);
            let chunk = self.store.changes_after(after, None, CHUNK).await?;
            let full = chunk.len() == CHUNK;
            changes.extend(chunk);
            if !full {
                break;
            }
        }
        let dataset = self.store.load().await?;
        self.read_model.replace(dataset);
        let newest = changes.last().map_or(after_seq, |c| c.seq);
        for change in changes {
            let _ = self.changes.send(change);
        }
        Ok(newest)
    }

    /// Swaps the freshly committed dataset into the read model. If loading
    /// fails the old snapshot keeps serving, and the next run tries again.
    async fn reload(&self) {
        match self.store.load().await {
            Ok(dataset) => self.read_model.replace(dataset),
            Err(error) => tracing::error!("refreshed data committed but not loaded: {error}"),
        }
    }
}

/// Waits for the staging thread (if any) once the fetch is over: the staged
/// lines when both went well, else the failure that explains the run best
/// (a staging thread that refused a page makes the fetch fail with a bare
/// "staging stopped"; its own error says why).
async fn finish_staging(
    fetched: Result<Fetch, Failure>,
    staging: Option<ProductStaging>,
) -> Result<(Fetch, Option<StagedProducts>), Failure> {
    let staging_failure = |error: StagingError| match error {
        StagingError::Cancelled => Failure::cancelled(),
        other => Failure::failed(other),
    };
    match (fetched, staging) {
        (Ok(fetched), None) => Ok((fetched, None)),
        (Ok(fetched), Some(staging)) => match staging.finish().await {
            Ok(staged) => Ok((fetched, Some(staged))),
            Err(error) => Err(staging_failure(error)),
        },
        (Err(failure), None) => Err(failure),
        (Err(failure), Some(staging)) => match staging.abandon().await {
            Some(error) if failure.state == RunState::Failed => Err(staging_failure(error)),
            _ => Err(failure),
        },
    }
}

/// Agreements whose current status the batch's events would change, and
/// the agreements it adds (from no status to theirs).
fn status_changes(dataset: &Dataset, batch: &Batch) -> Vec<StatusChange> {
    let mut by_agreement: HashMap<&str, Vec<crate::domain::AgreementEvent>> = HashMap::new();
    for (id, event) in &batch.agreement_events {
        by_agreement
            .entry(id.as_str())
            .or_default()
            .push(event.clone());
    }
    let mut changes: Vec<StatusChange> = by_agreement
        .into_iter()
        .filter_map(|(id, events)| {
            let agreement = dataset.agreements.get(id)?;
            let old = agreement.status(None).map(|s| s.status);
            let mut merged = agreement.clone();
            merged.merge_events(events);
            let new = merged.status(None).map(|s| s.status);
            (old != new).then(|| StatusChange {
                agreement_id: id.to_owned(),
                old,
                new,
            })
        })
        .collect();
    changes.extend(
        batch
            .agreements
            .iter()
            .filter(|agreement| !dataset.agreements.contains_key(&agreement.id))
            .map(|agreement| StatusChange {
                agreement_id: agreement.id.clone(),
                old: None,
                new: agreement.status(None).map(|s| s.status),
            }),
    );
    changes.sort_by(|a, b| a.agreement_id.cmp(&b.agreement_id));
    changes
}

fn elapsed_ms(since: chrono::DateTime<Utc>) -> i64 {
    (Utc::now() - since).num_milliseconds()
}

/// RFC 3339, seconds, UTC.
pub fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// RFC 3339, milliseconds, UTC: for the replication heartbeat, from which
/// readers measure lags well under a second.
pub fn now_precise() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Data last refreshed at `last_success` (RFC 3339), or never, are stale
/// once older than `max_age`.
pub fn is_stale(last_success: Option<&str>, max_age: Duration) -> bool {
    let Some(last) = last_success.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) else {
        return true;
    };
    let age = Utc::now().signed_duration_since(last);
    age.to_std().is_ok_and(|age| age > max_age)
}
