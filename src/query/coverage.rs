//! What the dataset holds for a reporter or a pair, and what it lacks: the
//! answer to "what can I ask about?" before asking. Which source would fill
//! a gap is decided here; that source's state is the edge's to add.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::{Dataset, EconomyCode, TradeFlow};

use super::QueryError;
use super::input::{economy_code, require_known};

/// Asks what is held.
#[derive(Debug, Clone, Default)]
pub struct CoverageQuery {
    pub reporter: String,
    /// Empty = the reporter alone.
    pub partner: String,
}

/// A product level the store holds for the pair (from `product_levels`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct HeldProductLevel {
    pub year: i32,
    pub flow: TradeFlow,
    pub digits: u8,
}

/// Held years per (year, flow) of products, computed or quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductYear {
    pub year: i32,
    pub flow: TradeFlow,
    pub digits: Vec<u8>,
    pub quoted: bool,
}

/// A ranking that can be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankingYear {
    pub year: i32,
    pub flow: TradeFlow,
    pub computed: bool,
    pub quoted: bool,
}

/// Something missing and the source that supplies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub what: String,
    pub source: &'static str,
}

/// What is held, and the gaps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Coverage {
    pub reporter: Option<EconomyCode>,
    pub partner: Option<EconomyCode>,
    /// `(reported by, years)`: the reporter's side first, then the partner's.
    pub bilateral: Vec<(EconomyCode, Vec<i32>)>,
    pub products: Vec<ProductYear>,
    pub rankings: Vec<RankingYear>,
    /// `(indicator, years with a value)`.
    pub indicators: Vec<(String, Vec<i32>)>,
    pub gaps: Vec<Gap>,
}

/// Checks the question: the economies it names, resolved and known.
pub fn check_coverage_query(
    dataset: &Dataset,
    request: &CoverageQuery,
) -> Result<(EconomyCode, Option<EconomyCode>), QueryError> {
    let reporter = economy_code("reporter", &request.reporter)?;
    let partner = match request.partner.trim() {
        "" => None,
        raw => Some(economy_code("partner", raw)?),
    };
    if partner.as_ref() == Some(&reporter) {
        return Err(QueryError::invalid("partner", "must differ from reporter"));
    }
    require_known(dataset, "reporter", [&reporter])?;
    require_known(dataset, "partner", partner.iter())?;
    Ok((reporter, partner))
}

/// The coverage of a checked question; `product_levels` are the pair's
/// levels the store holds (empty without a partner).
pub fn coverage(
    dataset: &Dataset,
    reporter: &EconomyCode,
    partner: Option<&EconomyCode>,
    product_levels: &[HeldProductLevel],
) -> Coverage {
    let mut coverage = Coverage {
        reporter: Some(reporter.clone()),
        partner: partner.cloned(),
        ..Coverage::default()
    };
    if let Some(partner) = partner {
        for (by, with) in [(reporter, partner), (partner, reporter)] {
            let years = bilateral_years(dataset, by, with);
            if years.is_empty() {
                coverage.gaps.push(Gap {
                    what: format!("bilateral figures as {by} reports them"),
                    source: if by.as_str() == "KOR" {
                        "customs"
                    } else {
                        "imf"
                    },
                });
            }
            coverage.bilateral.push((by.clone(), years));
        }
        coverage.products = product_years(dataset, reporter, partner, product_levels);
        if product_levels.is_empty() {
            coverage.gaps.push(Gap {
                what: format!("product lines (HS codes) of {reporter}'s trade with {partner}"),
                source: "comtrade",
            });
        }
    }
    coverage.rankings = ranking_years(dataset, reporter);
    if !coverage.rankings.iter().any(|r| r.computed) {
        coverage.gaps.push(Gap {
            what: format!("complete partner figures to rank {reporter}'s partners"),
            source: "comtrade",
        });
    }
    coverage.indicators = indicator_years(dataset, reporter);
    if coverage.indicators.is_empty() {
        coverage.gaps.push(Gap {
            what: format!("indicators (GDP growth…) for {reporter}"),
            source: "worldbank",
        });
    }
    coverage
}

fn bilateral_years(dataset: &Dataset, by: &EconomyCode, with: &EconomyCode) -> Vec<i32> {
    let years: BTreeSet<i32> = dataset
        .trade
        .iter()
        .filter(|f| &f.reporter == by && &f.partner == with)
        .map(|f| f.year)
        .collect();
    years.into_iter().collect()
}

fn product_years(
    dataset: &Dataset,
    reporter: &EconomyCode,
    partner: &EconomyCode,
    levels: &[HeldProductLevel],
) -> Vec<ProductYear> {
    let mut by_year: BTreeMap<(i32, TradeFlow), ProductYear> = BTreeMap::new();
    for level in levels {
        let entry = by_year
            .entry((level.year, level.flow))
            .or_insert_with(|| ProductYear {
                year: level.year,
                flow: level.flow,
                digits: Vec::new(),
                quoted: false,
            });
        if !entry.digits.contains(&level.digits) {
            entry.digits.push(level.digits);
            entry.digits.sort_unstable();
        }
    }
    for quoted in dataset
        .quoted_products
        .iter()
        .filter(|q| &q.reporter == reporter && &q.partner == partner)
    {
        by_year
            .entry((quoted.year, quoted.flow))
            .or_insert_with(|| ProductYear {
                year: quoted.year,
                flow: quoted.flow,
                digits: Vec::new(),
                quoted: true,
            });
    }
    by_year.into_values().collect()
}

fn ranking_years(dataset: &Dataset, reporter: &EconomyCode) -> Vec<RankingYear> {
    let mut by_year: BTreeMap<(i32, TradeFlow), RankingYear> = BTreeMap::new();
    let mut mark = |year: i32, flow: TradeFlow, computed: bool| {
        let entry = by_year.entry((year, flow)).or_insert(RankingYear {
            year,
            flow,
            computed: false,
            quoted: false,
        });
        if computed {
            entry.computed = true;
        } else {
            entry.quoted = true;
        }
    };
    for flow in dataset
        .partner_flows
        .iter()
        .filter(|f| &f.reporter == reporter)
    {
        mark(flow.year, flow.flow, true);
    }
    for quoted in dataset
        .quoted_ranks
        .iter()
        .filter(|q| &q.reporter == reporter)
    {
        mark(quoted.year, quoted.flow, false);
    }
    by_year.into_values().collect()
}

fn indicator_years(dataset: &Dataset, reporter: &EconomyCode) -> Vec<(String, Vec<i32>)> {
    let mut by_indicator: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
    for series in dataset
        .indicator_series
        .iter()
        .filter(|s| &s.economy == reporter)
    {
        by_indicator
            .entry(series.indicator.clone())
            .or_default()
            .extend(
                series
                    .points
                    .iter()
                    .filter(|(_, value)| value.is_some())
                    .map(|(year, _)| *year),
            );
    }
    by_indicator
        .into_iter()
        .map(|(indicator, years)| (indicator, years.into_iter().collect()))
        .collect()
}
