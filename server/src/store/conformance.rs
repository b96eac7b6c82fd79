//! Behaviour every [`Store`] must show, run against both backends by their test modules, so the
//! embedded store and Redis cannot drift apart in what they promise the rest of the server.

use bytes::Bytes;
use kortvaeg_shared::voting::{Change, Refused, Round, Spent, Target};

use super::{
    DocKind, RoomRecord, SeatRecord, SnapshotInfo, SnapshotRecord, Store, StoreError, StoredDoc,
    WriteOp,
};

/// A room record with made-up digests; `id` is the only thing that matters to the store.
pub(crate) fn record(id: &str) -> RoomRecord {
    RoomRecord {
        id: id.to_string(),
        title: format!("Workshop {id}"),
        template: "kmd-sag-exit".to_string(),
        created_at: "2025-01-02T03:04:05Z".to_string(),
        facilitator_digest: "f".repeat(64),
        participant_digest: "p".repeat(64),
        review_digest: "r".repeat(64),
        creator: None,
        anonymity: Default::default(),
    }
}

/// Creates room `id` with the states `w` and `c` (the tests' usual room).
pub(crate) async fn room(store: &dyn Store, id: &str) {
    store
        .create_room(&record(id), b"w", b"c")
        .await
        .expect("create");
}

/// Reading room `room`, whose record and snapshots 1 and 2 the caller has corrupted, gives
/// [`StoreError::Corrupt`] for each, never a panic or a made-up value.
pub(crate) async fn corrupt_reads_are_reported(store: &dyn Store, room: &str) {
    assert!(matches!(
        store.room(room).await,
        Err(StoreError::Corrupt(_))
    ));
    assert!(matches!(
        store.snapshots(room).await,
        Err(StoreError::Corrupt(_))
    ));
    assert!(matches!(
        store.snapshot(room, 1).await,
        Err(StoreError::Corrupt(_))
    ));
    assert!(matches!(
        store.snapshot(room, 2).await,
        Err(StoreError::Corrupt(_))
    ));
}

pub(crate) fn append(room: &str, doc: DocKind, update: &[u8]) -> WriteOp {
    WriteOp::Append {
        room: room.to_string(),
        doc,
        update: Bytes::copy_from_slice(update),
    }
}

pub(crate) fn compact(room: &str, doc: DocKind, state: &[u8]) -> WriteOp {
    WriteOp::Compact {
        room: room.to_string(),
        doc,
        state: state.to_vec(),
        upto: None,
        newer: 0,
    }
}

/// What a loaded document holds, without the backend-specific stream position.
type Content = (Option<Vec<u8>>, Vec<Vec<u8>>);

fn content(doc: StoredDoc) -> Content {
    (doc.state, doc.log)
}

fn doc(state: &[u8], log: &[&[u8]]) -> Content {
    (
        Some(state.to_vec()),
        log.iter().map(|u| u.to_vec()).collect(),
    )
}

