//! Product lines of a refresh too large to hold in memory, staged in the
//! database answer by answer while the fetch goes on, then swapped in whole.
//!
//! A Comtrade HS6 refresh brings about a million lines. Each answer's lines
//! (a [`ProductPage`]) go to a staging thread, which writes them into
//! `product_flows_next_<origin>`, a table made from `product_flows`' own
//! definition, in transactions of a few thousand rows on the writer
//! connection (other writes get their turn in between), so memory holds a
//! page or two, not the run. Nothing reads the staging table. The swap
//! (`swap.rs`) makes it `product_flows` in the same `BEGIN IMMEDIATE`
//! transaction that records the run: the rows of other origins are copied
//! over, the old table dropped and the staged one renamed. That costs
//! milliseconds, where deleting and re-inserting a million rows costs
//! seconds.
//!
//! Changes are worked out while staging, against this origin's stored rows
//! (only this source's runs write them, and runs of one source never
//! overlap): every line is compared with the stored one, and a revised line
//! keeps its old value for `figure_history`, one row per line as for every
//! other figure. `data_changes` gets one entry per (reporter, partner, year,
//! flow, HS level) that changed, with its totals, instead of one per line: a
//! million NEW_FIGURE events would swamp every WatchChanges subscriber.

use std::collections::HashSet;

use rusqlite::{Connection, Transaction, TransactionBehavior, params};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::background::{self, BackgroundError, BackgroundTask};
use crate::domain::{
    ChangeKind, ChangeSubject, EconomyCode, HsCode, LineCounts, ProductPage, TradeFlow,
};

use super::{Store, StoreError};

/// Pages waiting for the staging thread; a fast upstream waits for the disk.
const QUEUE: usize = 2;
/// Rows per staging transaction; the writer is free between two.
const ROWS_PER_TRANSACTION: usize = 16_384;
/// WAL pages between automatic checkpoints while staging (SQLite's default
/// is 1,000, restored afterwards). Staging writes ~200 MB; checkpointing every
/// 4 MB of it meant ~50 checkpoints with two fsyncs each, about a second of
/// a million-line run spent waiting for the disk.
const STAGING_CHECKPOINT_PAGES: i64 = 16_384;
const DEFAULT_CHECKPOINT_PAGES: i64 = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum StagingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Background(#[from] BackgroundError),
    #[error("rejected by validation: {0}")]
    Rejected(String),
    #[error("staging was cancelled by shutdown")]
    Cancelled,
    /// The staging thread is gone (it failed, or staging was abandoned).
    #[error("product staging stopped")]
    Stopped,
}

/// One (reporter, partner, year, flow, HS level) whose lines a run changes.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupChange {
    /// NEW_FIGURE (no lines before), REVISED_FIGURE or REMOVED_FIGURE (no lines now).
    pub kind: ChangeKind,
    pub reporter: EconomyCode,
    pub partner: EconomyCode,
    pub year: i32,
    pub flow: TradeFlow,
    /// 2, 4 or 6.
    pub digits: u8,
    /// Sum of the stored lines; `None` when there were none.
    pub old_total: Option<f64>,
    /// Sum of the staged lines; `None` when there are none.
    pub new_total: Option<f64>,
    /// Lines staged, and of those new and revised; lines no longer sent.
    pub lines: u64,
    pub added: u64,
    pub revised: u64,
    pub removed: u64,
}

impl GroupChange {
    /// What `data_changes.subject` says, e.g. `product_flows KOR→KHM export
    /// HS6 (3 new, 2 revised, 0 removed of 435 lines)`.
    pub fn subject(&self) -> String {
        ChangeSubject::ProductLines {
            reporter: self.reporter.to_string(),
            partner: self.partner.to_string(),
            flow: self.flow.as_str().to_owned(),
            digits: self.digits,
            counts: LineCounts {
                added: self.added,
                revised: self.revised,
                removed: self.removed,
                lines: self.lines,
            },
        }
        .to_string()
    }
}

/// The table names one origin stages into.
#[derive(Debug, Clone)]
pub(super) struct Names {
    pub origin: String,
    /// In the main database, so the swap can rename it.
    pub table: String,
    /// Revised lines' old and new values, for `figure_history`.
    pub revisions: String,
}

