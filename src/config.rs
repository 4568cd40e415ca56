//! Command line and environment: one [`Settings`] value, parsed and checked
//! at start. Every flag has a `TRADEPACT_*` environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

/// tradepact: free-trade agreements and bilateral trade, answered over gRPC.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve gRPC (the default when no command is given).
    Serve,
    /// Check a running server's health (grpc.health.v1); exit 0 when SERVING,
    /// 1 otherwise. Used by the container's HEALTHCHECK.
    Health(HealthArgs),
    /// Print the effective configuration (flags, environment, config file and
    /// defaults combined) as TOML, secrets redacted.
    Config,
}

#[derive(Debug, Clone, clap::Args)]
pub struct HealthArgs {
    /// Address of the server to check.
    #[arg(long, default_value = "127.0.0.1:50051")]
    pub addr: String,
    /// Service to ask about; empty = the server as a whole.
    #[arg(long, default_value = "")]
    pub service: String,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 3)]
    pub timeout_secs: u64,
    /// Connect with TLS, trusting this CA certificate (PEM).
    #[arg(long)]
    pub tls_ca: Option<PathBuf>,
    /// Client certificate and key (PEM) for a server that requires mutual TLS.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Server name to verify in its certificate (defaults to the host in --addr).
    #[arg(long)]
    pub tls_domain: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per line.
    Json,
}

/// Whether answers are compressed for clients that accept it. Off by
/// default, as in grpc-go and grpc-java servers: compression costs the
/// server CPU on every answer a client has not seen, and most callers sit
/// on a fast network next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerCompression {
    /// Answers go uncompressed, whatever the client accepts.
    Off,
    /// gzip, for clients that list it in `grpc-accept-encoding`.
    Gzip,
    /// zstd, for clients that list it in `grpc-accept-encoding`.
    Zstd,
}

/// What one process does: one binary runs alone, or as the one writer or
/// one of many read replicas of a database replicated by Litestream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Serves and refreshes; no replication (the default).
    All,
    /// Serves and refreshes, and ships its database to `--replica` with
    /// `litestream replicate`, run as a supervised child.
    Writer,
    /// Never refreshes and never writes: follows `--replica` into its local
    /// copy (`--db`) with `litestream restore -f` and serves from it.
    Reader,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Writer => "writer",
            Self::Reader => "reader",
        }
    }
}

