//! What the refresh worker writes and reads: run records, HTTP validators,
//! and the swap of one source's data, with the changes it makes recorded in
//! the same transaction.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, Row, Transaction, TransactionBehavior, params};
use tokio_util::sync::CancellationToken;

use crate::domain::{Batch, ChangeKind, DataChange, RunRecord, RunState, StatusChange, Trigger};

use super::rows::{self, keys as join_keys};
use super::staging::{GroupChange, StagedProducts};
use super::{Store, StoreError};

/// ETag / Last-Modified remembered for one URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlValidators {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// One source's validated batch, ready to replace what that source stored.
#[derive(Debug)]
pub struct BatchSwap {
    pub run_id: i64,
    pub source: String,
    pub batch: std::sync::Arc<Batch>,
    pub status_changes: Vec<StatusChange>,
    pub validators: Vec<UrlValidators>,
    /// Product lines staged during the fetch (see `staging.rs`): they replace
    /// the source's product lines, and the batch then carries none.
    pub products: Option<StagedProducts>,
}

/// The last run and last success of one source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceState {
    pub last_run: Option<RunRecord>,
    /// RFC 3339.
    pub last_success_at: Option<String>,
}

/// Checked between row inserts: a cancelled swap rolls back.
const CANCEL_CHECK_EVERY: usize = 1000;

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

    /// Replaces everything `source` stored with `batch`, records the changes
    /// and closes the run as SUCCEEDED, all in one transaction. At Comtrade
    /// scale that is seconds of CPU, so it runs on a background thread, which
    /// yields to calls; nothing a call reads waits for the writer it holds.
    pub async fn apply_batch(
        &self,
        swap: BatchSwap,
        cancel: CancellationToken,
        now: String,
    ) -> Result<(RunRecord, Vec<DataChange>), StoreError> {
        let BatchSwap {
            run_id,
            source,
            batch,
            status_changes,
            validators,
            products,
        } = swap;
        let path = self.path.to_path_buf();
        let writer = self.writer.clone();
        crate::background::run("refresh-swap", move || {
            let mut connection = writer
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let swap = Swap {
                run_id,
                source: &source,
                now: &now,
                cancel: &cancel,
            };
            let applied = swap.apply(
                &mut connection,
                &batch,
                &status_changes,
                &validators,
                products.as_ref(),
            );
            // Renamed into place, or refused: either way the staging
            // tables have served.
            if let Some(products) = products {
                products.clean_up(&connection);
            }
            applied.map_err(|error| match error {
                SwapError::Cancelled => StoreError::Cancelled,
                SwapError::Sqlite(source) => StoreError::Sqlite {
                    action: "swap refreshed data into",
                    path,
                    source,
                },
            })
        })
        .await?
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

    /// Committed changes with `seq` above `after`, oldest first.
    pub async fn changes_after(
        &self,
        after: i64,
        source: Option<String>,
        limit: usize,
    ) -> Result<Vec<DataChange>, StoreError> {
        self.read("read changes from", move |c| {
            let mut statement = c.prepare(
                "SELECT seq, run_id, source, kind, subject, year, old_value, new_value, committed_at
                 FROM data_changes WHERE seq > ?1 AND (?2 IS NULL OR source = ?2)
                 ORDER BY seq LIMIT ?3",
            )?;
            let rows =
                statement.query_map(params![after, source, limit as i64], change_from_row)?;
            rows.collect()
        })
        .await
    }

    /// The sequence number of the newest change, 0 when there is none.
    pub async fn latest_change_seq(&self) -> Result<i64, StoreError> {
        self.read("read changes from", |c| {
            c.query_row(
                "SELECT coalesce(max(seq), 0) FROM data_changes",
                [],
                |row| row.get(0),
            )
        })
        .await
    }

    /// Runs `work` in a read transaction on a pooled read-only connection,
    /// on the blocking pool. It sees the last commit and never waits for the
    /// writer, which a refresh's swap holds for seconds at Comtrade scale:
    /// ListRefreshRuns and ListDataChanges answer during one.
    pub(super) async fn read<T: Send + 'static>(
        &self,
        action: &'static str,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            store.in_read_transaction(action, |tx| {
                work(tx).map_err(|source| store.sqlite(action, source))
            })
        })
        .await?
    }

    /// Runs `work` on the writer connection on the blocking pool.
    pub(super) async fn write<T: Send + 'static>(
        &self,
        action: &'static str,
        work: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut connection = store
                .writer
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&mut connection).map_err(|source| store.sqlite(action, source))
        })
        .await?
    }
}

