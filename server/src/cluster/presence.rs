//! Presence (awareness) between nodes, over Redis pub/sub (`kortvaeg:awareness:{room}:{doc}`): a
//! node publishes the states its own clients changed (through its [`ClusterLink`]), relays to
//! its clients what other nodes publish, answers their queries, and drops the states other nodes
//! stopped renewing. See the module doc of [`super`].

use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::watch;
use yrs::sync::AwarenessUpdate;
use yrs::updates::decoder::Decode;

use super::{
    ClusterLink, Streams, AWARENESS_QUERY, AWARENESS_UPDATE, RECORD_CHANGED, RETRY, ROOM_DELETED,
    SEAT_REMOVED,
};
use crate::room::{DeletedBy, Nodes, Rooms};
use crate::store::redis::KEY_PREFIX;
use crate::store::DocKind;

/// Drops awareness states other nodes stopped renewing (their node died, or lost Redis).
pub async fn expire(rooms: Rooms, timeout: Duration, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(timeout / 6);
    while !*shutdown.borrow() {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => continue,
        }
        for room in rooms.live() {
            for doc in room.docs() {
                doc.expire_remote_awareness(timeout);
            }
        }
    }
}

/// Relays awareness between nodes: applies what others publish, answers their queries.
pub async fn relay(
    streams: Streams,
    rooms: Rooms,
    link: ClusterLink,
    mut shutdown: watch::Receiver<bool>,
) {
    let pattern = format!("{KEY_PREFIX}awareness:*");
    while !*shutdown.borrow() {
        let mut pubsub = match streams.pubsub().await {
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
        // Rooms loaded before this subscription asked the others for their presence while the
        // answers could not arrive (a node just started, or back from an outage): ask again —
        // those loaded so far, and those still loading that asked before this (the link kept
        // their queries).
        let mut again = link.listening(true);
        for room in rooms.live() {
            again.extend(
                room.docs()
                    .iter()
                    .map(|doc| (room.id().to_string(), doc.kind)),
            );
        }
        again.sort_by_key(|(room, kind)| (room.clone(), kind.key()));
        again.dedup();
        for (room, kind) in again {
            link.query(&room, kind);
        }
        // A room deleted while this node was not listening: its message was lost. Asked beside
        // the message loop, which must not wait for it.
        tokio::spawn(drop_deleted(rooms.clone()));
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
        link.listening(false);
        tokio::time::sleep(RETRY).await;
    }
}

/// Drops the rooms this node holds that the store no longer has (deleted while this node missed
/// the message): their clients are closed with 4404.
async fn drop_deleted(rooms: Rooms) {
    for room in rooms.live() {
        rooms.forget_record(room.id());
        if let Ok(None) = rooms.record(room.id()).await {
            tracing::info!(
                room = room.id(),
                "a room this node holds was deleted meanwhile"
            );
            rooms.deleted_here(room.id(), None);
        }
    }
}

fn on_awareness(rooms: &Rooms, link: &ClusterLink, channel: &str, payload: &[u8]) {
    let Some((room_id, doc)) = channel
        .strip_prefix(KEY_PREFIX)
        .and_then(|c| c.strip_prefix("awareness:"))
        .and_then(|c| c.split_once(':'))
    else {
        return;
    };
    let Some(kind) = DocKind::from_key(doc) else {
        return;
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
    if *tag == RECORD_CHANGED {
        rooms.forget_record(room_id);
        return;
    }
    if *tag == ROOM_DELETED {
        let by = body.first().copied().and_then(DeletedBy::from_byte);
        rooms.deleted_here(room_id, by);
        return;
    }
    if *tag == SEAT_REMOVED {
        if let Ok(seat) = std::str::from_utf8(body) {
            rooms.forget_seats(room_id);
            rooms.close_seat_here(room_id, seat);
        }
        return;
    }
    let Some(room) = rooms.live_room(room_id) else {
        return;
    };
    // A group document this node has not loaded has no clients here to tell or ask.
    let Some(doc) = room.doc(kind) else {
        return;
    };
    match *tag {
        AWARENESS_UPDATE => match AwarenessUpdate::decode_v1(body) {
            Ok(update) => doc.apply_remote_awareness(update),
            Err(error) => tracing::debug!(%error, "undecodable awareness from another node"),
        },
        AWARENESS_QUERY => {
            if let Some(update) = doc.awareness_update() {
                link.awareness(room_id, kind, &update);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::{testing, RoomError};
    use crate::store::Store;

    #[tokio::test]
    async fn a_room_deleted_while_this_node_was_not_listening_is_dropped_once_it_listens() {
        let (store, _writer, rooms) = testing::setup();
        let room = rooms.open("r").await.unwrap();
        // Another node deleted it; the message never came.
        assert!(store.delete_room("r").await.unwrap());
        assert!(rooms.record("r").await.unwrap().is_some(), "still cached");
        drop_deleted(rooms.clone()).await;
        assert_eq!(*room.evictions().borrow(), Some(RoomError::Deleted(None)));
        assert!(rooms.record("r").await.unwrap().is_none());
    }
}
