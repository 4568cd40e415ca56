//! `tradepact.v1.RefreshService`: sources, runs, manual triggers (admin
//! only, started and followed rather than waited for) and the stream of
//! changes (`watch`).

mod watch;

use std::sync::{Arc, OnceLock};

use subtle::ConstantTimeEq;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Request, Response, Status};

use crate::config::Secret;
use crate::domain::{RunRecord, RunState, Trigger};
use crate::query;
use crate::query::paging::{PageToken, fingerprint};
use crate::refresh::schedule::Schedule;
use crate::refresh::sources::SourceAdapter;
use crate::refresh::worker::{RefreshError, Refresher, is_stale};
use crate::store::StoreError;

use super::errors::{self, reason};
use super::service::refresh_service_server::RefreshService;
use super::{convert, pb};

const DEFAULT_PAGE_SIZE: usize = 50;
const MAX_PAGE_SIZE: usize = 1000;

#[derive(Clone)]
pub struct RefreshApi {
    refresher: Arc<Refresher>,
    /// Set once the scheduler runs (it starts after the server binds).
    schedule: Arc<OnceLock<Arc<Schedule>>>,
    admin_token: Option<Secret>,
    /// Cancelled at shutdown; ends every change stream.
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

    /// Admin calls need `authorization: Bearer <token>` with the configured
    /// token, compared in constant time.
    fn authorize<T>(&self, request: &Request<T>) -> Result<(), Status> {
        let Some(expected) = self.admin_token.as_ref().filter(|t| !t.expose().is_empty()) else {
            return Err(errors::status(
                Code::PermissionDenied,
                reason::ADMIN_DISABLED,
                "admin calls are disabled: the server has no admin token configured (TRADEPACT_ADMIN_TOKEN)",
            ));
        };
        let Some(header) = request.metadata().get("authorization") else {
            return Err(errors::status(
                Code::Unauthenticated,
                reason::ADMIN_TOKEN_MISSING,
                "missing 'authorization: Bearer <token>' metadata",
            ));
        };
        let presented = header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| {
                errors::status(
                    Code::Unauthenticated,
                    reason::ADMIN_TOKEN_INVALID,
                    "authorization must be 'Bearer <token>'",
                )
            })?;
        if bool::from(presented.as_bytes().ct_eq(expected.expose().as_bytes())) {
            Ok(())
        } else {
            Err(errors::status(
                Code::Unauthenticated,
                reason::ADMIN_TOKEN_INVALID,
                "the admin token is not valid",
            ))
        }
    }

    /// A run as a client should see it: one whose outcome is recorded but
    /// not yet served (its data, and the sources' states answers report) is
    /// still RUNNING.
    fn as_served(&self, mut record: RunRecord) -> RunRecord {
        if record.state != RunState::Running && self.refresher.is_publishing(record.id) {
            record.state = RunState::Running;
            record.finished_at = None;
        }
        record
    }
}

impl From<RefreshError> for Status {
    fn from(error: RefreshError) -> Self {
        match error {
            RefreshError::UnknownSource(name) => errors::invalid_field_with(
                "source",
                format!(
                    "'{}' is not a configured source",
                    crate::domain::shorten(&name)
                ),
                reason::UNKNOWN_SOURCE,
            ),
            RefreshError::ShuttingDown => shutting_down(),
            RefreshError::Store(error) => store_error(error),
            RefreshError::NotRecorded => errors::internal("a refresh run could not be recorded"),
        }
    }
}

fn shutting_down() -> Status {
    errors::status(
        Code::Unavailable,
        reason::SHUTTING_DOWN,
        "the service is shutting down; reconnect",
    )
}

fn store_error(error: StoreError) -> Status {
    errors::store_failure("refresh API", error)
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
        start_time: convert::timestamp(&record.started_at),
        end_time: record.finished_at.as_deref().and_then(convert::timestamp),
        rows: record.rows,
        changes: record.changes,
        error: record.error.clone(),
    }
}

/// A source name as given, checked against the configured sources:
/// INVALID_ARGUMENT listing them when it is empty or not one.
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
        return Err(errors::invalid_field_with(
            "source",
            format!("must not be empty; one of {}", names()),
            reason::UNKNOWN_SOURCE,
        ));
    }
    if !known.iter().any(|adapter| adapter.name() == name) {
        return Err(errors::invalid_field_with(
            "source",
            format!(
                "'{}' is not a source; one of {}",
                crate::domain::shorten(raw),
                names()
            ),
            reason::UNKNOWN_SOURCE,
        ));
    }
    Ok(name)
}

