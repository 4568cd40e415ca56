use std::path::Path;

use super::*;
use crate::refresh::parse::comtrade::Record;

/// What both readers must agree on, per record.
type Key = (i32, String, String, u32, String, String, u8, f64);

fn key_of(record: &Record) -> Key {
    (
        record.ref_year,
        record.reporter_iso.clone(),
        record.flow_code.clone(),
        record.partner_code,
        record.cmd_code.clone(),
        record.cmd_desc.clone(),
        record.aggr_level,
        record.primary_value,
    )
}

fn key_of_ref(record: &RecordRef<'_>) -> Key {
    let text = |t: &Option<Cow<'_, str>>| t.as_deref().unwrap_or_default().to_owned();
    (
        i32::try_from(record.ref_year.unwrap_or_default()).expect("fits"),
        text(&record.reporter_iso),
        text(&record.flow_code),
        u32::try_from(record.partner_code.unwrap_or_default()).expect("fits"),
        text(&record.cmd_code),
        text(&record.cmd_desc),
        u8::try_from(record.aggr_level().unwrap_or_default()).expect("fits"),
        record.primary_value.unwrap_or(f64::NAN),
    )
}

/// A record with every field `parse_data` requires.
fn rec(year: i32) -> String {
    format!(
        r#"{{"typeCode":"C","freqCode":"A","refYear":{year},"refMonth":52,"period":"{year}","reporterCode":410,"flowCode":"X","partnerCode":116,"cmdCode":"87","primaryValue":1}}"#
    )
}

/// Reads `body` cut into pieces at `cuts`.
fn stream(body: &[u8], cuts: &[usize]) -> Result<(Envelope, Vec<Key>), ParseError> {
    let mut keys = Vec::new();
    let mut on_record = |index: u64, record: RecordRef<'_>| {
        assert_eq!(index as usize, keys.len());
        keys.push(key_of_ref(&record));
        Ok(())
    };
    let mut reader = DataStream::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&body.len())) {
        reader.push(&body[start..cut], &mut on_record)?;
        start = cut;
    }
    let envelope = reader.finish(&mut on_record)?;
    Ok((envelope, keys))
}

fn whole(body: &[u8]) -> Result<(Envelope, Vec<Key>), ParseError> {
    stream(body, &[])
}

/// Every Comtrade JSON body: the recorded samples and our fixtures. A
/// missing or unreadable folder or file fails the test, and so does a count
/// other than the expected one (update it when a file is added).
fn comtrade_files() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for (dir, expected) in [
        (root.join("tests/fixtures/upstream/comtrade"), 13),
        (root.join("tests/fixtures/comtrade"), 5),
    ] {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut found = 0;
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path();
            if path.extension().is_some_and(|e| e == "json") {
                let body =
                    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                files.push((path.display().to_string(), body));
                found += 1;
            }
        }
        assert_eq!(found, expected, "JSON files in {}", dir.display());
    }
    files
}

#[test]
fn every_data_answer_reads_as_parse_data_reads_it() {
    let mut data_answers = 0;
    for (name, body) in comtrade_files() {
        match parse_data(&body) {
            Ok(expected) => {
                let (envelope, keys) =
                    whole(&body).unwrap_or_else(|e| panic!("{name}: streaming failed: {e}"));
                let expected_keys: Vec<Key> = expected.records.iter().map(key_of).collect();
                assert_eq!(keys, expected_keys, "{name}");
                assert_eq!(envelope.count, expected.count, "{name}");
                assert_eq!(envelope.records as usize, keys.len(), "{name}");
                data_answers += usize::from(!keys.is_empty());
            }
            Err(expected) => {
                // Reference lists and error bodies: the same error (a
                // reference list has no data array, which is a schema error
                // either way).
                let error = whole(&body).expect_err(&name);
                assert_eq!(
                    std::mem::discriminant(&error),
                    std::mem::discriminant(&expected),
                    "{name}: {error} vs {expected}"
                );
            }
        }
    }
    assert_eq!(data_answers, 8, "answers with records");
}

#[test]
fn any_cut_of_the_body_reads_the_same() {
    let body = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/comtrade/KOR_KHM_X_2022_HS2.json"),
    )
    .expect("fixture");
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(&body);
    for body in [body, with_bom] {
        let expected = whole(&body).expect("reads");
        assert_eq!(expected.1.len(), 8);
        for cut in 0..=body.len() {
            assert_eq!(
                stream(&body, &[cut]).expect("reads"),
                expected,
                "cut at {cut}"
            );
        }
        // Byte by byte.
        let cuts: Vec<usize> = (1..body.len()).collect();
        assert_eq!(stream(&body, &cuts).expect("reads"), expected);
    }
}

#[test]
fn escapes_are_unescaped_and_codes_may_be_numbers() {
    let body = br#"{"count":2,"data":[{"typeCode":"C","freqCode":"A","refMonth":52,"period":2022,"refYear":"2022","reporterCode":410,"reporterISO":"KOR ","flowCode":"X","partnerCode":116,"cmdCode":870321,"cmdDesc":"Cars \"small\" \u00e9","aggrLevel":6,"primaryValue":"12.5"},
        {"typeCode":"C","freqCode":"A","refMonth":52,"period":"2022","refYear":2022,"reporterCode":410,"flowCode":"M","partnerCode":116,"cmdCode":"87","primaryValue":3}],"error":""}"#;
    let mut seen = Vec::new();
    let mut on_record = |_: u64, record: RecordRef<'_>| {
        seen.push((
            record.reporter_iso.as_deref().map(str::to_owned),
            record.cmd_code.as_deref().map(str::to_owned),
            record.cmd_desc.as_deref().map(str::to_owned),
            record.aggr_level(),
            record.primary_value,
        ));
        Ok(())
    };
    let mut reader = DataStream::new();
    reader.push(body, &mut on_record).expect("reads");
    let envelope = reader.finish(&mut on_record).expect("ends");
    assert_eq!(
        envelope,
        Envelope {
            count: 2,
            records: 2
        }
    );
    assert_eq!(
        seen,
        [
            (
                Some("KOR".into()),
                Some("870321".into()),
                Some("Cars \"small\" é".into()),
                Some(6),
                Some(12.5)
            ),
            (None, Some("87".into()), None, Some(2), Some(3.0)),
        ]
    );
}

