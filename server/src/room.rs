//! One live room: its two Yjs documents (wall and control), each with its awareness and its
//! broadcast channel, and the count of who holds the room open.
//!
//! The data path for an update a client sends:
//! `connection` decodes it → [`LiveDoc::apply_update`] applies it under the document's lock and,
//! still under the lock, hands it to the [`Writer`] → the writer stores it (group commit) → only
//! then the writer broadcasts the encoded message, once, to every connection of the document.
//! Because the hand-over happens under the same lock as the apply, the writer sees updates in
//! the order the document did; answers to a sync step 1 take the same queue, so no client is ever
//! shown a state that is not yet in the store.
//!
//! Before any of that, the update passes the schema gate ([`kortvaeg_shared::gate`]) and the
//! document's size limit: a refused update closes its sender (4400, 4413) and nothing else.
//!
//! Locks: each document sits behind a std `Mutex`, held only for synchronous work (apply, encode)
//! and never across `.await`. A panic while it is held poisons it; the room then counts as broken:
//! it is evicted (its clients are closed with 1011) and the next connection loads it afresh from
//! the store. The same happens when an update that passed the gate still fails to apply (the
//! document may hold part of it). Nothing else evicts a room.
//!
//! Loading never fails on content: stored updates are applied one by one and one that does not
//! apply (or that the gate refuses) is set aside ([`SetAside`]) while the rest load; a compaction
//! is only stored when its state loads back into a fresh document.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{broadcast, watch};
use yrs::sync::{Awareness, AwarenessUpdate, Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact, TransactionMut, Update};

use crate::cluster::ClusterLink;
use crate::connection::{Close, Outbox};
use crate::store::redis::StreamEntry;
use crate::store::{DocKind, RoomRecord, StoredDoc, StreamId, WriteOp};
use crate::writer::{Permit, Then, Writer};
use kortvaeg_shared::projection;
use kortvaeg_shared::{gate, stored};

/// Identifies one WebSocket connection within the process.
pub type ConnId = u64;

/// The sender of messages that go to every connection (connection ids start at 1).
pub const NOBODY: ConnId = 0;

/// How long awareness changes are collected before they are relayed as one message.
pub const AWARENESS_TICK: Duration = Duration::from_millis(30);

/// A message for every connection of a document except the one it came from.
#[derive(Debug, Clone)]
pub struct Outbound {
    pub from: ConnId,
    pub frame: Bytes,
}

pub struct Room {
    pub record: RoomRecord,
    pub wall: LiveDoc,
    pub control: LiveDoc,
    /// Mirrors the control document's `meta.phase == "closed"`: the wall is then read-only for
    /// participants. Kept here so the permission check on every wall update reads an atomic
    /// instead of the control document.
    wall_closed: AtomicBool,
    /// Holders of the room (connections and REST requests), and whether it is being unloaded.
    presence: Mutex<Presence>,
    /// Set once when the room must be dropped without a flush (a store write failed, a document
    /// lock was poisoned): every connection closes with this reason and the next one reloads the
    /// room from the store.
    evicted: Eviction,
    /// Redis: where local awareness changes go so other nodes relay them. `None`: one node.
    cluster: Option<ClusterLink>,
}

#[derive(Debug, Default)]
struct Presence {
    holders: usize,
    unloading: bool,
}

/// The room's eviction flag, shared by the room and its documents (a poisoned document lock
/// evicts the room it belongs to).
#[derive(Clone)]
struct Eviction(Arc<watch::Sender<Option<Close>>>);

impl Eviction {
    fn new() -> Self {
        Eviction(Arc::new(watch::channel(None).0))
    }

    /// Sets the reason; the first one wins.
    fn evict(&self, reason: Close) {
        self.0.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(reason);
                true
            } else {
                false
            }
        });
    }

    fn is_set(&self) -> bool {
        self.0.borrow().is_some()
    }
}

/// A stored update that did not load: the room loads without it, and the store keeps it aside
/// (see [`crate::store::Store::set_aside`]) so nothing is thrown away.
#[derive(Debug, Clone)]
pub struct SetAside {
    pub doc: DocKind,
    pub update: Vec<u8>,
    pub reason: String,
}

/// What one connection may put into a document's awareness, from the flags.
#[derive(Debug, Clone, Copy)]
pub struct AwarenessLimits {
    /// Largest presence state (its JSON), in bytes (`--max-awareness-bytes`).
    pub max_state_bytes: usize,
    /// Most presence ids one connection may set (`--max-presence-ids`).
    pub max_ids: usize,
}

/// What the documents of a room may weigh, from the flags.
#[derive(Debug, Clone, Copy)]
pub struct DocLimits {
    /// Client queue of the wall (the control document gets an eighth, at least 64).
    pub queue: usize,
    /// Most bytes a document's full state may take (`--max-doc-bytes`): what a joiner's greeting weighs.
    pub max_doc_bytes: usize,
}

