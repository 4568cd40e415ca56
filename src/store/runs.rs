//! Run history: each refresh run's record (started, skipped, finished,
//! or left RUNNING by a process that died and marked INTERRUPTED at the next
//! start), every source's last run and last success, and the HTTP validators
//! (ETag / Last-Modified) a source's next run sends. The swap
//! (`swap.rs`) closes a successful run inside its own transaction, with the
//! helpers here.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};

use crate::domain::{RunRecord, RunState, Trigger};

use super::{Store, StoreError};

/// ETag / Last-Modified remembered for one URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlValidators {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// The last run and last success of one source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceState {
    pub last_run: Option<RunRecord>,
    /// RFC 3339.
    pub last_success_at: Option<String>,
}

impl Store {
    /// Records a run that starts now.
    pub async fn start_run(
        &self,
        source: &str,
        trigger: Trigger,
        now: String,
    ) -> Result<i64, StoreError> {
        let source = source.to_owned();
        self.write("record a run in", move |c| {
            c.execute(
                "INSERT INTO refresh_runs (source, trigger, state, started_at) VALUES (?1, ?2, ?3, ?4)",
                params![source, trigger.as_str(), RunState::Running.as_str(), now],
            )?;
            Ok(c.last_insert_rowid())
        })
        .await
    }

    /// Records a run that did not run (skipped), started and finished now.
    pub async fn record_skipped_run(
        &self,
        source: &str,
        trigger: Trigger,
        state: RunState,
        reason: String,
        now: String,
    ) -> Result<RunRecord, StoreError> {
        let source = source.to_owned();
        self.write("record a run in", move |c| {
            c.execute(
                "INSERT INTO refresh_runs (source, trigger, state, started_at, finished_at, error)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
                params![source, trigger.as_str(), state.as_str(), now, reason],
            )?;
            run_by_id(c, c.last_insert_rowid())
        })
        .await
    }

    /// Closes a run that wrote nothing (failed, cancelled, unchanged).
    pub async fn finish_run(
        &self,
        id: i64,
        state: RunState,
        error: String,
        now: String,
    ) -> Result<RunRecord, StoreError> {
        self.write("record a run in", move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "UPDATE refresh_runs SET state = ?2, finished_at = ?3, error = ?4 WHERE id = ?1",
                params![id, state.as_str(), now, error],
            )?;
            if state.is_success() {
                mark_success(&tx, id, &now)?;
            }
            let record = run_by_id(&tx, id)?;
            tx.commit()?;
            Ok(record)
        })
        .await
    }

    /// Runs still marked RUNNING belong to a process that died: mark them
    /// INTERRUPTED. Returns how many there were.
    pub async fn mark_interrupted_runs(&self, now: String) -> Result<usize, StoreError> {
        self.write("recover runs in", move |c| {
            c.execute(
                "UPDATE refresh_runs SET state = ?1, finished_at = ?2,
                     error = 'the process stopped during this run; its transaction rolled back'
                 WHERE state = ?3",
                params![
                    RunState::Interrupted.as_str(),
                    now,
                    RunState::Running.as_str()
                ],
            )
        })
        .await
    }

    /// One run by id; `None` for an id never issued.
    pub async fn run(&self, id: i64) -> Result<Option<RunRecord>, StoreError> {
        self.read("read a run from", move |c| {
            c.query_row(
                "SELECT id, source, trigger, state, started_at, finished_at, rows, changes, error
                 FROM refresh_runs WHERE id = ?1",
                params![id],
                run_from_row,
            )
            .optional()
        })
        .await
    }

    /// Runs newest first, optionally of one source, with ids below `before`.
    pub async fn runs(
        &self,
        source: Option<String>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<RunRecord>, StoreError> {
        self.read("read runs from", move |c| {
            let mut statement = c.prepare(
                "SELECT id, source, trigger, state, started_at, finished_at, rows, changes, error
                 FROM refresh_runs
                 WHERE (?1 IS NULL OR source = ?1) AND (?2 IS NULL OR id < ?2)
                 ORDER BY id DESC LIMIT ?3",
            )?;
            let rows = statement.query_map(params![source, before, limit as i64], run_from_row)?;
            rows.collect()
        })
        .await
    }

    /// The last run and last success of every source that ever ran.
    pub async fn source_states(&self) -> Result<HashMap<String, SourceState>, StoreError> {
        self.read("read source state from", |c| {
            let mut states: HashMap<String, SourceState> = HashMap::new();
            let mut statement = c.prepare(
                "SELECT id, source, trigger, state, started_at, finished_at, rows, changes, error
                 FROM refresh_runs WHERE id IN (SELECT max(id) FROM refresh_runs GROUP BY source)",
            )?;
            for run in statement.query_map([], run_from_row)? {
                let run = run?;
                let source = run.source.clone();
                states.entry(source).or_default().last_run = Some(run);
            }
            let mut statement = c.prepare("SELECT source, last_success_at FROM source_state")?;
            let successes = statement.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?))
            })?;
            for success in successes {
                let (source, at) = success?;
                states.entry(source).or_default().last_success_at = at;
            }
            Ok(states)
        })
        .await
    }

    /// The validators remembered for `source`'s URLs.
    pub async fn validators(&self, source: &str) -> Result<Vec<UrlValidators>, StoreError> {
        let source = source.to_owned();
        self.read("read validators from", move |c| {
            let mut statement = c.prepare(
                "SELECT url, etag, last_modified FROM http_validators WHERE source = ?1",
            )?;
            let rows = statement.query_map([source], |row| {
                Ok(UrlValidators {
                    url: row.get(0)?,
                    etag: row.get(1)?,
                    last_modified: row.get(2)?,
                })
            })?;
            rows.collect()
        })
        .await
    }
}

pub(super) fn mark_success(tx: &Transaction<'_>, run_id: i64, now: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO source_state (source, last_success_at, last_run_id)
         SELECT source, ?2, id FROM refresh_runs WHERE id = ?1
         ON CONFLICT (source) DO UPDATE SET last_success_at = excluded.last_success_at,
             last_run_id = excluded.last_run_id",
        params![run_id, now],
    )?;
    Ok(())
}

pub(super) fn run_by_id(c: &Connection, id: i64) -> rusqlite::Result<RunRecord> {
    c.query_row(
        "SELECT id, source, trigger, state, started_at, finished_at, rows, changes, error
         FROM refresh_runs WHERE id = ?1",
        [id],
        run_from_row,
    )
}

pub(super) fn bad_text(column: usize, text: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("unknown value '{text}'").into(),
    )
}

fn run_from_row(row: &Row<'_>) -> rusqlite::Result<RunRecord> {
    let trigger: String = row.get(2)?;
    let state: String = row.get(3)?;
    Ok(RunRecord {
        id: row.get(0)?,
        source: row.get(1)?,
        trigger: Trigger::parse(&trigger).ok_or_else(|| bad_text(2, &trigger))?,
        state: RunState::parse(&state).ok_or_else(|| bad_text(3, &state))?,
        started_at: row.get(4)?,
        finished_at: row.get(5)?,
        rows: row.get(6)?,
        changes: row.get(7)?,
        error: row.get(8)?,
    })
}
