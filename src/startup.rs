//! Wiring: [`Application::build`] binds the port and opens the database;
//! [`Application::run_until_stopped`] serves, loads the dataset, reports
//! health, and drains on shutdown. `main` and the tests both go through here.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tonic::codec::CompressionEncoding;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic_health::ServingStatus;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::server::{HealthReporter, HealthService};

use crate::config::{AnswerCompression, Role, Settings};
use crate::grpc::layer::{CallLayer, CallPolicy};
use crate::grpc::service::agreement_service_server::AgreementServiceServer;
use crate::grpc::service::catalog_service_server::CatalogServiceServer;
use crate::grpc::service::indicator_service_server::IndicatorServiceServer;
use crate::grpc::service::refresh_service_server::RefreshServiceServer;
use crate::grpc::service::trade_service_server::TradeServiceServer;
use crate::grpc::{
    AgreementApi, Api, CatalogApi, IndicatorApi, RefreshApi, SERVICE_NAMES, ServerFacts, TradeApi,
    pb,
};
use crate::metrics::{self, Metrics};
use crate::query::ReadModel;
use crate::refresh::{
    self, http::HttpClient, schedule::Schedule, sources::SourceAdapter, worker::Refresher,
};
use crate::replica::{self, Replication, child::Supervised, follow::Follower};
use crate::seed;
use crate::store::{SeedOutcome, Store};

/// A bound, not yet serving, tradepact.
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    metrics_listener: Option<TcpListener>,
    metrics_addr: Option<SocketAddr>,
    store: Store,
    adapters: Vec<Arc<dyn SourceAdapter>>,
    http: HttpClient,
    settings: Settings,
}

/// Every check of the configuration that serving makes before it binds:
/// what clap cannot check (`Settings::validate`) and the refresh sources
/// (economies known, schedules valid). `tradepact config` runs the same.
pub fn check(settings: &Settings) -> Result<(), String> {
    settings.validate().map_err(|error| error.to_string())?;
    refresh::adapters(&settings.refresh).map(drop)
}

