//! IMF statistics: the current `api.imf.org` SDMX service (IMTS, formerly
//! DOTS: goods trade by partner) and the retired `dataservices.imf.org`
//! SDMX_JSON service, kept because its formats are recorded.
//!
//! Data formats: SDMX-JSON 2.0 (series and observation keys are indexes
//! into `structures[].dimensions`), SDMX-ML 2.1 StructureSpecificData, and
//! the legacy CompactData JSON (an XML-to-JSON rendering where `Series` and
//! `Obs` are objects when single, arrays when several, and absent when
//! empty). Values are published in units × 10^SCALE (`UNIT_MULT` on the
//! legacy service): [`Series::scale`] reports it, nothing is rescaled here.
//! An unknown dataflow is HTTP 204 with an empty body: no series.
//!
//! Dimensions and attributes are told apart by the message itself in
//! SDMX-JSON. StructureSpecific XML and CompactData put both on the series
//! as plain attributes, so there the well-known attribute concepts in
//! `SERIES_ATTRIBUTES` are attributes and every other name a dimension.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    ParseError, XmlElement, html_error, json_body, json_f64, json_str, json_u64, looks_like_html,
    strip_bom, xml_document,
};

/// Attribute concepts that can sit beside the dimensions on a series in
/// the formats that do not say which is which.
const SERIES_ATTRIBUTES: &[&str] = &[
    "BASE_YEAR",
    "COMMENT",
    "COUNTRY_UPDATE_DATE",
    "DECIMALS",
    "DECIMALS_DISPLAYED",
    "DERIVATION_TYPE",
    "METHODOLOGY",
    "NATURE_OF_DATA",
    "OBS_STATUS",
    "OVERLAP",
    "PRECISION",
    "SCALE",
    "SERIES_NAME",
    "SOURCE",
    "STATUS",
    "TIME_FORMAT",
    "TITLE",
    "UNIT",
    "UNIT_MEASURE",
    "UNIT_MULT",
    "VALUATION",
];

/// SDMX-ML's error code for "No results found": an empty answer, not a failure.
const NO_RESULTS: &str = "100";

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

/// A dataflow (dataset) the service offers.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataflow {
    /// Maintaining agency, e.g. "IMF.STA" (legacy: "IMF").
    pub agency: String,
    /// The id data requests use: "IMTS"; for the legacy list the
    /// `KeyFamilyID` CompactData takes ("DOT_2020Q1"), not "DS-DOT_2020Q1".
    pub id: String,
    /// Version, e.g. "1.0.0".
    pub version: String,
    /// English name.
    pub name: String,
}

/// A code list (e.g. CL_COUNTRY) with its codes.
#[derive(Debug, Clone, PartialEq)]
pub struct Codelist {
    /// Maintaining agency.
    pub agency: String,
    /// Code list id, e.g. "CL_COUNTRY".
    pub id: String,
    /// Version.
    pub version: String,
    /// English name.
    pub name: String,
    /// The codes in published order.
    pub codes: Vec<Code>,
}

