//! IMF International Trade in Goods (IMTS, formerly DOTS: goods trade by
//! partner) from the `api.imf.org` SDMX service, as SDMX-JSON 2.0: series
//! and observation keys are indexes into `structures[].dimensions`. Values
//! are published in units × 10^SCALE: [`Series::scale`] reports it, nothing
//! is rescaled here. An unknown dataflow is HTTP 204 with an empty body: no
//! series.
//!
//! Error bodies come in every shape recorded, the retired
//! `dataservices.imf.org` service's included: SDMX-ML and JSON error
//! messages, XHTML pages, plain text; [`parse_error`] tells them apart.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    ParseError, XmlElement, html_error, json_body, json_f64, json_str, json_u64, looks_like_html,
    strip_bom, xml_document,
};

/// The UTF-8 BOM as it appears after a recorder decoded it as Latin-1
/// ("ï»¿"); the recorded legacy 400 page starts with it.
const MISDECODED_BOM: &[u8] = "\u{ef}\u{bb}\u{bf}".as_bytes();

/// One time series: its key, its attributes and its observations.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Dimension id → code, e.g. COUNTRY → "KHM", INDICATOR → "XG_FOB_USD".
    pub dimensions: BTreeMap<String, String>,
    /// Attribute id → value, e.g. SCALE → "6".
    pub attributes: BTreeMap<String, String>,
    /// Observations in period order.
    pub observations: Vec<Observation>,
}

/// One observation, as published (not rescaled).
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// "2023", "2023-Q1", "2023-M01"…
    pub period: String,
    /// The value in units × 10^scale; `None` when not published.
    pub value: Option<f64>,
}

impl Series {
    /// The power of ten the values are expressed in: the `SCALE` attribute
    /// (new API) or `UNIT_MULT` (legacy), else 0. Negative multipliers are
    /// coded "N3" in the legacy code list (thousandths).
    pub fn scale(&self) -> i32 {
        ["SCALE", "UNIT_MULT"]
            .iter()
            .find_map(|name| self.attributes.get(*name))
            .and_then(|code| parse_scale(code))
            .unwrap_or(0)
    }
}

/// Parses an `api.imf.org` SDMX-JSON 2.0 data message. An empty body
/// (HTTP 204) is no series.
pub fn parse_sdmx_json(body: &[u8]) -> Result<Vec<Series>, ParseError> {
    let Some(value) = json_or_error(body)? else {
        return Ok(Vec::new());
    };
    let data = value
        .get("data")
        .ok_or_else(|| schema("SDMX-JSON without data"))?;
    let data_sets = data
        .get("dataSets")
        .and_then(Value::as_array)
        .ok_or_else(|| schema("SDMX-JSON without data.dataSets"))?;
    let mut series = Vec::new();
    for data_set in data_sets {
        let index = json_u64(data_set.get("structure")).unwrap_or(0);
        let structure = structure_at(data, index)?;
        series.extend(sdmx_json::data_set(data_set, &structure)?);
    }
    Ok(series)
}

/// Classifies an IMF error body (whatever the HTTP status): XHTML pages
/// (with a BOM, or with the BOM mis-decoded to "ï»¿") are
/// [`ParseError::Html`]; the legacy service's
/// `<string xmlns="…/Serialization/">message</string>` is
/// [`ParseError::Upstream`] with code "500" (the status it comes with);
/// SDMX-ML and JSON error messages are [`ParseError::Upstream`] with their
/// own code; plain text is [`ParseError::Upstream`] with code "text".
pub fn parse_error(body: &[u8]) -> ParseError {
    let body = without_bom(body);
    let text = body.trim_ascii();
    if text.is_empty() {
        return schema("empty error body");
    }
    if looks_like_html(body) {
        return html_error(body);
    }
    match text.first() {
        Some(b'<') => match xml_document(body) {
            Ok(root) if root.name == "Error" => sdmx_ml_error(&root),
            Ok(root) => xml_error(&root),
            Err(error) => error,
        },
        Some(b'{') => match json_body(body) {
            Ok(value) => json_error(&value)
                .unwrap_or_else(|| schema("JSON error body without code or message")),
            Err(error) => error,
        },
        // A short plain-text message is the provider speaking; anything else
        // (binary, or megabytes of it) is a broken body, not an error message.
        _ if looks_like_message(text) => ParseError::Upstream {
            code: "text".to_owned(),
            message: String::from_utf8_lossy(text).chars().take(500).collect(),
        },
        _ => ParseError::Malformed {
            format: "SDMX",
            detail: format!(
                "{} bytes that are neither JSON, XML nor a text message",
                text.len()
            ),
        },
    }
}

