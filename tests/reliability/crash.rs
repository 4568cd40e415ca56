//! Crash consistency: SIGKILL at random moments while a large World Bank
//! refresh runs. After every restart the file passes `integrity_check`,
//! holds exactly the old or exactly the new dataset, records the run
//! honestly (INTERRUPTED unless its swap committed, then SUCCEEDED) and
//! serves data that match the file.
//!
//! Also home to what `graceful.rs` and `storage.rs` share: a World Bank
//! upstream that answers a large synthetic release (every economy × 26 years
//! × several indicators, in the API's JSON shape) so that a swap writes tens
//! of thousands of rows, and small gRPC helpers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use tonic::transport::Channel;
use tradepact::grpc::pb;
use tradepact::grpc::pb::indicator_service_client::IndicatorServiceClient;
use tradepact::grpc::pb::refresh_service_client::RefreshServiceClient;
use tradepact::grpc::pb::trade_service_client::TradeServiceClient;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use crate::common::{
    self, FOLLOW_EVERY, Outcome, Server, dates_text, follow_run, holds_wal_write_lock, pick, record,
};

// Other scenario files may load it too; each copy is its own module.
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "../api/upstream.rs"]
pub(crate) mod upstream;

/// The admin token the scenarios start the server with.
pub(crate) const TOKEN: &str = "reliability-admin-token";
/// The economy whose synthetic series the scenarios read back.
pub(crate) const PROBE_ECONOMY: &str = "KOR";
/// Upper bound for any one wait on the server or the upstream.
pub(crate) const WAIT: Duration = Duration::from_secs(30);
/// Upper bound for one refresh run, from its trigger to its end.
pub(crate) const RUN_WAIT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------
// A large synthetic World Bank release
// ---------------------------------------------------------------------------

/// Synthetic indicator codes (`REL.CRASH.1` …), apart from the built-in ones.
pub(crate) fn indicator_codes(count: usize) -> Vec<String> {
    (1..=count).map(|n| format!("REL.CRASH.{n}")).collect()
}

/// One World Bank release: an answer per indicator, all with one vintage.
pub(crate) struct Release {
    pub vintage: String,
    /// Indicator code → the JSON body of its single page.
    pub bodies: HashMap<String, Vec<u8>>,
    /// Indicator values the release holds (rows a swap writes).
    pub rows: usize,
}

/// Every single economy the built-in dataset knows (groups excluded: the
/// adapter drops them), as (ISO3, ISO2, name).
fn economies() -> Vec<(String, String, String)> {
    let seed = tradepact::seed::builtin().expect("the built-in dataset parses");
    seed.dataset
        .economies
        .values()
        .filter(|e| e.members.is_empty())
        .filter_map(|e| {
            e.iso2
                .as_ref()
                .map(|iso2| (e.code.as_str().to_owned(), iso2.clone(), e.name.clone()))
        })
        .collect()
}

/// A release of `codes` for every economy and the 26 years the adapter asks
/// for, with values that depend on `variant` (so two variants differ in
/// every value) and vintage `vintage`.
pub(crate) fn release(codes: &[String], vintage: &str, variant: u64) -> Release {
    let economies = economies();
    let this_year = chrono::Datelike::year(&chrono::Utc::now());
    let years: Vec<i32> = (this_year - 25..=this_year - 1).rev().collect();
    let mut bodies = HashMap::new();
    let mut rows = 0;
    for (k, code) in codes.iter().enumerate() {
        let name = format!("Synthetic reliability indicator {code} (annual %)");
        let mut records = Vec::with_capacity(economies.len() * years.len());
        for (e, (iso3, iso2, country)) in economies.iter().enumerate() {
            for &year in &years {
                let n = (e as u64) * 31 + (year as u64) * 7 + (k as u64) * 13 + variant * 101;
                let value = (n % 2000) as f64 / 10.0 - 50.0;
                records.push(serde_json::json!({
                    "indicator": {"id": code, "value": name},
                    "country": {"id": iso2, "value": country},
                    "countryiso3code": iso3,
                    "date": year.to_string(),
                    "value": value,
                    "unit": "",
                    "obs_status": "",
                    "decimal": 1,
                }));
            }
        }
        rows += records.len();
        let total = records.len();
        let body = serde_json::json!([
            {"page": 1, "pages": 1, "per_page": 1000, "total": total,
             "sourceid": "2", "sourcename": "World Development Indicators",
             "lastupdated": vintage},
            records,
        ]);
        bodies.insert(code.clone(), serde_json::to_vec(&body).expect("serialises"));
    }
    Release {
        vintage: vintage.to_owned(),
        bodies,
        rows,
    }
}

