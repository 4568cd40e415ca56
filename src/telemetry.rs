//! Logging: the global `tracing` subscriber, writing to stdout as text or
//! JSON lines (`--log-format`), filtered by `--log`.
//!
//! Stdout, because the process runs under a container runtime or service
//! manager that collects it; JSON lines for log pipelines that parse fields;
//! colour only on a terminal. Metrics are `metrics.rs`'s, not this module's.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, Settings};

/// Installs the global subscriber. Fails on a malformed filter; a second call
/// (as in tests) leaves the first subscriber in place.
pub fn init(settings: &Settings) -> anyhow::Result<()> {
    // The scheduler logs every job it creates at info; quiet it unless asked.
    let directives = if settings.log.contains("tokio_cron_scheduler") {
        settings.log.clone()
    } else {
        format!("{},tokio_cron_scheduler=warn", settings.log)
    };
    let filter = EnvFilter::try_new(&directives)
        .map_err(|e| anyhow::anyhow!("--log '{}' is not a valid filter: {e}", settings.log))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal())
        .with_writer(std::io::stdout);
    let _already_set = match settings.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    Ok(())
}
