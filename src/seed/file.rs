//! The serde shape of `data/builtin.toml` (see `data/FORMAT.md`). Unknown
//! fields are rejected so a typo in the file fails loudly.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetFile {
    pub format: u32,
    pub version: String,
    #[serde(default)]
    pub sources: Vec<Source>,
    #[serde(default)]
    pub economies: Vec<Economy>,
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub agreements: Vec<Agreement>,
    #[serde(default)]
    pub trade: Vec<Trade>,
    #[serde(default)]
    pub quoted_ranks: Vec<QuotedRank>,
    #[serde(default)]
    pub quoted_products: Vec<QuotedProducts>,
    #[serde(default)]
    pub indicators: Vec<Indicator>,
    #[serde(default)]
    pub indicator_series: Vec<IndicatorSeries>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub key: String,
    pub title: String,
    pub publisher: String,
    pub url: String,
    pub published: Option<String>,
    pub license: String,
    pub redistributable: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Economy {
    pub code: String,
    pub iso2: Option<String>,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub code: String,
    pub name: String,
    pub members: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub parties: Vec<String>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub events: Vec<Event>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub kind: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub round: Option<u32>,
    #[serde(default)]
    pub format: String,
    #[serde(default)]
    pub venue: String,
    pub party: Option<String>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub conflicts: Vec<Conflict>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conflict {
    pub start: Option<String>,
    pub end: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trade {
    pub reporter: String,
    pub partner: String,
    pub year: i32,
    pub exports_musd: Option<f64>,
    pub imports_musd: Option<f64>,
    pub total_musd: Option<f64>,
    pub family: String,
    #[serde(default = "yes")]
    pub preferred: bool,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub sources: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotedRank {
    pub reporter: String,
    pub year: i32,
    pub flow: String,
    pub partner: String,
    #[serde(default)]
    pub rank: u32,
    #[serde(default)]
    pub share_pct: f64,
    #[serde(default)]
    pub value_musd: f64,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub sources: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotedProducts {
    pub reporter: String,
    pub partner: String,
    pub year: i32,
    pub flow: String,
    pub products: Vec<String>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub sources: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub code: String,
    pub name: String,
    pub unit: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorSeries {
    pub economy: String,
    pub indicator: String,
    pub vintage: String,
    #[serde(default)]
    pub sources: Vec<String>,
    pub points: Vec<Point>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    pub year: i32,
    pub value: Option<f64>,
}