/// Everything the service needs to run. Serialises (for `tradepact config`)
/// under the flag names, secrets redacted.
#[derive(Debug, Clone, clap::Args, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    /// Address to serve gRPC on; port 0 picks a free port.
    #[arg(
        long,
        env = "TRADEPACT_LISTEN",
        default_value = "0.0.0.0:50051",
        global = true
    )]
    pub listen: SocketAddr,

    /// SQLite database file; created with the built-in dataset when absent.
    #[arg(
        long,
        env = "TRADEPACT_DB",
        default_value = "./tradepact.db",
        global = true
    )]
    pub db: PathBuf,

    /// Once serving, write the bound address to this file (for scripts and tests
    /// that start the server on port 0).
    #[arg(long, env = "TRADEPACT_READY_FILE", global = true)]
    pub ready_file: Option<PathBuf>,

    /// Log filter, in tracing's EnvFilter syntax (e.g. `info`, `tradepact=debug`).
    #[arg(long, env = "TRADEPACT_LOG", default_value = "info", global = true)]
    pub log: String,

    /// Log line format.
    #[arg(
        long,
        env = "TRADEPACT_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,

    /// Seconds to let in-flight calls finish after SIGTERM/SIGINT before exiting anyway.
    #[arg(
        long,
        env = "TRADEPACT_SHUTDOWN_GRACE_SECS",
        default_value_t = 20,
        global = true
    )]
    pub shutdown_grace_secs: u64,

    /// Optional TOML configuration file; flags and environment override it.
    /// Keys are the flag names (`listen = "0.0.0.0:50051"`, `max-age-hours = 24`).
    #[arg(long, env = "TRADEPACT_CONFIG", global = true)]
    pub config: Option<PathBuf>,

    /// Address for the Prometheus metrics endpoint (`GET /metrics`); "off" disables it.
    #[arg(
        long,
        env = "TRADEPACT_METRICS_LISTEN",
        default_value = "0.0.0.0:9464",
        global = true
    )]
    pub metrics_listen: String,

    /// Tokio worker threads; defaults to the CPUs the process may use. Set it to
    /// the container's CPU limit (containers see the host's cores).
    #[arg(long, env = "TRADEPACT_WORKER_THREADS", global = true)]
    pub worker_threads: Option<usize>,

    /// Serve gRPC over TLS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, env = "TRADEPACT_TLS_CERT", requires = "tls_key", global = true)]
    pub tls_cert: Option<PathBuf>,

    /// Private key (PEM) for --tls-cert.
    #[arg(long, env = "TRADEPACT_TLS_KEY", requires = "tls_cert", global = true)]
    pub tls_key: Option<PathBuf>,

    /// Require client certificates signed by this CA (PEM): mutual TLS.
    #[arg(
        long,
        env = "TRADEPACT_TLS_CLIENT_CA",
        requires = "tls_cert",
        global = true
    )]
    pub tls_client_ca: Option<PathBuf>,

    /// Largest request message accepted, in bytes (RESOURCE_EXHAUSTED above it).
    #[arg(long, env = "TRADEPACT_MAX_REQUEST_BYTES", default_value_t = 1024 * 1024, global = true)]
    pub max_request_bytes: usize,

    /// Longest a call may take before it fails with DEADLINE_EXCEEDED, in milliseconds.
    #[arg(
        long,
        env = "TRADEPACT_CALL_TIMEOUT_MS",
        default_value_t = 30_000,
        global = true
    )]
    pub call_timeout_ms: u64,

    /// Calls answered at once; beyond it calls fail at once with RESOURCE_EXHAUSTED.
    #[arg(
        long,
        env = "TRADEPACT_MAX_CONCURRENT_CALLS",
        default_value_t = 1024,
        global = true
    )]
    pub max_concurrent_calls: usize,

    /// Encoded answers kept per dataset snapshot, in MiB (0 = answer every call afresh).
    #[arg(
        long,
        env = "TRADEPACT_ANSWER_CACHE_MIB",
        default_value_t = 64,
        global = true
    )]
    pub answer_cache_mib: usize,

    /// Compress answers for clients that accept this encoding (requests in gzip or zstd are always accepted).
    #[arg(
        long,
        env = "TRADEPACT_COMPRESS_ANSWERS",
        value_enum,
        default_value = "off",
        global = true
    )]
    pub compress_answers: AnswerCompression,

    /// Concurrent HTTP/2 streams one connection may open (calls in flight per connection).
    #[arg(
        long,
        env = "TRADEPACT_MAX_STREAMS_PER_CONNECTION",
        default_value_t = 256,
        global = true
    )]
    pub max_streams_per_connection: u32,

    /// HTTP/2 keepalive ping interval in seconds (0 = off).
    #[arg(
        long,
        env = "TRADEPACT_KEEPALIVE_SECS",
        default_value_t = 60,
        global = true
    )]
    pub keepalive_secs: u64,

    /// Close each client connection gracefully (HTTP/2 GOAWAY) after this
    /// many seconds, so clients resolve the address again and spread over
    /// replicas added since (0 = never). Calls in flight finish; a
    /// WatchChanges stream keeps its connection until it ends.
    #[arg(
        long,
        env = "TRADEPACT_MAX_CONNECTION_AGE_SECS",
        default_value_t = 0,
        global = true
    )]
    pub max_connection_age_secs: u64,

    /// Also accept gRPC-Web (HTTP/1.1) calls, for browsers.
    #[arg(long, env = "TRADEPACT_GRPC_WEB", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub grpc_web: bool,

    /// Bearer token that admin calls (TriggerRefresh) must present; admin
    /// calls are disabled without one.
    #[arg(
        long,
        env = "TRADEPACT_ADMIN_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub admin_token: Option<Secret>,

    /// Key material for page tokens (any length; hashed to an AES-256 key).
    /// Without it each process seals tokens with a random key, so a token
    /// only works on the process that issued it: give every replica behind
    /// one address the same value.
    #[arg(
        long,
        env = "TRADEPACT_PAGE_TOKEN_KEY",
        hide_env_values = true,
        global = true
    )]
    pub page_token_key: Option<Secret>,

    /// What this process does: `all` (serve and refresh, alone), `writer`
    /// (the same, replicated to --replica) or `reader` (a read replica of
    /// --replica).
    #[arg(
        long,
        env = "TRADEPACT_ROLE",
        value_enum,
        default_value = "all",
        global = true
    )]
    pub role: Role,

    /// Where the writer's database is replicated and readers follow it, as a
    /// Litestream replica URL (`s3://bucket/path`, `gs://...`, `abs://...`,
    /// `file:///dir`). Credentials come from Litestream's own environment
    /// variables, never from the URL.
    #[arg(long, env = "TRADEPACT_REPLICA", global = true)]
    pub replica: Option<String>,

    /// The Litestream binary run for `--role writer|reader`: a path, or a
    /// name looked up on PATH.
    #[arg(
        long,
        env = "TRADEPACT_LITESTREAM",
        default_value = "litestream",
        global = true
    )]
    pub litestream: PathBuf,

    /// How often a reader looks for new changes in the replica, in
    /// milliseconds (Litestream's follow interval; its default). Each look
    /// lists the replica, up to 9 LIST requests when nothing is new: on
    /// object storage, a longer interval costs lag and saves requests
    /// (SCALING.md).
    #[arg(
        long,
        env = "TRADEPACT_FOLLOW_INTERVAL_MS",
        default_value_t = 1000,
        global = true
    )]
    pub follow_interval_ms: u64,

    /// How often the writer records a heartbeat in the database, in seconds:
    /// readers measure their lag from the last one they hold.
    #[arg(
        long,
        env = "TRADEPACT_HEARTBEAT_SECS",
        default_value_t = 5,
        global = true
    )]
    pub heartbeat_secs: u64,

    #[command(flatten)]
    #[serde(flatten)]
    pub refresh: RefreshSettings,
}