impl Names {
    fn new(origin: &str) -> Self {
        // Source names are fixed identifiers; keep the table name plain anyway.
        let plain: String = origin
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        Self {
            origin: origin.to_owned(),
            table: format!("product_flows_next_{plain}"),
            revisions: format!("temp.product_revisions_{plain}"),
        }
    }

    /// Drops both tables, if they exist, and checkpoints as usual again.
    pub fn drop_tables(&self, c: &Connection) -> rusqlite::Result<()> {
        c.pragma_update(None, "wal_autocheckpoint", DEFAULT_CHECKPOINT_PAGES)?;
        c.execute_batch(&format!(
            "DROP TABLE IF EXISTS {}; DROP TABLE IF EXISTS {};",
            self.table, self.revisions
        ))
    }
}

/// Staged lines, ready for the swap. Dropped without a swap, it drops its
/// tables (in the background).
pub struct StagedProducts {
    pub(super) names: Names,
    pub(super) store: Option<Store>,
    /// Lines staged.
    pub rows: u64,
    /// Groups whose lines changed, in the order staged (removed ones last).
    pub changes: Vec<GroupChange>,
}

impl std::fmt::Debug for StagedProducts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StagedProducts")
            .field("table", &self.names.table)
            .field("rows", &self.rows)
            .field("changes", &self.changes.len())
            .finish()
    }
}

impl StagedProducts {
    /// Drops the staging tables now (after the swap used or refused them).
    pub(super) fn clean_up(mut self, c: &Connection) {
        self.store = None;
        if let Err(error) = self.names.drop_tables(c) {
            tracing::warn!("could not drop the product staging tables: {error}");
        }
    }
}

impl Drop for StagedProducts {
    fn drop(&mut self) {
        let (Some(store), Ok(runtime)) = (self.store.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let names = self.names.clone();
        runtime.spawn_blocking(move || {
            let Ok(connection) = store.lock_writer() else {
                return;
            };
            if let Err(error) = names.drop_tables(&connection) {
                tracing::warn!("could not drop the product staging tables: {error}");
            }
        });
    }
}

#[derive(Debug)]
enum Message {
    Page(ProductPage),
    Finish,
}

/// Where an adapter sends its pages.
#[derive(Debug)]
pub struct ProductSink {
    sender: mpsc::Sender<Message>,
}

impl ProductSink {
    /// Queues a page, waiting while the staging thread is behind. Fails with
    /// [`StagingError::Stopped`] once it has stopped; why it stopped comes
    /// from [`ProductStaging::finish`] or [`ProductStaging::abandon`].
    pub async fn send(&self, page: ProductPage) -> Result<(), StagingError> {
        self.sender
            .send(Message::Page(page))
            .await
            .map_err(|_| StagingError::Stopped)
    }
}

/// A staging thread at work for one run.
#[derive(Debug)]
pub struct ProductStaging {
    sink: ProductSink,
    task: BackgroundTask<Result<StagedProducts, StagingError>>,
}

impl ProductStaging {
    pub fn sink(&self) -> &ProductSink {
        &self.sink
    }

    /// Waits until every page sent is staged; then works out which groups
    /// the run no longer has.
    pub async fn finish(self) -> Result<StagedProducts, StagingError> {
        // A failed send means the thread already stopped; its result says why.
        let _ = self.sink.sender.send(Message::Finish).await;
        drop(self.sink);
        self.task.await?
    }

