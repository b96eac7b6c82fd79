//! Several nodes on one Redis (`--redis-url`): every node that holds a room reads the room's
//! streams, so clients of one room connected to different nodes converge.
//!
//! - **Documents.** A node appends its clients' updates to the document's Redis stream (the
//!   writer's `XADD`, before it broadcasts them locally). The [reader](run_reader) of every node
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
//!   to, it takes the document's compaction lock (`SET NX PX`; a node that does not get it leaves
//!   the work to the holder), encodes its document at its read position, and stores it with an
//!   atomic Lua script (see `store/redis.rs`) that checks the lock is still its own, stores the
//!   state only if it is newer than the stored one, trims only the entries the state contains,
//!   and releases the lock. So compactions never overlap, a slow one that lost its lock stores
//!   nothing, and an update appended meanwhile is never trimmed.
//! - **Awareness** is ephemeral and goes over pub/sub (`kortvaeg:awareness:{room}:{doc}`): a node
//!   publishes the states its own clients changed, relays to its clients what other nodes
//!   publish, and asks the others for their states when it loads a room. States from other
//!   nodes that are not renewed within 30 s (`--awareness-timeout-ms`) expire (clients renew every 15 s), so the presence
//!   of a dead node's clients goes away.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{mpsc, watch};
use yrs::sync::AwarenessUpdate;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;

use crate::room::Room;
use crate::rooms::Rooms;
use crate::store::redis::{RedisStore, KEY_PREFIX};
use crate::store::{DocKind, StreamId};

/// How long one `XREAD` waits for new entries before the reader looks at the rooms again (a
/// room loaded meanwhile is read from then on).
const READ_BLOCK: Duration = Duration::from_millis(250);
/// Most entries read per stream per `XREAD`.
const READ_COUNT: usize = 1000;
/// How long a node may hold a document's compaction lock.
const COMPACTION_LOCK: Duration = Duration::from_secs(10);
/// Pause after a Redis error before the next try.
const RETRY: Duration = Duration::from_millis(500);
/// Awareness messages waiting to be published; beyond that they are dropped (awareness is
/// re-sent by clients every 15 s, and the next change carries the full state of a client).
const AWARENESS_QUEUE: usize = 4096;

const AWARENESS_UPDATE: u8 = 0;
const AWARENESS_QUERY: u8 = 1;

/// What a room holds to tell other nodes about awareness. Cheap to clone.
#[derive(Clone)]
pub struct ClusterLink {
    node: Arc<str>,
    outgoing: mpsc::Sender<(String, Vec<u8>)>,
}

impl ClusterLink {
    /// Publishes the awareness states this node's clients changed.
    pub fn awareness(&self, room: &str, doc: DocKind, update: &AwarenessUpdate) {
        self.send(room, doc, AWARENESS_UPDATE, &update.encode_v1());
    }

