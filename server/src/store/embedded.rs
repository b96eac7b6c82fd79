//! The embedded store: one redb file, `{data_dir}/kortvaeg.redb`.
//!
//! Tables (`doc` is [`DocKind::key`]: `"wall"`, `"control"`, `"group:{column}"`):
//!
//! | table           | key                                  | value                           |
//! |-----------------|--------------------------------------|---------------------------------|
//! | `rooms`         | `id: &str`                           | JSON of [`RoomRecord`]          |
//! | `doc_state`     | `(room: &str, doc: &str)`            | compacted state (Yjs v1 update) |
//! | `doc_log`       | `(room: &str, doc: &str, seq: u64)`  | one Yjs v1 update               |
//! | `snapshots`     | `(room: &str, seq: u64)`             | `taken_at`, RFC 3339, UTF-8     |
//! | `snapshot_docs` | `(room: &str, seq: u64, doc: &str)`  | full state (Yjs v1 update)      |
//! | `snapshot_names`| `(room: &str, seq: u64)`             | the snapshot's name, UTF-8      |
//! | `seats`         | `(room: &str, seat_id: &str)`        | JSON of [`SeatRecord`]          |
//! | `room_changed`  | `id: &str`                           | last change, ms since the epoch |
//!
//! `doc_log` keys sort by `seq` within a document, so a range scan reads the log in order; the next
//! `seq` is one past the last key (0 for an empty log, so numbering restarts after a compaction,
//! which empties the log). A snapshot's time and its two documents live in separate tables so that
//! listing snapshots does not read their (possibly large) states. A snapshot taken without a name
//! (and every one stored before names existed) has no `snapshot_names` row.
//!
//! Every method is one redb transaction, run on the blocking pool, so it is applied all or nothing.
//! Every write but a write batch commits with redb's default durability (fsync before `commit`
//! returns). A write batch is made durable by its record in the write-ahead log,
//! `{data_dir}/kortvaeg.wal` ([`super::wal`]: one append and one `fdatasync`), and committed to the
//! redb file without an fsync (`Durability::None`); the first batch at least
//! [`CHECKPOINT_INTERVAL`] after the log's oldest record instead commits durably, which makes every
//! earlier commit durable too, and empties the log. On open, and on the reopen after a failure,
//! the log's records are applied again on top of what the file holds: each record says what its
//! batch changed (keys resolved: the log entry's `seq`, the range a compaction removed), so applying
//! it to a file that already holds it changes nothing, and a change to a room whose record is gone
//! is dropped, as the batch itself would have dropped it. [`Store::delete_room`] empties the log
//! after its commit, so no record older than a deletion is ever applied again.
//! A write for a room is applied only if the room's record is in `rooms` in the same transaction;
//! [`Store::delete_room`] removes every row of the room in one transaction. More in
//! `docs/STORE.md`.
//!
//! **Recovery.** After one I/O error (a full disk, say) redb refuses every later operation, reads
//! included ("Previous I/O error occurred. Please close and re-open the database"), even once the
//! disk has room again. So an operation that fails with a redb error marks the database failed,
//! and the next operation — a write, a read or a health ping — first closes it and opens the file
//! again (redb repairs it on open), at most once per [`REOPEN_INTERVAL`]; until a reopen succeeds
//! every operation answers an error, never a panic. The reopen takes the database's write lock,
//! so it waits for the operations in flight, and only one thread does it. The writer has evicted
//! the rooms of the failed batch (`crate::room::writer`), so they reload from what was committed.
//! [`Store::ping`] is a tiny write transaction (table `health`), so `/healthz` reports the store
//! unreachable while writes fail, not only while the file cannot be read.

use std::ops::{Bound, RangeInclusive};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};

use kortvaeg_shared::voting::{self, Change, Count, Refused, Round, Spent};

use super::wal::{self, Edit, Wal};
use super::{
    DocKind, GroupId, RoomRecord, SeatRecord, SnapshotInfo, SnapshotRecord, Store, StoreError,
    StoreResult, StoredDoc, WriteOp,
};

/// The database file inside the data directory.
pub const FILE_NAME: &str = "kortvaeg.redb";

const ROOMS: TableDefinition<&str, &[u8]> = TableDefinition::new("rooms");
const DOC_STATE: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("doc_state");
const DOC_LOG: TableDefinition<(&str, &str, u64), &[u8]> = TableDefinition::new("doc_log");
// `taken_at` is stored as bytes, not `&str`: redb's `&str` decoding panics on invalid UTF-8, and a
// damaged value must become `StoreError::Corrupt`, not a panic.
const SNAPSHOTS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("snapshots");
const SNAPSHOT_DOCS: TableDefinition<(&str, u64, &str), &[u8]> =
    TableDefinition::new("snapshot_docs");
/// (room, seq) → the snapshot's name, UTF-8 (bytes for the same reason as `taken_at`); only
/// for named snapshots.
const SNAPSHOT_NAMES: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("snapshot_names");
/// Stored updates that did not load: `(room, doc, sha256 hex)` → the update.
const SET_ASIDE: TableDefinition<(&str, &str, &str), &[u8]> = TableDefinition::new("set_aside");
/// One row, `"ping"` → ms since the epoch, rewritten by every [`Store::ping`]: a health check
/// that proves the file can be written.
const HEALTH: TableDefinition<&str, u64> = TableDefinition::new("health");
/// (room, seat id) → JSON of the [`SeatRecord`].
const SEATS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("seats");
/// Room id → when it last changed, ms since the epoch (retention).
const ROOM_CHANGED: TableDefinition<&str, u64> = TableDefinition::new("room_changed");
/// Join code → room id, and room id → its join code.
const JOIN_CODES: TableDefinition<&str, &str> = TableDefinition::new("join_codes");
const ROOM_JOIN_CODE: TableDefinition<&str, &str> = TableDefinition::new("room_join_code");
/// (room, voting round, seat id, target) → the seat's votes on the target (dot voting).
const VOTES: TableDefinition<(&str, &str, &str, &str), u32> = TableDefinition::new("votes");

/// The shortest time between two attempts to reopen a failed database: while the disk is still
/// full, each attempt (an integrity check of the whole file) fails too, and clients that
/// reconnect at once must not turn that into a loop.
const REOPEN_INTERVAL: Duration = Duration::from_secs(1);

/// How long write batches go through the write-ahead log before one commits durably and empties
/// it: the most the log replays after a crash, and how often redb writes and frees the pages of
/// the batches since (BENCHMARKS.md, issue 17).
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// A log this large is emptied at the next batch, however young its oldest record. redb keeps a
/// non-durable commit's pages in its write buffer, and the checkpoint writes and fsyncs them all
/// while the store writer waits: with compactions of large walls the log grew by 10 MB a second
/// and a checkpoint took up to 70 ms, the slowest 1 % of deliveries (BENCHMARKS.md item 28).
const CHECKPOINT_BYTES: u64 = 2 << 20;

/// The redb-backed [`Store`]. Cloning the inner `Arc` is how work reaches the blocking pool.
pub struct EmbeddedStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    /// redb's page cache, in bytes (`--store-cache-mib`), for the reopen too.
    cache_bytes: usize,
    /// The open database; `None` after a failed one was closed and until it opens again.
    /// Operations hold the read lock; a reopen holds the write lock.
    db: RwLock<Option<Database>>,
    /// An operation failed with a redb error: reopen before the next one.
    failed: AtomicBool,
    /// When a reopen was last tried (for [`REOPEN_INTERVAL`]).
    last_reopen: Mutex<Option<Instant>>,
    /// The write-ahead log. A write that uses it locks it before it begins its transaction and
    /// holds it until the commit (and the log's emptying) is done; always while holding `db`.
    wal: Mutex<Wal>,
    /// [`CHECKPOINT_INTERVAL`], but shorter in tests.
    checkpoint_interval: Duration,
}