impl Application {
    /// Checks the configuration, binds the listener (port 0 picks one) and
    /// opens the database.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let adapters = refresh::adapters(&settings.refresh).map_err(|e| anyhow::anyhow!(e))?;
        let http =
            HttpClient::new(settings.refresh.http()).context("cannot build the HTTP client")?;
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let local_addr = listener.local_addr()?;
        let metrics_listener = match settings.metrics_addr()? {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen for metrics on {addr}"))?,
            ),
            None => None,
        };
        let metrics_addr = metrics_listener
            .as_ref()
            .map(TcpListener::local_addr)
            .transpose()?;
        if settings.role != Role::All {
            let version = replica::child::check(&settings.litestream).await?;
            tracing::info!(%version, role = settings.role.as_str(), "Litestream found");
        }
        let store = match settings.role {
            Role::Reader => Store::replica(&settings.db),
            Role::All => Store::open(&settings.db).await?,
            Role::Writer => {
                let store = Store::open(&settings.db).await?;
                store.leave_checkpoints_to_litestream().await?;
                store
            }
        };
        Ok(Self {
            listener,
            local_addr,
            metrics_listener,
            metrics_addr,
            store,
            adapters,
            http,
            settings,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The metrics endpoint's address, when metrics are on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// Serves until `shutdown` resolves, then stops accepting calls, lets
    /// in-flight ones and running refreshes finish (up to the grace period)
    /// and returns.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        if let Some(key) = &self.settings.page_token_key
            && !crate::query::paging::use_key_material(key.expose().as_bytes())
        {
            tracing::warn!("a page token key was already in use in this process; keeping it");
        }
        let role = self.settings.role;
        let answer_cache_bytes = (self.settings.answer_cache_mib as u64).saturating_mul(1 << 20);
        let read_model = Arc::new(ReadModel::new(answer_cache_bytes));
        let health = HealthReporter::new();
        let health_service = HealthServer::new(HealthService::from_health_reporter(health.clone()));
        set_health(&health, ServingStatus::NotServing).await;

        let refresher = Refresher::new(
            self.store.clone(),
            Arc::clone(&read_model),
            self.http.clone(),
            self.adapters.clone(),
            Duration::from_secs(self.settings.refresh.refresh_timeout_secs),
        );
        let schedule: Arc<OnceLock<Arc<Schedule>>> = Arc::default();
        let stopping = CancellationToken::new();
        let refresh_api = RefreshApi::new(
            Arc::clone(&refresher),
            Arc::clone(&schedule),
            self.settings.admin_token.clone(),
            stopping.clone(),
        );
        let metrics = Metrics::new().context("cannot set up metrics")?;
        let replication = Arc::new(Replication::new(role, self.settings.replica.as_deref()));
        if role != Role::All {
            metrics.report_replication(Arc::clone(&replication));
        }
        if let Some(listener) = self.metrics_listener {
            tokio::spawn(metrics::serve(
                listener,
                Arc::clone(&metrics),
                self.store.clone(),
                stopping.clone(),
            ));
        }
        let stop_serving = CancellationToken::new();
        let services = Services {
            api: Api::new(read_model.clone(), self.store.clone(), Arc::clone(&metrics)),
            catalog_api: CatalogApi::new(
                Arc::clone(&read_model),
                Arc::clone(&refresher),
                Arc::clone(&schedule),
                ServerFacts::new(&self.settings, Arc::clone(&replication)),
            ),
            refresh_api,
            health: health_service,
            metrics,
        };
        let incoming = TcpIncoming::from(self.listener).with_nodelay(Some(true));
        let mut server = tokio::spawn(grpc_server(
            &self.settings,
            services,
            incoming,
            stop_serving.clone(),
        )?);
        let shutdown = shutdown;
        tokio::pin!(shutdown);
        // Litestream, the follower and the heartbeat: stopped after the
        // calls and refreshes, so the writer's last commits are shipped.
        let replicating = CancellationToken::new();
        let mut replica_tasks = tokio::task::JoinSet::new();

        if role == Role::Writer {
            // Litestream runs before anything is written, so no commit of
            // this process happens while nothing ships it.
            replica_tasks.spawn(replicate(&self.settings, &replication, &replicating));
            wait_for_litestream(&replication).await;
        }
        let stopped_early = if role == Role::Reader {
            replica_tasks.spawn(restore_follow(&self.settings, &replication, &replicating));
            let (restored, first_copy) = tokio::sync::oneshot::channel();
            let follower = Follower {
                store: self.store.clone(),
                refresher: Arc::clone(&refresher),
                replication: Arc::clone(&replication),
                poll: follow_poll(&self.settings),
            };
            replica_tasks.spawn(follower.run(restored, replicating.clone()));
            tracing::info!(replica = %replication.replica().unwrap_or_default(), "waiting for the first complete copy of the replica");
            tokio::select! {
                _ = first_copy => false,
                () = &mut shutdown => true,
                ended = &mut server => {
                    replicating.cancel();
                    return Err(anyhow::anyhow!("the server stopped while restoring: {ended:?}"));
                }
            }
        } else {
            let loaded = tokio::select! {
                loaded = load_dataset(&self.store, &read_model) => loaded,
                ended = &mut server => {
                    return Err(anyhow::anyhow!("the server stopped while loading: {ended:?}"));
                }
            };
            if let Err(error) = loaded {
                stop_serving.cancel();
                let _ = server.await;
                return Err(error);
            }
            let interrupted = self
                .store
                .mark_interrupted_runs(crate::refresh::worker::now())
                .await?;
            if interrupted > 0 {
                tracing::warn!(
                    interrupted,
                    "runs left RUNNING by a previous process are marked INTERRUPTED"
                );
            }
            refresher.publish_sources().await;
            false
        };

        if !stopped_early {
            tokio::spawn(Arc::clone(&refresher).republish_when_stale(stopping.clone()));
            if role == Role::Writer {
                replica_tasks.spawn(replica::heartbeat::beat(
                    self.store.clone(),
                    Duration::from_secs(self.settings.heartbeat_secs),
                    replicating.clone(),
                ));
            }
            set_health(&health, ServingStatus::Serving).await;
            if self.store.pages_unchecked() {
                tokio::spawn(check_pages_later(
                    self.store.clone(),
                    health.clone(),
                    stopping.clone(),
                ));
            }
            if self.settings.refresh.enabled && role != Role::Reader {
                let started = Schedule::start(Arc::clone(&refresher))
                    .await
                    .context("cannot start the refresh schedule")?;
                let _ = schedule.set(Arc::new(started));
                refresher.catch_up().await?;
            }
            if let Some(path) = &self.settings.ready_file {
                write_ready_file(path, self.local_addr)?;
            }
            tracing::info!(
                addr = %self.local_addr,
                metrics = %self.metrics_addr.map_or_else(|| "off".to_owned(), |addr| addr.to_string()),
                db = %self.store.path().display(),
                role = role.as_str(),
                refresh = self.settings.refresh.enabled && role != Role::Reader,
                "serving"
            );
            tokio::select! {
                () = &mut shutdown => tracing::info!("shutdown requested; draining in-flight calls"),
                ended = &mut server => {
                    replicating.cancel();
                    return ended?.context("the server stopped");
                }
            }
        }
        set_health(&health, ServingStatus::NotServing).await;
        stopping.cancel();
        if let Some(schedule) = schedule.get() {
            schedule.shutdown().await;
        }
        stop_serving.cancel();
        let grace = self.settings.shutdown_grace();
        let (drained, ()) = tokio::join!(
            tokio::time::timeout(grace, server),
            refresher.shutdown(grace)
        );
        match drained {
            Ok(ended) => ended?.context("the server failed while draining")?,
            Err(_) => tracing::warn!(
                grace_secs = self.settings.shutdown_grace_secs,
                "calls still running after the grace period; exiting anyway"
            ),
        }
        // Last: Litestream ships the writer's final commits as it stops.
        replicating.cancel();
        while replica_tasks.join_next().await.is_some() {}
        // A writer leaves its log to Litestream, which has shipped it.
        if role == Role::All
            && let Err(error) = self.store.checkpoint().await
        {
            tracing::warn!("could not checkpoint the write-ahead log: {error}");
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Waits (at most 10 s) until the writer's Litestream runs; it keeps being
/// started again after that if it did not.
async fn wait_for_litestream(replication: &Replication) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !replication.progress().child_running && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if !replication.progress().child_running {
        tracing::warn!(
            "Litestream is not running yet; serving anyway, it is started again until it runs"
        );
    }
}

/// How often a reader's follower looks for a new transaction: twice per
/// Litestream follow interval, so it sees each soon after it lands.
fn follow_poll(settings: &Settings) -> Duration {
    Duration::from_millis((settings.follow_interval_ms / 2).clamp(10, 1000))
}

/// The writer's `litestream replicate DB URL`, supervised until `stop`.
fn replicate(
    settings: &Settings,
    replication: &Arc<Replication>,
    stop: &CancellationToken,
) -> impl Future<Output = ()> + Send + 'static {
    let child = Supervised {
        program: settings.litestream.clone(),
        args: vec![
            "replicate".into(),
            settings.db.clone().into(),
            settings.replica.clone().unwrap_or_default().into(),
        ],
        pidfile: replica::child::pidfile(&settings.db),
        before_start: Box::new(|_| {}),
    };
    child.run(Arc::clone(replication), stop.clone())
}

/// A reader's `litestream restore -f -o DB URL`, supervised until `stop`.
/// Before the first start a copy Litestream can resume is kept, anything
/// else removed. When Litestream cannot resume the copy (the replica's
/// history was pruned, or belongs to another database), the copy is removed
/// so the next start restores afresh; the follower loads the new file.
fn restore_follow(
    settings: &Settings,
    replication: &Arc<Replication>,
    stop: &CancellationToken,
) -> impl Future<Output = ()> + Send + 'static {
    let db = settings.db.clone();
    let child = Supervised {
        program: settings.litestream.clone(),
        args: vec![
            "restore".into(),
            "-f".into(),
            "-follow-interval".into(),
            format!("{}ms", settings.follow_interval_ms).into(),
            "-o".into(),
            db.clone().into(),
            settings.replica.clone().unwrap_or_default().into(),
        ],
        pidfile: replica::child::pidfile(&db),
        before_start: Box::new(move |last_lines| {
            let Some(last_lines) = last_lines else {
                replica::prepare_copy(&db);
                return;
            };
            let cannot_resume = last_lines.iter().any(|line| {
                line.contains("cannot resume follow mode")
                    || line.contains("output path already exists")
            });
            if cannot_resume {
                tracing::warn!("Litestream cannot resume the local copy; restoring afresh");
                replica::discard_copy(&db);
            }
        }),
    };
    child.run(Arc::clone(replication), stop.clone())
}

