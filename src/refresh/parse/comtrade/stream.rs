//! Comtrade data answers read as they arrive, one record at a time.
//!
//! A keyed answer holds up to 100,000 records of ~1 KB: too much to hold
//! whole, let alone as a `serde_json::Value` tree. [`DataStream`] takes the
//! body in pieces of any size and hands each record of the `data` array to a
//! callback as a [`RecordRef`]: the fields a product line needs, borrowed
//! from the body where no escape forces a copy. A record split across two
//! pieces is retried once the rest arrives, so nothing but that record's
//! bytes is ever carried over.
//!
//! Everything outside the `data` array (the envelope: `count`, `error`,
//! `elapsedTime`, or a gateway's `statusCode`/`message`) is kept, with the
//! array emptied, and checked by [`parse_data`] at the end, so the envelope
//! and the gateway errors mean here what they mean there. A body that does
//! not start as a JSON object (an HTML page, an array) is kept up to
//! [`MAX_ENVELOPE_BYTES`] and handed to [`parse_data`] for the same reason.
//! One difference: a bad record is reported as soon as it is read, even when
//! the envelope after the array would also have reported an error.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};

use super::{ParseError, parse_data};
use crate::refresh::parse::{json_body, json_u64, malformed};

/// Largest single record accepted; real ones are ~1 KB.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;
/// Largest envelope (everything but the records) accepted.
pub const MAX_ENVELOPE_BYTES: usize = 1024 * 1024;

/// The fields of one record a product line needs. Strings are borrowed from
/// the body unless the JSON escapes something in them.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct RecordRef<'a> {
    #[serde(rename = "typeCode", default, borrow, deserialize_with = "text")]
    pub type_code: Option<Cow<'a, str>>,
    #[serde(rename = "freqCode", default, borrow, deserialize_with = "text")]
    pub freq_code: Option<Cow<'a, str>>,
    #[serde(rename = "refMonth", default, deserialize_with = "integer")]
    pub ref_month: Option<i64>,
    #[serde(rename = "period", default, borrow, deserialize_with = "text")]
    pub period: Option<Cow<'a, str>>,
    #[serde(rename = "refYear", default, deserialize_with = "integer")]
    pub ref_year: Option<i64>,
    #[serde(rename = "reporterCode", default, deserialize_with = "integer")]
    pub reporter_code: Option<i64>,
    /// Trimmed; `None` when absent or null.
    #[serde(rename = "reporterISO", default, borrow, deserialize_with = "text")]
    pub reporter_iso: Option<Cow<'a, str>>,
    #[serde(rename = "flowCode", default, borrow, deserialize_with = "text")]
    pub flow_code: Option<Cow<'a, str>>,
    #[serde(rename = "partnerCode", default, deserialize_with = "integer")]
    pub partner_code: Option<i64>,
    #[serde(rename = "partnerISO", default, borrow, deserialize_with = "text")]
    pub partner_iso: Option<Cow<'a, str>>,
    #[serde(rename = "partner2Code", default, deserialize_with = "integer")]
    pub partner2_code: Option<i64>,
    /// "TOTAL" or an HS code; numbers are taken as their digits.
    #[serde(rename = "cmdCode", default, borrow, deserialize_with = "text")]
    pub cmd_code: Option<Cow<'a, str>>,
    #[serde(rename = "cmdDesc", default, borrow, deserialize_with = "text")]
    pub cmd_desc: Option<Cow<'a, str>>,
    #[serde(rename = "aggrLevel", default, deserialize_with = "integer")]
    pub aggr_level: Option<i64>,
    /// US dollars; `None` when null, absent or not a finite number.
    #[serde(rename = "primaryValue", default, deserialize_with = "number")]
    pub primary_value: Option<f64>,
}

