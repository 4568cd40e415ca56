use super::*;

/// A small dataset in the file format, shared with the store tests.
const SMALL: &str = include_str!("small_fixture.toml");

#[track_caller]
fn problem(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("expected the dataset to be rejected"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn the_built_in_dataset_parses_and_checks() {
    let seed = builtin().unwrap_or_else(|e| panic!("data/builtin.toml: {e}"));
    assert!(seed.dataset.agreements.contains_key("kor-khm"));
    assert_eq!(seed.sha256.len(), 64);
}

#[test]
fn the_built_in_dataset_ships_nothing_that_may_not_be_redistributed() {
    // Parsing refuses any source published by UN Comtrade, WITS or the OEC
    // (`a_source_published_by_comtrade_wits_or_the_oec_is_refused_whatever_its_url`),
    // so the built-in dataset parsing is the proof that it quotes none.
    let seed = builtin().unwrap_or_else(|e| panic!("data/builtin.toml: {e}"));
    assert!(
        seed.dataset
            .trade
            .iter()
            .flat_map(|t| &t.sources)
            .all(|s| s.redistributable)
    );
}

#[test]
fn a_source_published_by_comtrade_wits_or_the_oec_is_refused_whatever_its_url() {
    // The fixture's one source, under its harmless URL, with another publisher.
    let publisher = r#"publisher = "Korea Herald""#;
    for restricted in [
        "UN Comtrade",
        "United Nations COMTRADE database",
        "World Integrated Trade Solution (WITS)",
        "wits",
        "The Observatory of Economic Complexity",
        "OEC World",
    ] {
        let text = SMALL.replace(publisher, &format!(r#"publisher = "{restricted}""#));
        let problem = problem(&text);
        assert!(
            problem.starts_with("source 'herald': published by")
                && problem.contains(restricted)
                && problem.contains("may not be redistributed"),
            "{restricted}: {problem}"
        );
    }
    // The same source served from Comtrade's host, under a harmless publisher.
    let text = SMALL.replace(
        "http://www.koreaherald.com/view.php",
        "https://comtradeplus.un.org/TradeFlow",
    );
    assert!(
        problem(&text).starts_with("source 'herald': served by UN Comtrade"),
        "{}",
        problem(&text)
    );
    // Publishers that only look alike are not refused.
    parse(&SMALL.replace(publisher, r#"publisher = "OECD""#)).expect("OECD is not the OEC");
}

#[test]
fn parses_events_in_order_with_their_conflicts() {
    let seed = parse(SMALL).expect("valid");
    let khm = &seed.dataset.agreements["kor-khm"];
    let kinds: Vec<_> = khm.events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::Launched, EventKind::Round],
        "chronological"
    );
    let round = &khm.events[1];
    assert_eq!(round.round_number, Some(2));
    assert_eq!(
        round.conflicts[0].end.map(|d| d.to_string()).as_deref(),
        Some("2020-09-02")
    );
    assert_eq!(seed.dataset.trade[0].total_usd, Some(1_033_000_000.0));
    let points = &seed.dataset.indicator_series[0].points;
    assert_eq!(points[0].0, 2011, "points sorted by year");
}

#[test]
fn the_digest_changes_with_the_text() {
    let a = parse(SMALL).expect("valid");
    let b = parse(&SMALL.replace("test-1", "test-2")).expect("valid");
    assert_ne!(a.sha256, b.sha256);
}

#[test]
fn rejects_an_undeclared_source() {
    let text = SMALL.replace(
        r#"sources = ["herald"]
points"#,
        r#"sources = ["nowhere"]
points"#,
    );
    assert!(problem(&text).contains("source 'nowhere' is not declared"));
}

#[test]
fn rejects_a_date_with_invented_precision_errors() {
    let text = SMALL.replace(r#"start = "2020-07-09""#, r#"start = "2020-7-9""#);
    assert!(problem(&text).contains("event"), "{}", problem(&text));
}

#[test]
fn rejects_unknown_fields_and_event_kinds() {
    assert!(
        problem(&SMALL.replace("kind = \"launched\"", "kind = \"launch\""))
            .contains("unknown event kind")
    );
    assert!(
        problem(&SMALL.replace("kind = \"FTA\"", "kind = \"FTA\"\ncolour = \"red\""))
            .contains("colour")
    );
}

#[test]
fn rejects_parties_that_are_not_declared_economies() {
    let text = SMALL.replace(r#"parties = ["KOR", "KHM"]"#, r#"parties = ["KOR", "XXX"]"#);
    assert!(problem(&text).contains("'XXX' is not a declared economy"));
}

#[test]
fn rejects_events_listed_out_of_order() {
    let text = SMALL.replace(r#"start = "2020-07-09""#, r#"start = "2020-12-09""#);
    assert!(problem(&text).contains("dated before the event listed ahead of it"));
}

#[test]
fn rejects_another_format() {
    assert!(matches!(
        parse(&SMALL.replace("format = 1", "format = 2")),
        Err(SeedError::Format { found: 2 })
    ));
}

#[test]
fn rejects_round_numbers_on_other_events() {
    let text = SMALL.replace("kind = \"launched\"", "kind = \"launched\"\nround = 1");
    assert!(problem(&text).contains("round number"));
}