/// The open database and its write-ahead log, as an operation sees them.
struct Db<'a> {
    db: &'a Database,
    wal: &'a Mutex<Wal>,
    checkpoint_interval: Duration,
}

impl std::ops::Deref for Db<'_> {
    type Target = Database;

    fn deref(&self) -> &Database {
        self.db
    }
}

impl Db<'_> {
    fn wal(&self) -> std::sync::MutexGuard<'_, Wal> {
        self.wal.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl EmbeddedStore {
    /// Opens `data_dir/kortvaeg.redb`, creating the directory and the file if needed.
    ///
    /// This blocks (file I/O, an integrity check of the whole file, one commit); call it at startup,
    /// before serving. The integrity check is on because redb may otherwise panic on a file damaged
    /// outside redb; the workshop database is small, so reading it once per start is cheap. All
    /// tables are created here, in one transaction, so later reads never meet a missing table.
    /// redb's page cache holds at most `cache_bytes`.
    pub fn open(data_dir: &Path, cache_bytes: usize) -> StoreResult<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Embedded(format!(
                "cannot create data dir {}: {e}",
                data_dir.display()
            ))
        })?;
        let path = data_dir.join(FILE_NAME);
        let (db, wal) = open_and_replay(&path, cache_bytes)?;
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                cache_bytes,
                db: RwLock::new(Some(db)),
                failed: AtomicBool::new(false),
                last_reopen: Mutex::new(None),
                wal: Mutex::new(wal),
                checkpoint_interval: CHECKPOINT_INTERVAL,
            }),
        })
    }

    /// Runs `f` on the blocking pool: every redb call blocks (reads may hit the disk, commits fsync).
    async fn blocking<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> StoreResult<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || inner.run(f))
            .await
            .map_err(|e| StoreError::Embedded(format!("store task failed: {e}")))?
    }
}

/// Opens (or creates) the database file and every table, in one transaction, so later reads never
/// meet a missing table.
fn open_file(path: &Path, cache_bytes: usize) -> StoreResult<Database> {
    let db = redb::Builder::new()
        .set_check_integrity_on_open(true)
        .set_cache_size(cache_bytes)
        .create(path)
        .map_err(|e| StoreError::Embedded(format!("cannot open {}: {e}", path.display())))?;
    let txn = db.begin_write().map_err(embedded)?;
    {
        txn.open_table(ROOMS).map_err(embedded)?;
        txn.open_table(DOC_STATE).map_err(embedded)?;
        txn.open_table(DOC_LOG).map_err(embedded)?;
        txn.open_table(SNAPSHOTS).map_err(embedded)?;
        txn.open_table(SNAPSHOT_DOCS).map_err(embedded)?;
        txn.open_table(SNAPSHOT_NAMES).map_err(embedded)?;
        txn.open_table(SET_ASIDE).map_err(embedded)?;
        txn.open_table(HEALTH).map_err(embedded)?;
        txn.open_table(SEATS).map_err(embedded)?;
        txn.open_table(ROOM_CHANGED).map_err(embedded)?;
        txn.open_table(VOTES).map_err(embedded)?;
        txn.open_table(JOIN_CODES).map_err(embedded)?;
        txn.open_table(ROOM_JOIN_CODE).map_err(embedded)?;
    }
    txn.commit().map_err(embedded)?;
    Ok(db)
}

/// Opens the database file and its write-ahead log, applies the log's records to the file in one
/// durable commit and empties the log.
fn open_and_replay(path: &Path, cache_bytes: usize) -> StoreResult<(Database, Wal)> {
    let db = open_file(path, cache_bytes)?;
    let wal_path = path.with_file_name(wal::FILE_NAME);
    let (mut wal, records, torn) = Wal::open(&wal_path)
        .map_err(|e| StoreError::Embedded(format!("cannot open {}: {e}", wal_path.display())))?;
    if torn > 0 {
        tracing::warn!(bytes = torn, path = %wal_path.display(), "the write-ahead log ended in a record that was not whole (a crash while it was written, before its batch was acknowledged): cut off");
    }
    if !records.is_empty() {
        let changes = replay(&db, &records)?;
        tracing::info!(
            records = records.len(),
            changes,
            "write-ahead log applied to the store"
        );
    }
    wal.clear().map_err(wal_error)?;
    Ok((db, wal))
}

/// Applies the write-ahead log's records, oldest first, in one durable commit; the changes to rooms
/// whose record is gone are dropped. Returns how many changes were applied.
fn replay(db: &Database, records: &[Vec<u8>]) -> StoreResult<usize> {
    let txn = db.begin_write().map_err(embedded)?;
    let mut applied = 0;
    {
        let rooms = txn.open_table(ROOMS).map_err(embedded)?;
        let mut states = txn.open_table(DOC_STATE).map_err(embedded)?;
        let mut logs = txn.open_table(DOC_LOG).map_err(embedded)?;
        let mut known = KnownRooms::default();
        for (i, record) in records.iter().enumerate() {
            let changes = Edit::decode_all(record)
                .map_err(|e| StoreError::Corrupt(format!("write-ahead log, record {i}: {e}")))?;
            for change in &changes {
                if known.exists(&rooms, change.room())? {
                    apply_change(&mut states, &mut logs, change)?;
                    applied += 1;
                }
            }
        }
    }
    txn.commit().map_err(embedded)?;
    Ok(applied)
}

/// Whether rooms have a record, each looked up once per transaction.
#[derive(Default)]
struct KnownRooms(std::collections::HashMap<String, bool>);

impl KnownRooms {
    fn exists(
        &mut self,
        rooms: &impl ReadableTable<&'static str, &'static [u8]>,
        room: &str,
    ) -> StoreResult<bool> {
        if let Some(&exists) = self.0.get(room) {
            return Ok(exists);
        }
        let exists = rooms.get(room).map_err(embedded)?.is_some();
        self.0.insert(room.to_string(), exists);
        Ok(exists)
    }
}

fn wal_error(e: std::io::Error) -> StoreError {
    StoreError::Embedded(format!("write-ahead log: {e}"))
}

impl Inner {
    /// Runs one operation: reopens a failed database first, and marks it failed when the
    /// operation fails with a redb error (a damaged value, [`StoreError::Corrupt`], does not).
    fn run<T>(&self, f: impl FnOnce(&Db) -> StoreResult<T>) -> StoreResult<T> {
        self.reopen_if_failed()?;
        let db = self.db.read().unwrap_or_else(PoisonError::into_inner);
        let db = db.as_ref().ok_or_else(|| {
            StoreError::Embedded("the database is closed after an I/O error".into())
        })?;
        let result = f(&Db {
            db,
            wal: &self.wal,
            checkpoint_interval: self.checkpoint_interval,
        });
        if let Err(StoreError::Embedded(e)) = &result {
            if !self.failed.swap(true, Ordering::AcqRel) {
                tracing::warn!(error = %e, "embedded store failed; it reopens the database before the next operation");
            }
        }
        result
    }