impl RecordRef<'_> {
    /// The fields [`parse_data`] requires of every record, checked in its
    /// order and named as it names them.
    fn check_required(&self) -> Result<(), String> {
        let text = |value: &Option<Cow<'_, str>>, name: &str| match value.as_deref() {
            Some(text) if !text.is_empty() => Ok(()),
            _ => Err(format!("{name} missing")),
        };
        let int = |value: Option<i64>, name: &str, fits: bool| match value {
            None => Err(format!("{name} missing")),
            Some(_) if !fits => Err(format!("{name} is not a valid integer")),
            Some(_) => Ok(()),
        };
        let fits_u32 = |value: Option<i64>| value.is_none_or(|v| u32::try_from(v).is_ok());
        let fits_i32 = |value: Option<i64>| value.is_none_or(|v| i32::try_from(v).is_ok());
        text(&self.cmd_code, "cmdCode")?;
        text(&self.type_code, "typeCode")?;
        text(&self.freq_code, "freqCode")?;
        int(self.ref_year, "refYear", fits_i32(self.ref_year))?;
        int(self.ref_month, "refMonth", fits_u32(self.ref_month))?;
        text(&self.period, "period")?;
        int(
            self.reporter_code,
            "reporterCode",
            fits_u32(self.reporter_code),
        )?;
        text(&self.flow_code, "flowCode")?;
        int(
            self.partner_code,
            "partnerCode",
            fits_u32(self.partner_code),
        )?;
        if !fits_u32(self.partner2_code) {
            return Err("partner2Code is not a valid integer".to_owned());
        }
        if self
            .aggr_level
            .is_some_and(|level| u8::try_from(level).is_err())
        {
            return Err("aggrLevel is not a valid integer".to_owned());
        }
        if self.primary_value.is_none() {
            return Err("primaryValue is null or missing".to_owned());
        }
        Ok(())
    }

    /// The aggregation level, or the one the code implies (as [`parse_data`] does).
    pub fn aggr_level(&self) -> Option<i64> {
        self.aggr_level.or_else(|| {
            self.cmd_code.as_deref().map(|code| match code {
                "TOTAL" => 0,
                code => i64::try_from(code.len()).unwrap_or(i64::MAX),
            })
        })
    }
}

/// What the envelope said once the body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope {
    /// `count` as sent, or the records read when it is absent.
    pub count: u64,
    /// Records handed to the callback.
    pub records: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing but whitespace (or a BOM) yet.
    Start,
    /// Inside the top-level object, before the `data` array's contents.
    Head,
    /// Between records of the `data` array.
    Records,
    /// After the `data` array, until the top-level object closes.
    Tail,
    /// The top-level object closed; only whitespace may follow.
    Done,
    /// Not a JSON object: kept for [`parse_data`] to explain.
    Raw,
}

/// Where the envelope scanner is, token-wise.
#[derive(Debug, Clone, Copy, Default)]
struct Scanner {
    depth: u32,
    in_string: bool,
    escape: bool,
    /// At depth 1, the next string is a key.
    expect_key: bool,
    /// Where the current depth-1 key started in the envelope buffer.
    key_start: Option<usize>,
    /// The last depth-1 key was `data`.
    key_is_data: bool,
    /// A `:` followed that key and no value has started yet.
    after_colon: bool,
}

/// Incremental reader of one data answer. Feed it with [`push`](Self::push),
/// then call [`finish`](Self::finish).
pub struct DataStream {
    phase: Phase,
    scanner: Scanner,
    /// Bytes of an unfinished record (or BOM) carried to the next piece.
    carry: Vec<u8>,
    /// The envelope with the records left out (or the raw body).
    envelope: Vec<u8>,
    /// Records read so far.
    records: u64,
    /// In `Records`: a comma must come before the next record.
    need_comma: bool,
}

impl Default for DataStream {
    fn default() -> Self {
        Self::new()
    }
}

impl DataStream {
    pub fn new() -> Self {
        Self {
            phase: Phase::Start,
            scanner: Scanner::default(),
            carry: Vec::new(),
            envelope: Vec::new(),
            records: 0,
            need_comma: false,
        }
    }

