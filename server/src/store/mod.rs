//! The durable store of rooms, documents and snapshots, behind one trait with two
//! implementations:
//!
//! - [`embedded::EmbeddedStore`]: a redb file under `--data-dir`; the default.
//! - [`redis::RedisStore`]: Redis at `--redis-url`; key layout in `docs/STORE.md`.
//!
//! A document is stored as a compacted **state** (one Yjs v1 update that merges everything up to
//! the last compaction) plus a **log** of the Yjs v1 updates appended since. Loading applies the
//! state, then the log, in order. Writes arrive in batches from the room writer
//! ([`crate::room::writer`]), which is the only task that appends or compacts, so a batch is applied in
//! order and atomically (one redb transaction, one Redis `MULTI`): a failed batch leaves nothing
//! half-written.
//!
//! **Deleted rooms stay deleted.** Every write that could make a key of a room (an append, a
//! compaction, a seat, a snapshot, an update set aside, a change time) is applied only while the
//! room's record exists, checked in the same transaction (redb) or script (Redis). So once
//! [`Store::delete_room`] has removed the record, nothing still queued — in this node's writer,
//! its outage spool, or another node — can bring any of the room back.

#[cfg(test)]
mod conformance;
pub mod embedded;
pub mod redis;
mod wal;

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use kortvaeg_shared::anonymity::Anonymity;
pub use kortvaeg_shared::api::SnapshotInfo;
use kortvaeg_shared::voting::{Change, Count, Refused, Round, Spent};

/// Which of a room's Yjs documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    /// The plenum wall: cards added by anyone in any cell (`/ws/{room}`).
    Wall,
    /// Meta, rows and columns (`/ws/{room}/control`).
    Control,
    /// One fagområde's cards and answers (`/ws/{room}/group/{column}`, v2).
    Group(GroupId),
}

impl DocKind {
    /// The kind's class, as in metrics and logs: `wall`, `control`, `group`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Wall => "wall",
            DocKind::Control => "control",
            DocKind::Group(_) => "group",
        }
    }

    /// The document's name in store keys, streams and channels: `wall`, `control`,
    /// `group:{column}`.
    pub fn key(self) -> std::borrow::Cow<'static, str> {
        match self {
            DocKind::Group(id) => format!("group:{}", id.as_str()).into(),
            other => other.as_str().into(),
        }
    }

    /// The kind named by [`Self::key`].
    pub fn from_key(key: &str) -> Option<DocKind> {
        match key {
            "wall" => Some(DocKind::Wall),
            "control" => Some(DocKind::Control),
            _ => key
                .strip_prefix("group:")
                .and_then(GroupId::new)
                .map(DocKind::Group),
        }
    }

    /// What an update of this document may hold (the schema gate).
    pub fn schema(self) -> &'static kortvaeg_shared::schema::DocSchema {
        match self {
            DocKind::Wall => &kortvaeg_shared::schema::WALL,
            DocKind::Control => &kortvaeg_shared::schema::CONTROL,
            DocKind::Group(_) => &kortvaeg_shared::schema::GROUP,
        }
    }
}

/// A column id naming a group document: 1 to [`GroupId::MAX`] bytes of `[A-Za-z0-9_-]` (what
/// templates and the web client make), kept inline so a [`DocKind`] stays `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupId {
    len: u8,
    bytes: [u8; GroupId::MAX],
}

impl GroupId {
    pub const MAX: usize = 64;

    /// The id, if it is one a group document may have.
    pub fn new(id: &str) -> Option<GroupId> {
        let ok = !id.is_empty()
            && id.len() <= Self::MAX
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| {
            let mut bytes = [0; Self::MAX];
            bytes[..id.len()].copy_from_slice(id.as_bytes());
            GroupId {
                len: id.len() as u8,
                bytes,
            }
        })
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (see `new`).
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or_default()
    }
}

impl std::fmt::Debug for GroupId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// What the store keeps about a room besides its documents. Written once, when the room is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRecord {
    pub id: String,
    pub title: String,
    pub template: String,
    /// RFC 3339.
    pub created_at: String,
    /// SHA-256 of each token, hex. The tokens themselves are never stored, so a copy of the store
    /// does not let anyone into a room.
    pub facilitator_digest: String,
    pub participant_digest: String,
    pub review_digest: String,
    /// Who made it: `user:<name>` (signed in through the trusted proxy) or `key:<digest
    /// prefix>` (a creator key); absent when creation was open, and in rooms made before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<String>,
    /// Who is told who wrote what, decided when the room was made (`docs/API.md`, "Anonymity").
    #[serde(default, skip_serializing_if = "Anonymity::is_none")]
    pub anonymity: Anonymity,
}

