//! Reads the whole dataset back into the domain model, inside one read
//! transaction so it is one consistent snapshot of the database.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use rusqlite::{Connection, Row, Transaction};

use crate::domain::{
    Agreement, AgreementEvent, AlternativeDate, Coverage, Dataset, Economy, EconomyCode, EventKind,
    Indicator, IndicatorSeries, MeetingFormat, PartialDate, PartnerFlow, QuotedProducts,
    QuotedRank, Scope, Source, TradeFigure, TradeFlow, WtoListing,
};

use super::StoreError;
use super::write::builtin_version;

/// A failure while reading: SQLite's own, or a row that does not parse.
enum ReadError {
    Sqlite(rusqlite::Error),
    Corrupt(String),
}

impl From<rusqlite::Error> for ReadError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Sqlite(error)
    }
}

type Read<T> = Result<T, ReadError>;

fn corrupt(problem: impl Into<String>) -> ReadError {
    ReadError::Corrupt(problem.into())
}

pub fn dataset(connection: &mut Connection, path: &Path) -> Result<Dataset, StoreError> {
    read_all(connection).map_err(|error| match error {
        ReadError::Sqlite(source) => StoreError::Sqlite {
            action: "read",
            path: path.to_path_buf(),
            source,
        },
        ReadError::Corrupt(problem) => StoreError::Corrupt {
            path: path.to_path_buf(),
            problem,
        },
    })
}

fn read_all(connection: &mut Connection) -> Read<Dataset> {
    let tx = connection.transaction()?;
    let sources = sources(&tx)?;
    let lookup = SourceLookup(&sources);
    let dataset = Dataset {
        version: builtin_version(&tx)?.unwrap_or_default(),
        economies: economies(&tx)?,
        agreements: agreements(&tx, &lookup)?,
        trade: trade_figures(&tx, &lookup)?,
        quoted_ranks: quoted_ranks(&tx, &lookup)?,
        quoted_products: quoted_products(&tx, &lookup)?,
        partner_flows: partner_flows(&tx, &lookup)?,
        indicators: indicators(&tx)?,
        indicator_series: indicator_series(&tx, &lookup)?,
        sources: sources.clone(),
    };
    tx.finish()?;
    Ok(dataset)
}

struct SourceLookup<'a>(&'a HashMap<String, Arc<Source>>);

impl SourceLookup<'_> {
    fn one(&self, key: &str) -> Read<Arc<Source>> {
        self.0
            .get(key)
            .cloned()
            .ok_or_else(|| corrupt(format!("source '{key}' is referred to but not stored")))
    }

    fn list(&self, keys: &str) -> Read<Vec<Arc<Source>>> {
        keys.split_whitespace().map(|key| self.one(key)).collect()
    }
}

fn code(text: &str) -> Read<EconomyCode> {
    EconomyCode::parse(text).map_err(|e| corrupt(format!("economy code {e}")))
}

fn codes(text: &str, separator: char) -> Read<Vec<EconomyCode>> {
    text.split(separator)
        .filter(|part| !part.is_empty())
        .map(code)
        .collect()
}

fn date(text: Option<String>) -> Read<Option<PartialDate>> {
    text.map(|t| PartialDate::parse(&t).map_err(|e| corrupt(format!("date: {e}"))))
        .transpose()
}

fn flow(text: &str) -> Read<TradeFlow> {
    TradeFlow::parse(text).ok_or_else(|| corrupt(format!("unknown flow '{text}'")))
}

fn sources(tx: &Transaction<'_>) -> Read<HashMap<String, Arc<Source>>> {
    let mut statement = tx.prepare(
        "SELECT key, title, publisher, url, published, retrieved_at, license, redistributable FROM sources",
    )?;
    let mut rows = statement.query([])?;
    let mut out = HashMap::new();
    while let Some(row) = rows.next()? {
        let source = Source {
            key: row.get(0)?,
            title: row.get(1)?,
            publisher: row.get(2)?,
            url: row.get(3)?,
            published: date(row.get(4)?)?,
            retrieved_at: row.get(5)?,
            license: row.get(6)?,
            redistributable: row.get(7)?,
        };
        out.insert(source.key.clone(), Arc::new(source));
    }
    Ok(out)
}

