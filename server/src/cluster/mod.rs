//! Several nodes on one Redis (`--redis-url`): every node that holds a room reads the room's
//! streams, so clients of one room connected to different nodes converge.
//!
//! Files: [`reader`] (the stream reader), [`compaction`], [`presence`] (awareness between nodes),
//! [`streams`] (the Redis stream transport); here the [`ClusterLink`] rooms hold (the room core's
//! [`Nodes`]) and the start of the tasks.
//!
//! - **Documents.** A node appends its clients' updates to the document's Redis stream (the
//!   writer's `XADD`, before it broadcasts them locally). The [reader](reader::run) of every node
//!   follows the streams of the rooms it holds with one blocking `XREAD`, applies what other
//!   nodes appended, and sends each document's new entries to its clients as one merged update
//!   per read (coalesced, not one message per entry). A room is loaded from its compacted state
//!   plus the stream after the state's id; the reader continues from the last id loaded, so no
//!   entry falls between the load and the reading. If another node compacted (trimmed) past
//!   where a read started, entries may have been trimmed before the read got them: after every
//!   read the reader compares the stored state's id with the read's starting positions and,
//!   where it is ahead, applies that state together with the entries read, under one lock — so
//!   a document never holds a position past an entry it lacks, and its own compaction (which
//!   stores the document at its position) can never drop an entry another node trimmed.
//! - **Compaction**: when a node has read `--compact-after` entries of a stream it also writes
//!   to, and they weigh as much as the state did at the last compaction, it takes the document's compaction lock (`SET NX PX`; a node that does not get it leaves
//!   the work to the holder), encodes its document at its read position, and stores it with an
//!   atomic Lua script (see [`streams`]) that checks the lock is still its own, stores the
//!   state only if it is newer than the stored one, trims only the entries the state contains,
//!   and releases the lock. So compactions never overlap, a slow one that lost its lock stores
//!   nothing, and an update appended meanwhile is never trimmed.
//! - **Awareness** is ephemeral and goes over pub/sub (`kortvaeg:awareness:{room}:{doc}`): a node
//!   publishes the states its own clients changed, relays to its clients what other nodes
//!   publish, and asks the others for their states when it loads a room. States from other
//!   nodes that are not renewed within 30 s (`--awareness-timeout-ms`) expire (clients renew every 15 s), so the presence
//!   of a dead node's clients goes away.
//! - **Room changes** go over the same channels (the room's wall channel): a seat removed, the
//!   record changed, the room deleted. A node that was not subscribed when a room was deleted
//!   (its Redis connection dropped) checks, once subscribed again, that the rooms it holds still
//!   exist; meanwhile the store refused every write of the deleted room (`store/mod.rs`).

pub mod compaction;
pub mod presence;
pub mod reader;
pub mod streams;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use yrs::sync::AwarenessUpdate;
use yrs::updates::encoder::Encode;

use crate::room::{DeletedBy, Nodes, Rooms};
use crate::store::redis::KEY_PREFIX;
use crate::store::DocKind;
pub use streams::Streams;

/// Pause after a Redis error before the next try.
pub(crate) const RETRY: Duration = Duration::from_millis(500);
/// Awareness messages waiting to be published; beyond that they are dropped (awareness is
/// re-sent by clients every 15 s, and the next change carries the full state of a client).
const AWARENESS_QUEUE: usize = 4096;

pub(crate) const AWARENESS_UPDATE: u8 = 0;
pub(crate) const AWARENESS_QUERY: u8 = 1;
/// On a room's wall channel: a seat was removed (the body is its id).
pub(crate) const SEAT_REMOVED: u8 = 2;
/// On a room's wall channel: its record changed (a new join link).
pub(crate) const RECORD_CHANGED: u8 = 3;
/// On a room's wall channel: the room was deleted (the body is one byte, who deleted it:
/// [`DeletedBy::to_byte`]).
pub(crate) const ROOM_DELETED: u8 = 4;

/// What a room holds to tell other nodes about awareness. Cheap to clone.
#[derive(Clone)]
pub struct ClusterLink {
    pub(crate) node: Arc<str>,
    outgoing: mpsc::Sender<(String, Vec<u8>)>,
    /// Whether this node's presence subscription is active, and the queries sent while it was
    /// not (their answers could not arrive): the relay sends them again once subscribed.
    listening: Arc<std::sync::Mutex<Listening>>,
}

