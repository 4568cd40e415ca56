//! IMTS series → trade figures: one figure per reporter, partner and year,
//! exports (XG_FOB_USD) and imports (MG_CIF_USD) in US dollars, stored as
//! the series' COUNTRY reports them.
//!
//! Area codes go through the economy registry. Aggregates (CL_COUNTRY's
//! `G…`/`U…` codes, or anything the registry knows as a group) are skipped:
//! an answer with every partner always carries World and regions. Codes that
//! are no economy of the served dataset (the IMF's `WBG`, `CWX`…) are skipped
//! too and logged once a run: validation would refuse the whole batch for
//! one of them. The same figure met twice (Korea's figures on Viet Nam come
//! with Korea's own query and with Viet Nam's mirror query) is kept once.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use crate::domain::{EconomyCode, Source, TradeFigure, registry};
use crate::refresh::parse::imf::{self, Series};

use super::{EXPORTS, FAMILY, IMPORTS};

/// Which series a query asks for; each economy with the code the IMF
/// knows it by.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Side {
    /// The economy's own figures on every partner: `KOR.….*`.
    Reported(EconomyCode, String),
    /// Every economy's figures on it: `*.….KOR`.
    Mirror(EconomyCode, String),
    /// Every economy's figures on every partner: `*.….*`.
    Matrix,
}

impl Side {
    /// The COUNTRY part of the key.
    pub(super) fn country_key(&self) -> &str {
        match self {
            Self::Reported(_, code) => code,
            Self::Mirror(..) | Self::Matrix => "*",
        }
    }

    /// The COUNTERPART_COUNTRY part of the key.
    pub(super) fn counterpart_key(&self) -> &str {
        match self {
            Self::Mirror(_, code) => code,
            Self::Reported(..) | Self::Matrix => "*",
        }
    }

    /// True when a series with these codes answers this query.
    fn covers(&self, country: &str, counterpart: &str) -> bool {
        match self {
            Self::Reported(_, code) => country == code,
            Self::Mirror(_, code) => counterpart == code,
            Self::Matrix => true,
        }
    }
}

/// What an area code stands for.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Area {
    Economy(EconomyCode),
    Aggregate,
    /// Not an economy figures may be stored for.
    Unknown,
}

/// Which flow a series carries.
#[derive(Clone, Copy)]
enum Flow {
    Exports,
    Imports,
}

/// Maps the answers of one run, remembering across them which figures were
/// taken and which codes were skipped.
pub(super) struct Mapper {
    /// Economies of the served dataset (groups left out).
    servable: Arc<HashSet<EconomyCode>>,
    taken: HashSet<(EconomyCode, EconomyCode, i32)>,
    aggregate_series: usize,
    unknown: BTreeSet<String>,
    duplicates: usize,
}

impl Mapper {
    pub(super) fn new(servable: Arc<HashSet<EconomyCode>>) -> Self {
        Self {
            servable,
            taken: HashSet::new(),
            aggregate_series: 0,
            unknown: BTreeSet::new(),
            duplicates: 0,
        }
    }

    /// The figures of one answer to a `side` query, in (reporter, partner,
    /// year) order, leaving out those an earlier answer gave. A series the
    /// query did not ask for means the answer is not the one asked for.
    pub(super) fn figures(
        &mut self,
        side: &Side,
        series: &[Series],
        source: &Arc<Source>,
    ) -> Result<Vec<TradeFigure>, String> {
        let mut years: BTreeMap<(EconomyCode, EconomyCode, i32), [Option<f64>; 2]> =
            BTreeMap::new();
        for s in series {
            let (country, counterpart) =
                (dimension(s, "COUNTRY"), dimension(s, "COUNTERPART_COUNTRY"));
            if !side.covers(country, counterpart) {
                return Err(format!(
                    "asked for {}.{} but got {country} with {counterpart}",
                    side.country_key(),
                    side.counterpart_key()
                ));
            }
            let Some(flow) = flow_of(s) else { continue };
            let Some((reporter, partner)) = self.pair(country, counterpart) else {
                continue;
            };
            let scale = 10f64.powi(s.scale());
            for observation in &s.observations {
                let (Some(year), Some(value)) = (year_of(&observation.period), observation.value)
                else {
                    continue;
                };
                let entry = years
                    .entry((reporter.clone(), partner.clone(), year))
                    .or_default();
                match flow {
                    Flow::Exports => entry[0] = Some(value * scale),
                    Flow::Imports => entry[1] = Some(value * scale),
                }
            }
        }
        Ok(years
            .into_iter()
            .filter_map(|(key, [exports, imports])| {
                if !self.taken.insert(key.clone()) {
                    self.duplicates += 1;
                    return None;
                }
                let (reporter, partner, year) = key;
                Some(figure(reporter, partner, year, exports, imports, source))
            })
            .collect())
    }

