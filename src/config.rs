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
        }
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}
