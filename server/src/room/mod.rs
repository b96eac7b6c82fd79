//! The room core: live rooms, their documents and the store writer, with no transport in them.
//! Nothing under `room/` names axum, the redis crate, `connection`, `http` or `cluster`: sockets
//! and HTTP reach the core through its methods and [`RoomError`]; other nodes through the
//! [`Nodes`] trait.
//!
//! One wall update, top to bottom:
//! 1. `connection.rs` decodes the frame, runs the schema gate's first step and the permission
//!    check ([`permissions`]), and calls [`LiveDoc::apply_update`];
//! 2. [`doc`] (`room/doc.rs`) checks the update against the document, applies it under the
//!    document's lock and, still under the lock, hands it to the [`Writer`] with the document's
//!    broadcast;
//! 3. [`writer`] (`room/writer.rs`) stores it (group commit) and only then broadcasts it, once,
//!    to every connection of the document ([`Fanout`]).
//!
//! Files: [`live`] (the room itself), [`doc`] (one document: apply, sync answers, compaction, what other nodes appended),
//! [`awareness`] (its presence states), [`registry`] (load once, unload when idle, delete),
//! [`deleted`] (why a room was deleted; ids deleted a moment ago), [`writer`], [`compaction`]
//! (the check a compaction's state passes, off the document's lock),
//! [`permissions`], [`fanout`] (broadcast and direct answers), [`eviction`], [`nodes`] (the trait
//! several nodes plug in through), [`error`]. Each imports its siblings directly, never through
//! this file, so the modules form no cycle (a unit test below holds them to it).
//!
//! Locks: each document sits behind a std `Mutex`, held only for synchronous work (apply, encode)
//! and never across `.await`. A panic while it is held poisons it; the room then counts as broken:
//! it is evicted (its clients are closed with 1011) and the next connection loads it afresh from
//! the store. The same happens when an update that passed the gate still fails to apply (the
//! document may hold part of it). Nothing else evicts a room but a failed store write, and its
//! deletion (its clients are closed with 4404; the store refuses every later write of it, see
//! `store/mod.rs`, so what was still queued for it is dropped, not stored).
//!
//! Loading never fails on content: stored updates are applied one by one and one that does not
//! apply (or that the gate refuses) is set aside ([`SetAside`]) while the rest load; a compaction
//! is only stored when its state loads back into a fresh document (checked by the writer, after
//! the document's lock is let go).

pub mod awareness;
pub mod cache;
pub mod compaction;
pub mod deleted;
pub mod doc;
pub mod error;
pub mod eviction;
pub mod fanout;
pub mod live;
pub mod mirror;
pub mod nodes;
pub mod permissions;
pub mod registry;
#[cfg(test)]
pub(crate) mod testing;
pub mod writer;

