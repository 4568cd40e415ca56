//! IMF International Trade in Goods (IMTS, formerly DOTS) on api.imf.org
//! (SDMX 3.0, no key): bilateral goods trade as the partner reports it, the
//! mirror side of GetBilateralTrade.

use std::collections::BTreeMap;

use crate::domain::{Batch, EconomyCode, TradeFigure};
use crate::refresh::parse::imf::{self, Series};

use super::{
    Fetch, FetchContext, SourceAdapter, SourceError, SourceSettings, parse_failure, provenance,
    redact, validators_of,
};

const EXPORTS: &str = "XG_FOB_USD";
const IMPORTS: &str = "MG_CIF_USD";
const FAMILY: &str = "IMF-IMTS";

pub struct Imf {
    pub settings: SourceSettings,
    /// `(reporter, partner)`: the partner's own figures of its trade with
    /// the reporter are fetched.
    pub pairs: Vec<(EconomyCode, EconomyCode)>,
    pub first_year: i32,
    pub last_year: i32,
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
        let headers = || vec![("accept", "application/json".to_owned())];
        let mut answers = Vec::new();
        for (reporter, partner) in &self.pairs {
            // The mirror side: what `partner` reports about `reporter`.
            let url = self.url(partner, reporter);
            let body = ctx.get(&url, headers()).await?;
            answers.push((reporter, partner, url, body));
        }
        if answers.iter().all(|(_, _, _, body)| body.is_none()) && !answers.is_empty() {
            return Ok(Fetch::Unchanged);
        }
        let mut batch = Batch::default();
        let mut validators = Vec::new();
        for (reporter, partner, url, body) in answers {
            // A run replaces the whole source: a 304 among changed answers
            // is fetched again in full.
            let body = match body {
                Some(body) => body,
                None => ctx.get_in_full(&url, headers()).await?,
            };
            validators.push(validators_of(&url, &body));
            if !(200..300).contains(&body.status) {
                return Err(parse_failure(
                    &url,
                    body.status,
                    imf::parse_error(&body.body),
                ));
            }
            let series = imf::parse_sdmx_json(&body.body).map_err(|source| SourceError::Parse {
                url: redact(&url),
                source,
            })?;
            let source = provenance(
                format!(
                    "imf-imts-{}-{}",
                    partner.as_str().to_ascii_lowercase(),
                    reporter.as_str().to_ascii_lowercase()
                ),
                format!(
                    "IMF International Trade in Goods (IMTS): {partner} with {reporter}, as {partner} reports"
                ),
                "International Monetary Fund",
                &url,
                ctx,
                "IMF data: free reuse with attribution (IMF copyright and usage terms)",
                true,
            );
            batch
                .trade
                .extend(figures(partner, reporter, &series, &source)?);
            batch.sources.push(source);
        }
        Ok(Fetch::Data { batch, validators })
    }
}

impl Imf {
    fn url(&self, country: &EconomyCode, counterpart: &EconomyCode) -> String {
        format!(
            "{}/data/dataflow/IMF.STA/IMTS/+/{country}.{EXPORTS}+{IMPORTS}.{counterpart}.A?dimensionAtObservation=TIME_PERIOD&attributes=dsd&measures=all&c%5BTIME_PERIOD%5D=ge%3A{}-A1%2Ble%3A{}-A1",
            self.settings.base_url.trim_end_matches('/'),
            self.first_year,
            self.last_year,
        )
    }
}

/// One figure per year from the exports and imports series, in US dollars.
fn figures(
    country: &EconomyCode,
    counterpart: &EconomyCode,
    series: &[Series],
    source: &std::sync::Arc<crate::domain::Source>,
) -> Result<Vec<TradeFigure>, SourceError> {
    let mut years: BTreeMap<i32, (Option<f64>, Option<f64>)> = BTreeMap::new();
    for s in series {
        let dimension = |name: &str| {
            s.dimensions
                .get(name)
                .map(String::as_str)
                .unwrap_or_default()
        };
        if dimension("COUNTRY") != country.as_str()
            || dimension("COUNTERPART_COUNTRY") != counterpart.as_str()
        {
            return Err(SourceError::Invalid(format!(
                "asked for {country} with {counterpart} but got {} with {}",
                dimension("COUNTRY"),
                dimension("COUNTERPART_COUNTRY")
            )));
        }
        let scale = 10f64.powi(s.scale());
        for observation in &s.observations {
            let (Some(year), Some(value)) = (year_of(&observation.period), observation.value)
            else {
                continue;
            };
            let entry = years.entry(year).or_default();
            match dimension("INDICATOR") {
                EXPORTS => entry.0 = Some(value * scale),
                IMPORTS => entry.1 = Some(value * scale),
                _ => {}
            }
        }
    }
    Ok(years
        .into_iter()
        .map(|(year, (exports, imports))| TradeFigure {
            reporter: country.clone(),
            partner: counterpart.clone(),
            year,
            exports_usd: exports,
            imports_usd: imports,
            total_usd: None,
            family: FAMILY.to_owned(),
            preferred: true,
            note: "Goods exports FOB and imports CIF as reported to the IMF".to_owned(),
            sources: vec![source.clone()],
            origin: "imf".to_owned(),
        })
        .collect())
}

/// `2023`, `2023-A1` or `2023-01-01` → 2023.
fn year_of(period: &str) -> Option<i32> {
    period.get(..4)?.parse().ok()
}
