//! Korea Customs Service trade statistics on the public-data portal
//! (`apis.data.go.kr/1220000/…`, XML only): `nationtrade` (country ×
//! month), `nitemtrade` (item × country × month) and `Itemtrade` (item ×
//! month) answer with the same `<response><header/><body><items/>` shape.
//!
//! Errors come in two layers and are told apart by the root element, not
//! the HTTP status: the portal gateway's `<OpenAPI_ServiceResponse>`
//! (missing or unregistered key, unknown operation, quota) and the
//! service's `<response>` with `resultCode` ≠ "00" (period over 12 months,
//! bad HS length…), which arrives with HTTP 200 and no body or `<body/>`.
//! The item APIs add a `총계` (grand total) row, first or last depending on
//! the API; it is dropped so callers never double-count.

use super::{ParseError, XmlElement, html_error, looks_like_html, xml_document};

/// The `year` value of the grand-total row.
const TOTAL_ROW: &str = "총계";

/// One row: a month of trade for a country, an item, or both.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The period as published: "2026.01".
    pub period: String,
    /// Year of `period`.
    pub year: i32,
    /// Month of `period`, 1–12.
    pub month: u32,
    /// KCS country code (`statCd`, "KH"); "" for the item-only API.
    pub country: String,
    /// Korean country name (`statCdCntnKor1`, "캄보디아"); "" when absent.
    pub country_name: String,
    /// HS code (`hsCd` or `hsCode`), for the item APIs.
    pub hs_code: Option<String>,
    /// Korean item name (`statKor`), for the item APIs.
    pub item_name: Option<String>,
    /// Exports in US dollars (FOB, by final destination).
    pub exp_usd: f64,
    /// Imports in US dollars (CIF, by origin).
    pub imp_usd: f64,
    /// Trade balance in US dollars (may be negative).
    pub balance_usd: f64,
}

/// Parses one KCS answer into its rows (the `총계` row dropped).
///
/// `<items/>` is `Ok` with no rows; `resultCode` ≠ "00" and the gateway's
/// `OpenAPI_ServiceResponse` are [`ParseError::Upstream`].
pub fn parse(body: &[u8]) -> Result<Vec<Row>, ParseError> {
    if looks_like_html(body) {
        return Err(html_error(body));
    }
    let root = xml_document(body)?;
    match root.name.as_str() {
        "OpenAPI_ServiceResponse" => Err(gateway_error(&root)),
        "response" => parse_response(&root),
        other => Err(schema(format!("unexpected root element <{other}>"))),
    }
}

/// The gateway's error: code `returnReasonCode`, message the readable
/// `returnAuthMsg` and the symbolic `errMsg` together.
fn gateway_error(root: &XmlElement) -> ParseError {
    let header = root.child("cmmMsgHeader").unwrap_or(root);
    let parts: Vec<&str> = ["returnAuthMsg", "errMsg"]
        .iter()
        .filter_map(|name| header.child_text(name))
        .filter(|text| !text.is_empty())
        .collect();
    ParseError::Upstream {
        code: header
            .child_text("returnReasonCode")
            .filter(|code| !code.is_empty())
            .unwrap_or("unknown")
            .to_owned(),
        message: parts.join(" / "),
    }
}

/// A `<response>`: checks `resultCode`, then reads `body/items/item`.
fn parse_response(root: &XmlElement) -> Result<Vec<Row>, ParseError> {
    let header = root
        .child("header")
        .ok_or_else(|| schema("<response> without <header>"))?;
    let code = header
        .child_text("resultCode")
        .ok_or_else(|| schema("<header> without <resultCode>"))?;
    if code != "00" {
        return Err(ParseError::Upstream {
            code: code.to_owned(),
            message: header
                .child_text("resultMsg")
                .unwrap_or_default()
                .to_owned(),
        });
    }
    let body = root
        .child("body")
        .ok_or_else(|| schema("resultCode 00 without <body>"))?;
    let Some(items) = body.child("items") else {
        return Ok(Vec::new());
    };
    let mut rows = Vec::new();
    for (index, item) in items.children_named("item").enumerate() {
        if let Some(row) = parse_item(index, item)? {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// One `<item>`, or `None` for the `총계` row.
fn parse_item(index: usize, item: &XmlElement) -> Result<Option<Row>, ParseError> {
    let field = |name: &str| item.child_text(name).unwrap_or_default();
    let period = field("year");
    if period == TOTAL_ROW {
        return Ok(None);
    }
    let (year, month) = split_period(period)
        .ok_or_else(|| schema(format!("item {index}: year {period:?} is not YYYY.MM")))?;
    let amount = |name: &str| {
        parse_amount(field(name)).ok_or_else(|| {
            schema(format!(
                "item {index}: {name} {:?} is not a number",
                field(name)
            ))
        })
    };
    let exp_usd = amount("expDlr")?;
    let imp_usd = amount("impDlr")?;
    // The balance is always sent today; derive it rather than fail if not.
    let balance_usd = match item.child("balPayments") {
        Some(_) => amount("balPayments")?,
        None => exp_usd - imp_usd,
    };
    Ok(Some(Row {
        period: period.to_owned(),
        year,
        month,
        country: field("statCd").to_owned(),
        country_name: field("statCdCntnKor1").to_owned(),
        hs_code: present(
            item.child_text("hsCd")
                .or_else(|| item.child_text("hsCode")),
        ),
        item_name: present(item.child_text("statKor")),
        exp_usd,
        imp_usd,
        balance_usd,
    }))
}

/// "2026.01" → (2026, 1).
fn split_period(period: &str) -> Option<(i32, u32)> {
    let (year, month) = period.split_once('.')?;
    let year = year.parse().ok()?;
    let month = month
        .parse()
        .ok()
        .filter(|month| (1..=12).contains(month))?;
    Some((year, month))
}

/// A dollar amount; spaces and thousands commas are tolerated.
fn parse_amount(text: &str) -> Option<f64> {
    let digits: String = text
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    digits
        .parse::<f64>()
        .ok()
        .filter(|amount| amount.is_finite())
}

/// Text that carries a value: "" and the placeholder "-" do not.
fn present(text: Option<&str>) -> Option<String> {
    text.filter(|text| !text.is_empty() && *text != "-")
        .map(str::to_owned)
}

fn schema(detail: impl Into<String>) -> ParseError {
    ParseError::Schema(detail.into())
}

#[cfg(test)]
mod tests;
