//! The swap: one source's validated batch replaces everything that source
//! stored, in one `BEGIN IMMEDIATE` transaction that also records the
//! changes it makes (`changes.rs`), the source's validators and the run's
//! success, and, for a staged run, renames its staged product lines into
//! place.

use rusqlite::{Connection, Transaction, TransactionBehavior, params};
use tokio_util::sync::CancellationToken;

use crate::domain::{Batch, DataChange, RunRecord, RunState, StatusChange};

use super::changes::{batch_figures, figure_changes, status_change, stored_figures};
use super::rows::{self, keys as join_keys};
use super::runs::{UrlValidators, mark_success, run_by_id};
use super::staging::StagedProducts;
use super::{Store, StoreError};

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

/// Checked between row inserts: a cancelled swap rolls back.
const CANCEL_CHECK_EVERY: usize = 1000;

impl Store {
    /// Replaces everything `source` stored with `batch`, records the changes
    /// and closes the run as SUCCEEDED, all in one transaction.
    ///
    /// Runs on the blocking pool, at normal priority, not on an idle-class
    /// background thread like parsing and staging: from `BEGIN IMMEDIATE` to
    /// `COMMIT` it holds the writer mutex and SQLite's write lock, and
    /// everything that writes waits for them (run bookkeeping, a second
    /// TriggerRefresh, the checkpoint at shutdown), as does cancellation,
    /// which the swap checks itself. An idle-class thread gets no CPU while
    /// calls keep the CPUs busy, so under that load it would hold both locks
    /// and stall all of those for as long as the load lasts. Calls never wait
    /// for it: they read the snapshot, or a read connection (WAL).
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
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut connection = store.lock_writer()?;
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
                SwapError::Sqlite(source) => store.sqlite("swap refreshed data into", source),
            })
        })
        .await?
    }
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

/// One source's data swap.
pub(super) struct Swap<'a> {
    pub(super) run_id: i64,
    pub(super) source: &'a str,
    pub(super) now: &'a str,
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
        super::replication::bump_generation(&tx)?;
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
        // Agreements a source added stay (other sources' events may point at
        // them); its next run attaches its events to them again.
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
        for agreement in &batch.agreements {
            super::write::insert_agreement(tx, agreement, self.source)?;
        }
        let mut events = tx.prepare_cached(
            "INSERT INTO agreement_events
                 (agreement_id, position, kind, start, end_date, round_number, format, venue, party, note, sources, origin, scope)
             SELECT ?1, coalesce(max(position), -1) + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12
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
                self.source,
                e.scope.as_str(),
            ])?;
        }
        Ok(())
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
