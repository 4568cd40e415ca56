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
mod tests {
    use super::*;

    const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><response><header><resultCode>00</resultCode><resultMsg>정상서비스.</resultMsg></header>"#;

    fn nation_item(year: &str, exp: &str, imp: &str) -> String {
        format!(
            "<item><balPayments>100</balPayments><expCnt>5</expCnt><expDlr>{exp}</expDlr><impCnt>3</impCnt><impDlr>{imp}</impDlr><statCd>KH</statCd><statCdCntnKor1>캄보디아</statCdCntnKor1><year>{year}</year></item>"
        )
    }

    fn item_row(year: &str, hs: &str) -> String {
        format!(
            "<item><balPayments>-1</balPayments><expDlr>1</expDlr><expWgt>1</expWgt><hsCd>{hs}</hsCd><impDlr>2</impDlr><impWgt>1</impWgt><statCd>KH</statCd><statCdCntnKor1>캄보디아</statCdCntnKor1><statKor>자동차 &amp; 부품</statKor><year>{year}</year></item>"
        )
    }

    fn response(items: &str) -> String {
        format!("{HEAD}<body><items>{items}</items></body></response>")
    }

    #[test]
    fn monthly_country_rows_parse() {
        let body = response(&format!(
            "{}{}",
            nation_item("2023.01", "45000000", "25000000"),
            nation_item("2023.12", "50000000", "26000000")
        ));
        let rows = parse(body.as_bytes()).expect("parses");
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].year, rows[1].month), (2023, 12));
        assert_eq!(rows[0].period, "2023.01");
        assert_eq!(rows[0].country, "KH");
        assert_eq!(rows[0].country_name, "캄보디아");
        assert_eq!(rows[0].exp_usd, 45_000_000.0);
        assert_eq!(rows[0].balance_usd, 100.0);
        assert_eq!(
            (rows[0].hs_code.as_deref(), rows[0].item_name.as_deref()),
            (None, None)
        );
    }

    #[test]
    fn the_total_row_is_dropped_first_or_last() {
        let total = item_row(TOTAL_ROW, "-");
        let data = item_row("2026.01", "854231");
        for items in [format!("{total}{data}"), format!("{data}{total}")] {
            let rows = parse(response(&items).as_bytes()).expect("parses");
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].hs_code.as_deref(), Some("854231"));
            assert_eq!(rows[0].item_name.as_deref(), Some("자동차 & 부품"));
        }
    }

    #[test]
    fn hs_code_may_be_spelled_hs_code() {
        let items = item_row("2026.01", "8542311000")
            .replace("<hsCd>", "<hsCode>")
            .replace("</hsCd>", "</hsCode>");
        let rows = parse(response(&items).as_bytes()).expect("parses");
        assert_eq!(rows[0].hs_code.as_deref(), Some("8542311000"));
    }

    #[test]
    fn empty_items_are_ok_and_empty() {
        let body = format!("{HEAD}<body><items/></body></response>");
        assert_eq!(parse(body.as_bytes()), Ok(Vec::new()));
        let body = format!("{HEAD}<body><totalCount>0</totalCount></body></response>");
        assert_eq!(parse(body.as_bytes()), Ok(Vec::new()));
    }

    #[test]
    fn result_code_99_is_upstream_with_or_without_a_body() {
        for tail in ["", "<body/>", "<body><totalCount>0</totalCount></body>"] {
            let body = format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><response><header><resultCode>99</resultCode><resultMsg>시작과 종료의 조회기간은 1년이내 기간만 가능합니다.</resultMsg></header>{tail}</response>"#
            );
            assert_eq!(
                parse(body.as_bytes()),
                Err(ParseError::Upstream {
                    code: "99".into(),
                    message: "시작과 종료의 조회기간은 1년이내 기간만 가능합니다.".into()
                }),
                "{tail}"
            );
        }
    }

    #[test]
    fn the_gateway_error_is_upstream_with_its_reason_code() {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OpenAPI_ServiceResponse>\n<cmmMsgHeader>\n  <errMsg>SERVICE ERROR</errMsg>\n  <returnAuthMsg>SERVICE_KEY_IS_NOT_REGISTERED_ERROR</returnAuthMsg>\n  <returnReasonCode>30</returnReasonCode>\n</cmmMsgHeader>\n</OpenAPI_ServiceResponse>\n";
        assert_eq!(
            parse(body.as_bytes()),
            Err(ParseError::Upstream {
                code: "30".into(),
                message: "SERVICE_KEY_IS_NOT_REGISTERED_ERROR / SERVICE ERROR".into()
            })
        );
    }

    #[test]
    fn amounts_may_carry_commas_and_spaces() {
        let body = response(&nation_item("2023.02", " 45,000,000 ", "-1,250"));
        let rows = parse(body.as_bytes()).expect("parses");
        assert_eq!(rows[0].exp_usd, 45_000_000.0);
        assert_eq!(rows[0].imp_usd, -1_250.0);
    }

    #[test]
    fn a_missing_balance_is_derived() {
        let body = response(
            &nation_item("2023.03", "10", "4").replace("<balPayments>100</balPayments>", ""),
        );
        assert_eq!(parse(body.as_bytes()).expect("parses")[0].balance_usd, 6.0);
    }

    #[test]
    fn bad_values_are_schema_errors_naming_the_item() {
        for item in [
            nation_item("2023-01", "1", "1"),
            nation_item("2023.13", "1", "1"),
            nation_item("2023.01", "n/a", "1"),
            nation_item("2023.01", "1", "1").replace("<impDlr>1</impDlr>", ""),
        ] {
            let body = response(&format!("{}{item}", nation_item("2023.01", "1", "1")));
            assert!(
                matches!(parse(body.as_bytes()), Err(ParseError::Schema(d)) if d.starts_with("item 1")),
                "{item}"
            );
        }
    }

    #[test]
    fn other_documents_are_schema_errors() {
        for body in [
            "<other/>",
            "<response><body/></response>",
            "<response><header/></response>",
            "<response><header><resultCode>00</resultCode></header></response>",
        ] {
            assert!(
                matches!(parse(body.as_bytes()), Err(ParseError::Schema(_))),
                "{body}"
            );
        }
    }

    #[test]
    fn truncated_xml_is_malformed_and_html_is_html() {
        let body = response(&nation_item("2023.01", "1", "1"));
        for cut in [body.len() / 2, body.len() - 5, 10] {
            assert!(
                matches!(
                    parse(&body.as_bytes()[..cut]),
                    Err(ParseError::Malformed { format: "XML", .. })
                ),
                "cut at {cut}"
            );
        }
        assert!(matches!(parse(b""), Err(ParseError::Malformed { .. })));
        assert!(matches!(
            parse(b"<html><head><title>Forbidden</title></head></html>"),
            Err(ParseError::Html { title }) if title == "Forbidden"
        ));
    }
}
