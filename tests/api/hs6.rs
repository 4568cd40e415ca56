//! Comtrade HS6 mode end to end: the keyed API played by wiremock, the
//! year's all-partner totals from the fixtures, and HS6 answers generated
//! for exactly the partners each request names, so the chunking, the cap,
//! faults mid-run and revisions can be checked through the public API.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tradepact::config::{Secret, Settings};
use tradepact::grpc::pb;
use tradepact::grpc::pb::{RunState, TradeFlow};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use crate::helpers::{TestApp, finished_run, replayed_changes, spawn_app_with, with_bearer};
use crate::upstream::{self, Upstream, json};

const TOKEN: &str = "test-admin-token";
const COMTRADE_KEY: &str = "test-comtrade-key";
const COMTRADE_DATA: &str = "/comtrade/data/v1/get/C/A/HS";
/// HS6 lines every partner trades in, each answer.
const CODES: [&str; 3] = ["870321", "220210", "610910"];

/// What the next HS6 answers do wrong.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    None,
    /// The n-th HS6 answer (from 0) is cut in the middle of a record.
    MalformedAt(usize),
    /// The n-th HS6 answer says it holds 100,000 records.
    CapAt(usize),
}

/// Comtrade's keyed data API answering HS6 requests: three lines per
/// partner named in `partnerCode`, whose values move with `version`.
#[derive(Clone)]
struct Hs6Answers {
    iso_of: Arc<HashMap<u64, String>>,
    version: Arc<AtomicUsize>,
    fault: Arc<Mutex<Fault>>,
    served: Arc<AtomicUsize>,
}