/// A person in a room (a seat, v2): their name, their group (a column id) and the digest of their
/// personal token. Written when they join, changed when renamed or moved, removed by the
/// facilitator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatRecord {
    pub seat_id: String,
    pub name: String,
    pub group: String,
    /// SHA-256 of the seat token, hex.
    pub token_digest: String,
    /// RFC 3339.
    pub created_at: String,
}

/// A document as stored: the compacted state (if any) and the updates appended since, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredDoc {
    pub state: Option<Vec<u8>>,
    pub log: Vec<Vec<u8>>,
    /// Redis: the stream id of the last update included (in `state` or `log`), where a node
    /// continues reading the room's stream. `None` for the embedded store, which has no stream.
    pub position: Option<StreamId>,
}

/// A Redis stream entry id (`ms-seq`), ordered as Redis orders them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub fn parse(id: &str) -> Option<StreamId> {
        let (ms, seq) = id.split_once('-')?;
        Some(StreamId {
            ms: ms.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// One entry of a document's shared stream (Redis): what a node appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEntry {
    pub id: StreamId,
    /// The node that appended it.
    pub node: String,
    /// A Yjs v1 update.
    pub update: Vec<u8>,
}

/// A snapshot for plenary review: the full Yjs state (v1 update) of every document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRecord {
    pub seq: u64,
    /// RFC 3339.
    pub taken_at: String,
    /// The facilitator's name for it ("As-is", "To-be", …); `None` for one taken without (and
    /// every snapshot stored before names existed).
    pub name: Option<String>,
    pub wall: Vec<u8>,
    pub control: Vec<u8>,
    /// The group documents (v2), by column; none in a snapshot taken before v2.
    pub groups: Vec<(GroupId, Vec<u8>)>,
}

/// One write of a batch.
#[derive(Debug, Clone)]
pub enum WriteOp {
    /// Append one Yjs v1 update to a document's log.
    Append {
        room: String,
        doc: DocKind,
        update: Bytes,
    },
    /// Replace a document's state with `state` and drop the log entries it contains.
    /// `upto: None` — `state` contains every update appended before this op but the last
    /// `newer` (one writer: the embedded store; `newer` are those appended while the state's
    /// load-back check ran, off the writer's path: `room/writer.rs`), which stay. `upto: Some(id)`
    /// (Redis, several nodes) — `state` contains every stream entry up to `id`; only those are
    /// trimmed, and a state older than the stored one is ignored (`newer` is 0).
    Compact {
        room: String,
        doc: DocKind,
        state: Vec<u8>,
        upto: Option<StreamId>,
        newer: usize,
    },
}

