//! One Yjs document of a live room: the update path (check against the document, apply under
//! its lock, hand to the [`Writer`] still under the lock, so the writer stores changes in the
//! document's order and broadcasts each only once the store has it), the answers to a sync step
//! 1 (through the writer's queue too: no client is shown a state the store does not have),
//! compaction, and what other nodes appended to the document's stream. Its presence states are
//! in [`super::awareness`].
//!
//! Before any of that, the update passes the schema gate ([`kortvaeg_shared::gate`]) and the
//! document's size limit: a refused update closes its sender (4400, 4413) and nothing else.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use yrs::sync::{Awareness, Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact, TransactionMut, Update};

use super::compaction::LogSince;
use super::error::RoomError;
use super::eviction::Eviction;
use super::fanout::{ConnId, Fanout, Outbound, Outbox, Subscription, NOBODY};
use super::mirror::ControlMirror;
use super::nodes::{Cursor, Nodes, StreamEntry};
use super::writer::{Permit, Then, Writer};
use crate::store::{DocKind, StoredDoc, StreamId, WriteOp};
use kortvaeg_shared::{gate, stored};

/// A stored update that did not load: the room loads without it, and the store keeps it aside
/// (see [`crate::store::Store::set_aside`]) so nothing is thrown away.
#[derive(Debug, Clone)]
pub struct SetAside {
    pub doc: DocKind,
    pub update: Vec<u8>,
    pub reason: String,
}

/// The writer's places reserved for a change (before the document is touched) and, if one was
/// free, for the compaction it may trigger.
struct Handoff<'a> {
    permit: Permit<'a>,
    compaction: Option<Permit<'a>>,
}

/// What a document is made with ([`super::live::Room::from_stored`]).
pub struct Setup<'a> {
    pub room: Arc<str>,
    pub kind: DocKind,
    pub doc: Doc,
    pub stored: &'a StoredDoc,
    pub max_bytes: usize,
    pub evicted: Eviction,
    /// The control document: the room's mirror of it, kept current after each change.
    pub mirror: Option<Arc<ControlMirror>>,
    pub nodes: Option<Arc<dyn Nodes>>,
}

/// One Yjs document of a live room, its awareness, and the broadcast its updates go out on.
pub struct LiveDoc {
    pub kind: DocKind,
    /// The room's id (the store's key for its writes).
    room: Arc<str>,
    /// What the document may weigh (`--max-doc-bytes`).
    max_bytes: usize,
    /// The room's: a poisoned lock, or an update that fails half-way, evicts the room.
    evicted: Eviction,
    /// The control document: the room's mirror of it ([`ControlMirror`]).
    mirror: Option<Arc<ControlMirror>>,
    /// The other nodes (Redis), told of this node's presence changes. `None`: one node.
    pub(super) nodes: Option<Arc<dyn Nodes>>,
    pub(super) inner: Mutex<DocInner>,
    /// Encoded once per update by the writer after the store has it; every connection of the
    /// document holds a receiver. A receiver that falls behind is closed, never skipped.
    fanout: Fanout,
}

pub struct DocInner {
    /// The document, owned by its awareness (yrs's `Awareness` wraps the `Doc`).
    pub(super) awareness: Awareness,
    /// The log appended since the last compaction, and when the next is due.
    log: LogSince,
    /// Awareness states changed since the last relay (see [`LiveDoc::apply_awareness`]).
    pub(super) awareness_changed: HashSet<ClientID>,
    /// Those of them changed by this node's clients, which other nodes must hear of.
    pub(super) awareness_changed_here: HashSet<ClientID>,
    /// Awareness client ids set by this node's connections, each with the connection that owns
    /// it: the first to set it, until it closes. Another connection's update to an owned id is
    /// ignored, so one participant cannot rename or hide another's presence. The ids not here
    /// came from other nodes and expire if not renewed (a node that died cannot remove them).
    pub(super) awareness_here: std::collections::HashMap<ClientID, ConnId>,
    /// Several nodes: where this document is in its stream. `None`: one node (embedded store).
    cursor: Option<Cursor>,
    /// The answer to a sync step 1 with an empty state vector (a client with nothing yet), encoded
    /// once and shared by every joiner until the document changes: a join storm costs one
    /// encoding and one buffer, not one per joiner.
    full_state: Option<Bytes>,
    /// At least what the document's full state weighs, in bytes: the size at the last load or
    /// compaction plus every update since (an update never grows the encoding by more than its
    /// own size). Measured exactly only when this bound reaches `--max-doc-bytes`.
    approx_bytes: usize,
    /// The document's state vector, kept by [`LiveDoc::apply_update`] from what each update it
    /// applies reaches; `None` once anything else changed the document (built again when next
    /// needed). Building it visits every client of the document, and the gate needs it for
    /// every update (BENCHMARKS.md, issue 17).
    pub(super) clocks: Option<StateVector>,
}

