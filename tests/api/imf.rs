//! The IMF source for every partner: a configured reporter's trade with
//! every partner from both sides (its own figures and every partner's
//! mirror), asked for with SDMX key wildcards, and `--reporters all` as the
//! whole matrix a year at a time. The IMF is played by wiremock on loopback
//! with the fixtures in `tests/fixtures/imf` (see their README); the
//! conformance part reads them and the recorded CL_COUNTRY code list.

use std::collections::BTreeSet;

use tonic::Code;
use tradepact::config::{Secret, Settings};
use tradepact::grpc::pb;
use tradepact::grpc::pb::RunState;
use tradepact::refresh::parse::imf;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::{
    TestApp, assert_close, assert_status, finished_run, spawn_app_with, with_bearer,
};
use crate::upstream::{self, IMF_KHM_KOR, IMF_KOR_OWN, Upstream, json};

const TOKEN: &str = "test-admin-token";
const MILLION: f64 = 1e6;
const CENT: f64 = 0.01;
/// The matrix query of `--reporters all`: every economy, every partner.
const IMF_MATRIX: &str = "/imf/data/dataflow/IMF.STA/IMTS/+/*.XG_FOB_USD+MG_CIF_USD.*.A";
/// The time filter parameter every IMF request carries.
const TIME_FILTER: &str = "c[TIME_PERIOD]";

const KOR_ALL_PARTNERS: &str = "imf/IMTS_KOR_XG_FOB_USD+MG_CIF_USD_all-partners_A_2019-2023.json";
const ALL_REPORTERS_KOR: &str = "imf/IMTS_all-reporters_XG_FOB_USD+MG_CIF_USD_KOR_A_2019-2023.json";
const MATRIX_2022: &str = "imf/IMTS_all_XG_FOB_USD+MG_CIF_USD_all_A_2022.json";
const NO_SERIES: &str = "imf/IMTS_all_XG_FOB_USD+MG_CIF_USD_all_A__no_series.json";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Every source at `upstream`, the admin token, complete years back to
/// 2021, fast retries, no rate limit.
fn base(upstream: &Upstream, settings: &mut Settings) {
    upstream.point(settings);
    settings.admin_token = Some(Secret::new(TOKEN));
    let refresh = &mut settings.refresh;
    refresh.years = upstream::years_back_to(2021);
    refresh.http_attempts = 2;
    refresh.http_backoff_ms = 10;
    refresh.http_timeout_secs = 5;
    refresh.request_interval_ms = 0;
}

async fn app_with(upstream: &Upstream, configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(|settings| {
        base(upstream, settings);
        configure(settings);
    })
    .await
}

async fn trigger(app: &TestApp, source: &str) -> pb::RefreshRun {
    let started = app
        .refresh
        .clone()
        .trigger_refresh(with_bearer(
            pb::TriggerRefreshRequest {
                source: source.into(),
            },
            TOKEN,
        ))
        .await
        .unwrap_or_else(|status| panic!("TriggerRefresh({source}): {status:?}"))
        .into_inner();
    finished_run(app, started).await
}

#[track_caller]
fn assert_succeeded(run: &pb::RefreshRun) {
    assert_eq!(run.state(), RunState::Succeeded, "run: {run:?}");
}