fn mark_success(tx: &Transaction<'_>, run_id: i64, now: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO source_state (source, last_success_at, last_run_id)
         SELECT source, ?2, id FROM refresh_runs WHERE id = ?1
         ON CONFLICT (source) DO UPDATE SET last_success_at = excluded.last_success_at,
             last_run_id = excluded.last_run_id",
        params![run_id, now],
    )?;
    Ok(())
}

fn run_by_id(c: &Connection, id: i64) -> rusqlite::Result<RunRecord> {
    c.query_row(
        "SELECT id, source, trigger, state, started_at, finished_at, rows, changes, error
         FROM refresh_runs WHERE id = ?1",
        [id],
        run_from_row,
    )
}

fn bad_text(column: usize, text: &str) -> rusqlite::Error {
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

fn change_from_row(row: &Row<'_>) -> rusqlite::Result<DataChange> {
    let kind: String = row.get(3)?;
    Ok(DataChange {
        seq: row.get(0)?,
        run_id: row.get(1)?,
        source: row.get(2)?,
        kind: ChangeKind::parse(&kind).ok_or_else(|| bad_text(3, &kind))?,
        subject: row.get(4)?,
        year: row.get(5)?,
        old_value: row.get(6)?,
        new_value: row.get(7)?,
        committed_at: row.get(8)?,
    })
}

enum SwapError {
    Sqlite(rusqlite::Error),
    Cancelled,
}

impl From<rusqlite::Error> for SwapError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Sqlite(error)
    }
}

/// A figure's identity and value, for telling what a swap changes.
type Figures = BTreeMap<(String, Option<i32>), Option<f64>>;

/// One source's data swap.
struct Swap<'a> {
    run_id: i64,
    source: &'a str,
    now: &'a str,
    cancel: &'a CancellationToken,
}

