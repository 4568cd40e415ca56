//! UN Comtrade API v1: for each configured reporter, annual totals with every
//! partner (so ranks and shares can be computed) and HS2/HS4 breakdowns with
//! the configured partners. Keyed `data/v1/get` when a key is configured,
//! the keyless `public/v1/preview` otherwise. Stored for local use only:
//! Comtrade's licence forbids redistribution.
//!
//! In HS6 mode (`hs6`) it also fetches the HS6 lines of every partner, about
//! a million for one reporter over five years, streamed and staged page by
//! page (see `comtrade/hs6.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use crate::background;
use crate::domain::{Batch, EconomyCode, PartnerFlow, ProductFlow, Source, TradeFlow};
use crate::refresh::parse::comtrade::{self, Record};

use super::{
    Fetch, FetchContext, SourceAdapter, SourceError, SourceSettings, parse_failure, provenance,
    redact, validators_of,
};

mod hs6;

/// Comtrade's code for the World aggregate partner.
const WORLD: u32 = 0;
/// Record caps: an answer this long may have been cut short.
const PREVIEW_CAP: u64 = 500;
const KEYED_CAP: u64 = 100_000;
const LICENSE: &str = "UN Comtrade: cached for local use only; redistribution prohibited";

pub struct Comtrade {
    pub settings: SourceSettings,
    /// Empty under `--reporters all`: the source is then skipped.
    pub reporters: Vec<EconomyCode>,
    pub partners: Vec<EconomyCode>,
    /// Years to fetch, oldest first.
    pub years: Vec<i32>,
    /// HS6 mode: the HS6 lines of every partner, this many partners per
    /// request, staged as they arrive. `None`: HS2/HS4 for `partners` only.
    pub hs6: Option<usize>,
}

#[tonic::async_trait]
impl SourceAdapter for Comtrade {
    fn name(&self) -> &'static str {
        "comtrade"
    }

    fn settings(&self) -> &SourceSettings {
        &self.settings
    }

    fn skip_reason(&self) -> Option<String> {
        // Every economy would be hundreds of requests a year of data, past
        // the daily quota: `--reporters all` is for the IMF's wildcards.
        self.reporters.is_empty().then(|| {
            "--reporters all: Comtrade is asked one reporter at a time; list the reporters (e.g. --reporters KOR) to use it".to_owned()
        })
    }

    fn stages_products(&self) -> bool {
        self.hs6.is_some()
    }

    async fn fetch(&self, ctx: &FetchContext<'_>) -> Result<Fetch, SourceError> {
        if let Some(partners_per_request) = self.hs6 {
            return self.fetch_hs6(ctx, partners_per_request).await;
        }
        let codes = self.reporter_codes(ctx).await?;
        let mut batch = Batch::default();
        let mut validators = Vec::new();
        for reporter in &self.reporters {
            let reporter_code = code_of(&codes, reporter)?;
            for &year in &self.years {
                self.all_partner_totals(
                    ctx,
                    reporter,
                    reporter_code,
                    year,
                    &mut batch,
                    &mut validators,
                )
                .await?;
                for partner in &self.partners {
                    let partner_code = code_of(&codes, partner)?;
                    for level in ["AG2", "AG4"] {
                        let url = self.url(reporter_code, year, level, Some(partner_code));
                        let (records, body_validators) =
                            self.records(ctx, &url, reporter, year).await?;
                        validators.push(body_validators);
                        let source =
                            self.source(ctx, &url, reporter, year, &format!("{partner} {level}"));
                        add_product_flows(&mut batch, reporter, partner, &records, &source);
                        batch.sources.push(source);
                    }
                }
            }
        }
        Ok(Fetch::Data { batch, validators })
    }
}