/// A secret from the command line or environment: never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("<redacted>")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self(value.to_owned()))
    }
}

/// The refresh worker: whether it runs, and each source's address, key and
/// schedule (cron with 6 fields: sec min hour day-of-month month day-of-week,
/// UTC). Defaults are daily and staggered.
#[derive(Debug, Clone, clap::Args, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct RefreshSettings {
    /// Run the refresh worker (schedules and the start-up catch-up).
    /// TriggerRefresh works either way.
    #[serde(rename = "refresh")]
    #[arg(long = "refresh", env = "TRADEPACT_REFRESH", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub enabled: bool,

    /// Time limit for one run of one source, in seconds.
    #[arg(
        long,
        env = "TRADEPACT_REFRESH_TIMEOUT_SECS",
        default_value_t = 1800,
        global = true
    )]
    pub refresh_timeout_secs: u64,

    /// Economies whose trade with every partner is fetched, comma-separated:
    /// IMF (both sides: their own figures and every partner's mirror) and
    /// Comtrade. `all` (alone) means every economy: IMF then asks with
    /// wildcards; Comtrade, asked one reporter at a time, is skipped; Korea
    /// Customs always reports Korea's trade whatever this says.
    #[arg(
        long,
        env = "TRADEPACT_REPORTERS",
        default_value = "KOR",
        value_delimiter = ',',
        global = true
    )]
    pub reporters: Vec<String>,

    /// Partners whose trade with the reporters is fetched in detail (Comtrade
    /// products, Korea Customs monthly figures), comma-separated.
    #[arg(
        long,
        env = "TRADEPACT_PARTNERS",
        default_value = "KHM",
        value_delimiter = ',',
        global = true
    )]
    pub partners: Vec<String>,

    /// How many complete years back to fetch trade figures for.
    #[arg(
        long,
        env = "TRADEPACT_REFRESH_YEARS",
        default_value_t = 5,
        global = true
    )]
    pub years: u16,

    /// World Bank indicators to fetch, comma-separated.
    #[arg(
        long,
        env = "TRADEPACT_WORLDBANK_INDICATORS",
        default_value = "NY.GDP.MKTP.KD.ZG,NY.GDP.MKTP.CD,SP.POP.TOTL",
        value_delimiter = ',',
        global = true
    )]
    pub worldbank_indicators: Vec<String>,

    /// World Bank Indicators API base URL.
    #[arg(
        long,
        env = "TRADEPACT_WORLDBANK_URL",
        default_value = "https://api.worldbank.org/v2",
        global = true
    )]
    pub worldbank_url: String,
    /// World Bank schedule (cron, 6 fields, UTC).
    #[arg(
        long,
        env = "TRADEPACT_WORLDBANK_SCHEDULE",
        default_value = "0 10 2 * * *",
        global = true
    )]
    pub worldbank_schedule: String,

    /// UN Comtrade API base URL.
    #[arg(
        long,
        env = "TRADEPACT_COMTRADE_URL",
        default_value = "https://comtradeapi.un.org",
        global = true
    )]
    pub comtrade_url: String,
    /// UN Comtrade subscription key; without one the keyless preview is used.
    #[arg(
        long,
        env = "TRADEPACT_COMTRADE_KEY",
        hide_env_values = true,
        global = true
    )]
    pub comtrade_key: Option<Secret>,
    /// UN Comtrade schedule (cron, 6 fields, UTC).
    #[arg(
        long,
        env = "TRADEPACT_COMTRADE_SCHEDULE",
        default_value = "0 40 2 * * *",
        global = true
    )]
    pub comtrade_schedule: String,
    /// Also fetch the HS6 product lines of every partner (about a million for
    /// one reporter over five years), streamed and staged as they arrive.
    /// Needs --comtrade-key: the keyless preview stops at 500 records. These
    /// answers are never held whole, so --http-max-body-mib does not apply to
    /// them; they may be up to 2 KiB a record (~195 MiB at the 100,000 cap).
    #[arg(long, env = "TRADEPACT_COMTRADE_HS6", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub comtrade_hs6: bool,
    /// In HS6 mode, partners asked for per request. 17 keeps every answer
    /// under Comtrade's 100,000-record cap even if each partner trades in all
    /// ~5,600 HS6 subheadings; an answer at the cap fails the run.
    #[arg(
        long,
        env = "TRADEPACT_COMTRADE_PARTNERS_PER_REQUEST",
        default_value_t = 17,
        global = true
    )]
    pub comtrade_partners_per_request: usize,

    /// IMF SDMX 3.0 API base URL.
    #[arg(
        long,
        env = "TRADEPACT_IMF_URL",
        default_value = "https://api.imf.org/external/sdmx/3.0",
        global = true
    )]
    pub imf_url: String,
    /// IMF schedule (cron, 6 fields, UTC).
    #[arg(
        long,
        env = "TRADEPACT_IMF_SCHEDULE",
        default_value = "0 10 3 * * *",
        global = true
    )]
    pub imf_schedule: String,

    /// Korea Customs Service (data.go.kr) API base URL.
    #[arg(
        long,
        env = "TRADEPACT_CUSTOMS_URL",
        default_value = "https://apis.data.go.kr/1220000",
        global = true
    )]
    pub customs_url: String,
    /// Korea Customs (data.go.kr) service key; the source is skipped without one.
    #[arg(
        long,
        env = "TRADEPACT_CUSTOMS_KEY",
        hide_env_values = true,
        global = true
    )]
    pub customs_key: Option<Secret>,
    /// Korea Customs schedule (cron, 6 fields, UTC).
    #[arg(
        long,
        env = "TRADEPACT_CUSTOMS_SCHEDULE",
        default_value = "0 40 3 * * *",
        global = true
    )]
    pub customs_schedule: String,

    /// WTO RTA-IS export URL (an .xlsx).
    #[arg(
        long,
        env = "TRADEPACT_WTO_URL",
        default_value = "https://rtais.wto.org/UI/ExportAllRTAList.aspx",
        global = true
    )]
    pub wto_url: String,
    /// WTO schedule (cron, 6 fields, UTC).
    #[arg(
        long,
        env = "TRADEPACT_WTO_SCHEDULE",
        default_value = "0 10 4 * * *",
        global = true
    )]
    pub wto_schedule: String,

    /// Data older than this many hours count as stale and refresh at start-up.
    #[arg(
        long,
        env = "TRADEPACT_MAX_AGE_HOURS",
        default_value_t = 48,
        global = true
    )]
    pub max_age_hours: u64,

    /// Minimum milliseconds between two requests to one source.
    #[arg(
        long,
        env = "TRADEPACT_REQUEST_INTERVAL_MS",
        default_value_t = 1000,
        global = true
    )]
    pub request_interval_ms: u64,

    /// Seconds one HTTP attempt may take, body included.
    #[arg(
        long,
        env = "TRADEPACT_HTTP_TIMEOUT_SECS",
        default_value_t = 120,
        global = true
    )]
    pub http_timeout_secs: u64,

    /// Attempts per request (retried on 408, 429, 5xx and connection errors).
    #[arg(
        long,
        env = "TRADEPACT_HTTP_ATTEMPTS",
        default_value_t = 4,
        global = true
    )]
    pub http_attempts: u32,

    /// First retry delay in milliseconds; it doubles each attempt, with jitter.
    #[arg(
        long,
        env = "TRADEPACT_HTTP_BACKOFF_MS",
        default_value_t = 500,
        global = true
    )]
    pub http_backoff_ms: u64,

    /// Largest response body accepted, in MiB (after decompression).
    #[arg(
        long,
        env = "TRADEPACT_HTTP_MAX_BODY_MIB",
        default_value_t = 256,
        global = true
    )]
    pub http_max_body_mib: usize,
}

