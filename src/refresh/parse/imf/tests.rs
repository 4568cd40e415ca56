use super::*;

fn dims(series: &Series) -> Vec<(&str, &str)> {
    series
        .dimensions
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// A two-series SDMX-JSON 2.0 message in the recorded api.imf.org shape.
const SDMX_JSON: &str = r#"{"meta":{},"data":{"dataSets":[{"structure":0,"action":"Replace",
    "attributes":[0],
    "series":{
      "0:1:0:0":{"attributes":[0,null,"OL"],"observations":{"10":["9",null],"2":["2.5",0],"0":[null,null]}},
      "0:0:0:0":{"attributes":[1],"observations":{"0":["281.14",null]}}},
    "dimensionGroupAttributes":{":1:::":[0],"::::0":[0]}}],
  "structures":[{"dimensions":{
      "series":[{"id":"COUNTRY","values":[{"id":"KHM"}]},{"id":"INDICATOR","values":[{"id":"XG_FOB_USD"},{"id":"MG_CIF_USD"}]},{"id":"COUNTERPART_COUNTRY","values":[{"id":"KOR"}]},{"id":"FREQUENCY","values":[{"id":"A"}]}],
      "observation":[{"id":"TIME_PERIOD","values":[{"value":"2013"},{"value":"2014"},{"value":"2015"},{"value":"2016"},{"value":"2017"},{"value":"2018"},{"value":"2019"},{"value":"2020"},{"value":"2021"},{"value":"2022"},{"value":"2023"}]}]},
    "attributes":{"dataSet":[{"id":"PUBLISHER","values":[{"id":"IMF"}]}],
      "dimensionGroup":[{"id":"UNIT","values":[{"id":"USD"}]}],
      "series":[{"id":"SCALE","values":[{"id":"6"},{"id":"3"}]},{"id":"DECIMALS_DISPLAYED","values":[]},{"id":"OVERLAP","values":[]}],
      "observation":[{"id":"STATUS","values":[{"id":"E"}]}]}}]}}"#;

#[test]
fn sdmx_json_keys_decode_through_the_structure() {
    let series = parse_sdmx_json(SDMX_JSON.as_bytes()).expect("parses");
    assert_eq!(series.len(), 2);
    let exports = &series[0];
    assert_eq!(
        dims(exports),
        [
            ("COUNTERPART_COUNTRY", "KOR"),
            ("COUNTRY", "KHM"),
            ("FREQUENCY", "A"),
            ("INDICATOR", "XG_FOB_USD")
        ]
    );
    assert_eq!(exports.scale(), 3);
    assert_eq!(
        exports.attributes.get("PUBLISHER").map(String::as_str),
        Some("IMF")
    );
    assert!(
        !exports.attributes.contains_key("UNIT"),
        "the group pins MG_CIF_USD"
    );
    let imports = &series[1];
    assert_eq!(
        imports.dimensions.get("INDICATOR").map(String::as_str),
        Some("MG_CIF_USD")
    );
    assert_eq!(imports.scale(), 6);
    assert_eq!(
        imports.attributes.get("OVERLAP").map(String::as_str),
        Some("OL")
    );
    assert_eq!(
        imports.attributes.get("UNIT").map(String::as_str),
        Some("USD")
    );
    assert!(!imports.attributes.contains_key("DECIMALS_DISPLAYED"));
    let periods: Vec<(&str, Option<f64>)> = imports
        .observations
        .iter()
        .map(|obs| (obs.period.as_str(), obs.value))
        .collect();
    assert_eq!(
        periods,
        [("2013", None), ("2015", Some(2.5)), ("2023", Some(9.0))]
    );
}

#[test]
fn sdmx_json_out_of_range_indexes_are_schema_errors() {
    for (from, to) in [
        ("\"0:0:0:0\"", "\"0:5:0:0\""),
        ("\"10\":", "\"11\":"),
        ("[1],\"obs", "[7],\"obs"),
    ] {
        let body = SDMX_JSON.replacen(from, to, 1);
        assert!(
            matches!(parse_sdmx_json(body.as_bytes()), Err(ParseError::Schema(_))),
            "{to}"
        );
    }
    let body = SDMX_JSON.replacen("\"0:0:0:0\"", "\"0:0:0\"", 1);
    assert!(matches!(
        parse_sdmx_json(body.as_bytes()),
        Err(ParseError::Schema(_))
    ));
}

#[test]
fn an_empty_body_is_no_series() {
    assert_eq!(parse_sdmx_json(b""), Ok(Vec::new()));
    assert_eq!(parse_sdmx_json(b" \r\n"), Ok(Vec::new()));
}

