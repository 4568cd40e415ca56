//! The refresh worker: fetches statistics from public sources on a schedule,
//! validates them, and swaps them into the store in one transaction, so the
//! service's data stay live without a reader ever seeing half of a refresh.
//!
//! `sources/` holds one adapter per upstream (fetch + map to tradepact's
//! model), `parse/` the pure parsers they use, `http` the shared client with
//! retries, `worker` the run lifecycle (overlap guard, time limit,
//! cancellation, run history, change events) and `schedule` the cron glue.

pub mod http;
pub mod parse;
pub mod schedule;
pub mod sources;
pub mod validate;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use chrono::Datelike;

use crate::config::{RefreshSettings, ReporterSet};
use crate::domain::EconomyCode;
use crate::domain::registry;
use sources::{
    Comtrade, Customs, Imf, ImfReporters, SourceAdapter, SourceSettings, WorldBank, Wto,
};

/// The configured sources, checked: economies known to the registry,
/// schedules valid cron expressions.
pub fn adapters(settings: &RefreshSettings) -> Result<Vec<Arc<dyn SourceAdapter>>, String> {
    // Any name the registry knows (code, name, alias), as alpha-3; a code
    // it does not know is refused here, before a run asks an upstream for it.
    let codes = |list: &[String], what: &str| -> Result<Vec<EconomyCode>, String> {
        list.iter()
            .map(|raw| {
                registry()
                    .resolve(raw)
                    .cloned()
                    .ok_or_else(|| format!("{what}: '{}' is not a known economy", raw.trim()))
            })
            .collect()
    };
    // `None`: every economy (`--reporters all`).
    let reporters = match settings.reporter_set().map_err(|e| e.to_string())? {
        ReporterSet::All => None,
        ReporterSet::Listed(list) => Some(codes(list, "--reporters")?),
    };
    let partners = codes(&settings.partners, "--partners")?;
    let this_year = chrono::Utc::now().year();
    let years: Vec<i32> = (this_year - i32::from(settings.years)..this_year).collect();
    let source = |base_url: &str,
                  schedule: &str,
                  key: Option<&crate::config::Secret>|
     -> Result<SourceSettings, String> {
        schedule::check_cron(schedule)?;
        Ok(SourceSettings {
            base_url: base_url.to_owned(),
            schedule: schedule.to_owned(),
            max_age: Duration::from_secs(settings.max_age_hours * 3600),
            min_interval: Duration::from_millis(settings.request_interval_ms),
            key: key.map(|k| k.expose().to_owned()).filter(|k| !k.is_empty()),
        })
    };
    Ok(vec![
        Arc::new(WorldBank {
            settings: source(&settings.worldbank_url, &settings.worldbank_schedule, None)?,
            indicators: settings.worldbank_indicators.clone(),
            first_year: this_year - 25,
        }),
        Arc::new(Comtrade {
            settings: source(
                &settings.comtrade_url,
                &settings.comtrade_schedule,
                settings.comtrade_key.as_ref(),
            )?,
            // Asked one reporter at a time, Comtrade cannot cover every
            // economy: with none listed it is skipped (its skip reason).
            reporters: reporters.clone().unwrap_or_default(),
            partners: partners.clone(),
            years: years.clone(),
            hs6: settings
                .comtrade_hs6
                .then_some(settings.comtrade_partners_per_request),
        }),
        Arc::new(Imf {
            settings: source(&settings.imf_url, &settings.imf_schedule, None)?,
            reporters: reporters.map_or(ImfReporters::Every, ImfReporters::Listed),
            first_year: years.first().copied().unwrap_or(this_year - 1),
            last_year: this_year - 1,
        }),
        Arc::new(Customs {
            settings: source(
                &settings.customs_url,
                &settings.customs_schedule,
                settings.customs_key.as_ref(),
            )?,
            partners,
            years,
        }),
        Arc::new(Wto {
            settings: source(&settings.wto_url, &settings.wto_schedule, None)?,
        }),
    ])
}