/// Runs the whole contract of [`Store`] against `store`, which must not yet hold rooms `a`, `b`,
/// `g`, `ab` or `nobody` (`ab` guards against key prefixes leaking between rooms whose ids share a
/// prefix).
pub(crate) async fn exercise(store: &dyn Store) {
    store.ping().await.expect("ping");

    // Nothing there yet: absent, not an error.
    assert_eq!(store.room("a").await.expect("room"), None);
    assert_eq!(
        content(store.load_doc("a", DocKind::Wall).await.expect("load")),
        (None, Vec::new())
    );
    assert!(store.snapshots("a").await.expect("snapshots").is_empty());
    assert_eq!(store.snapshot("a", 1).await.expect("snapshot"), None);

    // Creation stores the record and both initial states, and refuses a taken id.
    store
        .create_room(&record("a"), b"wall-0", b"control-0")
        .await
        .expect("create a");
    let mut by_anne = record("ab");
    by_anne.creator = Some("user:anne@kommune.dk".to_string());
    store
        .create_room(&by_anne, b"ab-wall", b"ab-control")
        .await
        .expect("create ab");
    assert_eq!(store.room("a").await.expect("room"), Some(record("a")));
    assert_eq!(store.room("ab").await.expect("room"), Some(by_anne.clone()));
    assert_eq!(
        store
            .rooms_created_by("user:anne@kommune.dk")
            .await
            .expect("list"),
        vec![by_anne.clone()]
    );
    assert!(store
        .rooms_created_by("user:bo")
        .await
        .expect("list")
        .is_empty());
    let mut other = record("a");
    other.title = "Someone else's".to_string();
    match store.create_room(&other, b"x", b"y").await {
        Err(StoreError::RoomExists(id)) => assert_eq!(id, "a"),
        r => panic!("second create_room gave {r:?}"),
    }
    assert_eq!(
        store.room("a").await.expect("room"),
        Some(record("a")),
        "record untouched"
    );
    assert_eq!(
        content(store.load_doc("a", DocKind::Wall).await.expect("load")),
        doc(b"wall-0", &[])
    );
    assert_eq!(
        content(store.load_doc("a", DocKind::Control).await.expect("load")),
        doc(b"control-0", &[])
    );

    // An empty batch is fine.
    store.write_batch(&[]).await.expect("empty batch");

    // Appends land in each document's log, in order.
    store
        .write_batch(&[
            append("a", DocKind::Wall, b"w1"),
            append("a", DocKind::Control, b"c1"),
            append("a", DocKind::Wall, b"w2"),
        ])
        .await
        .expect("batch 1");
    store
        .write_batch(&[append("a", DocKind::Wall, b"w3")])
        .await
        .expect("batch 2");
    assert_eq!(
        content(store.load_doc("a", DocKind::Wall).await.expect("load")),
        doc(b"wall-0", &[b"w1", b"w2", b"w3"])
    );
    assert_eq!(
        content(store.load_doc("a", DocKind::Control).await.expect("load")),
        doc(b"control-0", &[b"c1"])
    );

    // Compaction replaces the state and empties the log; ops after it in the same batch stay.
    store
        .write_batch(&[
            append("a", DocKind::Wall, b"w4"),
            compact("a", DocKind::Wall, b"wall-1"),
            append("a", DocKind::Wall, b"w5"),
            append("a", DocKind::Wall, b"w6"),
        ])
        .await
        .expect("batch 3");
    assert_eq!(
        content(store.load_doc("a", DocKind::Wall).await.expect("load")),
        doc(b"wall-1", &[b"w5", b"w6"])
    );
    assert_eq!(
        content(store.load_doc("a", DocKind::Control).await.expect("load")),
        doc(b"control-0", &[b"c1"])
    );
    store
        .write_batch(&[compact("a", DocKind::Control, b"control-1")])
        .await
        .expect("batch 4");
    assert_eq!(
        content(store.load_doc("a", DocKind::Control).await.expect("load")),
        doc(b"control-1", &[])
    );
    store
        .write_batch(&[append("a", DocKind::Control, b"c2")])
        .await
        .expect("batch 5");
    assert_eq!(
        content(store.load_doc("a", DocKind::Control).await.expect("load")),
        doc(b"control-1", &[b"c2"])
    );

    // Binary updates survive byte for byte (all 256 values, including NUL).
    let binary: Vec<u8> = (0..=255u8).rev().collect();
    store
        .create_room(&record("b"), b"", b"")
        .await
        .expect("create b");
    store
        .write_batch(&[append("b", DocKind::Wall, &binary)])
        .await
        .expect("binary");
    assert_eq!(
        content(store.load_doc("b", DocKind::Wall).await.expect("load")),
        doc(b"", &[&binary])
    );

    // Writes for a room the store does not have are dropped (a deleted room is never brought
    // back by what was queued for it), the rest of the batch is written.
    store
        .write_batch(&[
            append("nobody", DocKind::Wall, b"lost"),
            compact("nobody", DocKind::Control, b"lost"),
            append("b", DocKind::Control, b"kept"),
        ])
        .await
        .expect("batch with an unknown room");
    for kind in [DocKind::Wall, DocKind::Control] {
        assert_eq!(
            content(store.load_doc("nobody", kind).await.expect("load")),
            (None, Vec::new())
        );
    }
    assert_eq!(
        content(store.load_doc("b", DocKind::Control).await.expect("load")),
        doc(b"", &[b"kept"])
    );
    // The same within one run of appends (the Redis store writes a run in one script call).
    store
        .write_batch(&[
            append("nobody", DocKind::Wall, b"lost"),
            append("b", DocKind::Control, b"kept 2"),
            append("nobody", DocKind::Control, b"lost"),
            append("b", DocKind::Control, b"kept 3"),
        ])
        .await
        .expect("a run with an unknown room");
    assert_eq!(
        content(store.load_doc("b", DocKind::Control).await.expect("load")),
        doc(b"", &[b"kept", b"kept 2", b"kept 3"])
    );
    assert_eq!(
        content(store.load_doc("nobody", DocKind::Wall).await.expect("load")),
        (None, Vec::new())
    );
    assert!(matches!(
        store
            .add_snapshot("nobody", "t", None, b"w", b"c", &[])
            .await,
        Err(StoreError::NoRoom(_))
    ));
    assert!(matches!(
        store.set_aside("nobody", DocKind::Wall, b"x").await,
        Err(StoreError::NoRoom(_))
    ));
    assert!(matches!(
        store.set_participant_digest("nobody", "d").await,
        Err(StoreError::NoRoom(_))
    ));
    assert!(store.room("nobody").await.expect("room").is_none());
    assert!(store
        .snapshots("nobody")
        .await
        .expect("snapshots")
        .is_empty());

    // Snapshots: numbered from 1 per room, listed oldest first.
    assert_eq!(
        store
            .add_snapshot("a", "2025-01-02T10:00:00Z", None, b"sw1", b"sc1", &[])
            .await
            .expect("snap"),
        1
    );
    assert_eq!(
        store
            .add_snapshot(
                "a",
                "2025-01-02T11:00:00Z",
                Some("To-be ø"),
                &binary,
                b"",
                &[]
            )
            .await
            .expect("snap"),
        2
    );
    assert_eq!(
        store
            .add_snapshot("ab", "2025-01-03T09:00:00Z", None, b"x", b"y", &[])
            .await
            .expect("snap"),
        1
    );
    assert_eq!(
        store.snapshots("a").await.expect("snapshots"),
        vec![
            // Unnamed, as every snapshot stored before names existed: it reads back without one.
            SnapshotInfo {
                seq: 1,
                taken_at: "2025-01-02T10:00:00Z".to_string(),
                name: None,
            },
            SnapshotInfo {
                seq: 2,
                taken_at: "2025-01-02T11:00:00Z".to_string(),
                name: Some("To-be ø".to_string()),
            },
        ]
    );
    assert_eq!(
        store.snapshot("a", 2).await.expect("snapshot"),
        Some(SnapshotRecord {
            seq: 2,
            taken_at: "2025-01-02T11:00:00Z".to_string(),
            name: Some("To-be ø".to_string()),
            wall: binary.clone(),
            control: Vec::new(),
            groups: Vec::new(),
        })
    );
    assert_eq!(store.snapshot("a", 3).await.expect("snapshot"), None);

    // Group documents (v2): stored and snapshotted beside the wall, each under its own name.
    let (g1, g2) = (
        super::GroupId::new("g-1").unwrap(),
        super::GroupId::new("g_2").unwrap(),
    );
    store
        .create_room(&record("g"), b"", b"")
        .await
        .expect("create g");
    store
        .write_batch(&[
            append("g", DocKind::Group(g1), b"one"),
            append("g", DocKind::Group(g2), b"two"),
            append("g", DocKind::Wall, b"wall"),
        ])
        .await
        .expect("group appends");
    assert_eq!(
        content(store.load_doc("g", DocKind::Group(g2)).await.expect("load")),
        (None, vec![b"two".to_vec()])
    );
    let groups = vec![(g2, b"s2".to_vec()), (g1, b"s1".to_vec())];
    store
        .add_snapshot("g", "2025-01-04T09:00:00Z", None, b"w", b"c", &groups)
        .await
        .expect("snap");
    assert_eq!(
        store
            .snapshot("g", 1)
            .await
            .expect("snapshot")
            .map(|s| s.groups),
        Some(vec![(g1, b"s1".to_vec()), (g2, b"s2".to_vec())]),
        "by column id"
    );
    assert_eq!(store.snapshots("ab").await.expect("snapshots").len(), 1);

    // Room `ab` saw none of `a`'s writes.
    assert_eq!(
        content(store.load_doc("ab", DocKind::Wall).await.expect("load")),
        doc(b"ab-wall", &[])
    );
    assert_eq!(
        content(store.load_doc("ab", DocKind::Control).await.expect("load")),
        doc(b"ab-control", &[])
    );

    // Updates set aside are kept once each, per document, apart from the log.
    assert!(store
        .set_aside_updates("a", DocKind::Wall)
        .await
        .expect("set aside")
        .is_empty());
    store
        .set_aside("a", DocKind::Wall, b"bad-1")
        .await
        .expect("set aside");
    store
        .set_aside("a", DocKind::Wall, b"bad-2")
        .await
        .expect("set aside");
    store
        .set_aside("a", DocKind::Wall, b"bad-1")
        .await
        .expect("set aside again");
    let mut kept = store
        .set_aside_updates("a", DocKind::Wall)
        .await
        .expect("set aside");
    kept.sort();
    assert_eq!(kept, vec![b"bad-1".to_vec(), b"bad-2".to_vec()]);
    assert!(store
        .set_aside_updates("a", DocKind::Control)
        .await
        .expect("set aside")
        .is_empty());
    assert!(store
        .set_aside_updates("ab", DocKind::Wall)
        .await
        .expect("set aside")
        .is_empty());

    // Seats: kept per room, replaced by id, removed once; the participant digest is replaced.
    let seat = |id: &str, name: &str| SeatRecord {
        seat_id: id.to_string(),
        name: name.to_string(),
        group: "borgerservice".to_string(),
        token_digest: format!("{id}-digest"),
        created_at: "2025-01-02T03:04:05Z".to_string(),
    };
    assert!(store.seats("a").await.expect("seats").is_empty());
    store
        .put_seat("a", &seat("s1", "Anne"))
        .await
        .expect("seat");
    store.put_seat("a", &seat("s2", "Bo")).await.expect("seat");
    store
        .put_seat("ab", &seat("s9", "Other room"))
        .await
        .expect("seat");
    store
        .put_seat("a", &seat("s1", "Anne J."))
        .await
        .expect("rename");
    let mut seats = store.seats("a").await.expect("seats");
    seats.sort_by(|x, y| x.seat_id.cmp(&y.seat_id));
    assert_eq!(seats, vec![seat("s1", "Anne J."), seat("s2", "Bo")]);
    assert!(store.remove_seat("a", "s2").await.expect("remove"));
    assert!(!store.remove_seat("a", "s2").await.expect("remove again"));
    store
        .set_participant_digest("a", &"n".repeat(64))
        .await
        .expect("new digest");
    let renewed = store.room("a").await.expect("room").expect("a");
    assert_eq!(renewed.participant_digest, "n".repeat(64));
    store
        .set_participant_digest("a", &record("a").participant_digest)
        .await
        .expect("old digest back");
    assert!(matches!(
        store.put_seat("nobody", &seat("s1", "Anne")).await,
        Err(StoreError::NoRoom(_))
    ));
    assert!(store.seats("nobody").await.expect("seats").is_empty());
}

