//! Upstream faults: every way a data source can misbehave on the wire or in
//! its content — connection refused, reset mid-body, a 1 byte/s drip, 10 MB
//! of garbage, a gzip bomb, an endless redirect, an HTML page for a JSON
//! API, valid JSON with absurd values, an answer about another reporter.
//!
//! Each fault runs against the real `tradepact serve` process, triggered
//! with TriggerRefresh (admin token) and followed to its end with
//! GetRefreshRun, and must leave the data exactly as
//! they were (the database's content hash and the served answers), end in a
//! FAILED run whose reason names the fault, end in bounded time (no hang),
//! and keep the server's memory bounded (RSS growth under [`RSS_BOUND_KIB`]
//! over every trial; in long mode many trials, so a leak per run shows).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::transport::Channel;
use tradepact::grpc::pb;
use tradepact::grpc::pb::indicator_service_client::IndicatorServiceClient;
use tradepact::grpc::pb::refresh_service_client::RefreshServiceClient;
use tradepact::grpc::pb::trade_service_client::TradeServiceClient;
use tradepact::grpc::pb::{RunState, TradeFlow};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{FOLLOW_EVERY, Server, content_hash, follow_run, pick, record, start};

#[path = "../api/upstream.rs"]
#[allow(dead_code, clippy::all)]
mod upstream;

use upstream::{Switch, Upstream, json};

const TOKEN: &str = "reliability-upstream-token";
/// Server-side limits every fault runs with.
const HTTP_TIMEOUT_SECS: u64 = 2;
const HTTP_ATTEMPTS: u32 = 2;
const MAX_BODY_MIB: usize = 16;
/// Peak RSS growth allowed over all trials of one fault: 8× the body
/// limit. A run may hold a body up to the limit (in a buffer that grows by
/// doubling) plus what its parser makes of it, and the allocator keeps
/// freed memory per arena; a leak per run would exceed it in long mode.
const RSS_BOUND_KIB: u64 = 8 * MAX_BODY_MIB as u64 * 1024;
/// Longest any one run may take, from TriggerRefresh to its end, before it
/// counts as a hang.
const RUN_LIMIT: Duration = Duration::from_secs(20);

/// Where each source points: the wiremock upstream, a raw fault server, or
/// a closed port.
struct Urls {
    flags: BTreeMap<&'static str, String>,
}

impl Urls {
    fn at(upstream: &Upstream) -> Self {
        let base = upstream.server.uri();
        let closed = closed_port_url();
        let mut flags = BTreeMap::new();
        flags.insert("--worldbank-url", format!("{base}/worldbank"));
        flags.insert("--comtrade-url", format!("{base}/comtrade"));
        flags.insert("--imf-url", format!("{base}/imf"));
        flags.insert("--customs-url", closed.clone());
        flags.insert("--wto-url", closed);
        Self { flags }
    }

    fn with(mut self, flag: &'static str, url: String) -> Self {
        self.flags.insert(flag, url);
        self
    }
}

/// A URL on 127.0.0.1 where nothing listens (bound, then released).
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    format!("http://{addr}")
}

/// The server under test, its database and a channel to it.
struct Target {
    server: Server,
    db: PathBuf,
    channel: Channel,
    _dir: tempfile::TempDir,
}

impl Target {
    /// SIGKILL and reap; harmless when already stopped.
    fn stop(&mut self) {
        let _ = self.server.child.kill();
        let _ = self.server.child.wait();
    }
}

