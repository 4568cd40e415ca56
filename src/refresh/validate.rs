//! Checks a fetched batch before it may replace anything: the schema (known
//! economies and agreements, declared sources), ranges, duplicate keys, and a
//! sanity bound on how far a figure may move from the value it replaces.

use std::collections::{HashMap, HashSet};

use chrono::Datelike;

use crate::domain::{Batch, Dataset, EconomyCode, HsCode};

/// Limits a batch must respect.
#[derive(Debug, Clone)]
pub struct ValidationPolicy {
    /// A refreshed figure may be at most this many times larger or smaller
    /// than the one it replaces (for the same source and key).
    pub max_ratio: f64,
}

impl Default for ValidationPolicy {
    fn default() -> Self {
        Self { max_ratio: 10.0 }
    }
}

/// Why a batch was refused; the run fails with this and nothing changes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("rejected by validation: {0}")]
pub struct Rejected(pub String);

fn reject(problem: impl Into<String>) -> Rejected {
    Rejected(problem.into())
}

pub fn validate(
    batch: &Batch,
    dataset: &Dataset,
    origin: &str,
    policy: &ValidationPolicy,
    current_year: i32,
) -> Result<(), Rejected> {
    let years = 1900..=current_year + 1;
    check_sources(batch)?;
    let known = |code: &EconomyCode, what: &str| {
        if dataset.is_known_economy(code) {
            Ok(())
        } else {
            Err(reject(format!("{what} '{code}' is not a known economy")))
        }
    };
    let year_ok = |year: i32, what: &str| {
        if years.contains(&year) {
            Ok(())
        } else {
            Err(reject(format!(
                "{what}: year {year} is outside {}..={}",
                years.start(),
                years.end()
            )))
        }
    };
    let amount_ok = |value: f64, what: &str| {
        if (0.0..1e15).contains(&value) {
            Ok(())
        } else {
            Err(reject(format!(
                "{what}: {value} is not a plausible US dollar amount"
            )))
        }
    };

    let mut seen = HashSet::new();
    for f in &batch.partner_flows {
        let what = format!(
            "partner flow {}→{} {} {}",
            f.reporter,
            f.partner,
            f.flow.as_str(),
            f.year
        );
        known(&f.reporter, "reporter")?;
        known(&f.partner, "partner")?;
        year_ok(f.year, &what)?;
        amount_ok(f.value_usd, &what)?;
        if !seen.insert(what.clone()) {
            return Err(reject(format!("{what} appears twice")));
        }
    }
    for f in &batch.product_flows {
        let what = format!(
            "product flow {}→{} {} HS{} {}",
            f.reporter,
            f.partner,
            f.flow.as_str(),
            f.hs_code,
            f.year
        );
        known(&f.reporter, "reporter")?;
        known(&f.partner, "partner")?;
        product_line(
            &|| what.clone(),
            f.year,
            &f.hs_code,
            f.value_usd,
            current_year,
        )?;
        if !seen.insert(what.clone()) {
            return Err(reject(format!("{what} appears twice")));
        }
    }
    for f in &batch.trade {
        let what = format!("trade {}→{} {} {}", f.reporter, f.partner, f.family, f.year);
        known(&f.reporter, "reporter")?;
        known(&f.partner, "partner")?;
        year_ok(f.year, &what)?;
        for value in [f.exports_usd, f.imports_usd, f.total_usd]
            .into_iter()
            .flatten()
        {
            amount_ok(value, &what)?;
        }
        if f.preferred && !seen.insert(what.clone()) {
            return Err(reject(format!("{what} appears twice")));
        }
    }
    for series in &batch.indicator_series {
        let what = format!(
            "indicator {} {} vintage {}",
            series.indicator, series.economy, series.vintage
        );
        known(&series.economy, "economy")?;
        let mut series_years = HashSet::new();
        for (year, value) in &series.points {
            year_ok(*year, &what)?;
            if value.is_some_and(|v| !v.is_finite() || v.abs() >= 1e16) {
                return Err(reject(format!("{what}: {year} has an implausible value")));
            }
            if !series_years.insert(*year) {
                return Err(reject(format!("{what}: year {year} appears twice")));
            }
        }
        if !seen.insert(what.clone()) {
            return Err(reject(format!("{what} appears twice")));
        }
    }
    for (id, _) in &batch.agreement_events {
        if !dataset.agreements.contains_key(id) {
            return Err(reject(format!("agreement '{id}' is not in the dataset")));
        }
    }
    let mut new_ids = HashSet::new();
    for agreement in &batch.agreements {
        let id = &agreement.id;
        if dataset.agreements.contains_key(id) || !new_ids.insert(id.as_str()) {
            return Err(reject(format!(
                "new agreement '{id}' is already in the dataset or appears twice"
            )));
        }
        if !crate::query::is_valid_agreement_id(id) {
            return Err(reject(format!("'{id}' is not an agreement id")));
        }
        for party in agreement
            .parties
            .iter()
            .chain(agreement.events.iter().filter_map(|e| e.party.as_ref()))
        {
            known(party, "party")?;
        }
    }
    check_moves(batch, dataset, origin, policy)
}

