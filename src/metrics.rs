//! Prometheus metrics on their own HTTP port (`GET /metrics`): calls per
//! method and status code, latency histograms, calls in flight, and — read
//! from the store at scrape time — refresh runs per source and state, last
//! successes, rows per source and the database size.
//!
//! The endpoint is an axum router served over HTTP/1 by hyper, behind a
//! header-read timeout and a cap on open connections (see `Limits`), so a
//! slow or flooding client cannot hold it; on the stop signal it stops
//! accepting and open connections finish their request.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::AnswerCompression;
use crate::store::Store;

/// Latency buckets, in seconds: most calls answer in well under a millisecond.
const BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 10.0,
];

/// The process's counters, shared by the call layer and the endpoint.
pub struct Metrics {
    registry: Registry,
    calls: IntCounterVec,
    cached_answers: IntCounterVec,
    compressions: IntCounterVec,
    latency: HistogramVec,
    in_flight: IntGauge,
    /// Replication, reported at scrape time when this process replicates.
    replication: std::sync::OnceLock<Arc<crate::replica::Replication>>,
}

impl Metrics {
    pub fn new() -> Result<Arc<Self>, prometheus::Error> {
        let registry = Registry::new();
        let calls = IntCounterVec::new(
            Opts::new(
                "tradepact_grpc_calls_total",
                "gRPC calls by method and status code",
            ),
            &["method", "code"],
        )?;
        let cached_answers = IntCounterVec::new(
            Opts::new(
                "tradepact_grpc_cached_answers_total",
                "Query calls answered from the snapshot's answer cache",
            ),
            &["method"],
        )?;
        let compressions = IntCounterVec::new(
            Opts::new(
                "tradepact_grpc_answer_compressions_total",
                "Answers compressed (each is then cached, so a repeated question is not compressed again)",
            ),
            &["encoding"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "tradepact_grpc_call_duration_seconds",
                "Time to answer a gRPC call",
            )
            .buckets(BUCKETS.to_vec()),
            &["method"],
        )?;
        let in_flight = IntGauge::new(
            "tradepact_grpc_calls_in_flight",
            "gRPC calls being answered",
        )?;
        registry.register(Box::new(calls.clone()))?;
        registry.register(Box::new(cached_answers.clone()))?;
        registry.register(Box::new(compressions.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        Ok(Arc::new(Self {
            registry,
            calls,
            cached_answers,
            compressions,
            latency,
            in_flight,
            replication: std::sync::OnceLock::new(),
        }))
    }

    /// A call started; the guard records it when dropped.
    pub fn start_call(self: &Arc<Self>) -> InFlight {
        self.in_flight.inc();
        InFlight(Arc::clone(self))
    }

    /// Counts a call answered from the answer cache (`record` counts it as
    /// a call too).
    pub fn record_cached_answer(&self, method: &str) {
        self.cached_answers.with_label_values(&[method]).inc();
    }

    /// Counts an answer compressed in `encoding`.
    pub fn record_compression(&self, encoding: AnswerCompression) {
        let label = match encoding {
            AnswerCompression::Off => "identity",
            AnswerCompression::Gzip => "gzip",
            AnswerCompression::Zstd => "zstd",
        };
        self.compressions.with_label_values(&[label]).inc();
    }

    /// Records one finished call.
    pub fn record(&self, method: &str, code: tonic::Code, elapsed: Duration) {
        self.calls
            .with_label_values(&[method, code_name(code)])
            .inc();
        self.latency
            .with_label_values(&[method])
            .observe(elapsed.as_secs_f64());
    }

    /// The Prometheus text exposition: the process's counters plus the store's figures.
    pub async fn render(&self, store: &Store) -> String {
        let mut out = Vec::new();
        let encoder = TextEncoder::new();
        if let Err(error) = encoder.encode(&self.registry.gather(), &mut out) {
            tracing::error!("encoding metrics: {error}");
        }
        let mut text = String::from_utf8_lossy(&out).into_owned();
        if let Some(replication) = self.replication.get() {
            text.push_str(&replication_metrics(replication));
            if !replication.progress().restored && store.is_replica() {
                // Nothing to read before the first restore.
                return text;
            }
        }
        match store.stats().await {
            Ok(stats) => text.push_str(&store_metrics(&stats)),
            Err(error) => tracing::error!("reading store statistics for metrics: {error}"),
        }
        text
    }

    /// Reports `replication` from now on (writer and reader roles).
    pub fn report_replication(&self, replication: Arc<crate::replica::Replication>) {
        let _ = self.replication.set(replication);
    }
}

/// Keeps the in-flight gauge honest even if a call's future is dropped.
pub struct InFlight(Arc<Metrics>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.dec();
    }
}

/// The status code as gRPC names it (`OK`, `NOT_FOUND`...).
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code as C;
    match code {
        C::Ok => "OK",
        C::Cancelled => "CANCELLED",
        C::Unknown => "UNKNOWN",
        C::InvalidArgument => "INVALID_ARGUMENT",
        C::DeadlineExceeded => "DEADLINE_EXCEEDED",
        C::NotFound => "NOT_FOUND",
        C::AlreadyExists => "ALREADY_EXISTS",
        C::PermissionDenied => "PERMISSION_DENIED",
        C::ResourceExhausted => "RESOURCE_EXHAUSTED",
        C::FailedPrecondition => "FAILED_PRECONDITION",
        C::Aborted => "ABORTED",
        C::OutOfRange => "OUT_OF_RANGE",
        C::Unimplemented => "UNIMPLEMENTED",
        C::Internal => "INTERNAL",
        C::Unavailable => "UNAVAILABLE",
        C::DataLoss => "DATA_LOSS",
        C::Unauthenticated => "UNAUTHENTICATED",
    }
}

fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Replication in the text format: the Litestream child, and for a reader
/// its lag and the last transaction applied.
fn replication_metrics(replication: &crate::replica::Replication) -> String {
    use std::fmt::Write as _;
    let progress = replication.progress();
    let mut text = String::new();
    let mut gauge = |name: &str, help: &str, kind: &str, value: String| {
        let _ = write!(
            text,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
        );
    };
    gauge(
        "tradepact_litestream_up",
        "1 while the supervised Litestream child runs",
        "gauge",
        u8::from(progress.child_running).to_string(),
    );
    gauge(
        "tradepact_litestream_restarts_total",
        "Times the Litestream child was started again after it ended",
        "counter",
        progress.child_restarts.to_string(),
    );
    if replication.role() == crate::config::Role::Reader {
        gauge(
            "tradepact_replica_restored",
            "1 once the reader's first complete copy is served",
            "gauge",
            u8::from(progress.restored).to_string(),
        );
        gauge(
            "tradepact_replica_txid",
            "The last Litestream transaction id applied to the reader's copy",
            "gauge",
            progress.txid.unwrap_or_default().to_string(),
        );
        if let Some(lag) = replication.lag() {
            gauge(
                "tradepact_replication_lag_seconds",
                "How long ago the writer wrote the newest heartbeat the reader's copy holds",
                "gauge",
                format!("{:.3}", lag.as_secs_f64()),
            );
        }
    }
    text
}

/// The store's figures in the text format.
fn store_metrics(stats: &crate::store::StoreStats) -> String {
    let mut text = String::new();
    text.push_str(
        "# HELP tradepact_refresh_runs_total Refresh runs recorded, by source and final state\n",
    );
    text.push_str("# TYPE tradepact_refresh_runs_total counter\n");
    for ((source, state), count) in &stats.runs {
        text.push_str(&format!(
            "tradepact_refresh_runs_total{{source=\"{}\",state=\"{}\"}} {count}\n",
            label(source),
            label(state)
        ));
    }
    text.push_str("# HELP tradepact_refresh_last_success_timestamp_seconds When each source last refreshed successfully\n");
    text.push_str("# TYPE tradepact_refresh_last_success_timestamp_seconds gauge\n");
    for (source, at) in &stats.last_success {
        text.push_str(&format!(
            "tradepact_refresh_last_success_timestamp_seconds{{source=\"{}\"}} {at}\n",
            label(source)
        ));
    }
    // Read from the database at every scrape, so an alert on staleness works
    // from the first scrape after a restart.
    text.push_str("# HELP tradepact_refresh_seconds_since_last_success Age of each source's last successful refresh\n");
    text.push_str("# TYPE tradepact_refresh_seconds_since_last_success gauge\n");
    let now = chrono::Utc::now().timestamp();
    for (source, at) in &stats.last_success {
        text.push_str(&format!(
            "tradepact_refresh_seconds_since_last_success{{source=\"{}\"}} {}\n",
            label(source),
            (now - at).max(0)
        ));
    }
    text.push_str("# HELP tradepact_build_info The running build (always 1)\n");
    text.push_str("# TYPE tradepact_build_info gauge\n");
    text.push_str(&format!(
        "tradepact_build_info{{version=\"{}\",build=\"{}\",dataset_version=\"{}\"}} 1\n",
        label(env!("CARGO_PKG_VERSION")),
        label(env!("TRADEPACT_BUILD")),
        label(&stats.dataset_version)
    ));
    text.push_str("# HELP tradepact_store_rows Data rows held, by origin (builtin or a source)\n");
    text.push_str("# TYPE tradepact_store_rows gauge\n");
    for (origin, rows) in &stats.rows {
        text.push_str(&format!(
            "tradepact_store_rows{{origin=\"{}\"}} {rows}\n",
            label(origin)
        ));
    }
    text.push_str("# HELP tradepact_store_size_bytes Database file plus write-ahead log\n");
    text.push_str("# TYPE tradepact_store_size_bytes gauge\n");
    text.push_str(&format!(
        "tradepact_store_size_bytes {}\n",
        stats.size_bytes
    ));
    text
}

