//! `spawn_app()`: the real application on 127.0.0.1:0 with a fresh SQLite
//! file, reached through generated gRPC clients; `spawn_app_with` lets a
//! test change its `Settings` first (admin token, refresh sources).

use std::net::SocketAddr;
use std::process::{Command, Stdio};

use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};
use tradepact::config::Settings;
use tradepact::grpc::google_type::Date;
use tradepact::grpc::pb;
use tradepact::grpc::pb::agreement_service_client::AgreementServiceClient;
use tradepact::grpc::pb::catalog_service_client::CatalogServiceClient;
use tradepact::grpc::pb::indicator_service_client::IndicatorServiceClient;
use tradepact::grpc::pb::refresh_service_client::RefreshServiceClient;
use tradepact::grpc::pb::trade_service_client::TradeServiceClient;
use tradepact::startup::Application;

/// The `tradepact` binary cargo built, as a child process that reads none
/// of the caller's `TRADEPACT_*` variables (a test sets the ones it needs),
/// with stdin closed and warnings-only logging.
pub fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tradepact"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TRADEPACT_") {
            command.env_remove(name);
        }
    }
    command.stdin(Stdio::null()).env("TRADEPACT_LOG", "warn");
    command
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub agreements: AgreementServiceClient<Channel>,
    pub trade: TradeServiceClient<Channel>,
    pub indicators: IndicatorServiceClient<Channel>,
    pub catalog: CatalogServiceClient<Channel>,
    pub refresh: RefreshServiceClient<Channel>,
    pub health: HealthClient<Channel>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    dir: TempDir,
}

/// Starts the application on a new temporary database and waits until its
/// health check says SERVING.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    spawn_app_in(dir).await
}

/// Starts the application on a new temporary database with the test
/// settings as `configure` changes them.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    spawn_app_in_with(dir, configure).await
}

/// Starts the application on the database in `dir` (which may already exist).
pub async fn spawn_app_in(dir: TempDir) -> TestApp {
    spawn_app_in_with(dir, |_| {}).await
}

/// Starts the application on the database in `dir` with the test settings
/// as `configure` changes them.
pub async fn spawn_app_in_with(dir: TempDir, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings::for_tests(dir.path().join("tradepact.db"));
    configure(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let addr = app.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("valid uri")
        .connect()
        .await
        .expect("connects to the bound port");
    let mut health = HealthClient::new(channel.clone());
    wait_until_serving(&mut health).await;
    TestApp {
        addr,
        agreements: AgreementServiceClient::new(channel.clone()),
        trade: TradeServiceClient::new(channel.clone()),
        indicators: IndicatorServiceClient::new(channel.clone()),
        catalog: CatalogServiceClient::new(channel.clone()),
        refresh: RefreshServiceClient::new(channel),
        health,
        stop: Some(stop),
        server: Some(server),
        dir,
    }
}

/// Follows the overall health status until it turns SERVING.
async fn wait_until_serving(health: &mut HealthClient<Channel>) {
    let mut updates = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health watch starts")
        .into_inner();
    let serving = async {
        while let Some(update) = updates.message().await.expect("health stream") {
            if update.status == ServingStatus::Serving as i32 {
                return;
            }
        }
        panic!("health stream ended before SERVING");
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), serving)
        .await
        .expect("SERVING within 30 s");
}

