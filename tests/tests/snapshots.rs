//! Snapshots for plenary review: taken by the facilitator, listed oldest first, read back as plain
//! data (a `Y.Text` as a string), frozen at the time they were taken; 403/404 cases.

use kortvaeg_tests::*;

fn assert_rfc3339(s: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s:?} is not RFC 3339: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_are_taken_listed_and_read_back() {
    let f = Fixture::new().await;
    let room = &f.room.id;
    let fac = &f.room.facilitator_token;
    let (row, col) = as_is_cell();
    let t = template(AS_IS);

    assert!(
        f.server.snapshots(room, fac).await.is_empty(),
        "a new room has snapshots"
    );

    let w = f.wall(Role::Participant).await;
    w.add_card("plain", &row, &col, "almindelig tekst");
    w.add_card_ytext("ytext", &t.rows[1].id, &t.columns[2].id, "Y.Text med æøå");
    w.add_card_fields(
        "full",
        vec![
            ("row", "asis-3".into()),
            ("column", "voksenservice".into()),
            ("text", "alle felter".into()),
            ("sagsomraade", "Hjælp til forsørgelse".into()),
            ("kle", "32.18.00".into()),
            ("author", "Gruppe 2".into()),
            ("group", "2".into()),
            ("created_at", 1_795_000_000_000.0.into()),
        ],
    );
    w.barrier().await;

    let s1 = f.server.take_snapshot(room, fac).await;
    let t1 = assert_rfc3339(&s1.taken_at);

    // Changes after the snapshot are not in it.
    w.add_card("later", &row, &col, "efter snapshot 1");
    w.remove_card("plain");
    w.barrier().await;
    let s2 = f.server.take_snapshot(room, fac).await;
    let t2 = assert_rfc3339(&s2.taken_at);
    assert!(s2.seq > s1.seq, "seq must grow: {s1:?} then {s2:?}");
    assert!(t2 >= t1, "taken_at must not go back: {s1:?} then {s2:?}");

    // Listed oldest first, by any role.
    for token in [fac, &f.room.participant_token, &f.room.review_token] {
        let list = f.server.snapshots(room, token).await;
        assert_eq!(list, vec![s1.clone(), s2.clone()]);
    }

    let v1 = f.server.snapshot(room, s1.seq, &f.room.review_token).await;
    let rows: Vec<&str> = v1.rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        rows,
        t.rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>()
    );
    assert_eq!(v1.rows[0].label, t.rows[0].label);
    let cols: Vec<&str> = v1.columns.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        cols,
        t.columns.iter().map(|c| c.id.as_str()).collect::<Vec<_>>()
    );
    let mut ids: Vec<&str> = v1.cards.iter().map(|c| c.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, vec!["full", "plain", "ytext"], "snapshot 1 cards");
    let card = |v: &WallView, id: &str| v.cards.iter().find(|c| c.id == id).cloned().unwrap();
    assert_eq!(card(&v1, "plain").text, "almindelig tekst");
    let yt = card(&v1, "ytext");
    assert_eq!(
        yt.text, "Y.Text med æøå",
        "a Y.Text must come out as a plain string"
    );
    assert_eq!(
        (yt.row.as_str(), yt.column.as_str()),
        (t.rows[1].id.as_str(), t.columns[2].id.as_str())
    );
    let full = card(&v1, "full");
    assert_eq!(
        full.extra.get("sagsomraade").and_then(|v| v.as_str()),
        Some("Hjælp til forsørgelse")
    );
    assert_eq!(
        full.extra.get("kle").and_then(|v| v.as_str()),
        Some("32.18.00")
    );
    assert_eq!(
        full.extra.get("author").and_then(|v| v.as_str()),
        Some("Gruppe 2")
    );
    assert_eq!(
        full.extra.get("created_at").and_then(|v| v.as_f64()),
        Some(1_795_000_000_000.0)
    );

    // The raw JSON has the contract's shape: text is a JSON string.
    let raw = f
        .server
        .get(
            &format!("/api/rooms/{room}/snapshots/{}", s1.seq),
            Some(fac),
        )
        .await
        .json();
    let raw_yt = raw["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "ytext")
        .unwrap()
        .clone();
    assert_eq!(raw_yt["text"], "Y.Text med æøå", "raw card: {raw_yt}");

    let v2 = f.server.snapshot(room, s2.seq, fac).await;
    let mut ids2: Vec<&str> = v2.cards.iter().map(|c| c.id.as_str()).collect();
    ids2.sort();
    assert_eq!(ids2, vec!["full", "later", "ytext"], "snapshot 2 cards");
    // And snapshot 1 did not change when the wall did.
    assert_eq!(f.server.snapshot(room, s1.seq, fac).await, v1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_facilitator_takes_snapshots() {
    let f = Fixture::new().await;
    let room = &f.room.id;
    let path = format!("/api/rooms/{room}/snapshots");
    for role in [Role::Participant, Role::Review] {
        f.server
            .post_raw(&path, Some(f.token(role)), "application/json", "{}")
            .await
            .assert_error(403);
    }
    assert!(
        f.server
            .snapshots(room, &f.room.facilitator_token)
            .await
            .is_empty(),
        "a refused POST made a snapshot"
    );
    f.server
        .post_raw(
            &path,
            Some(&f.room.facilitator_token),
            "application/json",
            "{}",
        )
        .await
        .assert_status(201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_snapshots_are_404() {
    let f = Fixture::new().await;
    let room = &f.room.id;
    let fac = &f.room.facilitator_token;
    f.server
        .get(&format!("/api/rooms/{room}/snapshots/1"), Some(fac))
        .await
        .assert_error(404);
    let s = f.server.take_snapshot(room, fac).await;
    f.server
        .get(&format!("/api/rooms/{room}/snapshots/{}", s.seq), Some(fac))
        .await
        .assert_status(200);
    f.server
        .get(
            &format!("/api/rooms/{room}/snapshots/{}", s.seq + 1),
            Some(fac),
        )
        .await
        .assert_error(404);
    f.server
        .get(
            &format!("/api/rooms/{room}/export.csv?snapshot={}", s.seq + 1),
            Some(fac),
        )
        .await
        .assert_error(404);
    // Another room's snapshot numbers are not this room's.
    let other = f.server.new_room().await;
    f.server
        .get(
            &format!("/api/rooms/{}/snapshots/{}", other.id, s.seq),
            Some(&other.facilitator_token),
        )
        .await
        .assert_error(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_survive_a_restart_with_redis() {
    let redis = Redis::start().await;
    let mut f = Fixture::with(ServerOptions::new().redis(redis.url())).await;
    let room = f.room.id.clone();
    let fac = f.room.facilitator_token.clone();
    let (row, col) = as_is_cell();
    let w = f.wall(Role::Facilitator).await;
    w.add_card("kept", &row, &col, "i snapshot");
    w.barrier().await;
    let s = f.server.take_snapshot(&room, &fac).await;
    let before = f.server.snapshot(&room, s.seq, &fac).await;
    drop(w);
    f.server.kill9();
    f.server.restart().await;
    assert_eq!(f.server.snapshots(&room, &fac).await, vec![s.clone()]);
    assert_eq!(f.server.snapshot(&room, s.seq, &fac).await, before);
    // Numbering continues after the restart.
    let s2 = f.server.take_snapshot(&room, &fac).await;
    assert!(s2.seq > s.seq, "seq after restart {s2:?} not after {s:?}");
}