/// Answers World Bank indicator requests from the release the test picks,
/// and notes when each request arrived.
#[derive(Clone)]
struct Releases {
    releases: Arc<Vec<Release>>,
    current: Arc<AtomicUsize>,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Respond for Releases {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.arrivals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Instant::now());
        let code = request.url.path().rsplit('/').next().unwrap_or_default();
        let release = &self.releases[self.current.load(Ordering::SeqCst)];
        match release.bodies.get(code) {
            Some(body) => upstream::json(body.clone()),
            None => ResponseTemplate::new(404),
        }
    }
}

/// A wiremock World Bank serving large synthetic releases.
pub(crate) struct BigWorldBank {
    pub upstream: upstream::Upstream,
    responder: Releases,
    pub codes: Vec<String>,
}

impl BigWorldBank {
    /// Mounts `releases` (all over the same `codes`); release 0 is served first.
    pub async fn start(codes: Vec<String>, releases: Vec<Release>) -> Self {
        let upstream = upstream::Upstream::start().await;
        let responder = Releases {
            releases: Arc::new(releases),
            current: Arc::new(AtomicUsize::new(0)),
            arrivals: Arc::default(),
        };
        Mock::given(method("GET"))
            .and(path_regex("^/worldbank/country/all/indicator/"))
            .respond_with(responder.clone())
            .mount(&upstream.server)
            .await;
        Self {
            upstream,
            responder,
            codes,
        }
    }

    pub fn serve(&self, index: usize) {
        assert!(index < self.responder.releases.len(), "no release {index}");
        self.responder.current.store(index, Ordering::SeqCst);
    }

    /// When each request since the last [`Self::forget_requests`] arrived.
    pub fn arrivals(&self) -> Vec<Instant> {
        self.responder
            .arrivals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn forget_requests(&self) {
        self.responder
            .arrivals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Waits (bounded) until `count` requests of a run arrived and returns
    /// the arrival of the last of them.
    pub async fn request(&self, count: usize) -> Instant {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(at) = self.arrivals().get(count - 1) {
                return *at;
            }
            assert!(
                Instant::now() < deadline,
                "the run did not make {count} World Bank requests"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Waits (bounded) for a run's last request (one per indicator).
    pub async fn last_request(&self) -> Instant {
        self.request(self.codes.len()).await
    }

    /// Server flags: the admin token, this World Bank, its indicators, no
    /// rate limit, one attempt per request.
    pub fn args(&self) -> Vec<String> {
        vec![
            "--admin-token".into(),
            TOKEN.into(),
            "--worldbank-url".into(),
            format!("{}/worldbank", self.upstream.server.uri()),
            "--worldbank-indicators".into(),
            self.codes.join(","),
            "--request-interval-ms".into(),
            "0".into(),
            "--http-attempts".into(),
            "1".into(),
        ]
    }
}

// ---------------------------------------------------------------------------
// Processes and calls
// ---------------------------------------------------------------------------

/// A started server that is SIGKILLed if the scenario panics before it
/// stops it, so no process outlives a failed scenario.
pub(crate) struct Running(Option<Server>);

impl Running {
    /// SIGKILL, and reap.
    pub fn kill(mut self) {
        if let Some(server) = self.0.take() {
            tokio::task::block_in_place(|| server.kill());
        }
    }

    /// SIGTERM and wait at most `limit`: the exit status (None: killed
    /// after `limit`) and how long the stop took.
    pub fn terminate(mut self, limit: Duration) -> (Option<std::process::ExitStatus>, Duration) {
        let started = Instant::now();
        let status = self
            .0
            .take()
            .and_then(|server| tokio::task::block_in_place(|| server.terminate(limit)));
        (status, started.elapsed())
    }

    /// Whether the process has exited (it is reaped if so).
    pub fn exited(&mut self) -> bool {
        self.0
            .as_mut()
            .is_none_or(|server| !matches!(server.child.try_wait(), Ok(None)))
    }

    /// The server, for a scenario that stops it its own way.
    pub fn into_inner(mut self) -> Server {
        self.0.take().expect("a running server")
    }
}

impl std::ops::Deref for Running {
    type Target = Server;

    fn deref(&self) -> &Server {
        self.0.as_ref().expect("a running server")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(server) = self.0.take() {
            server.kill();
        }
    }
}

/// `common::start` off the async workers (it polls with blocking sleeps).
pub(crate) fn start_blocking(dir: &Path, db: &Path, args: &[String]) -> Running {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Running(Some(tokio::task::block_in_place(|| {
        common::start(dir, db, &args)
    })))
}

/// [`start_blocking`], with a server that does not come up reported as an
/// error (its log included) instead of a panic, so a scenario can record it.
pub(crate) fn try_start_blocking(
    dir: &Path,
    db: &Path,
    args: &[String],
) -> Result<Running, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        start_blocking(dir, db, args)
    }))
    .map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "the server did not start".to_owned())
    })
}