#[tonic::async_trait]
impl RefreshService for RefreshApi {
    async fn list_sources(
        &self,
        _request: Request<pb::ListSourcesRequest>,
    ) -> Result<Response<pb::ListSourcesResponse>, Status> {
        let store = self.refresher.store();
        let states = store.source_states().await.map_err(store_error)?;
        let rows = store.stats().await.map_err(store_error)?.rows;
        let mut sources = Vec::new();
        for adapter in self.refresher.adapters() {
            let state = states.get(adapter.name()).cloned().unwrap_or_default();
            let settings = adapter.settings();
            let next_run_time = match self.schedule.get() {
                Some(schedule) => {
                    schedule
                        .next_run(adapter.name())
                        .await
                        .map(|t| prost_types::Timestamp {
                            seconds: t.timestamp(),
                            nanos: 0,
                        })
                }
                None => None,
            };
            let disabled_reason = adapter.skip_reason().unwrap_or_default();
            sources.push(pb::SourceInfo {
                name: adapter.name().to_owned(),
                schedule: settings.schedule.clone(),
                enabled: disabled_reason.is_empty(),
                disabled_reason,
                base_url: crate::refresh::sources::redact(&settings.base_url),
                last_run: state.last_run.map(|record| run(&self.as_served(record))),
                stale: is_stale(state.last_success_at.as_deref(), settings.max_age),
                last_success_time: state
                    .last_success_at
                    .as_deref()
                    .and_then(convert::timestamp),
                next_run_time,
                max_age: Some(convert::duration(settings.max_age)),
                rows_held: rows
                    .get(adapter.name())
                    .map_or(0, |&count| i64::try_from(count).unwrap_or(i64::MAX)),
            });
        }
        Ok(Response::new(pb::ListSourcesResponse { sources }))
    }

    async fn trigger_refresh(
        &self,
        request: Request<pb::TriggerRefreshRequest>,
    ) -> Result<Response<pb::RefreshRun>, Status> {
        if self.refresher.store().is_replica() {
            return Err(errors::status(
                Code::FailedPrecondition,
                reason::READ_REPLICA,
                "this server is a read replica (--role reader): it never refreshes; send TriggerRefresh to the writer, whose data reaches every reader",
            ));
        }
        self.authorize(&request)?;
        let name = source_name(&request.into_inner().source, self.refresher.adapters())?;
        tracing::info!(source = %name, "refresh triggered by an admin call");
        let record = self.refresher.start(&name, Trigger::Manual).await?;
        Ok(Response::new(run(&record)))
    }

    async fn get_refresh_run(
        &self,
        request: Request<pb::GetRefreshRunRequest>,
    ) -> Result<Response<pb::RefreshRun>, Status> {
        let id = request.into_inner().id;
        if id <= 0 {
            return Err(errors::invalid_field(
                "id",
                format!("{id} is not a run id (they start at 1)"),
            ));
        }
        match self.refresher.store().run(id).await.map_err(store_error)? {
            Some(record) => Ok(Response::new(run(&self.as_served(record)))),
            None => Err(errors::not_found(
                reason::RUN_NOT_FOUND,
                "tradepact.v1.RefreshRun",
                &id.to_string(),
                format!("no refresh run with id {id}"),
            )),
        }
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
        let page_size = query::count(
            "page_size",
            request.page_size,
            DEFAULT_PAGE_SIZE,
            MAX_PAGE_SIZE,
        )?;
        let filters = fingerprint(&["runs", source.as_deref().unwrap_or("")]);
        // Runs resume by id: new runs arriving between pages never shift them.
        let before = PageToken::decode(&request.page_token, filters)?
            .map(|token| {
                token.after.parse::<i64>().map_err(|_| {
                    errors::invalid_field("page_token", "is not a token this service issued")
                })
            })
            .transpose()?;
        let mut runs = self
            .refresher
            .store()
            .runs(source, before, page_size + 1)
            .await
            .map_err(store_error)?;
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
            runs: runs
                .into_iter()
                .map(|record| run(&self.as_served(record)))
                .collect(),
            next_page_token,
        }))
    }

    type WatchChangesStream = watch::ChangeStream;

    async fn watch_changes(
        &self,
        request: Request<pb::WatchChangesRequest>,
    ) -> Result<Response<Self::WatchChangesStream>, Status> {
        let request = request.into_inner();
        let source = match request.source.trim() {
            "" => None,
            raw => Some(source_name(raw, self.refresher.adapters())?),
        };
        let heartbeat = watch::heartbeat_interval(request.heartbeat_interval)?;
        // Subscribed before the resume point is read, so no change committed
        // in between is missed (the replay and the live feed overlap; the
        // watcher drops what it already sent).
        let live = self.refresher.subscribe();
        let start = watch::resume_point(self.refresher.store(), request.after_seq).await?;
        let stream = watch::Watcher {
            refresher: Arc::clone(&self.refresher),
            source,
            heartbeat,
            stopping: self.stopping.clone(),
        }
        .spawn(start, live);
        Ok(Response::new(stream))
    }
}
