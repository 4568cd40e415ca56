//! The `tradepact` binary: read the configuration, start logging, then serve
//! until SIGTERM or SIGINT (or run one of the small operator commands).

use std::process::ExitCode;

use tradepact::config::{Cli, Command, Settings};
use tradepact::startup::Application;

fn main() -> ExitCode {
    let cli = match Cli::load() {
        Ok(cli) => cli,
        Err(error) => {
            eprintln!("tradepact: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match runtime(cli.settings.worker_threads) {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tradepact: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => runtime.block_on(serve(cli.settings)),
        Command::Health(args) => {
            let (healthy, line) = runtime.block_on(tradepact::health::check(&args));
            println!("{line}");
            if healthy {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::Config => match tradepact::startup::check(&cli.settings) {
            Ok(()) => {
                print!("{}", cli.settings.to_toml());
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("tradepact: invalid configuration: {error}");
                ExitCode::from(2)
            }
        },
    }
}

/// A multi-thread runtime with `threads` workers, or one per usable CPU.
fn runtime(threads: Option<usize>) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = threads.filter(|&n| n > 0) {
        builder.worker_threads(threads);
    }
    builder.enable_all().build()
}

async fn serve(settings: Settings) -> ExitCode {
    if let Err(error) = tradepact::telemetry::init(&settings) {
        eprintln!("tradepact: {error:#}");
        return ExitCode::from(2);
    }
    if let Err(error) = tradepact::startup::check(&settings) {
        tracing::error!("invalid configuration: {error}");
        return ExitCode::from(2);
    }
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