pub(crate) async fn channel(server: &Server) -> Channel {
    tokio::time::timeout(
        WAIT,
        Channel::from_shared(server.url()).expect("uri").connect(),
    )
    .await
    .expect("connects in time")
    .expect("connects")
}

/// TriggerRefresh with the admin token: the run as it starts (RUNNING), or
/// already finished when it could not start (SKIPPED, SKIPPED_OVERLAP).
pub(crate) async fn trigger(
    channel: Channel,
    source: &str,
) -> Result<pb::RefreshRun, tonic::Status> {
    let mut request = tonic::Request::new(pb::TriggerRefreshRequest {
        source: source.into(),
    });
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {TOKEN}").parse().expect("header"),
    );
    RefreshServiceClient::new(channel)
        .trigger_refresh(request)
        .await
        .map(tonic::Response::into_inner)
}

/// [`trigger`], then the run followed with GetRefreshRun to its end (see
/// [`follow_run`]): the finished run, or the status that ended the
/// following (the server went away, or the run outlasted [`RUN_WAIT`]).
pub(crate) async fn trigger_to_end(
    channel: Channel,
    source: &str,
) -> Result<pb::RefreshRun, tonic::Status> {
    let run = trigger(channel.clone(), source).await?;
    follow_run(channel, run, FOLLOW_EVERY, RUN_WAIT).await
}

/// The source's runs, newest first.
pub(crate) async fn runs(
    channel: Channel,
    source: &str,
) -> Result<Vec<pb::RefreshRun>, tonic::Status> {
    RefreshServiceClient::new(channel)
        .list_refresh_runs(pb::ListRefreshRunsRequest {
            source: source.into(),
            page_size: 20,
            page_token: String::new(),
        })
        .await
        .map(|r| r.into_inner().runs)
}

pub(crate) async fn korea_cambodia(
    channel: Channel,
) -> Result<pb::GetBilateralTradeResponse, tonic::Status> {
    TradeServiceClient::new(channel)
        .get_bilateral_trade(pb::GetBilateralTradeRequest {
            reporter: "KOR".into(),
            partner: "KHM".into(),
            start_year: 0,
            end_year: 0,
        })
        .await
        .map(tonic::Response::into_inner)
}

pub(crate) async fn indicator_series(
    channel: Channel,
    economy: &str,
    indicator: &str,
) -> Result<pb::GetIndicatorSeriesResponse, tonic::Status> {
    IndicatorServiceClient::new(channel)
        .get_indicator_series(pb::GetIndicatorSeriesRequest {
            economy: economy.into(),
            indicator: indicator.into(),
            start_year: 0,
            end_year: 0,
            vintage: None,
        })
        .await
        .map(tonic::Response::into_inner)
}