    /// Stops staging and drops what was staged. Returns the staging
    /// thread's own error, if it failed before being stopped.
    pub async fn abandon(self) -> Option<StagingError> {
        drop(self.sink);
        match self.task.await {
            Ok(Ok(staged)) => {
                drop(staged);
                None
            }
            Ok(Err(StagingError::Stopped)) => None,
            Ok(Err(error)) => Some(error),
            Err(stopped) => Some(StagingError::Background(stopped)),
        }
    }
}

impl Store {
    /// Starts staging `origin`'s product lines: creates the staging tables
    /// (dropping any a crashed process left) and a thread that writes the
    /// pages sent to [`ProductStaging::sink`], at background priority.
    /// `cancel` stops it between transactions.
    pub async fn stage_products(
        &self,
        origin: &str,
        cancel: CancellationToken,
    ) -> Result<ProductStaging, StagingError> {
        let names = Names::new(origin);
        let create = names.clone();
        self.write("prepare product staging in", move |c| {
            create.drop_tables(c)?;
            let definition: String = c.query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'product_flows'",
                [],
                |row| row.get(0),
            )?;
            let columns = definition
                .find('(')
                .map(|start| &definition[start..])
                .ok_or(rusqlite::Error::InvalidQuery)?;
            c.pragma_update(None, "wal_autocheckpoint", STAGING_CHECKPOINT_PAGES)?;
            c.execute_batch(&format!(
                "CREATE TABLE {} {columns};
                 CREATE TABLE {} (subject TEXT NOT NULL, year INTEGER NOT NULL, old_value REAL, new_value REAL);",
                create.table, create.revisions
            ))
        })
        .await?;
        let (sender, receiver) = mpsc::channel(QUEUE);
        let stager = Stager {
            store: self.clone(),
            names,
            cancel,
            seen: HashSet::new(),
            rows: 0,
            changes: Vec::new(),
        };
        let task = background::spawn("product-staging", move || stager.run(receiver))?;
        Ok(ProductStaging {
            sink: ProductSink { sender },
            task,
        })
    }

    /// Drops staging tables a process that died mid-run left behind.
    pub(super) fn drop_stale_staging(c: &Connection) -> rusqlite::Result<()> {
        let stale: Vec<String> = c
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'product_flows_next_%'",
            )?
            .query_map([], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        for table in stale {
            c.execute_batch(&format!("DROP TABLE IF EXISTS \"{table}\""))?;
        }
        Ok(())
    }
}

/// (reporter, partner, year, flow, digits).
type GroupKey = (EconomyCode, EconomyCode, i32, TradeFlow, u8);

/// The staging thread's state.
struct Stager {
    store: Store,
    names: Names,
    cancel: CancellationToken,
    /// Groups staged so far; one group comes in one answer.
    seen: HashSet<GroupKey>,
    rows: u64,
    changes: Vec<GroupChange>,
}

impl Stager {
    fn run(self, mut receiver: mpsc::Receiver<Message>) -> Result<StagedProducts, StagingError> {
        let store = self.store.clone();
        let names = self.names.clone();
        let result = self.receive(&mut receiver);
        if result.is_err() {
            drop(receiver);
            if let Ok(connection) = store.lock_writer()
                && let Err(error) = names.drop_tables(&connection)
            {
                tracing::warn!("could not drop the product staging tables: {error}");
            }
        }
        result
    }

    fn receive(
        mut self,
        receiver: &mut mpsc::Receiver<Message>,
    ) -> Result<StagedProducts, StagingError> {
        while let Some(message) = receiver.blocking_recv() {
            match message {
                Message::Page(page) => self.stage(&page)?,
                Message::Finish => return self.finish(),
            }
        }
        Err(StagingError::Stopped)
    }

    fn sqlite(&self, source: rusqlite::Error) -> StagingError {
        StagingError::Store(self.store.sqlite("stage product lines in", source))
    }

