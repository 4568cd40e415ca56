//! UN Comtrade API v1 (`comtradeapi.un.org`): final-data answers
//! (`data/v1/get`, `public/v1/preview`) and the static reporter list
//! (`Reporters.json`).
//!
//! The data envelope is `{elapsedTime, count, data, error}`; the recorded
//! preview captures wrap the same `count`/`data`/`error` with the capturing
//! script's `url`/`status_code`, and both are accepted. Errors come in two
//! shapes: a non-empty `error` string in the envelope, or the Azure API
//! Management gateway's `{"statusCode": N, "message": …}` (401 missing key,
//! 429 rate limit, 403 daily quota). Reference files may start with a BOM.
//! Quantities and weights are often `null`; `primaryValue` (US dollars) never
//! should be, so a null one is a schema error rather than a silent zero.

use serde_json::{Map, Value};

pub mod stream;

use super::{ParseError, json_body, json_f64, json_str, json_u64};

/// A data answer: the server's record count and the records.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// `count` as sent; can exceed `records.len()` when a capture was trimmed.
    pub count: u64,
    /// The envelope's `error` (always "" in an `Ok`).
    pub error: String,
    /// The records in the order sent (which is not stable between calls).
    pub records: Vec<Record>,
}

/// One Comtrade record (a subset of its 47 fields).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// "C" goods, "S" services.
    pub type_code: String,
    /// "A" annual, "M" monthly.
    pub freq_code: String,
    /// Reference year.
    pub ref_year: i32,
    /// Reference month; 52 for annual data.
    pub ref_month: u32,
    /// "2022" or "202201".
    pub period: String,
    /// M49 reporter code (410 = Korea).
    pub reporter_code: u32,
    /// Reporter ISO3 ("KOR"); "" when not sent.
    pub reporter_iso: String,
    /// Reporter name ("Rep. of Korea"); "" without `includeDesc`.
    pub reporter_desc: String,
    /// "X" export, "M" import, "RX", "RM", …
    pub flow_code: String,
    /// M49 partner code (0 = World, 116 = Cambodia).
    pub partner_code: u32,
    /// Partner ISO3 ("W00" for World); "" when not sent.
    pub partner_iso: String,
    /// Partner name; "" without `includeDesc`.
    pub partner_desc: String,
    /// Second partner (0 = World when not broken down).
    pub partner2_code: u32,
    /// HS edition actually used ("H3", "H6"…).
    pub classification_code: String,
    /// "TOTAL" or an HS code, as a string ("87", "8703").
    pub cmd_code: String,
    /// Commodity description; "" without `includeDesc`.
    pub cmd_desc: String,
    /// 0 for TOTAL, else the number of HS digits.
    pub aggr_level: u8,
    /// "C00" = all customs procedures.
    pub customs_code: String,
    /// Mode of transport (0 = all).
    pub mot_code: i64,
    /// Trade value in US dollars (CIF for imports, FOB for exports).
    pub primary_value: f64,
    /// CIF value in US dollars, when published.
    pub cif_value: Option<f64>,
    /// FOB value in US dollars, when published.
    pub fob_value: Option<f64>,
    /// Net weight in kg, when published.
    pub net_wgt: Option<f64>,
    /// Quantity in `qtyUnitCode` units, when published.
    pub qty: Option<f64>,
    /// False when UNSD estimated or converted the figure.
    pub is_reported: bool,
    /// True when UNSD aggregated the figure.
    pub is_aggregate: bool,
}

/// One entry of `Reporters.json` (or `partnerAreas.json`).
#[derive(Debug, Clone, PartialEq)]
pub struct Reporter {
    /// M49 code (410 = Korea, 116 = Cambodia).
    pub code: u32,
    /// ISO3 code, trimmed ("R4 " → "R4"); "" when absent.
    pub iso3: String,
    /// ISO2 code; "" when absent (e.g. "Other Asia, nes").
    pub iso2: String,
    /// Name as published ("Rep. of Korea").
    pub name: String,
    /// True for groups such as ASEAN or the EU.
    pub is_group: bool,
    /// When the code stopped being used (e.g. "1974-12-31T00:00:00" for
    /// India's old code 356, which shares ISO3 "IND" with 699).
    pub entry_expired_date: Option<String>,
}

impl Reporter {
    /// False for codes retired before today (e.g. 841 "USA and Puerto Rico
    /// (...1980)"), which share their ISO3 with the current code: an
    /// ISO3 → code map must skip them or it may pick the retired one.
    pub fn is_current(&self) -> bool {
        self.entry_expired_date.is_none()
    }
}

