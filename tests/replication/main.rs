//! One writer, two readers and Litestream, on loopback with a `file://`
//! replica: the real binary in three processes, the real Litestream (from
//! `.venv/bin/litestream`, which `scripts/test` installs), the World Bank
//! played by a local server answering the recorded fixture pages.
//!
//! The story, in order: both readers restore and answer as the writer does;
//! a refresh on the writer reaches both (answers and WatchChanges); a reader
//! SIGKILLed and restarted catches up; the writer SIGKILLed leaves the
//! readers answering, SERVING, their lag growing, and once restarted its
//! next refresh reaches them; a large refresh replicates and is swapped in
//! whole. All along, a querier asks both readers, and every answer must be
//! one the writer gave at some point: nothing half-applied.
//!
//! `#[ignore]`d in plain `cargo test` (it needs Litestream); `scripts/test`
//! runs it with `cargo test --test replication -- --ignored`.

#[path = "../reliability/common.rs"]
mod common;
#[allow(dead_code)]
#[path = "../api/upstream.rs"]
mod upstream;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prost::Message;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt;
use tradepact::grpc::pb;
use tradepact::grpc::pb::agreement_service_client::AgreementServiceClient;
use tradepact::grpc::pb::catalog_service_client::CatalogServiceClient;
use tradepact::grpc::pb::indicator_service_client::IndicatorServiceClient;
use tradepact::grpc::pb::refresh_service_client::RefreshServiceClient;
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, ResponseTemplate};

use common::Server;
use upstream::{Switch, Upstream, WORLDBANK_GDP_GROWTH};

const TOKEN: &str = "replication-admin-token";
const GDP_GROWTH: &str = "NY.GDP.MKTP.KD.ZG";
/// Upper bound for a reader to show what the writer committed.
const CATCH_UP: Duration = Duration::from_secs(30);

/// Litestream: `$LITESTREAM_BIN`, else the one `scripts/test` installs.
fn litestream() -> PathBuf {
    let path = std::env::var_os("LITESTREAM_BIN").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/litestream"),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "Litestream is not at {}: run scripts/test (it installs litestream-bin into .venv) or set LITESTREAM_BIN",
        path.display()
    );
    path
}

/// World Bank releases the upstream can serve: the recorded pages with their
/// vintage moved to `lastupdated` and 2023's value to `value_2023`, so each
/// release is a new vintage with one value of its own.
fn release(lastupdated: &str, value_2023: &str) -> [ResponseTemplate; 2] {
    let page = |name: &str| {
        let original = String::from_utf8(upstream::fixture(name)).expect("UTF-8");
        let text = original
            .replace(
                "\"lastupdated\":\"2024-06-28\"",
                &format!("\"lastupdated\":\"{lastupdated}\""),
            )
            .replace(
                "\"date\":\"2023\",\"value\":5.4,",
                &format!("\"date\":\"2023\",\"value\":{value_2023},"),
            );
        assert!(
            text.contains(value_2023) || !original.contains("\"date\":\"2023\""),
            "the fixture's 2023 value moved"
        );
        upstream::json(text.into_bytes())
    };
    [
        page("worldbank/KHM_NY.GDP.MKTP.KD.ZG_2011-2023_page1of2.json"),
        page("worldbank/KHM_NY.GDP.MKTP.KD.ZG_2011-2023_page2of2.json"),
    ]
}

/// Serves release `n` (0-based) of [`RELEASES`] from now on.
struct WorldBank {
    pages: [Switch; 2],
}

const RELEASES: [(&str, &str); 5] = [
    ("2025-03-01", "5.41"),
    ("2025-06-01", "5.42"),
    ("2025-09-01", "5.43"),
    ("2025-12-01", "5.44"),
    ("2026-03-01", "5.45"),
];

impl WorldBank {
    async fn mount(upstream: &Upstream) -> Self {
        let releases: Vec<[ResponseTemplate; 2]> = RELEASES
            .iter()
            .map(|(at, value)| release(at, value))
            .collect();
        let pages =
            [0, 1].map(|page| Switch::new(releases.iter().map(|r| r[page].clone()).collect()));
        for (index, switch) in pages.iter().enumerate() {
            Mock::given(method("GET"))
                .and(path(WORLDBANK_GDP_GROWTH))
                .and(query_param("format", "json"))
                .and(query_param("page", (index + 1).to_string()))
                .respond_with(switch.clone())
                .mount(&upstream.server)
                .await;
        }
        Self { pages }
    }