impl Room {
    /// Builds a live room from what the store holds, with the stored updates that did not load.
    pub fn from_stored(
        record: RoomRecord,
        wall: StoredDoc,
        control: StoredDoc,
        limits: DocLimits,
        cluster: Option<ClusterLink>,
    ) -> (Self, Vec<SetAside>) {
        let evicted = Eviction::new();
        let (wall_doc, mut aside) = doc_from_stored(&wall, DocKind::Wall);
        let wall = LiveDoc::new(
            DocKind::Wall,
            wall_doc,
            &wall,
            limits.queue,
            limits.max_doc_bytes,
            evicted.clone(),
        );
        let (control_doc, control_aside) = doc_from_stored(&control, DocKind::Control);
        aside.extend(control_aside);
        let closed = projection::phase(&control_doc) == kortvaeg_shared::schema::phase::CLOSED;
        // The control document changes a few times a workshop (phase, timer, structure) and
        // carries no presence from the web client: a short ring is plenty, and the ring is
        // allocated up front for every room (BENCHMARKS.md, memory per room).
        let control_queue = (limits.queue / 8).max(64);
        let control = LiveDoc::new(
            DocKind::Control,
            control_doc,
            &control,
            control_queue,
            limits.max_doc_bytes,
            evicted.clone(),
        );
        let room = Room {
            record,
            wall,
            control,
            wall_closed: AtomicBool::new(closed),
            presence: Mutex::new(Presence::default()),
            evicted,
            cluster,
        };
        (room, aside)
    }

    pub fn id(&self) -> &str {
        &self.record.id
    }

    pub fn doc(&self, kind: DocKind) -> &LiveDoc {
        match kind {
            DocKind::Wall => &self.wall,
            DocKind::Control => &self.control,
        }
    }

    pub fn wall_closed(&self) -> bool {
        self.wall_closed.load(Ordering::Acquire)
    }

    fn refresh_phase(&self) -> Result<(), Close> {
        let inner = self.control.lock()?;
        let closed =
            projection::phase(inner.awareness.doc()) == kortvaeg_shared::schema::phase::CLOSED;
        self.wall_closed.store(closed, Ordering::Release);
        Ok(())
    }

    /// Counts one more holder, unless the room is being unloaded or was evicted.
    pub fn acquire(&self) -> bool {
        let Ok(mut p) = self.presence.lock() else {
            return false;
        };
        if p.unloading || self.evicted.is_set() {
            return false;
        }
        p.holders += 1;
        true
    }

    /// Counts one holder less; returns how many are left.
    pub fn release(&self) -> usize {
        match self.presence.lock() {
            Ok(mut p) => {
                p.holders = p.holders.saturating_sub(1);
                p.holders
            }
            Err(_) => 0,
        }
    }

    /// Marks the room as unloading if nobody holds it; after this `acquire` fails.
    pub fn begin_unload(&self) -> bool {
        let Ok(mut p) = self.presence.lock() else {
            return true;
        };
        if p.holders == 0 {
            p.unloading = true;
        }
        p.unloading
    }

    pub fn holders(&self) -> usize {
        self.presence.lock().map(|p| p.holders).unwrap_or(0)
    }

    /// Drops the room without a flush: its connections close with `reason`.
    pub fn evict(&self, reason: Close) {
        self.evicted.evict(reason);
    }

    pub fn is_evicted(&self) -> bool {
        self.evicted.is_set()
    }

    /// Resolves when the room is evicted, with the reason.
    pub fn evictions(&self) -> watch::Receiver<Option<Close>> {
        self.evicted.0.subscribe()
    }
}

/// The writer's places reserved for a change (before the document is touched) and, if one was
/// free, for the compaction it may trigger.
struct Handoff<'a> {
    permit: Permit<'a>,
    compaction: Option<Permit<'a>>,
}

/// One Yjs document of a live room, its awareness, and the channel its updates go out on.
pub struct LiveDoc {
    pub kind: DocKind,
    /// What the document may weigh (`--max-doc-bytes`).
    max_bytes: usize,
    /// The room's: a poisoned lock evicts the room.
    evicted: Eviction,
    inner: Mutex<DocInner>,
    /// Encoded once per update by the writer after the store has it; every connection of the
    /// document holds a receiver. A receiver that falls behind is closed, never skipped.
    broadcast: broadcast::Sender<Outbound>,
}

