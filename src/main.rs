//! The `tradepact` binary: parse settings, start logging, serve until SIGTERM
//! or SIGINT.

use std::process::ExitCode;

use clap::Parser;
use tradepact::config::{Cli, Command};
use tradepact::startup::Application;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(error) = tradepact::telemetry::init(&cli.settings) {
        eprintln!("tradepact: {error:#}");
        return ExitCode::from(2);
    }
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.settings).await,
    }
}

async fn serve(settings: tradepact::config::Settings) -> ExitCode {
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!("cannot start: {error:#}");
            return ExitCode::from(2);
        }
    };
    match app.run_until_stopped(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("stopped on error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on SIGTERM (containers) or SIGINT (a terminal).
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!("cannot listen for SIGTERM: {error}");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
