//! The refresh worker end to end: every upstream played by a local wiremock
//! server (see `upstream.rs`), runs triggered through `TriggerRefresh` with
//! the admin token (or fired by a real schedule / the start-up catch-up),
//! and the results read back through the public API.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Code;
use tradepact::config::{Secret, Settings};
use tradepact::grpc::pb;
use tradepact::grpc::pb::{ChangeKind, RunState, RunTrigger, TradeFlow};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::{
    TestApp, assert_close, assert_status, finished_run, spawn_app_in_with, spawn_app_with,
    with_bearer,
};
use crate::upstream::{
    self, COMTRADE_PREVIEW, CUSTOMS_KEY, IMF_KHM_KOR, Switch, Upstream, WORLDBANK_GDP_GROWTH,
    WTO_EXPORT, json, xml,
};

const TOKEN: &str = "test-admin-token";
const MILLION: f64 = 1e6;
const CENT: f64 = 0.01;
const GDP_GROWTH: &str = "NY.GDP.MKTP.KD.ZG";
/// Upper bound for any one wait on the server.
const WAIT: Duration = Duration::from_secs(15);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Test settings: every source at `upstream`, the admin token set, complete
/// years back to 2021 (so the fixtures' 2022 and 2023 are fetched), fast
/// retries and no rate limit.
fn base(upstream: &Upstream, settings: &mut Settings) {
    upstream.point(settings);
    settings.admin_token = Some(Secret::new(TOKEN));
    let refresh = &mut settings.refresh;
    refresh.years = upstream::years_back_to(2021);
    refresh.http_attempts = 3;
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

async fn app(upstream: &Upstream) -> TestApp {
    app_with(upstream, |_| {}).await
}

/// TriggerRefresh with the admin token.
async fn try_trigger(app: &TestApp, source: &str) -> Result<pb::RefreshRun, tonic::Status> {
    let mut client = app.refresh.clone();
    client
        .trigger_refresh(with_bearer(
            pb::TriggerRefreshRequest {
                source: source.into(),
            },
            TOKEN,
        ))
        .await
        .map(tonic::Response::into_inner)
}

/// TriggerRefresh, then the run followed to its end.
async fn trigger(app: &TestApp, source: &str) -> pb::RefreshRun {
    let started = try_trigger(app, source)
        .await
        .unwrap_or_else(|status| panic!("TriggerRefresh({source}): {status:?}"));
    finished_run(app, started).await
}

/// Asserts a run's state and that its reason mentions every needle.
#[track_caller]
fn assert_run(run: &pb::RefreshRun, state: RunState, needles: &[&str]) {
    assert_eq!(run.state(), state, "run: {run:?}");
    for needle in needles {
        assert!(
            run.error.contains(needle),
            "the reason '{}' should mention '{needle}'",
            run.error
        );
    }
}

async fn bilateral(app: &TestApp) -> pb::GetBilateralTradeResponse {
    app.trade
        .clone()
        .get_bilateral_trade(pb::GetBilateralTradeRequest {
            reporter: "KOR".into(),
            partner: "KHM".into(),
            start_year: 0,
            end_year: 0,
        })
        .await
        .expect("GetBilateralTrade")
        .into_inner()
}

fn year(years: &[pb::TradeYear], wanted: i32) -> &pb::TradeYear {
    years
        .iter()
        .find(|y| y.year == wanted)
        .unwrap_or_else(|| panic!("no figures for {wanted} in {years:?}"))
}

async fn indicator(app: &TestApp, economy: &str, vintage: &str) -> pb::GetIndicatorSeriesResponse {
    app.indicators
        .clone()
        .get_indicator_series(pb::GetIndicatorSeriesRequest {
            economy: economy.into(),
            indicator: GDP_GROWTH.into(),
            start_year: 0,
            end_year: 0,
            vintage: vintage_date(vintage),
        })
        .await
        .expect("GetIndicatorSeries")
        .into_inner()
}

async fn rank(
    app: &TestApp,
    year: i32,
    flow: TradeFlow,
    partner: &str,
) -> Result<pb::RankPartnersResponse, tonic::Status> {
    app.trade
        .clone()
        .rank_partners(pb::RankPartnersRequest {
            reporter: "KOR".into(),
            year,
            flow: flow.into(),
            // The top list in full, or the partners asked for.
            limit: if partner.is_empty() { 1000 } else { 0 },
            partners: partner
                .split('+')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn products(
    app: &TestApp,
    year: i32,
    hs_digits: i32,
) -> Result<pb::GetProductBreakdownResponse, tonic::Status> {
    app.trade
        .clone()
        .get_product_breakdown(pb::GetProductBreakdownRequest {
            reporter: "KOR".into(),
            partner: "KHM".into(),
            year,
            flow: TradeFlow::Export.into(),
            hs_digits,
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

/// What the service answers about Korea–Cambodia: compared before and after
/// a run that must not change anything.
#[derive(Debug, PartialEq)]
struct Served {
    trade: pb::GetBilateralTradeResponse,
    gdp_growth: pb::GetIndicatorSeriesResponse,
    rank_2022: Result<pb::RankPartnersResponse, (Code, String)>,
    products_2022: Result<pb::GetProductBreakdownResponse, (Code, String)>,
}

fn plain<T>(result: Result<T, tonic::Status>) -> Result<T, (Code, String)> {
    result.map_err(|status| (status.code(), status.message().to_owned()))
}

/// The data served, without what only reports the sources' state (their
/// freshness, a missing ranking's source state): a run that failed leaves
/// the data as they were but is itself news.
async fn served(app: &TestApp) -> Served {
    let mut trade = bilateral(app).await;
    trade.freshness.clear();
    let mut gdp_growth = indicator(app, "KHM", "").await;
    gdp_growth.freshness.clear();
    let rank_2022 = plain(rank(app, 2022, TradeFlow::Export, "").await)
        .map(|mut ranking| {
            ranking.freshness.clear();
            ranking.missing.clear();
            ranking
        })
        .map_err(|(code, message)| {
            let data = message.split("; complete partner figures come from").next();
            (code, data.unwrap_or_default().to_owned())
        });
    let products_2022 = plain(products(app, 2022, 2).await).map(|mut breakdown| {
        breakdown.freshness.clear();
        breakdown
    });
    Served {
        trade,
        gdp_growth,
        rank_2022,
        products_2022,
    }
}

/// Every run (of `source`, or all when empty), newest first, following pages.
async fn all_runs(app: &TestApp, source: &str, page_size: i32) -> Vec<pb::RefreshRun> {
    let mut client = app.refresh.clone();
    let mut runs = Vec::new();
    let mut page_token = String::new();
    for _ in 0..1000 {
        let page = client
            .list_refresh_runs(pb::ListRefreshRunsRequest {
                source: source.into(),
                page_size,
                page_token: page_token.clone(),
            })
            .await
            .expect("ListRefreshRuns")
            .into_inner();
        runs.extend(page.runs);
        if page.next_page_token.is_empty() {
            return runs;
        }
        page_token = page.next_page_token;
    }
    panic!("more than 1000 pages of runs");
}

/// Polls ListRefreshRuns (at most [`WAIT`]) until a run of `source` with
/// `trigger` reaches `state`.
async fn wait_for_run(
    app: &TestApp,
    source: &str,
    trigger: RunTrigger,
    state: RunState,
) -> pb::RefreshRun {
    let started = Instant::now();
    loop {
        let runs = all_runs(app, source, 0).await;
        if let Some(run) = runs
            .iter()
            .find(|r| r.trigger() == trigger && r.state() == state)
        {
            return run.clone();
        }
        assert!(
            started.elapsed() < WAIT,
            "no {trigger:?} run of {source} reached {state:?} within {WAIT:?}; runs: {runs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A WatchChanges stream, read change by change.
struct Changes {
    stream: tonic::Streaming<pb::WatchChangesResponse>,
    pending: std::collections::VecDeque<pb::DataChange>,
    /// The resume point of the last message read.
    resume_after_seq: i64,
    caught_up: bool,
}

async fn watch(app: &TestApp, after_seq: Option<i64>, source: &str) -> Changes {
    let stream = app
        .refresh
        .clone()
        .watch_changes(pb::WatchChangesRequest {
            after_seq,
            source: source.into(),
            ..Default::default()
        })
        .await
        .expect("WatchChanges")
        .into_inner();
    Changes {
        stream,
        pending: Default::default(),
        resume_after_seq: 0,
        caught_up: false,
    }
}

/// The next `count` changes of a stream, each within [`WAIT`]; markers and
/// heartbeats in between only move the resume point.
async fn next_changes(stream: &mut Changes, count: usize) -> Vec<pb::DataChange> {
    let mut changes = Vec::with_capacity(count);
    while changes.len() < count {
        if let Some(change) = stream.pending.pop_front() {
            changes.push(change);
            continue;
        }
        let index = changes.len();
        let message = tokio::time::timeout(WAIT, stream.stream.message())
            .await
            .unwrap_or_else(|_| panic!("change {index} of {count} did not arrive within {WAIT:?}"))
            .expect("the stream is healthy")
            .expect("the stream is still open");
        assert!(
            message.resume_after_seq >= stream.resume_after_seq,
            "the resume point never goes back"
        );
        stream.resume_after_seq = message.resume_after_seq;
        match message.kind() {
            pb::WatchEventKind::Changes => {
                let last = message.changes.last().map(|c| c.seq);
                assert_eq!(last, Some(message.resume_after_seq), "{message:?}");
                stream.pending.extend(message.changes);
            }
            pb::WatchEventKind::CaughtUp => {
                assert!(!stream.caught_up, "CAUGHT_UP comes once");
                stream.caught_up = true;
            }
            pb::WatchEventKind::Heartbeat => {}
            other => panic!("unexpected message kind {other:?}"),
        }
    }
    changes
}

fn agreement_event(agreement: &pb::Agreement, kind: pb::EventKind) -> &pb::AgreementEvent {
    agreement
        .events
        .iter()
        .find(|e| e.kind() == kind)
        .unwrap_or_else(|| panic!("{} has no {kind:?} event", agreement.id))
}

fn day(year: i32, month: i32, day: i32) -> Option<tradepact::grpc::google_type::Date> {
    Some(tradepact::grpc::google_type::Date { year, month, day })
}

/// The agreement a change is about, if it is about one.
fn agreement_of(change: &pb::DataChange) -> Option<&str> {
    match &change.subject {
        Some(pb::ChangeSubject {
            subject: Some(pb::change_subject::Subject::Agreement(agreement)),
        }) => Some(agreement.agreement_id.as_str()),
        _ => None,
    }
}

/// Dates as "YYYY-MM-DD".
fn texts(dates: &[tradepact::grpc::google_type::Date]) -> Vec<String> {
    dates
        .iter()
        .map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
        .collect()
}

/// "2024-06-28" as a Date; `None` for "" (the latest vintage).
fn vintage_date(text: &str) -> Option<tradepact::grpc::google_type::Date> {
    if text.is_empty() {
        return None;
    }
    let parts: Vec<i32> = text
        .split('-')
        .map(|p| p.parse().expect("a number"))
        .collect();
    day(parts[0], parts[1], parts[2])
}

/// The World Bank fixture pages with their `lastupdated` moved to
/// 2025-07-01: a release the store does not hold yet (the fixture's own
/// 2024-06-28 is also the built-in dataset's newest vintage).
fn worldbank_release_2025() -> (Vec<u8>, Vec<u8>) {
    let relabel = |name: &str| {
        String::from_utf8(upstream::fixture(name))
            .expect("UTF-8")
            .replace(
                "\"lastupdated\":\"2024-06-28\"",
                "\"lastupdated\":\"2025-07-01\"",
            )
            .into_bytes()
    };
    (
        relabel("worldbank/KHM_NY.GDP.MKTP.KD.ZG_2011-2023_page1of2.json"),
        relabel("worldbank/KHM_NY.GDP.MKTP.KD.ZG_2011-2023_page2of2.json"),
    )
}

/// Cambodia's published GDP growth, 2011–2023, in the fixture.
const KHM_GROWTH: [(i32, f64); 13] = [
    (2011, 7.0696),
    (2012, 7.3133),
    (2013, 7.3567),
    (2014, 7.1426),
    (2015, 6.9658),
    (2016, 6.9333),
    (2017, 6.9969),
    (2018, 7.4692),
    (2019, 7.0541),
    (2020, -3.096),
    (2021, 3.0264),
    (2022, 5.2398),
    (2023, 5.4),
];

/// The IMF fixture with Cambodia's 2023 figures replaced (exports to Korea
/// 300.00, imports from Korea 500.00): a second version of the answer.
fn imf_version_b() -> Vec<u8> {
    let text = String::from_utf8(upstream::imf_fixture()).expect("UTF-8");
    assert!(text.contains("\"281.14\"") && text.contains("\"470.25\""));
    text.replace("\"281.14\"", "\"300.00\"")
        .replace("\"470.25\"", "\"500.00\"")
        .into_bytes()
}

/// A Korea Customs answer with every monthly dollar figure times `factor`.
fn scale_customs(body: &[u8], factor: u64) -> Vec<u8> {
    let mut text = String::from_utf8(body.to_vec()).expect("UTF-8");
    for tag in ["expDlr", "impDlr", "balPayments"] {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(start) = rest.find(&open) {
            let value_start = start + open.len();
            let end = value_start + rest[value_start..].find(&close).expect("closed tag");
            let value: i64 = rest[value_start..end].parse().expect("a whole number");
            out.push_str(&rest[..value_start]);
            out.push_str(&(value * factor as i64).to_string());
            rest = &rest[end..];
        }
        out.push_str(rest);
        text = out;
    }
    text.into_bytes()
}

// ---------------------------------------------------------------------------
// 1. Each source, successful
// ---------------------------------------------------------------------------

#[tokio::test]
async fn worldbank_refresh_adds_a_new_vintage_with_the_fixture_values() {
    let upstream = Upstream::start().await;
    let (page1, page2) = worldbank_release_2025();
    upstream.mount_worldbank_pages(page1, page2).await;
    let app = app(&upstream).await;
    let before = indicator(&app, "KHM", "").await;
    assert_eq!(texts(&before.vintages), ["2017-04-27", "2024-06-28"]);

    let run = trigger(&app, "worldbank").await;
    assert_run(&run, RunState::Succeeded, &[]);
    assert_eq!(run.trigger(), RunTrigger::Manual);
    assert_eq!(run.rows, 13, "13 years of Cambodia");
    assert_eq!(
        upstream.requests_to(WORLDBANK_GDP_GROWTH).await,
        2,
        "both pages"
    );

    let after = indicator(&app, "KHM", "").await;
    assert_eq!(
        texts(&after.vintages),
        ["2017-04-27", "2024-06-28", "2025-07-01"]
    );
    assert_eq!(after.name, "GDP growth (annual %)");
    assert_eq!(after.unit, "%");
    let latest: Vec<(i32, Option<f64>)> = after.points.iter().map(|p| (p.year, p.value)).collect();
    let expected: Vec<(i32, Option<f64>)> = KHM_GROWTH.iter().map(|&(y, v)| (y, Some(v))).collect();
    assert_eq!(latest, expected);
    for point in &after.points {
        assert_eq!(point.vintage, vintage_date("2025-07-01"));
        let source = &point.sources[0];
        assert_eq!(source.publisher, "World Bank");
        assert!(source.redistributable);
        assert!(source.retrieve_time.is_some());
        assert!(
            !source.url.contains("format="),
            "query stripped: {}",
            source.url
        );
    }
    // The older vintages are still there to ask for.
    let old = indicator(&app, "KHM", "2017-04-27").await;
    assert_close(old.points[1].value, 7.2613, 1e-9);
    app.stop().await;
}

/// The fixture as recorded carries `lastupdated` 2024-06-28, a vintage the
/// built-in dataset already holds: the refreshed copy must not duplicate
/// years or vintages.
#[tokio::test]
async fn worldbank_refresh_of_a_vintage_already_held_serves_each_year_once() {
    let upstream = Upstream::start().await;
    upstream.mount_worldbank().await;
    let app = app(&upstream).await;
    let run = trigger(&app, "worldbank").await;
    assert_run(&run, RunState::Succeeded, &[]);

    let after = indicator(&app, "KHM", "").await;
    assert_eq!(texts(&after.vintages), ["2017-04-27", "2024-06-28"]);
    let pinned = indicator(&app, "KHM", "2024-06-28").await;
    let years: Vec<i32> = pinned.points.iter().map(|p| p.year).collect();
    assert_eq!(years, (2011..=2023).collect::<Vec<_>>(), "each year once");
    app.stop().await;
}

#[tokio::test]
async fn comtrade_refresh_computes_ranks_and_product_shares_not_for_redistribution() {
    let upstream = Upstream::start().await;
    upstream.mount_comtrade().await;
    let app = app(&upstream).await;
    assert_eq!(
        rank(&app, 2022, TradeFlow::Export, "")
            .await
            .map_err(|s| s.code())
            .err(),
        Some(Code::NotFound),
        "nothing to rank 2022 with before the refresh"
    );

    let run = trigger(&app, "comtrade").await;
    assert_run(&run, RunState::Succeeded, &[]);
    // Keyless: the preview, with its lower-case `reportercode`.
    let requests = upstream
        .server
        .received_requests()
        .await
        .unwrap_or_default();
    assert!(requests.iter().any(|r| {
        r.url.path() == COMTRADE_PREVIEW
            && r.url
                .query()
                .is_some_and(|q| q.contains("reportercode=410"))
    }));
    assert!(
        requests
            .iter()
            .all(|r| !r.headers.contains_key("ocp-apim-subscription-key"))
    );

    let ranking = rank(&app, 2022, TradeFlow::Export, "")
        .await
        .expect("computed ranking");
    assert!(ranking.quoted_entries.is_empty());
    assert!(ranking.partner_count > Some(0));
    // The fixture's export partners, largest first, as far as the service
    // knows them (Comtrade's "Other Asia, nes" is not an economy it holds).
    let fixture = upstream::json_value(&upstream::fixture("comtrade/KOR_X_2022_allpartners.json"));
    let mut expected: Vec<(String, f64)> = upstream::records_of(&fixture)
        .iter()
        .filter(|r| r["partnerCode"] != 0)
        .map(|r| {
            let iso = r["partnerISO"].as_str().expect("partnerISO").to_owned();
            (iso, r["primaryValue"].as_f64().expect("primaryValue"))
        })
        .filter(|(iso, _)| ranking.entries.iter().any(|e| e.partners == [iso.clone()]))
        .collect();
    expected.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let served: Vec<(String, f64)> = ranking
        .entries
        .iter()
        .map(|e| {
            let value = e.value_usd.expect("computed ranks carry their value");
            (e.partners[0].clone(), value)
        })
        .collect();
    assert_eq!(served, expected);
    assert_eq!(ranking.partner_count, Some(expected.len() as i32));
    let khm_rank = expected
        .iter()
        .position(|(iso, _)| iso == "KHM")
        .expect("KHM ranked")
        + 1;

    let khm = rank(&app, 2022, TradeFlow::Export, "KHM")
        .await
        .expect("KHM's rank");
    assert_eq!(khm.entries.len(), 1);
    assert_eq!(khm.entries[0].rank, Some(khm_rank as i32));
    assert_close(khm.entries[0].value_usd, 800.0 * MILLION, CENT);
    let total: f64 = expected.iter().map(|(_, v)| v).sum();
    assert_close(
        khm.entries[0].share_pct,
        800.0 * MILLION / total * 100.0,
        1e-9,
    );

    let breakdown = products(&app, 2022, 2).await.expect("computed products");
    assert!(!breakdown.quoted);
    let chapters: Vec<&str> = breakdown
        .products
        .iter()
        .map(|p| p.hs_code.as_str())
        .collect();
    assert_eq!(chapters, ["87", "84", "85", "39", "22", "61", "62", "64"]);
    let vehicles = &breakdown.products[0];
    assert_close(vehicles.value_usd, 180.0 * MILLION, CENT);
    assert_close(vehicles.share_pct, 180.0 / 415.0 * 100.0, 1e-9);
    assert!(vehicles.description.starts_with("Vehicles"));
    let shares: f64 = breakdown.products.iter().filter_map(|p| p.share_pct).sum();
    assert_close(Some(shares), 100.0, 1e-9);

    let sources = ranking
        .sources
        .iter()
        .chain(&khm.sources)
        .chain(&breakdown.sources);
    let mut count = 0;
    for source in sources {
        count += 1;
        assert!(
            !source.redistributable,
            "Comtrade source marked redistributable: {source:?}"
        );
        assert!(source.publisher.contains("Comtrade"), "{source:?}");
    }
    assert!(count >= 3);
    app.stop().await;
}

#[tokio::test]
async fn imf_refresh_serves_cambodias_figures_as_mirror_years() {
    let upstream = Upstream::start().await;
    upstream.mount_imf(json(upstream::imf_fixture())).await;
    let app = app(&upstream).await;
    let before = bilateral(&app).await;
    assert!(
        before.mirror_years.iter().all(|y| y.year != 2020),
        "no 2020 before"
    );

    let run = trigger(&app, "imf").await;
    assert_run(&run, RunState::Succeeded, &[]);
    assert_eq!(run.rows, 5, "2019–2023");

    let after = bilateral(&app).await;
    let y2023 = year(&after.mirror_years, 2023);
    assert_eq!(y2023.reported_by, "KHM");
    // Mirror years are from Korea's side: Cambodia's imports are Korea's exports.
    assert_close(y2023.exports_usd, 470.25 * MILLION, CENT);
    assert_close(y2023.imports_usd, 281.14 * MILLION, CENT);
    assert!(
        y2023
            .sources
            .iter()
            .any(|s| s.publisher == "International Monetary Fund"),
        "the IMF figure leads: {y2023:?}"
    );
    assert!(
        y2023.alternatives.iter().any(|a| a
            .sources
            .iter()
            .all(|s| s.publisher != "International Monetary Fund")),
        "the built-in GDCE figure stays as an alternative"
    );
    let y2020 = year(&after.mirror_years, 2020);
    assert_eq!(y2020.reported_by, "KHM");
    assert_close(y2020.exports_usd, 520.0 * MILLION, CENT);
    assert_close(y2020.imports_usd, 215.0 * MILLION, CENT);
    // Korea's own side is untouched.
    assert_eq!(after.years, before.years);
    app.stop().await;
}

#[tokio::test]
async fn customs_refresh_with_a_key_leads_the_reporter_side() {
    let upstream = Upstream::start().await;
    upstream
        .mount_customs_year(2023, xml(upstream::customs_2023()))
        .await;
    // The fixture's months relabelled as 2021, a year the built-in dataset
    // quotes (KITA), to see the quoted figure become an alternative.
    let as_2021 = upstream::relabel_customs(&upstream::customs_2023(), 2023, 2021);
    upstream.mount_customs_year(2021, xml(as_2021)).await;
    upstream.mount_customs_empty().await;
    let app = app_with(&upstream, upstream::with_customs_key).await;
    let before = bilateral(&app).await;
    assert!(before.years.iter().all(|y| y.year != 2023));

    let run = trigger(&app, "customs").await;
    assert_run(&run, RunState::Succeeded, &[]);
    assert_eq!(run.rows, 2, "2021 and 2023; the empty years are not stored");

    let after = bilateral(&app).await;
    let y2023 = year(&after.years, 2023);
    assert_eq!(y2023.reported_by, "KOR");
    assert_close(y2023.exports_usd, 540.0 * MILLION, CENT);
    assert_close(y2023.imports_usd, 300.0 * MILLION, CENT);
    assert_close(y2023.total_usd, 840.0 * MILLION, CENT);
    assert!(y2023.alternatives.is_empty(), "nothing quoted for 2023");
    let source = &y2023.sources[0];
    assert_eq!(source.publisher, "Korea Customs Service");
    assert!(
        !source.url.contains(CUSTOMS_KEY),
        "the key never leaks: {}",
        source.url
    );

    let y2021 = year(&after.years, 2021);
    assert_close(y2021.exports_usd, 540.0 * MILLION, CENT);
    assert_eq!(y2021.sources[0].publisher, "Korea Customs Service");
    let quoted = y2021
        .alternatives
        .iter()
        .find(|a| {
            a.exports_usd
                .is_some_and(|e| (e - 623.628 * MILLION).abs() < CENT)
        })
        .expect("the built-in KITA figure for 2021 as an alternative");
    assert_close(quoted.imports_usd, 341.503 * MILLION, CENT);
    // Years Customs did not answer keep their built-in figures.
    assert_eq!(year(&after.years, 2019), year(&before.years, 2019));
    assert_eq!(year(&after.years, 2020), year(&before.years, 2020));
    assert_eq!(after.mirror_years, before.mirror_years);
    app.stop().await;
}

#[tokio::test]
async fn customs_without_a_key_is_skipped_and_changes_nothing() {
    let upstream = Upstream::start().await;
    upstream
        .mount_customs_year(2023, xml(upstream::customs_2023()))
        .await;
    let app = app(&upstream).await;
    let before = served(&app).await;

    let run = trigger(&app, "customs").await;
    assert_run(&run, RunState::Skipped, &["key", "TRADEPACT_CUSTOMS_KEY"]);
    assert_eq!((run.rows, run.changes), (0, 0));
    assert_eq!(
        upstream.requests_to("/customs").await,
        0,
        "no call without a key"
    );
    assert_eq!(served(&app).await, before);
    app.stop().await;
}

/// The recorded Korea rows, with three changes a later export could bring:
/// Korea–Japan signed (it was under negotiation), Korea–Cambodia's entry
/// into force a day later, and a new agreement (test-only RTA ID 9001).
fn a_later_wto_export() -> Vec<u8> {
    let mut records = upstream::wto_records();
    let header = records[0].clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (id, name, status) = (column("RTA ID"), column("RTA Name"), column("Status"));
    let (signed, in_force) = (
        column("Date of Signature (G)"),
        column("Date of Entry into Force (G)"),
    );
    let (current, original) = (
        column("Current signatories"),
        column("Original signatories"),
    );
    for record in records.iter_mut().skip(1) {
        match record[id].as_str() {
            "171" => {
                record[status] = "Early announcement-Signed".into();
                record[signed] = "2026-11-30".into();
            }
            "1168" => record[in_force] = "2022-12-02".into(),
            _ => {}
        }
    }
    let mut new_row = vec![String::new(); header.len()];
    new_row[id] = "9001".into();
    new_row[name] = "Chile - Mongolia".into();
    new_row[status] = "In Force".into();
    new_row[signed] = "2025-03-01".into();
    new_row[in_force] = "2026-01-01".into();
    new_row[current] = "Chile; Mongolia".into();
    new_row[original] = "Chile; Mongolia".into();
    records.push(new_row);
    upstream::wto_xlsx_of(&records)
}

#[tokio::test]
async fn wto_refresh_adds_agreements_and_records_changed_dates_and_statuses() {
    let upstream = Upstream::start().await;
    upstream.mount_wto_export(a_later_wto_export()).await;
    let mut app = app(&upstream).await;
    let japan = app.agreement("kor-jpn", None).await.expect("agreement");
    assert_eq!(japan.status(), pb::AgreementStatus::Negotiating);
    assert_status(
        app.agreement("wto:9001", None).await,
        tonic::Code::NotFound,
        "9001",
    );

    let run = trigger(&app, "wto").await;
    assert_run(&run, RunState::Succeeded, &[]);
    assert_eq!(upstream.requests_to(WTO_EXPORT).await, 1);

    // A changed status: Korea–Japan signed.
    let japan = app.agreement("kor-jpn", None).await.expect("agreement");
    assert_eq!(japan.status(), pb::AgreementStatus::Signed);
    assert_eq!(japan.status_since, day(2026, 11, 30));
    let signed = agreement_event(&japan, pb::EventKind::Signed);
    assert!(
        signed
            .sources
            .iter()
            .any(|s| s.publisher == "World Trade Organization" && s.retrieve_time.is_some()),
        "the refresh is cited, with when it read the export: {signed:?}"
    );

    // A changed date of the same precision: the held one stays, the WTO's
    // new one is kept as a conflict.
    let khm = app.agreement("kor-khm", None).await.expect("agreement");
    let eif = agreement_event(&khm, pb::EventKind::EnteredIntoForce);
    assert_eq!(eif.start, day(2022, 12, 1));
    let conflict = eif
        .conflicts
        .iter()
        .find(|c| c.start == day(2022, 12, 2))
        .unwrap_or_else(|| panic!("the export's 2022-12-02 as a conflict: {eif:?}"));
    assert!(
        conflict
            .sources
            .iter()
            .any(|s| s.url.contains("rtaid=1168"))
    );

    // A new agreement, by its id and by the WTO's.
    let added = app.agreement("wto:9001", None).await.expect("added");
    assert_eq!(added.id, "wto-9001");
    assert_eq!(added.status(), pb::AgreementStatus::InForce);
    let parties: Vec<&str> = added.parties.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(parties, ["CHL", "MNG"]);
    let listed = app
        .all_agreements(pb::ListAgreementsRequest {
            party: "Mongolia".into(),
            query: "chile".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(
        listed.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["wto-9001"]
    );

    // Both changes are in the change stream, with the run that made them.
    let mut changes = watch(&app, Some(0), "wto").await;
    let changes = next_changes(&mut changes, usize::try_from(run.changes).expect("count")).await;
    for (agreement, status) in [
        ("kor-jpn", pb::AgreementStatus::Signed),
        ("wto-9001", pb::AgreementStatus::InForce),
    ] {
        let change = changes
            .iter()
            .find(|c| c.kind() == ChangeKind::StatusChanged && agreement_of(c) == Some(agreement))
            .unwrap_or_else(|| panic!("a STATUS_CHANGED for {agreement} in {changes:#?}"));
        assert_eq!(
            change.new_value,
            Some(pb::ChangeValue {
                value: Some(pb::change_value::Value::Status(status as i32))
            })
        );
        assert_eq!(change.run_id, run.id);
    }

    // A second run of the same export adds nothing twice.
    let again = trigger(&app, "wto").await;
    assert_run(&again, RunState::Succeeded, &[]);
    let listed = app
        .all_agreements(pb::ListAgreementsRequest {
            query: "chile mongolia".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(
        listed.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["wto-9001"]
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------
// 2. ListSources and ListRefreshRuns
// ---------------------------------------------------------------------------

#[tokio::test]
async fn list_sources_shows_configuration_and_the_last_runs() {
    let upstream = Upstream::start().await;
    upstream.mount_imf(json(upstream::imf_fixture())).await;
    let app = app(&upstream).await;
    let list = |app: &TestApp| {
        let mut client = app.refresh.clone();
        async move {
            client
                .list_sources(pb::ListSourcesRequest {})
                .await
                .expect("ListSources")
                .into_inner()
                .sources
        }
    };
    let sources = list(&app).await;
    let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["worldbank", "comtrade", "imf", "customs", "wto"]);
    for source in &sources {
        assert!(source.stale, "never fetched counts as stale: {source:?}");
        assert!(source.last_run.is_none());
        assert!(source.last_success_time.is_none());
        assert_eq!(source.rows_held, 0, "nothing fetched: {source:?}");
        assert!(source.next_run_time.is_none(), "the worker is off");
        assert_eq!(
            source.max_age,
            Some(prost_types::Duration {
                seconds: 48 * 3600,
                nanos: 0
            })
        );
        assert!(source.base_url.starts_with(&upstream.server.uri()));
        let customs = source.name == "customs";
        assert_eq!(source.enabled, !customs, "{source:?}");
        assert_eq!(
            source.disabled_reason.contains("key"),
            customs,
            "{source:?}"
        );
    }

    let imf = trigger(&app, "imf").await;
    assert_run(&imf, RunState::Succeeded, &[]);
    // World Bank is not mounted: the mock answers 404.
    let worldbank = trigger(&app, "worldbank").await;
    assert_run(&worldbank, RunState::Failed, &["404"]);

    let sources = list(&app).await;
    let named = |name: &str| sources.iter().find(|s| s.name == name).expect("listed");
    let imf_info = named("imf");
    assert_eq!(imf_info.last_run.as_ref(), Some(&imf));
    assert_eq!(imf_info.last_success_time, imf.end_time);
    assert!(imf.end_time.is_some());
    assert!(!imf_info.stale);
    assert_eq!(imf_info.rows_held, imf.rows, "the rows the run swapped in");
    let wb_info = named("worldbank");
    assert_eq!(wb_info.last_run.as_ref(), Some(&worldbank));
    assert!(wb_info.last_success_time.is_none());
    assert!(wb_info.stale, "a failed run leaves the data stale");
    assert!(named("wto").last_run.is_none());
    app.stop().await;
}

async fn bilateral_freshness(app: &TestApp) -> Vec<pb::SourceFreshness> {
    bilateral(app).await.freshness
}

async fn rank_cambodia(
    app: &TestApp,
    year: i32,
) -> Result<pb::RankPartnersResponse, tonic::Status> {
    app.trade
        .clone()
        .rank_partners(pb::RankPartnersRequest {
            reporter: "KOR".into(),
            year,
            flow: TradeFlow::Export as i32,
            partners: vec!["KHM".into()],
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn answers_say_when_their_source_last_succeeded_and_whether_it_is_stale() {
    let upstream = Upstream::start().await;
    upstream.mount_imf(json(upstream::imf_fixture())).await;
    let app = app(&upstream).await;

    // Nothing fetched yet: IMF has never succeeded, so its data are stale;
    // customs has no key, so it does not run.
    let before = bilateral_freshness(&app).await;
    let names: Vec<&str> = before.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["customs", "imf"]);
    let imf = &before[1];
    assert!(
        imf.stale && imf.enabled && imf.last_success_time.is_none(),
        "{imf:?}"
    );
    assert!(!before[0].enabled, "customs without a key: {:?}", before[0]);

    let run = trigger(&app, "imf").await;
    assert_run(&run, RunState::Succeeded, &[]);
    let after = bilateral_freshness(&app).await;
    let imf = after.iter().find(|f| f.name == "imf").expect("imf");
    assert!(!imf.stale, "{imf:?}");
    assert_eq!(imf.last_success_time, run.end_time);

    // A failed run keeps the last success, and says so.
    upstream.server.reset().await;
    let failed = trigger(&app, "imf").await;
    assert_run(&failed, RunState::Failed, &[]);
    let kept = bilateral_freshness(&app).await;
    let imf = kept.iter().find(|f| f.name == "imf").expect("imf");
    assert_eq!(imf.last_success_time, run.end_time);
    app.stop().await;
}

#[tokio::test]
async fn a_ranking_without_partner_figures_names_their_source_and_its_state() {
    let upstream = Upstream::start().await;
    upstream.mount_comtrade_reporters().await;
    upstream.mount_comtrade_empty().await;
    let app = app(&upstream).await;

    // The built-in dataset quotes Cambodia's 2019 rank, but holds no
    // complete partner figures: the answer says where they would come from.
    let quoted = rank_cambodia(&app, 2019).await.expect("a quoted rank");
    assert!(quoted.entries.is_empty() && !quoted.quoted_entries.is_empty());
    let [missing] = quoted.missing.as_slice() else {
        panic!("one gap: {:?}", quoted.missing);
    };
    assert_eq!(missing.source, "comtrade");
    assert!(missing.what.contains("KOR"), "{missing:?}");
    assert_eq!(missing.source_state, "never run");
    assert_eq!(
        quoted
            .freshness
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>(),
        ["comtrade"]
    );

    let run = trigger(&app, "comtrade").await;
    assert_run(&run, RunState::Failed, &["no data"]);
    let after = rank_cambodia(&app, 2019).await.expect("still quoted");
    let state = &after.missing[0].source_state;
    assert!(
        state.starts_with("last run FAILED at ") && state.contains("no data"),
        "{state}"
    );

    // Nothing at all for a year: NOT_FOUND, naming the source and its state.
    let status = rank_cambodia(&app, 2001)
        .await
        .expect_err("nothing held for 2001");
    assert_eq!(status.code(), Code::NotFound);
    assert!(
        status
            .message()
            .contains("comtrade source: last run FAILED"),
        "{}",
        status.message()
    );
    app.stop().await;
}

#[tokio::test]
async fn list_refresh_runs_pages_through_every_run_newest_first() {
    let upstream = Upstream::start().await;
    upstream.mount_imf(json(upstream::imf_fixture())).await;
    let app = app(&upstream).await;
    let mut ids = Vec::new();
    for source in ["customs", "imf", "customs", "worldbank", "customs"] {
        ids.push(trigger(&app, source).await.id);
    }
    ids.reverse();

    let one_by_one = all_runs(&app, "", 1).await;
    assert_eq!(one_by_one.iter().map(|r| r.id).collect::<Vec<_>>(), ids);
    assert_eq!(
        all_runs(&app, "", 0).await,
        one_by_one,
        "same runs in one page"
    );
    let customs: Vec<i64> = all_runs(&app, "customs", 2)
        .await
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(customs, [ids[0], ids[2], ids[4]]);
    app.stop().await;
}

#[tokio::test]
async fn list_refresh_runs_refuses_a_negative_page_size() {
    let upstream = Upstream::start().await;
    let app = app(&upstream).await;
    let result = app
        .refresh
        .clone()
        .list_refresh_runs(pb::ListRefreshRunsRequest {
            source: String::new(),
            page_size: -1,
            page_token: String::new(),
        })
        .await;
    assert_status(result, Code::InvalidArgument, "page_size");
    app.stop().await;
}

#[tokio::test]
async fn list_refresh_runs_refuses_a_foreign_page_token() {
    let upstream = Upstream::start().await;
    let mut app = app(&upstream).await;
    for _ in 0..2 {
        trigger(&app, "customs").await;
    }
    let agreements_token = app
        .agreements
        .list_agreements(pb::ListAgreementsRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("ListAgreements")
        .into_inner()
        .next_page_token;
    let customs_token = app
        .refresh
        .list_refresh_runs(pb::ListRefreshRunsRequest {
            source: "customs".into(),
            page_size: 1,
            page_token: String::new(),
        })
        .await
        .expect("ListRefreshRuns")
        .into_inner()
        .next_page_token;
    assert!(!agreements_token.is_empty() && !customs_token.is_empty());
    for (token, source) in [
        (agreements_token.as_str(), ""),
        (customs_token.as_str(), ""),
        (customs_token.as_str(), "imf"),
        ("not-a-token", ""),
    ] {
        let result = app
            .refresh
            .list_refresh_runs(pb::ListRefreshRunsRequest {
                source: source.into(),
                page_size: 1,
                page_token: token.into(),
            })
            .await;
        assert_status(result, Code::InvalidArgument, "page_token");
    }
    app.stop().await;
}

// ---------------------------------------------------------------------------
// 3. Who may trigger a refresh
// ---------------------------------------------------------------------------

#[tokio::test]
async fn trigger_refresh_is_disabled_without_a_configured_token() {
    let upstream = Upstream::start().await;
    let app = app_with(&upstream, |settings| settings.admin_token = None).await;
    assert_status(
        try_trigger(&app, "imf").await,
        Code::PermissionDenied,
        "admin token",
    );
    assert_eq!(upstream.requests_to("/").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn trigger_refresh_without_a_token_is_unauthenticated() {
    let upstream = Upstream::start().await;
    let app = app(&upstream).await;
    let result = app
        .refresh
        .clone()
        .trigger_refresh(pb::TriggerRefreshRequest {
            source: "imf".into(),
        })
        .await;
    assert_status(result, Code::Unauthenticated, "authorization");
    assert!(all_runs(&app, "", 0).await.is_empty(), "no run recorded");
    app.stop().await;
}

#[tokio::test]
async fn trigger_refresh_with_a_wrong_token_is_unauthenticated() {
    let upstream = Upstream::start().await;
    let app = app(&upstream).await;
    let result = app
        .refresh
        .clone()
        .trigger_refresh(with_bearer(
            pb::TriggerRefreshRequest {
                source: "imf".into(),
            },
            "not-the-token",
        ))
        .await;
    assert_status(result, Code::Unauthenticated, "token");
    assert!(all_runs(&app, "", 0).await.is_empty(), "no run recorded");
    app.stop().await;
}

#[tokio::test]
async fn trigger_refresh_of_an_empty_source_is_invalid() {
    let upstream = Upstream::start().await;
    let app = app(&upstream).await;
    assert_status(try_trigger(&app, "").await, Code::InvalidArgument, "source");
    assert_status(
        try_trigger(&app, "  ").await,
        Code::InvalidArgument,
        "source",
    );
    app.stop().await;
}

#[tokio::test]
async fn trigger_refresh_of_an_unknown_source_is_invalid_and_names_the_sources() {
    let upstream = Upstream::start().await;
    let app = app(&upstream).await;
    assert_status(
        try_trigger(&app, "eurostat").await,
        Code::InvalidArgument,
        "source: 'eurostat' is not a source; one of ",
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------
// 4. Faults
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_500_is_retried_and_the_run_succeeds() {
    let upstream = Upstream::start().await;
    Mock::given(method("GET"))
        .and(path(IMF_KHM_KOR))
        .respond_with(ResponseTemplate::new(500).set_body_raw(
            upstream::sample("imf/dataservices_error_500_DataStructure_not_a_real_database.xml"),
            "application/xml",
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&upstream.server)
        .await;
    upstream.mount_imf(json(upstream::imf_fixture())).await;
    let app = app(&upstream).await;

    let run = trigger(&app, "imf").await;
    assert_run(&run, RunState::Succeeded, &[]);
    assert_eq!(upstream.requests_to(IMF_KHM_KOR).await, 2, "one retry");
    assert_eq!(
        year(&bilateral(&app).await.mirror_years, 2020).reported_by,
        "KHM"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out_and_the_run_succeeds() {
    let upstream = Upstream::start().await;
    let throttled = ResponseTemplate::new(429)
        .insert_header("Retry-After", "1")
        .set_body_raw(
            upstream::fixture("comtrade/error_429_rate_limit.json"),
            "application/json",
        );
    Mock::given(method("GET"))
        .and(path(COMTRADE_PREVIEW))
        .and(query_param("period", "2022"))
        .and(query_param("cmdCode", "TOTAL"))
        .respond_with(throttled)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&upstream.server)
        .await;
    upstream.mount_comtrade().await;
    let app = app(&upstream).await;

    let started = Instant::now();
    let run = trigger(&app, "comtrade").await;
    let took = started.elapsed();
    assert_run(&run, RunState::Succeeded, &[]);
    assert!(
        took >= Duration::from_secs(1),
        "waited for Retry-After, took {took:?}"
    );
    assert!(rank(&app, 2022, TradeFlow::Export, "KHM").await.is_ok());
    app.stop().await;
}

#[tokio::test]
async fn a_timeout_fails_the_run_and_keeps_the_data() {
    let upstream = Upstream::start().await;
    upstream
        .mount_imf(json(upstream::imf_fixture()).set_delay(Duration::from_secs(3)))
        .await;
    let app = app_with(&upstream, |settings| {
        settings.refresh.http_timeout_secs = 1;
        settings.refresh.http_attempts = 2;
    })
    .await;
    let before = served(&app).await;

    let run = trigger(&app, "imf").await;
    assert_run(&run, RunState::Failed, &["timed out", "attempts: 2"]);
    assert_eq!(served(&app).await, before);
    app.stop().await;
}

/// A server that answers every connection with a `Content-Length` larger
/// than the body it sends, then hangs up. At most `connections` of them.
async fn truncating_server(
    body: Vec<u8>,
    connections: usize,
) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let task = tokio::spawn(async move {
        for _ in 0..connections {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 65536 {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&body[..body.len() / 2]).await;
            let _ = stream.shutdown().await;
        }
    });
    (format!("http://{addr}"), task)
}

#[tokio::test]
async fn a_truncated_body_fails_the_run_and_keeps_the_data() {
    let upstream = Upstream::start().await;
    let (url, server) = truncating_server(upstream::imf_fixture(), 10).await;
    let app = app_with(&upstream, |settings| settings.refresh.imf_url = url).await;
    let before = served(&app).await;

    let run = trigger(&app, "imf").await;
    assert_run(&run, RunState::Failed, &["body"]);
    assert_eq!(served(&app).await, before);
    app.stop().await;
    server.abort();
}

#[tokio::test]
async fn an_html_page_instead_of_json_fails_the_run_and_keeps_the_data() {
    let upstream = Upstream::start().await;
    Mock::given(method("GET"))
        .and(path(WORLDBANK_GDP_GROWTH))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            upstream::sample("worldbank/error_400_invalid_source_html.xml"),
            "text/html",
        ))
        .mount(&upstream.server)
        .await;
    let app = app(&upstream).await;
    let before = served(&app).await;

    let run = trigger(&app, "worldbank").await;
    assert_run(&run, RunState::Failed, &["HTML", "Request Error"]);
    assert_eq!(served(&app).await, before);
    app.stop().await;
}

#[tokio::test]
async fn json_of_another_shape_fails_the_run_and_keeps_the_data() {
    let upstream = Upstream::start().await;
    // Valid JSON, but a World Bank page where IMF SDMX-JSON belongs.
    upstream
        .mount_imf(json(upstream::fixture(
            "worldbank/KHM_NY.GDP.MKTP.KD.ZG_2011-2023_page1of2.json",
        )))
        .await;
    let app = app(&upstream).await;
    let before = served(&app).await;

    let run = trigger(&app, "imf").await;
    assert_run(&run, RunState::Failed, &["unexpected response shape"]);
    assert_eq!(served(&app).await, before);
    app.stop().await;
}

#[tokio::test]
async fn an_empty_world_bank_answer_fails_with_no_data() {
    let upstream = Upstream::start().await;
    let empty = br#"[{"page":0,"pages":0,"per_page":1000,"total":0,"sourceid":"2","sourcename":"World Development Indicators","lastupdated":"2025-07-01"},null]"#;
    upstream
        .mount_worldbank_pages(empty.to_vec(), empty.to_vec())
        .await;
    let app = app(&upstream).await;
    let before = served(&app).await;

    let run = trigger(&app, "worldbank").await;
    assert_run(&run, RunState::Failed, &["no data", "kept"]);
    assert_eq!(served(&app).await, before);
    app.stop().await;
}

#[tokio::test]
async fn an_empty_comtrade_answer_fails_with_no_data() {
    let upstream = Upstream::start().await;
    upstream.mount_comtrade_reporters().await;
    upstream.mount_comtrade_empty().await;
    let app = app(&upstream).await;
    let before = served(&app).await;

    let run = trigger(&app, "comtrade").await;
    assert_run(&run, RunState::Failed, &["no data", "kept"]);
    assert_eq!(served(&app).await, before);
    app.stop().await;
}

#[tokio::test]
async fn comtrade_records_of_another_reporter_fail_the_run() {
    let upstream = Upstream::start().await;
    upstream.mount_comtrade_reporters().await;
    // The recorded China answer where Korea's was asked for.
    upstream
        .mount_comtrade_totals(
            2022,
            json(upstream::sample(
                "comtrade/data_v1_get_C_A_HS__CHN_ARG-DEU_2010_TOTAL.json",
            )),
        )
        .await;
    upstream.mount_comtrade_empty().await;
    let app = app(&upstream).await;
    let before = served(&app).await;

    let run = trigger(&app, "comtrade").await;
    assert_run(&run, RunState::Failed, &["asked for KOR", "CHN"]);
    assert_eq!(served(&app).await, before);
    app.stop().await;
}

#[tokio::test]
async fn a_suspicious_comtrade_revision_is_refused_and_the_first_run_kept() {
    let upstream = Upstream::start().await;
    let mut totals = upstream::json_value(&upstream::comtrade_totals_2022());
    for record in totals["data"].as_array_mut().expect("records") {
        if record["partnerISO"] == "KHM" && record["flowCode"] == "X" {
            record["primaryValue"] = serde_json::json!(16_000_000_000.0);
        }
    }
    let moved = serde_json::to_vec(&totals).expect("serialises");
    let switch = Switch::new(vec![json(upstream::comtrade_totals_2022()), json(moved)]);
    upstream.mount_comtrade_totals(2022, switch.clone()).await;
    upstream
        .mount_comtrade_with(
            upstream::comtrade_totals_2022(),
            upstream::comtrade_hs2_2022(),
        )
        .await;
    let app = app(&upstream).await;

    assert_run(&trigger(&app, "comtrade").await, RunState::Succeeded, &[]);
    let first = served(&app).await;
    assert!(first.rank_2022.is_ok());

    switch.serve(1);
    let run = trigger(&app, "comtrade").await;
    assert_run(
        &run,
        RunState::Failed,
        &[
            "rejected by validation",
            "KOR→KHM",
            "800000000",
            "16000000000",
        ],
    );
    assert_eq!(served(&app).await, first);
    app.stop().await;
}

/// Korea Customs figures carry no total, and validation bounds the moves of
/// trade figures by their totals only: a 20× jump passes.
#[tokio::test]
async fn a_suspicious_customs_revision_is_refused_and_the_first_run_kept() {
    let upstream = Upstream::start().await;
    let switch = Switch::new(vec![
        xml(upstream::customs_2023()),
        xml(scale_customs(&upstream::customs_2023(), 20)),
    ]);
    upstream.mount_customs_year(2023, switch.clone()).await;
    upstream.mount_customs_empty().await;
    let app = app_with(&upstream, upstream::with_customs_key).await;
    assert_run(&trigger(&app, "customs").await, RunState::Succeeded, &[]);
    let first = served(&app).await;

    switch.serve(1);
    let run = trigger(&app, "customs").await;
    assert_run(&run, RunState::Failed, &["rejected by validation"]);
    assert_eq!(served(&app).await, first);
    app.stop().await;
}

#[tokio::test]
async fn shutdown_during_a_fetch_cancels_the_run_and_a_restart_serves_the_old_data() {
    let upstream = Upstream::start().await;
    upstream
        .mount_imf(json(upstream::imf_fixture()).set_delay(Duration::from_secs(20)))
        .await;
    let configure = |settings: &mut Settings| {
        base(&upstream, settings);
        settings.refresh.http_timeout_secs = 30;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let app = spawn_app_in_with(dir, configure).await;
    let before = served(&app).await;

    let running = try_trigger(&app, "imf").await.expect("TriggerRefresh");
    assert_eq!(running.state(), RunState::Running, "returned at once");
    upstream.wait_for_requests(IMF_KHM_KOR, 1, WAIT).await;
    let stopping = Instant::now();
    let dir = app.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "the fetch was cancelled, not waited for"
    );

    let app = spawn_app_in_with(dir, configure).await;
    let runs = all_runs(&app, "imf", 0).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert!(
        matches!(runs[0].state(), RunState::Cancelled | RunState::Interrupted),
        "{runs:?}"
    );
    assert!(!runs[0].error.is_empty());
    assert_eq!(served(&app).await, before);
    app.stop().await;
}

// ---------------------------------------------------------------------------
// 5. Overlap
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_second_trigger_while_the_first_runs_is_skipped_as_overlap() {
    let upstream = Upstream::start().await;
    upstream
        .mount_imf(json(upstream::imf_fixture()).set_delay(Duration::from_millis(1500)))
        .await;
    let app = app(&upstream).await;

    let first = try_trigger(&app, "imf").await.expect("first trigger");
    assert_eq!(first.state(), RunState::Running, "returned at once");
    upstream.wait_for_requests(IMF_KHM_KOR, 1, WAIT).await;
    let second = try_trigger(&app, "imf").await.expect("second trigger");
    assert_run(&second, RunState::SkippedOverlap, &["still in progress"]);
    assert!(
        second.end_time.is_some(),
        "a skipped run is finished at once"
    );
    let first = finished_run(&app, first).await;
    assert_run(&first, RunState::Succeeded, &[]);
    let followed = app
        .refresh
        .clone()
        .get_refresh_run(pb::GetRefreshRunRequest { id: first.id })
        .await
        .expect("GetRefreshRun")
        .into_inner();
    assert_eq!(followed, first, "GetRefreshRun answers the run as listed");
    assert_eq!(
        upstream.requests_to(IMF_KHM_KOR).await,
        1,
        "the second never fetched"
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------
// 6. Revisions and changes
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_customs_revision_is_recorded_with_old_and_new_values() {
    let upstream = Upstream::start().await;
    let switch = Switch::new(vec![
        xml(upstream::customs_2023()),
        xml(upstream::customs_revised_as(2023)),
    ]);
    upstream.mount_customs_year(2023, switch.clone()).await;
    upstream.mount_customs_empty().await;
    let app = app_with(&upstream, upstream::with_customs_key).await;

    let first = trigger(&app, "customs").await;
    assert_run(&first, RunState::Succeeded, &[]);
    switch.serve(1);
    let second = trigger(&app, "customs").await;
    assert_run(&second, RunState::Succeeded, &[]);
    assert_eq!(second.changes, 2, "exports and imports revised");

    let total = usize::try_from(first.changes + second.changes).expect("count");
    let mut stream = watch(&app, Some(0), "customs").await;
    let changes = next_changes(&mut stream, total).await;
    let revised: Vec<_> = changes.iter().filter(|c| c.run_id == second.id).collect();
    assert!(
        revised
            .iter()
            .all(|c| c.kind() == ChangeKind::RevisedFigure)
    );
    let trade_of = |change: &pb::DataChange| match &change.subject {
        Some(pb::ChangeSubject {
            subject: Some(pb::change_subject::Subject::Trade(trade)),
        }) => Some(trade.clone()),
        _ => None,
    };
    let field = |name: &str| {
        revised
            .iter()
            .find(|c| trade_of(c).is_some_and(|t| t.figure.ends_with(name)))
            .unwrap_or_else(|| panic!("a revision of {name} in {revised:#?}"))
    };
    let number = |value: f64| {
        Some(pb::ChangeValue {
            value: Some(pb::change_value::Value::Number(value)),
        })
    };
    let exports = field("exports");
    let subject = trade_of(exports).expect("a trade subject");
    assert_eq!(
        (
            subject.reporter.as_str(),
            subject.partner.as_str(),
            subject.figure.as_str()
        ),
        ("KOR", "KHM", "KOR-customs exports")
    );
    assert_eq!(exports.year, Some(2023));
    assert_eq!(
        (exports.old_value, exports.new_value),
        (number(540_000_000.0), number(600_000_000.0))
    );
    let imports = field("imports");
    assert_eq!(
        (imports.old_value, imports.new_value),
        (number(300_000_000.0), number(330_000_000.0))
    );
    assert!(
        changes
            .iter()
            .filter(|c| c.run_id == first.id)
            .all(|c| c.kind() == ChangeKind::NewFigure)
    );

    let y2023 = year(&bilateral(&app).await.years, 2023).clone();
    assert_close(y2023.exports_usd, 600.0 * MILLION, CENT);
    assert_close(y2023.imports_usd, 330.0 * MILLION, CENT);
    app.stop().await;
}

/// The next message of a raw change stream, within [`WAIT`].
async fn next_message(
    stream: &mut tonic::Streaming<pb::WatchChangesResponse>,
) -> pb::WatchChangesResponse {
    tokio::time::timeout(WAIT, stream.message())
        .await
        .expect("a message within the wait")
        .expect("the stream is healthy")
        .expect("the stream is still open")
}

#[tokio::test]
async fn a_filtered_watch_resumes_past_the_changes_it_left_out() {
    let upstream = Upstream::start().await;
    upstream.mount_imf(json(upstream::imf_fixture())).await;
    let app = app(&upstream).await;
    let mut stream = app
        .refresh
        .clone()
        .watch_changes(pb::WatchChangesRequest {
            after_seq: Some(0),
            source: "wto".into(),
            heartbeat_interval: Some(prost_types::Duration {
                seconds: 1,
                nanos: 0,
            }),
        })
        .await
        .expect("WatchChanges")
        .into_inner();
    let caught_up = next_message(&mut stream).await;
    assert_eq!(caught_up.kind(), pb::WatchEventKind::CaughtUp);
    assert_eq!(caught_up.resume_after_seq, 0, "nothing stored yet");

    let imf = trigger(&app, "imf").await;
    assert_run(&imf, RunState::Succeeded, &[]);
    assert!(imf.changes > 0);
    // Every change is IMF's, so the wto watcher gets none of them, but its
    // heartbeats carry the resume point past them.
    let heartbeat = loop {
        let message = next_message(&mut stream).await;
        assert_ne!(message.kind(), pb::WatchEventKind::Changes, "{message:?}");
        if message.resume_after_seq == imf.changes {
            break message;
        }
    };
    assert_eq!(heartbeat.kind(), pb::WatchEventKind::Heartbeat);

    // Resuming there replays nothing and catches up at once.
    let (replayed, resume) = crate::helpers::replayed_changes(
        &app,
        pb::WatchChangesRequest {
            after_seq: Some(heartbeat.resume_after_seq),
            source: "wto".into(),
            ..Default::default()
        },
    )
    .await;
    assert!(replayed.is_empty(), "{replayed:?}");
    assert_eq!(resume, imf.changes);

    // A resume point this server never issued is OUT_OF_RANGE, naming the
    // newest change it holds.
    let beyond = app
        .refresh
        .clone()
        .watch_changes(pb::WatchChangesRequest {
            after_seq: Some(imf.changes + 100),
            ..Default::default()
        })
        .await
        .expect_err("beyond the newest change");
    assert_eq!(beyond.code(), Code::OutOfRange);
    let info = {
        use tonic_types::StatusExt;
        beyond
            .get_error_details()
            .error_info()
            .cloned()
            .expect("ErrorInfo")
    };
    assert_eq!(info.reason, "RESUME_POINT_UNAVAILABLE");
    assert_eq!(
        info.metadata.get("newest_seq"),
        Some(&imf.changes.to_string())
    );
    app.stop().await;
}

#[tokio::test]
async fn a_heartbeat_interval_outside_its_range_is_invalid() {
    let upstream = Upstream::start().await;
    let app = app(&upstream).await;
    for seconds in [0, 7200] {
        let result = app
            .refresh
            .clone()
            .watch_changes(pb::WatchChangesRequest {
                heartbeat_interval: Some(prost_types::Duration { seconds, nanos: 0 }),
                ..Default::default()
            })
            .await;
        assert_status(result, Code::InvalidArgument, "heartbeat_interval");
    }
    app.stop().await;
}

#[tokio::test]
async fn at_shutdown_a_change_stream_ends_unavailable_so_clients_reconnect() {
    let upstream = Upstream::start().await;
    let app = app(&upstream).await;
    let mut stream = app
        .refresh
        .clone()
        .watch_changes(pb::WatchChangesRequest::default())
        .await
        .expect("WatchChanges")
        .into_inner();
    assert_eq!(
        next_message(&mut stream).await.kind(),
        pb::WatchEventKind::CaughtUp
    );
    let stopping = tokio::spawn(app.stop());
    let end = tokio::time::timeout(WAIT, stream.message())
        .await
        .expect("the stream ends within the wait");
    match end {
        Err(status) => assert_eq!(status.code(), Code::Unavailable, "{status:?}"),
        Ok(message) => panic!("expected UNAVAILABLE, got {message:?}"),
    }
    stopping.await.expect("stopped");
}

#[tokio::test]
async fn two_watchers_receive_the_same_changes_in_order() {
    let upstream = Upstream::start().await;
    upstream.mount_imf(json(upstream::imf_fixture())).await;
    let app = app(&upstream).await;
    let mut first = watch(&app, None, "").await;
    let mut second = watch(&app, None, "").await;

    let run = trigger(&app, "imf").await;
    assert_run(&run, RunState::Succeeded, &[]);
    let count = usize::try_from(run.changes).expect("count");
    assert!(
        count >= 10,
        "5 years × exports and imports are new: {run:?}"
    );
    let (a, b) = tokio::join!(
        next_changes(&mut first, count),
        next_changes(&mut second, count)
    );
    assert_eq!(a, b);
    assert!(
        a.windows(2).all(|w| w[0].seq < w[1].seq),
        "seq order: {a:#?}"
    );
    assert!(a.iter().all(|c| c.run_id == run.id && c.source == "imf"));
    assert!(a.iter().all(|c| c.kind() == ChangeKind::NewFigure));
    app.stop().await;
}

#[tokio::test]
async fn watch_changes_after_seq_zero_replays_every_stored_change() {
    let upstream = Upstream::start().await;
    upstream.mount_imf(json(upstream::imf_fixture())).await;
    upstream.mount_wto().await;
    let app = app(&upstream).await;
    let imf = trigger(&app, "imf").await;
    let wto = trigger(&app, "wto").await;
    assert_run(&imf, RunState::Succeeded, &[]);
    assert_run(&wto, RunState::Succeeded, &[]);
    let total = usize::try_from(imf.changes + wto.changes).expect("count");

    let mut stream = watch(&app, Some(0), "").await;
    let replayed = next_changes(&mut stream, total).await;
    let seqs: Vec<i64> = replayed.iter().map(|c| c.seq).collect();
    assert_eq!(
        seqs,
        (1..=i64::try_from(total).expect("count")).collect::<Vec<_>>()
    );
    let runs: Vec<i64> = replayed.iter().map(|c| c.run_id).collect();
    let imf_count = usize::try_from(imf.changes).expect("count");
    assert!(runs[..imf_count].iter().all(|&id| id == imf.id));
    assert!(runs[imf_count..].iter().all(|&id| id == wto.id));
    assert!(replayed.iter().all(|c| c.commit_time.is_some()));

    // Resuming later replays only what came after.
    let mut resumed = watch(&app, Some(seqs[imf_count - 1]), "").await;
    let rest = next_changes(&mut resumed, total - imf_count).await;
    assert_eq!(rest, replayed[imf_count..]);
    app.stop().await;
}

// ---------------------------------------------------------------------------
// 7. Readers during swaps
// ---------------------------------------------------------------------------

#[tokio::test]
async fn readers_never_see_half_of_a_swap() {
    let upstream = Upstream::start().await;
    let switch = Switch::new(vec![json(upstream::imf_fixture()), json(imf_version_b())]);
    upstream.mount_imf(switch.clone()).await;
    let app = app(&upstream).await;
    // Mirror 2023 from Korea's side: (Cambodia's imports, Cambodia's exports).
    let version_a = (470.25 * MILLION, 281.14 * MILLION);
    let version_b = (500.0 * MILLION, 300.0 * MILLION);

    let stop = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs(10);
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let mut trade = app.trade.clone();
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                let (mut answers, mut errors) = (Vec::new(), Vec::new());
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    let request = pb::GetBilateralTradeRequest {
                        reporter: "KOR".into(),
                        partner: "KHM".into(),
                        start_year: 2023,
                        end_year: 2023,
                    };
                    match trade.get_bilateral_trade(request).await {
                        Ok(response) => {
                            let mirror = response.into_inner().mirror_years;
                            answers.push(mirror.first().map(|y| (y.exports_usd, y.imports_usd)));
                        }
                        Err(status) => errors.push(status.to_string()),
                    }
                }
                (answers, errors)
            })
        })
        .collect();

    let mut runs = Vec::new();
    for version in [1, 0, 1, 0] {
        switch.serve(version);
        runs.push(trigger(&app, "imf").await);
    }
    stop.store(true, Ordering::SeqCst);
    for run in &runs {
        assert_run(run, RunState::Succeeded, &[]);
    }
    assert!(
        runs[0].changes > 0 && runs[1].changes > 0,
        "the versions differ"
    );

    let close = |a: f64, b: f64| (a - b).abs() < CENT;
    let mut total = 0;
    for reader in readers {
        let (answers, errors) = reader.await.expect("reader task");
        assert!(errors.is_empty(), "errors while swapping: {errors:?}");
        total += answers.len();
        for answer in answers {
            let Some((Some(exports), Some(imports))) = answer else {
                panic!("no 2023 mirror figures: {answer:?}");
            };
            let is = |(e, i): (f64, f64)| close(exports, e) && close(imports, i);
            assert!(
                is(version_a) || is(version_b),
                "a mix of versions: exports {exports}, imports {imports}"
            );
        }
    }
    assert!(total >= 4, "the readers ran ({total} answers)");
    let last = year(&bilateral(&app).await.mirror_years, 2023).clone();
    assert_close(last.exports_usd, version_a.0, CENT);
    app.stop().await;
}

// ---------------------------------------------------------------------------
// 8. Schedule and start-up catch-up
// ---------------------------------------------------------------------------

#[tokio::test]
async fn the_schedule_fires_a_refresh() {
    let upstream = Upstream::start().await;
    upstream.mount_imf(json(upstream::imf_fixture())).await;
    let app = app_with(&upstream, |settings| {
        settings.refresh.enabled = true;
        settings.refresh.imf_schedule = "*/1 * * * * *".into();
    })
    .await;

    let run = wait_for_run(&app, "imf", RunTrigger::Schedule, RunState::Succeeded).await;
    assert!(run.rows > 0);
    let sources = app
        .refresh
        .clone()
        .list_sources(pb::ListSourcesRequest {})
        .await
        .expect("ListSources")
        .into_inner()
        .sources;
    let imf = sources
        .iter()
        .find(|s| s.name == "imf")
        .expect("imf listed");
    assert_eq!(imf.schedule, "*/1 * * * * *");
    assert!(imf.next_run_time.is_some(), "scheduled: {imf:?}");
    app.stop().await;
}

#[tokio::test]
async fn startup_catch_up_refreshes_a_never_refreshed_source() {
    let upstream = Upstream::start().await;
    let (page1, page2) = worldbank_release_2025();
    upstream.mount_worldbank_pages(page1, page2).await;
    let app = app_with(&upstream, |settings| settings.refresh.enabled = true).await;

    let run = wait_for_run(&app, "worldbank", RunTrigger::Startup, RunState::Succeeded).await;
    assert_eq!(run.rows, 13);
    let series = indicator(&app, "KHM", "").await;
    assert_eq!(
        texts(&series.vintages).last().map(String::as_str),
        Some("2025-07-01")
    );
    app.stop().await;
}

#[tokio::test]
async fn an_empty_admin_token_disables_admin_calls() {
    let mut app = crate::helpers::spawn_app_with(|s| {
        s.admin_token = Some(tradepact::config::Secret::new(""))
    })
    .await;
    let result = app
        .refresh
        .trigger_refresh(crate::helpers::with_bearer(
            tradepact::grpc::pb::TriggerRefreshRequest {
                source: "wto".into(),
            },
            "",
        ))
        .await;
    crate::helpers::assert_status(result, tonic::Code::PermissionDenied, "disabled");
    app.stop().await;
}

#[tokio::test]
async fn comtrade_records_of_another_year_fail_the_run() {
    let upstream = Upstream::start().await;
    upstream.mount_comtrade_reporters().await;
    // Korea's 2022 answer served for the 2021 question.
    upstream
        .mount_comtrade_totals(2021, json(upstream::comtrade_totals_2022()))
        .await;
    upstream.mount_comtrade_empty().await;
    let app = app(&upstream).await;
    let before = served(&app).await;

    let run = trigger(&app, "comtrade").await;
    assert_run(&run, RunState::Failed, &["asked for 2021", "2022"]);
    assert_eq!(served(&app).await, before);
    app.stop().await;
}

/// Comtrade HS4 lines for the HS2 fixture's chapters: each chapter split into
/// two headings, 60% and 40% of its value.
fn comtrade_hs4_from_hs2() -> Vec<u8> {
    let chapters = upstream::records_of(&upstream::json_value(&upstream::comtrade_hs2_2022()));
    let mut headings = Vec::new();
    for chapter in chapters {
        let code = chapter["cmdCode"].as_str().expect("a code").to_owned();
        let value = chapter["primaryValue"].as_f64().expect("a value");
        for (suffix, part) in [("01", 0.6), ("02", 0.4)] {
            let mut heading = chapter.clone();
            heading["cmdCode"] = format!("{code}{suffix}").into();
            heading["cmdDesc"] = format!("heading {code}{suffix}").into();
            heading["aggrLevel"] = 4.into();
            heading["primaryValue"] = (value * part).into();
            heading["fobvalue"] = (value * part).into();
            headings.push(heading);
        }
    }
    upstream::comtrade_envelope(headings)
}

#[tokio::test]
async fn product_lines_are_summed_from_the_finest_level_and_read_largest_first() {
    let upstream = Upstream::start().await;
    upstream.mount_comtrade().await;
    Mock::given(method("GET"))
        .and(path(COMTRADE_PREVIEW))
        .and(query_param("period", "2022"))
        .and(query_param("cmdCode", "AG4"))
        .and(query_param("partnerCode", "116"))
        .respond_with(json(comtrade_hs4_from_hs2()))
        .with_priority(1)
        .mount(&upstream.server)
        .await;
    let app = app(&upstream).await;
    assert_run(&trigger(&app, "comtrade").await, RunState::Succeeded, &[]);

    // HS2 summed from the HS4 lines: the chapters' values again, with the
    // chapters' own descriptions.
    let chapters = products(&app, 2022, 2).await.expect("chapters");
    let codes: Vec<&str> = chapters
        .products
        .iter()
        .map(|p| p.hs_code.as_str())
        .collect();
    assert_eq!(codes, ["87", "84", "85", "39", "22", "61", "62", "64"]);
    assert_close(chapters.products[0].value_usd, 180.0 * MILLION, CENT);
    assert!(chapters.products[0].description.starts_with("Vehicles"));

    // HS4 is the stored level: largest first, limited, shares of its total.
    let headings = products(&app, 2022, 4).await.expect("headings");
    assert_eq!(headings.products.len(), 16);
    let values: Vec<f64> = headings
        .products
        .iter()
        .filter_map(|p| p.value_usd)
        .collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
    assert_eq!(headings.products[0].hs_code, "8701");
    assert_eq!(headings.products[0].description, "heading 8701");
    assert_close(headings.products[0].share_pct, 108.0 / 415.0 * 100.0, 1e-9);
    let top_two = app
        .trade
        .clone()
        .get_product_breakdown(pb::GetProductBreakdownRequest {
            reporter: "KOR".into(),
            partner: "KHM".into(),
            year: 2022,
            flow: TradeFlow::Export.into(),
            hs_digits: 4,
            page_size: 2,
            ..Default::default()
        })
        .await
        .expect("top two")
        .into_inner();
    assert_eq!(top_two.products, headings.products[..2]);

    // HS6 is finer than anything stored: NOT_FOUND saying what is held,
    // never an empty answer with OK.
    assert_status(
        products(&app, 2022, 6).await,
        Code::NotFound,
        "the finest level held is HS4",
    );
    app.stop().await;
}