pub(crate) fn state_name(state: i32) -> String {
    pb::RunState::try_from(state)
        .map(|s| s.as_str_name().to_owned())
        .unwrap_or_else(|_| format!("state {state}"))
}

/// A database that holds the built-in dataset plus `mock`'s release
/// `index`, committed by a real run and left as one checkpointed file by a
/// clean stop. Returns its path and the id of the run that wrote it.
pub(crate) async fn prepared_db(dir: &Path, mock: &BigWorldBank, index: usize) -> (PathBuf, i64) {
    let db = dir.join("prepared.db");
    mock.serve(index);
    let server = start_blocking(dir, &db, &mock.args());
    let run = trigger_to_end(channel(&server).await, "worldbank")
        .await
        .unwrap_or_else(|s| panic!("the preparing refresh: {s:?}\n{}", server.log_text()));
    assert_eq!(
        run.state,
        pb::RunState::Succeeded as i32,
        "the preparing refresh: {run:?}"
    );
    let log = server.log.clone();
    let (status, _) = server.terminate(WAIT);
    assert!(
        status.is_some_and(|s| s.success()),
        "the preparing server did not stop cleanly: {status:?}\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    (db, run.id)
}

/// Copies a stopped database (main file only: it was checkpointed).
pub(crate) fn copy_db(from: &Path, to: &Path) {
    std::fs::copy(from, to).expect("copies the database");
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", to.display()));
    }
}