pub struct DocInner {
    /// The document, owned by its awareness (yrs's `Awareness` wraps the `Doc`).
    awareness: Awareness,
    /// Updates appended to the store's log since the last compaction.
    since_compaction: usize,
    /// Awareness states changed since the last relay (see [`LiveDoc::apply_awareness`]).
    awareness_changed: HashSet<ClientID>,
    /// Those of them changed by this node's clients, which other nodes must hear of.
    awareness_changed_here: HashSet<ClientID>,
    /// Awareness client ids set by this node's connections, each with the connection that owns
    /// it: the first to set it, until it closes. Another connection's update to an owned id is
    /// ignored, so one participant cannot rename or hide another's presence. The ids not here
    /// came from other nodes and expire if not renewed (a node that died cannot remove them).
    awareness_here: std::collections::HashMap<ClientID, ConnId>,
    /// Redis: the id of the last stream entry this document includes; the cluster reader
    /// continues from here, and a compaction covers the stream up to here. `None`: embedded.
    position: Option<StreamId>,
    /// The answer to a sync step 1 with an empty state vector (a client with nothing yet), encoded
    /// once and shared by every joiner until the document changes: a join storm costs one
    /// encoding and one buffer, not one per joiner (LESSONS.md).
    full_state: Option<Bytes>,
    /// Redis: stream entries read since the last compaction, and how many of them this node
    /// appended. A node compacts only a stream it writes to (see `cluster.rs`).
    read_since_compaction: usize,
    own_since_compaction: usize,
    /// At least what the document's full state weighs, in bytes: the size at the last load or
    /// compaction plus every update since (an update never grows the encoding by more than its
    /// own size). Measured exactly only when this bound reaches `--max-doc-bytes`.
    approx_bytes: usize,
}

impl DocInner {
    /// Applies an update another node stored or appended (v1). The shared full-state answer of
    /// [`LiveDoc::answer_sync_step1`] is stale from here on.
    fn apply_bytes(&mut self, bytes: &[u8]) -> Result<(), String> {
        let update = Update::decode_v1(bytes).map_err(|e| format!("does not decode: {e}"))?;
        self.full_state = None;
        self.approx_bytes += bytes.len();
        self.awareness
            .doc()
            .transact_mut()
            .apply_update(update)
            .map_err(|e| format!("does not apply: {e}"))
    }

    /// Refuses an update of `bytes` that would make the document's full state weigh more than
    /// `limit`; measures the state exactly (once) before refusing.
    fn make_room_for(&mut self, bytes: usize, limit: usize, kind: DocKind) -> Result<(), Close> {
        if self.approx_bytes + bytes <= limit {
            return Ok(());
        }
        self.approx_bytes = match &self.full_state {
            Some(frame) => frame.len(),
            None => self
                .awareness
                .doc()
                .transact()
                .encode_state_as_update_v1(&StateVector::default())
                .len(),
        };
        if self.approx_bytes + bytes <= limit {
            return Ok(());
        }
        crate::metrics::update_refused(kind, "size");
        Err(Close::too_large(format!(
            "the {} document is full: at most {limit} bytes (--max-doc-bytes)",
            kind.as_str()
        )))
    }

    /// The full state for a compaction, if it loads back into a fresh document; else `None`
    /// (logged and counted), and the log stays as it is.
    fn compaction_state(&mut self, room: &str, kind: DocKind) -> Option<Vec<u8>> {
        let state = self
            .awareness
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        match stored::loads_back(&state) {
            Ok(()) => {
                self.approx_bytes = state.len();
                Some(state)
            }
            Err(error) => {
                tracing::error!(room, doc = kind.as_str(), %error, "compaction skipped: the state would not load back");
                crate::metrics::compaction_skipped(kind);
                None
            }
        }
    }
}

impl LiveDoc {
    fn new(
        kind: DocKind,
        doc: Doc,
        stored: &StoredDoc,
        queue: usize,
        max_bytes: usize,
        evicted: Eviction,
    ) -> Self {
        let approx_bytes = stored
            .state
            .iter()
            .chain(stored.log.iter())
            .map(Vec::len)
            .sum();
        LiveDoc {
            kind,
            max_bytes,
            evicted,
            inner: Mutex::new(DocInner {
                awareness: Awareness::new(doc),
                since_compaction: 0,
                awareness_changed: HashSet::new(),
                awareness_changed_here: HashSet::new(),
                awareness_here: Default::default(),
                full_state: None,
                position: stored.position,
                read_since_compaction: 0,
                own_since_compaction: 0,
                approx_bytes,
            }),
            broadcast: broadcast::channel(queue.max(16)).0,
        }
    }

    /// The document, or — if a panic poisoned its lock — the room is evicted (its clients close
    /// with 1011 and the next connection reloads it from the store).
    fn lock(&self) -> Result<MutexGuard<'_, DocInner>, Close> {
        self.inner.lock().map_err(|_| {
            tracing::error!(
                doc = self.kind.as_str(),
                "a document lock was poisoned; evicting the room"
            );
            crate::metrics::room_evicted("poisoned");
            self.evicted.evict(Close::room_broken());
            Close::room_broken()
        })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Outbound> {
        self.broadcast.subscribe()
    }

    pub fn publish(&self, out: Outbound) {
        // An error only means nobody is listening.
        let _ = self.broadcast.send(out);
    }

    /// The first messages a new connection gets: the server's sync step 1 and, if anyone is
    /// present, the awareness states.
    pub fn greeting(&self) -> Result<Vec<Bytes>, Close> {
        let inner = self.lock()?;
        let sv = inner.awareness.doc().transact().state_vector();
        let mut frames = vec![Bytes::from(
            Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1(),
        )];
        if let Ok(update) = inner.awareness.update() {
            if !update.clients.is_empty() {
                frames.push(Bytes::from(Message::Awareness(update).encode_v1()));
            }
        }
        Ok(frames)
    }

