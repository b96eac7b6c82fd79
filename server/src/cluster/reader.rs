//! The stream reader: follows the streams of every document (wall, control, each group's) of
//! every room this node holds with one blocking
//! `XREAD`, and hands each document what other nodes appended (with the stored state when
//! another node compacted past where the read started). See the module doc of [`super`].

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::{compaction, Streams, RETRY};
use crate::room::{LiveDoc, Rooms};
use crate::store::{DocKind, StreamId};

/// How long one `XREAD` waits for new entries before the reader looks at the rooms again (a
/// room loaded meanwhile is read from then on).
const READ_BLOCK: Duration = Duration::from_millis(250);
/// Most entries read per stream per `XREAD`.
const READ_COUNT: usize = 1000;

/// Follows the streams of every room this node holds.
pub async fn run(
    streams: Streams,
    rooms: Rooms,
    compact_after: usize,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connection = None;
    while !*shutdown.borrow() {
        let held: Vec<Arc<LiveDoc>> = rooms.live().iter().flat_map(|room| room.docs()).collect();
        let positions = |held: &[Arc<LiveDoc>]| -> Vec<(String, DocKind, StreamId)> {
            held.iter()
                .filter_map(|doc| Some((doc.room().to_string(), doc.kind, doc.position()?)))
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
            None => match streams.dedicated_connection().await {
                Ok(conn) => connection.insert(conn),
                Err(error) => {
                    tracing::warn!(%error, "cluster reader cannot connect to Redis");
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            },
        };
        let wanted = positions(&held);
        let lists = match streams
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
        let states = match streams.states_past(&wanted).await {
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
            if let Some(doc) = held.iter().find(|d| d.room() == room_id && d.kind == *kind) {
                if doc.apply_remote(streams.node(), state, entries, compact_after) {
                    tokio::spawn(compaction::compact(streams.clone(), doc.clone()));
                }
            }
        }
    }
}