impl Settings {
    /// Settings for a server on `127.0.0.1:0` with the database at `db`.
    pub fn for_tests(db: PathBuf) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            db,
            ready_file: None,
            log: "warn".into(),
            log_format: LogFormat::Text,
            shutdown_grace_secs: 5,
            admin_token: None,
            page_token_key: None,
            refresh: RefreshSettings::for_tests(),
            config: None,
            metrics_listen: "off".into(),
            worker_threads: None,
            tls_cert: None,
            tls_key: None,
            tls_client_ca: None,
            max_request_bytes: 1024 * 1024,
            call_timeout_ms: 30_000,
            max_concurrent_calls: 1024,
            answer_cache_mib: 64,
            compress_answers: AnswerCompression::Off,
            max_streams_per_connection: 256,
            keepalive_secs: 60,
            max_connection_age_secs: 0,
            grpc_web: false,
            role: Role::All,
            replica: None,
            litestream: PathBuf::from("litestream"),
            follow_interval_ms: 1000,
            heartbeat_secs: 5,
        }
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

impl RefreshSettings {
    /// The worker off and every source pointed at a closed local port, so a
    /// test that forgets to point a source at its own server fails fast
    /// instead of reaching the internet.
    pub fn for_tests() -> Self {
        let nowhere = "http://127.0.0.1:9".to_owned();
        Self {
            enabled: false,
            refresh_timeout_secs: 30,
            reporters: vec!["KOR".into()],
            partners: vec!["KHM".into()],
            years: 5,
            worldbank_indicators: vec!["NY.GDP.MKTP.KD.ZG".into()],
            worldbank_url: nowhere.clone(),
            worldbank_schedule: "0 10 2 * * *".into(),
            comtrade_url: nowhere.clone(),
            comtrade_key: None,
            comtrade_schedule: "0 40 2 * * *".into(),
            comtrade_hs6: false,
            comtrade_partners_per_request: 17,
            imf_url: nowhere.clone(),
            imf_schedule: "0 10 3 * * *".into(),
            customs_url: nowhere.clone(),
            customs_key: None,
            customs_schedule: "0 40 3 * * *".into(),
            wto_url: nowhere,
            wto_schedule: "0 10 4 * * *".into(),
            max_age_hours: 48,
            request_interval_ms: 0,
            http_timeout_secs: 5,
            http_attempts: 3,
            http_backoff_ms: 10,
            http_max_body_mib: 16,
        }
    }
}

