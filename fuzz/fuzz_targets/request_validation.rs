//! Request validation: raw request structs, built with `arbitrary`, for
//! every query function, answered from the built-in dataset. Every call
//! must return `Ok` or a `QueryError` (never panic), and an
//! `InvalidArgument` must name one of the fields of the request it
//! answers (ARCHITECTURE.md: "errors to clients name the request field").
//!
//! Strings are drawn either raw or from the values the dataset really
//! holds (economy codes, ISO2 codes, agreement ids, indicator codes,
//! vintages; also in other cases and with padding), and years either raw
//! or from the years the dataset has figures for, so the fuzzer gets past
//! validation into the answers. A trade or indicator call may also be
//! anchored to a row the dataset holds (its reporter, partner, year and
//! flow, or economy and indicator), so answers with data are reached, not
//! only NOT_FOUND. Page tokens may be ones an earlier call in the same
//! input issued, so paging is exercised too.
#![no_main]

use std::sync::LazyLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tradepact::domain::{AgreementStatus, Dataset, TradeFlow};
use tradepact::query::{
    self, BilateralQuery, GetAgreement, IndicatorQuery, ListAgreements, ListRounds, ProductQuery,
    QueryError, RankQuery,
};

struct World {
    dataset: Dataset,
    /// Values the dataset holds, by kind, for `Text`.
    economies: Vec<String>,
    agreements: Vec<String>,
    indicators: Vec<String>,
    vintages: Vec<String>,
    /// All of the above and a few near misses.
    words: Vec<String>,
    /// Years with figures, for `Int::DataYear`.
    years: Vec<i32>,
    /// Trade rows: (reporter, partner, year, flow); a quoted ranking of
    /// several partners gives its first.
    trade: Vec<(String, String, i32, Option<TradeFlow>)>,
    /// Indicator series: (economy, indicator).
    series: Vec<(String, String)>,
}

/// The anchored row, if any (and if the dataset has such rows).
fn anchored<T>(rows: &[T], anchor: Option<u16>) -> Option<&T> {
    match (anchor, rows.len()) {
        (Some(index), len) if len > 0 => Some(&rows[usize::from(index) % len]),
        _ => None,
    }
}

fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items.dedup();
    items
}

static WORLD: LazyLock<World> = LazyLock::new(|| {
    let dataset = tradepact::seed::builtin()
        .expect("the built-in dataset parses")
        .dataset;
    let economies = sorted(dataset.economies.keys().map(|c| c.to_string()).collect());
    let agreements: Vec<String> = dataset.agreements.keys().cloned().collect();
    let indicators: Vec<String> = dataset.indicators.keys().cloned().collect();
    let vintages = sorted(
        dataset
            .indicator_series
            .iter()
            .map(|s| s.vintage.clone())
            .collect(),
    );
    let mut words: Vec<String> = [&economies, &agreements, &indicators, &vintages]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    words.extend(dataset.economies.values().filter_map(|e| e.iso2.clone()));
    words.extend(
        [
            "2024-01-01",
            "2024-02-30",
            "2024-1-1",
            "2024",
            "KOR+KHM",
            "+",
        ]
        .map(String::from),
    );
    let years = sorted(
        (dataset.trade.iter().map(|f| f.year))
            .chain(dataset.partner_flows.iter().map(|f| f.year))
            .chain(dataset.quoted_ranks.iter().map(|f| f.year))
            .chain(dataset.quoted_products.iter().map(|f| f.year))
            .chain(
                dataset
                    .indicator_series
                    .iter()
                    .flat_map(|s| s.points.iter().map(|p| p.0)),
            )
            .collect(),
    );
    let code = |c: &tradepact::domain::EconomyCode| c.to_string();
    let trade = (dataset.trade.iter())
        .map(|f| (code(&f.reporter), code(&f.partner), f.year, None))
        .chain(dataset.quoted_ranks.iter().map(|q| {
            let partner = q.partners.first().map(code).unwrap_or_default();
            (code(&q.reporter), partner, q.year, Some(q.flow))
        }))
        .chain(
            dataset
                .quoted_products
                .iter()
                .map(|q| (code(&q.reporter), code(&q.partner), q.year, Some(q.flow))),
        )
        .chain(
            dataset
                .partner_flows
                .iter()
                .map(|f| (code(&f.reporter), code(&f.partner), f.year, Some(f.flow))),
        )
        .collect();
    let series = sorted(
        (dataset.indicator_series.iter())
            .map(|s| (code(&s.economy), s.indicator.clone()))
            .collect(),
    );
    World {
        trade,
        series,
        economies,
        agreements,
        indicators,
        vintages,
        words: sorted(words),
        years,
        dataset,
    }
});

#[derive(Arbitrary, Debug)]
enum Text {
    Empty,
    Economy(u8),
    Agreement(u8),
    Indicator(u8),
    Vintage(u8),
    /// Any value the dataset holds, or a near miss.
    Known(u16),
    /// A known value in another case, padded with whitespace.
    Altered {
        index: u16,
        lower: bool,
        pad: bool,
    },
    Raw(String),
}

