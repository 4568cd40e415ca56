//! Trade questions: bilateral figures from both sides with growth, partner
//! rankings and shares (product breakdowns are in `products`). Computed figures are preferred;
//! figures quoted by official sources answer where nothing can be computed.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::domain::{Dataset, EconomyCode, Source, TradeFigure, TradeFlow};

use super::input::{YearRange, count, economy_code, require_known, year};
use super::{Missing, QueryError};

/// One year of bilateral trade from the requesting reporter's point of view.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TradeYear {
    pub year: i32,
    pub exports_usd: Option<f64>,
    pub imports_usd: Option<f64>,
    pub total_usd: Option<f64>,
    pub balance_usd: Option<f64>,
    pub exports_growth_pct: Option<f64>,
    pub imports_growth_pct: Option<f64>,
    pub total_growth_pct: Option<f64>,
    pub reported_by: String,
    pub sources: Vec<Arc<Source>>,
    pub alternatives: Vec<TradeYear>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct BilateralTrade {
    pub years: Vec<TradeYear>,
    pub mirror_years: Vec<TradeYear>,
}

#[derive(Debug, Clone, Default)]
pub struct BilateralQuery {
    pub reporter: String,
    pub partner: String,
    pub start_year: i32,
    pub end_year: i32,
}

pub fn bilateral_trade(
    dataset: &Dataset,
    request: &BilateralQuery,
) -> Result<BilateralTrade, QueryError> {
    let reporter = economy_code("reporter", &request.reporter)?;
    let partner = economy_code("partner", &request.partner)?;
    if reporter == partner {
        return Err(QueryError::invalid("partner", "must differ from reporter"));
    }
    let years = YearRange::parse(request.start_year, request.end_year)?;
    require_known(dataset, "reporter", [&reporter])?;
    require_known(dataset, "partner", [&partner])?;
    let trade = BilateralTrade {
        years: side(dataset, &reporter, &partner, years, false),
        mirror_years: side(dataset, &partner, &reporter, years, true),
    };
    if trade.years.is_empty() && trade.mirror_years.is_empty() {
        // Never an empty answer with OK: say that nothing is held.
        return Err(QueryError::not_found(
            Missing::TradeData,
            format!("{reporter}-{partner}"),
            format!(
                "no bilateral figures for {reporter} and {partner}{} from either side",
                years.describe()
            ),
        ));
    }
    Ok(trade)
}

/// The figures `reporter` reports for its trade with `partner`, one entry per
/// year; `mirrored` re-expresses them from the partner's point of view.
///
/// Where several figures exist for a year, the best one leads and the others
/// come as alternatives: a figure marked preferred beats one that is not, and
/// figures a refresh fetched from a statistics source beat figures quoted in
/// the built-in dataset (they are complete and unrounded).
fn side(
    dataset: &Dataset,
    reporter: &EconomyCode,
    partner: &EconomyCode,
    years: YearRange,
    mirrored: bool,
) -> Vec<TradeYear> {
    let mut figures: Vec<&TradeFigure> = dataset
        .trade
        .iter()
        .filter(|f| &f.reporter == reporter && &f.partner == partner)
        .collect();
    // Stable: among equals, dataset order decides.
    figures.sort_by_key(|f| (f.year, std::cmp::Reverse(precedence(f))));
    let best_in = |year: i32, family: &str| {
        figures
            .iter()
            .find(|f| f.year == year && f.family == family)
            .copied()
    };
    let with_growth = |figure: &TradeFigure| {
        trade_year(figure, best_in(figure.year - 1, &figure.family), mirrored)
    };
    figures
        .chunk_by(|a, b| a.year == b.year)
        .filter(|same_year| years.contains(same_year[0].year))
        .map(|same_year| {
            let mut year = with_growth(same_year[0]);
            year.alternatives = same_year[1..].iter().map(|f| with_growth(f)).collect();
            year
        })
        .collect()
}

/// Higher leads: preferred figures, then figures from a refresh source.
fn precedence(figure: &TradeFigure) -> (bool, bool) {
    (
        figure.preferred,
        figure.origin != crate::domain::BUILTIN_ORIGIN,
    )
}

fn trade_year(figure: &TradeFigure, previous: Option<&TradeFigure>, mirrored: bool) -> TradeYear {
    let (exports, imports) = oriented(figure, mirrored);
    let total = total_of(figure);
    let (prev_exports, prev_imports, prev_total) = match previous {
        Some(prev) => {
            let (e, i) = oriented(prev, mirrored);
            (e, i, total_of(prev))
        }
        None => (None, None, None),
    };
    TradeYear {
        year: figure.year,
        exports_usd: exports,
        imports_usd: imports,
        total_usd: total,
        balance_usd: exports.zip(imports).map(|(e, i)| e - i),
        exports_growth_pct: growth_pct(exports, prev_exports),
        imports_growth_pct: growth_pct(imports, prev_imports),
        total_growth_pct: growth_pct(total, prev_total),
        reported_by: figure.reporter.to_string(),
        sources: figure.sources.clone(),
        alternatives: Vec::new(),
        note: figure.note.clone(),
    }
}