impl DocInner {
    /// Moves the stream cursor to `id` if that is ahead.
    fn advance(&mut self, id: StreamId) {
        if let Some(cursor) = self.cursor.as_mut() {
            cursor.position = cursor.position.max(id);
        }
    }

    /// Applies an update another node stored or appended (v1). The shared full-state answer of
    /// [`LiveDoc::answer_sync_step1`] is stale from here on.
    fn apply_bytes(&mut self, bytes: &[u8]) -> Result<(), String> {
        let update = Update::decode_v1(bytes).map_err(|e| format!("does not decode: {e}"))?;
        self.full_state = None;
        self.clocks = None;
        self.approx_bytes += bytes.len();
        self.awareness
            .doc()
            .transact_mut()
            .apply_update(update)
            .map_err(|e| format!("does not apply: {e}"))
    }

    /// Refuses an update of `bytes` that would make the document's full state weigh more than
    /// `limit`; measures the state exactly (once) before refusing.
    fn make_room_for(
        &mut self,
        bytes: usize,
        limit: usize,
        kind: DocKind,
    ) -> Result<(), RoomError> {
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
        Err(RoomError::TooLarge(format!(
            "the {} document is full: at most {limit} bytes (--max-doc-bytes)",
            kind.as_str()
        )))
    }

    /// The document's state vector, built.
    fn clocks_built(&self) -> StateVector {
        self.awareness.doc().transact().state_vector()
    }

    /// Verifies `reading` against the document with the state vector kept, taken out of
    /// `self.clocks` (built if none is kept). An update refused with a kept one is verified again
    /// with one built, so that a kept state vector gone wrong can never refuse a good update.
    fn verify(&mut self, reading: &gate::Reading) -> (Result<(), gate::Refusal>, StateVector) {
        let kept = self.clocks.take();
        let was_kept = kept.is_some();
        let clocks = kept.unwrap_or_else(|| self.clocks_built());
        let verified = reading.verify_against(&self.awareness.doc().transact(), &clocks);
        if verified.is_err() && was_kept {
            let built = self.clocks_built();
            if built != clocks {
                tracing::warn!("the state vector kept for the gate was not the document's");
                let verified = reading.verify_against(&self.awareness.doc().transact(), &built);
                return (verified, built);
            }
        }
        (verified, clocks)
    }

    /// The full state for a compaction. Whether it loads back is checked later, off the
    /// document's lock ([`super::compaction::loads_back`]).
    fn compaction_state(&mut self, room: &str, kind: DocKind) -> Vec<u8> {
        let started = std::time::Instant::now();
        let state = self
            .awareness
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        crate::metrics::compaction_stage(room, kind, "encode", state.len(), started.elapsed());
        self.approx_bytes = state.len();
        self.log = LogSince::new(state.len());
        state
    }
}

impl LiveDoc {
    pub fn new(setup: Setup<'_>) -> Self {
        let stored = setup.stored;
        let state_bytes = stored.state.as_ref().map_or(0, Vec::len);
        LiveDoc {
            kind: setup.kind,
            room: setup.room,
            max_bytes: setup.max_bytes,
            evicted: setup.evicted,
            mirror: setup.mirror,
            nodes: setup.nodes,
            inner: Mutex::new(DocInner {
                awareness: Awareness::new(setup.doc),
                log: LogSince::loaded(state_bytes, &stored.log),
                awareness_changed: HashSet::new(),
                awareness_changed_here: HashSet::new(),
                awareness_here: Default::default(),
                full_state: None,
                cursor: stored.position.map(Cursor::at),
                approx_bytes: state_bytes + stored.log.iter().map(Vec::len).sum::<usize>(),
                clocks: None,
            }),
            fanout: Fanout::new(),
        }
    }

    /// The room's id.
    pub fn room(&self) -> &str {
        &self.room
    }

