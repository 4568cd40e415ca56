//! `tradepact.v1.RefreshService`: sources, runs, manual triggers (admin
//! only) and the stream of changes.

use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use subtle::ConstantTimeEq;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::config::Secret;
use crate::domain::{ChangeKind, DataChange, RunRecord, RunState, Trigger};
use crate::query::paging::{PageToken, fingerprint};
use crate::refresh::schedule::Schedule;
use crate::refresh::sources::SourceAdapter;
use crate::refresh::worker::{RefreshError, Refresher, is_stale};
use crate::store::StoreError;

use super::pb;
use super::service::refresh_service_server::RefreshService;

/// Changes read from the store per query while replaying.
const REPLAY_CHUNK: usize = 1000;
const DEFAULT_PAGE_SIZE: i32 = 50;
const MAX_PAGE_SIZE: i32 = 1000;

#[derive(Clone)]
pub struct RefreshApi {
    refresher: Arc<Refresher>,
    /// Set once the schedule starts (not at all when the worker is off).
    schedule: Arc<OnceLock<Arc<Schedule>>>,
    admin_token: Option<Secret>,
    /// Ends open WatchChanges streams at shutdown, so draining does not wait on them.
    stopping: CancellationToken,
}

impl RefreshApi {
    pub fn new(
        refresher: Arc<Refresher>,
        schedule: Arc<OnceLock<Arc<Schedule>>>,
        admin_token: Option<Secret>,
        stopping: CancellationToken,
    ) -> Self {
        Self {
            refresher,
            schedule,
            admin_token,
            stopping,
        }
    }

    /// Admin calls need `authorization: Bearer <token>`, compared in
    /// constant time; without a configured token they are disabled.
    fn authorize<T>(&self, request: &Request<T>) -> Result<(), Status> {
        // An empty token (say `TRADEPACT_ADMIN_TOKEN=` in a compose file) is no token.
        let Some(expected) = self.admin_token.as_ref().filter(|t| !t.expose().is_empty()) else {
            return Err(Status::permission_denied(
                "admin calls are disabled: the server has no admin token configured (TRADEPACT_ADMIN_TOKEN)",
            ));
        };
        let Some(header) = request.metadata().get("authorization") else {
            return Err(Status::unauthenticated(
                "missing 'authorization: Bearer <token>' metadata",
            ));
        };
        let presented = header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| Status::unauthenticated("authorization must be 'Bearer <token>'"))?;
        if bool::from(presented.as_bytes().ct_eq(expected.expose().as_bytes())) {
            Ok(())
        } else {
            Err(Status::permission_denied("the admin token is not valid"))
        }
    }
}

fn internal(error: impl std::fmt::Display) -> Status {
    tracing::error!("refresh API: {error}");
    Status::internal("internal error; see the server log")
}

impl From<RefreshError> for Status {
    fn from(error: RefreshError) -> Self {
        match error {
            RefreshError::UnknownSource(name) => {
                Status::not_found(format!("source: '{name}' is not a configured source"))
            }
            RefreshError::ShuttingDown => Status::unavailable("the service is shutting down"),
            RefreshError::Store(error) => internal(error),
        }
    }
}

fn store_error(error: StoreError) -> Status {
    internal(error)
}

fn state(value: RunState) -> pb::RunState {
    match value {
        RunState::Running => pb::RunState::Running,
        RunState::Succeeded => pb::RunState::Succeeded,
        RunState::Unchanged => pb::RunState::Unchanged,
        RunState::Failed => pb::RunState::Failed,
        RunState::Skipped => pb::RunState::Skipped,
        RunState::SkippedOverlap => pb::RunState::SkippedOverlap,
        RunState::Cancelled => pb::RunState::Cancelled,
        RunState::Interrupted => pb::RunState::Interrupted,
    }
}

fn trigger(value: Trigger) -> pb::RunTrigger {
    match value {
        Trigger::Schedule => pb::RunTrigger::Schedule,
        Trigger::Startup => pb::RunTrigger::Startup,
        Trigger::Manual => pb::RunTrigger::Manual,
    }
}

fn run(record: &RunRecord) -> pb::RefreshRun {
    pb::RefreshRun {
        id: record.id,
        source: record.source.clone(),
        state: state(record.state).into(),
        trigger: trigger(record.trigger).into(),
        started_at: record.started_at.clone(),
        finished_at: record.finished_at.clone().unwrap_or_default(),
        rows: record.rows,
        changes: record.changes,
        error: record.error.clone(),
    }
}