    /// When an operation failed: closes the database and opens the file again, once, under the
    /// write lock (after the operations in flight); at most once per [`REOPEN_INTERVAL`].
    fn reopen_if_failed(&self) -> StoreResult<()> {
        if !self.failed.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut db = self.db.write().unwrap_or_else(PoisonError::into_inner);
        if !self.failed.load(Ordering::Acquire) {
            // Another operation reopened it while this one waited for the lock.
            return Ok(());
        }
        {
            let mut last = self
                .last_reopen
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|t| t.elapsed() < REOPEN_INTERVAL) {
                return Err(StoreError::Embedded(
                    "the database failed and is reopened shortly".into(),
                ));
            }
            *last = Some(Instant::now());
        }
        if let Some(old) = db.take() {
            if let Err(e) = old.close() {
                tracing::debug!(error = %e, "closing the failed database");
            }
        }
        match open_and_replay(&self.path, self.cache_bytes) {
            Ok((reopened, wal)) => {
                *db = Some(reopened);
                *self.wal.lock().unwrap_or_else(PoisonError::into_inner) = wal;
                self.failed.store(false, Ordering::Release);
                tracing::info!(path = %self.path.display(), "embedded store reopened after a failure");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "reopening the embedded store failed; trying again later");
                Err(e)
            }
        }
    }
}

/// Any redb error, as the store reports it.
/// A room record as the `rooms` table holds it (JSON).
fn encode_record(record: &RoomRecord) -> StoreResult<Vec<u8>> {
    serde_json::to_vec(record)
        .map_err(|e| StoreError::Embedded(format!("cannot encode room record: {e}")))
}

/// A room record read back from the `rooms` table; what does not parse is corrupt.
fn decode_record(id: &str, json: &[u8]) -> StoreResult<RoomRecord> {
    serde_json::from_slice(json).map_err(|e| StoreError::Corrupt(format!("room record {id}: {e}")))
}

fn embedded(e: impl std::fmt::Display) -> StoreError {
    StoreError::Embedded(e.to_string())
}

/// All `doc_log` keys of one document.
fn log_keys<'a>(room: &'a str, doc: &'a str) -> RangeInclusive<(&'a str, &'a str, u64)> {
    (room, doc, 0)..=(room, doc, u64::MAX)
}

/// All `snapshots` keys of one room.
fn snapshot_keys(room: &str) -> RangeInclusive<(&str, u64)> {
    (room, 0)..=(room, u64::MAX)
}

/// The first id after `room` in key order: every key whose first element is `room` sorts before
/// `(after(room), …)`, and no other room's does (`"a"` < `"a\0"` < `"ab"`).
fn after(room: &str) -> String {
    format!("{room}\0")
}

/// Fails with [`StoreError::NoRoom`] unless the room's record is in `rooms` (inside the write's
/// own transaction, so a deleted room is never written again).
fn require_room(txn: &redb::WriteTransaction, room: &str) -> StoreResult<()> {
    let rooms = txn.open_table(ROOMS).map_err(embedded)?;
    let exists = rooms.get(room).map_err(embedded)?.is_some();
    match exists {
        true => Ok(()),
        false => Err(StoreError::NoRoom(room.to_string())),
    }
}

