//! What the unit tests of the room core and the connection run on: a [`MemoryStore`] whose
//! writes can be held back (to see that nothing is broadcast before the store has it) or made to
//! fail, and a writer and registry over it. No file, no socket, no port.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use kortvaeg_shared::voting::{Change, Count, Refused, Round, Spent};
use tokio::sync::watch;
use yrs::{Doc, Map, MapPrelim, Transact};

use super::live::DocLimits;
use super::registry::Rooms;
use super::writer::Writer;
use crate::store::{
    DocKind, RoomRecord, SnapshotInfo, SnapshotRecord, Store, StoreError, StoreResult, StoredDoc,
    WriteOp,
};

/// A store in memory. [`MemoryStore::hold`] makes every write wait until [`MemoryStore::release`];
/// [`MemoryStore::fail`] makes them fail.
pub struct MemoryStore {
    records: Mutex<HashMap<String, RoomRecord>>,
    ops: Mutex<Vec<WriteOp>>,
    open: watch::Sender<bool>,
    failing: AtomicBool,
    /// Write batches begun (held ones included).
    started: watch::Sender<usize>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore {
            records: Mutex::default(),
            ops: Mutex::default(),
            open: watch::channel(true).0,
            failing: AtomicBool::new(false),
            started: watch::channel(0).0,
        }
    }
}

impl MemoryStore {
    pub fn hold(&self) {
        self.open.send_replace(false);
    }

    pub fn release(&self) {
        self.open.send_replace(true);
    }

    /// Waits until `n` write batches have begun.
    pub async fn started(&self, n: usize) {
        let _ = self.started.subscribe().wait_for(|s| *s >= n).await;
    }

    pub fn fail(&self) {
        self.failing.store(true, Ordering::SeqCst);
    }

    /// Every op written, in order.
    pub fn ops(&self) -> Vec<WriteOp> {
        self.ops.lock().unwrap().clone()
    }

    /// The updates appended to a document, in order.
    pub fn appended(&self, room: &str, doc: DocKind) -> Vec<Vec<u8>> {
        self.ops
            .lock()
            .unwrap()
            .iter()
            .filter_map(|op| match op {
                WriteOp::Append {
                    room: r,
                    doc: d,
                    update,
                } if r == room && *d == doc => Some(update.to_vec()),
                _ => None,
            })
            .collect()
    }
}

