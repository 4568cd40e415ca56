use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use crate::domain::{EconomyCode, EconomyKind, Source, TradeFigure, registry};
use crate::refresh::parse::imf::{Observation, Series, is_aggregate_code};

use super::figures::{Area, Mapper, Side, area};
use super::{Imf, Reporters, SourceSettings, imf_code};

fn code(text: &str) -> EconomyCode {
    EconomyCode::parse(text).expect("a code")
}

fn imf(reporters: Reporters) -> Imf {
    Imf {
        settings: SourceSettings {
            base_url: "http://127.0.0.1:9/imf/".into(),
            schedule: "0 10 3 * * *".into(),
            max_age: Duration::from_secs(3600),
            min_interval: Duration::ZERO,
            key: None,
        },
        reporters,
        first_year: 2021,
        last_year: 2025,
    }
}

/// The path and query of every URL the source would ask for.
fn urls(source: &Imf) -> Vec<String> {
    source
        .queries()
        .iter()
        .map(|query| {
            source
                .url(query)
                .trim_start_matches("http://127.0.0.1:9/imf/data/dataflow/IMF.STA/IMTS/+/")
                .to_owned()
        })
        .collect()
}

const FILTER: &str =
    "?dimensionAtObservation=TIME_PERIOD&attributes=dsd&measures=all&c%5BTIME_PERIOD%5D=";

#[test]
fn each_listed_reporter_is_two_wildcard_queries() {
    let source = imf(Reporters::Listed(vec![code("KOR"), code("VNM")]));
    let years = "ge%3A2021-A1%2Ble%3A2025-A1";
    assert_eq!(
        urls(&source),
        [
            format!("KOR.XG_FOB_USD+MG_CIF_USD.*.A{FILTER}{years}"),
            format!("*.XG_FOB_USD+MG_CIF_USD.KOR.A{FILTER}{years}"),
            format!("VNM.XG_FOB_USD+MG_CIF_USD.*.A{FILTER}{years}"),
            format!("*.XG_FOB_USD+MG_CIF_USD.VNM.A{FILTER}{years}"),
        ]
    );
}

#[test]
fn every_economy_is_the_matrix_one_year_a_request() {
    let source = imf(Reporters::Every);
    let expected: Vec<String> = (2021..=2025)
        .map(|year| format!("*.XG_FOB_USD+MG_CIF_USD.*.A{FILTER}ge%3A{year}-A1%2Ble%3A{year}-A1"))
        .collect();
    assert_eq!(urls(&source), expected);
}

#[test]
fn keys_use_the_code_the_imf_knows() {
    assert_eq!(imf_code(&code("KOR")), "KOR");
    assert_eq!(imf_code(&code("XKX")), "KOS", "CL_COUNTRY's Kosovo");
    let source = imf(Reporters::Listed(vec![code("XKX")]));
    assert!(urls(&source)[0].starts_with("KOS.XG_FOB_USD"));
}

/// Every current ISO economy of the registry: what the built-in dataset
/// declares.
fn iso_economies() -> Arc<HashSet<EconomyCode>> {
    Arc::new(
        registry()
            .economies()
            .iter()
            .filter(|e| e.kind == EconomyKind::Iso)
            .map(|e| e.code.clone())
            .collect(),
    )
}