impl WriteOp {
    /// The room the op writes to.
    pub fn room(&self) -> &str {
        match self {
            WriteOp::Append { room, .. } | WriteOp::Compact { room, .. } => room,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("embedded store: {0}")]
    Embedded(String),
    #[error("redis: {0}")]
    Redis(String),
    #[error("store data is corrupt: {0}")]
    Corrupt(String),
    #[error("room {0} already exists")]
    RoomExists(String),
    /// A write for a room the store does not have (never made, or deleted).
    #[error("no room with id {0}")]
    NoRoom(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The durable store. Implementations are cheap to share (`Arc<dyn Store>`) and never block the
/// async runtime (blocking I/O goes to `spawn_blocking`).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `"embedded"` or `"redis"`, for `/healthz` and logs.
    fn kind(&self) -> &'static str;

    /// Is the store reachable and writable right now?
    async fn ping(&self) -> StoreResult<()>;

    /// Makes everything written so far durable in the store's own files, so that they alone hold
    /// it (the embedded store: into the redb file, emptying its write-ahead log). Called at
    /// shutdown, after the last write batch; nothing to do for Redis.
    async fn checkpoint(&self) -> StoreResult<()> {
        Ok(())
    }

    /// Stores a new room with the initial state of both documents, atomically.
    /// Fails with [`StoreError::RoomExists`] if the id is taken.
    async fn create_room(
        &self,
        record: &RoomRecord,
        wall: &[u8],
        control: &[u8],
    ) -> StoreResult<()>;

    /// The records of the rooms `creator` made (see [`RoomRecord::creator`]), in no order.
    async fn rooms_created_by(&self, creator: &str) -> StoreResult<Vec<RoomRecord>>;

    /// The room's record, or `None` if no such room exists.
    async fn room(&self, id: &str) -> StoreResult<Option<RoomRecord>>;

    /// A document's state and log. An unknown room or document gives an empty [`StoredDoc`].
    async fn load_doc(&self, room: &str, doc: DocKind) -> StoreResult<StoredDoc>;

    /// Applies `ops` in order, all or nothing, with one flush (group commit).
    async fn write_batch(&self, ops: &[WriteOp]) -> StoreResult<()>;

    /// Stores a snapshot (every document, and its name if it has one, atomically) and returns
    /// its sequence number: 1 for a room's first, then +1.
    #[allow(clippy::too_many_arguments)]
    async fn add_snapshot(
        &self,
        room: &str,
        taken_at: &str,
        name: Option<&str>,
        wall: &[u8],
        control: &[u8],
        groups: &[(GroupId, Vec<u8>)],
    ) -> StoreResult<u64>;

    /// The room's snapshots, oldest first.
    async fn snapshots(&self, room: &str) -> StoreResult<Vec<SnapshotInfo>>;

    /// One snapshot, or `None`.
    async fn snapshot(&self, room: &str, seq: u64) -> StoreResult<Option<SnapshotRecord>>;

    /// Keeps a stored update that did not load (the room loaded without it) where a compaction
    /// cannot drop it, under its SHA-256, so setting the same update aside again keeps one copy.
    async fn set_aside(&self, room: &str, doc: DocKind, update: &[u8]) -> StoreResult<()>;

    /// Replaces the room's participant token digest (a new join link); the old token stops working.
    async fn set_participant_digest(&self, room: &str, digest: &str) -> StoreResult<()>;

    /// Stores a seat (new, or replacing the one with its id).
    async fn put_seat(&self, room: &str, seat: &SeatRecord) -> StoreResult<()>;

    /// The room's seats, in no order.
    async fn seats(&self, room: &str) -> StoreResult<Vec<SeatRecord>>;

    /// Removes a seat; false if there was none with that id.
    async fn remove_seat(&self, room: &str, seat_id: &str) -> StoreResult<bool>;

    /// Casts or takes back one vote of `seat` on `target` in `round` (dot voting), if
    /// [`kortvaeg_shared::voting::check`] allows it for what the seat has spent in the round:
    /// checked and counted in one atomic step, so concurrent votes of one seat (two devices, two
    /// nodes) never spend past the budget or the cap. What the seat has spent afterwards, or why
    /// not. [`StoreError::NoRoom`] for a room the store does not have.
    async fn vote(
        &self,
        room: &str,
        round: &Round,
        seat: &str,
        target: &str,
        change: Change,
    ) -> StoreResult<Result<Spent, Refused>>;

    /// Sets the room's join code (a short code typed at `/` to join; `None` removes it), the room's
    /// earlier code no longer counting. False when another room has `code`. [`StoreError::NoRoom`]
    /// for a room the store does not have.
    async fn set_join_code(&self, room: &str, code: Option<&str>) -> StoreResult<bool>;

    /// The room's join code, if it has one.
    async fn join_code(&self, room: &str) -> StoreResult<Option<String>>;

    /// The room whose join code `code` is, if any.
    async fn join_code_room(&self, code: &str) -> StoreResult<Option<String>>;

    /// Every seat's votes on each target in `round` (the round's id), those above zero, in no order.
    async fn votes(&self, room: &str, round: &str) -> StoreResult<Vec<Count>>;

    /// The updates set aside for a document, in no order (the conformance tests read them back).
    #[allow(dead_code)]
    async fn set_aside_updates(&self, room: &str, doc: DocKind) -> StoreResult<Vec<Vec<u8>>>;

    /// Deletes everything of the room: its record, every document (state, log or stream,
    /// compaction lock, updates set aside), snapshots, seats, votes and change time. True if the room
    /// existed. The record goes first (embedded: all in one transaction), so a room is either
    /// whole or gone for every reader, and no later write can re-create any of it (module doc).
    async fn delete_room(&self, id: &str) -> StoreResult<bool>;

    /// Records that the rooms changed at `at_ms` (ms since the epoch; a time before the one
    /// recorded is ignored). Rooms the store does not have are skipped.
    async fn touch_rooms(&self, rooms: &[String], at_ms: u64) -> StoreResult<()>;

    /// When the room last changed (ms since the epoch) as far as recorded: its creation, or its
    /// latest [`Store::touch_rooms`]. `None` for an unknown room.
    async fn changed_at(&self, id: &str) -> StoreResult<Option<u64>>;

    /// The rooms to delete for retention: those last changed before `before_ms`, and (Redis)
    /// those whose deletion a crash interrupted. A room with no change time (made before change
    /// times were recorded) is given `now_ms`, so it is kept the whole period from now on.
    async fn stale_rooms(&self, before_ms: u64, now_ms: u64) -> StoreResult<Vec<String>>;
}

/// Ms since the epoch, as change times are stored.
pub fn unix_ms(at: std::time::SystemTime) -> u64 {
    at.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A room record's `created_at` in ms since the epoch (its first change time); `now_ms` if it
/// does not parse.
pub(crate) fn created_ms(record: &RoomRecord, now_ms: u64) -> u64 {
    chrono::DateTime::parse_from_rfc3339(&record.created_at)
        .ok()
        .and_then(|t| u64::try_from(t.timestamp_millis()).ok())
        .unwrap_or(now_ms)
}

/// The key an update is set aside under: its SHA-256, hex.
pub fn set_aside_key(update: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(update))
}