fn change(value: &DataChange) -> pb::DataChange {
    let kind = match value.kind {
        ChangeKind::NewFigure => pb::ChangeKind::NewFigure,
        ChangeKind::RevisedFigure => pb::ChangeKind::RevisedFigure,
        ChangeKind::RemovedFigure => pb::ChangeKind::RemovedFigure,
        ChangeKind::StatusChanged => pb::ChangeKind::StatusChanged,
    };
    pb::DataChange {
        seq: value.seq,
        run_id: value.run_id,
        source: value.source.clone(),
        kind: kind.into(),
        subject: value.subject.clone(),
        year: value.year.unwrap_or(0),
        old_value: value.old_value.clone().unwrap_or_default(),
        new_value: value.new_value.clone().unwrap_or_default(),
        committed_at: value.committed_at.clone(),
    }
}

/// The source `raw` names, checked against the sources this server has:
/// an unknown name is INVALID_ARGUMENT wherever a source is named, with the
/// names that exist.
fn source_name(raw: &str, known: &[Arc<dyn SourceAdapter>]) -> Result<String, Status> {
    let names = || {
        known
            .iter()
            .map(|adapter| adapter.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let name = raw.trim().to_ascii_lowercase();
    if name.is_empty() {
        return Err(Status::invalid_argument(format!(
            "source: must not be empty; one of {}",
            names()
        )));
    }
    if !known.iter().any(|adapter| adapter.name() == name) {
        return Err(Status::invalid_argument(format!(
            "source: '{}' is not a source; one of {}",
            crate::domain::shorten(raw),
            names()
        )));
    }
    Ok(name)
}

type ChangeStream = Pin<Box<dyn Stream<Item = Result<pb::DataChange, Status>> + Send>>;

#[tonic::async_trait]
impl RefreshService for RefreshApi {
    async fn list_sources(
        &self,
        _request: Request<pb::ListSourcesRequest>,
    ) -> Result<Response<pb::ListSourcesResponse>, Status> {
        let states = self
            .refresher
            .store()
            .source_states()
            .await
            .map_err(store_error)?;
        let mut sources = Vec::new();
        for adapter in self.refresher.adapters() {
            let state = states.get(adapter.name()).cloned().unwrap_or_default();
            let settings = adapter.settings();
            let next_run_at = match self.schedule.get() {
                Some(schedule) => schedule
                    .next_run(adapter.name())
                    .await
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    .unwrap_or_default(),
                None => String::new(),
            };
            let disabled_reason = adapter.skip_reason().unwrap_or_default();
            sources.push(pb::SourceInfo {
                name: adapter.name().to_owned(),
                schedule: settings.schedule.clone(),
                enabled: disabled_reason.is_empty(),
                disabled_reason,
                base_url: crate::refresh::sources::redact(&settings.base_url),
                last_run: state.last_run.as_ref().map(run),
                stale: is_stale(state.last_success_at.as_deref(), settings.max_age),
                last_success_at: state.last_success_at.unwrap_or_default(),
                next_run_at,
                max_age_seconds: settings.max_age.as_secs() as i64,
            });
        }
        Ok(Response::new(pb::ListSourcesResponse { sources }))
    }

    async fn trigger_refresh(
        &self,
        request: Request<pb::TriggerRefreshRequest>,
    ) -> Result<Response<pb::RefreshRun>, Status> {
        self.authorize(&request)?;
        let name = source_name(&request.into_inner().source, self.refresher.adapters())?;
        tracing::info!(source = %name, "refresh triggered by an admin call");
        let record = self.refresher.run(&name, Trigger::Manual).await?;
        Ok(Response::new(run(&record)))
    }

    async fn list_refresh_runs(
        &self,
        request: Request<pb::ListRefreshRunsRequest>,
    ) -> Result<Response<pb::ListRefreshRunsResponse>, Status> {
        let request = request.into_inner();
        let source = match request.source.trim() {
            "" => None,
            raw => Some(source_name(raw, self.refresher.adapters())?),
        };
        let page_size = match request.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n if n < 0 => {
                return Err(Status::invalid_argument(format!(
                    "page_size: {n} is negative"
                )));
            }
            n => n.min(MAX_PAGE_SIZE),
        } as usize;
        let filters = fingerprint(&["runs", source.as_deref().unwrap_or("")]);
        let before = PageToken::decode(&request.page_token, filters)?
            .map(|token| {
                token.after.parse::<i64>().map_err(|_| {
                    Status::invalid_argument("page_token: is not a token this service issued")
                })
            })
            .transpose()?;
        let mut runs = self
            .refresher
            .store()
            .runs(source, before, page_size + 1)
            .await
            .map_err(store_error)?;
        // A run whose data are committed but not yet served is still running
        // as far as a client can tell: its answers would not show them yet.
        for record in &mut runs {
            if record.state == RunState::Succeeded && self.refresher.is_publishing(record.id) {
                record.state = RunState::Running;
                record.finished_at = None;
            }
        }
        let next_page_token = if runs.len() > page_size {
            runs.truncate(page_size);
            runs.last()
                .map(|last| {
                    PageToken {
                        filters,
                        after: last.id.to_string(),
                    }
                    .encode()
                })
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListRefreshRunsResponse {
            runs: runs.iter().map(run).collect(),
            next_page_token,
        }))
    }

    type WatchChangesStream = ChangeStream;

    async fn watch_changes(
        &self,
        request: Request<pb::WatchChangesRequest>,
    ) -> Result<Response<Self::WatchChangesStream>, Status> {
        let request = request.into_inner();
        let source = match request.source.trim() {
            "" => None,
            raw => Some(source_name(raw, self.refresher.adapters())?),
        };
        if request.after_seq.is_some_and(|seq| seq < 0) {
            return Err(Status::invalid_argument("after_seq: must not be negative"));
        }
        // Subscribe before replaying, so nothing committed in between is lost;
        // sequence numbers drop what both paths deliver.
        let live = self.refresher.subscribe();
        let (sender, receiver) = mpsc::channel(64);
        let watcher = Watcher {
            refresher: Arc::clone(&self.refresher),
            source,
            sender,
            stopping: self.stopping.clone(),
        };
        tokio::spawn(watcher.run(request.after_seq, live));
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }
}