/// A seed for the scenario's RNG: `RELIABILITY_SEED` when set, else the clock.
pub(crate) fn rng_seed() -> u64 {
    std::env::var("RELIABILITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

// ---------------------------------------------------------------------------
// The SQLite write lock, watched from outside
// ---------------------------------------------------------------------------

/// Samples `/proc/locks` about every millisecond for the WAL write lock
/// (byte 120 of the `-shm` file) held by `pid`, and keeps each change of
/// state with its time. Reading `/proc/locks` takes no lock itself, so the
/// server is not disturbed.
pub(crate) struct WriteLockWatch {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<Vec<(Instant, bool)>>>,
}

impl WriteLockWatch {
    pub fn start(pid: u32, db: &Path) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let shm = PathBuf::from(format!("{}-shm", db.display()));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            use std::os::unix::fs::MetadataExt;
            let mut changes = vec![(Instant::now(), false)];
            let mut inode = None;
            while !flag.load(Ordering::Relaxed) {
                if inode.is_none() {
                    inode = std::fs::metadata(&shm).ok().map(|m| m.ino());
                }
                let held = inode.is_some_and(|inode| holds_wal_write_lock(pid, inode));
                if changes.last().is_some_and(|(_, last)| *last != held) {
                    changes.push((Instant::now(), held));
                }
                std::thread::sleep(Duration::from_micros(500));
            }
            changes
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops watching; the changes of state, oldest first.
    pub fn finish(mut self) -> Vec<(Instant, bool)> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

/// Whether the lock was held at `at`, by the changes [`WriteLockWatch`] saw.
pub(crate) fn held_at(changes: &[(Instant, bool)], at: Instant) -> bool {
    changes
        .iter()
        .take_while(|(when, _)| *when <= at)
        .last()
        .is_some_and(|(_, held)| *held)
}

/// The longest stretch the lock was held: (start, length).
pub(crate) fn longest_hold(changes: &[(Instant, bool)]) -> Option<(Instant, Duration)> {
    let mut best: Option<(Instant, Duration)> = None;
    for pair in changes.windows(2) {
        if let [(from, true), (to, false)] = pair {
            let length = to.duration_since(*from);
            if best.is_none_or(|(_, l)| length > l) {
                best = Some((*from, length));
            }
        }
    }
    best
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

// ---------------------------------------------------------------------------
// Reference runs and random moments
// ---------------------------------------------------------------------------

/// What an undisturbed refresh from the old release to the new one does.
pub(crate) struct Reference {
    /// The built-in dataset plus release 0, stopped cleanly.
    pub template: PathBuf,
    /// The id of the run that wrote release 0.
    pub template_run: i64,
    pub old_hash: String,
    /// The template with release 1 committed over it.
    pub new_hash: String,
    /// First to last upstream request of the run, in ms.
    pub fetch_span: u64,
    /// Last upstream request to the run's end (as GetRefreshRun, asked
    /// every 10 ms, first reports it finished), in ms.
    pub tail: u64,
    /// The timings, for the results table.
    pub summary: String,
}

/// Prepares the template (release 0 committed) and runs release 1 over a
/// copy of it once, undisturbed, for its hash and timings.
pub(crate) async fn reference(work: &Path, mock: &BigWorldBank) -> Reference {
    let (template, template_run) = prepared_db(work, mock, 0).await;
    let old_hash = common::content_hash(&template);
    let dir = work.join("reference");
    std::fs::create_dir(&dir).expect("dir");
    let db = dir.join("tradepact.db");
    copy_db(&template, &db);
    mock.serve(1);
    mock.forget_requests();
    let server = start_blocking(&dir, &db, &mock.args());
    let watch = WriteLockWatch::start(server.pid(), &db);
    // TriggerRefresh answers at once; the run's end is when GetRefreshRun
    // first reports it finished. Asked every 10 ms here (not every
    // FOLLOW_EVERY), since this end sets the window the kills fall in.
    let control = channel(&server).await;
    let run = match trigger(control.clone(), "worldbank").await {
        Ok(run) => follow_run(control, run, Duration::from_millis(10), RUN_WAIT).await,
        Err(status) => Err(status),
    };
    let finished = Instant::now();
    let changes = watch.finish();
    let run = run.unwrap_or_else(|s| panic!("reference run: {s:?}\n{}", server.log_text()));
    assert_eq!(run.state, pb::RunState::Succeeded as i32, "{run:?}");
    let (status, _) = server.terminate(WAIT);
    assert!(
        status.is_some_and(|s| s.success()),
        "reference stop: {status:?}"
    );
    let new_hash = common::content_hash(&db);
    assert_ne!(old_hash, new_hash, "the two releases must differ");
    let arrivals = mock.arrivals();
    let first = arrivals[0];
    let last = *arrivals
        .get(mock.codes.len() - 1)
        .expect("the reference run called the World Bank once per indicator");
    // From its last upstream request the run parses, validates, swaps
    // (write lock held), reloads and reads as finished.
    let tail = finished.duration_since(last);
    let summary = match longest_hold(&changes) {
        Some((from, length)) => format!(
            "reference run: fetch {}, then finished {} after the last request, swap (write lock held) {} from {}",
            ms(last.duration_since(first)),
            ms(tail),
            ms(length),
            ms(from.saturating_duration_since(last))
        ),
        None => format!(
            "reference run: fetch {}, then finished {} after the last request (write lock not observed)",
            ms(last.duration_since(first)),
            ms(tail)
        ),
    };
    let _ = std::fs::remove_dir_all(&dir);
    Reference {
        template,
        template_run,
        old_hash,
        new_hash,
        fetch_span: last.duration_since(first).as_millis() as u64,
        tail: tail.as_millis() as u64,
        summary,
    }
}

/// A random moment in a run, relative to one of its upstream requests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Moment {
    /// Counted from the first request (while fetching) or the last one.
    pub from_first: bool,
    pub delay_ms: u64,
}

impl Moment {
    /// A quarter of the moments fall while the run fetches (uniformly over
    /// the reference's fetch span from the first request); the others
    /// uniformly from the last request over `tail` ms (the reference's
    /// run ended that long after it): parsing, validation, the swap, the
    /// reload, the run's end.
    pub fn pick(rng: &mut impl Rng, fetch_span: u64, tail: u64) -> Self {
        if rng.random_bool(0.25) {
            Self {
                from_first: true,
                delay_ms: rng.random_range(0..=fetch_span),
            }
        } else {
            Self {
                from_first: false,
                delay_ms: rng.random_range(0..=tail.max(20)),
            }
        }
    }

    /// Waits (bounded) until this moment of the current run.
    pub async fn wait(&self, mock: &BigWorldBank) {
        let from = if self.from_first {
            mock.request(1).await
        } else {
            mock.last_request().await
        };
        tokio::time::sleep_until((from + Duration::from_millis(self.delay_ms)).into()).await;
    }
}

impl std::fmt::Display for Moment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let anchor = if self.from_first { "first" } else { "last" };
        write!(
            f,
            "{} ms after the {anchor} upstream request",
            self.delay_ms
        )
    }
}

// ---------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------

/// Where a kill landed, judged by the data it left and the write lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Landed {
    /// Old data, the write lock free: while fetching, parsing or validating.
    BeforeSwap,
    /// Old data, the write lock held: inside the swap's transaction.
    DuringSwap,
    /// New data: after the swap committed.
    AfterCommit,
}