/// Fills room `id` with one of everything a room can hold: both documents with a log and a
/// compacted state, a group document, two snapshots, a seat and an update set aside.
async fn fill(store: &dyn Store, id: &str) {
    let group = DocKind::Group(super::GroupId::new("borgerservice").unwrap());
    store
        .create_room(&record(id), b"wall-0", b"control-0")
        .await
        .expect("create");
    store
        .write_batch(&[
            append(id, DocKind::Wall, b"w1"),
            compact(id, DocKind::Wall, b"wall-1"),
            append(id, DocKind::Wall, b"w2"),
            append(id, DocKind::Control, b"c1"),
            append(id, group, b"g1"),
        ])
        .await
        .expect("batch");
    let groups = [(
        super::GroupId::new("borgerservice").unwrap(),
        b"sg".to_vec(),
    )];
    for name in [Some("As-is"), None] {
        store
            .add_snapshot(id, "2025-01-02T10:00:00Z", name, b"sw", b"sc", &groups)
            .await
            .expect("snapshot");
    }
    store
        .put_seat(
            id,
            &SeatRecord {
                seat_id: "s1".to_string(),
                name: "Anne".to_string(),
                group: "borgerservice".to_string(),
                token_digest: "d".repeat(64),
                created_at: "2025-01-02T03:04:05Z".to_string(),
            },
        )
        .await
        .expect("seat");
    store
        .set_aside(id, DocKind::Wall, b"bad")
        .await
        .expect("set aside");
    assert!(store
        .set_join_code(id, Some(&format!("CODE-{id}")))
        .await
        .expect("join code"));
    let cast = store
        .vote(id, &round("r1", 3, 2), "s1", "card-1", Change::Cast)
        .await
        .expect("vote");
    assert!(cast.is_ok());
}