/// The checks [`validate`] makes of one product line's own values (year,
/// amount, HS code), for lines staged an answer at a time instead of
/// validated in a batch; `what` names the line. Whether its economies are
/// known, and that it is not a duplicate, the caller checks.
pub fn product_line(
    what: &dyn Fn() -> String,
    year: i32,
    hs_code: &str,
    value_usd: f64,
    current_year: i32,
) -> Result<(), Rejected> {
    let years = 1900..=current_year + 1;
    if !years.contains(&year) {
        return Err(reject(format!(
            "{}: year {year} is outside {}..={}",
            what(),
            years.start(),
            years.end()
        )));
    }
    if !(0.0..1e15).contains(&value_usd) {
        return Err(reject(format!(
            "{}: {value_usd} is not a plausible US dollar amount",
            what()
        )));
    }
    if HsCode::parse(hs_code).is_none() {
        return Err(reject(format!("{}: '{hs_code}' is not an HS code", what())));
    }
    Ok(())
}

/// Every source a row refers to is declared in the batch, with a usable key.
fn check_sources(batch: &Batch) -> Result<(), Rejected> {
    let declared: HashSet<&str> = batch.sources.iter().map(|s| s.key.as_str()).collect();
    if let Some(bad) = batch
        .sources
        .iter()
        .find(|s| s.key.is_empty() || s.key.chars().any(char::is_whitespace))
    {
        return Err(reject(format!(
            "source key '{}' is empty or has spaces",
            bad.key
        )));
    }
    let referred = batch
        .partner_flows
        .iter()
        .map(|f| &f.source)
        .chain(batch.product_flows.iter().map(|f| &f.source))
        .chain(batch.trade.iter().flat_map(|f| &f.sources))
        .chain(batch.indicator_series.iter().flat_map(|s| &s.sources))
        .chain(batch.agreement_events.iter().flat_map(|(_, e)| &e.sources))
        .chain(batch.agreements.iter().flat_map(|a| {
            a.sources
                .iter()
                .chain(a.events.iter().flat_map(|e| &e.sources))
        }));
    for source in referred {
        if !declared.contains(source.key.as_str()) {
            return Err(reject(format!(
                "source '{}' is used but not declared",
                source.key
            )));
        }
    }
    Ok(())
}

/// No figure may move by more than `max_ratio` from the one it replaces.
fn check_moves(
    batch: &Batch,
    dataset: &Dataset,
    origin: &str,
    policy: &ValidationPolicy,
) -> Result<(), Rejected> {
    let current: HashMap<_, f64> = dataset
        .partner_flows
        .iter()
        .filter(|f| f.origin == origin)
        .map(|f| {
            (
                (f.reporter.clone(), f.partner.clone(), f.year, f.flow),
                f.value_usd,
            )
        })
        .collect();
    for f in &batch.partner_flows {
        if let Some(old) = current.get(&(f.reporter.clone(), f.partner.clone(), f.year, f.flow)) {
            moved_too_far(*old, f.value_usd, policy, || {
                format!(
                    "partner flow {}→{} {} {}",
                    f.reporter,
                    f.partner,
                    f.flow.as_str(),
                    f.year
                )
            })?;
        }
    }
    let figures: HashMap<_, &crate::domain::TradeFigure> = dataset
        .trade
        .iter()
        .filter(|f| f.origin == origin && f.preferred)
        .map(|f| {
            (
                (
                    f.reporter.clone(),
                    f.partner.clone(),
                    f.year,
                    f.family.clone(),
                ),
                f,
            )
        })
        .collect();
    for f in batch.trade.iter().filter(|f| f.preferred) {
        let key = (
            f.reporter.clone(),
            f.partner.clone(),
            f.year,
            f.family.clone(),
        );
        let Some(old) = figures.get(&key) else {
            continue;
        };
        let pairs = [
            ("exports", old.exports_usd, f.exports_usd),
            ("imports", old.imports_usd, f.imports_usd),
            ("total", old.total_usd, f.total_usd),
        ];
        for (field, before, after) in pairs {
            if let (Some(before), Some(after)) = (before, after) {
                moved_too_far(before, after, policy, || {
                    format!("trade {}→{} {} {field}", f.reporter, f.partner, f.year)
                })?;
            }
        }
    }
    Ok(())
}

fn moved_too_far(
    old: f64,
    new: f64,
    policy: &ValidationPolicy,
    what: impl FnOnce() -> String,
) -> Result<(), Rejected> {
    if old <= 0.0 || new <= 0.0 {
        return Ok(());
    }
    let ratio = if new > old { new / old } else { old / new };
    if ratio > policy.max_ratio {
        return Err(reject(format!(
            "{} would move from {old} to {new}, more than {}×; refusing a suspicious revision",
            what(),
            policy.max_ratio
        )));
    }
    Ok(())
}

/// The current year, for range checks.
pub fn current_year(now: chrono::DateTime<chrono::Utc>) -> i32 {
    now.year()
}

#[cfg(test)]
mod tests;