impl RefreshSettings {
    /// The HTTP client's limits.
    pub fn http(&self) -> crate::refresh::http::HttpSettings {
        let timeout = std::time::Duration::from_secs(self.http_timeout_secs);
        crate::refresh::http::HttpSettings {
            connect_timeout: timeout.min(std::time::Duration::from_secs(10)),
            read_timeout: timeout,
            total_timeout: timeout,
            max_attempts: self.http_attempts.max(1),
            base_backoff: std::time::Duration::from_millis(self.http_backoff_ms),
            max_body_bytes: self.http_max_body_mib.saturating_mul(1024 * 1024),
            ..crate::refresh::http::HttpSettings::default()
        }
    }
}

/// Most partners one Comtrade request may name: their codes (up to 4
/// characters each with the comma) must keep the URL under Comtrade's 4,096.
pub const MAX_PARTNERS_PER_REQUEST: usize = 500;

/// What `--reporters` stands for, once checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReporterSet<'a> {
    /// `all`: every economy.
    All,
    /// Economies as written (codes, names or aliases the registry resolves).
    Listed(&'a [String]),
}

/// The `--reporters` value that stands for every economy.
pub const ALL_REPORTERS: &str = "all";

impl RefreshSettings {
    /// `--reporters` read: `all` alone, or a list of economies. `all` next
    /// to codes is an error rather than a guess at which one was meant.
    pub fn reporter_set(&self) -> Result<ReporterSet<'_>, ConfigError> {
        let is_all = |raw: &String| raw.trim().eq_ignore_ascii_case(ALL_REPORTERS);
        match self.reporters.as_slice() {
            [only] if is_all(only) => Ok(ReporterSet::All),
            list if list.iter().any(is_all) => Err(ConfigError(format!(
                "--reporters: '{ALL_REPORTERS}' stands for every economy and cannot be combined with economy codes"
            ))),
            list => Ok(ReporterSet::Listed(list)),
        }
    }
}