impl TestApp {
    /// Stops the server gracefully, checks it stopped cleanly, and hands back
    /// the directory holding its database.
    pub async fn stop(mut self) -> TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task did not panic")
                .expect("server stopped without error");
        }
        self.dir
    }

    pub async fn check_health(
        &mut self,
        service: &str,
    ) -> Result<HealthCheckResponse, tonic::Status> {
        self.health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .map(|response| response.into_inner())
    }

    pub async fn agreement(
        &mut self,
        id: &str,
        as_of: Option<(i32, i32, i32)>,
    ) -> Result<pb::Agreement, tonic::Status> {
        self.agreements
            .get_agreement(pb::GetAgreementRequest {
                id: id.into(),
                as_of: as_of.map(|(year, month, day)| Date { year, month, day }),
                ..Default::default()
            })
            .await
            .map(|response| response.into_inner())
    }

    /// Every year of trade between `reporter` and `partner`, as both report it.
    pub async fn bilateral(
        &mut self,
        reporter: &str,
        partner: &str,
    ) -> Result<pb::GetBilateralTradeResponse, tonic::Status> {
        self.trade
            .get_bilateral_trade(pb::GetBilateralTradeRequest {
                reporter: reporter.into(),
                partner: partner.into(),
                start_year: 0,
                end_year: 0,
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Every agreement matching the filters, following page tokens.
    pub async fn all_agreements(
        &mut self,
        mut request: pb::ListAgreementsRequest,
    ) -> Vec<pb::Agreement> {
        let mut all = Vec::new();
        loop {
            let page = self
                .agreements
                .list_agreements(request.clone())
                .await
                .expect("list agreements")
                .into_inner();
            all.extend(page.agreements);
            if page.next_page_token.is_empty() {
                return all;
            }
            request.page_token = page.next_page_token;
        }
    }
}

/// `message` as a request carrying `authorization: Bearer <token>`.
pub fn with_bearer<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value = format!("Bearer {token}")
        .parse()
        .expect("a valid metadata value");
    request.metadata_mut().insert("authorization", value);
    request
}

pub fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

/// Asserts a status code and that the message names `needle` (a field).
#[track_caller]
pub fn assert_status<T: std::fmt::Debug>(
    result: Result<T, tonic::Status>,
    code: tonic::Code,
    needle: &str,
) {
    match result {
        Ok(value) => panic!("expected {code:?} naming '{needle}', got Ok({value:?})"),
        Err(status) => {
            assert_eq!(status.code(), code, "message: {}", status.message());
            assert!(
                status.message().contains(needle),
                "message '{}' should name '{needle}'",
                status.message()
            );
            assert_error_details(&status);
        }
    }
}

/// Every error carries `ErrorInfo` in tradepact's domain; a bad field also
/// a `BadRequest` violation naming the field the message starts with; a
/// missing resource a `ResourceInfo`.
#[track_caller]
pub fn assert_error_details(status: &tonic::Status) {
    use tonic_types::StatusExt;
    let details = status.get_error_details();
    let info = details
        .error_info()
        .unwrap_or_else(|| panic!("no ErrorInfo on {status:?}"));
    assert_eq!(info.domain, "tradepact.dev");
    assert!(
        !info.reason.is_empty()
            && info
                .reason
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_'),
        "reason '{}' is not UPPER_SNAKE_CASE",
        info.reason
    );
    match status.code() {
        tonic::Code::InvalidArgument => {
            let violations = &details
                .bad_request()
                .unwrap_or_else(|| panic!("no BadRequest on {status:?}"))
                .field_violations;
            assert_eq!(violations.len(), 1, "{violations:?}");
            let field = &violations[0].field;
            assert!(
                status.message().starts_with(&format!("{field}: ")),
                "message '{}' should start with the violated field '{field}'",
                status.message()
            );
            assert_eq!(info.metadata.get("field"), Some(field));
        }
        tonic::Code::NotFound => {
            let resource = details
                .resource_info()
                .unwrap_or_else(|| panic!("no ResourceInfo on {status:?}"));
            assert!(!resource.resource_name.is_empty(), "{resource:?}");
        }
        _ => {}
    }
}

#[track_caller]
pub fn assert_close(actual: Option<f64>, expected: f64, tolerance: f64) {
    let actual = actual.unwrap_or_else(|| panic!("expected ≈{expected}, got nothing"));
    assert!(
        (actual - expected).abs() <= tolerance,
        "expected {expected} ± {tolerance}, got {actual}"
    );
}

/// Opens `WatchChanges` with `request` and returns every change the replay
/// sends, up to its CAUGHT_UP marker, with that marker's resume point.
pub async fn replayed_changes(
    app: &TestApp,
    request: pb::WatchChangesRequest,
) -> (Vec<pb::DataChange>, i64) {
    let mut stream = app
        .refresh
        .clone()
        .watch_changes(request)
        .await
        .expect("WatchChanges")
        .into_inner();
    let mut changes = Vec::new();
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(10), stream.message())
            .await
            .expect("the replay ends with CAUGHT_UP within 10 s")
            .expect("the stream is healthy")
            .expect("the stream stays open");
        match message.kind() {
            pb::WatchEventKind::Changes => changes.extend(message.changes),
            pb::WatchEventKind::CaughtUp => return (changes, message.resume_after_seq),
            other => panic!("unexpected {other:?} during the replay"),
        }
    }
}

/// Follows a run TriggerRefresh started until it is no longer RUNNING
/// (GetRefreshRun every 50 ms, for at most 30 s).
pub async fn finished_run(app: &TestApp, run: pb::RefreshRun) -> pb::RefreshRun {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut current = run;
    while current.state() == pb::RunState::Running {
        assert!(
            std::time::Instant::now() < deadline,
            "run {} still RUNNING after 30 s",
            current.id
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        current = app
            .refresh
            .clone()
            .get_refresh_run(pb::GetRefreshRunRequest { id: current.id })
            .await
            .expect("GetRefreshRun")
            .into_inner();
    }
    current
}