/// Is anything of room `id` left, as the trait reads it?
async fn what_is_left(store: &dyn Store, id: &str) -> Vec<&'static str> {
    let group = DocKind::Group(super::GroupId::new("borgerservice").unwrap());
    let mut left = Vec::new();
    if store.room(id).await.expect("room").is_some() {
        left.push("record");
    }
    for (kind, name) in [
        (DocKind::Wall, "wall"),
        (DocKind::Control, "control"),
        (group, "group document"),
    ] {
        if content(store.load_doc(id, kind).await.expect("load")) != (None, Vec::new()) {
            left.push(name);
        }
    }
    if !store.snapshots(id).await.expect("snapshots").is_empty()
        || store.snapshot(id, 1).await.expect("snapshot").is_some()
    {
        left.push("snapshots");
    }
    if !store.seats(id).await.expect("seats").is_empty() {
        left.push("seats");
    }
    if !store
        .set_aside_updates(id, DocKind::Wall)
        .await
        .expect("set aside")
        .is_empty()
    {
        left.push("set aside");
    }
    if store.changed_at(id).await.expect("changed_at").is_some() {
        left.push("change time");
    }
    if !store.votes(id, "r1").await.expect("votes").is_empty() {
        left.push("votes");
    }
    if store.join_code(id).await.expect("join code").is_some()
        || store
            .join_code_room(&format!("CODE-{id}"))
            .await
            .expect("join code room")
            .is_some()
    {
        left.push("join code");
    }
    left
}

