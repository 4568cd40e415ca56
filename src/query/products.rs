//! Product breakdowns: what a reporter sells to or buys from a partner, by HS
//! code. Unlike every other answer these are not computed from the snapshot:
//! at Comtrade scale (millions of HS6 lines) the lines stay in the store, and
//! this module asks for them through [`ProductLines`], which the store
//! implements with indexed queries and the unit tests with a slice.
//!
//! The rules: one answer never mixes origins (the origin with the most lines
//! answers); codes are summed from the finest level stored that is at least
//! as fine as the one asked for, so a chapter is never counted twice through
//! its headings; shares are of that level's total; quoted lists answer where
//! nothing can be computed.

use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::{Dataset, EconomyCode, Source, TradeFlow};

use super::input::{count, economy_code, require_known, year};
use super::paging::{PageToken, fingerprint};
use super::{Missing, QueryError};

#[derive(Debug, Clone, Default)]
pub struct ProductQuery {
    pub reporter: String,
    pub partner: String,
    pub year: i32,
    pub flow: Option<TradeFlow>,
    pub hs_digits: i32,
    pub page_size: i32,
    pub page_token: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProductLine {
    pub hs_code: String,
    pub description: String,
    pub value_usd: Option<f64>,
    pub share_pct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProductBreakdown {
    /// This page's lines.
    pub products: Vec<ProductLine>,
    pub sources: Vec<Arc<Source>>,
    pub quoted: bool,
    /// Lines over every page.
    pub total: usize,
    /// `None` on the last page.
    pub next_page_token: Option<String>,
}

/// Which lines: one reporter's trade in one direction with one partner in one year.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProductKey {
    pub reporter: EconomyCode,
    pub partner: EconomyCode,
    pub year: i32,
    pub flow: TradeFlow,
}

impl ProductKey {
    /// "KOR's exports to KHM in 2023".
    pub fn describe(&self) -> String {
        let direction = match self.flow {
            TradeFlow::Export => "exports to",
            _ => "imports from",
        };
        format!(
            "{}'s {direction} {} in {}",
            self.reporter, self.partner, self.year
        )
    }
}

/// A checked product question: every field well formed and known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CheckedProductQuery {
    pub key: ProductKey,
    /// 2, 4 or 6.
    pub digits: usize,
    /// The request named a level (`hs_digits` not 0), which a quoted list
    /// of products, having no codes, cannot honour.
    pub digits_asked: bool,
    /// Which lines this page holds.
    pub window: Window,
    /// The `paging::fingerprint` of the question, which its page tokens carry.
    pub filters: u64,
}

/// A page's place in the full list: `limit` lines from `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    pub offset: usize,
    pub limit: usize,
}

impl Window {
    /// The token for the page after this one, when `total` lines go beyond it.
    fn next_token(self, filters: u64, total: usize) -> Option<String> {
        let next = self.offset + self.limit;
        (next < total).then(|| PageToken::at_position(filters, next))
    }
}

/// What the store holds for one key, origin and HS level.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelSummary {
    pub origin: String,
    pub digits: usize,
    pub lines: u64,
    pub total_usd: f64,
    /// Keys of the sources of the level's lines.
    pub source_keys: Vec<String>,
}

/// One code's value, summed to the level asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLine {
    pub hs_code: String,
    /// The stored description when the line is a stored row, else empty.
    pub description: String,
    pub value_usd: f64,
}

/// Where product lines are read from.
pub trait ProductLines {
    /// Every origin and level stored for `key`.
    fn levels(&self, key: &ProductKey) -> Result<Vec<LevelSummary>, QueryError>;

    /// The positive values of `origin`'s lines `from_digits` long, summed to
    /// their first `digits` digits, largest first, ties by code: the
    /// `window` of that list.
    fn top(
        &self,
        key: &ProductKey,
        origin: &str,
        digits: usize,
        from_digits: usize,
        window: Window,
    ) -> Result<Vec<StoredLine>, QueryError>;

    /// How long the whole list [`ProductLines::top`] pages through is.
    fn count(
        &self,
        key: &ProductKey,
        origin: &str,
        digits: usize,
        from_digits: usize,
    ) -> Result<usize, QueryError>;

    /// Descriptions of `codes` among `origin`'s stored lines `codes` long.
    fn descriptions(
        &self,
        key: &ProductKey,
        origin: &str,
        codes: &[&str],
    ) -> Result<HashMap<String, String>, QueryError>;
}

const DEFAULT_PAGE_SIZE: usize = 20;
const MAX_PAGE_SIZE: usize = 1000;

/// Checks a product question against the snapshot: cheap, and done before
/// any store access so a bad request never costs a query.
pub fn check_product_query(
    dataset: &Dataset,
    request: &ProductQuery,
) -> Result<CheckedProductQuery, QueryError> {
    let reporter = economy_code("reporter", &request.reporter)?;
    let partner = economy_code("partner", &request.partner)?;
    let year = year("year", request.year)?;
    let flow = match request.flow {
        Some(flow @ (TradeFlow::Export | TradeFlow::Import)) => flow,
        Some(TradeFlow::Total) => {
            return Err(QueryError::invalid(
                "flow",
                "TRADE_FLOW_TOTAL is not offered for products: ask for TRADE_FLOW_EXPORT or TRADE_FLOW_IMPORT",
            ));
        }
        None => {
            return Err(QueryError::invalid(
                "flow",
                "is required: TRADE_FLOW_EXPORT or TRADE_FLOW_IMPORT",
            ));
        }
    };
    let digits = match request.hs_digits {
        0 => 2,
        d @ (2 | 4 | 6) => d as usize,
        other => {
            return Err(QueryError::invalid(
                "hs_digits",
                format!("{other} is not 2, 4 or 6"),
            ));
        }
    };
    let limit = count(
        "page_size",
        request.page_size,
        DEFAULT_PAGE_SIZE,
        MAX_PAGE_SIZE,
    )?;
    let filters = fingerprint(&[
        "products",
        reporter.as_str(),
        partner.as_str(),
        &year.to_string(),
        flow.as_str(),
        &digits.to_string(),
    ]);
    let offset = PageToken::position(&request.page_token, filters)?;
    require_known(dataset, "reporter", [&reporter])?;
    require_known(dataset, "partner", [&partner])?;
    Ok(CheckedProductQuery {
        key: ProductKey {
            reporter,
            partner,
            year,
            flow,
        },
        digits,
        digits_asked: request.hs_digits != 0,
        window: Window { offset, limit },
        filters,
    })
}