#[test]
fn a_missing_count_is_the_records_read() {
    let body = format!(r#"{{"data":[{}],"error":""}}"#, rec(2022));
    assert_eq!(
        whole(body.as_bytes()).expect("reads").0,
        Envelope {
            count: 1,
            records: 1
        }
    );
}

#[test]
fn the_count_comes_from_the_envelope_wherever_it_is() {
    let body = format!(r#"{{"data":[{}],"error":"","count":100000}}"#, rec(2022));
    assert_eq!(
        whole(body.as_bytes()).expect("reads").0,
        Envelope {
            count: 100_000,
            records: 1
        }
    );
}

#[test]
fn envelope_and_gateway_errors_are_upstream_errors() {
    let error = br#"{"elapsedTime":"0.01 secs","count":0,"data":[],"error":"Invalid period"}"#;
    assert!(matches!(whole(error), Err(ParseError::Upstream { code, .. }) if code == "envelope"));
    let gateway =
        br#"{"statusCode":429,"message":"Rate limit is exceeded. Try again in 1 seconds."}"#;
    assert!(matches!(whole(gateway), Err(ParseError::Upstream { code, .. }) if code == "429"));
}

#[test]
fn broken_bodies_are_malformed_html_or_schema_errors() {
    let body = format!(r#"{{"count":1,"data":[{}],"error":""}}"#, rec(2022));
    let body = body.as_bytes();
    for cut in [1, 10, 20, 30, 100, body.len() - 1] {
        assert!(
            matches!(whole(&body[..cut]), Err(ParseError::Malformed { .. })),
            "cut at {cut}: {:?}",
            whole(&body[..cut])
        );
    }
    assert!(matches!(
        whole(b"<html><head><title>Request URL Too Long</title></head></html>"),
        Err(ParseError::Html { title }) if title == "Request URL Too Long"
    ));
    assert!(matches!(whole(b"[]"), Err(ParseError::Schema(_))));
    assert!(matches!(whole(b""), Err(ParseError::Malformed { .. })));
    let r = rec(2022);
    for body in [
        format!(r#"{{"data":[{r}] "error":""}}"#),
        format!(r#"{{"data":[{r}{r}]}}"#),
        format!(r#"{{"data":[{r}]}} x"#),
        r#"{"data":[]}{"data":[]}"#.to_owned(),
        format!(
            r#"{{"data":[{}]}}"#,
            r.replace(r#""primaryValue":1"#, r#""primaryValue":1.e"#)
        ),
    ] {
        assert!(
            matches!(whole(body.as_bytes()), Err(ParseError::Malformed { .. })),
            "{body}: {:?}",
            whole(body.as_bytes())
        );
    }
    let twice = format!(r#"{{"data":[],"more":{{"data":[1]}},"data":[{r}]}}"#);
    assert!(matches!(
        whole(twice.as_bytes()),
        Err(ParseError::Schema(_))
    ));
}

#[test]
fn a_bad_record_names_its_index() {
    let bad_year = rec(2022).replace(r#""refYear":2022"#, r#""refYear":"twenty""#);
    let no_value = rec(2022).replace(r#""primaryValue":1"#, r#""primaryValue":null"#);
    for (body, needle) in [
        (
            format!(r#"{{"data":[{},{bad_year}]}}"#, rec(2022)),
            "record 1: ",
        ),
        (format!(r#"{{"data":[{},7]}}"#, rec(2022)), "record 1: "),
        (
            format!(r#"{{"data":[{},{no_value}]}}"#, rec(2022)),
            "record 1: primaryValue is null or missing",
        ),
    ] {
        match whole(body.as_bytes()) {
            Err(ParseError::Schema(detail)) => assert!(detail.starts_with(needle), "{detail}"),
            other => panic!("expected a schema error, got {other:?}"),
        }
    }
}

#[test]
fn a_huge_record_is_refused_without_reading_it_whole() {
    let mut body = br#"{"data":[{"cmdDesc":""#.to_vec();
    body.extend(std::iter::repeat_n(b'x', MAX_RECORD_BYTES * 2));
    let mut reader = DataStream::new();
    let mut on_record = |_: u64, _: RecordRef<'_>| Ok(());
    let mut result = Ok(());
    for piece in body.chunks(8192) {
        result = reader.push(piece, &mut on_record);
        if result.is_err() {
            break;
        }
    }
    assert!(matches!(result, Err(ParseError::Schema(d)) if d.contains("longer than")));
}

#[test]
fn a_callback_error_stops_the_stream() {
    let body = format!(r#"{{"data":[{},{}]}}"#, rec(2022), rec(2023));
    let mut reader = DataStream::new();
    let mut on_record = |_: u64, record: RecordRef<'_>| {
        if record.ref_year == Some(2023) {
            Err(ParseError::Schema("wrong year".into()))
        } else {
            Ok(())
        }
    };
    assert_eq!(
        reader.push(body.as_bytes(), &mut on_record),
        Err(ParseError::Schema("wrong year".into()))
    );
}