#[async_trait]
impl Store for EmbeddedStore {
    fn kind(&self) -> &'static str {
        "embedded"
    }

    /// A write transaction of one row and a record in the write-ahead log: the store is up when
    /// both can be written, and a failed database is reopened here at the latest.
    async fn ping(&self) -> StoreResult<()> {
        self.blocking(|db| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            // The write-ahead log must take a record too (an empty one): write batches need it.
            let mut wal = db.wal();
            wal.append(&[]).map_err(wal_error)?;
            let txn = db.begin_write().map_err(embedded)?;
            txn.open_table(HEALTH)
                .map_err(embedded)?
                .insert("ping", now)
                .map_err(embedded)?;
            txn.commit().map_err(embedded)?;
            // Durable, the commit holds every record: a ping is a checkpoint as well.
            wal.clear().map_err(wal_error)
        })
        .await
    }

    /// A durable commit of nothing: it makes the batches' commits durable, and the log is emptied.
    async fn checkpoint(&self) -> StoreResult<()> {
        self.blocking(|db| {
            let mut wal = db.wal();
            if wal.len() == 0 {
                return Ok(());
            }
            db.begin_write()
                .map_err(embedded)?
                .commit()
                .map_err(embedded)?;
            wal.clear().map_err(wal_error)
        })
        .await
    }

    async fn create_room(
        &self,
        record: &RoomRecord,
        wall: &[u8],
        control: &[u8],
    ) -> StoreResult<()> {
        let json = encode_record(record)?;
        let id = record.id.clone();
        let (wall, control) = (wall.to_vec(), control.to_vec());
        let changed = super::created_ms(record, super::unix_ms(std::time::SystemTime::now()));
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(embedded)?;
            {
                let mut rooms = txn.open_table(ROOMS).map_err(embedded)?;
                if rooms.get(id.as_str()).map_err(embedded)?.is_some() {
                    // Dropping the uncommitted transaction aborts it.
                    return Err(StoreError::RoomExists(id));
                }
                rooms
                    .insert(id.as_str(), json.as_slice())
                    .map_err(embedded)?;
                let mut states = txn.open_table(DOC_STATE).map_err(embedded)?;
                states
                    .insert((id.as_str(), DocKind::Wall.as_str()), wall.as_slice())
                    .map_err(embedded)?;
                states
                    .insert((id.as_str(), DocKind::Control.as_str()), control.as_slice())
                    .map_err(embedded)?;
                txn.open_table(ROOM_CHANGED)
                    .map_err(embedded)?
                    .insert(id.as_str(), changed)
                    .map_err(embedded)?;
            }
            txn.commit().map_err(embedded)
        })
        .await
    }

    async fn rooms_created_by(&self, creator: &str) -> StoreResult<Vec<RoomRecord>> {
        let creator = creator.to_string();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(embedded)?;
            let rooms = txn.open_table(ROOMS).map_err(embedded)?;
            let mut out = Vec::new();
            // One scan of the records: a node holds hundreds of rooms, not millions.
            for entry in rooms.iter().map_err(embedded)? {
                let (id, json) = entry.map_err(embedded)?;
                let record = decode_record(id.value(), json.value())?;
                if record.creator.as_deref() == Some(creator.as_str()) {
                    out.push(record);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn room(&self, id: &str) -> StoreResult<Option<RoomRecord>> {
        let id = id.to_string();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(embedded)?;
            let rooms = txn.open_table(ROOMS).map_err(embedded)?;
            let Some(json) = rooms.get(id.as_str()).map_err(embedded)? else {
                return Ok(None);
            };
            decode_record(&id, json.value()).map(Some)
        })
        .await
    }

    async fn load_doc(&self, room: &str, doc: DocKind) -> StoreResult<StoredDoc> {
        let room = room.to_string();
        self.blocking(move |db| {
            // One read transaction: state and log from the same commit, never a compaction's new
            // state with the log it replaced (or the reverse).
            let txn = db.begin_read().map_err(embedded)?;
            let states = txn.open_table(DOC_STATE).map_err(embedded)?;
            let state = states
                .get((room.as_str(), doc.key().as_ref()))
                .map_err(embedded)?
                .map(|s| s.value().to_vec());
            let logs = txn.open_table(DOC_LOG).map_err(embedded)?;
            let log = logs
                .range(log_keys(&room, doc.key().as_ref()))
                .map_err(embedded)?
                .map(|entry| {
                    entry
                        .map(|(_, update)| update.value().to_vec())
                        .map_err(embedded)
                })
                .collect::<StoreResult<Vec<_>>>()?;
            Ok(StoredDoc {
                state,
                log,
                position: None,
            })
        })
        .await
    }

    async fn write_batch(&self, ops: &[WriteOp]) -> StoreResult<()> {
        if ops.is_empty() {
            return Ok(());
        }
        let ops = ops.to_vec();
        self.blocking(move |db| {
            let mut wal = db.wal();
            let checkpoint = wal.len() >= CHECKPOINT_BYTES
                || wal
                    .oldest()
                    .is_some_and(|t| t.elapsed() >= db.checkpoint_interval);
            let mut txn = db.begin_write().map_err(embedded)?;
            // What the batch changed, as the log's record.
            let mut record = Vec::new();
            {
                let rooms = txn.open_table(ROOMS).map_err(embedded)?;
                let mut states = txn.open_table(DOC_STATE).map_err(embedded)?;
                let mut logs = txn.open_table(DOC_LOG).map_err(embedded)?;
                // The ops of a room the store does not have (deleted since they were queued) are
                // dropped: they must not bring it back.
                let mut known = KnownRooms::default();
                for op in &ops {
                    if known.exists(&rooms, op.room())? {
                        apply(&mut states, &mut logs, op, &mut record)?;
                    }
                }
            }
            // One commit for the whole batch (group commit), made durable by one fsync: the
            // redb file's (a checkpoint, which empties the log) or the log's.
            if checkpoint {
                let (started, log_bytes) = (std::time::Instant::now(), wal.len());
                txn.commit().map_err(embedded)?;
                crate::metrics::store_checkpoint(log_bytes, started.elapsed());
                wal.clear().map_err(wal_error)
            } else {
                if !record.is_empty() {
                    wal.append(&record).map_err(wal_error)?;
                }
                txn.set_durability(Durability::None).map_err(embedded)?;
                txn.commit().map_err(embedded)
            }
        })
        .await
    }

    async fn add_snapshot(
        &self,
        room: &str,
        taken_at: &str,
        name: Option<&str>,
        wall: &[u8],
        control: &[u8],
        groups: &[(GroupId, Vec<u8>)],
    ) -> StoreResult<u64> {
        let room = room.to_string();
        let taken_at = taken_at.to_string();
        let name = name.map(str::to_string);
        let (wall, control, groups) = (wall.to_vec(), control.to_vec(), groups.to_vec());
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(embedded)?;
            require_room(&txn, &room)?;
            let seq;
            {
                let mut snapshots = txn.open_table(SNAPSHOTS).map_err(embedded)?;
                seq = match snapshots
                    .range(snapshot_keys(&room))
                    .map_err(embedded)?
                    .next_back()
                {
                    None => 1,
                    Some(entry) => {
                        let (key, _) = entry.map_err(embedded)?;
                        key.value().1.checked_add(1).ok_or_else(|| {
                            StoreError::Corrupt(format!(
                                "snapshot numbering of {room} is exhausted"
                            ))
                        })?
                    }
                };
                snapshots
                    .insert((room.as_str(), seq), taken_at.as_bytes())
                    .map_err(embedded)?;
                if let Some(name) = &name {
                    txn.open_table(SNAPSHOT_NAMES)
                        .map_err(embedded)?
                        .insert((room.as_str(), seq), name.as_bytes())
                        .map_err(embedded)?;
                }
                let mut docs = txn.open_table(SNAPSHOT_DOCS).map_err(embedded)?;
                docs.insert(
                    (room.as_str(), seq, DocKind::Wall.as_str()),
                    wall.as_slice(),
                )
                .map_err(embedded)?;
                docs.insert(
                    (room.as_str(), seq, DocKind::Control.as_str()),
                    control.as_slice(),
                )
                .map_err(embedded)?;
                for (group, state) in &groups {
                    docs.insert(
                        (room.as_str(), seq, DocKind::Group(*group).key().as_ref()),
                        state.as_slice(),
                    )
                    .map_err(embedded)?;
                }
            }
            txn.commit().map_err(embedded)?;
            Ok(seq)
        })
        .await
    }

    async fn snapshots(&self, room: &str) -> StoreResult<Vec<SnapshotInfo>> {
        let room = room.to_string();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(embedded)?;
            let snapshots = txn.open_table(SNAPSHOTS).map_err(embedded)?;
            let names = txn.open_table(SNAPSHOT_NAMES).map_err(embedded)?;
            let range = snapshots.range(snapshot_keys(&room)).map_err(embedded)?;
            range
                .map(|entry| {
                    let (key, taken_at) = entry.map_err(embedded)?;
                    let seq = key.value().1;
                    Ok(SnapshotInfo {
                        seq,
                        taken_at: taken_at_text(&room, seq, taken_at.value())?,
                        name: snapshot_name(&names, &room, seq)?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn snapshot(&self, room: &str, seq: u64) -> StoreResult<Option<SnapshotRecord>> {
        let room = room.to_string();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(embedded)?;
            let snapshots = txn.open_table(SNAPSHOTS).map_err(embedded)?;
            let Some(taken_at) = snapshots.get((room.as_str(), seq)).map_err(embedded)? else {
                return Ok(None);
            };
            let taken_at = taken_at_text(&room, seq, taken_at.value())?;
            let name = snapshot_name(
                &txn.open_table(SNAPSHOT_NAMES).map_err(embedded)?,
                &room,
                seq,
            )?;
            let docs = txn.open_table(SNAPSHOT_DOCS).map_err(embedded)?;
            let read = |doc: DocKind| -> StoreResult<Vec<u8>> {
                let state = docs
                    .get((room.as_str(), seq, doc.key().as_ref()))
                    .map_err(embedded)?;
                state.map(|s| s.value().to_vec()).ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "snapshot {room}/{seq} has no {} document",
                        doc.key().as_ref()
                    ))
                })
            };
            // The group documents: keys `group:…`, between "group:" and "group;".
            let groups = docs
                .range((room.as_str(), seq, "group:")..(room.as_str(), seq, "group;"))
                .map_err(embedded)?
                .map(|entry| {
                    let (key, state) = entry.map_err(embedded)?;
                    match DocKind::from_key(key.value().2) {
                        Some(DocKind::Group(group)) => Ok((group, state.value().to_vec())),
                        _ => Err(StoreError::Corrupt(format!(
                            "snapshot {room}/{seq} holds a document named {:?}",
                            key.value().2
                        ))),
                    }
                })
                .collect::<StoreResult<Vec<_>>>()?;
            Ok(Some(SnapshotRecord {
                seq,
                taken_at,
                name,
                wall: read(DocKind::Wall)?,
                control: read(DocKind::Control)?,
                groups,
            }))
        })
        .await
    }

    async fn set_aside(&self, room: &str, doc: DocKind, update: &[u8]) -> StoreResult<()> {
        let (room, key, update) = (
            room.to_string(),
            super::set_aside_key(update),
            update.to_vec(),
        );
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(embedded)?;
            require_room(&txn, &room)?;
            {
                let mut table = txn.open_table(SET_ASIDE).map_err(embedded)?;
                table
                    .insert(
                        (room.as_str(), doc.key().as_ref(), key.as_str()),
                        update.as_slice(),
                    )
                    .map_err(embedded)?;
            }
            txn.commit().map_err(embedded)
        })
        .await
    }

    async fn set_participant_digest(&self, room: &str, digest: &str) -> StoreResult<()> {
        let (room, digest) = (room.to_string(), digest.to_string());
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(embedded)?;
            {
                let mut rooms = txn.open_table(ROOMS).map_err(embedded)?;
                let json = match rooms.get(room.as_str()).map_err(embedded)? {
                    Some(json) => json.value().to_vec(),
                    None => return Err(StoreError::NoRoom(room)),
                };
                let mut record = decode_record(&room, &json)?;
                record.participant_digest = digest;
                let json = encode_record(&record)?;
                rooms
                    .insert(room.as_str(), json.as_slice())
                    .map_err(embedded)?;
            }
            txn.commit().map_err(embedded)
        })
        .await
    }

    async fn put_seat(&self, room: &str, seat: &SeatRecord) -> StoreResult<()> {
        let json = serde_json::to_vec(seat)
            .map_err(|e| StoreError::Embedded(format!("cannot encode seat: {e}")))?;
        let (room, id) = (room.to_string(), seat.seat_id.clone());
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(embedded)?;
            require_room(&txn, &room)?;
            {
                let mut seats = txn.open_table(SEATS).map_err(embedded)?;
                seats
                    .insert((room.as_str(), id.as_str()), json.as_slice())
                    .map_err(embedded)?;
            }
            txn.commit().map_err(embedded)
        })
        .await
    }

    async fn seats(&self, room: &str) -> StoreResult<Vec<SeatRecord>> {
        let room = room.to_string();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(embedded)?;
            let seats = match txn.open_table(SEATS) {
                Ok(seats) => seats,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(e) => return Err(embedded(e)),
            };
            // Every seat id of the room: ids are base64url, which sorts before "~".
            seats
                .range((room.as_str(), "")..(room.as_str(), "~"))
                .map_err(embedded)?
                .map(|entry| {
                    let (_, json) = entry.map_err(embedded)?;
                    serde_json::from_slice(json.value())
                        .map_err(|e| StoreError::Corrupt(format!("a seat of room {room}: {e}")))
                })
                .collect()
        })
        .await
    }

    async fn remove_seat(&self, room: &str, seat_id: &str) -> StoreResult<bool> {
        let (room, id) = (room.to_string(), seat_id.to_string());
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(embedded)?;
            let removed = {
                let mut seats = txn.open_table(SEATS).map_err(embedded)?;
                let removed = seats
                    .remove((room.as_str(), id.as_str()))
                    .map_err(embedded)?
                    .is_some();
                removed
            };
            txn.commit().map_err(embedded)?;
            Ok(removed)
        })
        .await
    }

    async fn vote(
        &self,
        room: &str,
        round: &Round,
        seat: &str,
        target: &str,
        change: Change,
    ) -> StoreResult<Result<Spent, Refused>> {
        let (room, round, seat, target) = (
            room.to_string(),
            round.clone(),
            seat.to_string(),
            target.to_string(),
        );
        self.blocking(move |db| {
            // One write transaction: redb runs one at a time, so the check and the count
            // cannot interleave with another vote's.
            let txn = db.begin_write().map_err(embedded)?;
            require_room(&txn, &room)?;
            let spent = {
                let mut votes = txn.open_table(VOTES).map_err(embedded)?;
                let (r, s) = (room.as_str(), round.id.as_str());
                let next_seat = after(&seat);
                let mut spent = Spent::default();
                for entry in votes
                    .range((r, s, seat.as_str(), "")..(r, s, next_seat.as_str(), ""))
                    .map_err(embedded)?
                {
                    let (key, n) = entry.map_err(embedded)?;
                    spent.total += n.value();
                    if key.value().3 == target {
                        spent.on_target = n.value();
                    }
                }
                if let Err(refused) = voting::check(&round, spent, change) {
                    return Ok(Err(refused));
                }
                let key = (r, s, seat.as_str(), target.as_str());
                let (total, on_target) = match change {
                    Change::Cast => (spent.total + 1, spent.on_target + 1),
                    Change::TakeBack => (spent.total - 1, spent.on_target - 1),
                };
                if on_target == 0 {
                    votes.remove(key).map_err(embedded)?;
                } else {
                    votes.insert(key, on_target).map_err(embedded)?;
                }
                Spent { total, on_target }
            };
            txn.commit().map_err(embedded)?;
            Ok(Ok(spent))
        })
        .await
    }

    async fn set_join_code(&self, room: &str, code: Option<&str>) -> StoreResult<bool> {
        let (room, code) = (room.to_string(), code.map(str::to_string));
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(embedded)?;
            require_room(&txn, &room)?;
            {
                let mut codes = txn.open_table(JOIN_CODES).map_err(embedded)?;
                let mut mine = txn.open_table(ROOM_JOIN_CODE).map_err(embedded)?;
                if let Some(code) = &code {
                    let owner = codes
                        .get(code.as_str())
                        .map_err(embedded)?
                        .map(|r| r.value().to_string());
                    if owner.is_some_and(|owner| owner != room) {
                        return Ok(false);
                    }
                }
                let old = mine
                    .remove(room.as_str())
                    .map_err(embedded)?
                    .map(|c| c.value().to_string());
                if let Some(old) = old {
                    codes.remove(old.as_str()).map_err(embedded)?;
                }
                if let Some(code) = &code {
                    codes
                        .insert(code.as_str(), room.as_str())
                        .map_err(embedded)?;
                    mine.insert(room.as_str(), code.as_str())
                        .map_err(embedded)?;
                }
            }
            txn.commit().map_err(embedded)?;
            Ok(true)
        })
        .await
    }

    async fn join_code(&self, room: &str) -> StoreResult<Option<String>> {
        let room = room.to_string();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(embedded)?;
            let mine = txn.open_table(ROOM_JOIN_CODE).map_err(embedded)?;
            Ok(mine
                .get(room.as_str())
                .map_err(embedded)?
                .map(|c| c.value().to_string()))
        })
        .await
    }

    async fn join_code_room(&self, code: &str) -> StoreResult<Option<String>> {
        let code = code.to_string();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(embedded)?;
            let codes = txn.open_table(JOIN_CODES).map_err(embedded)?;
            Ok(codes
                .get(code.as_str())
                .map_err(embedded)?
                .map(|r| r.value().to_string()))
        })
        .await
    }

    async fn votes(&self, room: &str, round: &str) -> StoreResult<Vec<Count>> {
        let (room, round) = (room.to_string(), round.to_string());
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(embedded)?;
            let votes = txn.open_table(VOTES).map_err(embedded)?;
            let next_round = after(&round);
            let (r, s, n) = (room.as_str(), round.as_str(), next_round.as_str());
            votes
                .range((r, s, "", "")..(r, n, "", ""))
                .map_err(embedded)?
                .map(|entry| {
                    let (key, votes) = entry.map_err(embedded)?;
                    let (_, _, seat, target) = key.value();
                    Ok(Count {
                        seat: seat.to_string(),
                        target: target.to_string(),
                        votes: votes.value(),
                    })
                })
                .collect()
        })
        .await
    }

    async fn set_aside_updates(&self, room: &str, doc: DocKind) -> StoreResult<Vec<Vec<u8>>> {
        let room = room.to_string();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(embedded)?;
            let table = txn.open_table(SET_ASIDE).map_err(embedded)?;
            // Every key of the document: hex digests sort between "" and "g".
            let doc = doc.key();
            let keys = (room.as_str(), doc.as_ref(), "")..(room.as_str(), doc.as_ref(), "g");
            table
                .range(keys)
                .map_err(embedded)?
                .map(|entry| {
                    entry
                        .map(|(_, update)| update.value().to_vec())
                        .map_err(embedded)
                })
                .collect()
        })
        .await
    }

    async fn delete_room(&self, id: &str) -> StoreResult<bool> {
        let id = id.to_string();
        self.blocking(move |db| {
            let (room, after) = (id.as_str(), after(&id));
            let after = after.as_str();
            let mut wal = db.wal();
            let txn = db.begin_write().map_err(embedded)?;
            let existed = {
                let existed = txn
                    .open_table(ROOMS)
                    .map_err(embedded)?
                    .remove(room)
                    .map_err(embedded)?
                    .is_some();
                txn.open_table(ROOM_CHANGED)
                    .map_err(embedded)?
                    .remove(room)
                    .map_err(embedded)?;
                txn.open_table(DOC_STATE)
                    .map_err(embedded)?
                    .retain_in((room, "")..(after, ""), |_, _| false)
                    .map_err(embedded)?;
                txn.open_table(DOC_LOG)
                    .map_err(embedded)?
                    .retain_in((room, "", 0)..(after, "", 0), |_, _| false)
                    .map_err(embedded)?;
                txn.open_table(SNAPSHOTS)
                    .map_err(embedded)?
                    .retain_in((room, 0)..(after, 0), |_, _| false)
                    .map_err(embedded)?;
                txn.open_table(SNAPSHOT_DOCS)
                    .map_err(embedded)?
                    .retain_in((room, 0, "")..(after, 0, ""), |_, _| false)
                    .map_err(embedded)?;
                txn.open_table(SNAPSHOT_NAMES)
                    .map_err(embedded)?
                    .retain_in((room, 0)..(after, 0), |_, _| false)
                    .map_err(embedded)?;
                txn.open_table(SET_ASIDE)
                    .map_err(embedded)?
                    .retain_in((room, "", "")..(after, "", ""), |_, _| false)
                    .map_err(embedded)?;
                txn.open_table(SEATS)
                    .map_err(embedded)?
                    .retain_in((room, "")..(after, ""), |_, _| false)
                    .map_err(embedded)?;
                txn.open_table(VOTES)
                    .map_err(embedded)?
                    .retain_in((room, "", "", "")..(after, "", "", ""), |_, _| false)
                    .map_err(embedded)?;
                let code = txn
                    .open_table(ROOM_JOIN_CODE)
                    .map_err(embedded)?
                    .remove(room)
                    .map_err(embedded)?
                    .map(|c| c.value().to_string());
                if let Some(code) = code {
                    txn.open_table(JOIN_CODES)
                        .map_err(embedded)?
                        .remove(code.as_str())
                        .map_err(embedded)?;
                }
                existed
            };
            // One commit: the room is gone whole, or (a failed commit) still whole. It is durable
            // and so holds every batch the log holds: emptied, the log can never bring back a
            // change to this room, even were a room of the same id made again.
            txn.commit().map_err(embedded)?;
            wal.clear().map_err(wal_error)?;
            Ok(existed)
        })
        .await
    }

    async fn touch_rooms(&self, rooms: &[String], at_ms: u64) -> StoreResult<()> {
        let ids = rooms.to_vec();
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(embedded)?;
            {
                let rooms = txn.open_table(ROOMS).map_err(embedded)?;
                let mut changed = txn.open_table(ROOM_CHANGED).map_err(embedded)?;
                for id in &ids {
                    if rooms.get(id.as_str()).map_err(embedded)?.is_none() {
                        continue;
                    }
                    let before = changed
                        .get(id.as_str())
                        .map_err(embedded)?
                        .map(|t| t.value());
                    if before.is_none_or(|t| t < at_ms) {
                        changed.insert(id.as_str(), at_ms).map_err(embedded)?;
                    }
                }
            }
            txn.commit().map_err(embedded)
        })
        .await
    }

    async fn changed_at(&self, id: &str) -> StoreResult<Option<u64>> {
        let id = id.to_string();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(embedded)?;
            let changed = txn.open_table(ROOM_CHANGED).map_err(embedded)?;
            Ok(changed
                .get(id.as_str())
                .map_err(embedded)?
                .map(|t| t.value()))
        })
        .await
    }

    async fn stale_rooms(&self, before_ms: u64, now_ms: u64) -> StoreResult<Vec<String>> {
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(embedded)?;
            let mut stale = Vec::new();
            let mut backfilled = 0;
            {
                let rooms = txn.open_table(ROOMS).map_err(embedded)?;
                let mut changed = txn.open_table(ROOM_CHANGED).map_err(embedded)?;
                for entry in rooms.iter().map_err(embedded)? {
                    let (id, _) = entry.map_err(embedded)?;
                    let id = id.value();
                    let at = changed.get(id).map_err(embedded)?.map(|t| t.value());
                    match at {
                        Some(at) if at < before_ms => stale.push(id.to_string()),
                        Some(_) => {}
                        None => {
                            changed.insert(id, now_ms).map_err(embedded)?;
                            backfilled += 1;
                            if now_ms < before_ms {
                                stale.push(id.to_string());
                            }
                        }
                    }
                }
            }
            if backfilled > 0 {
                txn.commit().map_err(embedded)?;
                tracing::info!(
                    rooms = backfilled,
                    "rooms without a change time count as changed now (retention)"
                );
            }
            Ok(stale)
        })
        .await
    }
}