/// Applies the message-size limit and request compression to a generated
/// server. Compressed requests are always accepted; answers are compressed
/// only as the operator chose, and for the query services not by tonic but
/// from the answer cache (`grpc::compress`).
macro_rules! configured {
    ($server:expr, $settings:expr) => {
        $server
            .max_decoding_message_size($settings.max_request_bytes)
            .accept_compressed(CompressionEncoding::Gzip)
            .accept_compressed(CompressionEncoding::Zstd)
    };
}

/// tonic's own encoding for answers of services without cached answers.
fn tonic_compression(settings: &Settings) -> Option<CompressionEncoding> {
    match settings.compress_answers {
        AnswerCompression::Off => None,
        AnswerCompression::Gzip => Some(CompressionEncoding::Gzip),
        AnswerCompression::Zstd => Some(CompressionEncoding::Zstd),
    }
}

/// The gRPC server: every service behind the call layer, serving `incoming`
/// until `stop` fires, then draining.
fn grpc_server(
    settings: &Settings,
    services: Services,
    incoming: TcpIncoming,
    stop: CancellationToken,
) -> anyhow::Result<impl Future<Output = Result<(), tonic::transport::Error>> + Send + use<>> {
    let Services {
        api,
        catalog_api,
        refresh_api,
        health,
        metrics,
    } = services;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    // grpcurl before 1.8.8 speaks only v1alpha.
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let calls = CallLayer::new(CallPolicy {
        metrics,
        permits: Arc::new(Semaphore::new(settings.max_concurrent_calls)),
        max_in_flight: settings.max_concurrent_calls,
        timeout: Duration::from_millis(settings.call_timeout_ms),
        compression: settings.compress_answers,
    });
    let stack = tower::ServiceBuilder::new()
        .option_layer(settings.grpc_web.then(tonic_web::GrpcWebLayer::new))
        .layer(calls);
    let keepalive =
        (settings.keepalive_secs > 0).then(|| Duration::from_secs(settings.keepalive_secs));
    let mut server = Server::builder()
        // tonic otherwise lifts hyper's cap on streams per connection, and a
        // client opening thousands at once is torn down by h2's flood guard
        // instead of being answered or shed.
        .max_concurrent_streams(Some(settings.max_streams_per_connection))
        .http2_keepalive_interval(keepalive)
        .http2_keepalive_timeout(Some(Duration::from_secs(20)))
        .accept_http1(settings.grpc_web);
    if settings.max_connection_age_secs > 0 {
        // No `max_connection_age_grace`: with one, tonic 0.14 sends no
        // GOAWAY at all, but closes the connection abruptly once age and
        // grace have passed. Without it, GOAWAY at the age, and calls in
        // flight finish (each within the call timeout).
        server = server.max_connection_age(Duration::from_secs(settings.max_connection_age_secs));
    }
    if let Some(tls) = tls_config(settings)? {
        server = server
            .tls_config(tls)
            .context("invalid TLS configuration")?;
    }
    let router = server
        .layer(stack)
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(configured!(
            AgreementServiceServer::new(AgreementApi(api.clone())),
            settings
        ))
        .add_service(configured!(
            TradeServiceServer::new(TradeApi(api.clone())),
            settings
        ))
        .add_service(configured!(
            IndicatorServiceServer::new(IndicatorApi(api)),
            settings
        ))
        .add_service(configured!(
            CatalogServiceServer::new(catalog_api),
            settings
        ))
        .add_service(match tonic_compression(settings) {
            Some(encoding) => configured!(RefreshServiceServer::new(refresh_api), settings)
                .send_compressed(encoding),
            None => configured!(RefreshServiceServer::new(refresh_api), settings),
        });
    Ok(router.serve_with_incoming_shutdown(incoming, stop.cancelled_owned()))
}