#[derive(Default)]
pub(crate) struct Listening {
    pub(crate) subscribed: bool,
    pub(crate) unanswered: Vec<(String, DocKind)>,
}

impl Nodes for ClusterLink {
    fn awareness(&self, room: &str, doc: DocKind, update: &AwarenessUpdate) {
        self.send(room, doc, AWARENESS_UPDATE, &update.encode_v1());
    }

    fn query(&self, room: &str, doc: DocKind) {
        if let Ok(mut listening) = self.listening.lock() {
            if !listening.subscribed {
                listening.unanswered.push((room.to_string(), doc));
            }
        }
        self.send(room, doc, AWARENESS_QUERY, &[]);
    }

    fn seat_removed(&self, room: &str, seat: &str) {
        self.send(room, DocKind::Wall, SEAT_REMOVED, seat.as_bytes());
    }

    fn record_changed(&self, room: &str) {
        self.send(room, DocKind::Wall, RECORD_CHANGED, &[]);
    }

    fn room_deleted(&self, room: &str, by: DeletedBy) {
        self.send(room, DocKind::Wall, ROOM_DELETED, &[by.to_byte()]);
    }
}

impl ClusterLink {
    /// The presence subscription is active (`true`) or lost; when it becomes active, the
    /// queries sent meanwhile, to be sent again.
    pub(crate) fn listening(&self, subscribed: bool) -> Vec<(String, DocKind)> {
        match self.listening.lock() {
            Ok(mut listening) => {
                listening.subscribed = subscribed;
                std::mem::take(&mut listening.unanswered)
            }
            Err(_) => Vec::new(),
        }
    }

    fn send(&self, room: &str, doc: DocKind, tag: u8, body: &[u8]) {
        let node = self.node.as_bytes();
        let mut payload = Vec::with_capacity(2 + node.len() + body.len());
        payload.push(tag);
        payload.push(node.len() as u8);
        payload.extend_from_slice(node);
        payload.extend_from_slice(body);
        if self
            .outgoing
            .try_send((channel(room, doc), payload))
            .is_err()
        {
            tracing::debug!(
                room,
                "awareness queue to other nodes is full; dropping one message"
            );
        }
    }
}

pub(crate) fn channel(room: &str, doc: DocKind) -> String {
    format!("{KEY_PREFIX}awareness:{room}:{}", doc.key())
}

/// The link rooms use, and the task that publishes what they send through it.
pub fn link(streams: Streams) -> ClusterLink {
    let (outgoing, mut queue) = mpsc::channel::<(String, Vec<u8>)>(AWARENESS_QUEUE);
    let node: Arc<str> = streams.node().into();
    tokio::spawn(async move {
        while let Some((channel, payload)) = queue.recv().await {
            if let Err(error) = streams.publish(&channel, &payload).await {
                tracing::debug!(%error, "publishing awareness failed");
            }
        }
    });
    ClusterLink {
        node,
        outgoing,
        listening: Arc::default(),
    }
}

/// What the cluster tasks need from the configuration.
pub struct Settings {
    /// Stream entries read (of a stream this node writes to) before it compacts.
    pub compact_after: usize,
    /// How long an awareness state from another node lives without renewal (`--awareness-
    /// timeout-ms`; clients renew every 15 s, half of y-protocols' `outdatedTimeout`).
    pub awareness_timeout: Duration,
}

/// Starts the stream reader, the presence relay and the expiry of other nodes' presence; they end
/// at shutdown.
pub fn start(
    streams: Streams,
    rooms: Rooms,
    link: ClusterLink,
    settings: Settings,
    shutdown: watch::Receiver<bool>,
) {
    tokio::spawn(reader::run(
        streams.clone(),
        rooms.clone(),
        settings.compact_after.max(1),
        shutdown.clone(),
    ));
    tokio::spawn(presence::expire(
        rooms.clone(),
        settings.awareness_timeout,
        shutdown.clone(),
    ));
    tokio::spawn(presence::relay(streams, rooms, link, shutdown));
}