/// The Comtrade code of `economy`, from [`Comtrade::reporter_codes`].
fn code_of(codes: &HashMap<String, u32>, economy: &EconomyCode) -> Result<u32, SourceError> {
    codes
        .get(economy.as_str())
        .copied()
        .ok_or_else(|| SourceError::Invalid(format!("Comtrade has no code for {economy}")))
}

impl Comtrade {
    /// One reporter's all-partner totals for `year`: their partner flows and
    /// source go into `batch`, the answer's validators into `validators`,
    /// and the records are returned for what builds on them (HS6 mode picks
    /// its partners from them).
    async fn all_partner_totals(
        &self,
        ctx: &FetchContext<'_>,
        reporter: &EconomyCode,
        reporter_code: u32,
        year: i32,
        batch: &mut Batch,
        validators: &mut Vec<crate::store::UrlValidators>,
    ) -> Result<Vec<Record>, SourceError> {
        let url = self.url(reporter_code, year, "TOTAL", None);
        let (records, body_validators) = self.records(ctx, &url, reporter, year).await?;
        validators.push(body_validators);
        let source = self.source(ctx, &url, reporter, year, "all partners");
        add_partner_flows(batch, ctx, reporter, &records, &source);
        batch.sources.push(source);
        Ok(records)
    }

    fn base(&self) -> &str {
        self.settings.base_url.trim_end_matches('/')
    }

    fn key_header(&self) -> Vec<(&'static str, String)> {
        self.settings
            .key
            .iter()
            .map(|key| ("Ocp-Apim-Subscription-Key", key.clone()))
            .collect()
    }

    /// One year of one reporter's trade; `cmd` is TOTAL, AG2 or AG4.
    fn url(&self, reporter: u32, year: i32, cmd: &str, partner: Option<u32>) -> String {
        let partner = partner
            .map(|p| format!("&partnerCode={p}"))
            .unwrap_or_default();
        self.url_with(
            reporter,
            &format!("period={year}&flowCode=X,M&cmdCode={cmd}{partner}"),
        )
    }

    /// A data URL: `selection` (period, flows, commodities, partners) plus
    /// the parameters every request pins.
    fn url_with(&self, reporter: u32, selection: &str) -> String {
        let common =
            format!("{selection}&motCode=0&partner2Code=0&customsCode=C00&includeDesc=true");
        match self.settings.key {
            Some(_) => format!(
                "{}/data/v1/get/C/A/HS?reporterCode={reporter}&{common}",
                self.base()
            ),
            // The preview honours only the lower-case spelling.
            None => format!(
                "{}/public/v1/preview/C/A/HS?reportercode={reporter}&{common}",
                self.base()
            ),
        }
    }

    /// ISO3 → Comtrade's numeric reporter code, from the reference list.
    async fn reporter_codes(
        &self,
        ctx: &FetchContext<'_>,
    ) -> Result<HashMap<String, u32>, SourceError> {
        let url = format!("{}/files/v1/app/reference/Reporters.json", self.base());
        let body = ctx.get_in_full(&url, Vec::new()).await?;
        let reporters = comtrade::parse_reporters(&body.body)
            .map_err(|e| parse_failure(&url, body.status, e))?;
        Ok(reporters
            .into_iter()
            .filter(|r| !r.is_group && r.is_current() && !r.iso3.is_empty())
            .map(|r| (r.iso3, r.code))
            .collect())
    }