/// Deleting room `d` removes every part of it and nothing of room `de` (whose id `d` is a prefix
/// of) or `e`; nothing written for `d` afterwards brings any of it back. `store` must not hold
/// rooms `d`, `de` or `e`.
pub(crate) async fn deletion(store: &dyn Store) {
    let everything = vec![
        "record",
        "wall",
        "control",
        "group document",
        "snapshots",
        "seats",
        "set aside",
        "change time",
        "votes",
        "join code",
    ];
    for id in ["d", "de", "e"] {
        fill(store, id).await;
        assert_eq!(
            what_is_left(store, id).await,
            everything,
            "room {id} is full"
        );
    }
    assert!(store.delete_room("d").await.expect("delete"), "d existed");
    assert_eq!(what_is_left(store, "d").await, Vec::<&str>::new());
    for id in ["de", "e"] {
        assert_eq!(
            what_is_left(store, id).await,
            everything,
            "room {id} untouched"
        );
    }
    assert_eq!(
        content(store.load_doc("de", DocKind::Wall).await.expect("load")),
        doc(b"wall-1", &[b"w2"])
    );

    // What was still queued for `d` is dropped; nothing of it comes back.
    store
        .write_batch(&[
            append("d", DocKind::Wall, b"late"),
            compact("d", DocKind::Control, b"late"),
        ])
        .await
        .expect("late batch");
    store
        .touch_rooms(&["d".to_string()], u64::MAX / 2)
        .await
        .expect("late touch");
    assert!(matches!(
        store.add_snapshot("d", "t", None, b"w", b"c", &[]).await,
        Err(StoreError::NoRoom(_))
    ));
    assert!(matches!(
        store.set_aside("d", DocKind::Wall, b"late").await,
        Err(StoreError::NoRoom(_))
    ));
    assert_eq!(what_is_left(store, "d").await, Vec::<&str>::new());
    assert!(
        store
            .stale_rooms(u64::MAX / 2, 0)
            .await
            .expect("stale")
            .iter()
            .all(|id| id != "d"),
        "a deleted room is not listed for retention"
    );

    // Deleting again, or a room that never was: nothing to do.
    assert!(!store.delete_room("d").await.expect("delete again"));
    assert!(!store.delete_room("nobody").await.expect("delete unknown"));
    assert_eq!(what_is_left(store, "de").await, everything);
}

