//! `kortvaeg`: the Kortvæg workshop server. This file parses the flags and runs the server; the
//! crate map is in `lib.rs`.

use clap::Parser;
use kortvaeg_server::{app, config};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = config::Config::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "kortvaeg=info,warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    match config.log_format {
        config::LogFormat::Text => logs.init(),
        config::LogFormat::Json => logs.json().init(),
    }
    match app::run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "kortvaeg stopped");
            std::process::ExitCode::FAILURE
        }
    }
}
