//! World Bank Indicators API v2 (no key): indicator series for every economy
//! the service knows, one vintage per `lastupdated` date.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::domain::{Batch, EconomyCode, Indicator, IndicatorSeries, Source};
use crate::refresh::parse::worldbank::{self, Page};
use crate::store::UrlValidators;

use super::{
    Fetch, FetchContext, SourceAdapter, SourceError, SourceSettings, provenance, validators_of,
};

/// Rows per page; the API allows large pages, and fewer calls are kinder.
const PER_PAGE: u32 = 1000;
/// A runaway `pages` value cannot make a run loop for ever.
const MAX_PAGES: u32 = 200;

pub struct WorldBank {
    pub settings: SourceSettings,
    /// Indicator codes, e.g. `NY.GDP.MKTP.KD.ZG`.
    pub indicators: Vec<String>,
    pub first_year: i32,
}

#[tonic::async_trait]
impl SourceAdapter for WorldBank {
    fn name(&self) -> &'static str {
        "worldbank"
    }

    fn settings(&self) -> &SourceSettings {
        &self.settings
    }

    async fn fetch(&self, ctx: &FetchContext<'_>) -> Result<Fetch, SourceError> {
        let last_year = ctx.now.format("%Y").to_string();
        let mut fetched = Vec::new();
        let mut unchanged = Vec::new();
        for code in &self.indicators {
            match self.fetch_indicator(ctx, code, &last_year, true).await? {
                Some(indicator) => fetched.push((code, indicator)),
                None => unchanged.push(code),
            }
        }
        if fetched.is_empty() {
            return Ok(Fetch::Unchanged);
        }
        // A run replaces the whole source, so indicators that answered 304
        // while others changed are fetched again in full.
        for code in unchanged {
            if let Some(indicator) = self.fetch_indicator(ctx, code, &last_year, false).await? {
                fetched.push((code, indicator));
            }
        }
        let mut batch = Batch::default();
        let mut validators = Vec::new();
        for (code, indicator) in fetched {
            validators.push(indicator.validators);
            add_indicator(&mut batch, ctx, code, indicator.pages);
        }
        Ok(Fetch::Data { batch, validators })
    }
}

struct FetchedIndicator {
    pages: Vec<(String, Page)>,
    validators: UrlValidators,
}

impl WorldBank {
    fn url(&self, code: &str, last_year: &str, page: u32) -> String {
        format!(
            "{}/country/all/indicator/{code}?format=json&date={}:{last_year}&per_page={PER_PAGE}&page={page}",
            self.settings.base_url.trim_end_matches('/'),
            self.first_year,
        )
    }

    /// Every page of one indicator; `None` when page 1 is unchanged (304).
    async fn fetch_indicator(
        &self,
        ctx: &FetchContext<'_>,
        code: &str,
        last_year: &str,
        conditional: bool,
    ) -> Result<Option<FetchedIndicator>, SourceError> {
        let first_url = self.url(code, last_year, 1);
        let body = if conditional {
            match ctx.get(&first_url, Vec::new()).await? {
                Some(body) => body,
                None => return Ok(None),
            }
        } else {
            ctx.get_in_full(&first_url, Vec::new()).await?
        };
        let validators = validators_of(&first_url, &body);
        let first = parse(&first_url, body.status, &body.body)?;
        let pages = first.pages.min(MAX_PAGES);
        let mut all = vec![(first_url, first)];
        for number in 2..=pages {
            let url = self.url(code, last_year, number);
            let body = ctx.get_in_full(&url, Vec::new()).await?;
            let page = parse(&url, body.status, &body.body)?;
            all.push((url, page));
        }
        Ok(Some(FetchedIndicator {
            pages: all,
            validators,
        }))
    }
}

fn parse(url: &str, status: u16, body: &[u8]) -> Result<Page, SourceError> {
    let page = worldbank::parse_page(body).map_err(|e| super::parse_failure(url, status, e))?;
    if !(200..300).contains(&status) {
        return Err(SourceError::Status {
            url: super::redact(url),
            status,
        });
    }
    Ok(page)
}

/// The unit a World Bank indicator name implies.
fn unit_of(name: &str) -> &'static str {
    if name.contains('%') {
        "%"
    } else if name.contains("US$") {
        "US$"
    } else {
        ""
    }
}

fn add_indicator(
    batch: &mut Batch,
    ctx: &FetchContext<'_>,
    code: &str,
    pages: Vec<(String, Page)>,
) {
    let vintage = pages
        .first()
        .and_then(|(_, page)| page.last_updated.clone())
        .unwrap_or_else(|| ctx.now.format("%Y-%m-%d").to_string());
    let name = pages
        .iter()
        .flat_map(|(_, page)| page.rows.first())
        .map(|row| row.indicator_name.clone())
        .next()
        .unwrap_or_else(|| code.to_owned());
    let url = pages
        .first()
        .map(|(url, _)| url.clone())
        .unwrap_or_default();
    let source = source_for(ctx, code, &name, &vintage, &url);
    let mut by_economy: BTreeMap<EconomyCode, Vec<(i32, Option<f64>)>> = BTreeMap::new();
    for row in pages.iter().flat_map(|(_, page)| &page.rows) {
        let (Some(year), Ok(economy)) = (row.year, EconomyCode::parse(&row.country_iso3)) else {
            continue;
        };
        // Aggregates (Arab World, income groups...) are not economies we know.
        if ctx.dataset.is_known_economy(&economy) && ctx.dataset.members_of(&economy).is_empty() {
            by_economy
                .entry(economy)
                .or_default()
                .push((year, row.value));
        }
    }
    for (economy, mut points) in by_economy {
        points.sort_by_key(|(year, _)| *year);
        batch.indicator_series.push(IndicatorSeries {
            economy,
            indicator: code.to_owned(),
            vintage: vintage.clone(),
            sources: vec![source.clone()],
            points,
        });
    }
    batch.indicators.push(Indicator {
        code: code.to_owned(),
        unit: unit_of(&name).to_owned(),
        name,
    });
    batch.sources.push(source);
}

fn source_for(
    ctx: &FetchContext<'_>,
    code: &str,
    name: &str,
    vintage: &str,
    url: &str,
) -> Arc<Source> {
    let mut source = provenance(
        format!("worldbank-{code}-{vintage}"),
        format!("World Bank, World Development Indicators: {name}"),
        "World Bank",
        url,
        ctx,
        "CC BY 4.0",
        true,
    );
    if let Some(source) = Arc::get_mut(&mut source) {
        source.published = crate::domain::PartialDate::parse(vintage).ok();
    }
    source
}