/// Plain text of modest size: printable UTF-8 with line breaks at most.
fn looks_like_message(text: &[u8]) -> bool {
    const MAX_MESSAGE: usize = 4096;
    text.len() <= MAX_MESSAGE
        && std::str::from_utf8(text)
            .is_ok_and(|t| t.chars().all(|c| !c.is_control() || c.is_whitespace()))
}

/// The JSON of a body, `None` for an empty body (HTTP 204), or the error
/// the body carries instead (an XML/HTML error page, a JSON error message).
fn json_or_error(body: &[u8]) -> Result<Option<Value>, ParseError> {
    let trimmed = without_bom(body).trim_ascii();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if !trimmed.starts_with(b"{") && !trimmed.starts_with(b"[") {
        return Err(parse_error(body));
    }
    let value = json_body(without_bom(body))?;
    match json_error(&value) {
        Some(error) if value.get("data").is_none() => Err(error),
        _ => Ok(Some(value)),
    }
}

/// A body with a real or mis-decoded BOM removed.
fn without_bom(body: &[u8]) -> &[u8] {
    let body = strip_bom(body);
    body.strip_prefix(MISDECODED_BOM).unwrap_or(body)
}

/// JSON error shapes: SDMX-JSON `{"errors":[{code,title|detail}]}` and the
/// gateway's `{code|statusCode, message}`.
fn json_error(value: &Value) -> Option<ParseError> {
    let error = match value.get("errors") {
        Some(Value::Array(errors)) => errors.first()?,
        _ => value,
    };
    let code = ["code", "statusCode"]
        .iter()
        .find_map(|name| match error.get(*name) {
            Some(Value::Number(number)) => Some(number.to_string()),
            other => json_str(other).map(str::to_owned),
        });
    let message = ["message", "detail", "title"]
        .iter()
        .find_map(|name| json_str(error.get(*name)));
    if code.is_none() && message.is_none() {
        return None;
    }
    Some(ParseError::Upstream {
        code: code.unwrap_or_else(|| "unknown".to_owned()),
        message: message.unwrap_or_default().to_owned(),
    })
}

/// An SDMX-ML `<Error><ErrorMessage code="…"><Text>…` message.
fn sdmx_ml_error(root: &XmlElement) -> ParseError {
    let message = root.child("ErrorMessage");
    ParseError::Upstream {
        code: message
            .and_then(|m| m.attribute("code"))
            .unwrap_or("unknown")
            .to_owned(),
        message: message
            .and_then(|m| m.child_text("Text"))
            .unwrap_or_default()
            .to_owned(),
    }
}

/// Any other XML root: the legacy `<string>` error, or an unknown shape.
fn xml_error(root: &XmlElement) -> ParseError {
    if root.name == "string" {
        ParseError::Upstream {
            code: "500".to_owned(),
            message: root.text.clone(),
        }
    } else {
        schema(format!("unexpected XML root <{}>", root.name))
    }
}

/// `data.structures[index]` (SDMX-JSON 2.0) or `data.structure` (1.0).
fn structure_at(data: &Value, index: u64) -> Result<sdmx_json::Structure<'_>, ParseError> {
    let structure = match data.get("structures") {
        Some(Value::Array(structures)) => usize::try_from(index)
            .ok()
            .and_then(|index| structures.get(index)),
        _ => data.get("structure"),
    }
    .ok_or_else(|| schema(format!("no structure {index}")))?;
    Ok(sdmx_json::Structure::new(structure))
}

/// "6" → 6, "N3" → -3 (legacy CL_UNIT_MULT), anything else → `None`.
fn parse_scale(code: &str) -> Option<i32> {
    let code = code.trim();
    match code.strip_prefix('N') {
        Some(negative) => negative.parse::<i32>().ok().map(|n| -n),
        None => code.parse().ok(),
    }
}