fn pick(list: &[String], index: usize) -> String {
    if list.is_empty() {
        return String::new();
    }
    list[index % list.len()].clone()
}

impl Text {
    fn render(&self, world: &World) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Economy(index) => pick(&world.economies, usize::from(*index)),
            Self::Agreement(index) => pick(&world.agreements, usize::from(*index)),
            Self::Indicator(index) => pick(&world.indicators, usize::from(*index)),
            Self::Vintage(index) => pick(&world.vintages, usize::from(*index)),
            Self::Known(index) => pick(&world.words, usize::from(*index)),
            Self::Altered { index, lower, pad } => {
                let word = pick(&world.words, usize::from(*index));
                let word = if *lower {
                    word.to_lowercase()
                } else {
                    word.to_uppercase()
                };
                if *pad { format!(" \t{word}\n ") } else { word }
            }
            Self::Raw(text) => text.clone(),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Int {
    Zero,
    Small(i8),
    /// 1895..=2150: around the accepted 1900..=2100.
    Year(u8),
    /// A year the dataset has figures for.
    DataYear(u8),
    Raw(i32),
}

impl Int {
    fn get(self, world: &World) -> i32 {
        match self {
            Self::Zero => 0,
            Self::Small(n) => i32::from(n),
            Self::Year(n) => 1895 + i32::from(n),
            Self::DataYear(n) => match world.years.len() {
                0 => 2020,
                len => world.years[usize::from(n) % len],
            },
            Self::Raw(n) => n,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Token {
    First,
    /// The last `next_page_token` an earlier call in this input got (from
    /// any method: one issued for other filters must be refused cleanly).
    Issued,
    Raw(String),
}

impl Token {
    fn render(&self, issued: &Option<String>) -> String {
        match self {
            Self::First => String::new(),
            Self::Issued => issued.clone().unwrap_or_default(),
            Self::Raw(raw) => raw.clone(),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Status {
    Proposed,
    JointStudy,
    Negotiating,
    Suspended,
    Concluded,
    Signed,
    InForce,
    Terminated,
}

impl From<Status> for AgreementStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Proposed => Self::Proposed,
            Status::JointStudy => Self::JointStudy,
            Status::Negotiating => Self::Negotiating,
            Status::Suspended => Self::Suspended,
            Status::Concluded => Self::Concluded,
            Status::Signed => Self::Signed,
            Status::InForce => Self::InForce,
            Status::Terminated => Self::Terminated,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Flow {
    Export,
    Import,
    Total,
}

impl From<Flow> for TradeFlow {
    fn from(flow: Flow) -> Self {
        match flow {
            Flow::Export => Self::Export,
            Flow::Import => Self::Import,
            Flow::Total => Self::Total,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Call {
    GetAgreement {
        id: Text,
        as_of: Option<(Int, Int, Int)>,
    },
    ListAgreements {
        party: Text,
        status: Option<Status>,
        as_of: Option<(Int, Int, Int)>,
        page_size: Int,
        page_token: Token,
        query: Text,
    },
    NegotiationRounds {
        agreement_id: Text,
        page_size: Int,
        page_token: Token,
    },
    BilateralTrade {
        anchor: Option<u16>,
        reporter: Text,
        partner: Text,
        start_year: Int,
        end_year: Int,
    },
    RankPartners {
        /// Overrides reporter, year and flow.
        anchor: Option<u16>,
        reporter: Text,
        year: Int,
        flow: Option<Flow>,
        limit: Int,
        partners: Vec<Text>,
    },
    ProductBreakdown {
        /// Overrides reporter, partner, year and flow.
        anchor: Option<u16>,
        reporter: Text,
        partner: Text,
        year: Int,
        flow: Option<Flow>,
        hs_digits: Int,
        page_size: Int,
        page_token: Token,
    },
    IndicatorSeries {
        /// Overrides economy and indicator.
        anchor: Option<u16>,
        economy: Text,
        indicator: Text,
        start_year: Int,
        end_year: Int,
        vintage: Text,
    },
}

/// Ok, or a well-formed `QueryError` naming one of `fields`.
fn check<T: std::fmt::Debug>(
    call: &str,
    result: Result<T, QueryError>,
    fields: &[&str],
) -> Option<T> {
    tradepact_fuzz::show(call, &result);
    match result {
        Ok(answer) => Some(answer),
        Err(QueryError::InvalidArgument { field, reason }) => {
            assert!(
                fields.contains(&field),
                "{call}: InvalidArgument names {field:?}, not a field of the request {fields:?} ({reason})"
            );
            assert!(
                !reason.is_empty(),
                "{call}: InvalidArgument on {field} without a reason"
            );
            None
        }
        Err(QueryError::NotFound { name, message, .. }) => {
            assert!(!message.is_empty(), "{call}: NotFound without a message");
            assert!(
                !name.is_empty(),
                "{call}: NotFound without the name of what is missing ({message})"
            );
            None
        }
        Err(QueryError::Store(detail)) => {
            panic!("{call}: a store failure from a question answered without a store: {detail}")
        }
        Err(QueryError::CopyRestoring) => {
            panic!(
                "{call}: a replica's copy being restored, from a question answered without a store"
            )
        }
    }
}

fuzz_target!(|calls: Vec<Call>| {
    let world = &*WORLD;
    let dataset = &world.dataset;
    let text = |t: &Text| t.render(world);
    let int = |i: &Int| i.get(world);
    let date = |parts: &Option<(Int, Int, Int)>| parts.map(|(y, m, d)| (int(&y), int(&m), int(&d)));
    let mut issued: Option<String> = None;
    for call in calls.iter().take(16) {
        match call {
            Call::GetAgreement { id, as_of } => {
                let request = GetAgreement {
                    id: text(id),
                    as_of: date(as_of),
                };
                check(
                    "get_agreement",
                    query::get_agreement(dataset, &request),
                    &["id", "as_of"],
                );
            }
            Call::ListAgreements {
                party,
                status,
                as_of,
                page_size,
                page_token,
                query: words,
            } => {
                let request = ListAgreements {
                    party: text(party),
                    status: status.map(AgreementStatus::from),
                    as_of: date(as_of),
                    page_size: int(page_size),
                    page_token: page_token.render(&issued),
                    query: text(words),
                };
                let page = check(
                    "list_agreements",
                    query::list_agreements(dataset, &request),
                    &[
                        "party",
                        "status",
                        "as_of",
                        "page_size",
                        "page_token",
                        "query",
                    ],
                );
                if let Some(token) = page.and_then(|p| p.next_page_token) {
                    issued = Some(token);
                }
            }
            Call::NegotiationRounds {
                agreement_id,
                page_size,
                page_token,
            } => {
                let request = ListRounds {
                    agreement_id: text(agreement_id),
                    page_size: int(page_size),
                    page_token: page_token.render(&issued),
                };
                let page = check(
                    "negotiation_rounds",
                    query::negotiation_rounds(dataset, &request),
                    &["agreement_id", "page_size", "page_token"],
                );
                if let Some(token) = page.and_then(|p| p.next_page_token) {
                    issued = Some(token);
                }
            }
            Call::BilateralTrade {
                anchor,
                reporter,
                partner,
                start_year,
                end_year,
            } => {
                let mut request = BilateralQuery {
                    reporter: text(reporter),
                    partner: text(partner),
                    start_year: int(start_year),
                    end_year: int(end_year),
                };
                if let Some((reporter, partner, _, _)) = anchored(&world.trade, *anchor) {
                    request.reporter = reporter.clone();
                    request.partner = partner.clone();
                }
                check(
                    "bilateral_trade",
                    query::bilateral_trade(dataset, &request),
                    &["reporter", "partner", "start_year", "end_year"],
                );
            }
            Call::RankPartners {
                anchor,
                reporter,
                year,
                flow,
                limit,
                partners,
            } => {
                let mut request = RankQuery {
                    reporter: text(reporter),
                    year: int(year),
                    flow: flow.map(TradeFlow::from),
                    limit: int(limit),
                    partners: partners.iter().map(text).collect(),
                };
                if let Some((reporter, _, year, flow)) = anchored(&world.trade, *anchor) {
                    request.reporter = reporter.clone();
                    request.year = *year;
                    request.flow = flow.or(request.flow);
                }
                check(
                    "rank_partners",
                    query::rank_partners(dataset, &request),
                    &["reporter", "year", "flow", "limit", "partners"],
                );
            }
            Call::ProductBreakdown {
                anchor,
                reporter,
                partner,
                year,
                flow,
                hs_digits,
                page_size,
                page_token,
            } => {
                let mut request = ProductQuery {
                    reporter: text(reporter),
                    partner: text(partner),
                    year: int(year),
                    flow: flow.map(TradeFlow::from),
                    hs_digits: int(hs_digits),
                    page_size: int(page_size),
                    page_token: page_token.render(&issued),
                };
                if let Some((reporter, partner, year, flow)) = anchored(&world.trade, *anchor) {
                    request.reporter = reporter.clone();
                    request.partner = partner.clone();
                    request.year = *year;
                    request.flow = flow.or(request.flow);
                }
                // Product lines are read from the store; what is fuzzed here
                // is the check every question passes before that.
                check(
                    "product_breakdown",
                    query::check_product_query(dataset, &request),
                    &[
                        "reporter",
                        "partner",
                        "year",
                        "flow",
                        "hs_digits",
                        "page_size",
                        "page_token",
                    ],
                );
            }
            Call::IndicatorSeries {
                anchor,
                economy,
                indicator,
                start_year,
                end_year,
                vintage,
            } => {
                let mut request = IndicatorQuery {
                    economy: text(economy),
                    indicator: text(indicator),
                    start_year: int(start_year),
                    end_year: int(end_year),
                    vintage: text(vintage),
                };
                if let Some((economy, indicator)) = anchored(&world.series, *anchor) {
                    request.economy = economy.clone();
                    request.indicator = indicator.clone();
                }
                check(
                    "indicator_series",
                    query::indicator_series(dataset, &request),
                    &["economy", "indicator", "start_year", "end_year", "vintage"],
                );
            }
        }
    }
});
