//! A refresh killed mid-run with SIGKILL: after a restart the database is
//! intact, the old data are served, and the run is recorded as interrupted.
//! Runs the real binary, since only a real process can be killed.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use tonic::transport::Channel;
use tradepact::grpc::pb;
use tradepact::grpc::pb::refresh_service_client::RefreshServiceClient;
use tradepact::grpc::pb::trade_service_client::TradeServiceClient;
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::binary;

const TOKEN: &str = "crash-test-token";

/// Starts the binary on `dir`'s database and returns it with its address.
/// The caller kills and waits for the child.
#[allow(clippy::zombie_processes)]
fn start(dir: &Path, imf_url: &str) -> (Child, String) {
    let ready = dir.join("ready");
    let _ = std::fs::remove_file(&ready);
    let child = binary()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "off",
            "--refresh",
            "false",
        ])
        .arg("--db")
        .arg(dir.join("tradepact.db"))
        .arg("--ready-file")
        .arg(&ready)
        .args([
            "--admin-token",
            TOKEN,
            "--imf-url",
            imf_url,
            "--http-timeout-secs",
            "120",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(address) = std::fs::read_to_string(&ready)
            && !address.trim().is_empty()
        {
            return (child, format!("http://{}", address.trim()));
        }
        assert!(Instant::now() < deadline, "the server did not become ready");
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn channel(address: &str) -> Channel {
    Channel::from_shared(address.to_owned())
        .expect("uri")
        .connect()
        .await
        .expect("connects")
}

async fn korea_cambodia(channel: Channel) -> pb::GetBilateralTradeResponse {
    TradeServiceClient::new(channel)
        .get_bilateral_trade(pb::GetBilateralTradeRequest {
            reporter: "KOR".into(),
            partner: "KHM".into(),
            start_year: 0,
            end_year: 0,
        })
        .await
        .expect("answers")
        .into_inner()
}

async fn runs(channel: Channel) -> Vec<pb::RefreshRun> {
    RefreshServiceClient::new(channel)
        .list_refresh_runs(pb::ListRefreshRunsRequest {
            source: "imf".into(),
            page_size: 10,
            page_token: String::new(),
        })
        .await
        .expect("runs")
        .into_inner()
        .runs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_killed_mid_run_leaves_the_old_data_and_an_interrupted_run() {
    let upstream = MockServer::start().await;
    // An IMF that never answers in time: the run is still fetching when killed.
    Mock::given(path_regex("^/data/"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(60)))
        .mount(&upstream)
        .await;
    let dir = tempfile::tempdir().expect("temp dir");

    let (mut first, address) = start(dir.path(), &upstream.uri());
    let before = korea_cambodia(channel(&address).await).await;
    let mut trigger = tonic::Request::new(pb::TriggerRefreshRequest {
        source: "imf".into(),
    });
    trigger.metadata_mut().insert(
        "authorization",
        format!("Bearer {TOKEN}").parse().expect("header"),
    );
    let mut refresh = RefreshServiceClient::new(channel(&address).await);
    let started = refresh
        .trigger_refresh(trigger)
        .await
        .expect("TriggerRefresh")
        .into_inner();
    assert_eq!(started.state(), pb::RunState::Running, "returned at once");
    let listed = runs(channel(&address).await).await;
    assert_eq!(listed.first().map(|run| run.id), Some(started.id));
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");

    let integrity: String = rusqlite::Connection::open(dir.path().join("tradepact.db"))
        .and_then(|c| c.query_row("PRAGMA integrity_check", [], |row| row.get(0)))
        .expect("the database opens after the kill");
    assert_eq!(integrity, "ok");

    let (mut second, address) = start(dir.path(), &upstream.uri());
    let after = korea_cambodia(channel(&address).await).await;
    assert_eq!(before, after, "the old data are served");
    let recorded = runs(channel(&address).await).await;
    let interrupted = recorded.first().expect("the killed run is recorded");
    assert_eq!(
        interrupted.state,
        pb::RunState::Interrupted as i32,
        "{interrupted:?}"
    );
    assert!(
        interrupted.error.contains("stopped during this run"),
        "{}",
        interrupted.error
    );
    second.kill().expect("stops");
    let _ = second.wait();
}