    /// The document, or — if a panic poisoned its lock — the room is evicted (its clients close
    /// with 1011 and the next connection reloads it from the store).
    pub(super) fn lock(&self) -> Result<MutexGuard<'_, DocInner>, RoomError> {
        self.inner.lock().map_err(|_| {
            tracing::error!(
                room = &*self.room,
                doc = self.kind.as_str(),
                "a document lock was poisoned; evicting the room"
            );
            crate::metrics::room_evicted("poisoned");
            self.evicted.evict(RoomError::Broken);
            RoomError::Broken
        })
    }

    /// Puts connection `conn` on this document's broadcast, into `outbox` ([`Fanout::subscribe`]).
    pub fn subscribe(&self, conn: ConnId, outbox: Outbox) -> Subscription {
        self.fanout.subscribe(conn, outbox)
    }

    /// This document's broadcast, for tests that listen to it.
    #[cfg(test)]
    pub fn fanout(&self) -> &Fanout {
        &self.fanout
    }

    pub(super) fn publish(&self, out: Outbound) {
        self.fanout.publish(out);
    }

    /// The first messages a new connection gets: the server's sync step 1 and, if anyone is
    /// present, the awareness states.
    pub fn greeting(&self) -> Result<Vec<Bytes>, RoomError> {
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
    pub fn would_change(&self, update: &Update) -> Result<bool, RoomError> {
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
        writer: &Writer,
        sv: &StateVector,
        to: &Outbox,
    ) -> Result<(), RoomError> {
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
            self.evicted.clone(),
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
        writer: &Writer,
        from: ConnId,
        raw: Vec<u8>,
        update: Update,
        reading: gate::Reading,
    ) -> Result<(), RoomError> {
        let permit = writer.reserve_change()?;
        let compaction = writer.reserve().ok();
        let mut inner = self.lock()?;
        let (verified, mut clocks) = inner.verify(&reading);
        if let Err(refusal) = verified {
            inner.clocks = Some(clocks);
            crate::metrics::update_refused(self.kind, "schema");
            return Err(RoomError::Refused(format!("update refused: {refusal}")));
        }
        if let Err(full) = inner.make_room_for(raw.len(), self.max_bytes, self.kind) {
            inner.clocks = Some(clocks);
            return Err(full);
        }
        let applied = inner.awareness.doc().transact_mut().apply_update(update);
        if applied.is_ok() {
            // Verified: every client's items reach on from what the document had, none pending.
            for (client, clock) in reading.reaches() {
                clocks.set_max(client, clock);
            }
            debug_assert_eq!(clocks, inner.awareness.doc().transact().state_vector());
            inner.clocks = Some(clocks);
        }
        if let Err(e) = applied {
            // It passed the gate and still failed: the document may hold part of it, so its
            // integrity is in doubt. Drop the room; the next connection reloads it from the store.
            drop(inner);
            tracing::error!(room = &*self.room, doc = self.kind.as_str(), error = %e, "an update that passed the gate did not apply; evicting the room");
            crate::metrics::room_evicted("apply");
            self.evicted.evict(RoomError::Broken);
            return Err(RoomError::Refused(format!(
                "the update could not be applied: {e}"
            )));
        }
        inner.approx_bytes += raw.len();
        self.hand_off(
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
        writer: &Writer,
        f: impl FnOnce(&mut TransactionMut) -> R,
    ) -> Result<R, RoomError> {
        let permit = writer.reserve_change()?;
        let compaction = writer.reserve().ok();
        let mut inner = self.lock()?;
        inner.clocks = None;
        let (result, update) = {
            let mut txn = inner.awareness.doc().transact_mut();
            let result = f(&mut txn);
            let changed = !txn.insert_set().is_empty() || !txn.delete_set().is_empty();
            (result, changed.then(|| txn.encode_update_v1()))
        };
        if let Some(update) = update {
            self.hand_off(
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
        writer: &Writer,
        mut inner: MutexGuard<'_, DocInner>,
        handoff: Handoff<'_>,
        from: ConnId,
        update: Bytes,
    ) -> Result<(), RoomError> {
        inner.full_state = None;
        crate::metrics::update_accepted(self.kind, from != NOBODY);
        let update_len = update.len();
        handoff.permit.send(
            self.evicted.clone(),
            Some(WriteOp::Append {
                room: self.room.to_string(),
                doc: self.kind,
                update: update.clone(),
            }),
            Then::Broadcast {
                to: self.fanout.clone(),
                from,
                update,
            },
        );
        inner.log.appended(update_len);
        // With several nodes the stream reader compacts, by stream position (see `cluster`).
        if inner.cursor.is_none() && inner.log.compaction_due(writer.compact_after()) {
            if let Some(permit) = handoff.compaction {
                self.compact(&mut inner, permit);
            }
        }
        drop(inner);
        self.refresh_mirror()
    }

    /// The control document: keeps the room's mirror of it current.
    fn refresh_mirror(&self) -> Result<(), RoomError> {
        let Some(mirror) = &self.mirror else {
            return Ok(());
        };
        let inner = self.lock()?;
        mirror.refresh(inner.awareness.doc());
        Ok(())
    }

    /// Makes the next [`Self::compact_if_needed`] compact (the log holds updates set aside).
    pub fn needs_compaction(&self) {
        if let Ok(mut inner) = self.lock() {
            inner.log.needs_compaction();
        }
    }

    /// Queues a compaction if anything was appended since the last one (used before unloading).
    pub fn compact_if_needed(&self, writer: &Writer) -> Result<(), RoomError> {
        let permit = writer.reserve()?;
        let mut inner = self.lock()?;
        if !inner.log.is_empty() {
            self.compact(&mut inner, permit);
        }
        Ok(())
    }

    /// Queues a compaction of the document as it is now (the writer stores it only if it loads
    /// back); the count toward the next one starts again.
    fn compact(&self, inner: &mut DocInner, permit: Permit<'_>) {
        let op = WriteOp::Compact {
            room: self.room.to_string(),
            doc: self.kind,
            state: inner.compaction_state(&self.room, self.kind),
            upto: inner.cursor.map(|c| c.position),
            newer: 0,
        };
        permit.send(self.evicted.clone(), Some(op), Then::Nothing);
    }

    /// Where the stream reader continues in this document's stream (several nodes).
    pub fn position(&self) -> Option<StreamId> {
        self.lock()
            .ok()
            .and_then(|inner| inner.cursor.map(|c| c.position))
    }

    /// Applies what one read of the stream reader found for this document: first `state`, the
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
                    inner.advance(id);
                    fresh.push((NOBODY, Bytes::from(state)));
                }
                // Position stays: the entries after it are still read; the next compaction
                // (of any node) stores a state this node will try again.
                Err(error) => {
                    tracing::warn!(room = &*self.room, %error, "stored state does not apply")
                }
            }
        }
        for entry in entries {
            let Some(cursor) = inner.cursor.as_mut() else {
                break;
            };
            if entry.id <= cursor.position {
                continue;
            }
            cursor.position = entry.id;
            cursor.read += 1;
            if entry.node == node {
                cursor.own += 1;
                continue;
            }
            inner.log.read_elsewhere(entry.update.len());
            match inner.apply_bytes(&entry.update) {
                Ok(()) => fresh.push((NOBODY, Bytes::from(entry.update))),
                Err(error) => {
                    // The document may hold part of it: reload the room, which sets it aside.
                    tracing::error!(room = &*self.room, id = %entry.id, %error, "a stream entry did not apply; evicting the room");
                    crate::metrics::room_evicted("apply");
                    drop(inner);
                    self.evicted.evict(RoomError::Broken);
                    return false;
                }
            }
        }
        let compact = inner
            .cursor
            .is_some_and(|c| c.read >= compact_after && c.own > 0)
            && inner.log.weighs_state();
        drop(inner);
        if !fresh.is_empty() {
            self.fanout
                .publish_updates(fresh, std::time::Instant::now());
            let _ = self.refresh_mirror();
        }
        compact
    }

    /// The document's full state and the stream position it contains, for a compaction (not
    /// yet checked: [`super::compaction::loads_back`]); the counts toward the next one start again.
    pub fn compaction_state(&self) -> Option<(Vec<u8>, StreamId)> {
        let mut inner = self.lock().ok()?;
        let cursor = inner.cursor.as_mut()?;
        cursor.read = 0;
        cursor.own = 0;
        let position = cursor.position;
        Some((inner.compaction_state(&self.room, self.kind), position))
    }

    /// The whole awareness state as a message, for an awareness query.
    pub fn awareness_message(&self) -> Result<Option<Bytes>, RoomError> {
        let inner = self.lock()?;
        Ok(inner
            .awareness
            .update()
            .ok()
            .filter(|u| !u.clients.is_empty())
            .map(|u| Bytes::from(Message::Awareness(u).encode_v1())))
    }

    /// The document's full state as one Yjs v1 update (for snapshots).
    pub fn encode_state(&self) -> Result<Vec<u8>, RoomError> {
        let inner = self.lock()?;
        let state = inner
            .awareness
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        Ok(state)
    }

    /// Runs `f` over the document (for projections: export, snapshots).
    pub fn read<R>(&self, f: impl FnOnce(&Doc) -> R) -> Result<R, RoomError> {
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
}
