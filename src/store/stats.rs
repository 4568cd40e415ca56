//! Figures about the store itself, for the metrics endpoint: runs per source
//! and state, last successes, rows per origin, file size.

use std::collections::BTreeMap;

use super::{Store, StoreError};

/// What the store holds right now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreStats {
    /// `(source, state) → number of runs`.
    pub runs: BTreeMap<(String, String), u64>,
    /// `source → last success, Unix seconds`.
    pub last_success: BTreeMap<String, i64>,
    /// `origin → data rows` (figures, events and indicator values).
    pub rows: BTreeMap<String, u64>,
    /// Database file plus its WAL, in bytes.
    pub size_bytes: u64,
    /// Edition of the built-in dataset in the store; empty before the seed.
    pub dataset_version: String,
}

/// Product lines per origin, counted from their summary: counting millions
/// of rows on every metrics scrape would read the whole table.
const PRODUCT_LINES: &str = "SELECT origin, sum(lines) FROM product_levels GROUP BY origin";

impl Store {
    /// Reads [`StoreStats`] (several small aggregate queries).
    pub async fn stats(&self) -> Result<StoreStats, StoreError> {
        let path = self.path.to_path_buf();
        let reader_path = path.clone();
        tokio::task::spawn_blocking(move || {
            let connection = super::open_reader(&reader_path)?;
            let mut stats = read(&connection).map_err(|source| StoreError::Sqlite {
                action: "read statistics from",
                path: reader_path.clone(),
                source,
            })?;
            let wal = reader_path.with_extension(match reader_path.extension() {
                Some(ext) => format!("{}-wal", ext.to_string_lossy()),
                None => "wal".to_owned(),
            });
            stats.size_bytes = [&reader_path, &wal]
                .iter()
                .filter_map(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
                .sum();
            Ok(stats)
        })
        .await?
    }
}

fn read(connection: &rusqlite::Connection) -> rusqlite::Result<StoreStats> {
    let mut stats = StoreStats {
        dataset_version: super::write::builtin_version(connection)?.unwrap_or_default(),
        ..StoreStats::default()
    };
    let mut statement = connection
        .prepare("SELECT source, state, count(*) FROM refresh_runs GROUP BY source, state")?;
    let runs = statement.query_map([], |row| {
        Ok((
            (row.get::<_, String>(0)?, row.get::<_, String>(1)?),
            row.get::<_, i64>(2)?,
        ))
    })?;
    for run in runs {
        let (key, count) = run?;
        stats.runs.insert(key, count.max(0) as u64);
    }
    let mut statement = connection.prepare(
        "SELECT source, CAST(strftime('%s', last_success_at) AS INTEGER) FROM source_state
         WHERE last_success_at IS NOT NULL",
    )?;
    let successes = statement.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
    })?;
    for success in successes {
        let (source, at) = success?;
        stats.last_success.insert(source, at);
    }
    for table in [
        "agreement_events",
        "trade_figures",
        "partner_flows",
        "indicator_values",
    ] {
        let mut statement = connection.prepare(&format!(
            "SELECT origin, count(*) FROM {table} GROUP BY origin"
        ))?;
        add_rows(&mut stats, &mut statement)?;
    }
    add_rows(&mut stats, &mut connection.prepare(PRODUCT_LINES)?)?;
    Ok(stats)
}

/// Adds the `(origin, rows)` pairs `statement` yields to the per-origin counts.
fn add_rows(
    stats: &mut StoreStats,
    statement: &mut rusqlite::Statement<'_>,
) -> rusqlite::Result<()> {
    let counts = statement.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
    })?;
    for count in counts {
        let (origin, rows) = count?;
        *stats.rows.entry(origin).or_default() += rows.max(0) as u64;
    }
    Ok(())
}
