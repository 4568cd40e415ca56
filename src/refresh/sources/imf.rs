//! IMF International Trade in Goods (IMTS, formerly DOTS) on api.imf.org
//! (SDMX 3.0, no key): each configured reporter's goods trade with every
//! partner, from both sides: the reporter's own figures and every
//! partner's figures about it (the mirror side of GetBilateralTrade).
//!
//! The IMTS key is `COUNTRY.INDICATOR.COUNTERPART_COUNTRY.FREQUENCY`; `*`
//! leaves a dimension open and `+` joins values. So a reporter costs two
//! requests however many partners it has: `KOR.XG_FOB_USD+MG_CIF_USD.*.A`
//! (Korea's figures on every partner) and `*.XG_FOB_USD+MG_CIF_USD.KOR.A`
//! (every economy's figures on Korea). Every economy (`--reporters all`) is
//! one key, `*.XG_FOB_USD+MG_CIF_USD.*.A`, whose two sides are the same
//! query; being the whole matrix (some 90,000 series a year), it is asked
//! for [`MATRIX_YEARS_PER_REQUEST`] year at a time so that each answer stays
//! at a few megabytes. Requests go one after another through the source's
//! rate limiter.
//!
//! Each figure is stored as its reporter (the series' COUNTRY) publishes
//! it; aggregates and codes the served dataset does not know are skipped
//! (`imf/figures.rs`). Answers are parsed and mapped on a background thread.

mod figures;

use std::collections::HashSet;
use std::sync::Arc;

use crate::background;
use crate::domain::{Batch, EconomyCode, Source, TradeFigure, registry};
use crate::refresh::http::FetchedBody;
use crate::refresh::parse::{ParseError, imf};

use super::{
    Fetch, FetchContext, SourceAdapter, SourceError, SourceSettings, parse_failure, provenance,
    redact, validators_of,
};
use figures::{Mapper, Side};

const EXPORTS: &str = "XG_FOB_USD";
const IMPORTS: &str = "MG_CIF_USD";
const FAMILY: &str = "IMF-IMTS";
/// Years asked for in one request for the whole matrix (`--reporters all`):
/// one year of every economy's trade with every partner is a few MB of
/// SDMX-JSON, five years at once would be tens.
const MATRIX_YEARS_PER_REQUEST: i32 = 1;
/// The registry's source key for the IMF's CL_COUNTRY codes.
const IMF_CODES: &str = "imf-cl-country";

/// Whose trade is fetched.
#[derive(Debug, Clone, PartialEq)]
pub enum Reporters {
    /// Every economy: wildcard queries.
    Every,
    /// These economies, each with every partner, from both sides.
    Listed(Vec<EconomyCode>),
}

pub struct Imf {
    pub settings: SourceSettings,
    pub reporters: Reporters,
    pub first_year: i32,
    pub last_year: i32,
}

/// One request: which side of whose trade, over which years.
#[derive(Debug, Clone, PartialEq)]
struct Query {
    side: Side,
    first_year: i32,
    last_year: i32,
}

#[tonic::async_trait]
impl SourceAdapter for Imf {
    fn name(&self) -> &'static str {
        "imf"
    }

    fn settings(&self) -> &SourceSettings {
        &self.settings
    }

    async fn fetch(&self, ctx: &FetchContext<'_>) -> Result<Fetch, SourceError> {
        let mut answers = Vec::new();
        for query in self.queries() {
            let url = self.url(&query);
            let body = ctx.get(&url, headers()).await?;
            answers.push((query, url, body));
        }
        if !answers.is_empty() && answers.iter().all(|(_, _, body)| body.is_none()) {
            return Ok(Fetch::Unchanged);
        }
        let mut mapper = Mapper::new(servable(ctx));
        let mut batch = Batch::default();
        let mut validators = Vec::new();
        for (query, url, body) in answers {
            // A run replaces the whole source: a 304 among changed answers
            // is fetched again in full.
            let body = match body {
                Some(body) => body,
                None => ctx.get_in_full(&url, headers()).await?,
            };
            validators.push(validators_of(&url, &body));
            let source = source_of(&query, &url, ctx);
            let (figures, next) = read(&query, &url, body, &source, mapper).await?;
            mapper = next;
            batch.trade.extend(figures);
            batch.sources.push(source);
        }
        mapper.log_skipped();
        Ok(Fetch::Data { batch, validators })
    }
}

impl Imf {
    /// Two queries per listed reporter over all the years; the matrix one
    /// year range at a time.
    fn queries(&self) -> Vec<Query> {
        let query = |side: Side, (first_year, last_year)| Query {
            side,
            first_year,
            last_year,
        };
        match &self.reporters {
            Reporters::Listed(reporters) => reporters
                .iter()
                .flat_map(|reporter| {
                    let code = imf_code(reporter);
                    [
                        Side::Reported(reporter.clone(), code.clone()),
                        Side::Mirror(reporter.clone(), code),
                    ]
                })
                .map(|side| query(side, (self.first_year, self.last_year)))
                .collect(),
            Reporters::Every => year_ranges(self.first_year, self.last_year)
                .map(|years| query(Side::Matrix, years))
                .collect(),
        }
    }

