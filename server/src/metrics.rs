//! Prometheus metrics at `GET /metrics`, through the `metrics` facade and its Prometheus exporter
//! (no listener of its own: the text is rendered into the server's own route).
//!
//! Counted where they happen (one line each, through the functions below, so every name is in
//! this file): WebSocket connections opened and closed (by close code), client updates stored,
//! store batches (ops, seconds, failures), rooms loaded, unloaded and deleted. Read at scrape time: rooms
//! loaded, open connections, updates waiting in the outage buffer, whether the store answers.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::Counter;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::store::DocKind;

/// Installs the process-wide recorder. `None` if one is installed already (a second server in
/// one process, as in unit tests): metrics then go to the first. Call it before the first room
/// loads: counter handles cached on the update path are taken from the recorder installed then.
pub fn install() -> Option<PrometheusHandle> {
    PrometheusBuilder::new()
        .set_buckets(&[
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
        ])
        .ok()?
        .install_recorder()
        .ok()
}

pub fn connection_opened(doc: DocKind, role: &'static str) {
    metrics::counter!("kortvaeg_ws_connections_total", "doc" => doc.as_str(), "role" => role)
        .increment(1);
}

pub fn connection_closed(code: u16) {
    metrics::counter!("kortvaeg_ws_closes_total", "code" => code.to_string()).increment(1);
}

/// A change handed to the store writer: from a client, or the server's own (an import). On the
/// per-update path: the four counters are looked up once, then it is one atomic add.
pub fn update_accepted(doc: DocKind, from_client: bool) {
    static COUNTERS: OnceLock<[[Counter; 2]; 3]> = OnceLock::new();
    let counters = COUNTERS.get_or_init(|| {
        ["wall", "control", "group"].map(|doc| {
            ["client", "server"].map(|source| metrics::counter!("kortvaeg_updates_total", "doc" => doc, "source" => source))
        })
    });
    let doc = match doc {
        DocKind::Wall => 0,
        DocKind::Control => 1,
        DocKind::Group(_) => 2,
    };
    counters[doc][usize::from(!from_client)].increment(1);
}

/// A client update refused before it touched the document: `reason` is `schema` (the gate) or
/// `size` (`--max-doc-bytes`).
pub fn update_refused(doc: DocKind, reason: &'static str) {
    metrics::counter!("kortvaeg_updates_refused_total", "doc" => doc.as_str(), "reason" => reason)
        .increment(1);
}

/// A stored update that did not load and was set aside (the room loaded without it).
pub fn update_set_aside(doc: DocKind) {
    metrics::counter!("kortvaeg_updates_set_aside_total", "doc" => doc.as_str()).increment(1);
}

/// A compaction not stored because its state would not load back into a fresh document.
pub fn compaction_skipped(doc: DocKind) {
    metrics::counter!("kortvaeg_compactions_skipped_total", "doc" => doc.as_str()).increment(1);
}

/// One stage of a compaction of a `bytes`-long state of `room`: `encode` (under the document's lock) or
/// `check` (loading it back, on the blocking pool).
pub fn compaction_stage(
    room: &str,
    doc: DocKind,
    stage: &'static str,
    bytes: usize,
    took: Duration,
) {
    metrics::histogram!("kortvaeg_compaction_seconds", "doc" => doc.as_str(), "stage" => stage)
        .record(took.as_secs_f64());
    tracing::debug!(
        room,
        doc = doc.as_str(),
        stage,
        bytes,
        ms = took.as_secs_f64() * 1e3,
        "compaction"
    );
}

/// A room dropped without a flush, by why: `poisoned` (a panic under a document lock), `apply`
/// (an update that passed the gate did not apply), `store` (a write failed).
pub fn room_evicted(reason: &'static str) {
    metrics::counter!("kortvaeg_rooms_evicted_total", "reason" => reason).increment(1);
}

/// A room deleted, by who: `facilitator` or `retention` (counted by the node that deleted it).
pub fn room_deleted(by: crate::room::DeletedBy) {
    metrics::counter!("kortvaeg_rooms_deleted_total", "reason" => by.as_str()).increment(1);
}

pub fn store_batch(ops: usize, took: Duration, ok: bool) {
    metrics::counter!("kortvaeg_store_batches_total", "result" => if ok { "ok" } else { "error" })
        .increment(1);
    metrics::counter!("kortvaeg_store_ops_total").increment(ops as u64);
    metrics::histogram!("kortvaeg_store_write_seconds").record(took.as_secs_f64());
}

/// A durable commit of the embedded store that emptied its write-ahead log of `log_bytes`
/// (a checkpoint): the store writer waits for it, so it is what its slowest batches take.
pub fn store_checkpoint(log_bytes: u64, took: Duration) {
    metrics::histogram!("kortvaeg_store_checkpoint_seconds").record(took.as_secs_f64());
    tracing::debug!(log_bytes, ms = took.as_secs_f64() * 1e3, "checkpoint");
}

pub fn room_loaded() {
    metrics::counter!("kortvaeg_rooms_loaded_total").increment(1);
}

pub fn room_unloaded() {
    metrics::counter!("kortvaeg_rooms_unloaded_total").increment(1);
}

/// The gauges, set just before each scrape.
pub fn gauges(rooms_loaded: usize, connections: usize, buffered_updates: usize, store_up: bool) {
    metrics::gauge!("kortvaeg_rooms_loaded").set(rooms_loaded as f64);
    metrics::gauge!("kortvaeg_ws_connections").set(connections as f64);
    metrics::gauge!("kortvaeg_buffered_updates").set(buffered_updates as f64);
    metrics::gauge!("kortvaeg_store_up").set(if store_up { 1.0 } else { 0.0 });
}

/// A room creation (or listing) refused for want of a creator key or signed-in user.
pub fn creation_refused() {
    metrics::counter!("kortvaeg_rooms_refused_total", "reason" => "creator").increment(1);
}

/// A vote cast or taken back (`result`: `cast`, `taken_back`, `refused`).
pub fn vote(change: kortvaeg_shared::voting::Change, done: bool) {
    let result = match (change, done) {
        (_, false) => "refused",
        (kortvaeg_shared::voting::Change::Cast, true) => "cast",
        (kortvaeg_shared::voting::Change::TakeBack, true) => "taken_back",
    };
    metrics::counter!("kortvaeg_votes_total", "result" => result).increment(1);
}

/// A limit crossed (`docs/API.md`, "Limits"): `updates`, `awareness`, `connections_per_room`,
/// `connections_per_address`, `rooms_loaded`, `rooms_per_creator`, `seats_per_room`, `body`.
pub fn limit_hit(limit: &'static str) {
    metrics::counter!("kortvaeg_limit_hits_total", "limit" => limit).increment(1);
}
