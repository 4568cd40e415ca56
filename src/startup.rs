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
use tokio_util::sync::CancellationToken;
use tonic::codec::CompressionEncoding;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::config::Settings;
use crate::grpc::pb::agreement_service_server::AgreementServiceServer;
use crate::grpc::pb::indicator_service_server::IndicatorServiceServer;
use crate::grpc::pb::refresh_service_server::RefreshServiceServer;
use crate::grpc::pb::trade_service_server::TradeServiceServer;
use crate::grpc::{AgreementApi, Api, IndicatorApi, RefreshApi, SERVICE_NAMES, TradeApi, pb};
use crate::query::ReadModel;
use crate::refresh::{
    self, http::HttpClient, schedule::Schedule, sources::SourceAdapter, worker::Refresher,
};
use crate::seed;
use crate::store::{SeedOutcome, Store};

/// A bound, not yet serving, tradepact.
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    store: Store,
    adapters: Vec<Arc<dyn SourceAdapter>>,
    http: HttpClient,
    settings: Settings,
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
        let store = Store::open(&settings.db).await?;
        Ok(Self {
            listener,
            local_addr,
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

    /// Serves until `shutdown` resolves, then stops accepting calls, lets
    /// in-flight ones and running refreshes finish (up to the grace period)
    /// and returns.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let read_model = Arc::new(ReadModel::empty());
        let (health, health_service) = tonic_health::server::health_reporter();
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
        let stop_serving = CancellationToken::new();
        let router = routes(Api::new(read_model.clone()), refresh_api, health_service)?;
        let incoming = TcpIncoming::from(self.listener).with_nodelay(Some(true));
        let mut server = tokio::spawn(
            router.serve_with_incoming_shutdown(incoming, stop_serving.clone().cancelled_owned()),
        );

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
        set_health(&health, ServingStatus::Serving).await;
        if self.settings.refresh.enabled {
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
            db = %self.store.path().display(),
            refresh = self.settings.refresh.enabled,
            "serving"
        );

        tokio::select! {
            () = shutdown => tracing::info!("shutdown requested; draining in-flight calls"),
            ended = &mut server => return ended?.context("the server stopped"),
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
        tracing::info!("stopped");
        Ok(())
    }
}

fn routes(
    api: Api,
    refresh_api: RefreshApi,
    health: tonic_health::pb::health_server::HealthServer<
        impl tonic_health::pb::health_server::Health,
    >,
) -> anyhow::Result<tonic::transport::server::Router> {
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    // grpcurl before 1.8.8 speaks only v1alpha.
    let reflection_v1alpha = reflection().build_v1alpha()?;
    Ok(Server::builder()
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(
            AgreementServiceServer::new(AgreementApi(api.clone()))
                .accept_compressed(CompressionEncoding::Gzip)
                .send_compressed(CompressionEncoding::Gzip),
        )
        .add_service(
            TradeServiceServer::new(TradeApi(api.clone()))
                .accept_compressed(CompressionEncoding::Gzip)
                .send_compressed(CompressionEncoding::Gzip),
        )
        .add_service(
            IndicatorServiceServer::new(IndicatorApi(api))
                .accept_compressed(CompressionEncoding::Gzip)
                .send_compressed(CompressionEncoding::Gzip),
        )
        .add_service(
            RefreshServiceServer::new(refresh_api)
                .accept_compressed(CompressionEncoding::Gzip)
                .send_compressed(CompressionEncoding::Gzip),
        ))
}

/// Applies the built-in dataset if it changed, then loads everything into
/// the read model.
async fn load_dataset(store: &Store, read_model: &ReadModel) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let seed = tokio::task::spawn_blocking(seed::builtin)
        .await?
        .context("the built-in dataset does not parse")?;
    match store.apply_seed(Arc::new(seed)).await? {
        SeedOutcome::Applied { version } => tracing::info!(%version, "built-in dataset written"),
        SeedOutcome::Unchanged { version } => {
            tracing::info!(%version, "built-in dataset already current")
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