/// Feeds one WatchChanges stream: the replay, then live changes.
struct Watcher {
    refresher: Arc<Refresher>,
    source: Option<String>,
    sender: mpsc::Sender<Result<pb::DataChange, Status>>,
    stopping: CancellationToken,
}

impl Watcher {
    async fn run(self, after_seq: Option<i64>, mut live: broadcast::Receiver<DataChange>) {
        let start = match after_seq {
            Some(after) => after,
            // Only changes from now on: skip whatever is already stored.
            None => match self.refresher.store().latest_change_seq().await {
                Ok(latest) => latest,
                Err(error) => {
                    let _ = self.sender.send(Err(store_error(error))).await;
                    return;
                }
            },
        };
        let Some(mut last) = self.replay(start).await else {
            return;
        };
        loop {
            let received = tokio::select! {
                received = live.recv() => received,
                () = self.stopping.cancelled() => return,
                () = self.sender.closed() => return,
            };
            match received {
                Ok(change) => {
                    if change.seq <= last {
                        continue;
                    }
                    last = change.seq;
                    if self.wanted(&change) && !self.send(&change).await {
                        return;
                    }
                }
                // Fell behind: the store has everything, in order.
                Err(broadcast::error::RecvError::Lagged(_)) => match self.replay(last).await {
                    Some(new_last) => last = new_last,
                    None => return,
                },
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    fn wanted(&self, change: &DataChange) -> bool {
        self.source.as_deref().is_none_or(|s| s == change.source)
    }

    async fn send(&self, value: &DataChange) -> bool {
        self.sender.send(Ok(change(value))).await.is_ok()
    }

    /// Sends every stored change after `after`; the last seq sent, or
    /// `None` if the stream is gone.
    async fn replay(&self, mut after: i64) -> Option<i64> {
        loop {
            let chunk = match self
                .refresher
                .store()
                .changes_after(after, self.source.clone(), REPLAY_CHUNK)
                .await
            {
                Ok(chunk) => chunk,
                Err(error) => {
                    let _ = self.sender.send(Err(store_error(error))).await;
                    return None;
                }
            };
            for value in &chunk {
                if !self.send(value).await {
                    return None;
                }
                after = value.seq;
            }
            if chunk.len() < REPLAY_CHUNK {
                return Some(after);
            }
        }
    }
}