/// The breakdown for a checked question: computed from stored lines when
/// there are any, otherwise the quoted list of main products.
pub fn product_breakdown(
    dataset: &Dataset,
    question: &CheckedProductQuery,
    lines: &dyn ProductLines,
) -> Result<ProductBreakdown, QueryError> {
    let levels = lines.levels(&question.key)?;
    match fullest_origin(&levels) {
        Some(origin) => computed(dataset, question, lines, &levels, origin),
        None => quoted(dataset, question),
    }
}

/// The origin with the most lines (ties: the first by name).
fn fullest_origin(levels: &[LevelSummary]) -> Option<&str> {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for level in levels {
        *counts.entry(level.origin.as_str()).or_default() += level.lines;
    }
    counts
        .into_iter()
        .max_by_key(|&(origin, lines)| (lines, std::cmp::Reverse(origin)))
        .map(|(origin, _)| origin)
}

fn computed(
    dataset: &Dataset,
    question: &CheckedProductQuery,
    lines: &dyn ProductLines,
    levels: &[LevelSummary],
    origin: &str,
) -> Result<ProductBreakdown, QueryError> {
    let digits = question.digits;
    let of_origin = || levels.iter().filter(|l| l.origin == origin);
    let Some(finest) = of_origin()
        .filter(|l| l.digits >= digits)
        .max_by_key(|l| l.digits)
    else {
        return Err(QueryError::not_found(
            Missing::Products,
            question.key.describe(),
            format!(
                "no HS{digits} lines for {}: the finest level held is HS{}",
                question.key.describe(),
                of_origin().map(|l| l.digits).max().unwrap_or_default()
            ),
        ));
    };
    let total = lines.count(&question.key, origin, digits, finest.digits)?;
    let window = question.window;
    let mut top = lines.top(&question.key, origin, digits, finest.digits, window)?;
    if finest.digits != digits && of_origin().any(|l| l.digits == digits) {
        let codes: Vec<&str> = top.iter().map(|line| line.hs_code.as_str()).collect();
        let mut described = lines.descriptions(&question.key, origin, &codes)?;
        for line in &mut top {
            if let Some(description) = described.remove(&line.hs_code) {
                line.description = description;
            }
        }
    }
    let total_usd = finest.total_usd;
    Ok(ProductBreakdown {
        products: top
            .into_iter()
            .map(|line| ProductLine {
                share_pct: (total_usd > 0.0).then(|| line.value_usd / total_usd * 100.0),
                value_usd: Some(line.value_usd),
                hs_code: line.hs_code,
                description: line.description,
            })
            .collect(),
        sources: finest
            .source_keys
            .iter()
            .map(|key| source(dataset, key))
            .collect::<Result<_, _>>()?,
        quoted: false,
        total,
        next_page_token: window.next_token(question.filters, total),
    })
}

fn source(dataset: &Dataset, key: &str) -> Result<Arc<Source>, QueryError> {
    dataset.sources.get(key).cloned().ok_or_else(|| {
        QueryError::Store(format!(
            "product lines cite source '{key}', which the snapshot does not hold"
        ))
    })
}

fn quoted(
    dataset: &Dataset,
    question: &CheckedProductQuery,
) -> Result<ProductBreakdown, QueryError> {
    let key = &question.key;
    let window = question.window;
    let ProductKey {
        reporter,
        partner,
        year,
        flow,
    } = key;
    let quoted = dataset
        .quoted_products
        .iter()
        .find(|q| {
            &q.reporter == reporter && &q.partner == partner && q.year == *year && q.flow == *flow
        })
        .ok_or_else(|| {
            QueryError::not_found(
                Missing::Products,
                key.describe(),
                format!(
                    "no product data on {reporter}'s {} {partner} in {year}",
                    if *flow == TradeFlow::Export {
                        "exports to"
                    } else {
                        "imports from"
                    }
                ),
            )
        })?;
    if question.digits_asked {
        // Every request field is honoured or refused: a list without codes
        // has no HS level to give.
        return Err(QueryError::not_found(
            Missing::Products,
            key.describe(),
            format!(
                "no HS{} lines for {}: only a quoted list of main products, without HS codes, is held; ask with hs_digits 0 for it",
                question.digits,
                key.describe()
            ),
        ));
    }
    let total = quoted.products.len();
    Ok(ProductBreakdown {
        total,
        next_page_token: window.next_token(question.filters, total),
        products: quoted
            .products
            .iter()
            .skip(window.offset)
            .take(window.limit)
            .map(|description| ProductLine {
                hs_code: String::new(),
                description: description.clone(),
                value_usd: None,
                share_pct: None,
            })
            .collect(),
        sources: quoted.sources.clone(),
        quoted: true,
    })
}

#[cfg(test)]
mod tests;