    /// Records read so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Reads the next piece of the body, calling `on_record(index, record)`
    /// for every record it completes. An error from the callback stops the
    /// stream and is returned as is.
    pub fn push<F>(&mut self, piece: &[u8], on_record: &mut F) -> Result<(), ParseError>
    where
        F: FnMut(u64, RecordRef<'_>) -> Result<(), ParseError>,
    {
        let mut rest = piece;
        // Finish a record (or BOM) begun in an earlier piece, growing the
        // carried bytes a step at a time so only that record is copied; once
        // it is done, read on from `piece` itself.
        let mut step = 4096;
        while !self.carry.is_empty() && !rest.is_empty() {
            let mut carry = std::mem::take(&mut self.carry);
            let carried = carry.len();
            let take = rest.len().min(step);
            carry.extend_from_slice(&rest[..take]);
            let used = self.scan(&carry, false, on_record)?;
            if used >= carried {
                rest = &rest[used - carried..];
                break;
            }
            carry.drain(..used);
            self.check_carry(carry.len())?;
            self.carry = carry;
            rest = &rest[take..];
            step = step.saturating_mul(2);
        }
        if !rest.is_empty() {
            let used = self.scan(rest, false, on_record)?;
            self.check_carry(rest.len() - used)?;
            self.carry.extend_from_slice(&rest[used..]);
        }
        Ok(())
    }

    fn check_carry(&self, len: usize) -> Result<(), ParseError> {
        if len > MAX_RECORD_BYTES {
            return Err(ParseError::Schema(format!(
                "record {} is longer than {MAX_RECORD_BYTES} bytes",
                self.records
            )));
        }
        Ok(())
    }

    /// The body ended: checks that it was complete and what the envelope says.
    pub fn finish<F>(mut self, on_record: &mut F) -> Result<Envelope, ParseError>
    where
        F: FnMut(u64, RecordRef<'_>) -> Result<(), ParseError>,
    {
        if !self.carry.is_empty() {
            let carry = std::mem::take(&mut self.carry);
            let used = self.scan(&carry, true, on_record)?;
            if used < carry.len() {
                return Err(truncated());
            }
        }
        match self.phase {
            Phase::Raw | Phase::Start | Phase::Head => {
                // No records were read: the whole (small) body is here.
                let response = parse_data(&self.envelope)?;
                if !response.records.is_empty() {
                    return Err(ParseError::Schema(
                        "records outside the data array".to_owned(),
                    ));
                }
                Ok(Envelope {
                    count: response.count,
                    records: 0,
                })
            }
            Phase::Records | Phase::Tail => Err(truncated()),
            Phase::Done => {
                let response = parse_data(&self.envelope)?;
                if !response.records.is_empty() {
                    return Err(ParseError::Schema("a second data array".to_owned()));
                }
                let object = json_body(&self.envelope)?;
                let count = json_u64(object.get("count")).unwrap_or(self.records);
                Ok(Envelope {
                    count,
                    records: self.records,
                })
            }
        }
    }

    /// Consumes as much of `input` as it can; returns how many bytes. Only
    /// an unfinished record (or a BOM cut short) is left unconsumed.
    fn scan<F>(
        &mut self,
        input: &[u8],
        at_end: bool,
        on_record: &mut F,
    ) -> Result<usize, ParseError>
    where
        F: FnMut(u64, RecordRef<'_>) -> Result<(), ParseError>,
    {
        let mut pos = 0;
        while pos < input.len() {
            match self.phase {
                Phase::Start => {
                    let byte = input[pos];
                    if byte.is_ascii_whitespace() {
                        pos += 1;
                    } else if byte == 0xEF {
                        let bom = b"\xEF\xBB\xBF";
                        let have = &input[pos..input.len().min(pos + 3)];
                        if have.len() < 3 && !at_end && bom.starts_with(have) {
                            return Ok(pos);
                        }
                        if have == bom {
                            pos += 3;
                        } else {
                            self.phase = Phase::Raw;
                        }
                    } else if byte == b'{' {
                        self.phase = Phase::Head;
                    } else {
                        self.phase = Phase::Raw;
                    }
                }
                Phase::Raw => {
                    let room = MAX_ENVELOPE_BYTES.saturating_sub(self.envelope.len());
                    let take = room.min(input.len() - pos);
                    self.envelope.extend_from_slice(&input[pos..pos + take]);
                    return Ok(input.len());
                }
                Phase::Head | Phase::Tail => {
                    pos += self.scan_envelope(&input[pos..])?;
                }
                Phase::Records => {
                    let byte = input[pos];
                    if byte.is_ascii_whitespace() {
                        pos += 1;
                    } else if byte == b']' {
                        self.envelope.push(b']');
                        self.scanner.depth = 1;
                        self.phase = Phase::Tail;
                        pos += 1;
                    } else if self.need_comma {
                        if byte != b',' {
                            return Err(malformed(
                                "JSON",
                                format!("expected ',' or ']' after record {}", self.records - 1),
                            ));
                        }
                        self.need_comma = false;
                        pos += 1;
                    } else {
                        match self.record(&input[pos..], on_record)? {
                            Some(used) => {
                                pos += used;
                                self.need_comma = true;
                            }
                            None => return Ok(pos),
                        }
                    }
                }
                Phase::Done => {
                    if !input[pos].is_ascii_whitespace() {
                        return Err(malformed("JSON", "trailing characters after the object"));
                    }
                    pos += 1;
                }
            }
        }
        Ok(pos)
    }

    /// Parses one record at the start of `input`: `Some(bytes used)`, or
    /// `None` when it is not complete yet.
    fn record<F>(&mut self, input: &[u8], on_record: &mut F) -> Result<Option<usize>, ParseError>
    where
        F: FnMut(u64, RecordRef<'_>) -> Result<(), ParseError>,
    {
        let mut values = serde_json::Deserializer::from_slice(input).into_iter::<RecordRef<'_>>();
        match values.next() {
            None => Ok(None),
            Some(Err(error)) if error.is_eof() => Ok(None),
            // A piece can end inside a number ("12." reads as invalid, not
            // as cut short): only a record whose end is in `input` is wrong.
            Some(Err(_)) if !value_ends_in(input) => Ok(None),
            Some(Err(error)) => Err(self.record_error(&error)),
            Some(Ok(record)) => {
                let used = values.byte_offset();
                let index = self.records;
                record
                    .check_required()
                    .map_err(|detail| ParseError::Schema(format!("record {index}: {detail}")))?;
                self.records += 1;
                on_record(index, record)?;
                Ok(Some(used))
            }
        }
    }

    fn record_error(&self, error: &serde_json::Error) -> ParseError {
        let detail = format!("record {}: {error}", self.records);
        match error.classify() {
            serde_json::error::Category::Data => ParseError::Schema(detail),
            _ => malformed("JSON", detail),
        }
    }

    /// Scans envelope bytes (outside the records), keeping them; switches to
    /// `Records` at the `data` array and to `Done` when the object closes.
    /// Returns how many bytes it used.
    fn scan_envelope(&mut self, input: &[u8]) -> Result<usize, ParseError> {
        let s = &mut self.scanner;
        let mut pos = 0;
        while pos < input.len() {
            let byte = input[pos];
            pos += 1;
            self.envelope.push(byte);
            if s.in_string {
                if s.escape {
                    s.escape = false;
                } else if byte == b'\\' {
                    s.escape = true;
                } else if byte == b'"' {
                    s.in_string = false;
                    if let Some(start) = s.key_start.take() {
                        let key = &self.envelope[start..self.envelope.len() - 1];
                        s.key_is_data = key == b"data";
                        s.expect_key = false;
                    }
                }
                continue;
            }
            match byte {
                b'"' => {
                    s.in_string = true;
                    if s.depth == 1 && s.expect_key {
                        s.key_start = Some(self.envelope.len());
                    }
                    s.after_colon = false;
                }
                b':' if s.depth == 1 => s.after_colon = s.key_is_data,
                b'[' if s.depth == 1 && s.after_colon && self.phase == Phase::Head => {
                    s.depth = 2;
                    s.after_colon = false;
                    s.key_is_data = false;
                    self.phase = Phase::Records;
                    self.need_comma = false;
                    return Ok(pos);
                }
                b'{' | b'[' => {
                    s.depth += 1;
                    s.after_colon = false;
                    if s.depth == 1 {
                        s.expect_key = true;
                    }
                }
                b'}' | b']' => {
                    s.depth = s
                        .depth
                        .checked_sub(1)
                        .ok_or_else(|| malformed("JSON", "unbalanced brackets in the envelope"))?;
                    s.after_colon = false;
                    if s.depth == 0 {
                        self.phase = Phase::Done;
                        return Ok(pos);
                    }
                }
                b',' if s.depth == 1 => {
                    s.expect_key = true;
                    s.after_colon = false;
                }
                byte if byte.is_ascii_whitespace() => {}
                _ => s.after_colon = false,
            }
            if self.envelope.len() > MAX_ENVELOPE_BYTES {
                return Err(ParseError::Schema(format!(
                    "the envelope is longer than {MAX_ENVELOPE_BYTES} bytes"
                )));
            }
        }
        Ok(pos)
    }
}

/// Whether the JSON value at the start of `input` ends within it (strings
/// and nesting followed; for telling a cut piece from a broken record).
fn value_ends_in(input: &[u8]) -> bool {
    let (mut depth, mut in_string, mut escape) = (0_u32, false, false);
    for (index, &byte) in input.iter().enumerate() {
        if in_string {
            if escape {
                escape = false;
            } else if byte == b'\\' {
                escape = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return true;
                }
            }
            // A scalar ends at a separator.
            b',' | b' ' | b'\n' | b'\r' | b'\t' if depth == 0 && index > 0 => return true,
            _ => {}
        }
    }
    false
}

fn truncated() -> ParseError {
    malformed("JSON", "the body ended in the middle of the answer")
}

/// An integer sent as a number or as a numeric string; null is `None`.
fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    struct Integer;
    impl<'de> Visitor<'de> for Integer {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer or a string holding one")
        }
        fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
            Ok(Some(value))
        }
        fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
            i64::try_from(value)
                .map(Some)
                .map_err(|_| E::custom(format!("{value} is not a valid integer")))
        }
        fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
            Err(E::custom(format!("{value} is not a valid integer")))
        }
        fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
            value
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| E::custom(format!("'{value}' is not a valid integer")))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    deserializer.deserialize_any(Integer)
}

/// A finite number, also sent as a numeric string; anything else is `None`
/// (the caller decides whether that is an error).
fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    struct Number;
    impl<'de> Visitor<'de> for Number {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number")
        }
        fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
            Ok(Some(value as f64))
        }
        fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
            Ok(Some(value as f64))
        }
        fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
            Ok(value.is_finite().then_some(value))
        }
        fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
            Ok(value.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<de::IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map
                .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                .is_some()
            {}
            Ok(None)
        }
    }
    deserializer.deserialize_any(Number)
}

/// A string, trimmed, borrowed when the JSON allows; numbers become their
/// digits (codes arrive both ways); null is `None`.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    struct Text;
    impl<'de> Visitor<'de> for Text {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(value.trim())))
        }
        fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(value.trim().to_owned())))
        }
        fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
            Ok(Some(match value.trim() {
                trimmed if trimmed.len() == value.len() => Cow::Owned(value),
                trimmed => Cow::Owned(trimmed.to_owned()),
            }))
        }
        fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(value.to_string())))
        }
        fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(value.to_string())))
        }
        fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
            Ok(Some(Cow::Owned(value.to_string())))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    deserializer.deserialize_any(Text)
}

#[cfg(test)]
mod tests;
