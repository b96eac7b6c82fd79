//! `kortvaeg`: the Kortvæg workshop server, as a library the binary (`main.rs`) runs and the unit
//! tests drive.
//!
//! The data path, socket → room → document → store:
//! - [`http`]: routes, token checks, JSON (`http/ws.rs` upgrades WebSockets);
//! - [`connection`]: one socket, the edge of the room core: y-websocket frames in, frames out,
//!   and the one conversion of the core's errors to close codes;
//! - [`room`]: the room core, free of any transport: [`room::registry`] (load once, unload when
//!   idle), the room and its documents ([`room::doc`], [`room::awareness`]), [`room::writer`]
//!   (group commit; broadcast only after the store has it), [`room::permissions`]; with
//!   [`spool`], the node's on-disk outage spool for updates Redis did not take;
//! - [`store`]: the durable store trait and its embedded (redb) and Redis implementations;
//! - [`cluster`]: with Redis, several nodes share rooms (stream reader, compaction, presence),
//!   plugged into the room core through [`room::Nodes`].
//!
//! Besides: [`config`] (flags), [`creators`] (who may create workshops), [`limits`] (rates and
//! counts per connection and address), [`memory`] (returning freed memory after unloads), [`metrics`]
//! (Prometheus, `/metrics`), [`retention`] (deleting rooms `--retain-days` after their last
//! change), [`tokens`] (ids, tokens, constant-time checks), [`app`] (start-up and graceful
//! shutdown), [`serve`] (the HTTP server loop, with a deadline for request heads).

pub mod app;
pub mod cluster;
pub mod config;
pub mod connection;
pub mod creators;
pub mod http;
pub mod limits;
pub mod memory;
pub mod metrics;
pub mod retention;
pub mod room;
pub mod serve;
pub mod spool;
pub mod store;
pub mod tokens;