/// An observation value as published: null, absent, "" and "NaN" are not
/// published; any other non-number is a schema error.
fn observation_value(value: Option<&Value>, what: &str) -> Result<Option<f64>, ParseError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if is_missing_marker(text) => Ok(None),
        Some(other) => json_f64(Some(other))
            .map(Some)
            .ok_or_else(|| schema(format!("{what}: value {other} is not a number"))),
    }
}

fn is_missing_marker(text: &str) -> bool {
    let text = text.trim();
    text.is_empty() || text.eq_ignore_ascii_case("nan")
}

/// SDMX-JSON 2.0 data messages: keys are `:`-joined indexes into the
/// structure's dimension values; attribute entries are indexes into the
/// attribute's values (or, seen in IMF answers, literal strings).
mod sdmx_json {
    use std::collections::BTreeMap;

    use serde_json::Value;

    use super::{Observation, ParseError, Series, json_str, observation_value, schema};

    /// The parts of one `structures[]` entry a data set needs.
    pub(super) struct Structure<'a> {
        series_dimensions: Vec<&'a Value>,
        observation_dimensions: Vec<&'a Value>,
        data_set_attributes: Vec<&'a Value>,
        series_attributes: Vec<&'a Value>,
        group_attributes: Vec<&'a Value>,
    }

    impl<'a> Structure<'a> {
        pub(super) fn new(structure: &'a Value) -> Self {
            let list = |path: &str| -> Vec<&'a Value> {
                structure
                    .pointer(path)
                    .and_then(Value::as_array)
                    .map(|items| items.iter().collect())
                    .unwrap_or_default()
            };
            Self {
                series_dimensions: list("/dimensions/series"),
                observation_dimensions: list("/dimensions/observation"),
                data_set_attributes: list("/attributes/dataSet"),
                series_attributes: list("/attributes/series"),
                group_attributes: list("/attributes/dimensionGroup"),
            }
        }
    }

    /// Every series of one data set, in key order.
    pub(super) fn data_set(
        data_set: &Value,
        structure: &Structure<'_>,
    ) -> Result<Vec<Series>, ParseError> {
        let Some(series) = data_set.get("series") else {
            if data_set.get("observations").is_some() {
                return Err(schema(
                    "observations without series (ask for dimensionAtObservation=TIME_PERIOD)",
                ));
            }
            return Ok(Vec::new());
        };
        let series = series
            .as_object()
            .ok_or_else(|| schema("dataSets[].series is not an object"))?;
        let mut keyed = series
            .iter()
            .map(|(key, body)| {
                let indexes = parse_key(key)?;
                Ok((
                    indexes.clone(),
                    one_series(&indexes, body, data_set, structure)?,
                ))
            })
            .collect::<Result<Vec<_>, ParseError>>()?;
        // Object keys come back sorted as text ("0:10" before "0:2").
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(keyed.into_iter().map(|(_, series)| series).collect())
    }

    fn one_series(
        key: &[usize],
        body: &Value,
        data_set: &Value,
        structure: &Structure<'_>,
    ) -> Result<Series, ParseError> {
        if key.len() != structure.series_dimensions.len() {
            return Err(schema(format!(
                "series key of {} parts for {} dimensions",
                key.len(),
                structure.series_dimensions.len()
            )));
        }
        let mut dimensions = BTreeMap::new();
        for (dimension, index) in structure.series_dimensions.iter().zip(key) {
            dimensions.insert(component_id(dimension)?, code_at(dimension, *index)?);
        }
        // Later sources win: data-set attributes, then group, then series.
        let mut attributes = BTreeMap::new();
        attach(
            &mut attributes,
            &structure.data_set_attributes,
            data_set.get("attributes"),
        )?;
        for (group_key, values) in data_set
            .get("dimensionGroupAttributes")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if group_applies(group_key, key) {
                attach(&mut attributes, &structure.group_attributes, Some(values))?;
            }
        }
        attach(
            &mut attributes,
            &structure.series_attributes,
            body.get("attributes"),
        )?;
        Ok(Series {
            dimensions,
            attributes,
            observations: observations(body.get("observations"), structure)?,
        })
    }

    /// True when a `dimensionGroupAttributes` key (":0::" — empty parts are
    /// wildcards, one part per series and observation dimension) selects
    /// this series. Groups that pin an observation dimension do not apply
    /// to the whole series.
    fn group_applies(group_key: &str, series_key: &[usize]) -> bool {
        group_key.split(':').enumerate().all(|(position, part)| {
            part.is_empty()
                || series_key
                    .get(position)
                    .is_some_and(|index| part.parse::<usize>().ok() == Some(*index))
        })
    }

    /// Resolves an attribute-value array against its attribute definitions.
    fn attach(
        into: &mut BTreeMap<String, String>,
        definitions: &[&Value],
        values: Option<&Value>,
    ) -> Result<(), ParseError> {
        let Some(values) = values.and_then(Value::as_array) else {
            return Ok(());
        };
        for (definition, value) in definitions.iter().zip(values) {
            let resolved = match value {
                Value::Null => continue,
                Value::Number(number) => {
                    let index = number
                        .as_u64()
                        .and_then(|index| usize::try_from(index).ok())
                        .ok_or_else(|| schema(format!("attribute index {number}")))?;
                    code_at(definition, index)?
                }
                Value::String(text) => text.trim().to_owned(),
                other => return Err(schema(format!("attribute value {other}"))),
            };
            into.insert(component_id(definition)?, resolved);
        }
        Ok(())
    }

    /// The observations of one series, in key order. The first element of
    /// each array is OBS_VALUE; the rest are observation attributes.
    fn observations(
        observations: Option<&Value>,
        structure: &Structure<'_>,
    ) -> Result<Vec<Observation>, ParseError> {
        let Some(observations) = observations.and_then(Value::as_object) else {
            return Ok(Vec::new());
        };
        let mut keyed = observations
            .iter()
            .map(|(key, values)| {
                let indexes = parse_key(key)?;
                let period = period_of(&indexes, structure)?;
                let what = format!("observation {period}");
                let value = match values {
                    Value::Array(values) => observation_value(values.first(), &what)?,
                    other => observation_value(Some(other), &what)?,
                };
                Ok((indexes, Observation { period, value }))
            })
            .collect::<Result<Vec<_>, ParseError>>()?;
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(keyed.into_iter().map(|(_, obs)| obs).collect())
    }

    /// The period an observation key stands for: the TIME_PERIOD
    /// dimension's value (or all observation dimensions, ':'-joined).
    fn period_of(key: &[usize], structure: &Structure<'_>) -> Result<String, ParseError> {
        if key.len() != structure.observation_dimensions.len() {
            return Err(schema("observation key does not match its dimensions"));
        }
        let mut parts = Vec::new();
        for (dimension, index) in structure.observation_dimensions.iter().zip(key) {
            let code = code_at(dimension, *index)?;
            if component_id(dimension)? == "TIME_PERIOD" {
                return Ok(code);
            }
            parts.push(code);
        }
        Ok(parts.join(":"))
    }

    /// "0:1:0" → [0, 1, 0].
    fn parse_key(key: &str) -> Result<Vec<usize>, ParseError> {
        key.split(':')
            .map(|part| {
                part.parse()
                    .map_err(|_| schema(format!("key {key:?} is not ':'-separated indexes")))
            })
            .collect()
    }

    /// A dimension's or attribute's `id`.
    fn component_id(component: &Value) -> Result<String, ParseError> {
        json_str(component.get("id"))
            .map(str::to_owned)
            .ok_or_else(|| schema("a dimension or attribute without id"))
    }

    /// The code at `index` in a component's `values`: its `id`, or its
    /// `value` (IMF sends TIME_PERIOD values as `{"value":"1976"}`).
    fn code_at(component: &Value, index: usize) -> Result<String, ParseError> {
        let value = component
            .get("values")
            .and_then(Value::as_array)
            .and_then(|values| values.get(index))
            .ok_or_else(|| {
                schema(format!(
                    "index {index} out of range for {}",
                    json_str(component.get("id")).unwrap_or("a component")
                ))
            })?;
        ["id", "value", "name"]
            .iter()
            .find_map(|name| json_str(value.get(*name)))
            .map(str::to_owned)
            .ok_or_else(|| schema(format!("value {index} has no id")))
    }
}

fn schema(detail: impl Into<String>) -> ParseError {
    ParseError::Schema(detail.into())
}

#[cfg(test)]
mod tests {
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
}