/// Change times: a room's is its creation, then the latest recorded change (never earlier); the
/// rooms changed before a time are listed for retention. `store` must not hold rooms `old`,
/// `new` or `nobody`.
pub(crate) async fn retention(store: &dyn Store) {
    // `record` says 2025-01-02T03:04:05Z.
    let created = 1_735_787_045_000;
    for id in ["old", "new"] {
        room(store, id).await;
        assert_eq!(store.changed_at(id).await.expect("changed"), Some(created));
    }
    let later = created + 86_400_000;
    store
        .touch_rooms(&["new".to_string(), "nobody".to_string()], later)
        .await
        .expect("touch");
    store
        .touch_rooms(&["new".to_string()], later - 1)
        .await
        .expect("touch earlier");
    assert_eq!(store.changed_at("new").await.expect("changed"), Some(later));
    assert_eq!(
        store.changed_at("old").await.expect("changed"),
        Some(created)
    );
    assert_eq!(store.changed_at("nobody").await.expect("changed"), None);
    assert!(store.room("nobody").await.expect("room").is_none());

    // (Of these two: the store may hold other rooms.)
    let stale = |before| async move {
        let mut ids = store.stale_rooms(before, later).await.expect("stale");
        ids.retain(|id| id == "old" || id == "new");
        ids.sort();
        ids
    };
    assert!(stale(created).await.is_empty(), "the cut-off is exclusive");
    assert_eq!(stale(created + 1).await, vec!["old"]);
    assert_eq!(stale(later + 1).await, vec!["new", "old"]);
}

/// A compaction whose state was taken before the log's last `newer` entries (its load-back check
/// ran while they were appended: `room/writer.rs`) keeps them, and the appends after it, in order;
/// with fewer entries than `newer` it drops none.
pub(crate) async fn a_compaction_keeps_the_entries_newer_than_its_state(store: &dyn Store) {
    let newer = |state: &[u8], newer: usize| WriteOp::Compact {
        room: "n".into(),
        doc: DocKind::Wall,
        state: state.to_vec(),
        upto: None,
        newer,
    };
    room(store, "n").await;
    store
        .write_batch(&[
            append("n", DocKind::Wall, b"w5"),
            append("n", DocKind::Wall, b"w6"),
            append("n", DocKind::Wall, b"w7"),
        ])
        .await
        .expect("batch 6");
    store
        .write_batch(&[newer(b"wall-2", 2), append("n", DocKind::Wall, b"w8")])
        .await
        .expect("batch 7");
    assert_eq!(
        content(store.load_doc("n", DocKind::Wall).await.expect("load")),
        doc(b"wall-2", &[b"w6", b"w7", b"w8"])
    );
    store
        .write_batch(&[newer(b"wall-3", 5)])
        .await
        .expect("batch 8");
    assert_eq!(
        content(store.load_doc("n", DocKind::Wall).await.expect("load")),
        doc(b"wall-3", &[b"w6", b"w7", b"w8"])
    );
    store
        .write_batch(&[newer(b"wall-4", 1), append("n", DocKind::Wall, b"w9")])
        .await
        .expect("batch 9");
    assert_eq!(
        content(store.load_doc("n", DocKind::Wall).await.expect("load")),
        doc(b"wall-4", &[b"w8", b"w9"])
    );
}

