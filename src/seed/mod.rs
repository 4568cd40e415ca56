//! The built-in dataset: `data/builtin.toml`, compiled into the binary, parsed
//! and checked into a [`Dataset`] that the store loads into an empty database.
//! The file's layout is documented in `data/FORMAT.md`.

mod file;
mod restricted;
pub mod world;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::domain::{
    Agreement, AgreementEvent, AlternativeDate, Coverage, Dataset, Economy, EconomyCode, EventKind,
    Indicator, IndicatorSeries, MeetingFormat, PartialDate, QuotedProducts, QuotedRank, Scope,
    Source, TradeFigure, TradeFlow, WtoListing,
};

/// The dataset file shipped inside the binary.
pub const BUILTIN_TOML: &str = include_str!("../../data/builtin.toml");

/// Every agreement the WTO lists, converted from its RTA-IS export by
/// `data/wto/convert` (see `world`); shipped inside the binary too.
pub const WORLD_TOML: &str = include_str!("../../data/world.toml");

/// The layout version of the dataset file this binary reads.
const FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the dataset file is not valid TOML for its format: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("the dataset file has format {found}; this binary reads format {FORMAT}")]
    Format { found: u32 },
    #[error("{context}: {problem}")]
    Invalid { context: String, problem: String },
}

/// A parsed, checked dataset and the digest of the text it came from.
#[derive(Debug, Clone)]
pub struct Seed {
    pub dataset: Dataset,
    /// SHA-256 of the file, hex; the store re-applies the seed when it changes.
    pub sha256: String,
}

/// Parses the built-in dataset: the curated file with the world file's
/// agreements folded in.
pub fn builtin() -> Result<Seed, SeedError> {
    parse_with_world(BUILTIN_TOML, WORLD_TOML)
}

/// Parses and checks a dataset file on its own.
pub fn parse(text: &str) -> Result<Seed, SeedError> {
    let dataset = Builder::default().build(read(text)?, None)?;
    Ok(Seed {
        dataset,
        sha256: hex_sha256(text),
    })
}

/// The digest [`builtin`] gives its seed, computed without parsing: the
/// store compares it with the one it holds before anything is parsed.
pub fn builtin_sha256() -> String {
    combined_sha256(BUILTIN_TOML, WORLD_TOML)
}

fn combined_sha256(curated: &str, world: &str) -> String {
    hex_sha256(&format!("{curated}\n{world}"))
}

/// Parses a curated dataset file and a world file (sources and agreements
/// only). A world agreement whose RTA-IS id a curated agreement declares
/// (`wto_rta_id`) is merged into it; the others are added as they are.
pub fn parse_with_world(curated: &str, world: &str) -> Result<Seed, SeedError> {
    let dataset = Builder::default().build(read(curated)?, Some(read(world)?))?;
    Ok(Seed {
        dataset,
        sha256: combined_sha256(curated, world),
    })
}

fn read(text: &str) -> Result<file::DatasetFile, SeedError> {
    let file: file::DatasetFile = toml::from_str(text)?;
    if file.format != FORMAT {
        return Err(SeedError::Format { found: file.format });
    }
    Ok(file)
}

/// The WTO's record of a world entry, checked.
fn wto_listing(context: &str, row: file::Wto) -> Result<WtoListing, SeedError> {
    Ok(WtoListing {
        rta_id: row.rta_id,
        types: row.types,
        coverage: Coverage::parse(&row.coverage)
            .ok_or_else(|| invalid(context, format!("unknown coverage '{}'", row.coverage)))?,
        composition: row.composition,
        regions: row.regions,
        accession_to: row.accession_to,
        status: row.status,
    })
}

