//! World Bank Indicators API v2 (`api.worldbank.org/v2/…?format=json`):
//! indicator-value pages.
//!
//! A success is always a two-element array `[meta, rows]`. The traps, all
//! recorded: paging fields are numbers on data endpoints but strings on
//! metadata ones; `rows` can be `null`; `value` is often `null` for the
//! newest year; an invalid parameter is HTTP 200 with
//! `[{"message":[{id,key,value}…]}]`; some bad requests get an XHTML page
//! with a BOM; and the API "sometimes returns XML even when JSON is
//! requested" (wbgapi), so its XML error document is understood too.

use serde_json::Value;

use super::{
    ParseError, XmlElement, json_body, json_f64, json_str, json_u64, looks_like_html, strip_bom,
    xml_document,
};

/// One page of a World Bank answer: the paging header and its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// This page's number, from 1 (0 on an empty answer).
    pub page: u32,
    /// How many pages the whole answer has.
    pub pages: u32,
    /// Rows per page as requested.
    pub per_page: u32,
    /// Rows in the whole answer, across pages.
    pub total: u32,
    /// The source's `lastupdated` date ("YYYY-MM-DD"): the data vintage.
    pub last_updated: Option<String>,
    /// The rows of this page.
    pub rows: Vec<Row>,
}

/// One indicator value for one economy and period.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Indicator code, e.g. "NY.GDP.MKTP.KD.ZG".
    pub indicator_id: String,
    /// Indicator label, e.g. "GDP growth (annual %)".
    pub indicator_name: String,
    /// ISO2 code for countries, or an aggregate code such as "1A" or "Z4".
    pub country_id: String,
    /// ISO3 code; may be "" for some aggregates.
    pub country_iso3: String,
    /// Economy name as published.
    pub country_name: String,
    /// Period as published: "2023", "2023Q1", "2023M01".
    pub date: String,
    /// The year when `date` is a plain year, else `None`.
    pub year: Option<i32>,
    /// The value; `None` when not (yet) published.
    pub value: Option<f64>,
}

/// Parses one page of indicator values (`/v2/country/{c}/indicator/{i}`).
///
/// `rows` of `null` or `[]` give a page without rows; a `message` array is
/// [`ParseError::Upstream`] with the distinct ids joined by ',' as the code.
pub fn parse_page(body: &[u8]) -> Result<Page, ParseError> {
    let (mut page, rows) = envelope(body)?;
    page.rows = rows
        .iter()
        .enumerate()
        .map(|(index, row)| parse_row(index, row))
        .collect::<Result<_, _>>()?;
    Ok(page)
}

/// Splits a body into its paging header and raw rows, turning every error
/// shape the API uses into the matching [`ParseError`].
fn envelope(body: &[u8]) -> Result<(Page, Vec<Value>), ParseError> {
    if is_xml_document(body) {
        return Err(xml_error(body));
    }
    let Value::Array(parts) = json_body(body)? else {
        return Err(schema("expected a JSON array [meta, rows]"));
    };
    if let Some(error) = parts.first().and_then(message_error) {
        return Err(error);
    }
    let count = parts.len();
    let Ok([meta, rows]) = <[Value; 2]>::try_from(parts) else {
        return Err(schema(format!(
            "expected [meta, rows], got an array of {count}"
        )));
    };
    let page = parse_meta(&meta)?;
    let rows = match rows {
        Value::Null => Vec::new(),
        Value::Array(rows) => rows,
        _ => return Err(schema("the second element is neither an array nor null")),
    };
    Ok((page, rows))
}

/// True for an XML body that is not an HTML page (HTML is left to
/// `json_body`, which reports it as [`ParseError::Html`]).
fn is_xml_document(body: &[u8]) -> bool {
    let text = strip_bom(body).trim_ascii_start();
    text.starts_with(b"<") && !looks_like_html(body)
}

