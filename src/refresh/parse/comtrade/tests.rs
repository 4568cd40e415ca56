use super::*;

const RECORD: &str = r#"{"typeCode":"C","freqCode":"A","refPeriodId":20220101,"refYear":2022,"refMonth":52,"period":"2022","reporterCode":410,"reporterISO":"KOR","reporterDesc":"Rep. of Korea","flowCode":"X","flowDesc":"Export","partnerCode":116,"partnerISO":"KHM","partnerDesc":"Cambodia","partner2Code":0,"partner2ISO":"W00","partner2Desc":"World","classificationCode":"H6","classificationSearchCode":"HS","isOriginalClassification":true,"cmdCode":"TOTAL","cmdDesc":"All Commodities","aggrLevel":0,"isLeaf":false,"customsCode":"C00","customsDesc":"TOTAL CPC","mosCode":"0","motCode":0,"motDesc":"TOTAL MOT","qtyUnitCode":-1,"qtyUnitAbbr":"N/A","qty":null,"isQtyEstimated":false,"altQtyUnitCode":-1,"altQtyUnitAbbr":"N/A","altQty":null,"isAltQtyEstimated":false,"netWgt":null,"isNetWgtEstimated":false,"grossWgt":null,"isGrossWgtEstimated":false,"cifvalue":null,"fobvalue":800000000.0,"primaryValue":800000000.0,"legacyEstimationFlag":0,"isReported":true,"isAggregate":false}"#;

fn envelope(records: &str) -> String {
    format!(r#"{{"elapsedTime":"0.09 secs","count":1,"data":[{records}],"error":""}}"#)
}

#[test]
fn the_raw_envelope_parses_with_null_quantities() {
    let response = parse_data(envelope(RECORD).as_bytes()).expect("parses");
    assert_eq!(response.count, 1);
    let record = &response.records[0];
    assert_eq!((record.reporter_code, record.partner_code), (410, 116));
    assert_eq!(record.ref_month, 52);
    assert_eq!(record.cmd_code, "TOTAL");
    assert_eq!(record.primary_value, 800_000_000.0);
    assert_eq!(
        (record.qty, record.net_wgt, record.cif_value),
        (None, None, None)
    );
    assert!(record.is_reported && !record.is_aggregate);
}

#[test]
fn the_wrapped_capture_keeps_the_servers_count() {
    let body = format!(
        r#"{{"url":"https://comtradeapi.un.org/public/v1/preview/C/A/HS?x","status_code":200,"elapsed_seconds":2.5,"count":224,"error":"","data":[{RECORD}]}}"#
    );
    let response = parse_data(body.as_bytes()).expect("parses");
    assert_eq!(response.count, 224);
    assert_eq!(response.records.len(), 1);
}

#[test]
fn a_bom_is_tolerated() {
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(envelope(RECORD).as_bytes());
    assert_eq!(parse_data(&body).expect("parses").records.len(), 1);
}

#[test]
fn an_empty_result_is_ok_and_empty() {
    let response = parse_data(br#"{"elapsedTime":"0.58 secs","count":0,"data":[],"error":""}"#)
        .expect("parses");
    assert_eq!(response.count, 0);
    assert!(response.records.is_empty());
}

#[test]
fn gateway_bodies_are_upstream_errors_with_the_status_code() {
    for (body, code) in [
        (
            &br#"{ "statusCode": 401, "message": "Access denied due to missing subscription key." }"#[..],
            "401",
        ),
        (
            br#"{"statusCode":429,"message":"Rate limit is exceeded. Try again in 1 seconds."}"#,
            "429",
        ),
        (
            br#"{"statusCode":403,"message":"Out of call volume quota. Quota will be replenished in 02:11:07."}"#,
            "403",
        ),
    ] {
        assert!(
            matches!(parse_data(body), Err(ParseError::Upstream { code: c, .. }) if c == code),
            "{code}"
        );
    }
}

#[test]
fn an_error_string_in_the_envelope_is_an_upstream_error() {
    let body = br#"{"elapsedTime":"0.01 secs","count":0,"data":[],"error":"Invalid period"}"#;
    assert_eq!(
        parse_data(body),
        Err(ParseError::Upstream {
            code: "envelope".into(),
            message: "Invalid period".into()
        })
    );
}

#[test]
fn a_null_primary_value_names_the_record() {
    let second = RECORD.replace(r#""primaryValue":800000000.0"#, r#""primaryValue":null"#);
    let body = envelope(&format!("{RECORD},{second}"));
    assert_eq!(
        parse_data(body.as_bytes()),
        Err(ParseError::Schema(
            "record 1: primaryValue is null or missing".into()
        ))
    );
}

#[test]
fn a_missing_aggr_level_is_implied_by_the_code() {
    let record = RECORD
        .replace(r#""cmdCode":"TOTAL""#, r#""cmdCode":"87""#)
        .replace(r#""aggrLevel":0,"#, "");
    let response = parse_data(envelope(&record).as_bytes()).expect("parses");
    assert_eq!(response.records[0].aggr_level, 2);
}

#[test]
fn truncated_json_is_malformed_and_html_is_html() {
    let body = envelope(RECORD);
    assert!(matches!(
        parse_data(&body.as_bytes()[..body.len() / 2]),
        Err(ParseError::Malformed { format: "JSON", .. })
    ));
    assert!(matches!(
        parse_data(b"<html><head><title>Request URL Too Long</title></head></html>"),
        Err(ParseError::Html { title }) if title == "Request URL Too Long"
    ));
}

#[test]
fn other_shapes_are_schema_errors() {
    for body in [
        &b"[]"[..],
        br#"{"count":0}"#,
        br#"{"count":1,"data":[{"fileUrl":"x","reporterCode":32}],"error":""}"#,
    ] {
        assert!(matches!(parse_data(body), Err(ParseError::Schema(_))));
    }
}

#[test]
fn reporters_trim_codes_and_keep_expiry() {
    let body = br#"{"results":[
        {"id":410,"text":"Rep. of Korea","reporterCode":410,"reporterDesc":"Rep. of Korea","reporterCodeIsoAlpha2":"KR","reporterCodeIsoAlpha3":"KOR","isGroup":false},
        {"id":975,"text":"ASEAN","reporterCode":975,"reporterDesc":"ASEAN","reporterCodeIsoAlpha2":"R4","reporterCodeIsoAlpha3":"R4 ","isGroup":true},
        {"id":356,"text":"India (...1974)","reporterCode":356,"reporterDesc":"India (...1974)","reporterCodeIsoAlpha3":"IND","entryExpiredDate":"1974-12-31T00:00:00","isGroup":false}]}"#;
    let reporters = parse_reporters(body).expect("parses");
    assert_eq!(reporters[0].iso3, "KOR");
    assert_eq!(reporters[1].iso3, "R4");
    assert!(reporters[1].is_group);
    assert_eq!(reporters[2].iso2, "");
    assert_eq!(
        reporters[2].entry_expired_date.as_deref(),
        Some("1974-12-31T00:00:00")
    );
    assert!(reporters[0].is_current() && !reporters[2].is_current());
}

#[test]
fn reference_lists_without_the_expected_keys_are_schema_errors() {
    let mot = br#"{"results":[{"id":"0","text":"TOTAL modes of transport"}]}"#;
    assert!(matches!(parse_reporters(mot), Err(ParseError::Schema(_))));
}