/// Folds the world file's agreements into the curated ones: a curated
/// agreement that declares an RTA-IS id takes that entry's WTO record,
/// events (merged: the same event keeps the more precise date, the other
/// becomes a conflict) and sources; every other entry stands on its own.
fn fold_in_world(
    curated: &mut BTreeMap<String, Agreement>,
    world: BTreeMap<String, Agreement>,
) -> Result<(), SeedError> {
    let by_rta_id: HashMap<u32, String> = curated
        .values()
        .filter_map(|a| Some((a.wto_rta_id()?, a.id.clone())))
        .collect();
    for (id, entry) in world {
        let Some(listing) = entry.wto.clone() else {
            return Err(invalid(
                format!("world agreement '{id}'"),
                "has no [wto] record",
            ));
        };
        match by_rta_id.get(&listing.rta_id) {
            Some(curated_id) => {
                let Some(agreement) = curated.get_mut(curated_id) else {
                    continue;
                };
                agreement.wto = Some(listing);
                crate::domain::add_sources(&mut agreement.sources, entry.sources);
                agreement.merge_events(entry.events);
            }
            None => {
                if curated.insert(id.clone(), entry).is_some() {
                    return Err(invalid(
                        format!("world agreement '{id}'"),
                        "has the id of a curated agreement",
                    ));
                }
            }
        }
    }
    Ok(())
}

fn hex_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn invalid(context: impl Into<String>, problem: impl std::fmt::Display) -> SeedError {
    SeedError::Invalid {
        context: context.into(),
        problem: problem.to_string(),
    }
}

#[derive(Default)]
struct Builder {
    sources: HashMap<String, Arc<Source>>,
    economies: BTreeMap<EconomyCode, Economy>,
}

impl Builder {
    fn build(
        mut self,
        file: file::DatasetFile,
        world: Option<file::DatasetFile>,
    ) -> Result<Dataset, SeedError> {
        self.add_sources(file.sources)?;
        self.add_economies(file.economies, file.groups)?;
        let mut agreements = self.agreements(file.agreements)?;
        if let Some(world) = world {
            self.add_registry_economies()?;
            self.add_sources(world.sources)?;
            let world = self.agreements(world.agreements)?;
            fold_in_world(&mut agreements, world)?;
        }
        let trade = file
            .trade
            .into_iter()
            .map(|row| self.trade_figure(row))
            .collect::<Result<_, _>>()?;
        let quoted_ranks = file
            .quoted_ranks
            .into_iter()
            .map(|row| self.quoted_rank(row))
            .collect::<Result<_, _>>()?;
        let quoted_products = file
            .quoted_products
            .into_iter()
            .map(|row| self.quoted_products(row))
            .collect::<Result<_, _>>()?;
        let indicators = indicators(file.indicators)?;
        let indicator_series = file
            .indicator_series
            .into_iter()
            .map(|row| self.indicator_series(row, &indicators))
            .collect::<Result<_, _>>()?;
        Ok(Dataset {
            version: file.version,
            economies: self.economies,
            agreements,
            trade,
            quoted_ranks,
            quoted_products,
            partner_flows: Vec::new(),
            indicators,
            indicator_series,
            sources: self.sources,
        })
    }

    fn add_sources(&mut self, sources: Vec<file::Source>) -> Result<(), SeedError> {
        for row in sources {
            let context = format!("source '{}'", row.key);
            let valid_key = !row.key.is_empty()
                && row.key.bytes().all(|b| {
                    b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b == b'-'
                        || b == b'.'
                        || b == b'_'
                });
            if !valid_key {
                return Err(invalid(
                    context,
                    "keys are lower-case letters, digits, '-', '.', '_'",
                ));
            }
            if let Some(why) = restricted::restricted_publisher(&row.publisher, &row.url) {
                return Err(invalid(
                    context,
                    format!(
                        "{why}: its figures may not be redistributed, so no such source \
                         goes in the dataset"
                    ),
                ));
            }
            let source = Source {
                key: row.key.clone(),
                title: row.title,
                publisher: row.publisher,
                url: row.url,
                published: optional_date(&context, row.published.as_deref())?,
                retrieved_at: None,
                license: row.license,
                redistributable: row.redistributable,
            };
            if self.sources.insert(row.key, Arc::new(source)).is_some() {
                return Err(invalid(context, "declared twice"));
            }
        }
        Ok(())
    }

