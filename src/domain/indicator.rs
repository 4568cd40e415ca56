//! Macro indicators (World Bank codes) per economy, year and vintage.

use std::sync::Arc;

use super::{EconomyCode, Source};

#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// World Bank code, e.g. `NY.GDP.MKTP.KD.ZG`.
    pub code: String,
    pub name: String,
    pub unit: String,
}

/// One release (vintage) of an indicator for one economy.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorSeries {
    pub economy: EconomyCode,
    pub indicator: String,
    /// Release date of the source data, `YYYY-MM-DD`; sorts chronologically.
    pub vintage: String,
    pub sources: Vec<Arc<Source>>,
    /// `(year, value)`; a `None` value is a year published without a figure.
    pub points: Vec<(i32, Option<f64>)>,
}
