//! Writes the built-in dataset: all of it in one `BEGIN IMMEDIATE` transaction,
//! replacing the previous built-in rows, so readers see the old dataset or the
//! new one and never a mix.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::domain::{Agreement, Dataset, PartialDate, Source};
use crate::seed::Seed;

use super::rows::{self, keys};
use super::{BUILTIN_ORIGIN, SeedOutcome};

const SHA_KEY: &str = "builtin_sha256";
/// Marks built-in agreements during a re-apply; any left with it are gone from the file.
const STALE_ORIGIN: &str = "builtin-stale";
const VERSION_KEY: &str = "builtin_version";

/// Tables whose built-in rows are replaced wholesale, children before parents.
/// Agreements are not among them: refresh sources attach events to them, and
/// deleting an agreement would cascade to those events, so built-in
/// agreements are upserted and the stale ones swept instead.
const TABLES: &[&str] = &[
    "agreement_events",
    "trade_figures",
    "quoted_ranks",
    "quoted_products",
    "partner_flows",
    "product_flows",
    "indicator_values",
    "indicators",
    "economies",
    "sources",
];

pub fn apply_seed(connection: &mut Connection, seed: &Seed) -> rusqlite::Result<SeedOutcome> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version = seed.dataset.version.clone();
    let recorded: Option<String> = tx
        .query_row("SELECT value FROM meta WHERE key = ?1", [SHA_KEY], |row| {
            row.get(0)
        })
        .optional()?;
    if recorded.as_deref() == Some(seed.sha256.as_str()) {
        return Ok(SeedOutcome::Unchanged { version });
    }
    for table in TABLES {
        // Conflicts go with their events (ON DELETE CASCADE).
        tx.execute(
            &format!("DELETE FROM {table} WHERE origin = ?1"),
            [BUILTIN_ORIGIN],
        )?;
    }
    tx.execute(
        "UPDATE agreements SET origin = ?1 WHERE origin = ?2",
        [STALE_ORIGIN, BUILTIN_ORIGIN],
    )?;
    insert_dataset(&tx, &seed.dataset)?;
    tx.execute("DELETE FROM agreements WHERE origin = ?1", [STALE_ORIGIN])?;
    set_meta(&tx, SHA_KEY, &seed.sha256)?;
    set_meta(&tx, VERSION_KEY, &version)?;
    super::replication::bump_generation(&tx)?;
    tx.commit()?;
    Ok(SeedOutcome::Applied { version })
}

/// The digest of the built-in dataset the database holds, if any.
pub fn builtin_sha256(connection: &Connection) -> rusqlite::Result<Option<String>> {
    connection
        .query_row("SELECT value FROM meta WHERE key = ?1", [SHA_KEY], |row| {
            row.get(0)
        })
        .optional()
}

/// The built-in edition recorded in the database, if any.
pub fn builtin_version(connection: &Connection) -> rusqlite::Result<Option<String>> {
    connection
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [VERSION_KEY],
            |row| row.get(0),
        )
        .optional()
}