/// What a restarted server says about the killed run and its data.
struct Restarted {
    problems: Vec<String>,
    /// The vintages it serves for the probe series, when it answered.
    served_vintages: Option<Vec<String>>,
}

/// After a kill: the newest run is the killed one, INTERRUPTED (or
/// SUCCEEDED if its swap committed), and the service answers.
async fn restarted_checks(
    server: &Server,
    reference: &Reference,
    is_new: bool,
    probe: &str,
) -> Restarted {
    let mut problems = Vec::new();
    let channel = channel(server).await;
    let expected = if is_new {
        pb::RunState::Succeeded
    } else {
        pb::RunState::Interrupted
    };
    match runs(channel.clone(), "worldbank").await {
        Ok(list) => match list.first() {
            Some(run) if run.id > reference.template_run && run.state == expected as i32 => {
                if !is_new && !run.error.contains("stopped during this run") {
                    problems.push(format!("INTERRUPTED without its reason: {run:?}"));
                }
            }
            other => problems.push(format!(
                "the killed run should read {} but the newest run is {:?}",
                expected.as_str_name(),
                other.map(|r| (r.id, state_name(r.state), r.error.clone()))
            )),
        },
        Err(status) => problems.push(format!("ListRefreshRuns after restart: {status:?}")),
    }
    if let Err(status) = korea_cambodia(channel.clone()).await {
        problems.push(format!("GetBilateralTrade after restart: {status:?}"));
    }
    let served_vintages = match indicator_series(channel, PROBE_ECONOMY, probe).await {
        Ok(series) => Some(dates_text(&series.vintages)),
        Err(status) => {
            problems.push(format!("GetIndicatorSeries after restart: {status:?}"));
            None
        }
    };
    Restarted {
        problems,
        served_vintages,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "reliability suite: run with reliability/run"]
async fn sigkill_during_refreshes_leaves_the_old_or_the_new_dataset() {
    let started = Instant::now();
    let trials: u64 = pick(10, 50);
    let indicators = indicator_codes(pick(4, 8));
    let seed = rng_seed();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    println!("crash: seed {seed} (set RELIABILITY_SEED={seed} to replay)");

    let old = release(&indicators, "2025-01-28", 1);
    let new = release(&indicators, "2025-07-01", 2);
    let (old_vintage, new_vintage, rows) = (old.vintage.clone(), new.vintage.clone(), new.rows);
    let mock = BigWorldBank::start(indicators.clone(), vec![old, new]).await;
    let probe = indicators[0].clone();
    let work = tempfile::tempdir().expect("temp dir");
    let reference = reference(work.path(), &mock).await;
    println!("crash: {rows} rows per release; {}", reference.summary);

    // The machine may be slower during the trials than during the reference
    // run: a kill late in the window that still lands inside the swap
    // widens the window, so some kills keep landing after the commit.
    let mut tail = reference.tail;
    let mut landed = [0u64; 3];
    let mut problems: Vec<String> = Vec::new();
    let mut failed_trials = 0u64;
    let mut lost = 0u64;
    for trial in 0..trials {
        let dir = work.path().join(format!("trial-{trial}"));
        std::fs::create_dir(&dir).expect("dir");
        let db = dir.join("tradepact.db");
        copy_db(&reference.template, &db);
        mock.serve(1);
        mock.forget_requests();
        let server = start_blocking(&dir, &db, &mock.args());
        let log = server.log.clone();
        let watch = WriteLockWatch::start(server.pid(), &db);
        // Follows the run until the kill ends it (or it ends first).
        let pending = tokio::spawn(trigger_to_end(channel(&server).await, "worldbank"));
        let moment = Moment::pick(&mut rng, reference.fetch_span, tail);
        moment.wait(&mock).await;
        let killed_at = Instant::now();
        server.kill();
        let changes = watch.finish();
        let lock_held = held_at(&changes, killed_at);
        let answer = pending.await.expect("the trigger task");

        let mut trial_problems = Vec::new();
        let mut trial_lost = false;
        let integrity = common::integrity(&db);
        if integrity != "ok" {
            trial_problems.push(format!("integrity_check: {integrity}"));
            trial_lost = true;
        }
        let hash = common::content_hash(&db);
        let is_new = hash == reference.new_hash;
        if !is_new && hash != reference.old_hash {
            trial_problems.push("the dataset is neither the old nor the new one".into());
            trial_lost = true;
        }
        let landed_at = match (is_new, lock_held) {
            (true, _) => Landed::AfterCommit,
            (false, true) => Landed::DuringSwap,
            (false, false) => Landed::BeforeSwap,
        };
        landed[landed_at as usize] += 1;
        if landed_at == Landed::DuringSwap && !moment.from_first && moment.delay_ms * 5 / 4 > tail {
            tail = (moment.delay_ms * 3 / 2).min(30_000);
        }
        if let Ok(run) = &answer
            && run.state == pb::RunState::Succeeded as i32
            && !is_new
        {
            trial_problems.push(format!(
                "GetRefreshRun reported SUCCEEDED but the old data are on disk: {run:?}"
            ));
            trial_lost = true;
        }

        // Restart: the run reads as what it was, the data served are the file's.
        match try_start_blocking(&dir, &db, &mock.args()) {
            Ok(server) => {
                let probe_answer = restarted_checks(&server, &reference, is_new, &probe).await;
                trial_problems.extend(probe_answer.problems);
                if let Some(served) = probe_answer.served_vintages {
                    let on_disk = if is_new { &new_vintage } else { &old_vintage };
                    if served != [on_disk.clone()] {
                        trial_problems.push(format!(
                            "served vintages {served:?}, the file holds {on_disk}"
                        ));
                        trial_lost = true;
                    }
                }
                let (status, _) = server.terminate(WAIT);
                if !status.is_some_and(|s| s.success()) {
                    trial_problems.push(format!(
                        "the restarted server did not stop cleanly: {status:?}"
                    ));
                }
            }
            Err(error) => trial_problems.push(format!("the server did not restart: {error}")),
        }
        println!(
            "crash: trial {trial}: kill {moment}: {landed_at:?}, {}",
            if trial_problems.is_empty() {
                "ok".to_owned()
            } else {
                trial_problems.join("; ")
            }
        );
        if !trial_problems.is_empty() {
            failed_trials += 1;
            problems.push(format!(
                "trial {trial} (kill {moment}): {}\n{}",
                trial_problems.join("; "),
                std::fs::read_to_string(&log).unwrap_or_default()
            ));
        }
        lost += u64::from(trial_lost);
        let _ = std::fs::remove_dir_all(&dir);
    }

    record(&Outcome {
        scenario: "crash: SIGKILL during refresh",
        trials,
        failures: failed_trials,
        data_lost: lost,
        figures: format!(
            "seed {seed}; kills before/during/after the swap {}/{}/{}; {rows} rows per swap; {}; kill window up to {tail} ms after the last request; {:.1} s",
            landed[0],
            landed[1],
            landed[2],
            reference.summary,
            started.elapsed().as_secs_f64()
        ),
    });
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
