//! What a refresh changed: the figure-by-figure diff of a source's stored
//! data against its new batch (`stored_figures`, `batch_figures`,
//! `figure_changes`), the change records and figure history the swap writes
//! in its transaction, and the reads behind WatchChanges and
//! ListDataChanges (`changes_after`, `latest_change_seq`).

use std::collections::BTreeMap;

use rusqlite::{Row, Transaction, params};

use crate::domain::{Batch, ChangeKind, ChangeSubject, DataChange, StatusChange};

use super::runs::bad_text;
use super::staging::GroupChange;
use super::swap::Swap;
use super::{Store, StoreError};

impl Store {
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
        Ok(self.change_seq_bounds().await?.1)
    }

    /// The oldest and newest sequence numbers held: `(0, 0)` when none is.
    /// Sequence numbers are never reused, so after the oldest ever deleted
    /// the oldest held is larger than 1.
    pub async fn change_seq_bounds(&self) -> Result<(i64, i64), StoreError> {
        self.read("read changes from", |c| {
            c.query_row(
                "SELECT coalesce(min(seq), 0), coalesce(max(seq), 0) FROM data_changes",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
        })
        .await
    }
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

/// A figure's identity and value, for telling what a swap changes.
type Figures = BTreeMap<(String, Option<i32>), Option<f64>>;

impl Swap<'_> {
    pub(super) fn record_changes(
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
    pub(super) fn record_group_changes(
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
}

/// A change worked out before it is given its sequence number.
pub(super) struct PendingChange {
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

pub(super) fn figure_changes(before: &Figures, after: &Figures) -> Vec<PendingChange> {
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

pub(super) fn status_change(change: &StatusChange) -> PendingChange {
    let text = |status: Option<crate::domain::AgreementStatus>| {
        Some(status.map_or("UNSPECIFIED", |s| s.as_str()).to_owned())
    };
    PendingChange {
        kind: ChangeKind::StatusChanged,
        subject: ChangeSubject::Agreement {
            id: change.agreement_id.clone(),
        }
        .to_string(),
        year: None,
        old_value: text(change.old),
        new_value: text(change.new),
        new_number: None,
    }
}

fn indicator_subject(indicator: &str, economy: &str, vintage: &str) -> String {
    ChangeSubject::Indicator {
        indicator: indicator.to_owned(),
        economy: economy.to_owned(),
        vintage: vintage.to_owned(),
    }
    .to_string()
}

fn flow_subject(reporter: &str, partner: &str, flow: &str) -> String {
    ChangeSubject::PartnerFlow {
        reporter: reporter.to_owned(),
        partner: partner.to_owned(),
        flow: flow.to_owned(),
    }
    .to_string()
}

fn product_subject(reporter: &str, partner: &str, flow: &str, hs: &str) -> String {
    ChangeSubject::ProductFlow {
        reporter: reporter.to_owned(),
        partner: partner.to_owned(),
        flow: flow.to_owned(),
        hs_code: hs.to_owned(),
    }
    .to_string()
}

fn trade_subject(reporter: &str, partner: &str, family: &str, field: &str) -> String {
    ChangeSubject::Trade {
        reporter: reporter.to_owned(),
        partner: partner.to_owned(),
        family: family.to_owned(),
        field: field.to_owned(),
    }
    .to_string()
}

/// Every figure `source` holds now, keyed as [`batch_figures`] keys them;
/// product lines only when `products`.
pub(super) fn stored_figures(
    tx: &Transaction<'_>,
    source: &str,
    products: bool,
) -> rusqlite::Result<Figures> {
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
pub(super) fn batch_figures(batch: &Batch) -> Figures {
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