async fn try_bilateral(
    app: &TestApp,
    reporter: &str,
    partner: &str,
) -> Result<pb::GetBilateralTradeResponse, tonic::Status> {
    app.trade
        .clone()
        .get_bilateral_trade(pb::GetBilateralTradeRequest {
            reporter: reporter.into(),
            partner: partner.into(),
            start_year: 0,
            end_year: 0,
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn bilateral(app: &TestApp, reporter: &str, partner: &str) -> pb::GetBilateralTradeResponse {
    try_bilateral(app, reporter, partner)
        .await
        .unwrap_or_else(|status| panic!("GetBilateralTrade {reporter}-{partner}: {status:?}"))
}

#[track_caller]
fn year(years: &[pb::TradeYear], wanted: i32) -> &pb::TradeYear {
    years
        .iter()
        .find(|y| y.year == wanted)
        .unwrap_or_else(|| panic!("no figures for {wanted} in {years:?}"))
}

/// Asserts a year's figures: who reports them, the IMF as their source,
/// exports and imports in US$ millions as the requesting side sees them.
#[track_caller]
fn assert_imf_year(year: &pb::TradeYear, reported_by: &str, exports: f64, imports: f64) {
    assert_eq!(year.reported_by, reported_by, "{year:?}");
    assert!(
        year.sources
            .iter()
            .any(|s| s.publisher == "International Monetary Fund"),
        "an IMF figure: {year:?}"
    );
    assert_close(year.exports_usd, exports * MILLION, CENT);
    assert_close(year.imports_usd, imports * MILLION, CENT);
}

/// (path, time filter) of every request the IMF mock received.
async fn imf_requests(upstream: &Upstream) -> Vec<(String, String)> {
    upstream
        .server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path().starts_with("/imf/"))
        .map(|r| {
            let filter = r
                .url
                .query_pairs()
                .find(|(name, _)| name == TIME_FILTER)
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default();
            (r.url.path().to_owned(), filter)
        })
        .collect()
}

fn years_filter(first: i32, last: i32) -> String {
    format!("ge:{first}-A1+le:{last}-A1")
}

/// The last complete year, which the sources fetch up to.
fn last_complete_year() -> i32 {
    use chrono::Datelike;
    chrono::Utc::now().year() - 1
}

// ---------------------------------------------------------------------------
// A configured reporter: both sides, every partner
// ---------------------------------------------------------------------------

/// Mounts Korea's two queries: its own figures and everyone's on Korea.
async fn mount_korea(upstream: &Upstream) {
    for (query, body) in [
        (IMF_KOR_OWN, KOR_ALL_PARTNERS),
        (IMF_KHM_KOR, ALL_REPORTERS_KOR),
    ] {
        Mock::given(method("GET"))
            .and(path(query))
            .and(query_param(
                TIME_FILTER,
                years_filter(2021, last_complete_year()),
            ))
            .respond_with(json(upstream::fixture(body)))
            .expect(1)
            .mount(&upstream.server)
            .await;
    }
}

#[tokio::test]
async fn a_korea_refresh_answers_korea_with_any_partner_from_both_sides() {
    let upstream = Upstream::start().await;
    mount_korea(&upstream).await;
    let app = app_with(&upstream, |settings| {
        settings.refresh.reporters = vec!["KOR".into()];
    })
    .await;
    assert_status(
        try_bilateral(&app, "KOR", "VNM").await,
        Code::NotFound,
        "no bilateral figures",
    );

    let run = trigger(&app, "imf").await;
    assert_succeeded(&run);
    // Korea's figures on CHN, JPN, KHM, USA and VNM, and those of CHN, KHM,
    // USA and VNM on Korea, 2019–2023; the aggregates (G001, G998, U142)
    // and WBG, which no economy of the dataset stands for, left out.
    assert_eq!(run.rows, (5 + 4) * 5, "{run:?}");
    let requests = imf_requests(&upstream).await;
    let years = years_filter(2021, last_complete_year());
    assert_eq!(
        requests.iter().collect::<BTreeSet<_>>(),
        BTreeSet::from([
            &(IMF_KOR_OWN.to_owned(), years.clone()),
            &(IMF_KHM_KOR.to_owned(), years)
        ]),
        "one request per side, every partner at once"
    );

    let vietnam = bilateral(&app, "KOR", "VNM").await;
    assert_imf_year(year(&vietnam.years, 2023), "KOR", 53_480.0, 25_795.0);
    // Viet Nam's own figures, seen from Korea: its imports are Korea's exports.
    assert_imf_year(year(&vietnam.mirror_years, 2023), "VNM", 52_506.0, 23_473.0);
    assert_eq!(vietnam.years.len(), 5, "2019–2023");
    assert_eq!(vietnam.mirror_years.len(), 5, "2019–2023");

    let china = bilateral(&app, "KOR", "CHN").await;
    assert_imf_year(year(&china.years, 2022), "KOR", 155_789.0, 154_576.0);
    assert_imf_year(year(&china.mirror_years, 2022), "CHN", 199_695.0, 162_620.0);

    // Japan publishes nothing on Korea here: Korea's side only.
    let japan = bilateral(&app, "KOR", "JPN").await;
    assert_imf_year(year(&japan.years, 2019), "KOR", 28_420.0, 47_581.0);
    assert!(japan.mirror_years.is_empty(), "{japan:?}");

    // The pair asked the other way round: Viet Nam's figures lead.
    let from_vietnam = bilateral(&app, "VNM", "KOR").await;
    assert_imf_year(year(&from_vietnam.years, 2023), "VNM", 23_473.0, 52_506.0);
    assert_imf_year(
        year(&from_vietnam.mirror_years, 2023),
        "KOR",
        25_795.0,
        53_480.0,
    );

    // Cambodia's mirror figures, as before this source covered every partner.
    let cambodia = bilateral(&app, "KOR", "KHM").await;
    assert_imf_year(year(&cambodia.mirror_years, 2023), "KHM", 470.25, 281.14);
    app.stop().await;
    upstream.server.verify().await;
}

#[tokio::test]
async fn sdmx_no_results_is_no_figures_but_a_bare_404_fails_the_run() {
    let upstream = Upstream::start().await;
    // SDMX REST's "no results" (error 100 with 404) for Korea's own query.
    let no_results =
        br#"{"errors":[{"code":100,"title":"No Results Found","detail":"No data for the query"}]}"#;
    Mock::given(method("GET"))
        .and(path(IMF_KOR_OWN))
        .respond_with(
            ResponseTemplate::new(404).set_body_raw(no_results.to_vec(), "application/json"),
        )
        .mount(&upstream.server)
        .await;
    Mock::given(method("GET"))
        .and(path(IMF_KHM_KOR))
        .respond_with(json(upstream::fixture(ALL_REPORTERS_KOR)))
        .mount(&upstream.server)
        .await;
    let app = app_with(&upstream, |_| {}).await;

    let run = trigger(&app, "imf").await;
    assert_succeeded(&run);
    assert_eq!(run.rows, 4 * 5, "the mirror side only: {run:?}");
    let vietnam = bilateral(&app, "KOR", "VNM").await;
    assert!(vietnam.years.is_empty(), "{vietnam:?}");
    assert_imf_year(year(&vietnam.mirror_years, 2020), "VNM", 46_899.0, 19_106.0);

    // Nothing mounted for Viet Nam's queries: wiremock's bare 404.
    let app_vnm = app_with(&upstream, |settings| {
        settings.refresh.reporters = vec!["VNM".into()];
    })
    .await;
    let run = trigger(&app_vnm, "imf").await;
    assert_eq!(run.state(), RunState::Failed, "{run:?}");
    assert!(run.error.contains("404"), "{run:?}");
    app_vnm.stop().await;
    app.stop().await;
}

// ---------------------------------------------------------------------------
// --reporters all
// ---------------------------------------------------------------------------

#[tokio::test]
async fn reporters_all_asks_for_the_matrix_with_wildcards_a_year_at_a_time() {
    let upstream = Upstream::start().await;
    Mock::given(method("GET"))
        .and(path(IMF_MATRIX))
        .and(query_param(TIME_FILTER, years_filter(2022, 2022)))
        .respond_with(json(upstream::fixture(MATRIX_2022)))
        .expect(1)
        .mount(&upstream.server)
        .await;
    Mock::given(method("GET"))
        .and(path(IMF_MATRIX))
        .respond_with(json(upstream::fixture(NO_SERIES)))
        .with_priority(10)
        .mount(&upstream.server)
        .await;
    let app = app_with(&upstream, |settings| {
        settings.refresh.reporters = vec!["all".into()];
    })
    .await;

    let run = trigger(&app, "imf").await;
    assert_succeeded(&run);
    // Every ordered pair of CHN, KHM, KOR and VNM, 2022; World and Asia
    // left out.
    assert_eq!(run.rows, 12, "{run:?}");
    let expected: Vec<(String, String)> = (2021..=last_complete_year())
        .map(|y| (IMF_MATRIX.to_owned(), years_filter(y, y)))
        .collect();
    assert_eq!(
        imf_requests(&upstream).await,
        expected,
        "one wildcard request a year, no request per economy"
    );

    // A pair without Korea.
    let vietnam_china = bilateral(&app, "VNM", "CHN").await;
    assert_imf_year(year(&vietnam_china.years, 2022), "VNM", 57_700.0, 117_870.0);
    assert_imf_year(
        year(&vietnam_china.mirror_years, 2022),
        "CHN",
        87_960.0,
        147_960.0,
    );
    let cambodia_vietnam = bilateral(&app, "KHM", "VNM").await;
    assert_imf_year(year(&cambodia_vietnam.years, 2022), "KHM", 2_080.0, 4_370.0);
    let korea_china = bilateral(&app, "KOR", "CHN").await;
    assert_imf_year(year(&korea_china.years, 2022), "KOR", 155_789.0, 154_576.0);

    // Comtrade, asked one reporter at a time, cannot cover every economy:
    // it is skipped and says why, and asks nothing.
    let comtrade = trigger(&app, "comtrade").await;
    assert_eq!(comtrade.state(), RunState::Skipped, "{comtrade:?}");
    assert!(comtrade.error.contains("--reporters all"), "{comtrade:?}");
    assert_eq!(upstream.requests_to("/comtrade").await, 0);
    app.stop().await;
    upstream.server.verify().await;
}

#[tokio::test]
async fn reporters_all_next_to_codes_is_a_configuration_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    for reporters in [vec!["all", "KOR"], vec!["KOR", "ALL"]] {
        let mut settings = Settings::for_tests(dir.path().join("t.db"));
        settings.refresh.reporters = reporters.iter().map(|r| (*r).to_owned()).collect();
        let error = tradepact::startup::check(&settings).expect_err("refused");
        assert!(error.starts_with("--reporters:"), "{error}");
    }
    let mut settings = Settings::for_tests(dir.path().join("t.db"));
    settings.refresh.reporters = vec!["all".into()];
    assert_eq!(tradepact::startup::check(&settings), Ok(()));
}

// ---------------------------------------------------------------------------
// Conformance: the fixtures and the recorded code list
// ---------------------------------------------------------------------------

/// The codes of a dimension over every series of an answer.
fn codes_of(series: &[imf::Series], dimension: &str) -> BTreeSet<String> {
    series
        .iter()
        .filter_map(|s| s.dimensions.get(dimension).cloned())
        .collect()
}

#[test]
fn the_wildcard_fixtures_parse_into_many_partners() {
    let own = imf::parse_sdmx_json(&upstream::fixture(KOR_ALL_PARTNERS)).expect("parses");
    assert_eq!(own.len(), 9 * 2, "nine partners, two flows");
    assert_eq!(
        codes_of(&own, "COUNTRY"),
        BTreeSet::from(["KOR".to_owned()])
    );
    assert!(own.iter().all(|s| s.scale() == 6));

    let mirror = imf::parse_sdmx_json(&upstream::fixture(ALL_REPORTERS_KOR)).expect("parses");
    assert_eq!(mirror.len(), 6 * 2);
    assert_eq!(
        codes_of(&mirror, "COUNTERPART_COUNTRY"),
        BTreeSet::from(["KOR".to_owned()])
    );

    let matrix = imf::parse_sdmx_json(&upstream::fixture(MATRIX_2022)).expect("parses");
    assert!(matrix.len() > 30, "{}", matrix.len());
    assert!(
        matrix
            .iter()
            .flat_map(|s| &s.observations)
            .all(|o| o.period == "2022")
    );

    let empty = imf::parse_sdmx_json(&upstream::fixture(NO_SERIES)).expect("parses");
    assert!(empty.is_empty());
}

/// Every area code the fixtures use is one the IMF's recorded CL_COUNTRY
/// holds, and those it names as aggregates are the ones the adapter skips.
#[test]
fn fixture_area_codes_are_recorded_cl_country_codes() {
    let list = upstream::json_value(&upstream::sample(
        "imf/api.imf.org_sdmx3_structure_codelist_IMF_CL_COUNTRY.json",
    ));
    let recorded: Vec<(String, String)> = list["data"]["codelists"][0]["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or_default().to_owned(),
                c["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let name_of = |code: &str| {
        recorded
            .iter()
            .find(|(id, _)| id == code)
            .map(|(_, name)| name.as_str())
            .unwrap_or_else(|| panic!("{code} is not in the recorded CL_COUNTRY"))
    };
    assert_eq!(name_of("G001"), "World");
    let mut used = BTreeSet::new();
    for fixture in [KOR_ALL_PARTNERS, ALL_REPORTERS_KOR, MATRIX_2022] {
        let series = imf::parse_sdmx_json(&upstream::fixture(fixture)).expect("parses");
        used.extend(codes_of(&series, "COUNTRY"));
        used.extend(codes_of(&series, "COUNTERPART_COUNTRY"));
    }
    for code in &used {
        let name = name_of(code);
        let aggregate = imf::is_aggregate_code(code);
        assert_eq!(
            aggregate,
            ["G001", "G998", "U142"].contains(&code.as_str()),
            "{code} ({name})"
        );
    }
    // The recorded list's aggregates all follow the G…/U… convention the
    // adapter relies on, and no alpha-3 code does.
    for (code, name) in &recorded {
        let alpha_3 = code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase());
        assert_eq!(imf::is_aggregate_code(code), !alpha_3, "{code} ({name})");
    }
}