fn series(country: &str, indicator: &str, counterpart: &str, values: &[(&str, f64)]) -> Series {
    let dimensions = [
        ("COUNTRY", country),
        ("INDICATOR", indicator),
        ("COUNTERPART_COUNTRY", counterpart),
        ("FREQUENCY", "A"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    Series {
        dimensions,
        attributes: BTreeMap::from([("SCALE".to_owned(), "6".to_owned())]),
        observations: values
            .iter()
            .map(|(period, value)| Observation {
                period: (*period).to_owned(),
                value: Some(*value),
            })
            .collect(),
    }
}

fn source() -> Arc<Source> {
    Arc::new(Source {
        key: "imf-test".into(),
        title: "test".into(),
        publisher: "International Monetary Fund".into(),
        url: "http://127.0.0.1:9/imf".into(),
        published: None,
        retrieved_at: None,
        license: "test".into(),
        redistributable: true,
    })
}

fn keys(figures: &[TradeFigure]) -> Vec<(String, String, i32)> {
    figures
        .iter()
        .map(|f| (f.reporter.to_string(), f.partner.to_string(), f.year))
        .collect()
}

fn korea() -> Side {
    Side::Reported(code("KOR"), "KOR".into())
}

#[test]
fn aggregates_and_unknown_codes_are_skipped_not_refused() {
    let answer = [
        series("KOR", "XG_FOB_USD", "VNM", &[("2023", 53_480.0)]),
        series("KOR", "MG_CIF_USD", "VNM", &[("2023", 26_706.5)]),
        series("KOR", "XG_FOB_USD", "G001", &[("2023", 632_226.0)]),
        series("KOR", "XG_FOB_USD", "G998", &[("2023", 68_100.0)]),
        series("KOR", "XG_FOB_USD", "U142", &[("2023", 400_000.0)]),
        series("KOR", "XG_FOB_USD", "WBG", &[("2023", 20.0)]),
        series("KOR", "XG_FOB_USD", "KOR", &[("2023", 1.0)]),
        series("KOR", "TBG_USD", "KHM", &[("2023", 1.0)]),
    ];
    let mut mapper = Mapper::new(iso_economies());
    let figures = mapper.figures(&korea(), &answer, &source()).expect("maps");
    assert_eq!(keys(&figures), [("KOR".into(), "VNM".into(), 2023)]);
    let vnm = &figures[0];
    assert_eq!(vnm.exports_usd, Some(53_480.0e6));
    assert_eq!(vnm.imports_usd, Some(26_706.5e6));
    assert_eq!(vnm.family, "IMF-IMTS");
    assert_eq!(vnm.origin, "imf");
    assert!(vnm.preferred);
    assert_eq!(
        mapper.unknown().iter().collect::<Vec<_>>(),
        ["WBG"],
        "logged, not refused"
    );
}

#[test]
fn a_series_the_query_did_not_ask_for_is_an_error() {
    let mut mapper = Mapper::new(iso_economies());
    let cambodias = [series("KHM", "XG_FOB_USD", "KOR", &[("2023", 1.0)])];
    let error = mapper
        .figures(&korea(), &cambodias, &source())
        .expect_err("KHM's series answer no KOR.*.* query");
    assert!(error.contains("KHM with KOR"), "{error}");
    let mirror = Side::Mirror(code("KOR"), "KOR".into());
    assert!(mapper.figures(&mirror, &cambodias, &source()).is_ok());
    let stray = [series("KHM", "XG_FOB_USD", "VNM", &[("2023", 1.0)])];
    assert!(mapper.figures(&mirror, &stray, &source()).is_err());
    assert!(mapper.figures(&Side::Matrix, &stray, &source()).is_ok());
}

#[test]
fn a_figure_met_in_two_answers_is_kept_once() {
    let mut mapper = Mapper::new(iso_economies());
    let own = [series(
        "KOR",
        "XG_FOB_USD",
        "VNM",
        &[("2022", 60_900.0), ("2023", 53_480.0)],
    )];
    let first = mapper.figures(&korea(), &own, &source()).expect("maps");
    assert_eq!(first.len(), 2);
    let vietnams_mirror = [
        series(
            "KOR",
            "XG_FOB_USD",
            "VNM",
            &[("2023", 53_480.0), ("2024", 56_250.0)],
        ),
        series("CHN", "XG_FOB_USD", "VNM", &[("2023", 137_610.0)]),
    ];
    let mirror = Side::Mirror(code("VNM"), "VNM".into());
    let second = mapper
        .figures(&mirror, &vietnams_mirror, &source())
        .expect("maps");
    assert_eq!(
        keys(&second),
        [
            ("CHN".into(), "VNM".into(), 2023),
            ("KOR".into(), "VNM".into(), 2024)
        ]
    );
}

#[test]
fn only_annual_values_that_are_published_count() {
    let mut quarterly = series("KOR", "XG_FOB_USD", "VNM", &[("2023-Q1", 13_000.0)]);
    quarterly.dimensions.insert("FREQUENCY".into(), "Q".into());
    let mut unpublished = series("KOR", "MG_CIF_USD", "CHN", &[("2023", 0.0)]);
    unpublished.observations[0].value = None;
    let mut mapper = Mapper::new(iso_economies());
    let figures = mapper
        .figures(&korea(), &[quarterly, unpublished], &source())
        .expect("maps");
    assert!(figures.is_empty(), "{figures:?}");
}

/// The recorded CL_COUNTRY code list: every code is an economy, an
/// aggregate, or one of the few the registry does not map (logged and
/// skipped when met).
#[test]
fn every_recorded_cl_country_code_is_classified() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/upstream/imf/api.imf.org_sdmx3_structure_codelist_IMF_CL_COUNTRY.json"
    );
    let body = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let list: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    let codes: Vec<&str> = list["data"]["codelists"][0]["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(codes.len() > 300, "{} codes", codes.len());
    let servable = iso_economies();
    let mut unknown = Vec::new();
    for text in &codes {
        match area(text, &servable) {
            Area::Aggregate => assert!(
                is_aggregate_code(text) || registry().resolve(text).is_some(),
                "{text}"
            ),
            Area::Economy(economy) => assert_eq!(economy.as_str(), *text),
            Area::Unknown => unknown.push(*text),
        }
    }
    for aggregate in ["G001", "G998", "G450", "U142", "GASEAN"] {
        assert_eq!(area(aggregate, &servable), Area::Aggregate, "{aggregate}");
    }
    for economy in ["KOR", "KHM", "VNM", "CHN", "USA"] {
        assert_eq!(area(economy, &servable), Area::Economy(code(economy)));
    }
    // Economies the registry holds but the dataset does not declare
    // (Kosovo, the USSR and other former ones), and three it does not hold:
    // West Bank and Gaza, Curaçao and Sint Maarten together, the former
    // Yemen Arab Republic.
    let not_declared = |text: &str| {
        registry()
            .resolve(text)
            .and_then(|economy| registry().economy(economy))
            .is_some_and(|economy| economy.kind != EconomyKind::Iso)
    };
    let not_held = ["CWX", "WBG", "YAR"];
    let unexpected: Vec<_> = unknown
        .iter()
        .filter(|c| !not_declared(c) && !not_held.contains(c))
        .collect();
    assert!(unexpected.is_empty(), "unmapped: {unexpected:?}");
    assert!(
        unknown.contains(&"SUN") && unknown.contains(&"KOS"),
        "{unknown:?}"
    );
}