/// (reporter → partner, partner → reporter) as seen by the requesting side.
fn oriented(figure: &TradeFigure, mirrored: bool) -> (Option<f64>, Option<f64>) {
    if mirrored {
        (figure.imports_usd, figure.exports_usd)
    } else {
        (figure.exports_usd, figure.imports_usd)
    }
}

/// The stated total, or exports + imports when only those are stated.
fn total_of(figure: &TradeFigure) -> Option<f64> {
    figure.total_usd.or_else(|| {
        figure
            .exports_usd
            .zip(figure.imports_usd)
            .map(|(e, i)| e + i)
    })
}

/// Percent change from `previous` to `current`; absent without a base.
pub fn growth_pct(current: Option<f64>, previous: Option<f64>) -> Option<f64> {
    match (current, previous) {
        (Some(now), Some(before)) if before > 0.0 => Some((now / before - 1.0) * 100.0),
        _ => None,
    }
}

#[derive(Debug, Clone, Default)]
pub struct RankQuery {
    pub reporter: String,
    pub year: i32,
    pub flow: Option<TradeFlow>,
    pub limit: i32,
    /// Empty = the top list; otherwise these partners' ranks (several:
    /// their combined share too).
    pub partners: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RankEntry {
    /// `None` when a quoted statement gives no rank.
    pub rank: Option<u32>,
    /// One partner for a computed rank; several when a quoted statement
    /// gives one figure for them together.
    pub partners: Vec<EconomyCode>,
    pub value_usd: Option<f64>,
    pub share_pct: Option<f64>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ranking {
    /// What was ranked: "KOR's export destinations in 2019".
    pub about: String,
    pub entries: Vec<RankEntry>,
    pub partner_count: usize,
    pub quoted: bool,
    pub sources: Vec<Arc<Source>>,
    pub combined_share_pct: Option<f64>,
}

const DEFAULT_RANK_LIMIT: usize = 10;
const MAX_LIMIT: usize = 1000;

pub fn rank_partners(dataset: &Dataset, request: &RankQuery) -> Result<Ranking, QueryError> {
    let reporter = economy_code("reporter", &request.reporter)?;
    let year = year("year", request.year)?;
    let flow = request.flow.ok_or_else(|| {
        QueryError::invalid(
            "flow",
            "is required: TRADE_FLOW_EXPORT, TRADE_FLOW_IMPORT or TRADE_FLOW_TOTAL",
        )
    })?;
    let limit = count("limit", request.limit, DEFAULT_RANK_LIMIT, MAX_LIMIT)?;
    let partners = request
        .partners
        .iter()
        .map(|raw| economy_code("partners", raw))
        .collect::<Result<Vec<_>, _>>()?;
    if !partners.is_empty() && request.limit != 0 {
        // Every field is honoured or refused: a limit has nothing to cut
        // when the partners are named.
        return Err(QueryError::invalid(
            "limit",
            "applies to the top list; leave it 0 when naming partners",
        ));
    }
    require_known(dataset, "reporter", [&reporter])?;
    require_known(dataset, "partners", &partners)?;
    let question = RankQuestion {
        reporter: &reporter,
        year,
        flow,
    };
    match computed_ranking(dataset, &question) {
        Some(table) => table.into_ranking(&partners, limit, &question),
        None => quoted_ranking(dataset, &question, &partners, limit),
    }
}

struct RankQuestion<'a> {
    reporter: &'a EconomyCode,
    year: i32,
    flow: TradeFlow,
}

impl RankQuestion<'_> {
    fn describe(&self) -> String {
        let what = match self.flow {
            TradeFlow::Export => "export destinations",
            TradeFlow::Import => "import origins",
            TradeFlow::Total => "trading partners",
        };
        format!("{}'s {what} in {}", self.reporter, self.year)
    }
}

/// Every partner's value for one reporter, year and flow, largest first.
struct RankTable {
    rows: Vec<(EconomyCode, f64)>,
    total: f64,
    sources: Vec<Arc<Source>>,
}

/// The origin with the most rows: one answer never mixes two sources'
/// partner lists, and the fuller list is the one that can rank.
fn fullest_origin<'a>(origins: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for origin in origins {
        *counts.entry(origin).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|&(origin, count)| (count, std::cmp::Reverse(origin)))
        .map(|(origin, _)| origin)
}