    fn add_economies(
        &mut self,
        economies: Vec<file::Economy>,
        groups: Vec<file::Group>,
    ) -> Result<(), SeedError> {
        for row in economies {
            let code = parse_code(&format!("economy '{}'", row.code), &row.code)?;
            self.insert_economy(Economy {
                code,
                iso2: row.iso2,
                name: row.name,
                members: Vec::new(),
            })?;
        }
        for row in groups {
            let context = format!("group '{}'", row.code);
            let code = parse_code(&context, &row.code)?;
            let members = row
                .members
                .iter()
                .map(|member| self.known_code(&context, member))
                .collect::<Result<_, _>>()?;
            self.insert_economy(Economy {
                code,
                iso2: None,
                name: row.name,
                members,
            })?;
        }
        Ok(())
    }

    /// Every economy and group of the registry the file does not declare
    /// (groups with their members today): the WTO's parties include
    /// groups (MERCOSUR, SACU...) and former economies the curated file
    /// never names.
    fn add_registry_economies(&mut self) -> Result<(), SeedError> {
        let registry = crate::domain::registry();
        for economy in registry.economies() {
            if !self.economies.contains_key(&economy.code) {
                self.insert_economy(Economy {
                    code: economy.code.clone(),
                    iso2: economy.iso2.clone(),
                    name: economy.name.clone(),
                    members: Vec::new(),
                })?;
            }
        }
        let today = crate::domain::PartialDate::today();
        for group in registry.groups() {
            if !self.economies.contains_key(&group.code) {
                self.insert_economy(Economy {
                    code: group.code.clone(),
                    iso2: None,
                    name: group.name.clone(),
                    members: group.members_on(today).cloned().collect(),
                })?;
            }
        }
        Ok(())
    }

    fn insert_economy(&mut self, economy: Economy) -> Result<(), SeedError> {
        let context = format!("economy '{}'", economy.code);
        if self
            .economies
            .insert(economy.code.clone(), economy)
            .is_some()
        {
            return Err(invalid(context, "declared twice"));
        }
        Ok(())
    }

    fn known_code(&self, context: &str, text: &str) -> Result<EconomyCode, SeedError> {
        let code = parse_code(context, text)?;
        if !self.economies.contains_key(&code) {
            return Err(invalid(
                context,
                format!("'{code}' is not a declared economy or group"),
            ));
        }
        Ok(code)
    }

    fn sources(&self, context: &str, keys: &[String]) -> Result<Vec<Arc<Source>>, SeedError> {
        keys.iter()
            .map(|key| {
                self.sources
                    .get(key)
                    .cloned()
                    .ok_or_else(|| invalid(context, format!("source '{key}' is not declared")))
            })
            .collect()
    }

    fn agreements(
        &self,
        rows: Vec<file::Agreement>,
    ) -> Result<BTreeMap<String, Agreement>, SeedError> {
        let mut agreements = BTreeMap::new();
        for row in rows {
            let agreement = self.agreement(row)?;
            let context = format!("agreement '{}'", agreement.id);
            if agreements.insert(agreement.id.clone(), agreement).is_some() {
                return Err(invalid(context, "declared twice"));
            }
        }
        Ok(agreements)
    }