#[test]
fn sdmx_json_errors_and_truncation() {
    assert_eq!(
        parse_sdmx_json(br#"{"errors":[{"code":404,"title":"Not Found","detail":"No data"}]}"#),
        Err(ParseError::Upstream {
            code: "404".into(),
            message: "No data".into()
        })
    );
    assert!(matches!(
        parse_sdmx_json(&SDMX_JSON.as_bytes()[..200]),
        Err(ParseError::Malformed { format: "JSON", .. })
    ));
    assert!(matches!(
        parse_sdmx_json(br#"{"meta":{}}"#),
        Err(ParseError::Schema(_))
    ));
    let series_not_an_object = r#"{"data":{"dataSets":[{"series":[]}],"structures":[{}]}}"#;
    assert!(matches!(
        parse_sdmx_json(series_not_an_object.as_bytes()),
        Err(ParseError::Schema(_))
    ));
    assert!(matches!(
        parse_sdmx_json(br#"[{"page":1},[]]"#),
        Err(ParseError::Schema(_))
    ));
    assert!(matches!(
        parse_sdmx_json(br#"[{"page":1},["#),
        Err(ParseError::Malformed { .. })
    ));
    let no_data_sets = r#"{"data":{"dataSets":[],"structures":[]}}"#;
    assert_eq!(parse_sdmx_json(no_data_sets.as_bytes()), Ok(Vec::new()));
}

const XHTML: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"x\">\r\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>Request Error</title></head><body/></html>";

#[test]
fn error_bodies_are_classified() {
    let html = ParseError::Html {
        title: "Request Error".into(),
    };
    assert_eq!(parse_error(XHTML.as_bytes()), html);
    assert_eq!(parse_error(format!("\u{feff}{XHTML}").as_bytes()), html);
    assert_eq!(parse_error(format!("ï»¿{XHTML}").as_bytes()), html);
    let string = br#"<string xmlns="http://schemas.microsoft.com/2003/10/Serialization/">There is an issue while retrieving the data. GKey = 1</string>"#;
    assert_eq!(
        parse_error(string),
        ParseError::Upstream {
            code: "500".into(),
            message: "There is an issue while retrieving the data. GKey = 1".into()
        }
    );
    assert_eq!(
        parse_error(br#"{"code":"429","message":"Too many requests"}"#),
        ParseError::Upstream {
            code: "429".into(),
            message: "Too many requests".into()
        }
    );
    assert_eq!(
        parse_error(b"Rejected: Bandwidth exceeded"),
        ParseError::Upstream {
            code: "text".into(),
            message: "Rejected: Bandwidth exceeded".into()
        }
    );
    assert!(matches!(parse_error(b""), ParseError::Schema(_)));
    assert!(matches!(
        parse_error(b"<string>cut"),
        ParseError::Malformed { .. }
    ));
}

#[test]
fn the_data_parser_reports_error_bodies() {
    let html = ParseError::Html {
        title: "Request Error".into(),
    };
    assert_eq!(parse_sdmx_json(XHTML.as_bytes()), Err(html.clone()));
    assert_eq!(parse_sdmx_json(format!("ï»¿{XHTML}").as_bytes()), Err(html));
    let string =
        br#"<string xmlns="http://schemas.microsoft.com/2003/10/Serialization/">oops</string>"#;
    assert!(
        matches!(parse_sdmx_json(string), Err(ParseError::Upstream { code, .. }) if code == "500")
    );
}

#[test]
fn scale_reads_scale_then_unit_mult() {
    let with = |name: &str, value: &str| Series {
        attributes: [(name.to_owned(), value.to_owned())].into_iter().collect(),
        ..Series::default()
    };
    assert_eq!(with("SCALE", "6").scale(), 6);
    assert_eq!(with("UNIT_MULT", "9").scale(), 9);
    assert_eq!(with("UNIT_MULT", "N3").scale(), -3);
    assert_eq!(with("UNIT", "USD").scale(), 0);
    assert_eq!(with("SCALE", "lots").scale(), 0);
}

#[test]
fn no_results_is_a_404_with_sdmx_code_100() {
    let json =
        br#"{"errors":[{"code":100,"title":"No Results Found","detail":"No data for the query"}]}"#;
    assert!(is_no_results(404, json));
    let xml = br#"<?xml version="1.0"?><Error xmlns="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"><ErrorMessage code="100"><Text>No Results Found</Text></ErrorMessage></Error>"#;
    assert!(is_no_results(404, xml));
    assert!(!is_no_results(200, json), "only with 404");
    assert!(!is_no_results(404, b""), "a bare 404 is an error");
    assert!(!is_no_results(404, XHTML.as_bytes()));
    let other = br#"{"errors":[{"code":150,"title":"Semantic Error"}]}"#;
    assert!(!is_no_results(404, other));
}

#[test]
fn aggregate_codes_are_told_from_alpha_3() {
    for aggregate in ["G001", "G998", "GASEAN", "GSAC", "U142", "G92031", " G001 "] {
        assert!(is_aggregate_code(aggregate), "{aggregate}");
    }
    for economy in ["KOR", "GBR", "UGA", "GAB", "VNM", "", "G1"] {
        assert!(!is_aggregate_code(economy), "{economy}");
    }
}