fn computed_ranking(dataset: &Dataset, question: &RankQuestion<'_>) -> Option<RankTable> {
    let mut by_partner: BTreeMap<EconomyCode, f64> = BTreeMap::new();
    let mut sources: Vec<Arc<Source>> = Vec::new();
    let wanted = |flow: TradeFlow| question.flow == TradeFlow::Total || flow == question.flow;
    let matching: Vec<&crate::domain::PartnerFlow> = dataset
        .partner_flows
        .iter()
        .filter(|row| {
            &row.reporter == question.reporter
                && row.year == question.year
                && row.flow != TradeFlow::Total
                && wanted(row.flow)
        })
        .collect();
    let origin = fullest_origin(matching.iter().map(|row| row.origin.as_str()))?;
    for row in matching.iter().filter(|row| row.origin == origin) {
        *by_partner.entry(row.partner.clone()).or_default() += row.value_usd;
        if !sources.iter().any(|s| s.key == row.source.key) {
            sources.push(row.source.clone());
        }
    }
    if by_partner.is_empty() {
        return None;
    }
    let mut rows: Vec<(EconomyCode, f64)> = by_partner.into_iter().collect();
    // Largest first; ties broken by code so ranks are stable.
    rows.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let total = rows.iter().map(|(_, value)| value).sum();
    Some(RankTable {
        rows,
        total,
        sources,
    })
}

impl RankTable {
    fn share(&self, value: f64) -> Option<f64> {
        (self.total > 0.0).then(|| value / self.total * 100.0)
    }

    fn entry(&self, index: usize) -> RankEntry {
        let (partner, value) = &self.rows[index];
        RankEntry {
            rank: Some(index as u32 + 1),
            partners: vec![partner.clone()],
            value_usd: Some(*value),
            share_pct: self.share(*value),
            note: String::new(),
        }
    }

    fn into_ranking(
        self,
        partners: &[EconomyCode],
        limit: usize,
        question: &RankQuestion<'_>,
    ) -> Result<Ranking, QueryError> {
        let entries = if partners.is_empty() {
            (0..self.rows.len().min(limit))
                .map(|i| self.entry(i))
                .collect()
        } else {
            partners
                .iter()
                .map(|code| {
                    self.rows
                        .iter()
                        .position(|(partner, _)| partner == code)
                        .map(|index| self.entry(index))
                        .ok_or_else(|| {
                            QueryError::not_found(
                                Missing::Ranking,
                                code.as_str(),
                                format!("partner: '{code}' is not among {}", question.describe()),
                            )
                        })
                })
                .collect::<Result<Vec<_>, _>>()?
        };
        let combined_share_pct =
            (partners.len() > 1).then(|| entries.iter().filter_map(|e| e.share_pct).sum());
        Ok(Ranking {
            about: question.describe(),
            entries,
            partner_count: self.rows.len(),
            quoted: false,
            sources: self.sources,
            combined_share_pct,
        })
    }
}

fn quoted_ranking(
    dataset: &Dataset,
    question: &RankQuestion<'_>,
    partners: &[EconomyCode],
    limit: usize,
) -> Result<Ranking, QueryError> {
    let mut statements: Vec<_> = dataset
        .quoted_ranks
        .iter()
        .filter(|q| {
            &q.reporter == question.reporter && q.year == question.year && q.flow == question.flow
        })
        .filter(|q| partners.is_empty() || q.partners == partners)
        .collect();
    if statements.is_empty() {
        let about = match partners {
            [] => String::new(),
            _ => format!(" for partner {}", join_codes(partners)),
        };
        return Err(QueryError::not_found(
            Missing::Ranking,
            question.describe(),
            format!(
                "no data on {}{about}: the store has neither complete partner figures nor a quoted rank",
                question.describe()
            ),
        ));
    }
    statements.sort_by_key(|q| (q.rank.is_none(), q.rank));
    statements.truncate(limit);
    let mut sources: Vec<Arc<Source>> = Vec::new();
    for statement in &statements {
        for source in &statement.sources {
            if !sources.iter().any(|s| s.key == source.key) {
                sources.push(source.clone());
            }
        }
    }
    let combined_share_pct = match statements.as_slice() {
        [only] if only.partners.len() > 1 => only.share_pct,
        _ => None,
    };
    Ok(Ranking {
        about: question.describe(),
        entries: statements
            .iter()
            .map(|q| RankEntry {
                rank: q.rank,
                partners: q.partners.clone(),
                value_usd: q.value_usd,
                share_pct: q.share_pct,
                note: q.note.clone(),
            })
            .collect(),
        partner_count: 0,
        quoted: true,
        sources,
        combined_share_pct,
    })
}

fn join_codes(codes: &[EconomyCode]) -> String {
    codes
        .iter()
        .map(EconomyCode::as_str)
        .collect::<Vec<_>>()
        .join("+")
}

#[cfg(test)]
mod tests;
