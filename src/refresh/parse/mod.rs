//! Parsers for what each upstream source really returns: pure functions from
//! response bytes to raw records close to the upstream shape, or a typed
//! error. No I/O, no mapping to tradepact's model (the adapters do that).
//!
//! Every recorded sample in `tests/fixtures/upstream` parses into data, an
//! empty result, or the right [`ParseError`] (see the conformance tests).

pub mod comtrade;
pub mod customs;
pub mod imf;
pub mod worldbank;
pub mod wto;

/// Why a response body could not be turned into records.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    /// The provider answered with its own error document (possibly with HTTP
    /// 200): World Bank `message` arrays, Comtrade gateway `statusCode`
    /// bodies, Korea Customs `resultCode` ≠ 00 or `OpenAPI_ServiceResponse`,
    /// IMF error strings.
    #[error("the provider reported an error {code}: {message}")]
    Upstream { code: String, message: String },
    /// An HTML page (often with a BOM) where data was expected.
    #[error("got an HTML page instead of data: {title}")]
    Html { title: String },
    /// Well-formed but not the shape this parser knows.
    #[error("unexpected response shape: {0}")]
    Schema(String),
    /// Not well-formed JSON, XML, CSV or xlsx (truncated bodies land here).
    #[error("malformed {format}: {detail}")]
    Malformed {
        format: &'static str,
        detail: String,
    },
}

/// Strips a UTF-8 byte-order mark, which several providers send.
pub fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

/// True when the body looks like an HTML page rather than data.
pub fn looks_like_html(body: &[u8]) -> bool {
    let head: Vec<u8> = strip_bom(body)
        .iter()
        .take(512)
        .map(u8::to_ascii_lowercase)
        .collect();
    let head = String::from_utf8_lossy(&head);
    let trimmed = head.trim_start();
    trimmed.starts_with("<!doctype html") || trimmed.starts_with("<html") || head.contains("<html")
}

/// The `<title>` of an HTML page, or a placeholder.
pub fn html_title(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(strip_bom(body));
    let lower = text.to_ascii_lowercase();
    match (lower.find("<title>"), lower.find("</title>")) {
        (Some(start), Some(end)) if end > start + 7 => text[start + 7..end].trim().to_owned(),
        _ => "untitled page".to_owned(),
    }
}

/// The HTML error for a page body, titled from its `<title>`.
pub(crate) fn html_error(body: &[u8]) -> ParseError {
    ParseError::Html {
        title: html_title(body),
    }
}

/// A [`ParseError::Malformed`] for `format`.
pub(crate) fn malformed(format: &'static str, detail: impl std::fmt::Display) -> ParseError {
    ParseError::Malformed {
        format,
        detail: detail.to_string(),
    }
}

/// Parses a JSON body. A BOM is dropped first (Comtrade reference files may
/// carry one) and an HTML page becomes [`ParseError::Html`], because several
/// providers answer a JSON request with an error page.
pub(crate) fn json_body(body: &[u8]) -> Result<serde_json::Value, ParseError> {
    if looks_like_html(body) {
        return Err(html_error(body));
    }
    serde_json::from_slice(strip_bom(body)).map_err(|err| malformed("JSON", err))
}

/// A JSON string, trimmed; `None` for anything else (including null).
pub(crate) fn json_str(value: Option<&serde_json::Value>) -> Option<&str> {
    value.and_then(serde_json::Value::as_str).map(str::trim)
}

/// A whole non-negative JSON number, also when sent as a string ("50"):
/// World Bank paging fields arrive both ways.
pub(crate) fn json_u64(value: Option<&serde_json::Value>) -> Option<u64> {
    match value? {
        serde_json::Value::Number(number) => number.as_u64(),
        serde_json::Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A finite JSON number, also when sent as a string ("15542.6", as IMF
/// does). `None` for null, empty strings, "NaN" and anything else.
pub(crate) fn json_f64(value: Option<&serde_json::Value>) -> Option<f64> {
    let number = match value? {
        serde_json::Value::Number(number) => number.as_f64()?,
        serde_json::Value::String(text) => text.trim().parse().ok()?,
        _ => return None,
    };
    number.is_finite().then_some(number)
}

/// Deepest element nesting accepted, so a hostile body cannot exhaust the
/// stack when the tree is dropped; real documents nest fewer than 10 deep.
const MAX_XML_DEPTH: usize = 256;

/// One element of a parsed XML document: enough structure for the small,
/// schema-less documents the providers send.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct XmlElement {
    /// Local name: the namespace prefix is dropped (`message:DataSet` → `DataSet`).
    pub name: String,
    /// Attributes with their names as written (`xsi:type` keeps its prefix), values unescaped.
    pub attributes: Vec<(String, String)>,
    /// The text directly inside this element, entities resolved, trimmed.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<XmlElement>,
}

impl XmlElement {
    /// The first child with this local name.
    pub(crate) fn child(&self, name: &str) -> Option<&XmlElement> {
        self.children.iter().find(|child| child.name == name)
    }

    /// Every child with this local name.
    pub(crate) fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a XmlElement> + 'a {
        self.children.iter().filter(move |child| child.name == name)
    }

    /// The trimmed text of the first child with this local name.
    pub(crate) fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|child| child.text.as_str())
    }

    /// The value of the attribute written exactly as `name`.
    pub(crate) fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Parses an XML document into its root element. Truncated or ill-formed