/// The content type of the Prometheus text format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How the endpoint's HTTP server guards itself.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// A client must send a request's whole head within this, or its
    /// connection is closed; a kept-alive connection idle this long is closed
    /// too (a scraper simply reconnects).
    header_read_timeout: Duration,
    /// Connections served at once. One accepted beyond it is closed at once,
    /// unanswered: the accept loop never waits, so the backlog does not fill
    /// with connections the client believes open, and a scraper sees a prompt
    /// failure rather than a hang.
    max_connections: usize,
    /// After the stop signal, how long open connections get to finish the
    /// request they are answering before they are cut. (Idle kept-alive
    /// connections close at once; one that has not sent a request yet is
    /// not idle to hyper and lasts until its header-read timeout or this.)
    shutdown_grace: Duration,
}

impl Limits {
    const DEFAULT: Self = Self {
        header_read_timeout: Duration::from_secs(10),
        max_connections: 32,
        shutdown_grace: Duration::from_secs(5),
    };
}

/// Pause after a failed accept (out of file descriptors, say), so the loop
/// does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `GET /metrics` on `listener` until `stop` fires, then lets open
/// connections finish their request (up to a grace period) and returns.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    store: Store,
    stop: CancellationToken,
) {
    serve_router(listener, router(metrics, store), Limits::DEFAULT, stop).await;
}

/// What a scrape reads.
#[derive(Clone)]
struct Endpoint {
    metrics: Arc<Metrics>,
    store: Store,
}

/// `GET /metrics` (and `HEAD`); other methods there are 405, any other path 404.
fn router(metrics: Arc<Metrics>, store: Store) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .fallback(|| async { (StatusCode::NOT_FOUND, "try /metrics\n") })
        .with_state(Endpoint { metrics, store })
}

async fn scrape(State(endpoint): State<Endpoint>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, TEXT_FORMAT)],
        endpoint.metrics.render(&endpoint.store).await,
    )
}

/// The HTTP/1 server under `router`. axum's own `serve` has no header-read
/// timeout (it sets no timer, and hyper's timeout needs one), so connections
/// are accepted here, capped, and each served by hyper with a timer.
async fn serve_router(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    stop: CancellationToken,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let mut connections = JoinSet::new();
    loop {
        let stream = tokio::select! {
            biased;
            () = stop.cancelled() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!("metrics listener: {error}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            tracing::debug!(
                max = limits.max_connections,
                "metrics: connection cap reached; closing a new connection"
            );
            drop(stream);
            continue;
        };
        let connection = http.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(router.clone()),
        );
        let stop = stop.clone();
        connections.spawn(async move {
            let _permit = permit;
            let mut connection = std::pin::pin!(connection);
            let served = tokio::select! {
                served = connection.as_mut() => served,
                () = stop.cancelled() => {
                    // Finish the request being answered, if any, then close.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = served {
                tracing::debug!("metrics connection: {error}");
            }
        });
    }
    drop(listener);
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "metrics connections still open after the grace period; closing them"
        );
        connections.shutdown().await;
    }
}

#[cfg(test)]
mod tests;