/// A configuration problem found at start-up; the process exits 2 with it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Cli {
    /// Parses flags and environment, then takes from the config file
    /// (`--config` / `TRADEPACT_CONFIG`) whatever neither of them set:
    /// precedence is flags, then environment, then file, then defaults.
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_from(std::env::args_os().collect())
    }

    /// The flag parser. In unit tests it reads no environment variables, so
    /// the caller's `TRADEPACT_*` settings cannot change what a test parses.
    fn parser() -> clap::Command {
        let command = Self::command();
        #[cfg(test)]
        let command = command.mut_args(|arg| arg.env(None::<&str>));
        command
    }

    pub fn load_from(args: Vec<std::ffi::OsString>) -> Result<Self, ConfigError> {
        let matches = Self::parser()
            .try_get_matches_from(&args)
            .unwrap_or_else(|e| e.exit());
        let cli = Self::from_arg_matches(&matches).map_err(|e| ConfigError(e.to_string()))?;
        let Some(path) = cli.settings.config.clone() else {
            return Ok(cli);
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ConfigError(format!("cannot read config file {}: {e}", path.display())))?;
        let table: toml::Table = text.parse().map_err(|e| {
            ConfigError(format!(
                "config file {} is not valid TOML: {e}",
                path.display()
            ))
        })?;
        let mut extra = Vec::new();
        for (key, value) in table {
            let flag = key.replace('_', "-");
            let argument = Self::parser()
                .get_arguments()
                .find(|a| a.get_long() == Some(flag.as_str()))
                .map(|a| a.get_id().to_string())
                .filter(|_| flag != "config")
                .ok_or_else(|| {
                    ConfigError(format!(
                        "config file {}: unknown key '{key}'",
                        path.display()
                    ))
                })?;
            let unset = matches!(
                matches.value_source(&argument),
                None | Some(ValueSource::DefaultValue)
            );
            if unset {
                extra.push(format!("--{flag}={}", toml_value_text(&value)));
            }
        }
        if extra.is_empty() {
            return Ok(cli);
        }
        let mut args = args;
        args.extend(extra.into_iter().map(Into::into));
        let matches = Self::parser().try_get_matches_from(&args).map_err(|e| {
            ConfigError(format!(
                "config file {}: {}",
                path.display(),
                e.render().to_string().trim()
            ))
        })?;
        Self::from_arg_matches(&matches).map_err(|e| ConfigError(e.to_string()))
    }
}

/// A TOML value as a flag value: lists become comma-separated.
fn toml_value_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(items) => items
            .iter()
            .map(toml_value_text)
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