/// The World Bank's XML error document
/// (`<wb:error><wb:message id="120" key="…">text</wb:message></wb:error>`)
/// as [`ParseError::Upstream`]; any other XML is a schema error.
fn xml_error(body: &[u8]) -> ParseError {
    let root = match xml_document(body) {
        Ok(root) => root,
        Err(error) => return error,
    };
    if root.name != "error" {
        return schema(format!("XML <{}> where JSON was expected", root.name));
    }
    let messages: Vec<&XmlElement> = root.children_named("message").collect();
    upstream(
        messages
            .iter()
            .map(|m| m.attribute("id").unwrap_or_default()),
        messages.iter().map(|m| m.text.as_str()),
    )
}

/// The HTTP-200 error shape `{"message":[{id,key,value}…]}`, if it is one.
fn message_error(first: &Value) -> Option<ParseError> {
    let messages = first.get("message")?.as_array()?;
    let ids: Vec<String> = messages
        .iter()
        .map(|message| match message.get("id") {
            Some(Value::Number(number)) => number.to_string(),
            other => json_str(other).unwrap_or_default().to_owned(),
        })
        .collect();
    Some(upstream(
        ids.iter().map(String::as_str),
        messages
            .iter()
            .map(|message| json_str(message.get("value")).unwrap_or_default()),
    ))
}

/// An upstream error from message ids and texts. Repeats are dropped: one
/// message per bad item is sent, often all identical ("120" three times).
fn upstream<'a>(
    ids: impl Iterator<Item = &'a str>,
    texts: impl Iterator<Item = &'a str>,
) -> ParseError {
    let code = distinct(ids).join(",");
    ParseError::Upstream {
        code: if code.is_empty() {
            "unknown".to_owned()
        } else {
            code
        },
        message: distinct(texts).join("; "),
    }
}

/// The distinct non-empty items, in first-seen order.
fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for item in items.map(str::trim) {
        if !item.is_empty() && !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

/// The paging header; each field may be a number or a numeric string.
fn parse_meta(meta: &Value) -> Result<Page, ParseError> {
    let field = |name: &str| -> Result<u32, ParseError> {
        json_u64(meta.get(name))
            .and_then(|number| u32::try_from(number).ok())
            .ok_or_else(|| schema(format!("paging field {name:?} missing or not a count")))
    };
    Ok(Page {
        page: field("page")?,
        pages: field("pages")?,
        per_page: field("per_page")?,
        total: field("total")?,
        last_updated: json_str(meta.get("lastupdated"))
            .filter(|date| !date.is_empty())
            .map(str::to_owned),
        rows: Vec::new(),
    })
}

/// One indicator value; `index` names the row in errors.
fn parse_row(index: usize, row: &Value) -> Result<Row, ParseError> {
    let required = |value: Option<&str>, what: &str| {
        value
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| schema(format!("row {index}: {what} missing")))
    };
    let indicator = row.get("indicator");
    let country = row.get("country");
    let date = required(json_str(row.get("date")), "date")?;
    Ok(Row {
        indicator_id: required(
            json_str(indicator.and_then(|i| i.get("id"))),
            "indicator.id",
        )?,
        indicator_name: text_or_empty(indicator.and_then(|i| i.get("value"))),
        country_id: required(json_str(country.and_then(|c| c.get("id"))), "country.id")?,
        country_iso3: text_or_empty(row.get("countryiso3code")),
        country_name: text_or_empty(country.and_then(|c| c.get("value"))),
        year: plain_year(&date),
        date,
        value: parse_value(index, row.get("value"))?,
    })
}

/// The observation: `null`, absent or "" mean not published; anything
/// else must be a number (or a numeric string).
fn parse_value(index: usize, value: Option<&Value>) -> Result<Option<f64>, ParseError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(other) => json_f64(Some(other))
            .map(Some)
            .ok_or_else(|| schema(format!("row {index}: value {other} is not a number"))),
    }
}

/// The year when `date` is exactly four digits ("2023", not "2023Q1").
fn plain_year(date: &str) -> Option<i32> {
    (date.len() == 4 && date.bytes().all(|byte| byte.is_ascii_digit()))
        .then(|| date.parse().ok())
        .flatten()
}

/// A trimmed string, or "" when absent or null.
fn text_or_empty(value: Option<&Value>) -> String {
    json_str(value).unwrap_or_default().to_owned()
}

fn schema(detail: impl Into<String>) -> ParseError {
    ParseError::Schema(detail.into())
}

#[cfg(test)]
mod tests;