/// Applies one op of a batch inside the batch's write transaction, and adds what it changed to
/// the batch's record for the write-ahead log.
fn apply(
    states: &mut redb::Table<(&str, &str), &[u8]>,
    logs: &mut redb::Table<(&str, &str, u64), &[u8]>,
    op: &WriteOp,
    record: &mut Vec<u8>,
) -> StoreResult<()> {
    let mut change = |states: &mut _, logs: &mut _, edit: Edit| {
        apply_change(states, logs, &edit)?;
        edit.encode(record);
        Ok(())
    };
    match op {
        WriteOp::Append { room, doc, update } => {
            let doc = doc.key();
            // The match ends the range's borrow of `logs` before the insert.
            let seq = match logs
                .range(log_keys(room, doc.as_ref()))
                .map_err(embedded)?
                .next_back()
            {
                None => 0,
                Some(entry) => {
                    let (key, _) = entry.map_err(embedded)?;
                    let last = key.value().2;
                    last.checked_add(1).ok_or_else(|| {
                        StoreError::Corrupt(format!("log of {room}/{} is full", doc.as_ref()))
                    })?
                }
            };
            change(
                states,
                logs,
                Edit::Append {
                    room,
                    doc: doc.as_ref(),
                    seq,
                    update,
                },
            )
        }
        WriteOp::Compact {
            room,
            doc,
            state,
            newer,
            ..
        } => {
            let doc = doc.key();
            // The log's last `newer` entries came after the state and stay; it contains the rest.
            let below = match newer.checked_sub(1) {
                None => Some(None),
                Some(skip) => logs
                    .range(log_keys(room, doc.as_ref()))
                    .map_err(embedded)?
                    .rev()
                    .nth(skip)
                    .transpose()
                    .map_err(embedded)?
                    // Fewer entries than `newer`: the state contains none of them.
                    .map(|(entry, _)| Some(entry.value().2)),
            };
            let doc = doc.as_ref();
            change(states, logs, Edit::State { room, doc, state })?;
            match below {
                Some(below) => change(states, logs, Edit::Trim { room, doc, below }),
                None => Ok(()),
            }
        }
    }
}