#[async_trait]
impl Store for MemoryStore {
    fn kind(&self) -> &'static str {
        "memory"
    }

    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn create_room(&self, record: &RoomRecord, _: &[u8], _: &[u8]) -> StoreResult<()> {
        self.records
            .lock()
            .unwrap()
            .insert(record.id.clone(), record.clone());
        Ok(())
    }

    async fn rooms_created_by(&self, creator: &str) -> StoreResult<Vec<RoomRecord>> {
        let records = self.records.lock().unwrap();
        Ok(records
            .values()
            .filter(|r| r.creator.as_deref() == Some(creator))
            .cloned()
            .collect())
    }

    async fn room(&self, id: &str) -> StoreResult<Option<RoomRecord>> {
        Ok(self.records.lock().unwrap().get(id).cloned())
    }

    async fn load_doc(&self, room: &str, doc: DocKind) -> StoreResult<StoredDoc> {
        Ok(StoredDoc {
            state: None,
            log: self.appended(room, doc),
            position: None,
        })
    }

    async fn write_batch(&self, ops: &[WriteOp]) -> StoreResult<()> {
        self.started.send_modify(|n| *n += 1);
        let mut open = self.open.subscribe();
        let _ = open.wait_for(|open| *open).await;
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::Embedded("the test store fails".into()));
        }
        self.ops.lock().unwrap().extend(ops.iter().cloned());
        Ok(())
    }

    async fn add_snapshot(
        &self,
        _: &str,
        _: &str,
        _: Option<&str>,
        _: &[u8],
        _: &[u8],
        _: &[(crate::store::GroupId, Vec<u8>)],
    ) -> StoreResult<u64> {
        Ok(1)
    }

    async fn snapshots(&self, _: &str) -> StoreResult<Vec<SnapshotInfo>> {
        Ok(Vec::new())
    }

    async fn snapshot(&self, _: &str, _: u64) -> StoreResult<Option<SnapshotRecord>> {
        Ok(None)
    }

    async fn set_aside(&self, _: &str, _: DocKind, _: &[u8]) -> StoreResult<()> {
        Ok(())
    }

    async fn set_participant_digest(&self, _: &str, _: &str) -> StoreResult<()> {
        Ok(())
    }

    async fn put_seat(&self, _: &str, _: &crate::store::SeatRecord) -> StoreResult<()> {
        Ok(())
    }

    async fn seats(&self, _: &str) -> StoreResult<Vec<crate::store::SeatRecord>> {
        Ok(Vec::new())
    }

    async fn remove_seat(&self, _: &str, _: &str) -> StoreResult<bool> {
        Ok(false)
    }

    async fn vote(
        &self,
        room: &str,
        _: &Round,
        _: &str,
        _: &str,
        _: Change,
    ) -> StoreResult<Result<Spent, Refused>> {
        Err(StoreError::NoRoom(room.to_string()))
    }

    async fn votes(&self, _: &str, _: &str) -> StoreResult<Vec<Count>> {
        Ok(Vec::new())
    }

    async fn set_join_code(&self, room: &str, _: Option<&str>) -> StoreResult<bool> {
        Err(StoreError::NoRoom(room.to_string()))
    }

    async fn join_code(&self, _: &str) -> StoreResult<Option<String>> {
        Ok(None)
    }

    async fn join_code_room(&self, _: &str) -> StoreResult<Option<String>> {
        Ok(None)
    }

    async fn set_aside_updates(&self, _: &str, _: DocKind) -> StoreResult<Vec<Vec<u8>>> {
        Ok(Vec::new())
    }

    async fn delete_room(&self, id: &str) -> StoreResult<bool> {
        self.ops.lock().unwrap().retain(|op| op.room() != id);
        Ok(self.records.lock().unwrap().remove(id).is_some())
    }

    async fn touch_rooms(&self, _: &[String], _: u64) -> StoreResult<()> {
        Ok(())
    }

    async fn changed_at(&self, _: &str) -> StoreResult<Option<u64>> {
        Ok(None)
    }

    async fn stale_rooms(&self, _: u64, _: u64) -> StoreResult<Vec<String>> {
        Ok(Vec::new())
    }
}

/// A room record with made-up digests.
pub fn record(id: &str) -> RoomRecord {
    RoomRecord {
        id: id.into(),
        title: "t".into(),
        template: "kmd-sag-exit".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        facilitator_digest: String::new(),
        participant_digest: String::new(),
        review_digest: String::new(),
        creator: None,
        anonymity: Default::default(),
    }
}

pub const LIMITS: DocLimits = DocLimits {
    max_doc_bytes: 1 << 20,
};

/// A store with room `r`, its writer, and the registry.
pub fn setup() -> (Arc<MemoryStore>, Writer, Rooms) {
    let store = Arc::new(MemoryStore::default());
    store
        .records
        .lock()
        .unwrap()
        .insert("r".into(), record("r"));
    let (writer, _task) = Writer::start(
        store.clone(),
        None,
        super::Pacing {
            commit_window: Duration::ZERO,
            broadcast_every: Duration::ZERO,
        },
        1000,
        1024,
        0,
        Duration::from_secs(60),
    );
    let rooms = Rooms::new(
        store.clone(),
        writer.clone(),
        Duration::from_secs(60),
        LIMITS,
        None,
        usize::MAX,
    );
    (store, writer, rooms)
}

/// A Yjs v1 update of a client adding card `id` to the wall.
pub fn card(client: &Doc, id: &str) -> Vec<u8> {
    let cards = client.get_or_insert_map("cards");
    let mut txn = client.transact_mut();
    let card = cards.insert(&mut txn, id, MapPrelim::default());
    card.insert(&mut txn, "row", "asis-1");
    card.insert(&mut txn, "column", "borgerservice");
    card.insert(&mut txn, "text", id);
    txn.encode_update_v1()
}