impl Swap<'_> {
    fn apply(
        &self,
        connection: &mut Connection,
        batch: &Batch,
        status_changes: &[StatusChange],
        validators: &[UrlValidators],
        products: Option<&StagedProducts>,
    ) -> Result<(RunRecord, Vec<DataChange>), SwapError> {
        debug_assert!(products.is_none() || batch.product_flows.is_empty());
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Product lines are only touched when this origin has or brings
        // some: at Comtrade scale, finding "none" by scanning them (there is
        // no index on origin) would hold the write lock for seconds.
        let has_products = products.is_some()
            || !batch.product_flows.is_empty()
            || super::products::has_levels(&tx, self.source)?;
        // Staged product lines were compared with the stored ones while
        // staging; the rest is compared here, figure by figure.
        let per_figure_products = products.is_none() && has_products;
        let before = stored_figures(&tx, self.source, per_figure_products)?;
        self.delete_previous(&tx, per_figure_products)?;
        let product_table = products.map_or("product_flows", |p| p.names.table.as_str());
        self.insert(&tx, batch, product_table)?;
        let after = batch_figures(batch);
        let mut changes = figure_changes(&before, &after);
        changes.extend(status_changes.iter().map(status_change));
        let mut changes = self.record_changes(&tx, &changes, &before)?;
        let mut rows = batch.rows() as i64;
        if let Some(products) = products {
            changes.extend(self.record_group_changes(&tx, &products.changes)?);
            self.swap_products(&tx, products)?;
            rows += products.rows as i64;
        }
        if has_products {
            super::products::rebuild_levels(&tx, self.source)?;
        }
        self.save_validators(&tx, validators)?;
        tx.execute(
            "UPDATE refresh_runs SET state = ?2, finished_at = ?3, rows = ?4, changes = ?5, error = ''
             WHERE id = ?1",
            params![
                self.run_id,
                RunState::Succeeded.as_str(),
                self.now,
                rows,
                changes.len() as i64
            ],
        )?;
        mark_success(&tx, self.run_id, self.now)?;
        let record = run_by_id(&tx, self.run_id)?;
        if self.cancel.is_cancelled() {
            return Err(SwapError::Cancelled);
        }
        tx.commit()?;
        Ok((record, changes))
    }

    fn check_cancel(&self, rows_written: usize) -> Result<(), SwapError> {
        if rows_written.is_multiple_of(CANCEL_CHECK_EVERY) && self.cancel.is_cancelled() {
            return Err(SwapError::Cancelled);
        }
        Ok(())
    }

    /// Deletes the source's rows; its product lines only when `products`
    /// (staged ones replace them by a table swap instead).
    fn delete_previous(&self, tx: &Transaction<'_>, products: bool) -> rusqlite::Result<()> {
        for table in [
            "agreement_events",
            "trade_figures",
            "partner_flows",
            "product_flows",
            "indicator_values",
            "sources",
        ] {
            if table == "product_flows" && !products {
                continue;
            }
            tx.execute(
                &format!("DELETE FROM {table} WHERE origin = ?1"),
                [self.source],
            )?;
        }
        Ok(())
    }

    fn insert(
        &self,
        tx: &Transaction<'_>,
        batch: &Batch,
        product_table: &str,
    ) -> Result<(), SwapError> {
        let mut written = 0usize;
        let mut sources = tx.prepare_cached(rows::INSERT_SOURCE_REPLACE)?;
        for s in &batch.sources {
            rows::source(&mut sources, s, self.source)?;
        }
        let mut indicators = tx.prepare_cached(
            "INSERT INTO indicators (code, name, unit, origin) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (code) DO NOTHING",
        )?;
        for i in &batch.indicators {
            indicators.execute(params![i.code, i.name, i.unit, self.source])?;
        }
        let mut values = tx.prepare_cached(rows::INSERT_INDICATOR_VALUE)?;
        for series in &batch.indicator_series {
            let keys = join_keys(&series.sources);
            for point in &series.points {
                rows::indicator_value(&mut values, series, &keys, *point, self.source)?;
                written += 1;
                self.check_cancel(written)?;
            }
        }
        let mut partner_flows = tx.prepare_cached(
            "INSERT INTO partner_flows (reporter, partner, year, flow, value_usd, source, origin)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for f in &batch.partner_flows {
            partner_flows.execute(params![
                f.reporter.as_str(),
                f.partner.as_str(),
                f.year,
                f.flow.as_str(),
                f.value_usd,
                f.source.key,
                self.source
            ])?;
            written += 1;
            self.check_cancel(written)?;
        }
        let mut product_flows = tx.prepare_cached(&format!(
            "INSERT INTO {product_table} (reporter, partner, year, flow, hs_code, description, value_usd, source, origin)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        ))?;
        for f in &batch.product_flows {
            product_flows.execute(params![
                f.reporter.as_str(),
                f.partner.as_str(),
                f.year,
                f.flow.as_str(),
                f.hs_code,
                f.description,
                f.value_usd,
                f.source.key,
                self.source
            ])?;
            written += 1;
            self.check_cancel(written)?;
        }
        let mut trade = tx.prepare_cached(rows::INSERT_TRADE)?;
        for f in &batch.trade {
            rows::trade(&mut trade, f, self.source)?;
            written += 1;
            self.check_cancel(written)?;
        }
        self.insert_events(tx, batch)?;
        Ok(())
    }

    fn insert_events(&self, tx: &Transaction<'_>, batch: &Batch) -> rusqlite::Result<()> {
        let mut events = tx.prepare_cached(
            "INSERT INTO agreement_events
                 (agreement_id, position, kind, start, end_date, round_number, format, venue, party, note, sources, origin)
             SELECT ?1, coalesce(max(position), -1) + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11
             FROM agreement_events WHERE agreement_id = ?1",
        )?;
        for (agreement_id, e) in &batch.agreement_events {
            events.execute(params![
                agreement_id,
                e.kind.as_str(),
                e.start.map(|d| d.to_string()),
                e.end.map(|d| d.to_string()),
                e.round_number,
                e.format.as_str(),
                e.venue,
                e.party.as_ref().map(|p| p.as_str()),
                e.note,
                join_keys(&e.sources),
                self.source
            ])?;
        }
        Ok(())
    }

    fn record_changes(
        &self,
        tx: &Transaction<'_>,
        changes: &[PendingChange],
        before: &Figures,
    ) -> rusqlite::Result<Vec<DataChange>> {
        let mut insert = tx.prepare_cached(
            "INSERT INTO data_changes (run_id, source, kind, subject, year, old_value, new_value, committed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut history = tx.prepare_cached(
            "INSERT INTO figure_history (run_id, source, subject, year, old_value, new_value, replaced_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let mut recorded = Vec::with_capacity(changes.len());
        for change in changes {
            insert.execute(params![
                self.run_id,
                self.source,
                change.kind.as_str(),
                change.subject,
                change.year,
                change.old_value,
                change.new_value,
                self.now
            ])?;
            let seq = tx.last_insert_rowid();
            if change.kind == ChangeKind::RevisedFigure {
                let old = before
                    .get(&(change.subject.clone(), change.year))
                    .copied()
                    .flatten();
                history.execute(params![
                    self.run_id,
                    self.source,
                    change.subject,
                    change.year,
                    old,
                    change.new_number,
                    self.now
                ])?;
            }
            recorded.push(DataChange {
                seq,
                run_id: self.run_id,
                source: self.source.to_owned(),
                kind: change.kind,
                subject: change.subject.clone(),
                year: change.year,
                old_value: change.old_value.clone(),
                new_value: change.new_value.clone(),
                committed_at: self.now.to_owned(),
            });
        }
        Ok(recorded)
    }

    /// One change per product group a staged run changed (no history row:
    /// the revised lines have theirs, see [`Self::swap_products`]).
    fn record_group_changes(
        &self,
        tx: &Transaction<'_>,
        groups: &[GroupChange],
    ) -> rusqlite::Result<Vec<DataChange>> {
        let mut insert = tx.prepare_cached(
            "INSERT INTO data_changes (run_id, source, kind, subject, year, old_value, new_value, committed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut recorded = Vec::with_capacity(groups.len());
        for group in groups {
            let subject = group.subject();
            let old_value = group.old_total.map(|v| v.to_string());
            let new_value = group.new_total.map(|v| v.to_string());
            insert.execute(params![
                self.run_id,
                self.source,
                group.kind.as_str(),
                subject,
                group.year,
                old_value,
                new_value,
                self.now
            ])?;
            recorded.push(DataChange {
                seq: tx.last_insert_rowid(),
                run_id: self.run_id,
                source: self.source.to_owned(),
                kind: group.kind,
                subject,
                year: Some(group.year),
                old_value,
                new_value,
                committed_at: self.now.to_owned(),
            });
        }
        Ok(recorded)
    }

    /// Makes the staged table `product_flows`: the revised lines' history is
    /// recorded, other origins' lines are copied over, the old table is
    /// dropped and the staged one renamed, and whatever indexes or triggers
    /// the old one had are created again. Part of the swap's transaction, so
    /// readers see the old table or the new one, never a mix.
    fn swap_products(
        &self,
        tx: &Transaction<'_>,
        products: &StagedProducts,
    ) -> rusqlite::Result<()> {
        let names = &products.names;
        tx.execute(
            &format!(
                "INSERT INTO figure_history (run_id, source, subject, year, old_value, new_value, replaced_at)
                 SELECT ?1, ?2, subject, year, old_value, new_value, ?3 FROM {}",
                names.revisions
            ),
            params![self.run_id, self.source, self.now],
        )?;
        tx.execute(
            &format!(
                "INSERT INTO {} (reporter, partner, year, flow, hs_code, description, value_usd, source, origin)
                 SELECT reporter, partner, year, flow, hs_code, description, value_usd, source, origin
                 FROM product_flows WHERE origin <> ?1",
                names.table
            ),
            [self.source],
        )?;
        let extras: Vec<String> = tx
            .prepare(
                "SELECT sql FROM sqlite_master
                 WHERE tbl_name = 'product_flows' AND type IN ('index', 'trigger') AND sql IS NOT NULL",
            )?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        tx.execute_batch("DROP TABLE product_flows")?;
        // Legacy renaming leaves views and triggers that name product_flows
        // alone (they name the renamed table again afterwards); the modern
        // one would check them while no product_flows exists.
        tx.execute_batch("PRAGMA legacy_alter_table = ON")?;
        let renamed = tx.execute_batch(&format!(
            "ALTER TABLE {} RENAME TO product_flows",
            names.table
        ));
        tx.execute_batch("PRAGMA legacy_alter_table = OFF")?;
        renamed?;
        for sql in extras {
            tx.execute_batch(&sql)?;
        }
        Ok(())
    }

    fn save_validators(
        &self,
        tx: &Transaction<'_>,
        validators: &[UrlValidators],
    ) -> rusqlite::Result<()> {
        tx.execute(
            "DELETE FROM http_validators WHERE source = ?1",
            [self.source],
        )?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO http_validators (source, url, etag, last_modified) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for v in validators {
            insert.execute(params![self.source, v.url, v.etag, v.last_modified])?;
        }
        Ok(())
    }
}

/// A change worked out before it is given its sequence number.
struct PendingChange {
    kind: ChangeKind,
    subject: String,
    year: Option<i32>,
    old_value: Option<String>,
    new_value: Option<String>,
    new_number: Option<f64>,
}

fn number_text(value: Option<f64>) -> Option<String> {
    Some(value.map_or_else(|| "null".to_owned(), |v| v.to_string()))
}

fn figure_changes(before: &Figures, after: &Figures) -> Vec<PendingChange> {
    let mut changes = Vec::new();
    for (key, new) in after {
        let (kind, old) = match before.get(key) {
            None => (ChangeKind::NewFigure, None),
            Some(old) if old != new => (ChangeKind::RevisedFigure, number_text(*old)),
            Some(_) => continue,
        };
        changes.push(PendingChange {
            kind,
            subject: key.0.clone(),
            year: key.1,
            old_value: old,
            new_value: number_text(*new),
            new_number: *new,
        });
    }
    for (key, old) in before.iter().filter(|(key, _)| !after.contains_key(*key)) {
        changes.push(PendingChange {
            kind: ChangeKind::RemovedFigure,
            subject: key.0.clone(),
            year: key.1,
            old_value: number_text(*old),
            new_value: None,
            new_number: None,
        });
    }
    changes
}

fn status_change(change: &StatusChange) -> PendingChange {
    let text = |status: Option<crate::domain::AgreementStatus>| {
        Some(status.map_or("UNSPECIFIED", |s| s.as_str()).to_owned())
    };
    PendingChange {
        kind: ChangeKind::StatusChanged,
        subject: format!("agreement {}", change.agreement_id),
        year: None,
        old_value: text(change.old),
        new_value: text(change.new),
        new_number: None,
    }
}

fn indicator_subject(indicator: &str, economy: &str, vintage: &str) -> String {
    format!("indicator {indicator} {economy} vintage {vintage}")
}

fn flow_subject(reporter: &str, partner: &str, flow: &str) -> String {
    format!("partner_flow {reporter}→{partner} {flow}")
}

fn product_subject(reporter: &str, partner: &str, flow: &str, hs: &str) -> String {
    format!("product_flow {reporter}→{partner} {flow} HS{hs}")
}

fn trade_subject(reporter: &str, partner: &str, family: &str, field: &str) -> String {
    format!("trade {reporter}→{partner} {family} {field}")
}

/// Every figure `source` holds now, keyed as [`batch_figures`] keys them;
/// product lines only when `products`.
fn stored_figures(tx: &Transaction<'_>, source: &str, products: bool) -> rusqlite::Result<Figures> {
    let mut figures = Figures::new();
    let mut statement = tx.prepare(
        "SELECT indicator, economy, vintage, year, value FROM indicator_values WHERE origin = ?1",
    )?;
    let mut rows = statement.query([source])?;
    while let Some(row) = rows.next()? {
        let subject = indicator_subject(
            &row.get::<_, String>(0)?,
            &row.get::<_, String>(1)?,
            &row.get::<_, String>(2)?,
        );
        figures.insert((subject, Some(row.get(3)?)), row.get(4)?);
    }
    let mut statement = tx.prepare(
        "SELECT reporter, partner, flow, year, value_usd FROM partner_flows WHERE origin = ?1",
    )?;
    let mut rows = statement.query([source])?;
    while let Some(row) = rows.next()? {
        let subject = flow_subject(
            &row.get::<_, String>(0)?,
            &row.get::<_, String>(1)?,
            &row.get::<_, String>(2)?,
        );
        figures.insert((subject, Some(row.get(3)?)), Some(row.get(4)?));
    }
    let mut statement = tx.prepare(
        "SELECT reporter, partner, flow, hs_code, year, value_usd FROM product_flows
         WHERE origin = ?1 AND ?2",
    )?;
    let mut rows = statement.query(params![source, products])?;
    while let Some(row) = rows.next()? {
        let subject = product_subject(
            &row.get::<_, String>(0)?,
            &row.get::<_, String>(1)?,
            &row.get::<_, String>(2)?,
            &row.get::<_, String>(3)?,
        );
        figures.insert((subject, Some(row.get(4)?)), Some(row.get(5)?));
    }
    let mut statement = tx.prepare(
        "SELECT reporter, partner, family, year, exports_usd, imports_usd, total_usd
         FROM trade_figures WHERE origin = ?1 AND preferred = 1",
    )?;
    let mut rows = statement.query([source])?;
    while let Some(row) = rows.next()? {
        let (reporter, partner, family): (String, String, String) =
            (row.get(0)?, row.get(1)?, row.get(2)?);
        let year: i32 = row.get(3)?;
        for (index, field) in ["exports", "imports", "total"].into_iter().enumerate() {
            let value: Option<f64> = row.get(4 + index)?;
            if value.is_some() {
                figures.insert(
                    (
                        trade_subject(&reporter, &partner, &family, field),
                        Some(year),
                    ),
                    value,
                );
            }
        }
    }
    Ok(figures)
}

/// Every figure in `batch`, keyed by what it measures and its year.
fn batch_figures(batch: &Batch) -> Figures {
    let mut figures = Figures::new();
    for series in &batch.indicator_series {
        let subject =
            indicator_subject(&series.indicator, series.economy.as_str(), &series.vintage);
        for (year, value) in &series.points {
            figures.insert((subject.clone(), Some(*year)), *value);
        }
    }
    for f in &batch.partner_flows {
        let subject = flow_subject(f.reporter.as_str(), f.partner.as_str(), f.flow.as_str());
        figures.insert((subject, Some(f.year)), Some(f.value_usd));
    }
    for f in &batch.product_flows {
        let subject = product_subject(
            f.reporter.as_str(),
            f.partner.as_str(),
            f.flow.as_str(),
            &f.hs_code,
        );
        figures.insert((subject, Some(f.year)), Some(f.value_usd));
    }
    for f in batch.trade.iter().filter(|f| f.preferred) {
        for (field, value) in [
            ("exports", f.exports_usd),
            ("imports", f.imports_usd),
            ("total", f.total_usd),
        ] {
            if value.is_some() {
                let subject =
                    trade_subject(f.reporter.as_str(), f.partner.as_str(), &f.family, field);
                figures.insert((subject, Some(f.year)), value);
            }
        }
    }
    figures
}