/// Parses a data answer (raw envelope or the recorded wrapped capture).
pub fn parse_data(body: &[u8]) -> Result<Response, ParseError> {
    let value = json_body(body)?;
    let object = value
        .as_object()
        .ok_or_else(|| schema("expected a JSON object"))?;
    if let Some(error) = gateway_error(object).or_else(|| envelope_error(object)) {
        return Err(error);
    }
    let data = match object.get("data") {
        Some(Value::Array(data)) => data.as_slice(),
        Some(Value::Null) => &[],
        _ => return Err(schema("no data array")),
    };
    let records = data
        .iter()
        .enumerate()
        .map(|(index, record)| parse_record(index, record))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Response {
        count: json_u64(object.get("count")).unwrap_or(records.len() as u64),
        error: String::new(),
        records,
    })
}

/// Parses `Reporters.json` (also `partnerAreas.json`, whose keys start
/// with `Partner` instead of `reporter`).
pub fn parse_reporters(body: &[u8]) -> Result<Vec<Reporter>, ParseError> {
    results(body)?
        .iter()
        .enumerate()
        .map(|(index, entry)| parse_reporter(index, entry))
        .collect()
}

/// The gateway's own error body (`statusCode` + `message`, no `data`).
fn gateway_error(object: &Map<String, Value>) -> Option<ParseError> {
    if object.contains_key("data") {
        return None;
    }
    let code = match object.get("statusCode")? {
        Value::Number(number) => number.to_string(),
        other => json_str(Some(other))?.to_owned(),
    };
    Some(ParseError::Upstream {
        code,
        message: text(object.get("message")),
    })
}

/// An error reported inside the envelope: the `error` string, or the
/// `errorObject.errorMessage` that comtradr also looks for. The code is
/// "envelope" (or `errorObject.errorCode`), as no HTTP status is at hand.
fn envelope_error(object: &Map<String, Value>) -> Option<ParseError> {
    if let Some(error) = object.get("errorObject").filter(|e| e.is_object()) {
        let code = match error.get("errorCode") {
            Some(Value::Number(number)) => number.to_string(),
            other => json_str(other).unwrap_or("envelope").to_owned(),
        };
        return Some(ParseError::Upstream {
            code,
            message: text(error.get("errorMessage")),
        });
    }
    let message = json_str(object.get("error")).filter(|m| !m.is_empty())?;
    Some(ParseError::Upstream {
        code: "envelope".to_owned(),
        message: message.to_owned(),
    })
}

/// One record; `index` names it in errors.
fn parse_record(index: usize, record: &Value) -> Result<Record, ParseError> {
    let fields = Fields { index, record };
    let cmd_code = fields.code_text("cmdCode")?;
    Ok(Record {
        type_code: fields.text("typeCode")?,
        freq_code: fields.text("freqCode")?,
        ref_year: fields.int("refYear")?,
        ref_month: fields.int("refMonth")?,
        period: fields.code_text("period")?,
        reporter_code: fields.int("reporterCode")?,
        reporter_iso: fields.optional_text("reporterISO"),
        reporter_desc: fields.optional_text("reporterDesc"),
        flow_code: fields.text("flowCode")?,
        partner_code: fields.int("partnerCode")?,
        partner_iso: fields.optional_text("partnerISO"),
        partner_desc: fields.optional_text("partnerDesc"),
        partner2_code: fields.optional_int("partner2Code")?.unwrap_or(0),
        classification_code: fields.optional_text("classificationCode"),
        cmd_desc: fields.optional_text("cmdDesc"),
        aggr_level: match fields.optional_int("aggrLevel")? {
            Some(level) => level,
            None => implied_aggr_level(&cmd_code),
        },
        cmd_code,
        customs_code: fields.optional_text("customsCode"),
        mot_code: fields.optional_int("motCode")?.unwrap_or(0),
        primary_value: fields
            .number("primaryValue")
            .ok_or_else(|| fields.error("primaryValue is null or missing"))?,
        cif_value: fields.number("cifvalue"),
        fob_value: fields.number("fobvalue"),
        net_wgt: fields.number("netWgt"),
        qty: fields.number("qty"),
        is_reported: fields.flag("isReported"),
        is_aggregate: fields.flag("isAggregate"),
    })
}

