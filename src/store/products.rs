//! Product lines read per question: the one part of the data kept out of the
//! snapshot, because at Comtrade scale it is millions of HS6 rows. Each
//! question is a few indexed reads inside one read transaction on a pooled
//! read-only connection: `product_levels` says which origins and levels are
//! stored (with their totals), `product_flows_top` walks one level's lines
//! largest first (migration 0004).

use std::collections::HashMap;

use rusqlite::{Transaction, params};

use crate::domain::{EconomyCode, TradeFlow};
use crate::query::{
    HeldProductLevel, LevelSummary, ProductKey, ProductLines, QueryError, StoredLine, Window,
};

use super::{Store, StoreError};

impl Store {
    /// Every product level held for a pair, whatever the year, flow or
    /// origin (`product_levels`, one row per level: a few rows a year).
    pub async fn product_levels_of(
        &self,
        reporter: &EconomyCode,
        partner: &EconomyCode,
    ) -> Result<Vec<HeldProductLevel>, StoreError> {
        let (reporter, partner) = (reporter.to_string(), partner.to_string());
        self.read("read product levels from", move |c| {
            let mut statement = c.prepare_cached(
                "SELECT DISTINCT year, flow, digits FROM product_levels
                 WHERE reporter = ?1 AND partner = ?2 AND lines > 0
                 ORDER BY year, flow, digits",
            )?;
            let rows = statement.query_map(params![reporter, partner], |row| {
                Ok((
                    row.get::<_, i32>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            })?;
            let mut levels = Vec::new();
            for row in rows {
                let (year, flow, digits) = row?;
                // The store writes only flows and levels it can name.
                if let (Some(flow), Ok(digits)) = (TradeFlow::parse(&flow), u8::try_from(digits)) {
                    levels.push(HeldProductLevel { year, flow, digits });
                }
            }
            Ok(levels)
        })
        .await
    }

    /// Runs `read` with product lines read from one consistent snapshot of
    /// the database. Blocking: call it from the blocking pool.
    pub fn read_products<T>(
        &self,
        read: impl FnOnce(&dyn ProductLines) -> Result<T, QueryError>,
    ) -> Result<T, QueryError> {
        self.in_read_transaction("read product lines from", |tx| read(&SqlLines(tx)))
    }
}

struct SqlLines<'a>(&'a Transaction<'a>);

fn sql_failure(error: rusqlite::Error) -> QueryError {
    QueryError::Store(error.to_string())
}

impl From<StoreError> for QueryError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::CopyRestoring { .. } => QueryError::CopyRestoring,
            other => QueryError::Store(other.to_string()),
        }
    }
}

fn key_params(key: &ProductKey) -> (&str, &str, i32, &'static str) {
    (
        key.reporter.as_str(),
        key.partner.as_str(),
        key.year,
        key.flow.as_str(),
    )
}

