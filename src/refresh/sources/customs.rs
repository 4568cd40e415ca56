//! Korea Customs Service `nationtrade/getNationtradeList` (data.go.kr, key
//! required, XML, at most 12 months a call): Korea's monthly trade with each
//! configured country, summed to complete years. A year's figures that
//! differ from last run's are recorded as revisions by the store.

use std::collections::BTreeMap;

use crate::domain::{Batch, EconomyCode, TradeFigure};
use crate::refresh::parse::customs;

use super::{
    Fetch, FetchContext, SourceAdapter, SourceError, SourceSettings, parse_failure, provenance,
    redact, validators_of,
};

/// Korea's statistics: the reporter of every figure from this source.
const KOREA: &str = "KOR";
/// Growth is computed within this family; KITA and MOTIE quote the same data.
const FAMILY: &str = "KOR-customs";

pub struct Customs {
    pub settings: SourceSettings,
    pub partners: Vec<EconomyCode>,
    /// Complete years to fetch, oldest first.
    pub years: Vec<i32>,
}

#[tonic::async_trait]
impl SourceAdapter for Customs {
    fn name(&self) -> &'static str {
        "customs"
    }

    fn settings(&self) -> &SourceSettings {
        &self.settings
    }

    fn skip_reason(&self) -> Option<String> {
        self.settings.key.is_none().then(|| {
            "no Korea Customs (data.go.kr) service key configured (TRADEPACT_CUSTOMS_KEY)"
                .to_owned()
        })
    }

    async fn fetch(&self, ctx: &FetchContext<'_>) -> Result<Fetch, SourceError> {
        let reporter =
            EconomyCode::parse(KOREA).map_err(|e| SourceError::Invalid(e.to_string()))?;
        let mut batch = Batch::default();
        let mut validators = Vec::new();
        for partner in &self.partners {
            let iso2 = ctx
                .dataset
                .economies
                .get(partner)
                .and_then(|e| e.iso2.clone())
                .ok_or_else(|| {
                    SourceError::Invalid(format!("no ISO alpha-2 code for {partner}"))
                })?;
            for &year in &self.years {
                let url = self.url(year, &iso2);
                let body = ctx.get_in_full(&url, Vec::new()).await?;
                validators.push(validators_of(&url, &body));
                let rows =
                    customs::parse(&body.body).map_err(|e| parse_failure(&url, body.status, e))?;
                if !(200..300).contains(&body.status) {
                    return Err(SourceError::Status {
                        url: redact(&url),
                        status: body.status,
                    });
                }
                if let Some(other) = rows.iter().find(|r| r.country != iso2) {
                    return Err(SourceError::Invalid(format!(
                        "{}: asked for {iso2} but got a row for '{}'",
                        redact(&url),
                        other.country
                    )));
                }
                let source = provenance(
                    format!("customs-{}-{year}", partner.as_str().to_ascii_lowercase()),
                    format!(
                        "Korea Customs Service trade statistics: Korea–{partner} {year}, monthly"
                    ),
                    "Korea Customs Service",
                    &url,
                    ctx,
                    "Korea Public Data Portal (data.go.kr) open data",
                    true,
                );
                if let Some(figure) = year_total(&reporter, partner, year, &rows, &source) {
                    batch.trade.push(figure);
                    batch.sources.push(source);
                } else {
                    tracing::info!(%partner, year, months = rows.len(), "incomplete year from Korea Customs; not stored");
                }
            }
        }
        Ok(Fetch::Data { batch, validators })
    }
}

impl Customs {
    fn url(&self, year: i32, iso2: &str) -> String {
        let key = self.settings.key.as_deref().unwrap_or_default();
        format!(
            "{}/nationtrade/getNationtradeList?serviceKey={key}&strtYymm={year}01&endYymm={year}12&cntyCd={iso2}",
            self.settings.base_url.trim_end_matches('/'),
        )
    }
}

/// The year's exports and imports, when all twelve months are present.
fn year_total(
    reporter: &EconomyCode,
    partner: &EconomyCode,
    year: i32,
    rows: &[customs::Row],
    source: &std::sync::Arc<crate::domain::Source>,
) -> Option<TradeFigure> {
    let mut months: BTreeMap<u32, (f64, f64)> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.year == year) {
        let month = months.entry(row.month).or_default();
        month.0 += row.exp_usd;
        month.1 += row.imp_usd;
    }
    if months.len() != 12 {
        return None;
    }
    let (exports, imports) = months
        .values()
        .fold((0.0, 0.0), |(e, i), (me, mi)| (e + me, i + mi));
    Some(TradeFigure {
        reporter: reporter.clone(),
        partner: partner.clone(),
        year,
        exports_usd: Some(exports),
        imports_usd: Some(imports),
        total_usd: None,
        family: FAMILY.to_owned(),
        preferred: true,
        note: "Sum of the 12 monthly figures of the Korea Customs Service".to_owned(),
        sources: vec![source.clone()],
        origin: "customs".to_owned(),
    })
}