/// A scenario that fails half-way must not leave its server running.
impl Drop for Target {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn serve(urls: &Urls) -> Target {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("t.db");
    let years = upstream::years_back_to(2021).to_string();
    let mut args: Vec<String> = vec![
        "--admin-token".into(),
        TOKEN.into(),
        "--http-timeout-secs".into(),
        HTTP_TIMEOUT_SECS.to_string(),
        "--http-attempts".into(),
        HTTP_ATTEMPTS.to_string(),
        "--http-backoff-ms".into(),
        "10".into(),
        "--request-interval-ms".into(),
        "0".into(),
        "--http-max-body-mib".into(),
        MAX_BODY_MIB.to_string(),
        "--years".into(),
        years,
        "--worldbank-indicators".into(),
        "NY.GDP.MKTP.KD.ZG".into(),
        "--refresh-timeout-secs".into(),
        "60".into(),
    ];
    for (flag, url) in &urls.flags {
        args.push((*flag).to_owned());
        args.push(url.clone());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = start(dir.path(), &db, &args);
    let channel = Channel::from_shared(server.url())
        .expect("uri")
        .connect()
        .await
        .expect("connects");
    Target {
        server,
        db,
        channel,
        _dir: dir,
    }
}

/// What the service answers about Korea–Cambodia, compared before and after.
#[derive(Debug, PartialEq)]
struct Served {
    trade: Result<pb::GetBilateralTradeResponse, (tonic::Code, String)>,
    gdp_growth: Result<pb::GetIndicatorSeriesResponse, (tonic::Code, String)>,
    rank_2022: Result<pb::RankPartnersResponse, (tonic::Code, String)>,
}

fn plain<T>(result: Result<tonic::Response<T>, tonic::Status>) -> Result<T, (tonic::Code, String)> {
    result
        .map(tonic::Response::into_inner)
        .map_err(|status| (status.code(), status.message().to_owned()))
}

/// The data served, without what only reports the sources' state (each
/// answer's `freshness`, a missing ranking's source and its state): a failed
/// run keeps the data but is itself news.
async fn served(channel: &Channel) -> Served {
    let mut served = answers(channel).await;
    if let Ok(trade) = &mut served.trade {
        trade.freshness.clear();
    }
    if let Ok(series) = &mut served.gdp_growth {
        series.freshness.clear();
    }
    match &mut served.rank_2022 {
        Ok(ranking) => {
            ranking.freshness.clear();
            ranking.missing.clear();
        }
        Err((_, message)) => {
            let data_part = message
                .split("; complete partner figures come from")
                .next()
                .unwrap_or_default()
                .to_owned();
            *message = data_part;
        }
    }
    served
}

async fn answers(channel: &Channel) -> Served {
    let mut trade = TradeServiceClient::new(channel.clone());
    let mut indicators = IndicatorServiceClient::new(channel.clone());
    Served {
        trade: plain(
            trade
                .get_bilateral_trade(pb::GetBilateralTradeRequest {
                    reporter: "KOR".into(),
                    partner: "KHM".into(),
                    start_year: 0,
                    end_year: 0,
                })
                .await,
        ),
        gdp_growth: plain(
            indicators
                .get_indicator_series(pb::GetIndicatorSeriesRequest {
                    economy: "KHM".into(),
                    indicator: "NY.GDP.MKTP.KD.ZG".into(),
                    start_year: 0,
                    end_year: 0,
                    vintage: None,
                })
                .await,
        ),
        rank_2022: plain(
            trade
                .rank_partners(pb::RankPartnersRequest {
                    reporter: "KOR".into(),
                    year: 2022,
                    flow: TradeFlow::Export.into(),
                    limit: 1000,
                    partners: Vec::new(),
                })
                .await,
        ),
    }
}

/// One trial: which source to trigger, what the reason must say, and
/// optionally which version a [`Switch`] serves first.
struct Variant {
    source: &'static str,
    needles: Vec<String>,
    serve: Option<(Switch, usize)>,
}

impl Variant {
    fn new(source: &'static str, needles: &[&str]) -> Self {
        Self {
            source,
            needles: needles.iter().map(|n| (*n).to_owned()).collect(),
            serve: None,
        }
    }