    /// Both ends of a series as economies, or `None` (counted) when either
    /// is an aggregate, unknown, or they are the same economy.
    fn pair(&mut self, country: &str, counterpart: &str) -> Option<(EconomyCode, EconomyCode)> {
        let country = self.economy(country);
        let counterpart = self.economy(counterpart);
        match (country, counterpart) {
            (Some(a), Some(b)) if a != b => Some((a, b)),
            _ => None,
        }
    }

    fn economy(&mut self, code: &str) -> Option<EconomyCode> {
        match area(code, &self.servable) {
            Area::Economy(economy) => Some(economy),
            Area::Aggregate => {
                self.aggregate_series += 1;
                None
            }
            Area::Unknown => {
                self.unknown.insert(code.to_owned());
                None
            }
        }
    }

    /// One line for what was skipped: a warning for unknown codes (the
    /// registry may need them), the rest at debug.
    pub(super) fn log_skipped(&self) {
        if !self.unknown.is_empty() {
            tracing::warn!(
                source = "imf",
                codes = ?self.unknown,
                "IMF area codes that are no economy of the dataset; their figures were skipped"
            );
        }
        tracing::debug!(
            source = "imf",
            aggregate_series = self.aggregate_series,
            duplicates = self.duplicates,
            "IMF series of aggregates and figures met twice, skipped"
        );
    }

    #[cfg(test)]
    pub(super) fn unknown(&self) -> &BTreeSet<String> {
        &self.unknown
    }
}

/// What `code` stands for: CL_COUNTRY aggregate codes and the registry's
/// groups are aggregates; a code the registry resolves to an economy of
/// `servable` is that economy; anything else is unknown.
pub(super) fn area(code: &str, servable: &HashSet<EconomyCode>) -> Area {
    if imf::is_aggregate_code(code) {
        return Area::Aggregate;
    }
    let registry = registry();
    match registry.resolve(code) {
        Some(group) if registry.group(group).is_some() => Area::Aggregate,
        Some(economy) if servable.contains(economy) => Area::Economy(economy.clone()),
        _ => Area::Unknown,
    }
}

fn dimension<'a>(series: &'a Series, name: &str) -> &'a str {
    series
        .dimensions
        .get(name)
        .map(String::as_str)
        .unwrap_or_default()
}

/// Exports or imports, for annual series of the two indicators asked for.
fn flow_of(series: &Series) -> Option<Flow> {
    if !matches!(dimension(series, "FREQUENCY"), "A" | "") {
        return None;
    }
    match dimension(series, "INDICATOR") {
        EXPORTS => Some(Flow::Exports),
        IMPORTS => Some(Flow::Imports),
        _ => None,
    }
}

fn figure(
    reporter: EconomyCode,
    partner: EconomyCode,
    year: i32,
    exports: Option<f64>,
    imports: Option<f64>,
    source: &Arc<Source>,
) -> TradeFigure {
    TradeFigure {
        reporter,
        partner,
        year,
        exports_usd: exports,
        imports_usd: imports,
        total_usd: None,
        family: FAMILY.to_owned(),
        preferred: true,
        note: "Goods exports FOB and imports CIF as reported to the IMF".to_owned(),
        sources: vec![source.clone()],
        origin: "imf".to_owned(),
    }
}

/// `2023`, `2023-A1` or `2023-01-01` → 2023.
fn year_of(period: &str) -> Option<i32> {
    period.get(..4)?.parse().ok()
}