    /// Would `update` change this document? False when every struct it carries is already here
    /// and every range it deletes is already deleted. Stock y-websocket answers the server's sync
    /// step 1 with its whole delete set, so a read-only client that has seen any deletion sends
    /// such an update on every (re)connect; it is harmless and must not be refused.
    pub fn would_change(&self, update: &Update) -> Result<bool, Close> {
        let inner = self.lock()?;
        let txn = inner.awareness.doc().transact();
        let sv = txn.state_vector();
        for (client, ranges) in update.insertions(true).iter() {
            if ranges.iter().any(|r| r.end > sv.get(client)) {
                return Ok(true);
            }
        }
        if update.delete_set().is_empty() {
            return Ok(false);
        }
        let deleted = txn.snapshot().delete_set;
        for client in update.delete_set().client_ids() {
            let Some(asked) = update.delete_set().get(&client) else {
                continue;
            };
            if !deleted
                .get(&client)
                .is_some_and(|have| asked.subset_of(have))
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Answers a client's sync step 1 with what it lacks. The answer goes through the writer's
    /// queue so that it leaves only after every update it contains is stored.
    pub fn answer_sync_step1(
        &self,
        room: &Arc<Room>,
        writer: &Writer,
        sv: &StateVector,
        to: &Outbox,
    ) -> Result<(), Close> {
        let permit = writer.reserve()?;
        let mut inner = self.lock()?;
        let step2 = |inner: &DocInner| {
            let diff = inner.awareness.doc().transact().encode_diff_v1(sv);
            Bytes::from(Message::Sync(SyncMessage::SyncStep2(diff)).encode_v1())
        };
        let frame = if sv.is_empty() {
            match &inner.full_state {
                Some(frame) => frame.clone(),
                None => {
                    let frame = step2(&inner);
                    inner.full_state = Some(frame.clone());
                    frame
                }
            }
        } else {
            step2(&inner)
        };
        permit.send(
            room.clone(),
            None,
            Then::Reply {
                to: to.clone(),
                frame,
            },
        );
        Ok(())
    }

    /// Applies a client's update, then hands it to the writer to store and broadcast.
    /// `update` must already be checked against the sender's permissions, and read by the gate
    /// (`reading`), which here checks it against the document.
    pub fn apply_update(
        &self,
        room: &Arc<Room>,
        writer: &Writer,
        from: ConnId,
        raw: Vec<u8>,
        update: Update,
        reading: gate::Reading,
    ) -> Result<(), Close> {
        let permit = writer.reserve_change()?;
        let compaction = writer.reserve().ok();
        let mut inner = self.lock()?;
        if let Err(refusal) = reading.verify(&inner.awareness.doc().transact()) {
            crate::metrics::update_refused(self.kind, "schema");
            return Err(Close::bad_message(format!("update refused: {refusal}")));
        }
        inner.make_room_for(raw.len(), self.max_bytes, self.kind)?;
        let applied = inner.awareness.doc().transact_mut().apply_update(update);
        if let Err(e) = applied {
            // It passed the gate and still failed: the document may hold part of it, so its
            // integrity is in doubt. Drop the room; the next connection reloads it from the store.
            drop(inner);
            tracing::error!(room = room.id(), doc = self.kind.as_str(), error = %e, "an update that passed the gate did not apply; evicting the room");
            crate::metrics::room_evicted("apply");
            room.evict(Close::room_broken());
            return Err(Close::bad_message(format!(
                "the update could not be applied: {e}"
            )));
        }
        inner.approx_bytes += raw.len();
        self.hand_off(
            room,
            writer,
            inner,
            Handoff { permit, compaction },
            from,
            Bytes::from(raw),
        )
    }

    /// Changes the document on the server's own behalf (an import): runs `f` in one transaction
    /// and hands the update it made to the writer exactly as a client's update, so it is stored
    /// before anyone is sent it. A transaction that changed nothing is not stored. The caller
    /// checks permissions. `f` must not panic (it runs under the document's lock).
    pub fn change<R>(
        &self,
        room: &Arc<Room>,
        writer: &Writer,
        f: impl FnOnce(&mut TransactionMut) -> R,
    ) -> Result<R, Close> {
        let permit = writer.reserve_change()?;
        let compaction = writer.reserve().ok();
        let inner = self.lock()?;
        let (result, update) = {
            let mut txn = inner.awareness.doc().transact_mut();
            let result = f(&mut txn);
            let changed = !txn.insert_set().is_empty() || !txn.delete_set().is_empty();
            (result, changed.then(|| txn.encode_update_v1()))
        };
        if let Some(update) = update {
            self.hand_off(
                room,
                writer,
                inner,
                Handoff { permit, compaction },
                NOBODY,
                Bytes::from(update),
            )?;
        }
        Ok(result)
    }

    /// The one way a change leaves a document: still under its lock (so the writer sees changes
    /// in the document's order), the update goes to the writer to be stored and then broadcast to
    /// every connection but `from`; a compaction is queued when the log is long enough.
    fn hand_off(
        &self,
        room: &Arc<Room>,
        writer: &Writer,
        mut inner: MutexGuard<'_, DocInner>,
        handoff: Handoff<'_>,
        from: ConnId,
        update: Bytes,
    ) -> Result<(), Close> {
        inner.full_state = None;
        crate::metrics::update_accepted(self.kind, from != NOBODY);
        handoff.permit.send(
            room.clone(),
            Some(WriteOp::Append {
                room: room.id().to_string(),
                doc: self.kind,
                update: update.clone(),
            }),
            Then::Broadcast {
                doc: self.kind,
                from,
                update,
            },
        );
        inner.since_compaction += 1;
        // With Redis the cluster reader compacts, by stream position (see `cluster.rs`).
        if inner.position.is_none() && inner.since_compaction >= writer.compact_after() {
            if let Some(permit) = handoff.compaction {
                self.compact(room, &mut inner, permit);
            }
        }
        drop(inner);
        if self.kind == DocKind::Control {
            room.refresh_phase()?;
        }
        Ok(())
    }

    /// Makes the next [`Self::compact_if_needed`] compact (the log holds updates set aside).
    pub fn needs_compaction(&self) {
        if let Ok(mut inner) = self.lock() {
            inner.since_compaction = inner.since_compaction.max(1);
        }
    }

    /// Queues a compaction if anything was appended since the last one (used before unloading).
    pub fn compact_if_needed(&self, room: &Arc<Room>, writer: &Writer) -> Result<(), Close> {
        let permit = writer.reserve()?;
        let mut inner = self.lock()?;
        if inner.since_compaction > 0 {
            self.compact(room, &mut inner, permit);
        }
        Ok(())
    }

    /// Queues a compaction of the document as it is now, if its state loads back; the count
    /// toward the next one starts again either way.
    fn compact(&self, room: &Arc<Room>, inner: &mut DocInner, permit: Permit<'_>) {
        inner.since_compaction = 0;
        if let Some(state) = inner.compaction_state(room.id(), self.kind) {
            let op = WriteOp::Compact {
                room: room.id().to_string(),
                doc: self.kind,
                state,
                upto: inner.position,
            };
            permit.send(room.clone(), Some(op), Then::Nothing);
        }
    }

    /// Applies an awareness update. Only the states it changed (a newer clock) are relayed, and
    /// not at once: changes are collected for [`AWARENESS_TICK`] and sent as one message, so a
    /// burst of cursor moves in a big room costs one fan-out, not one per move (LESSONS.md,
    /// awareness storms). `announced` holds the client ids this connection set a state for (so
    /// it can remove them when it closes); a state over `limits.max_state_bytes`, or more than
    /// `limits.max_ids` ids on one connection, refuses the whole update (4413, 4429).
    pub fn apply_awareness(
        &self,
        room: &Arc<Room>,
        conn: ConnId,
        mut update: AwarenessUpdate,
        announced: &mut HashSet<ClientID>,
        limits: AwarenessLimits,
    ) -> Result<(), Close> {
        if let Some(entry) = update
            .clients
            .values()
            .find(|entry| entry.json.len() > limits.max_state_bytes)
        {
            return Err(Close::too_large(format!(
                "a presence state of {} bytes: at most {} (--max-awareness-bytes)",
                entry.json.len(),
                limits.max_state_bytes
            )));
        }
        let mut inner = self.lock()?;
        update.clients.retain(|id, _| {
            inner
                .awareness_here
                .get(id)
                .is_none_or(|owner| *owner == conn)
        });
        if update.clients.is_empty() {
            return Ok(());
        }
        let new: Vec<ClientID> = update
            .clients
            .iter()
            .filter(|(id, entry)| entry.json.as_ref() != "null" && !announced.contains(id))
            .map(|(id, _)| *id)
            .collect();
        if announced.len() + new.len() > limits.max_ids {
            return Err(Close::too_many(format!(
                "more than {} presence ids on one connection (--max-presence-ids)",
                limits.max_ids
            )));
        }
        let summary = inner
            .awareness
            .apply_update_summary(update)
            .map_err(|e| Close::bad_message(format!("bad awareness update: {e}")))?;
        inner
            .awareness_here
            .extend(new.iter().map(|id| (*id, conn)));
        announced.extend(new);
        if let Some(summary) = summary {
            self.mark_awareness_changed(room, &mut inner, summary.all_changes(), true);
        }
        Ok(())
    }

    /// Removes the awareness states a closed connection had set, for everyone.
    pub fn remove_awareness(&self, room: &Arc<Room>, conn: ConnId, clients: &[ClientID]) {
        if clients.is_empty() {
            return;
        }
        let Ok(mut inner) = self.lock() else { return };
        let owned: Vec<ClientID> = clients
            .iter()
            .copied()
            .filter(|id| inner.awareness_here.get(id) == Some(&conn))
            .collect();
        for id in &owned {
            inner.awareness.remove_state(*id);
            inner.awareness_here.remove(id);
        }
        self.mark_awareness_changed(room, &mut inner, owned, true);
    }

    /// Applies an awareness update another node relayed; only its changes go to local clients.
    pub fn apply_remote_awareness(&self, room: &Arc<Room>, mut update: AwarenessUpdate) {
        let Ok(mut inner) = self.lock() else { return };
        // A state one of this node's connections owns is that connection's alone.
        update
            .clients
            .retain(|id, _| !inner.awareness_here.contains_key(id));
        if let Ok(Some(summary)) = inner.awareness.apply_update_summary(update) {
            self.mark_awareness_changed(room, &mut inner, summary.all_changes(), false);
        }
    }

    /// Removes awareness states from other nodes not renewed within `timeout` (clients renew
    /// theirs every 15 s; a state that stops is from a client whose node died).
    pub fn expire_remote_awareness(&self, room: &Arc<Room>, timeout: Duration) {
        let Ok(mut inner) = self.lock() else { return };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let stale: Vec<ClientID> = inner
            .awareness
            .iter()
            .filter(|(id, state)| {
                state.data.is_some()
                    && !inner.awareness_here.contains_key(id)
                    && now.saturating_sub(state.last_updated) > timeout.as_millis() as u64
            })
            .map(|(id, _)| id)
            .collect();
        if stale.is_empty() {
            return;
        }
        for id in &stale {
            inner.awareness.remove_state(*id);
        }
        self.mark_awareness_changed(room, &mut inner, stale, false);
    }

    /// Every awareness state this node knows, for another node that asked.
    pub fn awareness_update(&self) -> Option<AwarenessUpdate> {
        let inner = self.lock().ok()?;
        inner
            .awareness
            .update()
            .ok()
            .filter(|u| !u.clients.is_empty())
    }

    /// Adds `changed` to the states to relay; the first change of a tick schedules the relay.
    fn mark_awareness_changed(
        &self,
        room: &Arc<Room>,
        inner: &mut DocInner,
        changed: Vec<ClientID>,
        here: bool,
    ) {
        let first = inner.awareness_changed.is_empty();
        if here {
            inner.awareness_changed_here.extend(changed.iter().copied());
        }
        inner.awareness_changed.extend(changed);
        if first && !inner.awareness_changed.is_empty() {
            let room = room.clone();
            let kind = self.kind;
            tokio::spawn(async move {
                tokio::time::sleep(AWARENESS_TICK).await;
                room.doc(kind).relay_awareness(&room);
            });
        }
    }

    /// Sends the awareness states changed since the last relay, in one message, to everyone
    /// (the sender's own state comes back with the same clock and is ignored by its client).
    fn relay_awareness(&self, room: &Room) {
        let Ok(mut inner) = self.lock() else { return };
        let changed = std::mem::take(&mut inner.awareness_changed);
        let here = std::mem::take(&mut inner.awareness_changed_here);
        let to_nodes = match &room.cluster {
            Some(_) if !here.is_empty() => inner.awareness.update_with_clients(here).ok(),
            _ => None,
        };
        let local = inner.awareness.update_with_clients(changed);
        drop(inner);
        if let Ok(update) = local {
            self.publish(Outbound {
                from: NOBODY,
                frame: Bytes::from(Message::Awareness(update).encode_v1()),
            });
        }
        if let (Some(cluster), Some(update)) = (&room.cluster, to_nodes) {
            cluster.awareness(room.id(), self.kind, &update);
        }
    }

    /// Where the cluster reader continues in this document's stream.
    pub fn position(&self) -> Option<StreamId> {
        self.lock().ok().and_then(|inner| inner.position)
    }

    /// Applies what one read of the cluster reader found for this document: first `state`, the
    /// stored state when another node compacted past where the read started (the entries it
    /// trimmed may never have reached this node), then the stream `entries` other nodes appended
    /// (this node's own were applied when its clients sent them). All under one lock, so the
    /// document always holds everything up to its position: a compaction of this node, which
    /// encodes the document at its position, can never store a state that lacks a trimmed entry.
    /// What was new goes to local clients as one merged update. Returns whether this node should
    /// now compact the stream: `compact_after` entries were read since the last compaction and
    /// this node wrote some of them (a node that only reads leaves it to writers).
    pub fn apply_remote(
        &self,
        room: &Arc<Room>,
        node: &str,
        state: Option<(StreamId, Vec<u8>)>,
        entries: Vec<StreamEntry>,
        compact_after: usize,
    ) -> bool {
        let Ok(mut inner) = self.lock() else {
            return false;
        };
        let mut fresh = Vec::new();
        if let Some((id, state)) = state {
            match inner.apply_bytes(&state) {
                Ok(()) => {
                    inner.position = inner.position.max(Some(id));
                    fresh.push((NOBODY, Bytes::from(state)));
                }
                // Position stays: the entries after it are still read; the next compaction
                // (of any node) stores a state this node will try again.
                Err(error) => {
                    tracing::warn!(room = room.id(), %error, "stored state does not apply")
                }
            }
        }
        for entry in entries {
            if inner.position.is_some_and(|p| entry.id <= p) {
                continue;
            }
            inner.position = Some(entry.id);
            inner.read_since_compaction += 1;
            if entry.node == node {
                inner.own_since_compaction += 1;
                continue;
            }
            match inner.apply_bytes(&entry.update) {
                Ok(()) => fresh.push((NOBODY, Bytes::from(entry.update))),
                Err(error) => {
                    // The document may hold part of it: reload the room, which sets it aside.
                    tracing::error!(room = room.id(), id = %entry.id, %error, "a stream entry did not apply; evicting the room");
                    crate::metrics::room_evicted("apply");
                    drop(inner);
                    room.evict(Close::room_broken());
                    return false;
                }
            }
        }
        let compact =
            inner.read_since_compaction >= compact_after && inner.own_since_compaction > 0;
        drop(inner);
        if !fresh.is_empty() {
            self.publish_updates(fresh);
            if self.kind == DocKind::Control {
                let _ = room.refresh_phase();
            }
        }
        compact
    }

    /// The document's full state and the stream position it contains, for a compaction; the
    /// counts toward the next one start again.
    pub fn compaction_state(&self, room: &str) -> Option<(Vec<u8>, StreamId)> {
        let mut inner = self.lock().ok()?;
        let position = inner.position?;
        inner.read_since_compaction = 0;
        inner.own_since_compaction = 0;
        let state = inner.compaction_state(room, self.kind)?;
        Some((state, position))
    }

    /// Sends Yjs updates to the document's connections as one message: a single update skips
    /// its sender; several are merged (from several senders, so everyone gets them; a client
    /// ignores what it already has).
    pub fn publish_updates(&self, mut updates: Vec<(ConnId, Bytes)>) {
        let frame = |update: &[u8]| {
            Bytes::from(Message::Sync(SyncMessage::Update(update.to_vec())).encode_v1())
        };
        if updates.len() == 1 {
            let (from, update) = updates.remove(0);
            self.publish(Outbound {
                from,
                frame: frame(&update),
            });
            return;
        }
        match yrs::merge_updates_v1(updates.iter().map(|(_, u)| u.as_ref())) {
            Ok(merged) => self.publish(Outbound {
                from: NOBODY,
                frame: frame(&merged),
            }),
            Err(error) => {
                tracing::warn!(%error, "merging updates failed; sending them one by one");
                for (from, update) in updates {
                    self.publish(Outbound {
                        from,
                        frame: frame(&update),
                    });
                }
            }
        }
    }

    /// The whole awareness state as a message, for an awareness query.
    pub fn awareness_message(&self) -> Result<Option<Bytes>, Close> {
        let inner = self.lock()?;
        Ok(inner
            .awareness
            .update()
            .ok()
            .filter(|u| !u.clients.is_empty())
            .map(|u| Bytes::from(Message::Awareness(u).encode_v1())))
    }

    /// The document's full state as one Yjs v1 update (for snapshots).
    pub fn encode_state(&self) -> Result<Vec<u8>, Close> {
        let inner = self.lock()?;
        let state = inner
            .awareness
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        Ok(state)
    }

    /// Runs `f` over the document (for projections: export, snapshots).
    pub fn read<R>(&self, f: impl FnOnce(&Doc) -> R) -> Result<R, Close> {
        let inner = self.lock()?;
        Ok(f(inner.awareness.doc()))
    }
}

/// Rebuilds a document from its stored state and log ([`stored::rebuild`]): what does not load
/// is set aside, the rest loads.
pub fn doc_from_stored(stored: &StoredDoc, kind: DocKind) -> (Doc, Vec<SetAside>) {
    let (doc, aside) = stored::rebuild(kind.schema(), stored.state.as_deref(), &stored.log);
    let update = |i: usize| match (&stored.state, i) {
        (Some(state), 0) => state.clone(),
        (Some(_), i) => stored.log[i - 1].clone(),
        (None, i) => stored.log[i].clone(),
    };
    let aside = aside
        .into_iter()
        .map(|(i, reason)| SetAside {
            doc: kind,
            update: update(i),
            reason,
        })
        .collect();
    (doc, aside)
}

#[cfg(test)]
mod tests {
    use yrs::updates::encoder::{Encoder, EncoderV1};
    use yrs::{Map, MapPrelim, WriteTxn, XmlElementPrelim};

    use super::*;
    use kortvaeg_shared::stored::loads_back;

    fn update(doc: &Doc, f: impl FnOnce(&mut TransactionMut)) -> Vec<u8> {
        let mut txn = doc.transact_mut();
        f(&mut txn);
        txn.encode_update_v1()
    }

    fn card(doc: &Doc, id: &str) -> Vec<u8> {
        update(doc, |txn| {
            let m = txn
                .get_or_insert_map("cards")
                .insert(txn, id, MapPrelim::default());
            m.insert(txn, "text", id);
        })
    }

    fn cards(doc: &Doc) -> Vec<String> {
        let txn = doc.transact();
        let mut ids: Vec<String> = txn
            .get_map("cards")
            .map(|m| m.keys(&txn).map(str::to_string).collect())
            .unwrap_or_default();
        ids.sort();
        ids
    }

    /// An item (client 99) whose parent is the plain value `parent`: the library fails half-way.
    fn under_a_value(parent: yrs::ID) -> Vec<u8> {
        use yrs::encoding::write::Write;
        let mut e = EncoderV1::new();
        e.write_var(1u32);
        e.write_var(1u32);
        e.write_client(ClientID::new(99));
        e.write_var(0u32);
        e.write_info(8 | 0b0010_0000);
        e.write_parent_info(false);
        e.write_left_id(&parent);
        e.write_string("x");
        e.write_len(1);
        e.write_any(&yrs::Any::from("x"));
        e.write_var(0u32);
        e.to_vec()
    }

    #[test]
    fn a_stored_update_that_does_not_load_is_set_aside_and_the_rest_load() {
        let client = Doc::with_client_id(7);
        let a = card(&client, "a");
        // Stored before the gate existed: a Y.XmlElement in the cards map (stock Yjs cannot read
        // the wall back), and an item under a plain value.
        let xml = update(&client, |txn| {
            txn.get_or_insert_map("cards")
                .insert(txn, "x", XmlElementPrelim::empty("p"));
        });
        let b = card(&client, "b");
        let bad_parent = under_a_value(yrs::ID::new(ClientID::new(7), 1));
        let c = card(&client, "c");
        let stored = StoredDoc {
            state: Some(a.clone()),
            log: vec![xml.clone(), b, bad_parent.clone(), vec![1, 2, 3], c],
            position: None,
        };
        let (doc, aside) = doc_from_stored(&stored, DocKind::Wall);
        // The XML element is refused, so every card after it (its clock follows) is too: a log is
        // applied in order, and what builds on a refused update cannot load either.
        let reasons: Vec<&str> = aside.iter().map(|a| a.reason.as_str()).collect();
        assert_eq!(aside.len(), 5, "{reasons:?}");
        assert_eq!(aside[0].update, xml);
        assert!(reasons[0].contains("Y.XmlElement"), "{reasons:?}");
        assert!(reasons[2].contains("not a shared type"), "{reasons:?}");
        assert!(
            reasons[3].contains("refused") || reasons[3].contains("decode"),
            "{reasons:?}"
        );
        assert_eq!(cards(&doc), vec!["a"]);
    }

    #[test]
    fn a_refused_log_entry_is_skipped_and_later_ones_load() {
        let client = Doc::with_client_id(7);
        let a = card(&client, "a");
        let b = card(&client, "b");
        let stored = StoredDoc {
            state: None,
            log: vec![a, under_a_value(yrs::ID::new(ClientID::new(7), 1)), b],
            position: None,
        };
        let (doc, aside) = doc_from_stored(&stored, DocKind::Wall);
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert_eq!(cards(&doc), vec!["a", "b"]);
        assert!(loads_back(
            &doc.transact()
                .encode_state_as_update_v1(&StateVector::default())
        )
        .is_ok());
    }

    #[test]
    fn a_state_with_missing_dependencies_does_not_load_back() {
        let client = Doc::with_client_id(7);
        let _first = card(&client, "a");
        let sv = client.transact().state_vector();
        let _second = card(&client, "b");
        let gap = client.transact().encode_state_as_update_v1(&sv);
        assert!(loads_back(&gap).unwrap_err().contains("pending"));
        assert!(loads_back(&[0xff, 0xff]).is_err());
        assert!(loads_back(
            &client
                .transact()
                .encode_state_as_update_v1(&StateVector::default())
        )
        .is_ok());
        // Deleted (garbage-collected) items in the middle are no gap.
        update(&client, |txn| {
            drop(txn.get_or_insert_map("cards").remove(txn, "a"))
        });
        let _ = card(&client, "c");
        let state = client
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        assert_eq!(loads_back(&state), Ok(()));
    }

    #[test]
    fn a_poisoned_document_lock_evicts_the_room() {
        let record = RoomRecord {
            id: "r".into(),
            title: "t".into(),
            template: "kmd-sag-exit".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            facilitator_digest: String::new(),
            participant_digest: String::new(),
            review_digest: String::new(),
        };
        let limits = DocLimits {
            queue: 16,
            max_doc_bytes: 1 << 20,
        };
        let (room, aside) = Room::from_stored(
            record,
            StoredDoc::default(),
            StoredDoc::default(),
            limits,
            None,
        );
        assert!(aside.is_empty());
        let room = Arc::new(room);
        assert!(room.acquire());
        let r = room.clone();
        let _ = std::thread::spawn(move || {
            let _guard = r.wall.inner.lock().unwrap();
            panic!("a panic under the document lock");
        })
        .join();
        assert!(!room.is_evicted());
        assert_eq!(room.wall.greeting().unwrap_err(), Close::room_broken());
        assert!(
            room.is_evicted(),
            "the room is evicted, so the next connection reloads it"
        );
        assert!(!room.acquire(), "an evicted room takes no new holders");
    }
}