    fn serve(&self, release: usize) {
        for page in &self.pages {
            page.serve(release);
        }
    }
}

/// One process of the deployment: where it keeps its files and how it starts.
struct Node {
    name: &'static str,
    dir: PathBuf,
    db: PathBuf,
    args: Vec<String>,
    server: Option<Server>,
}

impl Node {
    fn new(root: &Path, name: &'static str, args: Vec<String>) -> Self {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).expect("node directory");
        Self {
            name,
            db: dir.join("tradepact.db"),
            dir,
            args,
            server: None,
        }
    }

    /// Starts the process and waits until it serves (a reader: until its
    /// first copy is loaded, when it writes its ready file).
    fn start(&mut self) -> String {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let server = tokio::task::block_in_place(|| common::start(&self.dir, &self.db, &args));
        let addr = server.addr.clone();
        self.server = Some(server);
        addr
    }

    fn addr(&self) -> String {
        self.server.as_ref().expect("running").addr.clone()
    }

    fn kill(&mut self) {
        if let Some(server) = self.server.take() {
            tokio::task::block_in_place(|| server.kill());
        }
    }

    /// SIGTERM; the exit status, if it stopped within `limit`.
    fn terminate(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let server = self.server.take()?;
        tokio::task::block_in_place(|| server.terminate(limit))
    }

    fn log(&self) -> String {
        self.server
            .as_ref()
            .map(Server::log_text)
            .unwrap_or_default()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = std::fs::read_dir(&self.dir)
                .into_iter()
                .flatten()
                .flatten()
                .filter(|entry| entry.file_name().to_string_lossy().ends_with(".log"))
                .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
                .collect::<String>();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            eprintln!("---- {} (last lines) ----", self.name);
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
        if let Some(server) = self.server.take() {
            server.kill();
        }
        // A SIGKILLed server cannot stop its Litestream child.
        let pidfile = tradepact::replica::child::pidfile(&self.db);
        if let Some(pid) = std::fs::read_to_string(pidfile)
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok())
        {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

async fn channel(addr: &str) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("an address")
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("connects")
}

/// The questions compared between writer and readers, each answer encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answers {
    agreement: Vec<u8>,
    listing: Vec<u8>,
    series: Vec<u8>,
}

