//! The registry of live rooms: each room is loaded once per process, however many clients
//! connect to it at the same moment, and unloaded after its last holder leaves and its state is
//! flushed.
//!
//! The map holds a [`Slot`] per room id with a `OnceCell`: the first opener loads the room while
//! every other opener awaits the same cell, so there is neither an empty document served during
//! the load nor a double load. Unloading flushes first and marks the room `unloading` only if it
//! is still unheld (under the room's presence lock), so an opener either gets a live room or sees
//! it unloading and loads a fresh one from a store that already has everything.
//!
//! Deleting a room ([`Rooms::delete`]) removes it from the store first, then evicts the live room
//! without a flush (its clients close with 4404; what the writer still holds for it is dropped)
//! and tells the other nodes, which do the same ([`Rooms::deleted_here`]). For a minute the id is
//! refused here on its own account ([`Recent`]), so a load that read the room just before the
//! deletion cannot serve it afterwards.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use tokio::sync::{watch, Notify, OnceCell};

use super::cache::Cache;
use super::deleted::{DeletedBy, Recent};
use super::doc::{LiveDoc, SetAside};
use super::error::RoomError;
use super::live::{DocLimits, Room};
use super::nodes::Nodes;
use super::writer::Writer;
use crate::store::{DocKind, GroupId, RoomRecord, SeatRecord, Store, StoreError, StoredDoc};
use kortvaeg_shared::stored;

/// How long a room load waits for the outage spool to be written (at start after a crash, or
/// just after an outage, that takes moments; while Redis is down the room cannot load anyway).
const SPOOL_WAIT: Duration = Duration::from_secs(5);

/// A seat as its connections see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeatLive {
    Seated {
        seat_id: String,
        name: String,
        group: String,
    },
    /// The facilitator removed it: its connections close.
    Removed,
}

impl SeatLive {
    /// The seat's group, unless it was removed.
    pub fn group(&self) -> Option<&str> {
        match self {
            SeatLive::Seated { group, .. } => Some(group),
            SeatLive::Removed => None,
        }
    }

    fn of(seat: &SeatRecord) -> SeatLive {
        SeatLive::Seated {
            seat_id: seat.seat_id.clone(),
            name: seat.name.clone(),
            group: seat.group.clone(),
        }
    }
}

