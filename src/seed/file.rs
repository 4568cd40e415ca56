//! The serde shape of `data/builtin.toml` and `data/world.toml` (see
//! `data/FORMAT.md`). Unknown fields are rejected so a typo in the file
//! fails loudly. `world.toml` is written through the same shape
//! (`seed::world`), so empty optional fields are left out when writing.

use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetFile {
    pub format: u32,
    pub version: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub economies: Vec<Economy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agreements: Vec<Agreement>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trade: Vec<Trade>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quoted_ranks: Vec<QuotedRank>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quoted_products: Vec<QuotedProducts>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<Indicator>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicator_series: Vec<IndicatorSeries>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub key: String,
    pub title: String,
    pub publisher: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    pub license: String,
    pub redistributable: bool,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Economy {
    pub code: String,
    pub iso2: Option<String>,
    pub name: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub code: String,
    pub name: String,
    pub members: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    pub id: String,
    /// A curated agreement's RTA-IS id: the world file's entry with this id
    /// is merged into it instead of standing apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wto_rta_id: Option<u32>,
    pub name: String,
    pub kind: String,
    pub parties: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// The WTO's record (world file entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wto: Option<Wto>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Wto {
    pub rta_id: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub coverage: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub composition: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accession_to: Option<u32>,
    pub status: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub format: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub venue: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// "goods" or "services" for an event of that part alone.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Conflict {
    pub start: Option<String>,
    pub end: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
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

#[derive(Debug, Deserialize, Serialize)]
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

#[derive(Debug, Deserialize, Serialize)]
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

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub code: String,
    pub name: String,
    pub unit: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorSeries {
    pub economy: String,
    pub indicator: String,
    pub vintage: String,
    #[serde(default)]
    pub sources: Vec<String>,
    pub points: Vec<Point>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    pub year: i32,
    pub value: Option<f64>,
}
