//! The room itself: its wall and control documents, the group documents loaded so far, who
//! holds it open, whether it is being unloaded or was evicted, and the mirror of its control
//! document the permission checks read.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{watch, OnceCell};
use yrs::Doc;

use super::doc::{self, doc_from_stored, LiveDoc, SetAside};
use super::error::RoomError;
use super::eviction::Eviction;
use super::mirror::ControlMirror;
use super::nodes::Nodes;
use crate::store::{DocKind, GroupId, RoomRecord, StoredDoc};
use kortvaeg_shared::groups::Visibility;

pub struct Room {
    pub record: RoomRecord,
    pub wall: Arc<LiveDoc>,
    pub control: Arc<LiveDoc>,
    /// One per group document a client or a request asked for, loaded once (see
    /// [`super::registry::Rooms::group_doc`]).
    groups: Mutex<HashMap<GroupId, Arc<OnceCell<Arc<LiveDoc>>>>>,
    /// The control document's phase and visibility, kept current by it, so the permission check
    /// on every update reads an atomic instead of the control document.
    mirror: Arc<ControlMirror>,
    /// Holders of the room (connections and REST requests), and whether it is being unloaded.
    presence: Mutex<Presence>,
    /// Set once when the room must be dropped without a flush; shared with its documents.
    evicted: Eviction,
    limits: DocLimits,
    nodes: Option<Arc<dyn Nodes>>,
    /// Open WebSocket connections of the room on this node (`--max-connections-per-room`).
    connections: Arc<AtomicUsize>,
}

/// One WebSocket connection of a room, counted while it lives.
pub struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[derive(Debug, Default)]
struct Presence {
    holders: usize,
    unloading: bool,
}

/// What the documents of a room may weigh, from the flags.
#[derive(Debug, Clone, Copy)]
pub struct DocLimits {
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
        let mirror = Arc::new(ControlMirror::of(&control_doc));
        let room_id: Arc<str> = record.id.as_str().into();
        let live = |kind, doc, stored: &StoredDoc, mirror| {
            Arc::new(LiveDoc::new(doc::Setup {
                room: room_id.clone(),
                kind,
                doc,
                stored,
                max_bytes: limits.max_doc_bytes,
                evicted: evicted.clone(),
                mirror,
                nodes: nodes.clone(),
            }))
        };
        let wall = live(DocKind::Wall, wall_doc, &wall, None);
        let control = live(
            DocKind::Control,
            control_doc,
            &control,
            Some(mirror.clone()),
        );
        let room = Room {
            record,
            wall,
            control,
            groups: Mutex::default(),
            mirror,
            presence: Mutex::new(Presence::default()),
            evicted,
            limits,
            nodes,
            connections: Arc::default(),
        };
        (room, aside)
    }

    /// A group document of this room made from what the store holds (the registry loads it).
    pub fn group_from_stored(
        &self,
        id: GroupId,
        stored: &StoredDoc,
    ) -> (Arc<LiveDoc>, Vec<SetAside>) {
        let kind = DocKind::Group(id);
        let (doc, aside) = doc_from_stored(stored, kind);
        let live = Arc::new(LiveDoc::new(doc::Setup {
            room: self.record.id.as_str().into(),
            kind,
            doc,
            stored,
            max_bytes: self.limits.max_doc_bytes,
            evicted: self.evicted.clone(),
            mirror: None,
            nodes: self.nodes.clone(),
        }));
        (live, aside)
    }

    /// Where group `id`'s document is loaded, once.
    pub fn group_slot(&self, id: GroupId) -> Option<Arc<OnceCell<Arc<LiveDoc>>>> {
        let mut groups = self.groups.lock().ok()?;
        Some(groups.entry(id).or_default().clone())
    }

    /// Counts one more connection, unless the room has `max` already.
    pub fn connect(&self, max: usize) -> Option<Counted> {
        self.connections
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Counted(self.connections.clone()))
    }

    pub fn id(&self) -> &str {
        &self.record.id
    }

    /// The document of that kind, if it is loaded (the wall and control always are).
    pub fn doc(&self, kind: DocKind) -> Option<Arc<LiveDoc>> {
        match kind {
            DocKind::Wall => Some(self.wall.clone()),
            DocKind::Control => Some(self.control.clone()),
            DocKind::Group(id) => self
                .groups
                .lock()
                .ok()?
                .get(&id)
                .and_then(|slot| slot.get().cloned()),
        }
    }

    /// Every loaded document: wall, control, then the group documents.
    pub fn docs(&self) -> Vec<Arc<LiveDoc>> {
        let mut docs = vec![self.wall.clone(), self.control.clone()];
        if let Ok(groups) = self.groups.lock() {
            docs.extend(groups.values().filter_map(|slot| slot.get().cloned()));
        }
        docs
    }

    pub fn wall_closed(&self) -> bool {
        self.mirror.wall_closed()
    }

    /// Who may read which group document, kept current.
    pub fn visibility(&self) -> watch::Receiver<Visibility> {
        self.mirror.visibility()
    }

    /// Reads the control document (for the columns a group document may be opened for).
    pub fn read_control<R>(&self, f: impl FnOnce(&Doc) -> R) -> Result<R, RoomError> {
        self.control.read(f)
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