    fn agreement(&self, row: file::Agreement) -> Result<Agreement, SeedError> {
        let context = format!("agreement '{}'", row.id);
        if !crate::query::is_valid_agreement_id(&row.id) {
            return Err(invalid(
                context,
                "ids are lower-case slugs such as 'kor-khm'",
            ));
        }
        let parties = row
            .parties
            .iter()
            .map(|party| self.known_code(&context, party))
            .collect::<Result<_, _>>()?;
        let events = row
            .events
            .into_iter()
            .enumerate()
            .map(|(index, event)| self.event(&format!("{context}, event {}", index + 1), event))
            .collect::<Result<_, _>>()?;
        let wto = match (row.wto, row.wto_rta_id) {
            (Some(wto), None) => Some(wto_listing(&context, wto)?),
            (None, Some(rta_id)) => Some(WtoListing {
                rta_id,
                ..WtoListing::default()
            }),
            (None, None) => None,
            (Some(_), Some(_)) => {
                return Err(invalid(
                    context,
                    "give either wto_rta_id (a curated agreement) or [wto] (a world entry), not both",
                ));
            }
        };
        let agreement = Agreement {
            sources: self.sources(&context, &row.sources)?,
            wto,
            id: row.id,
            name: row.name,
            kind: row.kind,
            parties,
            note: row.note,
            events,
        };
        if let Some(index) = agreement.first_out_of_order() {
            return Err(invalid(
                context,
                format!(
                    "event {} is dated before the event listed ahead of it",
                    index + 1
                ),
            ));
        }
        Ok(agreement)
    }

    fn event(&self, context: &str, row: file::Event) -> Result<AgreementEvent, SeedError> {
        let kind = EventKind::parse(&row.kind)
            .ok_or_else(|| invalid(context, format!("unknown event kind '{}'", row.kind)))?;
        let format = MeetingFormat::parse(&row.format)
            .ok_or_else(|| invalid(context, format!("unknown meeting format '{}'", row.format)))?;
        if row.round.is_some() && kind != EventKind::Round {
            return Err(invalid(
                context,
                "a round number goes only with a 'round' event",
            ));
        }
        let party = match row.party.as_deref() {
            Some(party) => Some(self.known_code(context, party)?),
            None => None,
        };
        let conflicts = row
            .conflicts
            .into_iter()
            .map(|conflict| {
                Ok(AlternativeDate {
                    start: optional_date(context, conflict.start.as_deref())?,
                    end: optional_date(context, conflict.end.as_deref())?,
                    sources: self.sources(context, &conflict.sources)?,
                })
            })
            .collect::<Result<_, SeedError>>()?;
        let scope = Scope::parse(&row.scope)
            .ok_or_else(|| invalid(context, format!("unknown scope '{}'", row.scope)))?;
        Ok(AgreementEvent {
            kind,
            scope,
            start: optional_date(context, row.start.as_deref())?,
            end: optional_date(context, row.end.as_deref())?,
            round_number: row.round,
            format,
            venue: row.venue,
            party,
            note: row.note,
            sources: self.sources(context, &row.sources)?,
            conflicts,
        })
    }

    fn trade_figure(&self, row: file::Trade) -> Result<TradeFigure, SeedError> {
        let context = format!("trade {}→{} {}", row.reporter, row.partner, row.year);
        check_year(&context, row.year)?;
        let million = |value: Option<f64>| -> Result<Option<f64>, SeedError> {
            match value {
                Some(v) if !(v.is_finite() && v >= 0.0) => {
                    Err(invalid(&context, format!("{v} is not a trade value")))
                }
                other => Ok(other.map(|v| v * 1e6)),
            }
        };
        Ok(TradeFigure {
            reporter: self.known_code(&context, &row.reporter)?,
            partner: self.known_code(&context, &row.partner)?,
            year: row.year,
            exports_usd: million(row.exports_musd)?,
            imports_usd: million(row.imports_musd)?,
            total_usd: million(row.total_musd)?,
            family: row.family,
            preferred: row.preferred,
            note: row.note,
            sources: self.sources(&context, &row.sources)?,
            origin: crate::domain::BUILTIN_ORIGIN.to_owned(),
        })
    }