fn set_meta(tx: &Transaction<'_>, key: &str, value: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

fn insert_dataset(tx: &Transaction<'_>, dataset: &Dataset) -> rusqlite::Result<()> {
    insert_sources(tx, dataset)?;
    insert_economies(tx, dataset)?;
    for agreement in dataset.agreements.values() {
        insert_agreement(tx, agreement, BUILTIN_ORIGIN)?;
    }
    insert_trade(tx, dataset)?;
    insert_indicators(tx, dataset)?;
    Ok(())
}

/// Every source the dataset refers to, each once.
fn insert_sources(tx: &Transaction<'_>, dataset: &Dataset) -> rusqlite::Result<()> {
    let mut statement = tx.prepare(rows::INSERT_SOURCE_KEEP)?;
    for source in all_sources(dataset) {
        rows::source(&mut statement, source, BUILTIN_ORIGIN)?;
    }
    Ok(())
}

fn all_sources(dataset: &Dataset) -> impl Iterator<Item = &Arc<Source>> {
    let agreements = dataset.agreements.values().flat_map(|a| {
        a.sources.iter().chain(a.events.iter().flat_map(|e| {
            e.sources
                .iter()
                .chain(e.conflicts.iter().flat_map(|c| c.sources.iter()))
        }))
    });
    agreements
        .chain(dataset.trade.iter().flat_map(|t| t.sources.iter()))
        .chain(dataset.quoted_ranks.iter().flat_map(|q| q.sources.iter()))
        .chain(
            dataset
                .quoted_products
                .iter()
                .flat_map(|q| q.sources.iter()),
        )
        .chain(
            dataset
                .indicator_series
                .iter()
                .flat_map(|s| s.sources.iter()),
        )
        .chain(dataset.partner_flows.iter().map(|f| &f.source))
}

fn date(value: Option<PartialDate>) -> Option<String> {
    value.map(|d| d.to_string())
}

fn insert_economies(tx: &Transaction<'_>, dataset: &Dataset) -> rusqlite::Result<()> {
    let mut statement = tx.prepare(
        "INSERT INTO economies (code, iso2, name, members, origin) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for economy in dataset.economies.values() {
        let members = economy
            .members
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        statement.execute(params![
            economy.code.as_str(),
            economy.iso2,
            economy.name,
            members,
            BUILTIN_ORIGIN
        ])?;
    }
    Ok(())
}

/// Writes one agreement with its events as `origin`'s: the built-in
/// dataset's, or a refresh source's agreement the dataset did not hold.
pub(super) fn insert_agreement(
    tx: &Transaction<'_>,
    agreement: &Agreement,
    origin: &str,
) -> rusqlite::Result<()> {
    let parties = agreement
        .parties
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let wto = agreement.wto.as_ref();
    tx.execute(
        "INSERT INTO agreements (id, name, kind, parties, note, sources, origin,
             wto_rta_id, wto_types, coverage, composition, regions, accession_to, wto_status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
             parties = excluded.parties, note = excluded.note, sources = excluded.sources,
             origin = excluded.origin, wto_rta_id = excluded.wto_rta_id,
             wto_types = excluded.wto_types, coverage = excluded.coverage,
             composition = excluded.composition, regions = excluded.regions,
             accession_to = excluded.accession_to, wto_status = excluded.wto_status",
        params![
            agreement.id,
            agreement.name,
            agreement.kind,
            parties,
            agreement.note,
            keys(&agreement.sources),
            origin,
            wto.map(|w| w.rta_id),
            wto.map(|w| w.types.join(" ")).unwrap_or_default(),
            wto.map(|w| w.coverage.as_str()).unwrap_or_default(),
            wto.map(|w| w.composition.as_str()).unwrap_or_default(),
            wto.map(|w| w.regions.join("; ")).unwrap_or_default(),
            wto.and_then(|w| w.accession_to),
            wto.map(|w| w.status.as_str()).unwrap_or_default(),
        ],
    )?;
    // Each event goes after the agreement's last stored one: a refresh's
    // events of the same agreement keep their positions across a new
    // edition (one with more events would otherwise collide with them),
    // and the edition's own events keep their order among themselves.
    let mut event_statement = tx.prepare_cached(
        "INSERT INTO agreement_events
             (agreement_id, position, kind, start, end_date, round_number, format, venue, party, note, sources, origin, scope)
         SELECT ?1, coalesce(max(position), -1) + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12
         FROM agreement_events WHERE agreement_id = ?1",
    )?;
    let mut conflict_statement = tx.prepare_cached(
        "INSERT INTO event_conflicts (event_id, position, start, end_date, sources) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for event in &agreement.events {
        event_statement.execute(params![
            agreement.id,
            event.kind.as_str(),
            date(event.start),
            date(event.end),
            event.round_number,
            event.format.as_str(),
            event.venue,
            event.party.as_ref().map(|p| p.as_str()),
            event.note,
            keys(&event.sources),
            origin,
            event.scope.as_str(),
        ])?;
        let event_id = tx.last_insert_rowid();
        for (position, conflict) in event.conflicts.iter().enumerate() {
            conflict_statement.execute(params![
                event_id,
                position as i64,
                date(conflict.start),
                date(conflict.end),
                keys(&conflict.sources),
            ])?;
        }
    }
    Ok(())
}

fn insert_trade(tx: &Transaction<'_>, dataset: &Dataset) -> rusqlite::Result<()> {
    let mut figures = tx.prepare(rows::INSERT_TRADE)?;
    for f in &dataset.trade {
        rows::trade(&mut figures, f, BUILTIN_ORIGIN)?;
    }
    let mut ranks = tx.prepare(
        "INSERT INTO quoted_ranks (reporter, year, flow, partners, rank, share_pct, value_usd, note, sources, origin)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for q in &dataset.quoted_ranks {
        let partners = q
            .partners
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join("+");
        ranks.execute(params![
            q.reporter.as_str(),
            q.year,
            q.flow.as_str(),
            partners,
            q.rank,
            q.share_pct,
            q.value_usd,
            q.note,
            keys(&q.sources),
            BUILTIN_ORIGIN,
        ])?;
    }
    let mut products = tx.prepare(
        "INSERT INTO quoted_products (reporter, partner, year, flow, products, note, sources, origin)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for q in &dataset.quoted_products {
        products.execute(params![
            q.reporter.as_str(),
            q.partner.as_str(),
            q.year,
            q.flow.as_str(),
            q.products.join("\n"),
            q.note,
            keys(&q.sources),
            BUILTIN_ORIGIN,
        ])?;
    }
    Ok(())
}

fn insert_indicators(tx: &Transaction<'_>, dataset: &Dataset) -> rusqlite::Result<()> {
    // A refresh source may already have defined the same indicator.
    let mut indicators = tx.prepare(
        "INSERT INTO indicators (code, name, unit, origin) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, unit = excluded.unit, origin = excluded.origin",
    )?;
    for indicator in dataset.indicators.values() {
        indicators.execute(params![
            indicator.code,
            indicator.name,
            indicator.unit,
            BUILTIN_ORIGIN
        ])?;
    }
    let mut values = tx.prepare(rows::INSERT_INDICATOR_VALUE)?;
    for series in &dataset.indicator_series {
        let sources = keys(&series.sources);
        for point in &series.points {
            rows::indicator_value(&mut values, series, &sources, *point, BUILTIN_ORIGIN)?;
        }
    }
    Ok(())
}
