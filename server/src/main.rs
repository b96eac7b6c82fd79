//! `kortvaeg`: the Kortvæg workshop server.
//!
//! The data path, one module each:
//! - [`http`]: routes, token checks, JSON (`http/ws.rs` upgrades WebSockets);
//! - [`connection`]: one socket — y-websocket frames in, permissions, frames out;
//! - [`rooms`] → [`room`]: the registry (load once, unload when idle) and one live room with its
//!   wall and control documents, awareness and broadcast;
//! - [`writer`]: the store writer (group commit; broadcast only after the store has it), with
//!   [`spool`], the node's on-disk outage spool for updates Redis did not take;
//! - [`store`]: the durable store trait and its embedded (redb) and Redis implementations;
//! - [`cluster`]: with Redis, several nodes share rooms (stream reader, awareness pub/sub).
//!
//! Besides: [`config`] (flags), [`memory`] (returning freed memory after unloads), [`metrics`]
//! (Prometheus, `/metrics`), [`tokens`] (ids, tokens, constant-time checks),
//! [`permissions`] (who may write what), [`app`] (start-up and graceful shutdown).

mod app;
mod cluster;
mod config;
mod connection;
mod http;
mod memory;
mod metrics;
mod permissions;
mod room;
mod rooms;
mod spool;
mod store;
mod tokens;
mod writer;

use clap::Parser;

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