    /// Stages one page, group by group, in transactions of about
    /// [`ROWS_PER_TRANSACTION`] rows.
    fn stage(&mut self, page: &ProductPage) -> Result<(), StagingError> {
        // Partners in code order, so groups come out in key order.
        let mut by_code: Vec<usize> = (0..page.partners.len()).collect();
        by_code.sort_by(|&a, &b| page.partners[a].cmp(&page.partners[b]));
        let mut rank = vec![0_usize; page.partners.len()];
        for (position, &partner) in by_code.iter().enumerate() {
            rank[partner] = position;
        }
        let group_of = |index: &u32| {
            let line = &page.lines[*index as usize];
            let partner = rank.get(usize::from(line.partner)).copied();
            (partner, line.flow, line.hs_code.digits())
        };
        if let Some(bad) = page
            .lines
            .iter()
            .find(|line| usize::from(line.partner) >= page.partners.len())
        {
            return Err(StagingError::Rejected(format!(
                "a product line refers to partner {} of {}",
                bad.partner,
                page.partners.len()
            )));
        }
        let mut order: Vec<u32> = (0..page.lines.len() as u32).collect();
        order.sort_unstable_by_key(|index| (group_of(index), page.lines[*index as usize].hs_code));
        let mut groups = Vec::new();
        let mut start = 0;
        while start < order.len() {
            let group = group_of(&order[start]);
            let len = order[start..]
                .iter()
                .take_while(|index| group_of(index) == group)
                .count();
            groups.push(start..start + len);
            start += len;
        }
        let mut next = 0;
        while next < groups.len() {
            if self.cancel.is_cancelled() {
                return Err(StagingError::Cancelled);
            }
            let store = self.store.clone();
            let mut connection = store.lock_writer()?;
            let tx = connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| self.sqlite(e))?;
            let mut rows = 0;
            while next < groups.len() && rows < ROWS_PER_TRANSACTION {
                rows += self.stage_group(&tx, page, &order[groups[next].clone()])?;
                next += 1;
            }
            tx.commit().map_err(|e| self.sqlite(e))?;
        }
        Ok(())
    }

    /// Compares one group's lines (sorted by code) with the stored ones and
    /// stages them. Returns how many it staged.
    fn stage_group(
        &mut self,
        tx: &Transaction<'_>,
        page: &ProductPage,
        lines: &[u32],
    ) -> Result<usize, StagingError> {
        let Some(&first) = lines.first() else {
            return Ok(0);
        };
        let first = page.lines[first as usize];
        let partner = &page.partners[usize::from(first.partner)];
        let (reporter, year, flow, digits) = (
            &page.reporter,
            page.year,
            first.flow,
            first.hs_code.digits(),
        );
        let key = (reporter.clone(), partner.clone(), year, flow, digits);
        if !self.seen.insert(key) {
            return Err(StagingError::Rejected(format!(
                "product lines {reporter}→{partner} {} HS{digits} {year} came in two answers",
                flow.as_str()
            )));
        }
        let origin = self.names.origin.as_str();
        let old = stored_lines(tx, reporter, partner, year, flow, digits, origin)
            .map_err(|e| self.sqlite(e))?;
        let mut insert = tx
            .prepare_cached(&format!(
                "INSERT INTO {} (reporter, partner, year, flow, hs_code, description, value_usd, source, origin)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                self.names.table
            ))
            .map_err(|e| self.sqlite(e))?;
        let mut revision = tx
            .prepare_cached(&format!(
                "INSERT INTO {} (subject, year, old_value, new_value) VALUES (?1, ?2, ?3, ?4)",
                self.names.revisions
            ))
            .map_err(|e| self.sqlite(e))?;
        let mut change = GroupChange {
            kind: ChangeKind::NewFigure,
            reporter: reporter.clone(),
            partner: partner.clone(),
            year,
            flow,
            digits,
            old_total: None,
            new_total: None,
            lines: lines.len() as u64,
            added: 0,
            revised: 0,
            removed: 0,
        };
        let (mut old_total, mut new_total) = (0.0, 0.0);
        let mut stored = old.iter().peekable();
        let mut previous: Option<HsCode> = None;
        for &index in lines {
            let line = page.lines[index as usize];
            if previous == Some(line.hs_code) {
                return Err(StagingError::Rejected(format!(
                    "product flow {reporter}→{partner} {} HS{} {year} appears twice",
                    flow.as_str(),
                    line.hs_code
                )));
            }
            previous = Some(line.hs_code);
            while let Some((_, value)) = stored.next_if(|(code, _)| *code < line.hs_code) {
                change.removed += 1;
                old_total += value;
            }
            match stored.next_if(|(code, _)| *code == line.hs_code) {
                Some(&(_, old_value)) => {
                    old_total += old_value;
                    if old_value != line.value_usd {
                        change.revised += 1;
                        let subject = format!(
                            "product_flow {reporter}→{partner} {} HS{}",
                            flow.as_str(),
                            line.hs_code
                        );
                        revision
                            .execute(params![subject, year, old_value, line.value_usd])
                            .map_err(|e| self.sqlite(e))?;
                    }
                }
                None => change.added += 1,
            }
            new_total += line.value_usd;
            let description = page
                .descriptions
                .get(line.description as usize)
                .map_or("", String::as_str);
            insert
                .execute(params![
                    reporter.as_str(),
                    partner.as_str(),
                    year,
                    flow.as_str(),
                    line.hs_code.as_str(),
                    description,
                    line.value_usd,
                    page.source.key,
                    origin
                ])
                .map_err(|e| self.sqlite(e))?;
        }
        for (_, value) in stored {
            change.removed += 1;
            old_total += value;
        }
        change.new_total = Some(new_total);
        if !old.is_empty() {
            change.old_total = Some(old_total);
            change.kind = ChangeKind::RevisedFigure;
        }
        if old.is_empty() || change.added + change.revised + change.removed > 0 {
            self.changes.push(change);
        }
        self.rows += lines.len() as u64;
        Ok(lines.len())
    }

    /// Every page is in: groups stored before but not sent this time are removed.
    fn finish(mut self) -> Result<StagedProducts, StagingError> {
        let store = self.store.clone();
        let connection = store.lock_writer()?;
        let removed = self
            .removed_groups(&connection)
            .map_err(|e| self.sqlite(e))?;
        drop(connection);
        self.changes.extend(removed);
        Ok(StagedProducts {
            names: self.names.clone(),
            store: Some(self.store.clone()),
            rows: self.rows,
            changes: std::mem::take(&mut self.changes),
        })
    }

    fn removed_groups(&self, c: &Connection) -> rusqlite::Result<Vec<GroupChange>> {
        let origin = self.names.origin.as_str();
        // The primary key index covers these columns: no table reads.
        let mut statement = c.prepare(
            "SELECT DISTINCT reporter, partner, year, flow, length(hs_code)
             FROM product_flows WHERE origin = ?1",
        )?;
        let stored: Vec<(String, String, i32, String, u8)> = statement
            .query_map([origin], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        let mut removed = Vec::new();
        for (reporter, partner, year, flow, digits) in stored {
            let (Ok(reporter), Ok(partner), Some(flow)) = (
                EconomyCode::parse(&reporter),
                EconomyCode::parse(&partner),
                TradeFlow::parse(&flow),
            ) else {
                continue;
            };
            let key = (reporter, partner, year, flow, digits);
            if self.seen.contains(&key) {
                continue;
            }
            let (reporter, partner, year, flow, digits) = key;
            let (lines, total): (i64, f64) = c.query_row(
                "SELECT count(*), total(value_usd) FROM product_flows
                 WHERE reporter = ?1 AND partner = ?2 AND year = ?3 AND flow = ?4 AND origin = ?5
                   AND length(hs_code) = ?6",
                params![
                    reporter.as_str(),
                    partner.as_str(),
                    year,
                    flow.as_str(),
                    origin,
                    digits
                ],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            removed.push(GroupChange {
                kind: ChangeKind::RemovedFigure,
                reporter,
                partner,
                year,
                flow,
                digits,
                old_total: Some(total),
                new_total: None,
                lines: 0,
                added: 0,
                revised: 0,
                removed: lines as u64,
            });
        }
        Ok(removed)
    }
}

/// The stored lines of one group, by code.
fn stored_lines(
    tx: &Transaction<'_>,
    reporter: &EconomyCode,
    partner: &EconomyCode,
    year: i32,
    flow: TradeFlow,
    digits: u8,
    origin: &str,
) -> rusqlite::Result<Vec<(HsCode, f64)>> {
    let mut statement = tx.prepare_cached(
        "SELECT hs_code, value_usd FROM product_flows
         WHERE reporter = ?1 AND partner = ?2 AND year = ?3 AND flow = ?4 AND origin = ?5
           AND length(hs_code) = ?6
         ORDER BY hs_code",
    )?;
    let mut rows = statement.query(params![
        reporter.as_str(),
        partner.as_str(),
        year,
        flow.as_str(),
        origin,
        digits
    ])?;
    let mut lines = Vec::new();
    while let Some(row) = rows.next()? {
        let code = row.get_ref(0)?.as_str().ok().and_then(HsCode::parse);
        if let Some(code) = code {
            lines.push((code, row.get(1)?));
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests;
