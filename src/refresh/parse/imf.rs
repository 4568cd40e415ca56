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
//! SDMX's "no results" (error 100 with HTTP 404) is a query that matched
//! nothing, not a failure: [`is_no_results`].
//!
//! Area codes (`COUNTRY`, `COUNTERPART_COUNTRY`) come from the IMF's
//! CL_COUNTRY: ISO alpha-3 for economies, `G…` and `U…` codes for
//! aggregates (`G001` World, `G998` EU, `U142` Asia); [`is_aggregate_code`]
//! tells the latter apart without a look-up.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    ParseError, XmlElement, html_error, json_body, json_str, looks_like_html, malformed, strip_bom,
    xml_document,
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
/// (HTTP 204) is no series; a body that is not JSON is read as an error
/// body ([`parse_error`]).
pub fn parse_sdmx_json(body: &[u8]) -> Result<Vec<Series>, ParseError> {
    let body = without_bom(body);
    let trimmed = body.trim_ascii();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    let data = match trimmed.first() {
        Some(b'{') => {
            serde_json::from_slice::<sdmx_json::Message>(body)
                .map_err(json_failure)?
                .data
        }
        // JSON, but not an SDMX message.
        Some(b'[') => None,
        _ => return Err(parse_error(body)),
    };
    let Some(data) = data else {
        // No data: the message is an error document, or not SDMX-JSON.
        let value = json_body(body)?;
        return Err(json_error(&value).unwrap_or_else(|| schema("SDMX-JSON without data")));
    };
    data.series()
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

/// SDMX REST's answer to a query that matched no series: HTTP 404 with an
/// SDMX error message of code 100 ("No results found"). A bare 404 (a wrong
/// base URL, a proxy) is not one: it stays an error.
pub fn is_no_results(status: u16, body: &[u8]) -> bool {
    const NO_RESULTS: &str = "100";
    status == 404
        && matches!(parse_error(body), ParseError::Upstream { code, .. } if code == NO_RESULTS)
}

/// True for CL_COUNTRY's aggregate codes: longer than an alpha-3 code and
/// led by `G` (IMF groups: `G001`, `G998`, `GASEAN`) or `U` (UN M49
/// regions: `U142`). Economies are alpha-3, so no economy matches.
pub fn is_aggregate_code(code: &str) -> bool {
    let code = code.trim();
    code.len() > 3 && code.is_ascii() && matches!(code.as_bytes()[0], b'G' | b'U')
}

/// Plain text of modest size: printable UTF-8 with line breaks at most.
fn looks_like_message(text: &[u8]) -> bool {
    const MAX_MESSAGE: usize = 4096;
    text.len() <= MAX_MESSAGE
        && std::str::from_utf8(text)
            .is_ok_and(|t| t.chars().all(|c| !c.is_control() || c.is_whitespace()))
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

/// "6" → 6, "N3" → -3 (legacy CL_UNIT_MULT), anything else → `None`.
fn parse_scale(code: &str) -> Option<i32> {
    let code = code.trim();
    match code.strip_prefix('N') {
        Some(negative) => negative.parse::<i32>().ok().map(|n| -n),
        None => code.parse().ok(),
    }
}

/// A JSON error from serde: a well-formed body of the wrong shape is a
/// schema error, anything else (truncation, bad syntax) malformed JSON.
fn json_failure(error: serde_json::Error) -> ParseError {
    match error.classify() {
        serde_json::error::Category::Data => schema(error.to_string()),
        _ => malformed("JSON", error),
    }
}

/// SDMX-JSON 2.0 data messages, as serde reads them. Series and observation
/// keys are `:`-joined indexes into the structure's dimension values;
/// attribute entries are indexes into the attribute's values (or, seen in
/// IMF answers, literal strings).
mod sdmx_json {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::{Observation, ParseError, Series, schema};

    #[derive(Deserialize)]
    pub(super) struct Message {
        pub(super) data: Option<Data>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(super) struct Data {
        data_sets: Option<Vec<DataSet>>,
        /// SDMX-JSON 2.0: one per data set, which names its index.
        structures: Option<Vec<Structure>>,
        /// SDMX-JSON 1.0: the one structure.
        structure: Option<Structure>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct DataSet {
        #[serde(default)]
        structure: usize,
        series: Option<BTreeMap<String, SeriesBody>>,
        /// Only looked for: a flat data set (no series) cannot be read.
        observations: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        attributes: Vec<Option<AttributeValue>>,
        #[serde(default)]
        dimension_group_attributes: BTreeMap<String, Vec<Option<AttributeValue>>>,
    }

    #[derive(Deserialize)]
    struct SeriesBody {
        #[serde(default)]
        attributes: Vec<Option<AttributeValue>>,
        #[serde(default)]
        observations: BTreeMap<String, ObservationBody>,
    }

    /// `[OBS_VALUE, observation attributes…]`, or the bare value.
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ObservationBody {
        Values(Vec<Option<Scalar>>),
        Value(Option<Scalar>),
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum AttributeValue {
        Index(usize),
        Text(String),
    }

    /// A number, or a number sent as a string ("15542.6", as IMF does).
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Number(f64),
        Text(String),
    }

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Structure {
        dimensions: Dimensions,
        attributes: Attributes,
    }

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Dimensions {
        series: Vec<Component>,
        observation: Vec<Component>,
    }

    #[derive(Deserialize, Default)]
    #[serde(default, rename_all = "camelCase")]
    struct Attributes {
        data_set: Vec<Component>,
        series: Vec<Component>,
        dimension_group: Vec<Component>,
    }

    /// A dimension or an attribute, with the values its indexes point to.
    #[derive(Deserialize)]
    struct Component {
        id: String,
        #[serde(default)]
        values: Vec<ComponentValue>,
    }

    /// A code is its `id`, else its `value` (IMF sends TIME_PERIOD values as
    /// `{"value":"1976"}`), else its `name`.
    #[derive(Deserialize)]
    struct ComponentValue {
        id: Option<String>,
        value: Option<String>,
        name: Option<String>,
    }

    impl Data {
        /// Every series of every data set, each data set in key order.
        pub(super) fn series(&self) -> Result<Vec<Series>, ParseError> {
            let data_sets = self
                .data_sets
                .as_ref()
                .ok_or_else(|| schema("SDMX-JSON without data.dataSets"))?;
            let mut series = Vec::new();
            for data_set in data_sets {
                let structure = match &self.structures {
                    Some(structures) => structures.get(data_set.structure),
                    None => self.structure.as_ref(),
                }
                .ok_or_else(|| schema(format!("no structure {}", data_set.structure)))?;
                series.extend(data_set.series(structure)?);
            }
            Ok(series)
        }
    }

    impl DataSet {
        fn series(&self, structure: &Structure) -> Result<Vec<Series>, ParseError> {
            let Some(series) = &self.series else {
                if self.observations.is_some() {
                    return Err(schema(
                        "observations without series (ask for dimensionAtObservation=TIME_PERIOD)",
                    ));
                }
                return Ok(Vec::new());
            };
            in_key_order(series, |key, body| self.one_series(key, body, structure))
        }

        fn one_series(
            &self,
            key: &[usize],
            body: &SeriesBody,
            structure: &Structure,
        ) -> Result<Series, ParseError> {
            let dimensions = &structure.dimensions.series;
            if key.len() != dimensions.len() {
                return Err(schema(format!(
                    "series key of {} parts for {} dimensions",
                    key.len(),
                    dimensions.len()
                )));
            }
            let dimensions = dimensions
                .iter()
                .zip(key)
                .map(|(dimension, index)| {
                    Ok((dimension.id.trim().to_owned(), dimension.code_at(*index)?))
                })
                .collect::<Result<_, ParseError>>()?;
            // Later sources win: data-set attributes, then group, then series.
            let attributes = &structure.attributes;
            let mut resolved = BTreeMap::new();
            attach(&mut resolved, &attributes.data_set, &self.attributes)?;
            for (group_key, values) in &self.dimension_group_attributes {
                if group_applies(group_key, key) {
                    attach(&mut resolved, &attributes.dimension_group, values)?;
                }
            }
            attach(&mut resolved, &attributes.series, &body.attributes)?;
            Ok(Series {
                dimensions,
                attributes: resolved,
                observations: observations(&body.observations, structure)?,
            })
        }
    }

    impl Component {
        fn code_at(&self, index: usize) -> Result<String, ParseError> {
            let value = self
                .values
                .get(index)
                .ok_or_else(|| schema(format!("index {index} out of range for {}", self.id)))?;
            [&value.id, &value.value, &value.name]
                .into_iter()
                .find_map(|text| text.as_deref())
                .map(|text| text.trim().to_owned())
                .ok_or_else(|| schema(format!("value {index} has no id")))
        }
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

    /// Resolves attribute values against their definitions, by position.
    fn attach(
        into: &mut BTreeMap<String, String>,
        definitions: &[Component],
        values: &[Option<AttributeValue>],
    ) -> Result<(), ParseError> {
        for (definition, value) in definitions.iter().zip(values) {
            let resolved = match value {
                None => continue,
                Some(AttributeValue::Index(index)) => definition.code_at(*index)?,
                Some(AttributeValue::Text(text)) => text.trim().to_owned(),
            };
            into.insert(definition.id.trim().to_owned(), resolved);
        }
        Ok(())
    }

    /// The observations of one series, in key order.
    fn observations(
        observations: &BTreeMap<String, ObservationBody>,
        structure: &Structure,
    ) -> Result<Vec<Observation>, ParseError> {
        in_key_order(observations, |key, body| {
            let period = period_of(key, structure)?;
            let value = match body {
                ObservationBody::Values(values) => values.first().and_then(Option::as_ref),
                ObservationBody::Value(value) => value.as_ref(),
            };
            let value = observation_value(value).map_err(|text| {
                schema(format!(
                    "observation {period}: value {text} is not a number"
                ))
            })?;
            Ok(Observation { period, value })
        })
    }

    /// An observation value as published: null, absent, "" and "NaN" are
    /// not published; any other non-number is an error (its text).
    fn observation_value(value: Option<&Scalar>) -> Result<Option<f64>, String> {
        let text = match value {
            None => return Ok(None),
            Some(Scalar::Number(number)) => return Ok(Some(*number)),
            Some(Scalar::Text(text)) => text.trim(),
        };
        if text.is_empty() || text.eq_ignore_ascii_case("nan") {
            return Ok(None);
        }
        match text.parse::<f64>() {
            Ok(number) if number.is_finite() => Ok(Some(number)),
            _ => Err(format!("{text:?}")),
        }
    }

    /// The period an observation key stands for: the TIME_PERIOD
    /// dimension's value (or all observation dimensions, ':'-joined).
    fn period_of(key: &[usize], structure: &Structure) -> Result<String, ParseError> {
        let dimensions = &structure.dimensions.observation;
        if key.len() != dimensions.len() {
            return Err(schema("observation key does not match its dimensions"));
        }
        let mut parts = Vec::new();
        for (dimension, index) in dimensions.iter().zip(key) {
            let code = dimension.code_at(*index)?;
            if dimension.id.trim() == "TIME_PERIOD" {
                return Ok(code);
            }
            parts.push(code);
        }
        Ok(parts.join(":"))
    }

    /// Reads the entries of a keyed object in index order: its keys
    /// ("0:1:0" → [0, 1, 0]) come sorted as text ("0:10" before "0:2").
    fn in_key_order<B, T>(
        entries: &BTreeMap<String, B>,
        read: impl Fn(&[usize], &B) -> Result<T, ParseError>,
    ) -> Result<Vec<T>, ParseError> {
        let mut keyed = entries
            .iter()
            .map(|(key, body)| {
                let indexes = key
                    .split(':')
                    .map(str::parse)
                    .collect::<Result<Vec<usize>, _>>()
                    .map_err(|_| schema(format!("key {key:?} is not ':'-separated indexes")))?;
                let item = read(&indexes, body)?;
                Ok((indexes, item))
            })
            .collect::<Result<Vec<_>, ParseError>>()?;
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(keyed.into_iter().map(|(_, item)| item).collect())
    }
}

fn schema(detail: impl Into<String>) -> ParseError {
    ParseError::Schema(detail.into())
}

#[cfg(test)]
mod tests;
