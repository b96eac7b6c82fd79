//! The room itself: its two documents (wall and control), who holds it open, whether it is
//! being unloaded or was evicted, and the "wall is closed" mirror the permission check reads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::doc::{self, doc_from_stored, LiveDoc, SetAside};
use super::error::RoomError;
use super::eviction::Eviction;
use super::nodes::Nodes;
use crate::store::{DocKind, RoomRecord, StoredDoc};
use kortvaeg_shared::projection;

pub struct Room {
    pub record: RoomRecord,
    pub wall: Arc<LiveDoc>,
    pub control: Arc<LiveDoc>,
    /// Mirrors the control document's `meta.phase == "closed"`: the wall is then read-only for
    /// participants. The control document keeps it current, so the permission check on every
    /// wall update reads an atomic instead of the control document.
    wall_closed: Arc<AtomicBool>,
    /// Holders of the room (connections and REST requests), and whether it is being unloaded.
    presence: Mutex<Presence>,
    /// Set once when the room must be dropped without a flush; shared with its documents.
    evicted: Eviction,
}

#[derive(Debug, Default)]
struct Presence {
    holders: usize,
    unloading: bool,
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
    /// `nodes`: the other nodes sharing the store (`None`: one node).
    pub fn from_stored(
        record: RoomRecord,
        wall: StoredDoc,
        control: StoredDoc,
        limits: DocLimits,
        nodes: Option<Arc<dyn Nodes>>,
    ) -> (Self, Vec<SetAside>) {
        let evicted = Eviction::default();
        let (wall_doc, mut aside) = doc_from_stored(&wall, DocKind::Wall);
        let (control_doc, control_aside) = doc_from_stored(&control, DocKind::Control);
        aside.extend(control_aside);
        let closed = projection::phase(&control_doc) == kortvaeg_shared::schema::phase::CLOSED;
        let wall_closed = Arc::new(AtomicBool::new(closed));
        let room_id: Arc<str> = record.id.as_str().into();
        let live = |kind, doc, stored: &StoredDoc, queue, phase| {
            Arc::new(LiveDoc::new(doc::Setup {
                room: room_id.clone(),
                kind,
                doc,
                stored,
                queue,
                max_bytes: limits.max_doc_bytes,
                evicted: evicted.clone(),
                phase,
                nodes: nodes.clone(),
            }))
        };
        let wall = live(DocKind::Wall, wall_doc, &wall, limits.queue, None);
        // The control document changes a few times a workshop (phase, timer, structure) and
        // carries no presence from the web client: a short ring is plenty, and the ring is
        // allocated up front for every room (BENCHMARKS.md, memory per room).
        let control_queue = (limits.queue / 8).max(64);
        let control = live(
            DocKind::Control,
            control_doc,
            &control,
            control_queue,
            Some(wall_closed.clone()),
        );
        let room = Room {
            record,
            wall,
            control,
            wall_closed,
            presence: Mutex::new(Presence::default()),
            evicted,
        };
        (room, aside)
    }

    pub fn id(&self) -> &str {
        &self.record.id
    }

    pub fn doc(&self, kind: DocKind) -> &Arc<LiveDoc> {
        match kind {
            DocKind::Wall => &self.wall,
            DocKind::Control => &self.control,
        }
    }

    pub fn wall_closed(&self) -> bool {
        self.wall_closed.load(Ordering::Acquire)
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
    pub fn evict(&self, reason: RoomError) {
        self.evicted.evict(reason);
    }

    pub fn is_evicted(&self) -> bool {
        self.evicted.is_set()
    }

    /// The room's eviction flag (the writer's jobs carry it).
    pub fn eviction(&self) -> &Eviction {
        &self.evicted
    }

    /// Resolves when the room is evicted, with the reason.
    pub fn evictions(&self) -> watch::Receiver<Option<RoomError>> {
        self.evicted.subscribe()
    }
}