/// Makes one change to the documents' tables: for a write op, or again from the write-ahead log.
fn apply_change(
    states: &mut redb::Table<(&str, &str), &[u8]>,
    logs: &mut redb::Table<(&str, &str, u64), &[u8]>,
    change: &Edit,
) -> StoreResult<()> {
    match *change {
        Edit::Append {
            room,
            doc,
            seq,
            update,
        } => {
            logs.insert((room, doc, seq), update).map_err(embedded)?;
        }
        Edit::State { room, doc, state } => {
            states.insert((room, doc), state).map_err(embedded)?;
        }
        Edit::Trim { room, doc, below } => {
            let end = match below {
                None => Bound::Included((room, doc, u64::MAX)),
                Some(below) => Bound::Excluded((room, doc, below)),
            };
            logs.retain_in((Bound::Included((room, doc, 0)), end), |_, _| false)
                .map_err(embedded)?;
        }
    }
    Ok(())
}

/// A snapshot's stored name, which must be UTF-8; `None` for one without.
fn snapshot_name(
    names: &impl ReadableTable<(&'static str, u64), &'static [u8]>,
    room: &str,
    seq: u64,
) -> StoreResult<Option<String>> {
    names
        .get((room, seq))
        .map_err(embedded)?
        .map(|name| {
            String::from_utf8(name.value().to_vec()).map_err(|_| {
                StoreError::Corrupt(format!("snapshot {room}/{seq}: its name is not UTF-8"))
            })
        })
        .transpose()
}

/// A stored `taken_at`, which must be UTF-8.
fn taken_at_text(room: &str, seq: u64, bytes: &[u8]) -> StoreResult<String> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| StoreError::Corrupt(format!("snapshot {room}/{seq}: taken_at is not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::conformance;

    /// Smaller than what the tests write, so they read through redb's cache as well as from it.
    const TEST_CACHE: usize = 64 << 10;

    #[tokio::test]
    async fn conformance_and_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A directory that does not exist yet: `open` makes it.
        let data_dir = dir.path().join("data");
        let store = EmbeddedStore::open(&data_dir, TEST_CACHE).expect("open");
        assert_eq!(store.kind(), "embedded");
        conformance::exercise(&store).await;
        conformance::a_compaction_keeps_the_entries_newer_than_its_state(&store).await;
        drop(store);

        // Everything committed is there after a reopen, and numbering goes on.
        let store = EmbeddedStore::open(&data_dir, TEST_CACHE).expect("reopen");
        conformance::check_after_exercise(&store).await;
    }

    #[tokio::test]
    async fn deletion_and_retention() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(dir.path(), TEST_CACHE).expect("open");
        conformance::deletion(&store).await;
        conformance::voting(&store).await;
        conformance::join_codes(&store).await;
        conformance::retention(&store).await;
        // No row of room `d` is left in any table (also none the trait cannot reach), and `de`'s
        // are all there.
        let rows = |room: &'static str| {
            store.blocking(move |db| {
                let txn = db.begin_read().map_err(embedded)?;
                let mut rows = 0;
                macro_rules! count {
                    ($($table:expr => |$key:ident| $room_of:expr),+ $(,)?) => {$(
                        for entry in txn.open_table($table).map_err(embedded)?.iter().map_err(embedded)? {
                            let ($key, _) = entry.map_err(embedded)?;
                            let $key = $key.value();
                            if $room_of == room {
                                rows += 1;
                            }
                        }
                    )+};
                }
                count!(
                    ROOMS => |k| k,
                    ROOM_CHANGED => |k| k,
                    DOC_STATE => |k| k.0,
                    DOC_LOG => |k| k.0,
                    SNAPSHOTS => |k| k.0,
                    SNAPSHOT_DOCS => |k| k.0,
                    SNAPSHOT_NAMES => |k| k.0,
                    SET_ASIDE => |k| k.0,
                    SEATS => |k| k.0,
                    VOTES => |k| k.0,
                    ROOM_JOIN_CODE => |k| k,
                );
                Ok(rows)
            })
        };
        assert_eq!(rows("d").await.expect("rows"), 0);
        // The record, its change time, 2 states, 3 log entries, 2 snapshots (and their 3
        // documents each, and the first's name), a seat, an update set aside, a vote, a join code.
        assert_eq!(rows("de").await.expect("rows"), 20);
    }

    #[tokio::test]
    async fn rooms_from_before_change_times_count_from_the_first_sweep() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(dir.path(), TEST_CACHE).expect("open");
        conformance::room(&store, "r").await;
        // As a room made by an earlier version: no change time.
        store
            .blocking(|db| {
                let txn = db.begin_write().map_err(embedded)?;
                txn.open_table(ROOM_CHANGED)
                    .map_err(embedded)?
                    .remove("r")
                    .map_err(embedded)?;
                txn.commit().map_err(embedded)
            })
            .await
            .expect("forget the change time");
        conformance::a_room_without_a_change_time_counts_from_the_first_sweep(&store, "r").await;
    }

    #[tokio::test]
    async fn failed_create_leaves_nothing_and_room_exists_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(dir.path(), TEST_CACHE).expect("open");
        conformance::room(&store, "r").await;
        let err = store
            .create_room(&conformance::record("r"), b"w2", b"c2")
            .await;
        assert!(
            matches!(err, Err(StoreError::RoomExists(ref id)) if id == "r"),
            "{err:?}"
        );
        let wall = store.load_doc("r", DocKind::Wall).await.expect("load");
        assert_eq!(wall.state.as_deref(), Some(&b"w"[..]));
    }

    #[tokio::test]
    async fn corrupt_values_are_errors_not_panics() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(dir.path(), TEST_CACHE).expect("open");
        store
            .blocking(|db| {
                let txn = db.begin_write().expect("write");
                {
                    let mut rooms = txn.open_table(ROOMS).expect("rooms");
                    rooms.insert("bad", &b"{not json"[..]).expect("insert");
                    let mut snapshots = txn.open_table(SNAPSHOTS).expect("snapshots");
                    snapshots
                        .insert(("bad", 1), &b"\xff\xfe"[..])
                        .expect("insert");
                    // Snapshot 2 has a time but lost its documents.
                    snapshots
                        .insert(("bad", 2), &b"2025-01-01T00:00:00Z"[..])
                        .expect("insert");
                }
                txn.commit().expect("commit");
                Ok(())
            })
            .await
            .expect("writing damaged values");

        conformance::corrupt_reads_are_reported(&store, "bad").await;
    }

    #[tokio::test]
    async fn a_failed_database_is_reopened_by_the_next_operation() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(dir.path(), TEST_CACHE).expect("open");
        conformance::room(&store, "r").await;
        // As after an I/O error: the next operation reopens first, and finds everything committed.
        store.inner.failed.store(true, Ordering::Release);
        store.ping().await.expect("ping reopens and writes");
        assert!(!store.inner.failed.load(Ordering::Acquire));
        assert!(store.room("r").await.expect("read").is_some());
        // Failing again at once: no second reopen within REOPEN_INTERVAL, an error instead.
        store.inner.failed.store(true, Ordering::Release);
        assert!(matches!(
            store.room("r").await,
            Err(StoreError::Embedded(_))
        ));
        tokio::time::sleep(REOPEN_INTERVAL).await;
        assert!(store.room("r").await.expect("reopened").is_some());
    }

    /// The data directory's files as a crash would leave them: what is on disk now, while the
    /// store is open (redb's last durable commit, and the log).
    fn crash_image(from: &Path, to: &Path, with_log: bool) {
        std::fs::create_dir_all(to).expect("mkdir");
        std::fs::copy(from.join(FILE_NAME), to.join(FILE_NAME)).expect("copy the file");
        if with_log {
            std::fs::copy(from.join(wal::FILE_NAME), to.join(wal::FILE_NAME)).expect("copy log");
        }
    }

    /// How long the write-ahead log in `dir` is.
    fn log_bytes(dir: &Path) -> u64 {
        std::fs::metadata(dir.join(wal::FILE_NAME)).unwrap().len()
    }

    async fn content(store: &EmbeddedStore, room: &str) -> (Option<Vec<u8>>, Vec<Vec<u8>>) {
        let doc = store.load_doc(room, DocKind::Wall).await.expect("load");
        (doc.state, doc.log)
    }

    #[tokio::test]
    async fn batches_acknowledged_through_the_log_survive_a_crash_and_apply_once() {
        use conformance::{append, compact};
        let dir = tempfile::tempdir().expect("tempdir");
        let live = dir.path().join("live");
        let store = EmbeddedStore::open(&live, TEST_CACHE).expect("open");
        conformance::room(&store, "r").await;
        store
            .write_batch(&[append("r", DocKind::Wall, b"u0")])
            .await
            .unwrap();
        store
            .write_batch(&[append("r", DocKind::Wall, b"u1")])
            .await
            .unwrap();
        let mut newer = compact("r", DocKind::Wall, b"s1");
        if let WriteOp::Compact { newer: n, .. } = &mut newer {
            *n = 1;
        }
        store
            .write_batch(&[newer, append("r", DocKind::Wall, b"u2")])
            .await
            .unwrap();
        let expected = (Some(b"s1".to_vec()), vec![b"u1".to_vec(), b"u2".to_vec()]);
        assert_eq!(content(&store, "r").await, expected);

        // Without the log, the file alone is at the room's creation: the batches were not
        // fsynced into it, so it is the log that made them durable.
        crash_image(&live, &dir.path().join("file-only"), false);
        let file_only = EmbeddedStore::open(&dir.path().join("file-only"), TEST_CACHE).unwrap();
        assert_eq!(
            content(&file_only, "r").await,
            (Some(b"w".to_vec()), vec![])
        );

        let crashed = dir.path().join("crashed");
        crash_image(&live, &crashed, true);
        let reopened = EmbeddedStore::open(&crashed, TEST_CACHE).expect("open after a crash");
        assert_eq!(content(&reopened, "r").await, expected);
        assert_eq!(log_bytes(&crashed), 0, "applied, the log is emptied");
        // The same records applied again, to a file that holds them: nothing changes.
        drop(reopened);
        std::fs::copy(live.join(wal::FILE_NAME), crashed.join(wal::FILE_NAME)).unwrap();
        let again = EmbeddedStore::open(&crashed, TEST_CACHE).expect("open again");
        assert_eq!(content(&again, "r").await, expected);
        // And numbering goes on after the replayed entries.
        again
            .write_batch(&[append("r", DocKind::Wall, b"u3")])
            .await
            .unwrap();
        assert_eq!(content(&again, "r").await.1.len(), 3);
    }

    #[tokio::test]
    async fn a_checkpoint_and_a_deletion_empty_the_log_and_a_deleted_room_stays_deleted() {
        use conformance::append;
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = EmbeddedStore::open(dir.path(), TEST_CACHE).expect("open");
        Arc::get_mut(&mut store.inner).unwrap().checkpoint_interval = Duration::ZERO;
        let log_len = || log_bytes(dir.path());
        conformance::room(&store, "r").await;
        conformance::room(&store, "gone").await;
        store
            .write_batch(&[append("r", DocKind::Wall, b"u0")])
            .await
            .unwrap();
        assert!(log_len() > 0, "the first batch goes through the log");
        store
            .write_batch(&[append("r", DocKind::Wall, b"u1")])
            .await
            .unwrap();
        assert_eq!(
            log_len(),
            0,
            "the next, its oldest record due, commits durably"
        );

        store
            .write_batch(&[append("gone", DocKind::Wall, b"g0")])
            .await
            .unwrap();
        let record = std::fs::read(dir.path().join(wal::FILE_NAME)).unwrap();
        assert!(!record.is_empty());
        assert!(store.delete_room("gone").await.unwrap());
        assert_eq!(log_len(), 0, "a deletion empties the log");
        // Were the record applied after the deletion (as by a crash between the deletion's
        // commit and the log's emptying), it must not bring the room back.
        drop(store);
        std::fs::write(dir.path().join(wal::FILE_NAME), &record).unwrap();
        let store = EmbeddedStore::open(dir.path(), TEST_CACHE).expect("open");
        assert!(store.room("gone").await.unwrap().is_none());
        let rows = store
            .blocking(|db| {
                let txn = db.begin_read().map_err(embedded)?;
                let logs = txn.open_table(DOC_LOG).map_err(embedded)?;
                Ok(logs
                    .range(log_keys("gone", "wall"))
                    .map_err(embedded)?
                    .count())
            })
            .await
            .unwrap();
        assert_eq!(rows, 0);
        assert_eq!(
            content(&store, "r").await.1,
            vec![b"u0".to_vec(), b"u1".to_vec()]
        );

        // At shutdown: the file alone then holds every batch.
        store
            .write_batch(&[append("r", DocKind::Wall, b"u2")])
            .await
            .unwrap();
        assert!(log_len() > 0);
        store.checkpoint().await.expect("checkpoint");
        assert_eq!(log_len(), 0);
        drop(store);
        std::fs::remove_file(dir.path().join(wal::FILE_NAME)).unwrap();
        let store = EmbeddedStore::open(dir.path(), TEST_CACHE).expect("open");
        assert_eq!(content(&store, "r").await.1.len(), 3);
    }

    /// However young its oldest record, a log of [`CHECKPOINT_BYTES`] is emptied at the next
    /// batch: the wait of a checkpoint grows with the bytes since the last one.
    #[tokio::test]
    async fn a_log_grown_past_its_bytes_is_emptied_at_the_next_batch() {
        use conformance::{append, compact};
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(dir.path(), TEST_CACHE).expect("open");
        let log_len = || log_bytes(dir.path());
        conformance::room(&store, "r").await;
        store
            .write_batch(&[append("r", DocKind::Wall, b"u0")])
            .await
            .unwrap();
        store
            .write_batch(&[append("r", DocKind::Wall, b"u1")])
            .await
            .unwrap();
        assert!(log_len() > 0, "a second is not over: both in the log");
        let large = vec![7u8; CHECKPOINT_BYTES as usize];
        store
            .write_batch(&[compact("r", DocKind::Wall, &large)])
            .await
            .unwrap();
        assert!(log_len() > CHECKPOINT_BYTES);
        store
            .write_batch(&[append("r", DocKind::Wall, b"u2")])
            .await
            .unwrap();
        assert_eq!(log_len(), 0, "the log held its bytes: a checkpoint");
        assert_eq!(
            content(&store, "r").await,
            (Some(large), vec![b"u2".to_vec()])
        );
    }

    #[test]
    fn a_log_record_that_does_not_decode_is_an_error_on_open_not_a_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(EmbeddedStore::open(dir.path(), TEST_CACHE).expect("open"));
        let (mut log, _, _) = Wal::open(&dir.path().join(wal::FILE_NAME)).unwrap();
        // Whole and with a good checksum, but not a change: damage, not a torn append.
        log.append(b"Xnot a change").unwrap();
        drop(log);
        let err = EmbeddedStore::open(dir.path(), TEST_CACHE).err();
        assert!(
            matches!(&err, Some(StoreError::Corrupt(e)) if e.contains("write-ahead log")),
            "{err:?}"
        );
    }

    #[test]
    fn a_file_that_is_not_redb_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(FILE_NAME), vec![0x5a; 8192]).expect("write");
        assert!(matches!(
            EmbeddedStore::open(dir.path(), TEST_CACHE),
            Err(StoreError::Embedded(_))
        ));
    }

    #[tokio::test]
    async fn compaction_removes_only_its_own_log() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(dir.path(), TEST_CACHE).expect("open");
        for id in ["x", "y"] {
            store
                .create_room(&conformance::record(id), b"", b"")
                .await
                .expect("create");
        }
        let ops: Vec<WriteOp> = (0..100u8)
            .flat_map(|i| {
                [
                    conformance::append("x", DocKind::Wall, &[i]),
                    conformance::append("x", DocKind::Control, &[i]),
                    conformance::append("y", DocKind::Wall, &[i]),
                ]
            })
            .collect();
        store.write_batch(&ops).await.expect("batch");
        store
            .write_batch(&[conformance::compact("x", DocKind::Wall, b"s")])
            .await
            .expect("compact");
        assert_eq!(
            store
                .load_doc("x", DocKind::Wall)
                .await
                .expect("load")
                .log
                .len(),
            0
        );
        let control = store.load_doc("x", DocKind::Control).await.expect("load");
        assert_eq!(control.log, (0..100u8).map(|i| vec![i]).collect::<Vec<_>>());
        assert_eq!(
            store
                .load_doc("y", DocKind::Wall)
                .await
                .expect("load")
                .log
                .len(),
            100
        );
    }
}
