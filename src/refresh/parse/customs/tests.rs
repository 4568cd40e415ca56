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
    let body =
        response(&nation_item("2023.03", "10", "4").replace("<balPayments>100</balPayments>", ""));
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
