//! Roll back (v2): the facilitator restores the room to a snapshot, live for everyone and
//! durably, as an ordinary update; the state before is kept as a snapshot, so a restore is undone
//! the same way. A client that was offline during the restore merges as usual: what it wrote
//! meanwhile survives. With the embedded store, and with Redis across two nodes.

use kortvaeg_tests::*;
use serde_json::Value;

async fn restore(server: &Server, room: &str, seq: u64, token: &str) -> Response {
    server
        .post_json(
            &format!("/api/rooms/{room}/snapshots/{seq}/restore"),
            Some(token),
            &Value::Null,
        )
        .await
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_brings_back_the_snapshot_for_everyone_and_can_itself_be_undone() {
    let mut f = Fixture::new().await;
    let (row, col) = as_is_cell();
    let (room, fac) = (f.room.id.clone(), f.room.facilitator_token.clone());
    let (room, fac) = (&room, &fac);
    let online = f.wall(Role::Participant).await;
    online.add_card("a", &row, &col, "A");
    online.add_card("b", &row, &col, "B");
    online.set_answer("s1", "asis-2", 12.0);
    online.barrier().await;
    let snap = f.server.take_snapshot(room, fac).await;

    // After the snapshot: a deleted, c added online; d written by a client while it is offline.
    let offline = f.wall(Role::Participant).await;
    offline.wait_cards_present(&["a", "b"]).await;
    let offline_doc = offline.doc.clone();
    offline.close().await;
    online.remove_card("a");
    online.add_card("c", &row, &col, "C");
    online.set_answer("s1", "asis-2", 30.0);
    online.barrier().await;
    add_card_offline(&offline_doc, "d", &row, &col, "skrevet offline");

    // Only the facilitator restores.
    for token in [&f.room.participant_token, &f.room.review_token] {
        restore(&f.server, room, snap.seq, token)
            .await
            .assert_error(403);
    }
    restore(&f.server, room, 99, fac).await.assert_error(404);
    let answer = restore(&f.server, room, snap.seq, fac).await;
    answer.assert_status(200);
    let before = answer.json()["seq"].as_u64().unwrap();
    assert_eq!(before, snap.seq + 1, "the state before is a new snapshot");

    // Live: the online client sees a back and c gone, and the answer as it was.
    online
        .wait_cards("the snapshot's cards", |cards| {
            let ids: Vec<&str> = cards.iter().map(|c| c.id.as_str()).collect();
            ids.contains(&"a") && ids.contains(&"b") && !ids.contains(&"c")
        })
        .await;
    // The answer changed in the same update as the cards.
    let answer = {
        use yrs::{Map, ReadTxn, Transact};
        let txn = online.doc.transact();
        txn.get_map("answers")
            .and_then(|m| m.get(&txn, "s1/asis-2"))
            .map(|v| v.to_string(&txn))
    };
    assert_eq!(answer.as_deref(), Some("12"), "the answer as it was");

    // The offline client comes back: its card d survives the merge, the restore holds.
    let back = YClient::reconnect_with(
        &f.server,
        room,
        DocKind::Wall,
        &f.room.participant_token,
        offline_doc,
    )
    .await;
    let want = vec!["a".to_string(), "b".to_string(), "d".to_string()];
    online
        .wait_cards("the offline card merged in", |cards| {
            sorted(cards.iter().map(|c| c.id.clone()).collect()) == want
        })
        .await;
    back.wait_cards("the same on the returning client", |cards| {
        sorted(cards.iter().map(|c| c.id.clone()).collect()) == want
    })
    .await;

    // Durable: after a restart the room is as restored.
    f.server.restart().await;
    let fresh = f.wall(Role::Review).await;
    assert_eq!(sorted(fresh.card_ids()), want);

    // Undone the same way: the snapshot of the state before brings c back and a away again.
    restore(&f.server, room, before, fac)
        .await
        .assert_status(200);
    fresh
        .wait_cards("the restore undone", |cards| {
            let ids: Vec<&str> = cards.iter().map(|c| c.id.as_str()).collect();
            ids.contains(&"c") && ids.contains(&"b") && !ids.contains(&"a")
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_on_one_node_reaches_the_clients_of_the_other() {
    let redis = Redis::start().await;
    let opts = ServerOptions::default().redis(redis.url());
    let one = Server::start(opts.clone()).await;
    let two = Server::start(opts).await;
    let room = one.new_room().await;
    let (row, col) = as_is_cell();
    let on_one = YClient::wall(&one, &room.id, &room.participant_token).await;
    let on_two = YClient::wall(&two, &room.id, &room.participant_token).await;
    on_one.add_card("a", &row, &col, "A");
    on_two.wait_cards_present(&["a"]).await;
    let snap = one.take_snapshot(&room.id, &room.facilitator_token).await;
    on_two.add_card("b", &row, &col, "B");
    on_one.wait_cards_present(&["a", "b"]).await;
    restore(&two, &room.id, snap.seq, &room.facilitator_token)
        .await
        .assert_status(200);
    for c in [&on_one, &on_two] {
        c.wait_cards("only a", |cards| cards.len() == 1 && cards[0].id == "a")
            .await;
    }
}