impl Hs6Answers {
    fn new() -> Self {
        let totals = upstream::json_value(&upstream::comtrade_totals_2022());
        let iso_of = upstream::records_of(&totals)
            .iter()
            .map(|r| {
                (
                    r["partnerCode"].as_u64().expect("partnerCode"),
                    r["partnerISO"].as_str().expect("partnerISO").to_owned(),
                )
            })
            .collect();
        Self {
            iso_of: Arc::new(iso_of),
            version: Arc::new(AtomicUsize::new(0)),
            fault: Arc::new(Mutex::new(Fault::None)),
            served: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn set_fault(&self, fault: Fault) {
        *self.fault.lock().expect("lock") = fault;
        self.served.store(0, Ordering::SeqCst);
    }

    /// The value of one line: distinct per partner, code and flow; only
    /// Cambodia's cars move with the version.
    fn value(partner: u64, code_index: usize, flow: &str, version: usize) -> f64 {
        let base = partner as f64 * 1000.0 + code_index as f64 * 10.0;
        let flow_part = if flow == "M" { 1.0 } else { 0.0 };
        let revision = if partner == 116 && code_index == 0 {
            version as f64 * 500.0
        } else {
            0.0
        };
        base + flow_part + revision
    }
}

impl Respond for Hs6Answers {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        let flow = query.get("flowCode").cloned().unwrap_or_default();
        let year: i64 = query
            .get("period")
            .and_then(|p| p.parse().ok())
            .unwrap_or_default();
        let version = self.version.load(Ordering::SeqCst);
        let mut records = Vec::new();
        for code in query
            .get("partnerCode")
            .map(String::as_str)
            .unwrap_or_default()
            .split(',')
            .filter_map(|c| c.parse::<u64>().ok())
        {
            let iso = self.iso_of.get(&code).cloned().unwrap_or_default();
            for (index, hs) in CODES.iter().enumerate() {
                records.push(serde_json::json!({
                    "typeCode": "C", "freqCode": "A", "refPeriodId": year * 10000 + 101,
                    "refYear": year, "refMonth": 52, "period": year.to_string(),
                    "reporterCode": 410, "reporterISO": "KOR", "reporterDesc": "Rep. of Korea",
                    "flowCode": flow, "partnerCode": code, "partnerISO": iso,
                    "partner2Code": 0, "classificationCode": "H6", "cmdCode": hs,
                    "cmdDesc": format!("Product {hs}, \"quoted\""), "aggrLevel": 6,
                    "customsCode": "C00", "motCode": 0, "qty": null, "netWgt": null,
                    "primaryValue": Self::value(code, index, &flow, version),
                    "isReported": true, "isAggregate": false
                }));
            }
        }
        let mut body = upstream::comtrade_envelope(records);
        let n = self.served.fetch_add(1, Ordering::SeqCst);
        match *self.fault.lock().expect("lock") {
            Fault::MalformedAt(at) if at == n => body.truncate(body.len() / 2),
            Fault::CapAt(at) if at == n => {
                let mut value = upstream::json_value(&body);
                value["count"] = serde_json::json!(100_000);
                body = serde_json::to_vec(&value).expect("serialises");
            }
            _ => {}
        }
        json(body)
    }
}

/// The keyed API: reporters, 2022 totals, HS6 answers, Cambodia's HS2
/// fixture, and an empty answer to everything else.
async fn mount(upstream: &Upstream, answers: &Hs6Answers) {
    upstream.mount_comtrade_reporters().await;
    Mock::given(method("GET"))
        .and(path(COMTRADE_DATA))
        .and(query_param("period", "2022"))
        .and(query_param("cmdCode", "TOTAL"))
        .respond_with(json(upstream::comtrade_totals_2022()))
        .mount(&upstream.server)
        .await;
    Mock::given(method("GET"))
        .and(path(COMTRADE_DATA))
        .and(query_param("period", "2022"))
        .and(query_param("cmdCode", "AG6"))
        .respond_with(answers.clone())
        .mount(&upstream.server)
        .await;
    Mock::given(method("GET"))
        .and(path(COMTRADE_DATA))
        .and(query_param("period", "2022"))
        .and(query_param("cmdCode", "AG2"))
        .and(query_param("partnerCode", "116"))
        .respond_with(json(upstream::comtrade_hs2_2022()))
        .mount(&upstream.server)
        .await;
    Mock::given(method("GET"))
        .and(path(COMTRADE_DATA))
        .respond_with(json(upstream::comtrade_empty()))
        .with_priority(10)
        .mount(&upstream.server)
        .await;
}

fn hs6_settings(upstream: &Upstream, per_request: usize) -> impl FnOnce(&mut Settings) {
    let base = upstream.server.uri();
    move |settings| {
        settings.admin_token = Some(Secret::new(TOKEN));
        let refresh = &mut settings.refresh;
        refresh.comtrade_url = format!("{base}/comtrade");
        refresh.comtrade_key = Some(Secret::new(COMTRADE_KEY));
        refresh.comtrade_hs6 = true;
        refresh.comtrade_partners_per_request = per_request;
        refresh.years = upstream::years_back_to(2021);
        refresh.request_interval_ms = 0;
        refresh.http_backoff_ms = 10;
    }
}

/// TriggerRefresh of comtrade, followed to the run's end.
async fn trigger(app: &TestApp) -> pb::RefreshRun {
    let started = app
        .refresh
        .clone()
        .trigger_refresh(with_bearer(
            pb::TriggerRefreshRequest {
                source: "comtrade".into(),
            },
            TOKEN,
        ))
        .await
        .expect("TriggerRefresh")
        .into_inner();
    finished_run(app, started).await
}

async fn products(
    app: &TestApp,
    partner: &str,
    flow: TradeFlow,
    hs_digits: i32,
) -> Result<pb::GetProductBreakdownResponse, tonic::Status> {
    app.trade
        .clone()
        .get_product_breakdown(pb::GetProductBreakdownRequest {
            reporter: "KOR".into(),
            partner: partner.into(),
            year: 2022,
            flow: flow.into(),
            hs_digits,
            page_size: 1000,
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

/// Partners the totals fixture names for `flow` that the dataset knows
/// (all but the World and "Other Asia, nes"), by Comtrade code.
fn known_partners(flow: &str) -> BTreeSet<u64> {
    let totals = upstream::json_value(&upstream::comtrade_totals_2022());
    upstream::records_of(&totals)
        .iter()
        .filter(|r| r["flowCode"] == flow && r["partnerCode"] != 0 && r["partnerISO"] != "S19")
        .map(|r| r["partnerCode"].as_u64().expect("code"))
        .collect()
}

/// The HS6 requests the upstream received: (flow, partner codes).
async fn hs6_requests(upstream: &Upstream) -> Vec<(String, Vec<u64>)> {
    let requests = upstream
        .server
        .received_requests()
        .await
        .unwrap_or_default();
    requests
        .iter()
        .filter(|r| r.url.query().is_some_and(|q| q.contains("cmdCode=AG6")))
        .map(|r| {
            let query: HashMap<String, String> = r.url.query_pairs().into_owned().collect();
            assert_eq!(query.get("maxRecords").map(String::as_str), Some("100000"));
            assert!(r.headers.contains_key("ocp-apim-subscription-key"));
            let partners = query["partnerCode"]
                .split(',')
                .map(|c| c.parse().expect("a code"))
                .collect();
            (query["flowCode"].clone(), partners)
        })
        .collect()
}

/// The database's tables, once the app has stopped.
fn tables(dir: &tempfile::TempDir) -> Vec<String> {
    let connection =
        rusqlite::Connection::open(dir.path().join("tradepact.db")).expect("the database opens");
    let mut statement = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .expect("prepares");
    statement
        .query_map([], |row| row.get(0))
        .expect("queries")
        .collect::<Result<_, _>>()
        .expect("reads")
}

#[tokio::test]
async fn hs6_mode_asks_for_every_partner_in_chunks_and_serves_their_lines() {
    let upstream = Upstream::start().await;
    let answers = Hs6Answers::new();
    mount(&upstream, &answers).await;
    let app = spawn_app_with(hs6_settings(&upstream, 5)).await;

    let run = trigger(&app).await;
    assert_eq!(run.state(), RunState::Succeeded, "{run:?}");
    let (exports, imports) = (known_partners("X"), known_partners("M"));
    let lines = 3 * (exports.len() + imports.len());
    // Partner totals, HS6 lines, and Cambodia's 8 HS2 chapters.
    assert_eq!(run.rows as usize, exports.len() + imports.len() + lines + 8);

    // Every known partner asked for once per flow, at most 5 a request.
    let requests = hs6_requests(&upstream).await;
    for (flow, expected) in [("X", &exports), ("M", &imports)] {
        let chunks: Vec<&Vec<u64>> = requests
            .iter()
            .filter(|(f, _)| f == flow)
            .map(|(_, p)| p)
            .collect();
        assert_eq!(
            chunks.len(),
            expected.len().div_ceil(5),
            "{flow}: {chunks:?}"
        );
        assert!(chunks.iter().all(|c| !c.is_empty() && c.len() <= 5));
        let asked: Vec<u64> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
        assert_eq!(asked.len(), expected.len(), "nobody twice");
        assert_eq!(&asked.into_iter().collect::<BTreeSet<_>>(), expected);
    }

    let khm = products(&app, "KHM", TradeFlow::Export, 6)
        .await
        .expect("HS6 lines");
    let served: Vec<(&str, Option<f64>)> = khm
        .products
        .iter()
        .map(|p| (p.hs_code.as_str(), p.value_usd))
        .collect();
    assert_eq!(
        served,
        [
            ("610910", Some(116_020.0)),
            ("220210", Some(116_010.0)),
            ("870321", Some(116_000.0))
        ]
    );
    assert_eq!(khm.products[0].description, "Product 610910, \"quoted\"");
    assert!(khm.sources.iter().all(|s| !s.redistributable));
    // Japan's imports come from the HS6 answers alone.
    let jpn = products(&app, "JPN", TradeFlow::Import, 4)
        .await
        .expect("HS4 from HS6");
    assert_eq!(jpn.products.len(), 3);
    assert_eq!(jpn.products[0].hs_code, "6109");
    // Cambodia's chapters keep the HS2 answer's descriptions.
    let chapters = products(&app, "KHM", TradeFlow::Export, 2)
        .await
        .expect("HS2");
    assert!(
        chapters
            .products
            .iter()
            .any(|p| p.description.starts_with("Vehicles"))
    );

    let dir = app.stop().await;
    assert!(
        !tables(&dir)
            .iter()
            .any(|t| t.starts_with("product_flows_next"))
    );
}

#[tokio::test]
async fn a_malformed_page_mid_run_fails_the_run_and_keeps_the_old_lines() {
    let upstream = Upstream::start().await;
    let answers = Hs6Answers::new();
    mount(&upstream, &answers).await;
    let app = spawn_app_with(hs6_settings(&upstream, 3)).await;
    assert_eq!(trigger(&app).await.state(), RunState::Succeeded);
    let before = products(&app, "KHM", TradeFlow::Export, 6)
        .await
        .expect("first run's lines");

    // Revised values, but the third answer breaks off mid-record.
    answers.version.store(1, Ordering::SeqCst);
    answers.set_fault(Fault::MalformedAt(2));
    let run = trigger(&app).await;
    assert_eq!(run.state(), RunState::Failed, "{run:?}");
    assert!(run.error.contains("malformed JSON"), "{}", run.error);
    assert_eq!(
        products(&app, "KHM", TradeFlow::Export, 6)
            .await
            .expect("lines"),
        before,
        "the old lines are still served"
    );

    // Once the upstream is whole again the revision goes through.
    answers.set_fault(Fault::None);
    let run = trigger(&app).await;
    assert_eq!(run.state(), RunState::Succeeded, "{run:?}");
    let after = products(&app, "KHM", TradeFlow::Export, 6)
        .await
        .expect("lines");
    let cars = after
        .products
        .iter()
        .find(|p| p.hs_code == "870321")
        .expect("cars");
    assert_eq!(cars.value_usd, Some(116_500.0));
    let (changes, _) = replayed_changes(
        &app,
        pb::WatchChangesRequest {
            after_seq: Some(0),
            source: "comtrade".into(),
            ..Default::default()
        },
    )
    .await;
    use pb::change_subject::Subject;
    let revised: Vec<_> = changes
        .iter()
        .filter(|change| change.run_id == run.id)
        .filter_map(|change| match &change.subject {
            Some(pb::ChangeSubject {
                subject: Some(Subject::ProductLines(lines)),
            }) if lines.partner == "KHM"
                && lines.flow() == TradeFlow::Export
                && lines.hs_digits == 6 =>
            {
                Some((change.kind(), lines))
            }
            _ => None,
        })
        .collect();
    assert_eq!(revised.len(), 1, "one change for Cambodia's HS6 exports");
    let (kind, lines) = revised[0];
    assert_eq!(kind, pb::ChangeKind::RevisedFigure);
    assert_eq!(
        (
            lines.reporter.as_str(),
            lines.flow(),
            lines.added,
            lines.revised,
            lines.removed,
            lines.lines
        ),
        ("KOR", TradeFlow::Export, 0, 1, 0, 3)
    );

    let dir = app.stop().await;
    assert!(
        !tables(&dir)
            .iter()
            .any(|t| t.starts_with("product_flows_next"))
    );
    let connection =
        rusqlite::Connection::open(dir.path().join("tradepact.db")).expect("the database opens");
    let history: Vec<(String, f64, f64)> = connection
        .prepare(
            "SELECT subject, old_value, new_value FROM figure_history WHERE source = 'comtrade'",
        )
        .expect("prepares")
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .expect("queries")
        .collect::<Result<_, _>>()
        .expect("reads");
    assert_eq!(
        history,
        [
            (
                "product_flow KOR→KHM export HS870321".to_owned(),
                116_000.0,
                116_500.0
            ),
            (
                "product_flow KOR→KHM import HS870321".to_owned(),
                116_001.0,
                116_501.0
            )
        ],
        "one history row per revised line, both flows"
    );
}

#[tokio::test]
async fn an_answer_at_the_record_cap_fails_the_run_and_stores_nothing() {
    let upstream = Upstream::start().await;
    let answers = Hs6Answers::new();
    answers.set_fault(Fault::CapAt(1));
    mount(&upstream, &answers).await;
    let app = spawn_app_with(hs6_settings(&upstream, 4)).await;

    let run = trigger(&app).await;
    assert_eq!(run.state(), RunState::Failed, "{run:?}");
    assert!(run.error.contains("hit the cap of 100000"), "{}", run.error);
    assert_eq!(
        products(&app, "VNM", TradeFlow::Export, 6)
            .await
            .map_err(|s| s.code())
            .err(),
        Some(tonic::Code::NotFound),
        "no line of the failed run is served"
    );
    let dir = app.stop().await;
    assert!(
        !tables(&dir)
            .iter()
            .any(|t| t.starts_with("product_flows_next"))
    );
}

#[tokio::test]
async fn one_partner_a_request_is_one_request_per_partner_and_flow() {
    let upstream = Upstream::start().await;
    let answers = Hs6Answers::new();
    mount(&upstream, &answers).await;
    let app = spawn_app_with(hs6_settings(&upstream, 1)).await;
    assert_eq!(trigger(&app).await.state(), RunState::Succeeded);
    let requests = hs6_requests(&upstream).await;
    assert_eq!(
        requests.len(),
        known_partners("X").len() + known_partners("M").len()
    );
    assert!(requests.iter().all(|(_, partners)| partners.len() == 1));
    app.stop().await;
}
