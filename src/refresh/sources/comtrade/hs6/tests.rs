use super::*;

fn spec(cap: u64) -> PageSpec {
    PageSpec {
        url: "http://upstream.test/data/v1/get/C/A/HS?…".into(),
        reporter: EconomyCode::parse("KOR").expect("code"),
        year: 2022,
        flows: vec![TradeFlow::Export],
        partners: vec![
            (116, EconomyCode::parse("KHM").expect("code")),
            (704, EconomyCode::parse("VNM").expect("code")),
        ],
        cap,
        current_year: 2026,
        source: crate::test_support::source("comtrade-test"),
    }
}

fn record(partner: u32, flow: &str, cmd: &str, level: u8, value: f64) -> String {
    format!(
        r#"{{"typeCode":"C","freqCode":"A","refYear":2022,"refMonth":52,"period":"2022","reporterCode":410,"reporterISO":"KOR","flowCode":"{flow}","partnerCode":{partner},"cmdCode":"{cmd}","cmdDesc":"product {cmd}","aggrLevel":{level},"primaryValue":{value}}}"#
    )
}

fn body(records: &[String]) -> Vec<u8> {
    format!(
        r#"{{"elapsedTime":"1 secs","count":{},"data":[{}],"error":""}}"#,
        records.len(),
        records.join(",")
    )
    .into_bytes()
}

/// Feeds `messages` to the page reader and returns what it made.
fn read(spec: &PageSpec, messages: Vec<PageMessage>) -> Result<ProductPage, PageError> {
    let (sender, receiver) = mpsc::channel(messages.len() + 1);
    for message in messages {
        sender.try_send(message).expect("room");
    }
    drop(sender);
    read_page(receiver, spec)
}

fn pieces(body: &[u8], size: usize) -> Vec<PageMessage> {
    body.chunks(size)
        .map(|piece| PageMessage::Pieces(vec![Bytes::copy_from_slice(piece)]))
        .collect()
}

#[test]
fn a_retried_body_is_read_once_and_skips_what_is_not_a_product_line() {
    let records = [
        record(116, "X", "870321", 6, 5.0),
        record(704, "X", "870321", 6, 7.0),
        record(116, "X", "TOTAL", 0, 12.0),
        record(116, "RX", "870321", 6, 1.0),
        record(704, "X", "220210", 6, 2.0),
    ];
    let body = body(&records);
    let mut messages = vec![PageMessage::Start];
    messages.extend(pieces(&body[..body.len() / 2], 100));
    messages.push(PageMessage::Start);
    messages.extend(pieces(&body, 37));
    messages.push(PageMessage::End);
    let page = read(&spec(100), messages).expect("a page");
    let lines: Vec<(&str, String, f64, &str)> = page
        .lines
        .iter()
        .map(|l| {
            (
                page.partners[usize::from(l.partner)].as_str(),
                l.hs_code.to_string(),
                l.value_usd,
                page.descriptions[l.description as usize].as_str(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("KHM", "870321".into(), 5.0, "product 870321"),
            ("VNM", "870321".into(), 7.0, "product 870321"),
            ("VNM", "220210".into(), 2.0, "product 220210"),
        ]
    );
    assert_eq!(page.descriptions.len(), 2, "descriptions stored once");
}

#[test]
fn records_that_were_not_asked_for_are_refused() {
    for (record, needle) in [
        (
            record(4, "X", "870321", 6, 5.0),
            "asked for partners 116,704",
        ),
        (
            record(116, "M", "870321", 6, 5.0),
            "asked for X but got a record for M",
        ),
        (
            record(116, "X", "870321", 6, 5.0).replace("\"KOR\"", "\"CHN\""),
            "asked for KOR but got a record for CHN",
        ),
        (
            record(116, "X", "870321", 6, 5.0).replace("\"refYear\":2022", "\"refYear\":2021"),
            "asked for 2022 but got a record for 2021",
        ),
        (record(116, "X", "8703AB", 6, 5.0), "is not an HS code"),
        (
            record(116, "X", "870321", 6, -5.0),
            "not a plausible US dollar amount",
        ),
    ] {
        let mut messages = vec![PageMessage::Start];
        messages.extend(pieces(&body(&[record]), 64));
        messages.push(PageMessage::End);
        match read(&spec(100), messages) {
            Err(PageError::Invalid(message)) => {
                assert!(message.contains(needle), "{message} should say {needle}");
            }
            other => panic!("expected a refusal naming {needle}, got {other:?}"),
        }
    }
}

#[test]
fn an_answer_at_the_cap_is_refused_and_a_cut_one_is_aborted() {
    let records: Vec<String> = (0..3)
        .map(|i| record(116, "X", &format!("87032{i}"), 6, 1.0))
        .collect();
    let mut messages = vec![PageMessage::Start];
    messages.extend(pieces(&body(&records), 4096));
    messages.push(PageMessage::End);
    match read(&spec(3), messages) {
        Err(PageError::Invalid(message)) => assert!(message.contains("hit the cap of 3")),
        other => panic!("expected the cap, got {other:?}"),
    }
    let mut messages = vec![PageMessage::Start];
    messages.extend(pieces(&body(&records), 4096));
    assert!(matches!(
        read(&spec(100), messages),
        Err(PageError::Aborted)
    ));
    let body = body(&records);
    let mut messages = vec![PageMessage::Start];
    messages.extend(pieces(&body[..body.len() - 10], 4096));
    messages.push(PageMessage::End);
    assert!(matches!(
        read(&spec(100), messages),
        Err(PageError::Parse(ParseError::Malformed { .. }))
    ));
}
