//! Indicator questions: a series per economy and indicator, from the latest
//! vintage or a named one.

use std::sync::Arc;

use crate::domain::{
    Dataset, EconomyCode, Indicator, IndicatorSeries, PartialDate, Source, shorten,
};

use super::input::{YearRange, economy_code, is_valid_indicator_code, require_known};
use super::{Missing, QueryError};

#[derive(Debug, Clone, Default)]
pub struct IndicatorQuery {
    pub economy: String,
    pub indicator: String,
    pub start_year: i32,
    pub end_year: i32,
    /// Empty = latest.
    pub vintage: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorPoint {
    pub year: i32,
    pub value: Option<f64>,
    pub vintage: String,
    pub sources: Vec<Arc<Source>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndicatorAnswer {
    pub name: String,
    pub unit: String,
    pub points: Vec<IndicatorPoint>,
    /// Every vintage held for this economy and indicator, oldest first.
    pub vintages: Vec<String>,
}

pub fn indicator_series(
    dataset: &Dataset,
    request: &IndicatorQuery,
) -> Result<IndicatorAnswer, QueryError> {
    let economy = economy_code("economy", &request.economy)?;
    let code = request.indicator.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Err(QueryError::invalid(
            "indicator",
            "must not be empty; e.g. 'NY.GDP.MKTP.KD.ZG'",
        ));
    }
    if !is_valid_indicator_code(&code) {
        return Err(QueryError::invalid(
            "indicator",
            format!(
                "'{}' is not a World Bank indicator code such as NY.GDP.MKTP.KD.ZG",
                shorten(&request.indicator)
            ),
        ));
    }
    let years = YearRange::parse(request.start_year, request.end_year)?;
    let vintage = match request.vintage.trim() {
        "" => None,
        raw => Some(parse_vintage(raw)?),
    };
    require_known(dataset, "economy", [&economy])?;
    let indicator = dataset.indicators.get(&code).ok_or_else(|| {
        QueryError::not_found(
            Missing::Indicator,
            code.as_str(),
            format!(
                "indicator: '{code}' is not an indicator this service holds; held: {}",
                held_indicators(dataset, &code)
            ),
        )
    })?;

    let mut series: Vec<&IndicatorSeries> = dataset
        .indicator_series
        .iter()
        .filter(|s| s.economy == economy && s.indicator == code)
        .collect();
    // Vintages are YYYY-MM-DD, so text order is date order.
    series.sort_by(|a, b| a.vintage.cmp(&b.vintage));
    let vintages: Vec<String> = series.iter().map(|s| s.vintage.clone()).collect();

    let points = match vintage {
        None => latest_points(&series, years),
        Some(vintage) => {
            let chosen = series
                .iter()
                .find(|s| s.vintage == vintage)
                .ok_or_else(|| {
                    QueryError::not_found(
                        Missing::Vintage,
                        vintage.as_str(),
                        format!(
                            "vintage: no {code} vintage {vintage} for {economy}; held: {}",
                            if vintages.is_empty() {
                                "none".to_owned()
                            } else {
                                vintages.join(", ")
                            }
                        ),
                    )
                })?;
            points_of(chosen, years).collect()
        }
    };
    if points.is_empty() {
        // Never an empty answer with OK: say what is held instead.
        return Err(nothing_held(dataset, &code, &economy, &series, years));
    }
    Ok(IndicatorAnswer {
        name: indicator.name.clone(),
        unit: indicator.unit.clone(),
        points,
        vintages,
    })
}

/// NOT_FOUND for a question with no value: the economies the indicator is
/// held for, or the years held for this economy.
fn nothing_held(
    dataset: &Dataset,
    code: &str,
    economy: &EconomyCode,
    series: &[&IndicatorSeries],
    years: YearRange,
) -> QueryError {
    let message = if series.is_empty() {
        let held_for: std::collections::BTreeSet<&str> = dataset
            .indicator_series
            .iter()
            .filter(|s| s.indicator == code)
            .map(|s| s.economy.as_str())
            .collect();
        format!(
            "no {code} values for {economy}; held for: {}",
            held_for.into_iter().collect::<Vec<_>>().join(", ")
        )
    } else {
        let held = series
            .iter()
            .flat_map(|s| s.points.iter().filter(|(_, value)| value.is_some()))
            .map(|(year, _)| *year);
        let (first, last) = (held.clone().min(), held.max());
        match (first, last) {
            (Some(first), Some(last)) => format!(
                "no {code} values for {economy}{}; held years: {first}–{last}",
                years.describe()
            ),
            _ => format!("no {code} values for {economy}"),
        }
    };
    QueryError::not_found(Missing::Indicator, format!("{code} {economy}"), message)
}

fn parse_vintage(raw: &str) -> Result<String, QueryError> {
    match PartialDate::parse(raw) {
        Ok(date) if date.is_full() => Ok(date.to_string()),
        _ => Err(QueryError::invalid(
            "vintage",
            format!(
                "'{}' is not a release date of the form YYYY-MM-DD",
                shorten(raw)
            ),
        )),
    }
}

fn points_of(
    series: &IndicatorSeries,
    years: YearRange,
) -> impl Iterator<Item = IndicatorPoint> + '_ {
    series
        .points
        .iter()
        .filter(move |(year, _)| years.contains(*year))
        .map(|&(year, value)| IndicatorPoint {
            year,
            value,
            vintage: series.vintage.clone(),
            sources: series.sources.clone(),
        })
}

/// For each year, the point from the newest vintage that covers it.
fn latest_points(
    series_oldest_first: &[&IndicatorSeries],
    years: YearRange,
) -> Vec<IndicatorPoint> {
    let mut by_year: std::collections::BTreeMap<i32, IndicatorPoint> = Default::default();
    for series in series_oldest_first {
        for point in points_of(series, years) {
            by_year.insert(point.year, point);
        }
    }
    by_year.into_values().collect()
}

/// The indicators held, those closest to `code` first: "NY.GDP.MKTP.KD.ZG
/// (GDP growth (annual %)), …".
fn held_indicators(dataset: &Dataset, code: &str) -> String {
    let mut held: Vec<&Indicator> = dataset.indicators.values().collect();
    held.sort_by_key(|indicator| {
        (
            crate::domain::similar::distance(code, &indicator.code),
            indicator.code.as_str(),
        )
    });
    if held.is_empty() {
        return "none".to_owned();
    }
    held.iter()
        .map(|indicator| format!("{} ({})", indicator.code, indicator.name))
        .collect::<Vec<_>>()
        .join(", ")
}