/// What [`exercise`] leaves behind, checked on a store reopened over the same data.
pub(crate) async fn check_after_exercise(store: &dyn Store) {
    assert_eq!(store.room("a").await.expect("room"), Some(record("a")));
    let seats = store.seats("a").await.expect("seats");
    assert_eq!(
        seats.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        vec!["Anne J."],
        "seats are durable"
    );
    assert_eq!(
        content(store.load_doc("a", DocKind::Wall).await.expect("load")),
        doc(b"wall-1", &[b"w5", b"w6"])
    );
    assert_eq!(
        content(store.load_doc("a", DocKind::Control).await.expect("load")),
        doc(b"control-1", &[b"c2"])
    );
    assert_eq!(store.snapshots("a").await.expect("snapshots").len(), 2);
    // Numbering goes on from where it was.
    assert_eq!(
        store
            .add_snapshot("a", "2025-01-02T12:00:00Z", None, b"w", b"c", &[])
            .await
            .expect("snap"),
        3
    );
    store
        .write_batch(&[append("a", DocKind::Wall, b"w7")])
        .await
        .expect("append");
    assert_eq!(
        content(store.load_doc("a", DocKind::Wall).await.expect("load")),
        doc(b"wall-1", &[b"w5", b"w6", b"w7"])
    );
}

/// Room `room`, whose change time the caller has removed (a room made by an earlier version),
/// counts from the first sweep: not stale at it, and stale once the period has passed from it.
pub(crate) async fn a_room_without_a_change_time_counts_from_the_first_sweep(
    store: &dyn Store,
    room: &str,
) {
    assert_eq!(store.changed_at(room).await.expect("changed"), None);
    assert!(store
        .stale_rooms(500, 1_000)
        .await
        .expect("stale")
        .is_empty());
    assert_eq!(store.changed_at(room).await.expect("changed"), Some(1_000));
    assert_eq!(
        store.stale_rooms(1_001, 2_000).await.expect("stale"),
        vec![room.to_string()]
    );
}

/// A voting round `id` with `budget` votes per seat, at most `cap` on one target.
pub(crate) fn round(id: &str, budget: u32, cap: u32) -> Round {
    Round {
        id: id.to_string(),
        target: Target::Cards,
        budget,
        cap,
        anonymous: false,
        started_at: 0,
        ends_at: None,
        open: true,
    }
}