fn economies(tx: &Transaction<'_>) -> Read<BTreeMap<EconomyCode, Economy>> {
    let mut statement = tx.prepare("SELECT code, name, members, iso2 FROM economies")?;
    let mut rows = statement.query([])?;
    let mut out = BTreeMap::new();
    while let Some(row) = rows.next()? {
        let economy = Economy {
            code: code(&row.get::<_, String>(0)?)?,
            name: row.get(1)?,
            members: codes(&row.get::<_, String>(2)?, ' ')?,
            iso2: row.get(3)?,
        };
        out.insert(economy.code.clone(), economy);
    }
    Ok(out)
}

fn agreements(
    tx: &Transaction<'_>,
    lookup: &SourceLookup<'_>,
) -> Read<BTreeMap<String, Agreement>> {
    let conflicts = conflicts(tx, lookup)?;
    let mut events = events(tx, lookup, conflicts)?;
    let mut statement = tx.prepare(
        "SELECT id, name, kind, parties, note, sources,
                wto_rta_id, wto_types, coverage, composition, regions, accession_to, wto_status
         FROM agreements",
    )?;
    let mut rows = statement.query([])?;
    let mut out = BTreeMap::new();
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        let mut agreement = Agreement {
            events: events.builtin.remove(&id).unwrap_or_default(),
            name: row.get(1)?,
            kind: row.get(2)?,
            parties: codes(&row.get::<_, String>(3)?, ' ')?,
            note: row.get(4)?,
            sources: lookup.list(&row.get::<_, String>(5)?)?,
            wto: wto_listing(row)?,
            id: id.clone(),
        };
        if let Some(refreshed) = events.refreshed.remove(&id) {
            agreement.merge_events(refreshed);
        }
        out.insert(id, agreement);
    }
    Ok(out)
}

/// The WTO columns of an `agreements` row (from column 6 on); `None` for
/// an agreement the WTO does not list.
fn wto_listing(row: &rusqlite::Row<'_>) -> Read<Option<WtoListing>> {
    let Some(rta_id) = row.get::<_, Option<u32>>(6)? else {
        return Ok(None);
    };
    let coverage: String = row.get(8)?;
    let words = |text: String, separator: &str| -> Vec<String> {
        text.split(separator)
            .filter(|word| !word.is_empty())
            .map(str::to_owned)
            .collect()
    };
    Ok(Some(WtoListing {
        rta_id,
        types: words(row.get(7)?, " "),
        coverage: Coverage::parse(&coverage)
            .ok_or_else(|| corrupt(format!("unknown coverage '{coverage}'")))?,
        composition: row.get(9)?,
        regions: words(row.get(10)?, "; "),
        accession_to: row.get(11)?,
        status: row.get(12)?,
    }))
}

/// Events by agreement: the built-in ones in dataset order, and separately
/// those a refresh source stored, to be merged in.
struct Events {
    builtin: HashMap<String, Vec<AgreementEvent>>,
    refreshed: HashMap<String, Vec<AgreementEvent>>,
}