    fn url(&self, query: &Query) -> String {
        format!(
            "{}/data/dataflow/IMF.STA/IMTS/+/{}.{EXPORTS}+{IMPORTS}.{}.A?dimensionAtObservation=TIME_PERIOD&attributes=dsd&measures=all&c%5BTIME_PERIOD%5D=ge%3A{}-A1%2Ble%3A{}-A1",
            self.settings.base_url.trim_end_matches('/'),
            query.side.country_key(),
            query.side.counterpart_key(),
            query.first_year,
            query.last_year,
        )
    }
}

fn headers() -> Vec<(&'static str, String)> {
    vec![("accept", "application/json".to_owned())]
}

/// `first..=last` cut into ranges of [`MATRIX_YEARS_PER_REQUEST`] years.
fn year_ranges(first: i32, last: i32) -> impl Iterator<Item = (i32, i32)> {
    let step = usize::try_from(MATRIX_YEARS_PER_REQUEST)
        .unwrap_or(1)
        .max(1);
    (first..=last)
        .step_by(step)
        .map(move |start| (start, (start + MATRIX_YEARS_PER_REQUEST - 1).min(last)))
}

/// The code the IMF knows `economy` by: its CL_COUNTRY alias where the
/// registry records one (Kosovo is `KOS` there, `XKX` here), else alpha-3.
fn imf_code(economy: &EconomyCode) -> String {
    registry()
        .economy(economy)
        .and_then(|e| {
            e.codes
                .iter()
                .find(|alias| alias.sources.iter().any(|s| s == IMF_CODES))
        })
        .map_or_else(|| economy.to_string(), |alias| alias.code.clone())
}

/// The economies figures may name: those of the served dataset, groups
/// left out (validation refuses a figure naming anything else).
fn servable(ctx: &FetchContext<'_>) -> Arc<HashSet<EconomyCode>> {
    let registry = registry();
    Arc::new(
        ctx.dataset
            .economies
            .keys()
            .filter(|code| registry.group(code).is_none())
            .cloned()
            .collect(),
    )
}

fn source_of(query: &Query, url: &str, ctx: &FetchContext<'_>) -> Arc<Source> {
    let (key, what) = match &query.side {
        Side::Reported(economy, _) => (
            format!("imf-imts-{}-all", economy.as_str().to_ascii_lowercase()),
            format!("{economy} with every partner, as {economy} reports"),
        ),
        Side::Mirror(economy, _) => (
            format!("imf-imts-all-{}", economy.as_str().to_ascii_lowercase()),
            format!("every economy with {economy}, as each reports"),
        ),
        Side::Matrix => {
            let years = match (query.first_year, query.last_year) {
                (first, last) if first == last => first.to_string(),
                (first, last) => format!("{first}-{last}"),
            };
            (
                format!("imf-imts-all-all-{years}"),
                format!("every economy with every partner in {years}, as each reports"),
            )
        }
    };
    provenance(
        key,
        format!("IMF International Trade in Goods (IMTS): {what}"),
        "International Monetary Fund",
        url,
        ctx,
        "IMF data: free reuse with attribution (IMF copyright and usage terms)",
        true,
    )
}

/// One answer's figures. A "no results" answer is no figures; any other
/// non-2xx is the provider's error. The mapper goes to the background
/// thread with the body and comes back with what it learned (figures
/// already taken, codes skipped).
async fn read(
    query: &Query,
    url: &str,
    body: FetchedBody,
    source: &Arc<Source>,
    mapper: Mapper,
) -> Result<(Vec<TradeFigure>, Mapper), SourceError> {
    if imf::is_no_results(body.status, &body.body) {
        tracing::info!(url = %redact(url), "IMF: no series match this query");
        return Ok((Vec::new(), mapper));
    }
    if !(200..300).contains(&body.status) {
        return Err(parse_failure(
            url,
            body.status,
            imf::parse_error(&body.body),
        ));
    }
    let side = query.side.clone();
    let source = source.clone();
    let bytes = body.body;
    // A matrix answer is megabytes of JSON: seconds of parsing that would
    // hold up the calls queued on this runtime worker.
    let (parsed, mapper) = background::run("imf-parse", move || {
        let mut mapper = mapper;
        let parsed = imf::parse_sdmx_json(&bytes)
            .map_err(Failure::Parse)
            .and_then(|series| {
                mapper
                    .figures(&side, &series, &source)
                    .map_err(Failure::Mismatch)
            });
        (parsed, mapper)
    })
    .await
    .map_err(|error| SourceError::Invalid(error.to_string()))?;
    match parsed {
        Ok(figures) => Ok((figures, mapper)),
        Err(Failure::Parse(source)) => Err(SourceError::Parse {
            url: redact(url),
            source,
        }),
        Err(Failure::Mismatch(problem)) => {
            Err(SourceError::Invalid(format!("{}: {problem}", redact(url))))
        }
    }
}

/// Why an answer's body gave no figures.
enum Failure {
    Parse(ParseError),
    Mismatch(String),
}

#[cfg(test)]
mod tests;