/// Dot voting: the budget and the cap are kept, also by many votes of one seat at once; rounds
/// and seats are counted apart; a vote for a room the store does not have fails. `store` must
/// hold room `v` (made here) and no room `nobody`.
pub(crate) async fn voting(store: &dyn Store) {
    room(store, "v").await;
    let r = round("r1", 3, 2);
    let vote = |seat: &'static str, target: &'static str, change| {
        let r = r.clone();
        async move {
            store
                .vote("v", &r, seat, target, change)
                .await
                .expect("vote")
        }
    };
    let spent = |total, on_target| Ok(Spent { total, on_target });
    assert_eq!(vote("anne", "a", Change::Cast).await, spent(1, 1));
    assert_eq!(vote("anne", "a", Change::Cast).await, spent(2, 2));
    assert_eq!(
        vote("anne", "a", Change::Cast).await,
        Err(Refused::CapReached {
            cap: 2,
            target: "card"
        })
    );
    assert_eq!(vote("anne", "b", Change::Cast).await, spent(3, 1));
    assert_eq!(
        vote("anne", "c", Change::Cast).await,
        Err(Refused::NoVotesLeft { budget: 3 })
    );
    assert_eq!(
        vote("anne", "c", Change::TakeBack).await,
        Err(Refused::NothingToTakeBack)
    );
    assert_eq!(vote("anne", "b", Change::TakeBack).await, spent(2, 0));
    assert_eq!(vote("anne", "c", Change::Cast).await, spent(3, 1));
    assert_eq!(vote("bo", "a", Change::Cast).await, spent(1, 1));
    // Another round starts from nothing.
    let other = round("r2", 1, 1);
    assert_eq!(
        store
            .vote("v", &other, "anne", "a", Change::Cast)
            .await
            .expect("vote"),
        spent(1, 1)
    );

    let mut counts = store.votes("v", "r1").await.expect("votes");
    counts.sort_by(|x, y| (&x.seat, &x.target).cmp(&(&y.seat, &y.target)));
    let expected = [("anne", "a", 2), ("anne", "c", 1), ("bo", "a", 1)];
    assert_eq!(
        counts
            .iter()
            .map(|c| (c.seat.as_str(), c.target.as_str(), c.votes))
            .collect::<Vec<_>>(),
        expected.to_vec()
    );
    assert_eq!(store.votes("v", "r2").await.expect("votes").len(), 1);
    assert!(store.votes("v", "r3").await.expect("votes").is_empty());

    // Twenty votes of one seat at once, budget 5: exactly five count.
    let wide = round("r4", 5, 5);
    let targets = ["x", "y", "z", "w"];
    let attempts = (0..20).map(|i| {
        let wide = wide.clone();
        async move {
            store
                .vote("v", &wide, "cy", targets[i % 4], Change::Cast)
                .await
                .expect("vote")
        }
    });
    let results = futures_util::future::join_all(attempts).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 5);
    let total: u32 = store
        .votes("v", "r4")
        .await
        .expect("votes")
        .iter()
        .map(|c| c.votes)
        .sum();
    assert_eq!(total, 5);

    assert!(matches!(
        store.vote("nobody", &r, "anne", "a", Change::Cast).await,
        Err(StoreError::NoRoom(_))
    ));
}

/// Join codes: one per room, unique across rooms, replaced and removed; a room the store does
/// not have gets none. `store` must hold no rooms `j1`, `j2`.
pub(crate) async fn join_codes(store: &dyn Store) {
    for id in ["j1", "j2"] {
        room(store, id).await;
    }
    assert!(store
        .set_join_code("j1", Some("AAAAAA"))
        .await
        .expect("set"));
    assert_eq!(
        store.join_code("j1").await.expect("get").as_deref(),
        Some("AAAAAA")
    );
    assert_eq!(
        store
            .join_code_room("AAAAAA")
            .await
            .expect("room")
            .as_deref(),
        Some("j1")
    );
    assert!(
        !store
            .set_join_code("j2", Some("AAAAAA"))
            .await
            .expect("set"),
        "another room's code"
    );
    assert_eq!(store.join_code("j2").await.expect("get"), None);
    // Replaced: the old code no longer leads anywhere, and another room may take it.
    assert!(store
        .set_join_code("j1", Some("BBBBBB"))
        .await
        .expect("set"));
    assert_eq!(store.join_code_room("AAAAAA").await.expect("room"), None);
    assert!(store
        .set_join_code("j2", Some("AAAAAA"))
        .await
        .expect("set"));
    assert_eq!(
        store
            .join_code_room("AAAAAA")
            .await
            .expect("room")
            .as_deref(),
        Some("j2")
    );
    // Removed.
    assert!(store.set_join_code("j1", None).await.expect("clear"));
    assert_eq!(store.join_code("j1").await.expect("get"), None);
    assert_eq!(store.join_code_room("BBBBBB").await.expect("room"), None);
    assert!(matches!(
        store.set_join_code("nobody", Some("CCCCCC")).await,
        Err(StoreError::NoRoom(_))
    ));
}
