//! Command line and environment: one [`Settings`] value, parsed and checked
//! at start. Every flag has a `TRADEPACT_*` environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per line.
    Json,
}

/// Everything the service needs to run.
#[derive(Debug, Clone, clap::Args)]
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

    /// Bearer token that admin calls (TriggerRefresh) must present; admin
    /// calls are disabled without one.
    #[arg(
        long,
        env = "TRADEPACT_ADMIN_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub admin_token: Option<Secret>,

    #[command(flatten)]
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

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self(value.to_owned()))
    }
}

/// The refresh worker: whether it runs, and each source's address, key and
/// schedule (cron with 6 fields: sec min hour day-of-month month day-of-week,
/// UTC). Defaults are daily and staggered.
#[derive(Debug, Clone, clap::Args)]
pub struct RefreshSettings {
    /// Run the refresh worker (schedules and the start-up catch-up).
    /// TriggerRefresh works either way.
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

    /// Economies whose trade with every partner is fetched (Comtrade), comma-separated.
    #[arg(
        long,
        env = "TRADEPACT_REPORTERS",
        default_value = "KOR",
        value_delimiter = ',',
        global = true
    )]
    pub reporters: Vec<String>,

    /// Partners whose trade with the reporters is fetched in detail (products,
    /// Korea Customs monthly figures, the IMF mirror side), comma-separated.
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
            refresh: RefreshSettings::for_tests(),
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