impl Settings {
    /// Checks what clap cannot: addresses that are not plain socket
    /// addresses, the database directory, TLS files.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.metrics_addr()?;
        let dir = match self.db.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let metadata = std::fs::metadata(&dir).map_err(|e| {
            ConfigError(format!(
                "--db: directory {} is not usable: {e}",
                dir.display()
            ))
        })?;
        if !metadata.is_dir() {
            return Err(ConfigError(format!(
                "--db: {} is not a directory",
                dir.display()
            )));
        }
        for (flag, path) in [
            ("--tls-cert", &self.tls_cert),
            ("--tls-key", &self.tls_key),
            ("--tls-client-ca", &self.tls_client_ca),
        ] {
            if let Some(path) = path {
                std::fs::metadata(path).map_err(|e| {
                    ConfigError(format!("{flag}: cannot read {}: {e}", path.display()))
                })?;
            }
        }
        if self.max_concurrent_calls == 0 {
            return Err(ConfigError(
                "--max-concurrent-calls must be at least 1".into(),
            ));
        }
        if self.call_timeout_ms == 0 {
            return Err(ConfigError("--call-timeout-ms must be at least 1".into()));
        }
        let refresh = &self.refresh;
        refresh.reporter_set()?;
        if !(1..=MAX_PARTNERS_PER_REQUEST).contains(&refresh.comtrade_partners_per_request) {
            return Err(ConfigError(format!(
                "--comtrade-partners-per-request must be between 1 and {MAX_PARTNERS_PER_REQUEST}"
            )));
        }
        self.validate_replication()?;
        let has_key = refresh
            .comtrade_key
            .as_ref()
            .is_some_and(|key| !key.expose().is_empty());
        if refresh.comtrade_hs6 && !has_key {
            return Err(ConfigError(
                "--comtrade-hs6 needs --comtrade-key: the keyless preview stops at 500 records an answer"
                    .into(),
            ));
        }
        Ok(())
    }

    /// `--replica` goes with `--role writer|reader` and only with them, and
    /// is a URL with a scheme and no credentials in it.
    fn validate_replication(&self) -> Result<(), ConfigError> {
        let replica = self
            .replica
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        match (self.role, replica) {
            (Role::All, None) => return Ok(()),
            (Role::All, Some(_)) => {
                return Err(ConfigError(
                    "--replica needs --role writer or --role reader; the default role (all) does not replicate".into(),
                ));
            }
            (role, None) => {
                return Err(ConfigError(format!(
                    "--role {} needs --replica URL (s3://bucket/path, file:///dir, ...)",
                    role.as_str()
                )));
            }
            (_, Some(url)) => check_replica_url(url)?,
        }
        if !(1..=60_000).contains(&self.follow_interval_ms) {
            return Err(ConfigError(
                "--follow-interval-ms must be between 1 and 60000".into(),
            ));
        }
        if !(1..=3600).contains(&self.heartbeat_secs) {
            return Err(ConfigError(
                "--heartbeat-secs must be between 1 and 3600".into(),
            ));
        }
        Ok(())
    }

    /// The metrics address, or `None` when metrics are off.
    pub fn metrics_addr(&self) -> Result<Option<SocketAddr>, ConfigError> {
        match self.metrics_listen.trim() {
            "" | "off" => Ok(None),
            text => text.parse().map(Some).map_err(|_| {
                ConfigError(format!(
                    "--metrics-listen: '{text}' is not an address like 0.0.0.0:9464, or 'off'"
                ))
            }),
        }
    }

    /// Every setting that is not secret, by name ("listen", "refresh.enabled"),
    /// as text; secrets and unset values are left out.
    pub fn public_settings(&self) -> std::collections::BTreeMap<String, String> {
        let mut settings = std::collections::BTreeMap::new();
        if let Ok(value) = serde_json::to_value(self) {
            flatten("", &value, &mut settings);
        }
        settings
    }

    /// The effective configuration as TOML, secrets redacted.
    pub fn to_toml(&self) -> String {
        toml::to_string(self)
            .unwrap_or_else(|e| format!("# cannot render the configuration: {e}\n"))
    }
}

/// `value`'s leaves under dotted names, secrets (serialised as
/// `<redacted>`) and nulls left out.
fn flatten(
    prefix: &str,
    value: &serde_json::Value,
    into: &mut std::collections::BTreeMap<String, String>,
) {
    use serde_json::Value;
    let name = |key: &str| {
        if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                flatten(&name(key), field, into);
            }
        }
        Value::Null => {}
        Value::String(text) if text == "<redacted>" => {}
        Value::String(text) => {
            into.insert(prefix.to_owned(), text.clone());
        }
        Value::Array(items) => {
            let texts: Vec<String> = items
                .iter()
                .map(|item| match item {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect();
            into.insert(prefix.to_owned(), texts.join(","));
        }
        other => {
            into.insert(prefix.to_owned(), other.to_string());
        }
    }
}

#[cfg(test)]
mod tests;

/// A Litestream replica URL: `scheme://rest`, no user or password in it
/// (they would show in ServerInfo, logs and process listings).
fn check_replica_url(url: &str) -> Result<(), ConfigError> {
    let invalid = |why: &str| ConfigError(format!("--replica: {why}"));
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| invalid("expected a URL such as s3://bucket/path or file:///dir"))?;
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid("the URL has no scheme"));
    }
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(invalid(
            "put credentials in LITESTREAM_ACCESS_KEY_ID / LITESTREAM_SECRET_ACCESS_KEY, not in the URL",
        ));
    }
    if scheme == "file" && !rest.starts_with('/') {
        return Err(invalid(
            "a file replica needs an absolute path: file:///dir",
        ));
    }
    Ok(())
}