    /// Asks the other nodes for the awareness states they hold (when this node loads a room).
    pub fn query(&self, room: &str, doc: DocKind) {
        self.send(room, doc, AWARENESS_QUERY, &[]);
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

fn channel(room: &str, doc: DocKind) -> String {
    format!("{KEY_PREFIX}awareness:{room}:{}", doc.as_str())
}

/// The link rooms use, and the task that publishes what they send through it.
pub fn link(store: Arc<RedisStore>) -> ClusterLink {
    let (outgoing, mut queue) = mpsc::channel::<(String, Vec<u8>)>(AWARENESS_QUEUE);
    let node: Arc<str> = store.node().into();
    tokio::spawn(async move {
        while let Some((channel, payload)) = queue.recv().await {
            if let Err(error) = store.publish(&channel, &payload).await {
                tracing::debug!(%error, "publishing awareness failed");
            }
        }
    });
    ClusterLink { node, outgoing }
}

/// Starts the stream reader and the awareness subscriber; both end at shutdown.
/// What the cluster tasks need from the configuration.
pub struct Settings {
    /// Stream entries read (of a stream this node writes to) before it compacts.
    pub compact_after: usize,
    /// How long an awareness state from another node lives without renewal (`--awareness-
    /// timeout-ms`; clients renew every 15 s, half of y-protocols' `outdatedTimeout`).
    pub awareness_timeout: Duration,
}

pub fn start(
    store: Arc<RedisStore>,
    rooms: Rooms,
    link: ClusterLink,
    settings: Settings,
    shutdown: watch::Receiver<bool>,
) {
    tokio::spawn(run_reader(
        store.clone(),
        rooms.clone(),
        settings.compact_after.max(1),
        shutdown.clone(),
    ));
    tokio::spawn(expire_awareness(
        rooms.clone(),
        settings.awareness_timeout,
        shutdown.clone(),
    ));
    tokio::spawn(run_awareness(store, rooms, link, shutdown));
}

/// Drops awareness states other nodes stopped renewing (their node died, or lost Redis).
async fn expire_awareness(rooms: Rooms, timeout: Duration, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(timeout / 6);
    while !*shutdown.borrow() {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => continue,
        }
        for room in rooms.live() {
            for kind in [DocKind::Wall, DocKind::Control] {
                room.doc(kind).expire_remote_awareness(&room, timeout);
            }
        }
    }
}

/// Follows the streams of every room this node holds.
async fn run_reader(
    store: Arc<RedisStore>,
    rooms: Rooms,
    compact_after: usize,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connection = None;
    while !*shutdown.borrow() {
        let held: Vec<(Arc<Room>, DocKind)> = rooms
            .live()
            .into_iter()
            .flat_map(|room| [(room.clone(), DocKind::Wall), (room, DocKind::Control)])
            .collect();
        let positions = |held: &[(Arc<Room>, DocKind)]| -> Vec<(String, DocKind, StreamId)> {
            held.iter()
                .filter_map(|(room, kind)| {
                    Some((room.id().to_string(), *kind, room.doc(*kind).position()?))
                })
                .collect()
        };
        if held.is_empty() {
            tokio::select! {
                _ = rooms.loaded_notified() => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        let conn = match &mut connection {
            Some(conn) => conn,
            None => match store.dedicated_connection().await {
                Ok(conn) => connection.insert(conn),
                Err(error) => {
                    tracing::warn!(%error, "cluster reader cannot connect to Redis");
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            },
        };
        let wanted = positions(&held);
        let lists = match store
            .read_after(conn, &wanted, READ_BLOCK, READ_COUNT)
            .await
        {
            Ok(lists) => lists,
            Err(error) => {
                tracing::warn!(%error, "cluster reader: XREAD failed");
                connection = None;
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        // Did another node compact past where this read started? Then it may have trimmed
        // entries before XREAD got them: its state has them. Asked after the read: a state id
        // only grows, so a trim that hid entries from this read shows up here. Without that
        // answer nothing is applied (positions stay, the same entries are read again).
        let states = match store.states_past(&wanted).await {
            Ok(states) => states,
            Err(error) => {
                tracing::warn!(%error, "cluster reader: reading states failed");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        for (((room_id, kind, _), entries), state) in wanted.iter().zip(lists).zip(states) {
            if entries.is_empty() && state.is_none() {
                continue;
            }
            if let Some((room, _)) = held.iter().find(|(r, k)| r.id() == room_id && k == kind) {
                if room
                    .doc(*kind)
                    .apply_remote(room, store.node(), state, entries, compact_after)
                {
                    tokio::spawn(compact(store.clone(), room.clone(), *kind));
                }
            }
        }
    }
}

/// Compacts a document's stream if no other node is compacting it: takes the lock, encodes the
/// state at the reader's position, and stores it with a script that checks the lock is still
/// ours. Encoding takes milliseconds, far below [`COMPACTION_LOCK`]; a compaction that took
/// longer would find its lock gone and store nothing, so it never runs twice.
async fn compact(store: Arc<RedisStore>, room: Arc<Room>, kind: DocKind) {
    match store
        .lock_compaction(room.id(), kind, COMPACTION_LOCK)
        .await
    {
        Ok(true) => {}
        Ok(false) => return,
        Err(error) => {
            tracing::debug!(%error, room = room.id(), "compaction lock not taken");
            return;
        }
    }
    let Some((state, upto)) = room.doc(kind).compaction_state(room.id()) else {
        return;
    };
    match store.compact_locked(room.id(), kind, &state, upto).await {
        Ok(done) => {
            tracing::debug!(room = room.id(), doc = kind.as_str(), %upto, done, "compacted")
        }
        Err(error) => tracing::warn!(%error, room = room.id(), "compaction failed"),
    }
}

/// Relays awareness between nodes: applies what others publish, answers their queries.
async fn run_awareness(
    store: Arc<RedisStore>,
    rooms: Rooms,
    link: ClusterLink,
    mut shutdown: watch::Receiver<bool>,
) {
    let pattern = format!("{KEY_PREFIX}awareness:*");
    while !*shutdown.borrow() {
        let mut pubsub = match store.pubsub().await {
            Ok(pubsub) => pubsub,
            Err(error) => {
                tracing::warn!(%error, "awareness subscriber cannot connect to Redis");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        if let Err(error) = pubsub.psubscribe(&pattern).await {
            tracing::warn!(%error, "awareness subscriber cannot subscribe");
            tokio::time::sleep(RETRY).await;
            continue;
        }
        let mut messages = pubsub.on_message();
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                message = messages.next() => match message {
                    Some(message) => on_awareness(&rooms, &link, message.get_channel_name(), message.get_payload_bytes()),
                    None => break,
                },
            }
        }
        tokio::time::sleep(RETRY).await;
    }
}

fn on_awareness(rooms: &Rooms, link: &ClusterLink, channel: &str, payload: &[u8]) {
    let Some((room_id, doc)) = channel
        .strip_prefix(KEY_PREFIX)
        .and_then(|c| c.strip_prefix("awareness:"))
        .and_then(|c| c.rsplit_once(':'))
    else {
        return;
    };
    let kind = match doc {
        "wall" => DocKind::Wall,
        "control" => DocKind::Control,
        _ => return,
    };
    let [tag, len, rest @ ..] = payload else {
        return;
    };
    let Some((node, body)) = rest.split_at_checked(*len as usize) else {
        return;
    };
    if node == link.node.as_bytes() {
        return;
    }
    let Some(room) = rooms.live_room(room_id) else {
        return;
    };
    match *tag {
        AWARENESS_UPDATE => match AwarenessUpdate::decode_v1(body) {
            Ok(update) => room.doc(kind).apply_remote_awareness(&room, update),
            Err(error) => tracing::debug!(%error, "undecodable awareness from another node"),
        },
        AWARENESS_QUERY => {
            if let Some(update) = room.doc(kind).awareness_update() {
                link.awareness(room_id, kind, &update);
            }
        }
        _ => {}
    }
}
