use super::*;

fn row(date: &str, value: &str) -> String {
    format!(
        r#"{{"indicator":{{"id":"NY.GDP.MKTP.KD.ZG","value":"GDP growth (annual %)"}},"country":{{"id":"KH","value":"Cambodia"}},"countryiso3code":"KHM","date":"{date}","value":{value},"unit":"","obs_status":"","decimal":1}}"#
    )
}

#[test]
fn a_data_page_keeps_paging_vintage_and_nulls() {
    let body = format!(
        r#"[{{"page":1,"pages":2,"per_page":10,"total":13,"sourceid":"2","lastupdated":"2024-06-28"}},[{},{}]]"#,
        row("2024", "null"),
        row("2023", "5.4")
    );
    let page = parse_page(body.as_bytes()).expect("parses");
    assert_eq!(
        (page.page, page.pages, page.per_page, page.total),
        (1, 2, 10, 13)
    );
    assert_eq!(page.last_updated.as_deref(), Some("2024-06-28"));
    assert_eq!(page.rows.len(), 2);
    assert_eq!(page.rows[0].value, None);
    assert_eq!(page.rows[1].value, Some(5.4));
    assert_eq!(page.rows[1].year, Some(2023));
    assert_eq!(page.rows[1].country_id, "KH");
    assert_eq!(page.rows[1].country_iso3, "KHM");
}

#[test]
fn paging_fields_may_be_strings() {
    let body = format!(
        r#"[{{"page":"1","pages":"1","per_page":"50","total":"1"}},[{}]]"#,
        row("2023", "\"5.4\"")
    );
    let page = parse_page(body.as_bytes()).expect("parses");
    assert_eq!(
        (page.page, page.pages, page.per_page, page.total),
        (1, 1, 50, 1)
    );
    assert_eq!(page.rows[0].value, Some(5.4));
}

#[test]
fn null_or_empty_rows_are_an_empty_page() {
    for rows in ["null", "[]"] {
        let body = format!(r#"[{{"page":0,"pages":0,"per_page":50,"total":0}},{rows}]"#);
        let page = parse_page(body.as_bytes()).expect("parses");
        assert!(page.rows.is_empty(), "{rows}");
    }
}

#[test]
fn quarterly_dates_have_no_year() {
    let body = format!(
        r#"[{{"page":1,"pages":1,"per_page":50,"total":1}},[{}]]"#,
        row("2023Q1", "1.0")
    );
    let page = parse_page(body.as_bytes()).expect("parses");
    assert_eq!(page.rows[0].date, "2023Q1");
    assert_eq!(page.rows[0].year, None);
}

#[test]
fn a_message_array_is_an_upstream_error_with_distinct_ids() {
    let one = br#"[{"message":[{"id":"120","key":"Invalid value","value":"The provided parameter value is not valid"}]}]"#;
    assert_eq!(
        parse_page(one),
        Err(ParseError::Upstream {
            code: "120".into(),
            message: "The provided parameter value is not valid".into()
        })
    );
    let many = br#"[{"message":[{"id":"120","value":"a"},{"id":"120","value":"a"},{"id":"175","value":"b"}]}]"#;
    assert_eq!(
        parse_page(many),
        Err(ParseError::Upstream {
            code: "120,175".into(),
            message: "a; b".into()
        })
    );
}

#[test]
fn an_xhtml_page_with_a_bom_is_html() {
    let body = b"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"x\">\r\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>Request Error</title></head><body/></html>";
    assert_eq!(
        parse_page(body),
        Err(ParseError::Html {
            title: "Request Error".into()
        })
    );
}

#[test]
fn the_xml_error_document_is_an_upstream_error() {
    let body = br#"<?xml version="1.0" encoding="utf-8"?><wb:error xmlns:wb="http://www.worldbank.org"><wb:message id="175" key="Invalid format">The indicator was not found. It may have been deleted or archived.</wb:message></wb:error>"#;
    assert_eq!(
        parse_page(body),
        Err(ParseError::Upstream {
            code: "175".into(),
            message: "The indicator was not found. It may have been deleted or archived.".into()
        })
    );
}

#[test]
fn truncated_json_is_malformed() {
    let body = br#"[{"page":1,"pages":1,"per_page":50,"total":1},[{"indicator":{"id":"NY"#;
    assert!(matches!(
        parse_page(body),
        Err(ParseError::Malformed { format: "JSON", .. })
    ));
}

#[test]
fn unexpected_shapes_are_schema_errors() {
    for body in [
        &br#"{"page":1}"#[..],
        br#"[{"page":1,"pages":1,"per_page":50,"total":1}]"#,
        br#"[{"page":1,"pages":1,"per_page":50},[]]"#,
        br#"[{"page":-1,"pages":1,"per_page":50,"total":1},[]]"#,
        br#"[{"page":1,"pages":1,"per_page":50,"total":1},{"rows":1}]"#,
        br#"[{"page":1,"pages":1,"per_page":2,"total":7},[{"id":"HIC","iso2code":"XD","value":"High income"}]]"#,
    ] {
        assert!(
            matches!(parse_page(body), Err(ParseError::Schema(_))),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn a_non_numeric_value_names_its_row() {
    let body = format!(
        r#"[{{"page":1,"pages":1,"per_page":50,"total":1}},[{}]]"#,
        row("2023", "\"n/a\"")
    );
    assert!(matches!(
        parse_page(body.as_bytes()),
        Err(ParseError::Schema(detail)) if detail.starts_with("row 0")
    ));
}