pub use awareness::{AwarenessLimits, AWARENESS_TICK};
pub use deleted::DeletedBy;
pub use doc::{doc_from_stored, LiveDoc, SetAside};
pub use error::RoomError;
pub use eviction::Eviction;
pub use fanout::{ConnId, Fanout, Outbound, Outbox, Subscription, NOBODY};
pub use live::{Counted, DocLimits, Room};
pub use nodes::{Cursor, Nodes, StreamEntry};
pub use registry::{OpenError, RoomHandle, Rooms, SeatLive};
pub use writer::{Pacing, Writer};

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::sync::Arc;

    use yrs::sync::awareness::AwarenessUpdateEntry;
    use yrs::sync::{AwarenessUpdate, Message, SyncMessage};
    use yrs::updates::decoder::Decode;
    use yrs::{ClientID, Doc, Map, ReadTxn, StateVector, Transact, Update, WriteTxn};

    use super::testing::{self, card};
    use super::*;
    use crate::store::{DocKind, StoredDoc};
    use kortvaeg_shared::gate;

    fn apply(doc: &LiveDoc, writer: &Writer, from: ConnId, raw: &[u8]) -> Result<(), RoomError> {
        let reading = gate::read(doc.kind.schema(), raw).expect("passes the gate");
        let update = Update::decode_v1(raw).unwrap();
        doc.apply_update(writer, from, raw.to_vec(), update, reading)
    }

    fn sync_update(frame: &[u8]) -> Vec<u8> {
        match Message::decode_v1(frame).unwrap() {
            Message::Sync(SyncMessage::Update(u) | SyncMessage::SyncStep2(u)) => u,
            other => panic!("not an update: {other:?}"),
        }
    }

    #[tokio::test]
    async fn an_update_is_stored_before_anyone_is_sent_it() {
        let (store, writer, rooms) = testing::setup();
        let room = rooms.open("r").await.unwrap();
        let mut sender = room.wall.fanout().listen(1);
        let mut others = room.wall.fanout().listen(2);
        store.hold();
        let raw = card(&Doc::with_client_id(7), "a");
        apply(&room.wall, &writer, 1, &raw).unwrap();
        store.started(1).await;
        // The writer holds it and the store has not taken it: nobody has been sent it.
        assert!(others.try_recv().is_none());
        assert!(store.appended("r", DocKind::Wall).is_empty());
        store.release();
        let out = others.recv().await;
        assert_eq!(
            store.appended("r", DocKind::Wall),
            vec![raw.clone()],
            "stored first"
        );
        assert_eq!(sync_update(&out), raw, "then broadcast");
        assert!(sender.try_recv().is_none(), "to all but its sender");
    }

    /// The document keeps its state vector from the updates it applies (the gate needs it for
    /// each one); what it keeps must be the document's, whatever came in between (checked again
    /// by a debug assertion after every update).
    #[tokio::test]
    async fn the_state_vector_kept_for_the_gate_follows_every_change() {
        let (_store, writer, rooms) = testing::setup();
        let room = rooms.open("r").await.unwrap();
        let client = Doc::with_client_id(7);
        let (a, b, c) = (card(&client, "a"), card(&client, "b"), card(&client, "c"));
        apply(&room.wall, &writer, 1, &a).unwrap();
        let gap = apply(&room.wall, &writer, 1, &c).unwrap_err();
        assert!(
            matches!(&gap, RoomError::Refused(reason) if reason.contains("gap")),
            "{gap:?}"
        );
        apply(&room.wall, &writer, 1, &b).unwrap();
        apply(&room.wall, &writer, 1, &c).unwrap();
        assert_eq!(
            apply(&room.wall, &writer, 1, &c).map_err(|e| e.to_string()),
            Ok(()),
            "the same update again changes nothing and is no gap"
        );
        // The server's own change (an import) in between: another client of the document.
        room.wall
            .change(&writer, |txn| {
                let cards = txn.get_or_insert_map("cards");
                cards.insert(txn, "imported", yrs::MapPrelim::default());
            })
            .unwrap();
        apply(&room.wall, &writer, 1, &card(&client, "d")).unwrap();
        let other = Doc::with_client_id(8);
        apply(&room.wall, &writer, 2, &card(&other, "e")).unwrap();
        let sv = room.wall.read(|doc| doc.transact().state_vector()).unwrap();
        assert_eq!(
            sv.get(&ClientID::new(7)),
            client.transact().state_vector().get(&ClientID::new(7))
        );
        assert_eq!(sv.len(), 3, "clients 7, 8 and the server's: {sv:?}");
    }

    #[tokio::test]
    async fn a_kept_state_vector_gone_wrong_never_refuses_a_good_update() {
        let (_store, writer, rooms) = testing::setup();
        let room = rooms.open("r").await.unwrap();
        let client = Doc::with_client_id(7);
        apply(&room.wall, &writer, 1, &card(&client, "a")).unwrap();
        // As if the kept one had missed that update: the next would look like it left a gap.
        room.wall.inner.lock().unwrap().clocks = Some(StateVector::default());
        apply(&room.wall, &writer, 1, &card(&client, "b")).unwrap();
        let kept = room.wall.inner.lock().unwrap().clocks.clone();
        let built = room.wall.read(|doc| doc.transact().state_vector()).unwrap();
        assert_eq!(
            kept,
            Some(built),
            "and the document keeps the right one from then on"
        );
        let gap = card(&client, "c");
        let _ = card(&client, "d");
        apply(&room.wall, &writer, 1, &card(&client, "e")).unwrap_err();
        apply(&room.wall, &writer, 1, &gap).unwrap();
    }

    #[tokio::test]
    async fn a_sync_step_1_is_answered_only_once_what_the_answer_holds_is_stored() {
        let (store, writer, rooms) = testing::setup();
        let room = rooms.open("r").await.unwrap();
        store.hold();
        let raw = card(&Doc::with_client_id(7), "a");
        apply(&room.wall, &writer, 1, &raw).unwrap();
        let (outbox, mut replies, _behind) = Outbox::new(16);
        room.wall
            .answer_sync_step1(&writer, &StateVector::default(), &outbox)
            .unwrap();
        store.started(1).await;
        assert!(
            replies.try_recv().is_err(),
            "no answer before the store has the card"
        );
        store.release();
        let answer = replies.recv().await.unwrap();
        assert_eq!(store.appended("r", DocKind::Wall), vec![raw]);
        let joiner = Doc::new();
        joiner
            .transact_mut()
            .apply_update(Update::decode_v1(&sync_update(&answer)).unwrap())
            .unwrap();
        assert_eq!(testing_cards(&joiner), vec!["a"]);
    }

    fn testing_cards(doc: &Doc) -> Vec<String> {
        use yrs::{Map, ReadTxn};
        let txn = doc.transact();
        txn.get_map("cards")
            .map(|m| m.keys(&txn).map(str::to_string).collect())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn a_failed_store_write_evicts_the_room_and_sends_nothing() {
        let (store, writer, rooms) = testing::setup();
        let room = rooms.open("r").await.unwrap();
        let mut others = room.wall.fanout().listen(2);
        store.fail();
        apply(&room.wall, &writer, 1, &card(&Doc::with_client_id(7), "a")).unwrap();
        assert!(
            !writer.flush(room.eviction().clone()).await,
            "the batch failed"
        );
        assert_eq!(*room.evictions().borrow(), Some(RoomError::StoreFailed));
        assert!(others.try_recv().is_none(), "nothing was broadcast");
        assert!(!room.acquire(), "an evicted room takes no new holders");
    }

    #[tokio::test]
    async fn a_deleted_room_is_evicted_and_refused_from_then_on() {
        let (store, writer, rooms) = testing::setup();
        let room = rooms.open("r").await.unwrap();
        apply(&room.wall, &writer, 1, &card(&Doc::with_client_id(7), "a")).unwrap();
        assert!(writer.flush(room.eviction().clone()).await);
        assert!(rooms.delete("r", DeletedBy::Facilitator).await.unwrap());
        assert_eq!(
            *room.evictions().borrow(),
            Some(RoomError::Deleted(Some(DeletedBy::Facilitator))),
            "its clients are closed, with the reason"
        );
        assert!(store.appended("r", DocKind::Wall).is_empty(), "all gone");
        assert!(rooms.record("r").await.unwrap().is_none());
        assert!(matches!(rooms.open("r").await, Err(OpenError::NotFound(_))));
        assert!(!rooms.delete("r", DeletedBy::Facilitator).await.unwrap());
    }

    fn presence(id: u64, clock: u32, json: &str) -> AwarenessUpdate {
        AwarenessUpdate {
            clients: HashMap::from([(
                ClientID::new(id),
                AwarenessUpdateEntry {
                    clock,
                    json: json.into(),
                },
            )]),
        }
    }

    fn names(doc: &LiveDoc) -> Vec<String> {
        match doc.awareness_message().unwrap() {
            None => Vec::new(),
            Some(frame) => match Message::decode_v1(&frame).unwrap() {
                Message::Awareness(u) => u.clients.values().map(|e| e.json.to_string()).collect(),
                other => panic!("{other:?}"),
            },
        }
    }

    #[tokio::test]
    async fn a_presence_belongs_to_the_connection_that_set_it_first() {
        let (_store, _writer, rooms) = testing::setup();
        let room = rooms.open("r").await.unwrap();
        let limits = AwarenessLimits {
            max_state_bytes: 1024,
            max_ids: 4,
        };
        let (mut mine, mut theirs) = (HashSet::new(), HashSet::new());
        room.wall
            .apply_awareness(1, presence(5, 1, r#"{"name":"Anne"}"#), &mut mine, limits)
            .unwrap();
        // Another connection renames it, then tries to remove it: both are ignored.
        room.wall
            .apply_awareness(2, presence(5, 2, r#"{"name":"Bo"}"#), &mut theirs, limits)
            .unwrap();
        room.wall.remove_awareness(2, &[ClientID::new(5)]);
        assert_eq!(names(&room.wall), vec![r#"{"name":"Anne"}"#]);
        assert!(theirs.is_empty());
        // Its owner removes it when it closes.
        room.wall.remove_awareness(1, &[ClientID::new(5)]);
        assert!(names(&room.wall).is_empty());
        // Over the limits: refused whole.
        let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(2000));
        assert!(matches!(
            room.wall
                .apply_awareness(3, presence(9, 1, &big), &mut HashSet::new(), limits),
            Err(RoomError::TooLarge(_))
        ));
    }

    /// The room core names no transport, and its files import each other without a cycle.
    #[test]
    fn the_room_core_is_free_of_transport_and_cycles() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/room");
        let mut uses: Vec<(String, Vec<String>)> = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            // Only the code before the tests (a test module may use anything of the crate),
            // without comments (this file's doc says what the core does not name).
            let code: String = text
                .split("#[cfg(test)]")
                .next()
                .unwrap()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            for banned in [
                "axum",
                "::redis",
                "crate::connection",
                "crate::http",
                "crate::cluster",
            ] {
                assert!(!code.contains(banned), "room/{name}.rs names {banned}");
            }
            if name == "mod" {
                continue;
            }
            let siblings = code
                .lines()
                .filter_map(|l| l.trim().strip_prefix("use super::"))
                .map(|rest| rest.split(['{', ':', ';']).next().unwrap().to_string())
                .collect();
            uses.push((name, siblings));
        }
        for (name, siblings) in &uses {
            assert!(
                !siblings.iter().any(|s| s.is_empty()),
                "room/{name}.rs imports through mod.rs"
            );
        }
        // Depth-first: no file reaches itself.
        fn reaches(
            uses: &[(String, Vec<String>)],
            from: &str,
            to: &str,
            seen: &mut Vec<String>,
        ) -> bool {
            let Some((_, next)) = uses.iter().find(|(n, _)| n == from) else {
                return false;
            };
            next.iter().any(|n| {
                n == to
                    || (!seen.contains(n) && {
                        seen.push(n.clone());
                        reaches(uses, n, to, seen)
                    })
            })
        }
        for (name, _) in &uses {
            assert!(
                !reaches(&uses, name, name, &mut Vec::new()),
                "room/{name}.rs is in an import cycle"
            );
        }
    }

    #[test]
    fn a_poisoned_document_lock_evicts_the_room() {
        let (room, aside) = Room::from_stored(
            testing::record("r"),
            StoredDoc::default(),
            StoredDoc::default(),
            testing::LIMITS,
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
        assert_eq!(room.wall.greeting().unwrap_err(), RoomError::Broken);
        assert!(
            room.is_evicted(),
            "the room is evicted, so the next connection reloads it"
        );
        assert!(!room.acquire(), "an evicted room takes no new holders");
    }
}