    fn switched(mut self, switch: &Switch, version: usize) -> Self {
        self.serve = Some((switch.clone(), version));
        self
    }
}

/// Triggers the variants in turn `trials` times and checks each run and
/// the data; records one row named `fault`, then asserts.
async fn exercise(fault: &str, target: Target, variants: &[Variant], trials: u64) {
    let hash_before = content_hash(&target.db);
    let served_before = served(&target.channel).await;
    let rss_before = target.server.rss_kib();
    let mut refresh = RefreshServiceClient::new(target.channel.clone());
    let mut problems: Vec<String> = Vec::new();
    let mut data_lost = 0;
    let mut failures = 0;
    let mut longest = Duration::ZERO;
    let mut total = Duration::ZERO;
    let mut rss_after_first = 0;
    let mut rss_peak = rss_before;
    let mut reasons: Vec<String> = Vec::new();
    for trial in 0..trials {
        let variant = &variants[usize::try_from(trial).expect("small") % variants.len()];
        if let Some((switch, version)) = &variant.serve {
            switch.serve(*version);
        }
        let mut request = tonic::Request::new(pb::TriggerRefreshRequest {
            source: variant.source.into(),
        });
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {TOKEN}").parse().expect("metadata"),
        );
        let started = Instant::now();
        // TriggerRefresh answers at once (RUNNING); the run is followed to
        // its end within RUN_LIMIT.
        let channel = target.channel.clone();
        let answer = tokio::time::timeout(RUN_LIMIT, async {
            let run = refresh.trigger_refresh(request).await?.into_inner();
            follow_run(channel, run, FOLLOW_EVERY, RUN_LIMIT).await
        })
        .await;
        let took = started.elapsed();
        longest = longest.max(took);
        total += took;
        let mut problem = None;
        match answer {
            Err(_) => {
                problem = Some(format!(
                    "trial {trial}: no answer within {RUN_LIMIT:?} (hang)"
                ))
            }
            Ok(Err(status)) => {
                problem = Some(format!(
                    "trial {trial}: TriggerRefresh or GetRefreshRun failed: {status:?}"
                ))
            }
            Ok(Ok(run)) => {
                if reasons.len() < variants.len() && !reasons.contains(&run.error) {
                    reasons.push(run.error.clone());
                }
                if run.state() != RunState::Failed {
                    problem = Some(format!(
                        "trial {trial} ({}): run ended {:?}, not FAILED: {run:?}",
                        variant.source,
                        run.state()
                    ));
                } else if let Some(missing) = variant
                    .needles
                    .iter()
                    .find(|n| !run.error.contains(n.as_str()))
                {
                    problem = Some(format!(
                        "trial {trial} ({}): the reason '{}' does not name the fault ('{missing}')",
                        variant.source,
                        shorten(&run.error, 300)
                    ));
                }
            }
        }
        if let Some(problem) = problem {
            failures += 1;
            problems.push(problem);
        }
        let changed_hash = content_hash(&target.db) != hash_before;
        let changed_answers = served(&target.channel).await != served_before;
        if changed_hash || changed_answers {
            data_lost += 1;
            problems.push(format!(
                "trial {trial}: the data changed (hash changed: {changed_hash}, answers changed: {changed_answers})"
            ));
        }
        let rss = target.server.rss_kib();
        rss_peak = rss_peak.max(rss);
        if trial == 0 {
            rss_after_first = rss;
        }
    }
    let rss_after = target.server.rss_kib();
    let growth = rss_peak.saturating_sub(rss_before);
    if growth > RSS_BOUND_KIB {
        failures += 1;
        problems.push(format!(
            "server RSS grew by {growth} KiB at its peak ({rss_before} → {rss_peak} KiB), over the bound of {RSS_BOUND_KIB} KiB"
        ));
    }
    let mut runs_client = RefreshServiceClient::new(target.channel.clone());
    let runs = runs_client
        .list_refresh_runs(pb::ListRefreshRunsRequest {
            source: String::new(),
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .expect("ListRefreshRuns")
        .into_inner()
        .runs;
    let failed_runs = runs
        .iter()
        .filter(|r| r.state() == RunState::Failed)
        .count() as u64;
    if failed_runs != trials || runs.len() as u64 != trials {
        failures += 1;
        problems.push(format!(
            "{} runs recorded ({failed_runs} FAILED) for {trials} triggers",
            runs.len()
        ));
    }
    let log = target.server.log_text();
    if log.contains("panicked") {
        failures += 1;
        problems.push(format!("the server panicked:\n{log}"));
    }
    let mut target = target;
    let alive = matches!(target.server.child.try_wait(), Ok(None));
    target.stop();
    let reason = reasons
        .iter()
        .map(|r| shorten(without_url(r), 120))
        .collect::<Vec<_>>()
        .join(" | ");
    record(&crate::common::Outcome {
        scenario: &format!("upstream fault: {fault}"),
        trials,
        failures,
        data_lost,
        figures: format!(
            "run max {} ms, mean {} ms; server RSS {} MiB before, {} after 1st trial, peak {}, end {} (growth bound {} MiB); reason: {reason}",
            longest.as_millis(),
            (total / u32::try_from(trials.max(1)).expect("few trials")).as_millis(),
            rss_before / 1024,
            rss_after_first / 1024,
            rss_peak / 1024,
            rss_after / 1024,
            RSS_BOUND_KIB / 1024,
        ),
    });
    assert!(alive, "{fault}: the server died");
    assert!(problems.is_empty(), "{fault}:\n{}", problems.join("\n"));
}

/// A run reason without the leading `URL: ` the adapters put first.
fn without_url(reason: &str) -> &str {
    match reason.split_once("://") {
        Some((scheme, rest)) if !scheme.contains(' ') => {
            rest.split_once(": ").map_or(reason, |(_, r)| r)
        }
        _ => reason,
    }
}

/// At most `max` characters, control characters and U+FFFD (what a
/// binary body turns into) shown as `?`, so the row stays one clean line.
fn shorten(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .take(max)
        .map(|c| {
            if c.is_control() || c == '\u{fffd}' {
                '?'
            } else {
                c
            }
        })
        .collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

// ---------------------------------------------------------------------------
// Raw fault servers (what wiremock cannot do: break the connection)
// ---------------------------------------------------------------------------

#[derive(Clone)]
enum RawFault {
    /// Headers and half of `body`, then a TCP reset.
    ResetMidBody(Vec<u8>),
    /// Headers announcing 1000 bytes, then one byte a second.
    Drip,
}

/// A loopback HTTP/1.1 server answering every request with `fault`.
async fn raw_upstream(fault: RawFault) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("address");
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(answer_raw(stream, fault.clone()));
        }
    });
    (format!("http://{addr}"), task)
}