/// One code of a code list.
#[derive(Debug, Clone, PartialEq)]
pub struct Code {
    /// The code, e.g. "KOR" or "G001".
    pub id: String,
    /// English name, e.g. "Korea, Republic of".
    pub name: String,
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

/// Parses a legacy `dataservices.imf.org` CompactData JSON answer.
pub fn parse_compact_json(body: &[u8]) -> Result<Vec<Series>, ParseError> {
    let Some(value) = json_or_error(body)? else {
        return Ok(Vec::new());
    };
    let data_set = value
        .get("CompactData")
        .and_then(|compact| compact.get("DataSet"))
        .ok_or_else(|| schema("no CompactData.DataSet"))?;
    one_or_many(data_set.get("Series"))
        .into_iter()
        .enumerate()
        .map(|(index, series)| compact_series(index, series))
        .collect()
}

/// Parses an SDMX-ML 2.1 StructureSpecificData message (the `api.imf.org`
/// XML format). An SDMX error message "No results found" (code 100) is no
/// series; other SDMX errors are [`ParseError::Upstream`].
pub fn parse_structure_specific_xml(body: &[u8]) -> Result<Vec<Series>, ParseError> {
    let body = without_bom(body);
    if body.trim_ascii().is_empty() {
        return Ok(Vec::new());
    }
    if looks_like_html(body) {
        return Err(html_error(body));
    }
    let root = xml_document(body)?;
    match root.name.as_str() {
        "StructureSpecificData" => Ok(root
            .children_named("DataSet")
            .map(structure_specific::data_set)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect()),
        "Error" => match sdmx_ml_error(&root) {
            ParseError::Upstream { code, .. } if code == NO_RESULTS => Ok(Vec::new()),
            error => Err(error),
        },
        _ => Err(xml_error(&root)),
    }
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

/// Parses a dataflow list: `api.imf.org` `structure/dataflow` (SDMX-JSON
/// structure message) or the legacy `SDMX_JSON.svc/Dataflow`.
pub fn parse_dataflows(body: &[u8]) -> Result<Vec<Dataflow>, ParseError> {
    let Some(value) = json_or_error(body)? else {
        return Ok(Vec::new());
    };
    if let Some(flows) = value.pointer("/data/dataflows").and_then(Value::as_array) {
        return flows.iter().enumerate().map(structures::dataflow).collect();
    }
    if let Some(flows) = value.pointer("/Structure/Dataflows") {
        return one_or_many(flows.get("Dataflow"))
            .into_iter()
            .enumerate()
            .map(structures::legacy_dataflow)
            .collect();
    }
    Err(schema("neither data.dataflows nor Structure.Dataflows"))
}

/// Parses code lists: `api.imf.org` `structure/codelist` or the legacy
/// `CodeList/{id}` and `DataStructure/{db}` answers (a DataStructure
/// carries the code lists of its dimensions).
pub fn parse_codelists(body: &[u8]) -> Result<Vec<Codelist>, ParseError> {
    let Some(value) = json_or_error(body)? else {
        return Ok(Vec::new());
    };
    if let Some(lists) = value.pointer("/data/codelists").and_then(Value::as_array) {
        return lists.iter().enumerate().map(structures::codelist).collect();
    }
    if let Some(lists) = value.pointer("/Structure/CodeLists") {
        return one_or_many(lists.get("CodeList"))
            .into_iter()
            .enumerate()
            .map(structures::legacy_codelist)
            .collect();
    }
    Err(schema("neither data.codelists nor Structure.CodeLists"))
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

/// A value that is a single object when there is one, an array when
/// several, and absent or null when none (XML rendered as JSON).
fn one_or_many(value: Option<&Value>) -> Vec<&Value> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item) => vec![item],
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

/// Sorts a series' dimensions and attributes apart by [`SERIES_ATTRIBUTES`].
fn split_key_values<'a>(
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut dimensions = BTreeMap::new();
    let mut attributes = BTreeMap::new();
    for (name, value) in pairs {
        let target = if SERIES_ATTRIBUTES.contains(&name) {
            &mut attributes
        } else {
            &mut dimensions
        };
        target.insert(name.to_owned(), value.trim().to_owned());
    }
    (dimensions, attributes)
}

/// One legacy CompactData series: `@`-keys are its key and attributes,
/// `Obs` its observations (object, array or absent).
fn compact_series(index: usize, series: &Value) -> Result<Series, ParseError> {
    let object = series
        .as_object()
        .ok_or_else(|| schema(format!("series {index} is not an object")))?;
    let pairs = object.iter().filter_map(|(key, value)| {
        let name = key.strip_prefix('@')?;
        // Namespace declarations ride along as "@xmlns…" keys.
        (!name.starts_with("xmlns")).then_some((name, value.as_str()?))
    });
    let (dimensions, attributes) = split_key_values(pairs);
    let observations = one_or_many(object.get("Obs"))
        .into_iter()
        .map(|obs| {
            let what = format!("series {index}");
            let period = json_str(obs.get("@TIME_PERIOD"))
                .filter(|period| !period.is_empty())
                .ok_or_else(|| schema(format!("{what}: observation without @TIME_PERIOD")))?;
            Ok(Observation {
                period: period.to_owned(),
                value: observation_value(obs.get("@OBS_VALUE"), &what)?,
            })
        })
        .collect::<Result<_, ParseError>>()?;
    Ok(Series {
        dimensions,
        attributes,
        observations,
    })
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

/// SDMX-ML 2.1 StructureSpecificData: series and observations are elements
/// whose (unprefixed) attributes are the concepts.
mod structure_specific {
    use std::collections::BTreeMap;

    use super::{
        Observation, ParseError, Series, XmlElement, is_missing_marker, schema, split_key_values,
    };

    /// Every series of one `<DataSet>`, with `<Group>` attributes merged
    /// into the series they describe.
    pub(super) fn data_set(data_set: &XmlElement) -> Result<Vec<Series>, ParseError> {
        let groups: Vec<BTreeMap<&str, &str>> = data_set
            .children_named("Group")
            .map(|group| concepts(group).collect())
            .collect();
        data_set
            .children_named("Series")
            .enumerate()
            .map(|(index, element)| {
                let (dimensions, mut attributes) = split_key_values(concepts(element));
                for group in groups.iter().filter(|group| applies(group, &dimensions)) {
                    for (name, value) in group {
                        if !dimensions.contains_key(*name) {
                            attributes
                                .entry((*name).to_owned())
                                .or_insert_with(|| (*value).to_owned());
                        }
                    }
                }
                Ok(Series {
                    dimensions,
                    attributes,
                    observations: observations(index, element)?,
                })
            })
            .collect()
    }

    /// The concept attributes of an element; prefixed ones (`xsi:type`)
    /// are XML machinery.
    fn concepts(element: &XmlElement) -> impl Iterator<Item = (&str, &str)> {
        element
            .attributes
            .iter()
            .filter(|(name, _)| !name.contains(':'))
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// A group describes a series when it names at least one of the
    /// series' dimensions and agrees on every one it names.
    fn applies(group: &BTreeMap<&str, &str>, dimensions: &BTreeMap<String, String>) -> bool {
        let mut shared = group
            .iter()
            .filter_map(|(name, value)| dimensions.get(*name).map(|code| code == value))
            .peekable();
        shared.peek().is_some() && shared.all(|agrees| agrees)
    }

    fn observations(index: usize, series: &XmlElement) -> Result<Vec<Observation>, ParseError> {
        series
            .children_named("Obs")
            .map(|obs| {
                let period = obs
                    .attribute("TIME_PERIOD")
                    .filter(|period| !period.is_empty())
                    .ok_or_else(|| schema(format!("series {index}: Obs without TIME_PERIOD")))?;
                let value = match obs.attribute("OBS_VALUE") {
                    None => None,
                    Some(text) if is_missing_marker(text) => None,
                    Some(text) => Some(
                        text.parse::<f64>()
                            .ok()
                            .filter(|value| value.is_finite())
                            .ok_or_else(|| {
                                schema(format!(
                                    "series {index}: OBS_VALUE {text:?} is not a number"
                                ))
                            })?,
                    ),
                };
                Ok(Observation {
                    period: period.to_owned(),
                    value,
                })
            })
            .collect()
    }
}

/// Structure messages: dataflow and code lists, new and legacy.
mod structures {
    use serde_json::Value;

    use super::{Code, Codelist, Dataflow, ParseError, json_str, one_or_many, schema};

    /// A required trimmed string field of an SDMX-JSON artefact.
    fn field(item: &Value, name: &str, what: &str) -> Result<String, ParseError> {
        json_str(item.get(name))
            .map(str::to_owned)
            .ok_or_else(|| schema(format!("{what}: {name} missing")))
    }

    /// An SDMX-JSON name: `name`, else `names.en`.
    fn name(item: &Value) -> String {
        json_str(item.get("name"))
            .or_else(|| json_str(item.pointer("/names/en")))
            .unwrap_or_default()
            .to_owned()
    }

    /// A legacy name: a string, `{"#text"}`, or a list of those by language
    /// (English preferred).
    fn legacy_name(value: Option<&Value>) -> String {
        let names = one_or_many(value);
        let english = names
            .iter()
            .find(|name| json_str(name.get("@xml:lang")) == Some("en"))
            .or_else(|| names.first());
        english
            .and_then(|name| json_str(Some(name)).or_else(|| json_str(name.get("#text"))))
            .unwrap_or_default()
            .to_owned()
    }

    pub(super) fn dataflow((index, item): (usize, &Value)) -> Result<Dataflow, ParseError> {
        let what = format!("dataflow {index}");
        Ok(Dataflow {
            agency: field(item, "agencyID", &what)?,
            id: field(item, "id", &what)?,
            version: json_str(item.get("version")).unwrap_or_default().to_owned(),
            name: name(item),
        })
    }

    pub(super) fn legacy_dataflow((index, item): (usize, &Value)) -> Result<Dataflow, ParseError> {
        let what = format!("dataflow {index}");
        let id = json_str(item.pointer("/KeyFamilyRef/KeyFamilyID"))
            .map(str::to_owned)
            .map_or_else(|| field(item, "@id", &what), Ok)?;
        Ok(Dataflow {
            agency: json_str(item.get("@agencyID"))
                .unwrap_or_default()
                .to_owned(),
            id,
            version: json_str(item.get("@version"))
                .unwrap_or_default()
                .to_owned(),
            name: legacy_name(item.get("Name")),
        })
    }

    pub(super) fn codelist((index, item): (usize, &Value)) -> Result<Codelist, ParseError> {
        let what = format!("codelist {index}");
        let codes = item
            .get("codes")
            .and_then(Value::as_array)
            .map(|codes| codes.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|code| {
                Ok(Code {
                    id: field(code, "id", &what)?,
                    name: name(code),
                })
            })
            .collect::<Result<_, ParseError>>()?;
        Ok(Codelist {
            agency: json_str(item.get("agencyID"))
                .unwrap_or_default()
                .to_owned(),
            id: field(item, "id", &what)?,
            version: json_str(item.get("version")).unwrap_or_default().to_owned(),
            name: name(item),
            codes,
        })
    }

    pub(super) fn legacy_codelist((index, item): (usize, &Value)) -> Result<Codelist, ParseError> {
        let what = format!("codelist {index}");
        let codes = one_or_many(item.get("Code"))
            .into_iter()
            .map(|code| {
                Ok(Code {
                    id: field(code, "@value", &what)?,
                    name: legacy_name(code.get("Description")),
                })
            })
            .collect::<Result<_, ParseError>>()?;
        Ok(Codelist {
            agency: json_str(item.get("@agencyID"))
                .unwrap_or_default()
                .to_owned(),
            id: field(item, "@id", &what)?,
            version: json_str(item.get("@version"))
                .unwrap_or_default()
                .to_owned(),
            name: legacy_name(item.get("Name")),
            codes,
        })
    }
}

fn schema(detail: impl Into<String>) -> ParseError {
    ParseError::Schema(detail.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compact(series: &str) -> String {
        format!(
            r#"{{"CompactData":{{"@xmlns":"http://www.SDMX.org/resources/SDMXML/schemas/v2_0/message","Header":{{"ID":"x","Prepared":"2023-04-29T13:00:08"}},"DataSet":{{"@xmlns":"http://dataservices.imf.org/compact/DOT"{series}}}}}}}"#
        )
    }

    fn dims(series: &Series) -> Vec<(&str, &str)> {
        series
            .dimensions
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn compact_series_array_with_obs_arrays() {
        let body = compact(
            r#","Series":[{"@FREQ":"A","@REF_AREA":"KR","@INDICATOR":"TXG_FOB_USD","@COUNTERPART_AREA":"KH","@UNIT_MULT":"6","@TIME_FORMAT":"P1Y","Obs":[{"@TIME_PERIOD":"2022","@OBS_VALUE":"745.1"},{"@TIME_PERIOD":"2023"}]},{"@FREQ":"A","@REF_AREA":"KR","@INDICATOR":"TMG_CIF_USD","@COUNTERPART_AREA":"KH","@UNIT_MULT":"6","Obs":[{"@TIME_PERIOD":"2022","@OBS_VALUE":"300"}]}]"#,
        );
        let series = parse_compact_json(body.as_bytes()).expect("parses");
        assert_eq!(series.len(), 2);
        assert_eq!(
            dims(&series[0]),
            [
                ("COUNTERPART_AREA", "KH"),
                ("FREQ", "A"),
                ("INDICATOR", "TXG_FOB_USD"),
                ("REF_AREA", "KR")
            ]
        );
        assert_eq!(
            series[0].attributes.get("TIME_FORMAT").map(String::as_str),
            Some("P1Y")
        );
        assert_eq!(series[0].scale(), 6);
        assert_eq!(
            series[0].observations,
            [
                Observation {
                    period: "2022".into(),
                    value: Some(745.1)
                },
                Observation {
                    period: "2023".into(),
                    value: None
                }
            ]
        );
    }

    #[test]
    fn compact_series_and_obs_may_be_single_objects() {
        let body = compact(
            r#","Series":{"@FREQ":"A","@REF_AREA":"US","@INDICATOR":"NGDPD","@UNIT_MULT":"9","Obs":{"@TIME_PERIOD":"2011","@OBS_VALUE":"15542.6"}}"#,
        );
        let series = parse_compact_json(body.as_bytes()).expect("parses");
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].scale(), 9);
        assert_eq!(series[0].observations.len(), 1);
        assert_eq!(series[0].observations[0].value, Some(15542.6));
    }

    #[test]
    fn compact_without_series_or_obs() {
        assert_eq!(parse_compact_json(compact("").as_bytes()), Ok(Vec::new()));
        let body = compact(
            r#","Series":{"@FREQ":"A","@REF_AREA":"AF","@INDICATOR":"X","@UNIT_MULT":"6"}"#,
        );
        let series = parse_compact_json(body.as_bytes()).expect("parses");
        assert_eq!(series.len(), 1);
        assert!(series[0].observations.is_empty());
    }

    #[test]
    fn compact_bad_values_and_shapes() {
        let body =
            compact(r#","Series":{"@FREQ":"A","Obs":{"@TIME_PERIOD":"2011","@OBS_VALUE":"n.a."}}"#);
        assert!(matches!(
            parse_compact_json(body.as_bytes()),
            Err(ParseError::Schema(_))
        ));
        let body = compact(r#","Series":{"@FREQ":"A","Obs":{"@OBS_VALUE":"1"}}"#);
        assert!(matches!(
            parse_compact_json(body.as_bytes()),
            Err(ParseError::Schema(_))
        ));
        assert!(matches!(
            parse_compact_json(br#"{"Other":1}"#),
            Err(ParseError::Schema(_))
        ));
        let body = compact(r#","Series":{"@FREQ":"A"}"#);
        assert!(matches!(
            parse_compact_json(&body.as_bytes()[..body.len() - 3]),
            Err(ParseError::Malformed { format: "JSON", .. })
        ));
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
        assert_eq!(parse_structure_specific_xml(b""), Ok(Vec::new()));
        assert_eq!(parse_dataflows(b""), Ok(Vec::new()));
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

    const STRUCTURE_SPECIFIC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<message:StructureSpecificData xmlns:message="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:ss="x">
  <message:Header><message:ID>DS1</message:ID></message:Header>
  <message:DataSet ss:dataScope="DataStructure" action="Replace" PUBLISHER="IMF">
    <Group xsi:type="ns1:GROUP_INDICATOR" INDICATOR="XG_FOB_USD" UNIT="USD" SERIES_NAME="Exports, FOB &amp; more"/>
    <Group xsi:type="ns1:GROUP_INDICATOR" INDICATOR="MG_CIF_USD" UNIT="USD" SERIES_NAME="Imports, CIF"/>
    <Series COUNTRY="KHM" INDICATOR="XG_FOB_USD" COUNTERPART_COUNTRY="KOR" FREQUENCY="A" SCALE="6" DECIMALS_DISPLAYED="2">
      <Obs TIME_PERIOD="2022" OBS_VALUE="233.7"/>
      <Obs TIME_PERIOD="2023" OBS_VALUE="281.14"/>
      <Obs TIME_PERIOD="2024" OBS_VALUE="NaN"/>
      <Obs TIME_PERIOD="2025"/>
    </Series>
    <Series COUNTRY="KHM" INDICATOR="MG_CIF_USD" COUNTERPART_COUNTRY="KOR" FREQUENCY="A" SCALE="6"/>
  </message:DataSet>
</message:StructureSpecificData>"#;

    #[test]
    fn structure_specific_series_take_their_group_attributes() {
        let series = parse_structure_specific_xml(STRUCTURE_SPECIFIC.as_bytes()).expect("parses");
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
        assert_eq!(exports.scale(), 6);
        assert_eq!(
            exports.attributes.get("SERIES_NAME").map(String::as_str),
            Some("Exports, FOB & more")
        );
        assert_eq!(
            exports.attributes.get("UNIT").map(String::as_str),
            Some("USD")
        );
        let values: Vec<Option<f64>> = exports.observations.iter().map(|o| o.value).collect();
        assert_eq!(values, [Some(233.7), Some(281.14), None, None]);
        assert_eq!(
            series[1].attributes.get("SERIES_NAME").map(String::as_str),
            Some("Imports, CIF")
        );
        assert!(series[1].observations.is_empty());
    }

    #[test]
    fn structure_specific_errors() {
        let truncated = &STRUCTURE_SPECIFIC.as_bytes()[..STRUCTURE_SPECIFIC.len() - 40];
        assert!(matches!(
            parse_structure_specific_xml(truncated),
            Err(ParseError::Malformed { format: "XML", .. })
        ));
        let bad = STRUCTURE_SPECIFIC.replace("281.14", "n/a");
        assert!(matches!(
            parse_structure_specific_xml(bad.as_bytes()),
            Err(ParseError::Schema(_))
        ));
        let error = |code: &str| {
            format!(
                r#"<?xml version="1.0"?><message:Error xmlns:message="m" xmlns:common="c"><message:ErrorMessage code="{code}"><common:Text>No Results Found</common:Text></message:ErrorMessage></message:Error>"#
            )
        };
        assert_eq!(
            parse_structure_specific_xml(error("100").as_bytes()),
            Ok(Vec::new())
        );
        assert_eq!(
            parse_structure_specific_xml(error("150").as_bytes()),
            Err(ParseError::Upstream {
                code: "150".into(),
                message: "No Results Found".into()
            })
        );
        assert!(matches!(
            parse_structure_specific_xml(b"<GenericData/>"),
            Err(ParseError::Schema(_))
        ));
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
    fn data_parsers_report_error_bodies() {
        let html = ParseError::Html {
            title: "Request Error".into(),
        };
        assert_eq!(
            parse_compact_json(format!("ï»¿{XHTML}").as_bytes()),
            Err(html.clone())
        );
        assert_eq!(parse_sdmx_json(XHTML.as_bytes()), Err(html.clone()));
        assert_eq!(
            parse_structure_specific_xml(format!("\u{feff}{XHTML}").as_bytes()),
            Err(html)
        );
        let string =
            br#"<string xmlns="http://schemas.microsoft.com/2003/10/Serialization/">oops</string>"#;
        assert!(
            matches!(parse_compact_json(string), Err(ParseError::Upstream { code, .. }) if code == "500")
        );
        assert!(matches!(
            parse_structure_specific_xml(string),
            Err(ParseError::Upstream { code, .. }) if code == "500"
        ));
    }

    #[test]
    fn dataflows_new_and_legacy() {
        let new = br#"{"data":{"dataflows":[{"id":"IMTS","name":"International Trade in Goods (by partner country) (IMTS)","version":"1.0.0","agencyID":"IMF.STA"}]},"meta":{}}"#;
        assert_eq!(
            parse_dataflows(new),
            Ok(vec![Dataflow {
                agency: "IMF.STA".into(),
                id: "IMTS".into(),
                version: "1.0.0".into(),
                name: "International Trade in Goods (by partner country) (IMTS)".into()
            }])
        );
        let legacy = br##"{"Structure":{"Dataflows":{"Dataflow":{"@id":"DS-DOT","@version":"1.0","@agencyID":"IMF","Name":{"@xml:lang":"en","#text":"Direction of Trade Statistics (DOTS)"},"KeyFamilyRef":{"KeyFamilyID":"DOT","KeyFamilyAgencyID":"IMF"}}}}}"##;
        let flows = parse_dataflows(legacy).expect("parses");
        assert_eq!(flows[0].id, "DOT");
        assert_eq!(flows[0].name, "Direction of Trade Statistics (DOTS)");
        assert!(matches!(
            parse_dataflows(br#"{"data":{}}"#),
            Err(ParseError::Schema(_))
        ));
    }

    #[test]
    fn codelists_new_and_legacy() {
        let new = br#"{"data":{"codelists":[{"id":"CL_COUNTRY","name":"Country","version":"1.5.1","agencyID":"IMF","codes":[{"id":"KHM","name":"Cambodia"},{"id":"KOR","names":{"en":"Korea, Republic of"}}]}]}}"#;
        let lists = parse_codelists(new).expect("parses");
        assert_eq!(lists[0].id, "CL_COUNTRY");
        assert_eq!(
            lists[0].codes[1],
            Code {
                id: "KOR".into(),
                name: "Korea, Republic of".into()
            }
        );
        let legacy = br##"{"Structure":{"CodeLists":{"CodeList":{"@id":"CL_AREA_DOT","@agencyID":"IMF","@version":"1.0","Name":{"@xml:lang":"en","#text":"Geographical Areas"},"Code":{"@value":"KH","Description":{"@xml:lang":"en","#text":"Cambodia"}}}}}}"##;
        let lists = parse_codelists(legacy).expect("parses");
        assert_eq!(lists[0].name, "Geographical Areas");
        assert_eq!(
            lists[0].codes,
            [Code {
                id: "KH".into(),
                name: "Cambodia".into()
            }]
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