    fn quoted_rank(&self, row: file::QuotedRank) -> Result<QuotedRank, SeedError> {
        let context = format!("quoted rank {} {} {}", row.reporter, row.partner, row.year);
        check_year(&context, row.year)?;
        let partners = row
            .partner
            .split('+')
            .map(|code| self.known_code(&context, code))
            .collect::<Result<_, _>>()?;
        Ok(QuotedRank {
            reporter: self.known_code(&context, &row.reporter)?,
            year: row.year,
            flow: flow(&context, &row.flow)?,
            partners,
            rank: (row.rank > 0).then_some(row.rank),
            share_pct: (row.share_pct > 0.0).then_some(row.share_pct),
            value_usd: (row.value_musd > 0.0).then_some(row.value_musd * 1e6),
            note: row.note,
            sources: self.sources(&context, &row.sources)?,
        })
    }

    fn quoted_products(&self, row: file::QuotedProducts) -> Result<QuotedProducts, SeedError> {
        let context = format!(
            "quoted products {}→{} {}",
            row.reporter, row.partner, row.year
        );
        check_year(&context, row.year)?;
        Ok(QuotedProducts {
            reporter: self.known_code(&context, &row.reporter)?,
            partner: self.known_code(&context, &row.partner)?,
            year: row.year,
            flow: flow(&context, &row.flow)?,
            products: row.products,
            note: row.note,
            sources: self.sources(&context, &row.sources)?,
        })
    }

    fn indicator_series(
        &self,
        row: file::IndicatorSeries,
        indicators: &BTreeMap<String, Indicator>,
    ) -> Result<IndicatorSeries, SeedError> {
        let context = format!(
            "indicator {} {} vintage {}",
            row.economy, row.indicator, row.vintage
        );
        if !indicators.contains_key(&row.indicator) {
            return Err(invalid(context, "indicator is not declared"));
        }
        match PartialDate::parse(&row.vintage) {
            Ok(date) if date.is_full() => {}
            _ => return Err(invalid(context, "a vintage is a full date, YYYY-MM-DD")),
        }
        let mut points = Vec::with_capacity(row.points.len());
        for point in &row.points {
            check_year(&context, point.year)?;
            if point.value.is_some_and(|v| !v.is_finite()) {
                return Err(invalid(
                    &context,
                    format!("year {} has no finite value", point.year),
                ));
            }
            points.push((point.year, point.value));
        }
        points.sort_by_key(|(year, _)| *year);
        if points.windows(2).any(|pair| pair[0].0 == pair[1].0) {
            return Err(invalid(context, "a year appears twice"));
        }
        Ok(IndicatorSeries {
            economy: self.known_code(&context, &row.economy)?,
            indicator: row.indicator,
            sources: self.sources(&context, &row.sources)?,
            vintage: row.vintage,
            points,
        })
    }
}

fn indicators(rows: Vec<file::Indicator>) -> Result<BTreeMap<String, Indicator>, SeedError> {
    let mut indicators = BTreeMap::new();
    for row in rows {
        let context = format!("indicator '{}'", row.code);
        if !crate::query::is_valid_indicator_code(&row.code) {
            return Err(invalid(context, "not a World Bank style code"));
        }
        let indicator = Indicator {
            code: row.code.clone(),
            name: row.name,
            unit: row.unit,
        };
        if indicators.insert(row.code, indicator).is_some() {
            return Err(invalid(context, "declared twice"));
        }
    }
    Ok(indicators)
}

fn parse_code(context: &str, text: &str) -> Result<EconomyCode, SeedError> {
    EconomyCode::parse(text).map_err(|e| invalid(context, e))
}

fn optional_date(context: &str, text: Option<&str>) -> Result<Option<PartialDate>, SeedError> {
    text.map(PartialDate::parse)
        .transpose()
        .map_err(|e| invalid(context, e))
}

fn check_year(context: &str, year: i32) -> Result<(), SeedError> {
    if !(1900..=2100).contains(&year) {
        return Err(invalid(
            context,
            format!("year {year} is outside 1900..=2100"),
        ));
    }
    Ok(())
}

fn flow(context: &str, text: &str) -> Result<TradeFlow, SeedError> {
    TradeFlow::parse(text).ok_or_else(|| invalid(context, format!("unknown flow '{text}'")))
}

#[cfg(test)]
mod tests;