async fn answer_raw(mut stream: tokio::net::TcpStream, fault: RawFault) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 65536 {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    match fault {
        RawFault::ResetMidBody(body) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&body[..body.len() / 2]).await;
            let _ = stream.flush().await;
            // Let the client read the headers and start on the body first.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let _ = stream.set_zero_linger();
            drop(stream); // RST, not FIN
        }
        RawFault::Drip => {
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            for _ in 0..120 {
                if stream.write_all(b" ").await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The faults
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "reliability suite: run with reliability/run"]
async fn connection_refused_fails_the_run_and_keeps_the_data() {
    let upstream = Upstream::start().await;
    let urls = Urls::at(&upstream).with("--imf-url", closed_port_url());
    let target = serve(&urls).await;
    exercise(
        "connection refused",
        target,
        &[Variant::new("imf", &["connection failed", "attempts: 2"])],
        pick(3, 30),
    )
    .await;
}

/// Headers and half the body, then a TCP reset (SO_LINGER 0).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "reliability suite: run with reliability/run"]
async fn connection_reset_mid_body_fails_the_run_and_keeps_the_data() {
    let upstream = Upstream::start().await;
    let (url, server) = raw_upstream(RawFault::ResetMidBody(upstream::imf_fixture())).await;
    let urls = Urls::at(&upstream).with("--imf-url", url);
    let target = serve(&urls).await;
    exercise(
        "connection reset mid-body",
        target,
        &[Variant::new("imf", &["body"])],
        pick(3, 30),
    )
    .await;
    server.abort();
}

/// Headers, then one byte a second: each attempt ends at
/// `--http-timeout-secs` (2 s), so the run fails in about 4 s, not hangs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "reliability suite: run with reliability/run"]
async fn a_one_byte_per_second_drip_times_out_instead_of_hanging() {
    let upstream = Upstream::start().await;
    let (url, server) = raw_upstream(RawFault::Drip).await;
    let urls = Urls::at(&upstream).with("--imf-url", url);
    let target = serve(&urls).await;
    // Each attempt is cut at --http-timeout-secs: the run ends in about
    // attempts × timeout, far below RUN_LIMIT.
    exercise(
        "slow drip 1 B/s",
        target,
        &[Variant::new("imf", &["timed out", "attempts: 2"])],
        pick(2, 10),
    )
    .await;
    server.abort();
}

/// `len` bytes from a fixed-seed generator (no `rand` seeding needed here).
fn garbage(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        // xorshift64*
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        out.extend_from_slice(&seed.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// 10 MB of random bytes with a JSON content type, for IMF, World Bank and
/// Comtrade. Random bytes are malformed data whatever the source: the
/// reason must say so ("malformed …"), not pass the bytes off as an error
/// message from the provider.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "reliability suite: run with reliability/run"]
async fn ten_megabytes_of_garbage_fail_the_run_and_keep_the_data() {
    let upstream = Upstream::start().await;
    let body = garbage(10_000_000, 0x7261_6e64);
    // The same garbage where IMF SDMX-JSON, a World Bank page and Comtrade
    // reference JSON belong.
    Mock::given(method("GET"))
        .and(path_regex("^/(imf|worldbank|comtrade)/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&upstream.server)
        .await;
    let target = serve(&Urls::at(&upstream)).await;
    exercise(
        "10 MB of garbage",
        target,
        &[
            Variant::new("imf", &["malformed"]),
            Variant::new("worldbank", &["malformed JSON"]),
            Variant::new("comtrade", &["malformed JSON"]),
        ],
        pick(3, 30),
    )
    .await;
}

/// A gzip body of about 65 KB that inflates to 64 MiB, four times
/// `--http-max-body-mib`: cut off at the limit, not inflated in full.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "reliability suite: run with reliability/run"]
async fn a_gzip_bomb_is_cut_off_at_the_body_limit() {
    let upstream = Upstream::start().await;
    let inflated = 4 * MAX_BODY_MIB * 1024 * 1024;
    let bomb = gzip_of_zeros(inflated);
    assert!(
        bomb.len() < inflated / 100,
        "a real bomb: {} bytes",
        bomb.len()
    );
    Mock::given(method("GET"))
        .and(path_regex("^/imf/"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Content-Encoding", "gzip")
                .set_body_raw(bomb, "application/json"),
        )
        .mount(&upstream.server)
        .await;
    let target = serve(&Urls::at(&upstream)).await;
    let limit = (MAX_BODY_MIB * 1024 * 1024).to_string();
    exercise(
        "gzip bomb",
        target,
        &[Variant::new("imf", &["exceeds", &limit])],
        pick(3, 30),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "reliability suite: run with reliability/run"]
async fn an_endless_redirect_fails_the_run_and_keeps_the_data() {
    let upstream = Upstream::start().await;
    Mock::given(path("/imf/again"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/imf/again"))
        .with_priority(1)
        .mount(&upstream.server)
        .await;
    Mock::given(path_regex("^/imf/"))
        .respond_with(ResponseTemplate::new(301).insert_header("Location", "/imf/again"))
        .mount(&upstream.server)
        .await;
    let target = serve(&Urls::at(&upstream)).await;
    exercise(
        "endless redirect",
        target,
        &[Variant::new("imf", &["too many redirects"])],
        pick(3, 30),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "reliability suite: run with reliability/run"]
async fn an_html_page_for_a_json_api_fails_the_run_and_keeps_the_data() {
    let upstream = Upstream::start().await;
    let page = "<!DOCTYPE html>\n<html><head><title>Scheduled Maintenance</title></head>\
                <body><h1>We'll be back soon</h1></body></html>";
    Mock::given(path_regex("^/(imf|worldbank|comtrade)/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page, "text/html; charset=utf-8"))
        .mount(&upstream.server)
        .await;
    let target = serve(&Urls::at(&upstream)).await;
    exercise(
        "HTML page for a JSON API",
        target,
        &[
            Variant::new("imf", &["HTML", "Scheduled Maintenance"]),
            Variant::new("worldbank", &["HTML", "Scheduled Maintenance"]),
            Variant::new("comtrade", &["HTML", "Scheduled Maintenance"]),
        ],
        pick(3, 30),
    )
    .await;
}

/// Korea's 2022 Comtrade totals with `edit` applied to the records.
fn comtrade_totals_with(edit: impl FnOnce(&mut Vec<serde_json::Value>)) -> Vec<u8> {
    let totals = upstream::json_value(&upstream::comtrade_totals_2022());
    let mut records = upstream::records_of(&totals);
    edit(&mut records);
    upstream::comtrade_envelope(records)
}

fn is_khm_export(record: &serde_json::Value) -> bool {
    record["partnerISO"] == "KHM" && record["flowCode"] == "X"
}

/// Well-formed answers with absurd content: a negative trade figure
/// (Comtrade, IMF), the same record key twice with two values (Comtrade),
/// year 3000 (Comtrade, World Bank). Validation must refuse each, naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "reliability suite: run with reliability/run"]
async fn valid_json_with_absurd_values_fails_the_run_and_keeps_the_data() {
    let upstream = Upstream::start().await;
    // Comtrade: a negative export figure; the same key twice.
    let negative = comtrade_totals_with(|records| {
        for record in records.iter_mut().filter(|r| is_khm_export(r)) {
            record["primaryValue"] = serde_json::json!(-800_000_000.0);
        }
    });
    let duplicated = comtrade_totals_with(|records| {
        let mut twin = records
            .iter()
            .find(|r| is_khm_export(r))
            .cloned()
            .expect("KHM export");
        twin["primaryValue"] = serde_json::json!(810_000_000.0);
        records.push(twin);
    });
    let year_3000 = comtrade_totals_with(|records| {
        for record in records.iter_mut().filter(|r| is_khm_export(r)) {
            record["refYear"] = serde_json::json!(3000);
            record["period"] = serde_json::json!("3000");
        }
    });
    let comtrade = Switch::new(vec![json(negative), json(duplicated), json(year_3000)]);
    upstream.mount_comtrade_reporters().await;
    upstream.mount_comtrade_totals(2022, comtrade.clone()).await;
    upstream.mount_comtrade_empty().await;
    // World Bank: Cambodia's 2019 growth dated year 3000.
    let relabel = |name: &str| {
        String::from_utf8(upstream::fixture(name))
            .expect("UTF-8")
            .replace("\"date\":\"2019\"", "\"date\":\"3000\"")
            .into_bytes()
    };
    upstream
        .mount_worldbank_pages(
            relabel("worldbank/KHM_NY.GDP.MKTP.KD.ZG_2011-2023_page1of2.json"),
            relabel("worldbank/KHM_NY.GDP.MKTP.KD.ZG_2011-2023_page2of2.json"),
        )
        .await;
    // IMF: a negative 2023 export figure.
    let imf = String::from_utf8(upstream::imf_fixture())
        .expect("UTF-8")
        .replace("\"281.14\"", "\"-281.14\"");
    upstream.mount_imf(json(imf.into_bytes())).await;
    let target = serve(&Urls::at(&upstream)).await;
    exercise(
        "valid JSON, absurd values",
        target,
        &[
            Variant::new(
                "comtrade",
                &[
                    "rejected by validation",
                    "KOR→KHM",
                    "-800000000",
                    "not a plausible",
                ],
            )
            .switched(&comtrade, 0),
            Variant::new(
                "comtrade",
                &["rejected by validation", "KOR→KHM", "appears twice"],
            )
            .switched(&comtrade, 1),
            // The adapter refuses records of a year it did not ask for
            // before validation sees them.
            Variant::new("comtrade", &["asked for 2022", "record for 3000"]).switched(&comtrade, 2),
            Variant::new("worldbank", &["rejected by validation", "year 3000"]),
            Variant::new(
                "imf",
                &["rejected by validation", "KHM→KOR", "not a plausible"],
            ),
        ],
        pick(5, 50),
    )
    .await;
}

/// An answer about someone else: China's Comtrade records where Korea's were
/// asked for, Vietnam's IMF figures where Cambodia's were.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "reliability suite: run with reliability/run"]
async fn an_answer_about_another_reporter_fails_the_run_and_keeps_the_data() {
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
    // IMF: every economy's figures on Korea were asked for (the mirror
    // side); the answer is Cambodia's figures on Japan.
    let counterpart =
        "\"id\":\"COUNTERPART_COUNTRY\",\"keyPosition\":2,\"roles\":[],\"values\":[{\"id\":";
    let imf = String::from_utf8(upstream::imf_fixture())
        .expect("UTF-8")
        .replace(
            &format!("{counterpart}\"KOR\"}}"),
            &format!("{counterpart}\"JPN\"}}"),
        );
    assert!(imf.contains("JPN"), "the fixture names its counterpart");
    upstream.mount_imf(json(imf.into_bytes())).await;
    let target = serve(&Urls::at(&upstream)).await;
    exercise(
        "response for another reporter",
        target,
        &[
            Variant::new("comtrade", &["asked for KOR", "CHN"]),
            Variant::new("imf", &["asked for *.KOR", "KHM with JPN"]),
        ],
        pick(4, 30),
    )
    .await;
}

// ---------------------------------------------------------------------------
// A gzip bomb
// ---------------------------------------------------------------------------

/// The gzip file of `len` zero bytes, compressed as hard as deflate can
/// (about 1:1000).
fn gzip_of_zeros(len: usize) -> Vec<u8> {
    use std::io::Write;

    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0_u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let chunk = left.min(zeros.len());
        encoder
            .write_all(&zeros[..chunk])
            .expect("writes to memory");
        left -= chunk;
    }
    encoder.finish().expect("writes to memory")
}