/// What the gRPC server serves.
struct Services {
    api: Api,
    catalog_api: CatalogApi,
    refresh_api: RefreshApi,
    health: HealthServer<HealthService>,
    metrics: Arc<Metrics>,
}

/// TLS (and mutual TLS) from the configured PEM files.
fn tls_config(settings: &Settings) -> anyhow::Result<Option<ServerTlsConfig>> {
    let (Some(cert), Some(key)) = (&settings.tls_cert, &settings.tls_key) else {
        return Ok(None);
    };
    let read = |path: &std::path::Path| {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
    };
    let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(read(cert)?, read(key)?));
    if let Some(ca) = &settings.tls_client_ca {
        tls = tls.client_ca_root(Certificate::from_pem(read(ca)?));
    }
    Ok(Some(tls))
}

/// Applies the built-in dataset if it changed, then loads everything into
/// the read model.
async fn load_dataset(store: &Store, read_model: &ReadModel) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    // A restart of the same binary on its own database skips the parse:
    // the two files are about a megabyte of TOML.
    if store.holds_seed(seed::builtin_sha256()).await? {
        tracing::info!("built-in dataset already current");
    } else {
        let seed = tokio::task::spawn_blocking(seed::builtin)
            .await?
            .context("the built-in dataset does not parse")?;
        match store.apply_seed(Arc::new(seed)).await? {
            SeedOutcome::Applied { version } => {
                tracing::info!(%version, "built-in dataset written")
            }
            SeedOutcome::Unchanged { version } => {
                tracing::info!(%version, "built-in dataset already current")
            }
        }
    }
    let dataset = store.load().await?;
    tracing::info!(
        agreements = dataset.agreements.len(),
        trade_figures = dataset.trade.len(),
        indicator_series = dataset.indicator_series.len(),
        version = %dataset.version,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "dataset loaded"
    );
    read_model.replace(dataset);
    Ok(())
}

/// The page check of a database too big to check before serving: a damaged
/// file found now turns the service NOT_SERVING, so probes take it out.
async fn check_pages_later(store: Store, health: HealthReporter, stop: CancellationToken) {
    let started = std::time::Instant::now();
    match store.check_pages(stop.clone()).await {
        Ok(()) => tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "database pages checked"
        ),
        Err(_) if stop.is_cancelled() => {}
        Err(error) => {
            tracing::error!(%error, "the database is damaged; reporting NOT_SERVING");
            set_health(&health, ServingStatus::NotServing).await;
        }
    }
}

async fn set_health(health: &HealthReporter, status: ServingStatus) {
    health.set_service_status("", status).await;
    for name in SERVICE_NAMES {
        health.set_service_status(name, status).await;
    }
}

/// Writes the address atomically, so a reader never sees half of it.
fn write_ready_file(path: &Path, addr: SocketAddr) -> anyhow::Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, format!("{addr}\n"))
        .and_then(|()| std::fs::rename(&partial, path))
        .with_context(|| format!("cannot write the ready file {}", path.display()))
}
