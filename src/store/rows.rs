//! Row writers shared by the built-in dataset's writer and the refresh swap:
//! one place knows each table's columns. Each function takes a prepared
//! statement for the matching `INSERT_*` text, so callers can loop with
//! their own bookkeeping (the swap checks for cancellation between rows).

use std::sync::Arc;

use rusqlite::{Statement, params};

use crate::domain::{IndicatorSeries, Source, TradeFigure};

/// Keeps an existing source of the same key (the built-in dataset declares
/// each source once).
pub const INSERT_SOURCE_KEEP: &str = "INSERT INTO sources
     (key, title, publisher, url, published, retrieved_at, license, redistributable, origin)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
     ON CONFLICT (key) DO NOTHING";

/// Refreshes an existing source of the same key (a new retrieval time).
pub const INSERT_SOURCE_REPLACE: &str = "INSERT INTO sources
     (key, title, publisher, url, published, retrieved_at, license, redistributable, origin)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
     ON CONFLICT (key) DO UPDATE SET title = excluded.title, url = excluded.url,
         retrieved_at = excluded.retrieved_at, origin = excluded.origin";

pub const INSERT_TRADE: &str = "INSERT INTO trade_figures
     (reporter, partner, year, exports_usd, imports_usd, total_usd, family, preferred, note, sources, origin)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

pub const INSERT_INDICATOR_VALUE: &str = "INSERT INTO indicator_values
     (economy, indicator, vintage, year, value, sources, origin)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// Space-separated source keys, in order (keys never contain spaces).
pub fn keys(sources: &[Arc<Source>]) -> String {
    sources
        .iter()
        .map(|s| s.key.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// With [`INSERT_SOURCE_KEEP`] or [`INSERT_SOURCE_REPLACE`].
pub fn source(statement: &mut Statement<'_>, s: &Source, origin: &str) -> rusqlite::Result<usize> {
    statement.execute(params![
        s.key,
        s.title,
        s.publisher,
        s.url,
        s.published.map(|d| d.to_string()),
        s.retrieved_at,
        s.license,
        s.redistributable,
        origin
    ])
}

/// With [`INSERT_TRADE`].
pub fn trade(
    statement: &mut Statement<'_>,
    f: &TradeFigure,
    origin: &str,
) -> rusqlite::Result<usize> {
    statement.execute(params![
        f.reporter.as_str(),
        f.partner.as_str(),
        f.year,
        f.exports_usd,
        f.imports_usd,
        f.total_usd,
        f.family,
        f.preferred,
        f.note,
        keys(&f.sources),
        origin
    ])
}

/// With [`INSERT_INDICATOR_VALUE`]: one year of `series`; `sources` is
/// `keys(&series.sources)`, worked out once per series.
pub fn indicator_value(
    statement: &mut Statement<'_>,
    series: &IndicatorSeries,
    sources: &str,
    (year, value): (i32, Option<f64>),
    origin: &str,
) -> rusqlite::Result<usize> {
    statement.execute(params![
        series.economy.as_str(),
        series.indicator,
        series.vintage,
        year,
        value,
        sources,
        origin
    ])
}