/// input (including a document that ends inside an element) is
/// [`ParseError::Malformed`].
pub(crate) fn xml_document(body: &[u8]) -> Result<XmlElement, ParseError> {
    use quick_xml::events::Event;

    let mut reader = quick_xml::Reader::from_reader(strip_bom(body));
    let mut open: Vec<XmlElement> = Vec::new();
    let mut root = None;
    loop {
        let event = reader.read_event().map_err(|err| {
            malformed("XML", format!("{err} at byte {}", reader.error_position()))
        })?;
        match event {
            Event::Start(start) => {
                if open.len() >= MAX_XML_DEPTH {
                    return Err(malformed("XML", "elements nested too deeply"));
                }
                open.push(xml_element(&start, reader.decoder())?);
            }
            Event::Empty(start) => {
                attach(&mut open, &mut root, xml_element(&start, reader.decoder())?)?
            }
            Event::End(_) => {
                let mut element = open
                    .pop()
                    .ok_or_else(|| malformed("XML", "closing tag without an opening tag"))?;
                element.text = element.text.trim().to_owned();
                attach(&mut open, &mut root, element)?;
            }
            Event::Text(text) => {
                let text = text.decode().map_err(|err| malformed("XML", err))?;
                push_text(&mut open, &text)?;
            }
            Event::CData(data) => {
                let text = data.decode().map_err(|err| malformed("XML", err))?;
                push_text(&mut open, &text)?;
            }
            Event::GeneralRef(reference) => {
                let resolved = resolve_reference(&reference)?;
                push_text(&mut open, &resolved)?;
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if let Some(unclosed) = open.last() {
        return Err(malformed(
            "XML",
            format!("document ends inside <{}>", unclosed.name),
        ));
    }
    root.ok_or_else(|| malformed("XML", "no root element"))
}

/// An element with its local name and unescaped attributes, not yet filled.
fn xml_element(
    start: &quick_xml::events::BytesStart<'_>,
    decoder: quick_xml::encoding::Decoder,
) -> Result<XmlElement, ParseError> {
    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|err| malformed("XML", err))?;
        let key = String::from_utf8_lossy(attribute.key.as_ref()).into_owned();
        let value = attribute
            .decode_and_unescape_value(decoder)
            .map_err(|err| malformed("XML", err))?;
        attributes.push((key, value.trim().to_owned()));
    }
    Ok(XmlElement {
        name,
        attributes,
        ..XmlElement::default()
    })
}

/// Adds a finished element to its parent, or makes it the root.
fn attach(
    open: &mut [XmlElement],
    root: &mut Option<XmlElement>,
    element: XmlElement,
) -> Result<(), ParseError> {
    match open.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => return Err(malformed("XML", "more than one root element")),
    }
    Ok(())
}

/// Appends text to the open element; outside the root only whitespace is allowed.
fn push_text(open: &mut [XmlElement], text: &str) -> Result<(), ParseError> {
    match open.last_mut() {
        Some(element) => element.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => return Err(malformed("XML", "text outside the root element")),
    }
    Ok(())
}

/// The text an entity or character reference stands for. quick-xml 0.38
/// reports them as separate events; only XML's five predefined entities
/// exist in these documents (no DTD is ever honoured).
fn resolve_reference(reference: &quick_xml::events::BytesRef<'_>) -> Result<String, ParseError> {
    if let Some(character) = reference
        .resolve_char_ref()
        .map_err(|err| malformed("XML", err))?
    {
        return Ok(character.to_string());
    }
    let name = reference.decode().map_err(|err| malformed("XML", err))?;
    let text = match name.as_ref() {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        other => return Err(malformed("XML", format!("unknown entity &{other};"))),
    };
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_documents_resolve_entities_and_drop_prefixes() {
        let body = "\u{feff}<?xml version=\"1.0\"?><m:root xmlns:m=\"x\" a=\"1 &amp; 2\"><m:item>A &amp; B &#xAC00;</m:item><empty/><![CDATA[<raw>]]></m:root>";
        let root = xml_document(body.as_bytes()).expect("parses");
        assert_eq!(root.name, "root");
        assert_eq!(root.attribute("a"), Some("1 & 2"));
        assert_eq!(root.child_text("item"), Some("A & B 가"));
        assert!(root.child("empty").is_some());
        assert_eq!(root.text, "<raw>");
    }

    #[test]
    fn broken_xml_is_malformed() {
        let nested = "<a>".repeat(MAX_XML_DEPTH + 1);
        for body in [
            "",
            "<a><b></a>",
            "<a>",
            "<a/><b/>",
            "text<a/>",
            "<a>&nbsp;</a>",
            "<a b=\"1\" b=\"2\"/>",
            nested.as_str(),
        ] {
            assert!(
                matches!(
                    xml_document(body.as_bytes()),
                    Err(ParseError::Malformed { format: "XML", .. })
                ),
                "{body:.40}"
            );
        }
    }

    #[test]
    fn lenient_json_numbers() {
        let value: serde_json::Value =
            serde_json::from_str(r#"{"a":"50","b":50,"c":"1.5","d":"NaN","e":null,"f":-1}"#)
                .expect("valid JSON");
        assert_eq!(json_u64(value.get("a")), Some(50));
        assert_eq!(json_u64(value.get("b")), Some(50));
        assert_eq!(json_u64(value.get("f")), None);
        assert_eq!(json_f64(value.get("c")), Some(1.5));
        assert_eq!(json_f64(value.get("d")), None);
        assert_eq!(json_f64(value.get("e")), None);
    }
}