    async fn records(
        &self,
        ctx: &FetchContext<'_>,
        url: &str,
        reporter: &EconomyCode,
        year: i32,
    ) -> Result<(Vec<Record>, crate::store::UrlValidators), SourceError> {
        let body = ctx.get_in_full(url, self.key_header()).await?;
        let validators = validators_of(url, &body);
        // An all-partner answer is ~0.5 MB of JSON: milliseconds of parsing
        // that would hold up the calls queued on this runtime worker.
        let bytes = body.body.clone();
        let response = background::run("comtrade-parse", move || comtrade::parse_data(&bytes))
            .await
            .map_err(|error| SourceError::Invalid(error.to_string()))?
            .map_err(|e| parse_failure(url, body.status, e))?;
        if !(200..300).contains(&body.status) {
            return Err(SourceError::Status {
                url: redact(url),
                status: body.status,
            });
        }
        let cap = self.cap();
        if response.count >= cap || response.records.len() as u64 >= cap {
            return Err(SourceError::Invalid(format!(
                "{}: {} records hit the cap of {cap}; refusing an incomplete partner list",
                redact(url),
                response.count
            )));
        }
        if let Some(other) = response
            .records
            .iter()
            .find(|r| r.reporter_iso != reporter.as_str())
        {
            return Err(SourceError::Invalid(format!(
                "{}: asked for {reporter} but got a record for {}",
                redact(url),
                other.reporter_iso
            )));
        }
        if let Some(other) = response.records.iter().find(|r| r.ref_year != year) {
            return Err(SourceError::Invalid(format!(
                "{}: asked for {year} but got a record for {}",
                redact(url),
                other.ref_year
            )));
        }
        Ok((response.records, validators))
    }

    /// Records an answer may hold before it counts as cut short.
    fn cap(&self) -> u64 {
        if self.settings.key.is_some() {
            KEYED_CAP
        } else {
            PREVIEW_CAP
        }
    }

    fn source(
        &self,
        ctx: &FetchContext<'_>,
        url: &str,
        reporter: &EconomyCode,
        year: i32,
        what: &str,
    ) -> Arc<Source> {
        let slug: String = what
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        provenance(
            format!(
                "comtrade-{}-{year}-{slug}",
                reporter.as_str().to_ascii_lowercase()
            ),
            format!("UN Comtrade: {reporter} {year}, {what}"),
            "UN Statistics Division (UN Comtrade)",
            url,
            ctx,
            LICENSE,
            false,
        )
    }
}

fn flow_of(record: &Record) -> Option<TradeFlow> {
    match record.flow_code.as_str() {
        "X" => Some(TradeFlow::Export),
        "M" => Some(TradeFlow::Import),
        _ => None,
    }
}

/// A known single economy for a Comtrade partner ISO code.
fn known_partner(ctx: &FetchContext<'_>, iso: &str) -> Option<EconomyCode> {
    let code = EconomyCode::parse(iso).ok()?;
    (ctx.dataset.is_known_economy(&code) && ctx.dataset.members_of(&code).is_empty())
        .then_some(code)
}

fn add_partner_flows(
    batch: &mut Batch,
    ctx: &FetchContext<'_>,
    reporter: &EconomyCode,
    records: &[Record],
    source: &Arc<Source>,
) {
    for record in records
        .iter()
        .filter(|r| r.partner_code != WORLD && r.cmd_code == "TOTAL")
    {
        let (Some(flow), Some(partner)) =
            (flow_of(record), known_partner(ctx, &record.partner_iso))
        else {
            continue;
        };
        batch.partner_flows.push(PartnerFlow {
            reporter: reporter.clone(),
            partner,
            year: record.ref_year,
            flow,
            value_usd: record.primary_value,
            source: source.clone(),
            origin: "comtrade".to_owned(),
        });
    }
}

fn add_product_flows(
    batch: &mut Batch,
    reporter: &EconomyCode,
    partner: &EconomyCode,
    records: &[Record],
    source: &Arc<Source>,
) {
    for record in records.iter().filter(|r| matches!(r.aggr_level, 2 | 4 | 6)) {
        let Some(flow) = flow_of(record) else {
            continue;
        };
        batch.product_flows.push(ProductFlow {
            reporter: reporter.clone(),
            partner: partner.clone(),
            year: record.ref_year,
            flow,
            hs_code: record.cmd_code.clone(),
            description: record.cmd_desc.clone(),
            value_usd: record.primary_value,
            source: source.clone(),
            origin: "comtrade".to_owned(),
        });
    }
}