async fn answers(addr: &str) -> Result<Answers, tonic::Status> {
    let channel = channel(addr).await;
    let mut agreements = AgreementServiceClient::new(channel.clone());
    let agreement = agreements
        .get_agreement(pb::GetAgreementRequest {
            id: "kor-khm".into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .encode_to_vec();
    let listing = agreements
        .list_agreements(pb::ListAgreementsRequest {
            party: "KOR".into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .encode_to_vec();
    Ok(Answers {
        agreement,
        listing,
        series: series(channel).await?,
    })
}

/// The answer a World Bank refresh changes.
async fn series(channel: Channel) -> Result<Vec<u8>, tonic::Status> {
    Ok(IndicatorServiceClient::new(channel)
        .get_indicator_series(pb::GetIndicatorSeriesRequest {
            economy: "KHM".into(),
            indicator: GDP_GROWTH.into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .encode_to_vec())
}

/// A series answer without its freshness: the data a state of the writer
/// holds. Freshness also reports runs in progress, which a reader shows as
/// soon as the run's start reaches it.
fn data_of(series: &[u8]) -> Vec<u8> {
    let mut answer = pb::GetIndicatorSeriesResponse::decode(series).expect("decodes");
    answer.freshness.clear();
    answer.encode_to_vec()
}

/// Waits (bounded) until the reader answers as the writer does; how long it took.
async fn caught_up(reader: &str, writer: &Answers, what: &str) -> Duration {
    let started = Instant::now();
    loop {
        if let Ok(now) = answers(reader).await
            && now == *writer
        {
            return started.elapsed();
        }
        if started.elapsed() > CATCH_UP {
            let info = CatalogServiceClient::new(channel(reader).await)
                .get_server_info(pb::GetServerInfoRequest::default())
                .await
                .map(|info| info.into_inner().replication);
            let differs = match answers(reader).await {
                Ok(now) => format!(
                    "agreement differs: {}, listing differs: {}, series: reader {:?} writer {:?}",
                    now.agreement != writer.agreement,
                    now.listing != writer.listing,
                    pb::GetIndicatorSeriesResponse::decode(now.series.as_slice()),
                    pb::GetIndicatorSeriesResponse::decode(writer.series.as_slice()),
                ),
                Err(status) => format!("it fails: {status}"),
            };
            panic!(
                "{what}: reader {reader} did not answer as the writer within {CATCH_UP:?}; it reports {info:?}; {differs}"
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn replication_info(addr: &str) -> pb::Replication {
    CatalogServiceClient::new(channel(addr).await)
        .get_server_info(pb::GetServerInfoRequest::default())
        .await
        .expect("server info")
        .into_inner()
        .replication
        .expect("replication is reported")
}

async fn serving(addr: &str) -> bool {
    HealthClient::new(channel(addr).await)
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32)
}

/// Triggers a World Bank refresh on the writer and follows it to its end.
async fn refresh(writer: &str) -> pb::RefreshRun {
    let channel = channel(writer).await;
    let mut request = tonic::Request::new(pb::TriggerRefreshRequest {
        source: "worldbank".into(),
    });
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {TOKEN}").parse().expect("header"),
    );
    let run = RefreshServiceClient::new(channel.clone())
        .trigger_refresh(request)
        .await
        .expect("the writer starts a refresh")
        .into_inner();
    let run = common::follow_run(
        channel,
        run,
        Duration::from_millis(20),
        Duration::from_secs(60),
    )
    .await
    .expect("the run ends");
    assert_eq!(
        run.state,
        pb::RunState::Succeeded as i32,
        "the refresh succeeds: {run:?}"
    );
    assert!(run.changes > 0, "the release changes figures: {run:?}");
    run
}

/// A `WatchChanges` stream on a reader, from now on, collecting every change.
fn watch(addr: String) -> Arc<Mutex<Vec<pb::DataChange>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    tokio::spawn(async move {
        let mut stream = RefreshServiceClient::new(channel(&addr).await)
            .watch_changes(pb::WatchChangesRequest::default())
            .await
            .expect("the stream opens")
            .into_inner();
        while let Ok(Some(message)) = stream.message().await {
            sink.lock().expect("lock").extend(message.changes);
        }
    });
    seen
}

async fn changes_of_run(seen: &Mutex<Vec<pb::DataChange>>, run: &pb::RefreshRun) {
    let started = Instant::now();
    loop {
        let count = seen
            .lock()
            .expect("lock")
            .iter()
            .filter(|c| c.run_id == run.id)
            .count() as i64;
        if count == run.changes {
            return;
        }
        assert!(
            count < run.changes && started.elapsed() < CATCH_UP,
            "WatchChanges on a reader brought {count} of run {}'s {} changes",
            run.id,
            run.changes
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Asks every reader in turn, all along the scenario, and keeps every
/// distinct series answer: each must be one the writer gave.
struct Querier {
    readers: Arc<Mutex<Vec<Option<String>>>>,
    seen: Arc<Mutex<BTreeSet<Vec<u8>>>>,
    asked: Arc<AtomicU64>,
    failures: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Querier {
    fn start(readers: Vec<String>) -> Self {
        let readers = Arc::new(Mutex::new(
            readers.into_iter().map(Some).collect::<Vec<_>>(),
        ));
        let seen = Arc::new(Mutex::new(BTreeSet::new()));
        let asked = Arc::new(AtomicU64::new(0));
        let failures = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let (readers, seen, asked, failures, stop) = (
                Arc::clone(&readers),
                Arc::clone(&seen),
                Arc::clone(&asked),
                Arc::clone(&failures),
                Arc::clone(&stop),
            );
            async move {
                while !stop.load(Ordering::SeqCst) {
                    let addrs: Vec<String> = readers
                        .lock()
                        .expect("lock")
                        .iter()
                        .flatten()
                        .cloned()
                        .collect();
                    for addr in addrs {
                        let answer = match Channel::from_shared(format!("http://{addr}"))
                            .expect("an address")
                            .connect()
                            .await
                        {
                            Ok(channel) => series(channel).await,
                            Err(error) => Err(tonic::Status::unavailable(error.to_string())),
                        };
                        asked.fetch_add(1, Ordering::SeqCst);
                        match answer {
                            Ok(bytes) => {
                                seen.lock().expect("lock").insert(data_of(&bytes));
                            }
                            // A reader being restarted is taken out first.
                            Err(status)
                                if readers.lock().expect("lock").contains(&Some(addr.clone())) =>
                            {
                                failures
                                    .lock()
                                    .expect("lock")
                                    .push(format!("{addr}: {status}"));
                            }
                            Err(_) => {}
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        });
        Self {
            readers,
            seen,
            asked,
            failures,
            stop,
            task,
        }
    }

    /// Reader `index` is down (None) or serves at `addr`.
    fn set(&self, index: usize, addr: Option<String>) {
        self.readers.lock().expect("lock")[index] = addr;
    }

    async fn finish(self) -> (u64, BTreeSet<Vec<u8>>, Vec<String>) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.task.await;
        let seen = self.seen.lock().expect("lock").clone();
        let failures = self.failures.lock().expect("lock").clone();
        (self.asked.load(Ordering::SeqCst), seen, failures)
    }
}

/// Calls a store-backed RPC (ListRefreshRuns) on one reader until stopped.
/// Each answer is OK or UNAVAILABLE with reason REPLICA_RESTORING; anything
/// else fails the test.
struct StoreProber {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<(u64, u64)>,
}

impl StoreProber {
    fn start(addr: String) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let stop = Arc::clone(&stop);
            async move {
                let mut client = RefreshServiceClient::new(channel(&addr).await);
                let (mut probed, mut restoring) = (0, 0);
                while !stop.load(Ordering::SeqCst) {
                    let answer = client
                        .list_refresh_runs(pb::ListRefreshRunsRequest::default())
                        .await;
                    probed += 1;
                    if let Err(status) = answer {
                        let reason = status
                            .get_error_details()
                            .error_info()
                            .map(|info| info.reason.clone());
                        assert!(
                            status.code() == tonic::Code::Unavailable
                                && reason.as_deref() == Some("REPLICA_RESTORING"),
                            "a store-backed call on a restarted reader: {status:?}"
                        );
                        restoring += 1;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                (probed, restoring)
            }
        });
        Self { stop, task }
    }

    /// How many calls were made, and how many met a copy being restored.
    async fn finish(self) -> (u64, u64) {
        self.stop.store(true, Ordering::SeqCst);
        self.task
            .await
            .expect("the prober's answers are OK or UNAVAILABLE")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs Litestream; scripts/test runs it"]
async fn one_writer_two_readers_through_litestream() {
    let litestream = litestream();
    let root = tempfile::tempdir().expect("a temp dir");
    let replica = format!("file://{}", root.path().join("replica").display());
    let upstream = Upstream::start().await;
    let worldbank = WorldBank::mount(&upstream).await;
    let codes = large_codes();
    let large = LargeRelease::new(&codes);
    large.mount(&upstream).await;
    let indicators = std::iter::once(GDP_GROWTH.to_owned())
        .chain(codes.iter().cloned())
        .collect::<Vec<_>>()
        .join(",");
    let sources = vec![
        "--worldbank-url".to_owned(),
        format!("{}/worldbank", upstream.server.uri()),
        "--worldbank-indicators".into(),
        indicators,
        "--request-interval-ms".into(),
        "0".into(),
        "--litestream".into(),
        litestream.display().to_string(),
        "--replica".into(),
        replica.clone(),
    ];
    let with = |extra: &[&str]| -> Vec<String> {
        extra
            .iter()
            .map(|s| (*s).to_owned())
            .chain(sources.iter().cloned())
            .collect()
    };
    let mut writer = Node::new(
        root.path(),
        "writer",
        with(&[
            "--role",
            "writer",
            "--heartbeat-secs",
            "1",
            "--admin-token",
            TOKEN,
            "--log",
            "info",
        ]),
    );
    let reader_args = with(&[
        "--role",
        "reader",
        "--follow-interval-ms",
        "100",
        "--log",
        "info",
    ]);
    let mut readers = [
        Node::new(root.path(), "reader-1", reader_args.clone()),
        Node::new(root.path(), "reader-2", reader_args),
    ];

    // 1. Both readers restore, turn SERVING and answer as the writer does.
    let writer_addr = writer.start();
    let mut writer_answers = answers(&writer_addr).await.expect("the writer answers");
    let mut history = vec![data_of(&writer_answers.series)];
    for reader in &mut readers {
        let addr = reader.start();
        assert!(
            serving(&addr).await,
            "{} is SERVING once restored",
            reader.name
        );
        caught_up(&addr, &writer_answers, "restore").await;
        let info = replication_info(&addr).await;
        assert_eq!(info.role, pb::ServerRole::Reader as i32);
        assert!(info.restored && info.litestream_running, "{info:?}");
    }
    let info = replication_info(&writer_addr).await;
    assert_eq!(info.role, pb::ServerRole::Writer as i32);
    assert!(info.litestream_running, "{info:?}");
    let querier = Querier::start(readers.iter().map(Node::addr).collect());

    // 2. A refresh on the writer reaches both readers: answers and changes.
    let watches: Vec<_> = readers.iter().map(|r| watch(r.addr())).collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    worldbank.serve(0);
    let run = refresh(&writer_addr).await;
    let committed = Instant::now();
    writer_answers = answers(&writer_addr).await.expect("the writer answers");
    assert_ne!(
        history.last(),
        Some(&writer_answers.series),
        "the refresh changed the series"
    );
    history.push(data_of(&writer_answers.series));
    let mut lags = Vec::new();
    for (reader, seen) in readers.iter().zip(&watches) {
        caught_up(&reader.addr(), &writer_answers, "first refresh").await;
        lags.push(committed.elapsed());
        changes_of_run(seen, &run).await;
    }

    // 3. A reader SIGKILLed, the writer refreshing meanwhile, and the reader
    //    restarted: it resumes its copy, catches up and serves.
    querier.set(0, None);
    readers[0].kill();
    worldbank.serve(1);
    refresh(&writer_addr).await;
    writer_answers = answers(&writer_addr).await.expect("the writer answers");
    history.push(data_of(&writer_answers.series));
    // It serves its local copy at once; Litestream 0.5.17 then either
    // resumes it or (when the replica's last snapshot is older than the
    // copy, as here: snapshots are daily) restores afresh, which the
    // follower loads as a new file.
    // While a copy is restored afresh there is no file to read: calls the
    // database answers (here ListRefreshRuns) are UNAVAILABLE, which clients
    // retry, never INTERNAL.
    let addr = readers[0].start();
    let prober = StoreProber::start(addr.clone());
    caught_up(&addr, &writer_answers, "restarted reader").await;
    let (probed, restoring) = prober.finish().await;
    eprintln!(
        "restarted reader: {probed} store-backed calls, {restoring} answered REPLICA_RESTORING"
    );
    let log = readers[0].log();
    assert!(
        log.contains("resuming follow mode") || log.contains("restoring afresh"),
        "the restarted reader resumed or restored its copy:\n{log}"
    );
    querier.set(0, Some(addr));
    caught_up(&readers[1].addr(), &writer_answers, "second refresh").await;

    // 4. The writer SIGKILLed: readers keep answering the last data,
    //    SERVING, their lag growing. Restarted, its next refresh reaches them.
    writer.kill();
    // A killed writer's Litestream may still ship its last heartbeats:
    // let them land, then the lag must only grow.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let held = replication_info(&readers[1].addr()).await;
    let before = held.lag.expect("a lag");
    tokio::time::sleep(Duration::from_secs(3)).await;
    for reader in &readers {
        assert!(
            serving(&reader.addr()).await,
            "{} stays SERVING",
            reader.name
        );
        assert_eq!(
            answers(&reader.addr()).await.expect("answers"),
            writer_answers,
            "{} answers the last data",
            reader.name
        );
    }
    let now_held = replication_info(&readers[1].addr()).await;
    assert_eq!(
        now_held.writer_heartbeat_time, held.writer_heartbeat_time,
        "no heartbeat arrives while the writer is away"
    );
    let after = now_held.lag.expect("a lag");
    let grew =
        (after.seconds - before.seconds) as f64 + f64::from(after.nanos - before.nanos) / 1e9;
    assert!(
        grew >= 2.0,
        "the lag grows while the writer is away: {before:?} → {after:?}"
    );
    let writer_addr = writer.start();
    assert_eq!(
        answers(&writer_addr).await.expect("answers"),
        writer_answers,
        "the restarted writer holds what it committed"
    );
    worldbank.serve(2);
    let run = refresh(&writer_addr).await;
    writer_answers = answers(&writer_addr).await.expect("the writer answers");
    history.push(data_of(&writer_answers.series));
    for (reader, seen) in readers.iter().zip(&watches) {
        caught_up(
            &reader.addr(),
            &writer_answers,
            "after the writer's restart",
        )
        .await;
        if reader.name == "reader-2" {
            // Its stream outlived the writer's restart.
            changes_of_run(seen, &run).await;
        }
    }
    let lag = replication_info(&readers[1].addr())
        .await
        .lag
        .expect("a lag");
    assert!(
        lag.seconds < 10,
        "the lag falls back once the writer beats again: {lag:?}"
    );

    // 5. A large refresh (every value of every synthetic series changes)
    //    replicates, and each reader swaps to it whole.
    let old = large_series(&writer_addr, &codes).await;
    large.variant.store(1, Ordering::SeqCst);
    worldbank.serve(3);
    let run = refresh(&writer_addr).await;
    writer_answers = answers(&writer_addr).await.expect("the writer answers");
    history.push(data_of(&writer_answers.series));
    let new = large_series(&writer_addr, &codes).await;
    assert!(
        old.iter().zip(&new).all(|(o, n)| o != n),
        "the large refresh changes every synthetic series"
    );
    let large_started = Instant::now();
    let (addr_1, addr_2) = (readers[0].addr(), readers[1].addr());
    tokio::join!(
        swapped_whole(&addr_1, &old, &new),
        swapped_whole(&addr_2, &old, &new)
    );
    let large_lag = large_started.elapsed();

    // 6. The writer stopped with SIGTERM right after a refresh committed:
    //    Litestream's last sync on the way out still ships it.
    worldbank.serve(4);
    refresh(&writer_addr).await;
    writer_answers = answers(&writer_addr).await.expect("the writer answers");
    history.push(data_of(&writer_answers.series));
    let stopped = writer.terminate(Duration::from_secs(15));
    assert!(
        stopped.is_some_and(|status| status.success()),
        "the writer stops cleanly on SIGTERM: {stopped:?}"
    );
    for reader in &readers {
        caught_up(&reader.addr(), &writer_answers, "the writer's last refresh").await;
    }

    let (asked, seen, failures) = querier.finish().await;
    assert!(failures.is_empty(), "readers failed calls: {failures:?}");
    assert!(asked > 50, "the querier asked {asked} times");
    let unknown: Vec<_> = seen.iter().filter(|s| !history.contains(s)).collect();
    assert!(
        unknown.is_empty(),
        "{} answer(s) the writer never gave: half-applied data",
        unknown.len()
    );
    println!(
        "replication: lags after the first refresh {lags:?}; large refresh of {} rows on both readers {large_lag:?} after it committed; querier asked {asked} times, saw {} of {} writer states",
        run.rows,
        seen.len(),
        history.len()
    );
}

/// Synthetic indicators that make a refresh large: every economy × 25
/// years each. Releases 0–2 of the scenario serve variant 0 (written by the
/// first refresh, unchanged after); the large refresh serves variant 1, in
/// which every value differs.
fn large_codes() -> Vec<String> {
    (1..=common::pick(6, 40))
        .map(|n| format!("REL.LARGE.{n}"))
        .collect()
}

/// Answers the synthetic indicators in the World Bank's JSON shape, one page
/// each, in the variant the scenario picks.
#[derive(Clone)]
struct LargeRelease {
    variant: Arc<std::sync::atomic::AtomicUsize>,
    bodies: Arc<[std::collections::HashMap<String, Vec<u8>>; 2]>,
}

impl LargeRelease {
    fn new(codes: &[String]) -> Self {
        let seed = tradepact::seed::builtin().expect("the built-in dataset parses");
        let economies: Vec<(String, String)> = seed
            .dataset
            .economies
            .values()
            .filter(|e| e.members.is_empty())
            .filter_map(|e| {
                e.iso2
                    .clone()
                    .map(|iso2| (e.code.as_str().to_owned(), iso2))
            })
            .collect();
        let this_year = chrono::Datelike::year(&chrono::Utc::now());
        let body = |code: &str, variant: u64| {
            let records: Vec<serde_json::Value> = economies
                .iter()
                .enumerate()
                .flat_map(|(e, (iso3, iso2))| {
                    (this_year - 25..this_year).map(move |year| {
                        let n = e as u64 * 31 + year as u64 * 7 + variant * 101;
                        serde_json::json!({
                            "indicator": {"id": code, "value": format!("Synthetic {code} (annual %)")},
                            "country": {"id": iso2, "value": iso3},
                            "countryiso3code": iso3,
                            "date": year.to_string(),
                            "value": (n % 2000) as f64 / 10.0 - 50.0,
                            "unit": "", "obs_status": "", "decimal": 1,
                        })
                    })
                })
                .collect();
            let vintage = if variant == 0 {
                "2025-03-01"
            } else {
                "2025-12-01"
            };
            serde_json::to_vec(&serde_json::json!([
                {"page": 1, "pages": 1, "per_page": 20000, "total": records.len(),
                 "sourceid": "2", "sourcename": "World Development Indicators",
                 "lastupdated": vintage},
                records,
            ]))
            .expect("serialises")
        };
        let variant = |v| {
            codes
                .iter()
                .map(|code| (code.clone(), body(code, v)))
                .collect()
        };
        Self {
            variant: Arc::default(),
            bodies: Arc::new([variant(0), variant(1)]),
        }
    }

    async fn mount(&self, upstream: &Upstream) {
        Mock::given(method("GET"))
            .and(path_regex(
                r"^/worldbank/country/all/indicator/REL\.LARGE\.\d+$",
            ))
            .respond_with(self.clone())
            .mount(&upstream.server)
            .await;
    }
}

impl wiremock::Respond for LargeRelease {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let code = request.url.path().rsplit('/').next().unwrap_or_default();
        let bodies = &self.bodies[self.variant.load(Ordering::SeqCst)];
        match bodies.get(code) {
            Some(body) => upstream::json(body.clone()),
            None => ResponseTemplate::new(404),
        }
    }
}

/// Korea's series of each synthetic indicator, encoded, in `codes` order.
async fn large_series(addr: &str, codes: &[String]) -> Vec<Vec<u8>> {
    let mut client = IndicatorServiceClient::new(channel(addr).await);
    let mut answers = Vec::with_capacity(codes.len());
    for code in codes {
        let answer = client
            .get_indicator_series(pb::GetIndicatorSeriesRequest {
                economy: "KOR".into(),
                indicator: code.clone(),
                ..Default::default()
            })
            .await
            .expect("the series is held")
            .into_inner();
        answers.push(data_of(&answer.encode_to_vec()));
    }
    answers
}

/// Waits until the reader serves the large refresh, checking on every pass
/// that it never shows part of it: asked in order, the series are old up to
/// some point and new after it (the swap fell between two calls), never new
/// then old again.
async fn swapped_whole(reader: &str, old: &[Vec<u8>], new: &[Vec<u8>]) {
    let started = Instant::now();
    loop {
        let now = large_series(reader, &large_codes()).await;
        let is_new: Vec<bool> = now
            .iter()
            .zip(old.iter().zip(new))
            .map(|(answer, (old, new))| {
                assert!(
                    answer == old || answer == new,
                    "{reader} answers a series the writer never gave"
                );
                answer == new
            })
            .collect();
        assert!(
            is_new.windows(2).all(|pair| pair[0] <= pair[1]),
            "{reader} served part of the large refresh: {is_new:?}"
        );
        if is_new.iter().all(|&n| n) {
            return;
        }
        assert!(
            started.elapsed() < CATCH_UP * 2,
            "{reader} did not receive the large refresh"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