impl ProductLines for SqlLines<'_> {
    fn levels(&self, key: &ProductKey) -> Result<Vec<LevelSummary>, QueryError> {
        let (reporter, partner, year, flow) = key_params(key);
        let mut statement = self
            .0
            .prepare_cached(
                "SELECT origin, digits, lines, total_usd, sources FROM product_levels
                 WHERE reporter = ?1 AND partner = ?2 AND year = ?3 AND flow = ?4",
            )
            .map_err(sql_failure)?;
        let rows = statement
            .query_map(params![reporter, partner, year, flow], |row| {
                let sources: String = row.get(4)?;
                Ok(LevelSummary {
                    origin: row.get(0)?,
                    digits: row.get::<_, i64>(1)? as usize,
                    lines: row.get::<_, i64>(2)? as u64,
                    total_usd: row.get(3)?,
                    source_keys: sources.split_whitespace().map(str::to_owned).collect(),
                })
            })
            .map_err(sql_failure)?;
        rows.collect::<Result<_, _>>().map_err(sql_failure)
    }

    fn top(
        &self,
        key: &ProductKey,
        origin: &str,
        digits: usize,
        from_digits: usize,
        window: Window,
    ) -> Result<Vec<StoredLine>, QueryError> {
        let (reporter, partner, year, flow) = key_params(key);
        // The stored level itself: an index range, `limit` entries long.
        const STORED: &str = "SELECT hs_code, description, value_usd FROM product_flows
             WHERE reporter = ?1 AND partner = ?2 AND year = ?3 AND flow = ?4 AND origin = ?5
               AND length(hs_code) = ?6 AND value_usd > 0
             ORDER BY value_usd DESC, hs_code LIMIT ?7 OFFSET ?9";
        // A coarser level: the finer lines summed per prefix.
        const SUMMED: &str = "SELECT substr(hs_code, 1, ?8) AS code, '', sum(value_usd) AS total
             FROM product_flows
             WHERE reporter = ?1 AND partner = ?2 AND year = ?3 AND flow = ?4 AND origin = ?5
               AND length(hs_code) = ?6
             GROUP BY code HAVING total > 0
             ORDER BY total DESC, code LIMIT ?7 OFFSET ?9";
        let limit = window.limit as i64;
        let offset = window.offset as i64;
        let from = from_digits as i64;
        let mut statement = if digits == from_digits {
            self.0.prepare_cached(STORED)
        } else {
            self.0.prepare_cached(SUMMED)
        }
        .map_err(sql_failure)?;
        let line = |row: &rusqlite::Row<'_>| {
            Ok(StoredLine {
                hs_code: row.get(0)?,
                description: row.get(1)?,
                value_usd: row.get(2)?,
            })
        };
        let rows = if digits == from_digits {
            statement.query_map(
                params![
                    reporter,
                    partner,
                    year,
                    flow,
                    origin,
                    from,
                    limit,
                    None::<i64>,
                    offset
                ],
                line,
            )
        } else {
            statement.query_map(
                params![
                    reporter,
                    partner,
                    year,
                    flow,
                    origin,
                    from,
                    limit,
                    digits as i64,
                    offset
                ],
                line,
            )
        }
        .map_err(sql_failure)?;
        rows.collect::<Result<_, _>>().map_err(sql_failure)
    }

    fn count(
        &self,
        key: &ProductKey,
        origin: &str,
        digits: usize,
        from_digits: usize,
    ) -> Result<usize, QueryError> {
        let (reporter, partner, year, flow) = key_params(key);
        // The same rows `top` pages through, counted.
        const STORED: &str = "SELECT count(*) FROM product_flows
             WHERE reporter = ?1 AND partner = ?2 AND year = ?3 AND flow = ?4 AND origin = ?5
               AND length(hs_code) = ?6 AND value_usd > 0";
        const SUMMED: &str = "SELECT count(*) FROM (
               SELECT substr(hs_code, 1, ?7) AS code, sum(value_usd) AS total
               FROM product_flows
               WHERE reporter = ?1 AND partner = ?2 AND year = ?3 AND flow = ?4 AND origin = ?5
                 AND length(hs_code) = ?6
               GROUP BY code HAVING total > 0)";
        let from = from_digits as i64;
        let count: i64 = if digits == from_digits {
            self.0.prepare_cached(STORED).and_then(|mut statement| {
                statement.query_row(
                    params![reporter, partner, year, flow, origin, from],
                    |row| row.get(0),
                )
            })
        } else {
            self.0.prepare_cached(SUMMED).and_then(|mut statement| {
                statement.query_row(
                    params![reporter, partner, year, flow, origin, from, digits as i64],
                    |row| row.get(0),
                )
            })
        }
        .map_err(sql_failure)?;
        Ok(count as usize)
    }

    fn descriptions(
        &self,
        key: &ProductKey,
        origin: &str,
        codes: &[&str],
    ) -> Result<HashMap<String, String>, QueryError> {
        let (reporter, partner, year, flow) = key_params(key);
        let mut statement = self
            .0
            .prepare_cached(
                "SELECT description FROM product_flows
                 WHERE reporter = ?1 AND partner = ?2 AND year = ?3 AND flow = ?4
                   AND hs_code = ?5 AND origin = ?6",
            )
            .map_err(sql_failure)?;
        let mut found = HashMap::new();
        for code in codes {
            let description: Option<String> = statement
                .query_row(
                    params![reporter, partner, year, flow, code, origin],
                    |row| row.get(0),
                )
                .map(Some)
                .or_else(|error| match error {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    other => Err(other),
                })
                .map_err(sql_failure)?;
            if let Some(description) = description.filter(|d| !d.is_empty()) {
                found.insert((*code).to_owned(), description);
            }
        }
        Ok(found)
    }
}

/// Whether `origin` has product lines summarised (so a swap must redo it).
pub(crate) fn has_levels(tx: &Transaction<'_>, origin: &str) -> rusqlite::Result<bool> {
    tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM product_levels WHERE origin = ?1)",
        [origin],
        |row| row.get(0),
    )
}

/// Recomputes `product_levels` for `origin` from its product rows; run in the
/// transaction that swaps them, so the summary never disagrees with the lines.
pub fn rebuild_levels(tx: &Transaction<'_>, origin: &str) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM product_levels WHERE origin = ?1", [origin])?;
    tx.execute(
        "INSERT INTO product_levels
         SELECT reporter, partner, year, flow, origin, length(hs_code), count(*), sum(value_usd),
                replace(group_concat(DISTINCT source), ',', ' ')
         FROM product_flows WHERE origin = ?1
         GROUP BY reporter, partner, year, flow, origin, length(hs_code)",
        [origin],
    )?;
    Ok(())
}