fn events(
    tx: &Transaction<'_>,
    lookup: &SourceLookup<'_>,
    mut conflicts: HashMap<i64, Vec<AlternativeDate>>,
) -> Read<Events> {
    let mut statement = tx.prepare(
        "SELECT id, agreement_id, kind, start, end_date, round_number, format, venue, party, note, sources, origin, scope
         FROM agreement_events ORDER BY agreement_id, position",
    )?;
    let mut rows = statement.query([])?;
    let mut out = Events {
        builtin: HashMap::new(),
        refreshed: HashMap::new(),
    };
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let kind: String = row.get(2)?;
        let format: String = row.get(6)?;
        let event = AgreementEvent {
            kind: EventKind::parse(&kind)
                .ok_or_else(|| corrupt(format!("unknown event kind '{kind}'")))?,
            start: date(row.get(3)?)?,
            end: date(row.get(4)?)?,
            round_number: row.get(5)?,
            format: MeetingFormat::parse(&format)
                .ok_or_else(|| corrupt(format!("unknown meeting format '{format}'")))?,
            venue: row.get(7)?,
            party: row
                .get::<_, Option<String>>(8)?
                .map(|p| code(&p))
                .transpose()?,
            note: row.get(9)?,
            sources: lookup.list(&row.get::<_, String>(10)?)?,
            conflicts: conflicts.remove(&id).unwrap_or_default(),
            scope: scope(row.get(12)?)?,
        };
        let origin: String = row.get(11)?;
        let by_agreement = if origin == super::BUILTIN_ORIGIN {
            &mut out.builtin
        } else {
            &mut out.refreshed
        };
        by_agreement.entry(row.get(1)?).or_default().push(event);
    }
    Ok(out)
}

fn scope(text: String) -> Read<Scope> {
    Scope::parse(&text).ok_or_else(|| corrupt(format!("unknown event scope '{text}'")))
}

fn conflicts(
    tx: &Transaction<'_>,
    lookup: &SourceLookup<'_>,
) -> Read<HashMap<i64, Vec<AlternativeDate>>> {
    let mut statement =
        tx.prepare("SELECT event_id, start, end_date, sources FROM event_conflicts ORDER BY event_id, position")?;
    let mut rows = statement.query([])?;
    let mut out: HashMap<i64, Vec<AlternativeDate>> = HashMap::new();
    while let Some(row) = rows.next()? {
        let alternative = AlternativeDate {
            start: date(row.get(1)?)?,
            end: date(row.get(2)?)?,
            sources: lookup.list(&row.get::<_, String>(3)?)?,
        };
        out.entry(row.get(0)?).or_default().push(alternative);
    }
    Ok(out)
}

fn collect<T>(
    tx: &Transaction<'_>,
    sql: &str,
    mut map: impl FnMut(&Row<'_>) -> Read<T>,
) -> Read<Vec<T>> {
    let mut statement = tx.prepare(sql)?;
    let mut rows = statement.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(map(row)?);
    }
    Ok(out)
}

fn trade_figures(tx: &Transaction<'_>, lookup: &SourceLookup<'_>) -> Read<Vec<TradeFigure>> {
    collect(
        tx,
        "SELECT reporter, partner, year, exports_usd, imports_usd, total_usd, family, preferred, note, sources, origin
         FROM trade_figures ORDER BY id",
        |row| {
            Ok(TradeFigure {
                reporter: code(&row.get::<_, String>(0)?)?,
                partner: code(&row.get::<_, String>(1)?)?,
                year: row.get(2)?,
                exports_usd: row.get(3)?,
                imports_usd: row.get(4)?,
                total_usd: row.get(5)?,
                family: row.get(6)?,
                preferred: row.get(7)?,
                note: row.get(8)?,
                sources: lookup.list(&row.get::<_, String>(9)?)?,
                origin: row.get(10)?,
            })
        },
    )
}

fn quoted_ranks(tx: &Transaction<'_>, lookup: &SourceLookup<'_>) -> Read<Vec<QuotedRank>> {
    collect(
        tx,
        "SELECT reporter, year, flow, partners, rank, share_pct, value_usd, note, sources
         FROM quoted_ranks ORDER BY id",
        |row| {
            Ok(QuotedRank {
                reporter: code(&row.get::<_, String>(0)?)?,
                year: row.get(1)?,
                flow: flow(&row.get::<_, String>(2)?)?,
                partners: codes(&row.get::<_, String>(3)?, '+')?,
                rank: row.get(4)?,
                share_pct: row.get(5)?,
                value_usd: row.get(6)?,
                note: row.get(7)?,
                sources: lookup.list(&row.get::<_, String>(8)?)?,
            })
        },
    )
}

