//! Test harness for the Kortvæg integration tests: the real `kortvaeg` binary, a real `redis-server`
//! and real Yjs clients (yrs over tokio-tungstenite), driven from `tests/tests/*.rs`.
//!
//! Each module holds what drives one thing; everything is re-exported here, so a test needs only
//! `use kortvaeg_tests::*;`.
//!
//! - `server.rs` — [`Server`]: starts `target/debug/kortvaeg` (or `$KORTVAEG_BIN`, see
//!   [`server_binary`]) with `--port 0` on its own data directory ([`ServerOptions`]), learns the
//!   port from its `listening on` log line, keeps its last output lines for failure messages, and
//!   kills (`kill9`), stops (`stop`, SIGTERM) or restarts it on the same data directory and store;
//!   [`Server::start_refused`] starts one that must exit at start, and returns its output.
//! - `http.rs` — the HTTP helpers of [`Server`] ([`Server::get`], [`Server::post_json`],
//!   [`Server::create_room`], [`Server::health`], [`Server::export_csv`], …), each answering a
//!   [`Response`] or a parsed body.
//! - `redis.rs` — [`Redis`]: a throw-away `redis-server` on a free port, which can be stopped and
//!   started again on the same port and directory (store-outage tests).
//! - `yclient.rs` (with `yclient/send.rs`, `yclient/read.rs`) — [`YClient`]: a y-websocket client
//!   holding a `yrs::Doc`. A background task applies the server's sync messages, answers its sync
//!   step 1, tracks the other clients' awareness states and records the close frame. Tests *await
//!   conditions* ([`YClient::wait_for`], [`YClient::wait_cards`], [`YClient::closed`],
//!   [`YClient::barrier`], …), each with a deadline and a failure message that says what was
//!   awaited and what was there instead; there are no sleeps used as synchronisation. Also
//!   [`ClientOptions`] (read buffer, message limit, a document to reconnect with),
//!   [`YClient::refused`] (how an upgrade was refused: HTTP status or close code) and offline
//!   edits ([`add_card_offline`], [`set_meta_offline`]) for the reconnect-with-sync-step-2 cases.
//! - `workbook.rs` — reading exports: [`parse_csv`], [`parse_xlsx`], [`parse_xlsx_sheet`],
//!   [`xlsx_formulas`], [`xlsx_part`]; [`recalc`]: LibreOffice recalculating an exported XLSX, and
//!   edits of its cells.
//! - `fixture.rs` — what tests start from: [`Fixture`] (a server with one room, and connections
//!   per [`Role`]), [`template`], [`AS_IS`], the sheet fixture ([`load_sheet_fixture`]) and the
//!   Node scripts ([`node_scripts`]).
//! - `wait.rs` — [`TIMEOUT`], and [`eventually`] for state that can only be polled (HTTP, Redis).
//!
//! [`YClient::barrier`] is the ordering tool: it sends a sync step 1 and waits for the server's
//! answer. The server handles one connection's messages in order, so once the barrier returns the
//! server has handled everything this client sent before it (applied, refused or closed on it).
//!
//! [`YClient::settle`] is the same round trip for when the server may close the connection instead
//! (`None` = still open, `Some((code, reason))` = closed).
//!
//! Environment: `KORTVAEG_BIN` picks the server binary; `RUST_LOG` is passed on (default `info`,
//! needed for the `listening on` line); when a test panics the server's last output lines are
//! printed, unless `KORTVAEG_TEST_QUIET` is set.
//!
//! Every test starts its own server (and Redis when it needs one), so tests run in parallel.

mod fixture;
mod http;
pub mod recalc;
// `self::`: the `redis` crate has the same name.
mod redis;
mod server;
mod wait;
mod workbook;
mod yclient;

pub use self::redis::*;
pub use fixture::*;
pub use http::*;
pub use server::*;
pub use wait::*;
pub use workbook::*;
pub use yclient::*;

pub use kortvaeg_shared::api::{
    Axis, Card, ErrorBody, Health, Role, RoomCreated, RoomInfo, SnapshotInfo, WallView,
};
pub use kortvaeg_shared::{analysis, projection, schema, screening, sheet, Template, Templates};