/// The aggregation level a commodity code implies when `aggrLevel` is not
/// sent: 0 for TOTAL, else its digit count.
fn implied_aggr_level(cmd_code: &str) -> u8 {
    if cmd_code == "TOTAL" {
        0
    } else {
        u8::try_from(cmd_code.len()).unwrap_or(u8::MAX)
    }
}

/// Field access on one record, naming the record in every error.
struct Fields<'a> {
    index: usize,
    record: &'a Value,
}

impl Fields<'_> {
    fn error(&self, detail: &str) -> ParseError {
        schema(format!("record {}: {detail}", self.index))
    }

    /// A required non-empty string.
    fn text(&self, name: &str) -> Result<String, ParseError> {
        json_str(self.record.get(name))
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| self.error(&format!("{name} missing")))
    }

    /// A required code that may arrive as a string or a number ("2022" / 2022).
    fn code_text(&self, name: &str) -> Result<String, ParseError> {
        match self.record.get(name) {
            Some(Value::Number(number)) => Ok(number.to_string()),
            _ => self.text(name),
        }
    }

    /// A descriptive string; "" when absent or null (e.g. without `includeDesc`).
    fn optional_text(&self, name: &str) -> String {
        text(self.record.get(name))
    }

    /// A required integer that fits `T`.
    fn int<T: TryFrom<i64>>(&self, name: &str) -> Result<T, ParseError> {
        self.optional_int(name)?
            .ok_or_else(|| self.error(&format!("{name} missing")))
    }

    /// An integer that fits `T`, or `None` when absent or null.
    fn optional_int<T: TryFrom<i64>>(&self, name: &str) -> Result<Option<T>, ParseError> {
        let value = match self.record.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Number(number)) => number.as_i64(),
            Some(Value::String(text)) => text.trim().parse().ok(),
            Some(_) => None,
        };
        value
            .and_then(|value| T::try_from(value).ok())
            .map(Some)
            .ok_or_else(|| self.error(&format!("{name} is not a valid integer")))
    }

    /// A number, or `None` when absent or null (quantities and weights often are).
    fn number(&self, name: &str) -> Option<f64> {
        json_f64(self.record.get(name))
    }

    /// A boolean (also "true"/"false" strings); false when absent.
    fn flag(&self, name: &str) -> bool {
        flag(self.record.get(name))
    }
}

/// The `results` array every reference file has.
fn results(body: &[u8]) -> Result<Vec<Value>, ParseError> {
    match json_body(body)? {
        Value::Object(mut object) => match object.remove("results") {
            Some(Value::Array(results)) => Ok(results),
            _ => Err(schema("no results array")),
        },
        _ => Err(schema("expected a JSON object with results")),
    }
}

/// One reporter (or partner area) entry.
fn parse_reporter(index: usize, entry: &Value) -> Result<Reporter, ParseError> {
    let first = |names: &[&str]| names.iter().find_map(|name| entry.get(*name));
    let code = json_u64(first(&["reporterCode", "PartnerCode", "partnerCode"]))
        .and_then(|code| u32::try_from(code).ok())
        .ok_or_else(|| schema(format!("entry {index}: no reporterCode")))?;
    let name = json_str(first(&[
        "reporterDesc",
        "PartnerDesc",
        "partnerDesc",
        "text",
    ]))
    .filter(|name| !name.is_empty())
    .ok_or_else(|| schema(format!("entry {index}: no name")))?;
    Ok(Reporter {
        code,
        iso3: text(first(&["reporterCodeIsoAlpha3", "PartnerCodeIsoAlpha3"])),
        iso2: text(first(&["reporterCodeIsoAlpha2", "PartnerCodeIsoAlpha2"])),
        name: name.to_owned(),
        is_group: flag(entry.get("isGroup")),
        entry_expired_date: json_str(entry.get("entryExpiredDate"))
            .filter(|date| !date.is_empty())
            .map(str::to_owned),
    })
}

/// A boolean sent as `true`, `"true"`, `"True"` or `"1"`; anything else is false.
fn flag(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(flag)) => *flag,
        Some(Value::String(text)) => {
            let text = text.trim();
            text.eq_ignore_ascii_case("true") || text == "1"
        }
        Some(Value::Number(number)) => number.as_u64() == Some(1),
        _ => false,
    }
}

/// A trimmed string, or "" when absent or null.
fn text(value: Option<&Value>) -> String {
    json_str(value).unwrap_or_default().to_owned()
}

fn schema(detail: impl Into<String>) -> ParseError {
    ParseError::Schema(detail.into())
}

#[cfg(test)]
mod tests;