fn quoted_products(tx: &Transaction<'_>, lookup: &SourceLookup<'_>) -> Read<Vec<QuotedProducts>> {
    collect(
        tx,
        "SELECT reporter, partner, year, flow, products, note, sources FROM quoted_products ORDER BY id",
        |row| {
            Ok(QuotedProducts {
                reporter: code(&row.get::<_, String>(0)?)?,
                partner: code(&row.get::<_, String>(1)?)?,
                year: row.get(2)?,
                flow: flow(&row.get::<_, String>(3)?)?,
                products: row
                    .get::<_, String>(4)?
                    .lines()
                    .map(str::to_owned)
                    .collect(),
                note: row.get(5)?,
                sources: lookup.list(&row.get::<_, String>(6)?)?,
            })
        },
    )
}

fn partner_flows(tx: &Transaction<'_>, lookup: &SourceLookup<'_>) -> Read<Vec<PartnerFlow>> {
    collect(
        tx,
        "SELECT reporter, partner, year, flow, value_usd, source, origin FROM partner_flows",
        |row| {
            Ok(PartnerFlow {
                reporter: code(&row.get::<_, String>(0)?)?,
                partner: code(&row.get::<_, String>(1)?)?,
                year: row.get(2)?,
                flow: flow(&row.get::<_, String>(3)?)?,
                value_usd: row.get(4)?,
                source: lookup.one(&row.get::<_, String>(5)?)?,
                origin: row.get(6)?,
            })
        },
    )
}

fn indicators(tx: &Transaction<'_>) -> Read<BTreeMap<String, Indicator>> {
    let list = collect(tx, "SELECT code, name, unit FROM indicators", |row| {
        Ok(Indicator {
            code: row.get(0)?,
            name: row.get(1)?,
            unit: row.get(2)?,
        })
    })?;
    Ok(list.into_iter().map(|i| (i.code.clone(), i)).collect())
}

/// One series per economy, indicator and vintage. When a refresh source
/// holds a vintage the built-in dataset also holds, they are one series: the
/// refreshed values win year by year (rows come built-in first), and the
/// series cites the sources of both.
fn indicator_series(tx: &Transaction<'_>, lookup: &SourceLookup<'_>) -> Read<Vec<IndicatorSeries>> {
    let rows = collect(
        tx,
        "SELECT economy, indicator, vintage, year, value, sources FROM indicator_values
         ORDER BY economy, indicator, vintage, origin <> 'builtin', year",
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i32>(3)?,
                row.get::<_, Option<f64>>(4)?,
                row.get::<_, String>(5)?,
            ))
        },
    )?;
    let mut out: Vec<IndicatorSeries> = Vec::new();
    for (economy, indicator, vintage, year, value, sources) in rows {
        let same_series = out.last().is_some_and(|s| {
            s.economy.as_str() == economy && s.indicator == indicator && s.vintage == vintage
        });
        if !same_series {
            out.push(IndicatorSeries {
                economy: code(&economy)?,
                indicator,
                vintage,
                sources: Vec::new(),
                points: Vec::new(),
            });
        }
        let Some(series) = out.last_mut() else {
            continue;
        };
        for source in lookup.list(&sources)? {
            if !series.sources.iter().any(|s| s.key == source.key) {
                series.sources.push(source);
            }
        }
        match series.points.iter_mut().find(|(y, _)| *y == year) {
            Some(point) => point.1 = value,
            None => series.points.push((year, value)),
        }
    }
    for series in &mut out {
        series.points.sort_by_key(|(year, _)| *year);
    }
    Ok(out)
}