/// A stored state compacted before the schema gate may hold what stock clients cannot read:
/// the state, if it needs repair.
fn suspect(kind: DocKind, doc: &StoredDoc) -> Option<Vec<u8>> {
    doc.state
        .clone()
        .filter(|state| stored::state_needs_repair(kind.schema(), state))
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("no room with id {0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The room could not be made ready now (the store writer's queue is full); try again.
    #[error("room {0} cannot be loaded now: {1}")]
    Busy(String, String),
}

#[derive(Clone)]
pub struct Rooms(Arc<Inner>);

struct Inner {
    live: DashMap<String, Arc<Slot>>,
    /// Room records change only when the join link is replaced: caching them for a moment keeps
    /// token checks off the store.
    records: Cache<RoomRecord>,
    /// Per seat with connections on this node: its name and group as they are now, or that it was
    /// removed (its connections close); its receivers are the seat's open connections.
    seats: DashMap<(String, String), watch::Sender<SeatLive>>,
    /// Each room's seats as the store last gave them, trusted as the records are.
    seat_lists: Cache<Vec<SeatRecord>>,
    store: Arc<dyn Store>,
    writer: Writer,
    unload_after: Duration,
    /// Each document's broadcast capacity and size limit.
    limits: DocLimits,
    /// The other nodes sharing the store, given to every room. `None`: one node.
    nodes: Option<Arc<dyn Nodes>>,
    /// Woken when a room is loaded (the cluster reader waits on it while it holds no room).
    loaded: Notify,
    /// Most rooms loaded at once (`--max-rooms-loaded`).
    max_loaded: usize,
    /// Rooms deleted a moment ago: refused even by a load that began before.
    deleted: Recent,
}

#[derive(Default)]
struct Slot {
    room: OnceCell<Arc<Room>>,
}

impl Rooms {
    pub fn new(
        store: Arc<dyn Store>,
        writer: Writer,
        unload_after: Duration,
        limits: DocLimits,
        nodes: Option<Arc<dyn Nodes>>,
        max_loaded: usize,
    ) -> Self {
        Rooms(Arc::new(Inner {
            live: DashMap::new(),
            records: Cache::default(),
            seats: DashMap::new(),
            seat_lists: Cache::default(),
            store,
            writer,
            unload_after,
            limits,
            nodes,
            loaded: Notify::new(),
            max_loaded,
            deleted: Recent::default(),
        }))
    }

    pub fn writer(&self) -> &Writer {
        &self.0.writer
    }

    /// The room's record, from the cache or the store; `None` if there is no such room.
    pub async fn record(&self, id: &str) -> Result<Option<Arc<RoomRecord>>, StoreError> {
        if self.0.deleted.contains(id) {
            return Ok(None);
        }
        self.0.records.get(id, self.0.store.room(id)).await
    }

    /// Deletes the room from the store, then here and on the other nodes: its clients are closed
    /// (4404) and it is dropped without a flush. False if there was no such room.
    pub async fn delete(&self, id: &str, by: DeletedBy) -> Result<bool, StoreError> {
        let existed = self.0.store.delete_room(id).await?;
        self.deleted_here(id, Some(by));
        if let Some(nodes) = &self.0.nodes {
            nodes.room_deleted(id, by);
        }
        if existed {
            tracing::info!(room = id, by = by.as_str(), "room deleted");
            crate::metrics::room_deleted(by);
        }
        Ok(existed)
    }

    /// The room is gone from the store (deleted here or by another node): it is refused from now
    /// on, its cached record and seats are dropped, and the live room is evicted without a flush,
    /// which closes its clients with 4404. `by`: who deleted it, when known.
    pub fn deleted_here(&self, id: &str, by: Option<DeletedBy>) {
        self.0.deleted.insert(id);
        self.forget_record(id);
        self.forget_seats(id);
        self.0.seats.retain(|(room, _), _| room != id);
        if let Some(room) = self
            .0
            .live
            .get(id)
            .and_then(|slot| slot.room.get().cloned())
        {
            room.evict(RoomError::Deleted(by));
        }
    }

    /// The room's seats (cached as the records are). Token checks of seats go through here.
    pub async fn seats(&self, id: &str) -> Result<Arc<Vec<SeatRecord>>, StoreError> {
        let load = async { self.0.store.seats(id).await.map(Some) };
        Ok(self.0.seat_lists.get(id, load).await?.unwrap_or_default())
    }

    /// Drops the cached seats (one was added, changed or removed).
    pub fn forget_seats(&self, id: &str) {
        self.0.seat_lists.forget(id);
    }

    /// Drops the cached record (it changed in the store).
    pub fn forget_record(&self, id: &str) {
        self.0.records.forget(id);
    }

    /// The room's record changed in the store (a new join link): drops it here and tells the
    /// other nodes to.
    pub fn record_changed(&self, id: &str) {
        self.forget_record(id);
        if let Some(nodes) = &self.0.nodes {
            nodes.record_changed(id);
        }
    }

    /// What a connection of a seat watches: the seat's name and group, kept current by
    /// [`Self::seat_changed`], until [`Self::close_seat`]. Holding the receiver counts the
    /// connection as the seat's ([`Self::seat_online`]).
    pub fn seat_watch(&self, room: &str, seat: &SeatRecord) -> watch::Receiver<SeatLive> {
        let live = SeatLive::of(seat);
        let entry = self
            .0
            .seats
            .entry((room.to_string(), seat.seat_id.clone()))
            .or_insert_with(|| watch::channel(live.clone()).0);
        entry.send_if_modified(|current| {
            let changed = *current != live;
            *current = live;
            changed
        });
        entry.subscribe()
    }

    /// The seat was renamed or moved: its connections on this node present it so from now on.
    pub fn seat_changed(&self, room: &str, seat: &SeatRecord) {
        if let Some(sender) = self.0.seats.get(&(room.to_string(), seat.seat_id.clone())) {
            sender.send_replace(SeatLive::of(seat));
        }
    }

    /// Has the seat an open connection on this node?
    pub fn seat_online(&self, room: &str, seat: &str) -> bool {
        self.0
            .seats
            .get(&(room.to_string(), seat.to_string()))
            .is_some_and(|s| s.receiver_count() > 0)
    }

    /// Closes the seat's connections (it was removed), here and, through the other nodes, there.
    pub fn close_seat(&self, room: &str, seat: &str) {
        self.close_seat_here(room, seat);
        if let Some(nodes) = &self.0.nodes {
            nodes.seat_removed(room, seat);
        }
    }

    /// Closes the seat's connections on this node (another node removed it).
    pub fn close_seat_here(&self, room: &str, seat: &str) {
        if let Some((_, sender)) = self.0.seats.remove(&(room.to_string(), seat.to_string())) {
            sender.send_replace(SeatLive::Removed);
        }
    }

    /// Opens the room, loading it if this process does not have it, and holds it open until the
    /// handle is dropped.
    pub async fn open(&self, id: &str) -> Result<RoomHandle, OpenError> {
        loop {
            let slot = self.0.live.entry(id.to_string()).or_default().clone();
            let loaded = slot.room.get_or_try_init(|| self.load(id)).await;
            let room = match loaded {
                Ok(room) => room.clone(),
                Err(error) => {
                    self.0
                        .live
                        .remove_if(id, |_, s| Arc::ptr_eq(s, &slot) && s.room.get().is_none());
                    return Err(error);
                }
            };
            if room.acquire() {
                let handle = RoomHandle {
                    room,
                    rooms: self.clone(),
                };
                // Deleted while it loaded (`deleted_here` evicts only a room already in its slot).
                if self.0.deleted.contains(id) {
                    handle.evict(RoomError::Deleted(None));
                    return Err(OpenError::NotFound(id.to_string()));
                }
                return Ok(handle);
            }
            // Unloading or evicted: its state is in the store (or was never written); start anew.
            self.forget(&room);
            tokio::task::yield_now().await;
        }
    }

    async fn load(&self, id: &str) -> Result<Arc<Room>, OpenError> {
        // The rooms loaded so far (this one is not yet).
        if self.loaded() >= self.0.max_loaded {
            crate::metrics::limit_hit("rooms_loaded");
            return Err(OpenError::Busy(
                id.to_string(),
                format!(
                    "this server holds as many workshops open as it may ({}, --max-rooms-loaded); try again later",
                    self.0.max_loaded
                ),
            ));
        }
        // What this node spooled during a Redis outage (perhaps before it crashed) must be in the
        // store first: loaded without it, the room would never get it (see `writer.rs`).
        if !self.0.writer.drained(SPOOL_WAIT).await {
            return Err(OpenError::Store(StoreError::Redis(
                "this node's outage spool is not written to Redis yet; try again".into(),
            )));
        }
        let record = self
            .record(id)
            .await?
            .ok_or_else(|| OpenError::NotFound(id.to_string()))?;
        let wall = self.0.store.load_doc(id, DocKind::Wall).await?;
        let control = self.0.store.load_doc(id, DocKind::Control).await?;
        let suspect = [
            suspect(DocKind::Wall, &wall),
            suspect(DocKind::Control, &control),
        ];
        let (room, aside) = Room::from_stored(
            (*record).clone(),
            wall,
            control,
            self.0.limits,
            self.0.nodes.clone(),
        );
        let room = Arc::new(room);
        for (doc, state) in [(&room.wall, &suspect[0]), (&room.control, &suspect[1])] {
            let aside: Vec<&SetAside> = aside.iter().filter(|a| a.doc == doc.kind).collect();
            self.mend(doc, state.as_deref(), &aside).await?;
        }
        tracing::info!(room = id, "room loaded");
        crate::metrics::room_loaded();
        if let Some(nodes) = &self.0.nodes {
            nodes.query(id, DocKind::Wall);
            nodes.query(id, DocKind::Control);
        }
        self.0.loaded.notify_waiters();
        Ok(room)
    }

    /// The room's document for group `group` (a column of its control document), loaded once
    /// from the store on first use and kept as long as the room is.
    pub async fn group_doc(&self, room: &Room, group: GroupId) -> Result<Arc<LiveDoc>, OpenError> {
        let busy = || OpenError::Busy(room.id().to_string(), "the room is broken".into());
        let slot = room.group_slot(group).ok_or_else(busy)?;
        let doc = slot
            .get_or_try_init(|| async {
                let kind = DocKind::Group(group);
                let stored = self.0.store.load_doc(room.id(), kind).await?;
                let state = suspect(kind, &stored);
                let (doc, aside) = room.group_from_stored(group, &stored);
                self.mend(&doc, state.as_deref(), &aside.iter().collect::<Vec<_>>())
                    .await?;
                if let Some(nodes) = &self.0.nodes {
                    nodes.query(room.id(), kind);
                }
                // The stream reader follows it from its next read on.
                self.0.loaded.notify_waiters();
                Ok::<_, OpenError>(doc)
            })
            .await?;
        Ok(doc.clone())
    }

    /// Every group document of the room's current columns (for the sheet, exports, snapshots).
    pub async fn group_docs(&self, room: &Room) -> Result<Vec<Arc<LiveDoc>>, OpenError> {
        let busy = |e: RoomError| OpenError::Busy(room.id().to_string(), e.to_string());
        let (_, columns, _) = room
            .read_control(kortvaeg_shared::projection::structure)
            .map_err(busy)?;
        let mut docs = Vec::new();
        for column in columns {
            if let Some(id) = GroupId::new(&column.id) {
                docs.push(self.group_doc(room, id).await?);
            }
        }
        Ok(docs)
    }

    /// Repairs what loading a document found: a stored state holding types the schema has no
    /// use for (kept aside first, then removed like any change), and stored updates that did
    /// not load (kept aside; the compaction the room queues drops the log entries they came
    /// from). Before the document is served.
    async fn mend(
        &self,
        doc: &LiveDoc,
        suspect: Option<&[u8]>,
        aside: &[&SetAside],
    ) -> Result<(), OpenError> {
        let (id, kind) = (doc.room(), doc.kind);
        if let Some(state) = suspect {
            self.0.store.set_aside(id, kind, state).await?;
            let removed = doc
                .change(&self.0.writer, |txn| stored::repair(kind.schema(), txn))
                .map_err(|error| OpenError::Busy(id.to_string(), error.to_string()))?;
            tracing::error!(room = id, doc = %kind.key(), removed, "the stored state held types the schema has no use for; removed (the state is set aside)");
        }
        for SetAside { update, reason, .. } in aside {
            tracing::error!(room = id, doc = %kind.key(), bytes = update.len(), %reason, "a stored update did not load; set aside");
            self.0.store.set_aside(id, kind, update).await?;
            crate::metrics::update_set_aside(kind);
            doc.needs_compaction();
        }
        Ok(())
    }

    /// Every loaded room that is not evicted.
    pub fn live(&self) -> Vec<Arc<Room>> {
        self.0
            .live
            .iter()
            .filter_map(|slot| slot.room.get().cloned())
            .filter(|room| !room.is_evicted())
            .collect()
    }

    /// The room if it is loaded, without holding it open.
    pub fn live_room(&self, id: &str) -> Option<Arc<Room>> {
        self.0
            .live
            .get(id)
            .and_then(|slot| slot.room.get().cloned())
            .filter(|room| !room.is_evicted())
    }

    /// Resolves at the next room load.
    pub async fn loaded_notified(&self) {
        self.0.loaded.notified().await
    }

    /// Rooms loaded in this process.
    pub fn loaded(&self) -> usize {
        self.0
            .live
            .iter()
            .filter(|slot| slot.room.get().is_some())
            .count()
    }

    fn forget(&self, room: &Arc<Room>) {
        self.0.live.remove_if(room.id(), |_, slot| {
            slot.room.get().is_some_and(|r| Arc::ptr_eq(r, room))
        });
    }

    /// Queues a compaction of every document and waits until the store has everything.
    async fn flush(&self, room: &Arc<Room>) -> bool {
        for doc in room.docs() {
            if let Err(error) = doc.compact_if_needed(&self.0.writer) {
                tracing::warn!(room = room.id(), %error, "compaction not queued");
            }
        }
        self.0.writer.flush(room.eviction().clone()).await
    }

    async fn unload_when_idle(self, room: Arc<Room>) {
        tokio::time::sleep(self.0.unload_after).await;
        if room.holders() > 0 {
            return;
        }
        if !room.is_evicted() && !self.flush(&room).await {
            tracing::warn!(
                room = room.id(),
                "flush before unload failed; the room reloads from the store"
            );
        }
        if room.begin_unload() {
            self.forget(&room);
            tracing::info!(room = room.id(), "room unloaded");
            crate::metrics::room_unloaded();
            drop(room);
            crate::memory::release_freed();
        }
    }

    /// Flushes every loaded room (at shutdown). Returns how many flushed completely.
    pub async fn flush_all(&self) -> (usize, usize) {
        let rooms: Vec<Arc<Room>> = self
            .0
            .live
            .iter()
            .filter_map(|slot| slot.room.get().cloned())
            .collect();
        let mut ok = 0;
        for room in &rooms {
            if !room.is_evicted() && self.flush(room).await {
                ok += 1;
            }
        }
        (ok, rooms.len())
    }
}

/// Holds a room open; dropping the last handle schedules the unload.
pub struct RoomHandle {
    room: Arc<Room>,
    rooms: Rooms,
}

impl Deref for RoomHandle {
    type Target = Arc<Room>;
    fn deref(&self) -> &Arc<Room> {
        &self.room
    }
}

impl Drop for RoomHandle {
    fn drop(&mut self) {
        if self.room.release() == 0 {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(self.rooms.clone().unload_when_idle(self.room.clone()));
            }
        }
    }
}
