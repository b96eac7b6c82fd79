//! Deleting a room and retention: the facilitator deletes a room (`DELETE /api/rooms/{id}`) and it
//! is gone for everyone — its clients on every node closed with 4404, every REST and WebSocket
//! route of it `404`, nothing of it left in the store (not even after a restart, nor from what was
//! still being written when it went) — while other rooms go on untouched; no other token may
//! delete it; and with `--retain-days` an idle room is deleted by the sweep while a room in use
//! is kept.

use std::time::Duration;

use kortvaeg_tests::*;
use serde_json::Value;

/// The close reason of a room the facilitator deleted.
const DELETED: (u16, &str) = (4404, "the facilitator deleted this workshop");

async fn delete(server: &Server, room: &str, token: &str) -> Response {
    server
        .call("DELETE", &format!("/api/rooms/{room}"), token, None)
        .await
}

/// Every REST route and WebSocket document of `room` answers `404` with a JSON error.
async fn all_gone(server: &Server, room: &RoomCreated) {
    let id = &room.id;
    for token in [
        &room.facilitator_token,
        &room.participant_token,
        &room.review_token,
    ] {
        for path in [
            format!("/api/rooms/{id}"),
            format!("/api/rooms/{id}/snapshots"),
            format!("/api/rooms/{id}/snapshots/1"),
            format!("/api/rooms/{id}/export.csv"),
            format!("/api/rooms/{id}/export.xlsx"),
            format!("/api/rooms/{id}/sheet"),
            format!("/api/rooms/{id}/seats"),
        ] {
            server.get(&path, Some(token)).await.assert_error(404);
        }
        for kind in [
            DocKind::Wall,
            DocKind::Control,
            DocKind::Group("borgerservice"),
        ] {
            let refused = YClient::refused(&server.ws_url(id, kind, Some(token))).await;
            assert!(refused.is(404), "{kind:?} of a deleted room: {refused:?}");
        }
    }
    delete(server, id, &room.facilitator_token)
        .await
        .assert_error(404);
}

fn now_secs() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    now.expect("after 1970").as_secs() as i64
}

/// The value of a counter in `/metrics` (0 when it is not there yet).
async fn counter(server: &Server, name_and_labels: &str) -> f64 {
    let text = server.get("/metrics", None).await.text();
    text.lines()
        .find_map(|line| line.strip_prefix(name_and_labels)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_facilitator_deletes_a_room_and_it_is_gone_for_everyone() {
    let mut server = Server::start_default().await;
    let room = server.new_room().await;
    let other = server.new_room().await;
    let (row, col) = as_is_cell();
    let (_, anne) = server
        .seat(&room.id, &room.participant_token, "Anne", "borgerservice")
        .await;

    // A room with something in every part: cards on the wall and in a group document, a
    // snapshot, a seat; clients on every kind of document.
    let wall = YClient::wall(&server, &room.id, &room.participant_token).await;
    let control = YClient::control(&server, &room.id, &room.facilitator_token).await;
    let group = YClient::group(&server, &room.id, "borgerservice", &anne).await;
    wall.add_card("w1", &row, &col, "på væggen");
    group.add_card("g1", &row, "borgerservice", "Annes kort");
    wall.barrier().await;
    group.barrier().await;
    server
        .take_snapshot(&room.id, &room.facilitator_token)
        .await;
    let neighbour = YClient::wall(&server, &other.id, &other.participant_token).await;
    neighbour.add_card("n1", &row, &col, "naboens kort");
    neighbour.barrier().await;

    // Retention is on by default: the facilitator sees when the room would go, nobody else.
    let info = server
        .get_json(
            &format!("/api/rooms/{}", room.id),
            Some(&room.facilitator_token),
        )
        .await;
    let deletes_at = info["deletes_at"].as_str().expect("deletes_at");
    let deletes_at = chrono::DateTime::parse_from_rfc3339(deletes_at).expect("RFC 3339");
    let days = (deletes_at.timestamp() - now_secs()) as f64 / 86_400.0;
    assert!((179.9..=180.1).contains(&days), "{days} days ahead");
    let info = server
        .get_json(&format!("/api/rooms/{}", room.id), Some(&anne))
        .await;
    assert!(info.get("deletes_at").is_none(), "{info}");

    // Unknown room, no token.
    delete(&server, "nosuchroom00", &room.facilitator_token)
        .await
        .assert_error(404);
    server
        .request("DELETE", &format!("/api/rooms/{}", room.id), None, "")
        .await
        .assert_error(401);

    let before = counter(
        &server,
        "kortvaeg_rooms_deleted_total{reason=\"facilitator\"}",
    )
    .await;
    delete(&server, &room.id, &room.facilitator_token)
        .await
        .assert_status(204);
    for client in [&wall, &control, &group] {
        let (code, reason) = client.closed().await;
        assert_eq!((code, reason.as_str()), DELETED);
    }
    all_gone(&server, &room).await;
    assert_eq!(
        counter(
            &server,
            "kortvaeg_rooms_deleted_total{reason=\"facilitator\"}"
        )
        .await,
        before + 1.0
    );

    // The other room goes on as before.
    assert_eq!(
        neighbour.settle().await,
        None,
        "the other room's client is open"
    );
    neighbour.add_card("n2", &row, &col, "efter sletningen");
    let late = YClient::wall(&server, &other.id, &other.review_token).await;
    late.wait_cards_present(&["n1", "n2"]).await;

    // Nothing of the room comes back when the server stops (it flushes every room) and starts.
    drop((wall, control, group, late));
    neighbour.close().await;
    server.restart().await;
    all_gone(&server, &room).await;
    let after = YClient::wall(&server, &other.id, &other.review_token).await;
    after.wait_cards_present(&["n1", "n2"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_facilitator_may_delete_and_a_refusal_loses_nothing() {
    let f = Fixture::new().await;
    let (row, col) = as_is_cell();
    let (_, seat) = f
        .server
        .seat(&f.room.id, &f.room.participant_token, "Bo", "borgerservice")
        .await;
    let wall = f.wall(Role::Participant).await;
    wall.add_card("c1", &row, &col, "bliver");
    wall.barrier().await;
    f.server
        .take_snapshot(&f.room.id, &f.room.facilitator_token)
        .await;
    for token in [&f.room.participant_token, &f.room.review_token, &seat] {
        let message = delete(&f.server, &f.room.id, token).await.assert_error(403);
        assert!(message.contains("facilitator"), "{message}");
    }
    assert_eq!(wall.settle().await, None, "nobody was closed");
    let info: Value = f
        .server
        .get_json(&format!("/api/rooms/{}", f.room.id), Some(&seat))
        .await;
    assert_eq!(info["seat"]["name"], "Bo");
    assert_eq!(
        f.server
            .snapshots(&f.room.id, &f.room.review_token)
            .await
            .len(),
        1
    );
    let reader = f.wall(Role::Review).await;
    reader.wait_cards_present(&["c1"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_on_one_node_closes_every_node_and_leaves_no_key_in_redis() {
    let redis = Redis::start().await;
    let n: Vec<Server> = futures_util::future::join_all(
        (0..2).map(|_| Server::start(ServerOptions::new().redis(redis.url()))),
    )
    .await;
    let room = n[0].new_room().await;
    let other = n[0].new_room().await;
    let (row, col) = as_is_cell();
    let (_, anne) = n[0]
        .seat(&room.id, &room.participant_token, "Anne", "borgerservice")
        .await;

    let here = YClient::wall(&n[0], &room.id, &room.participant_token).await;
    let there = YClient::wall(&n[1], &room.id, &room.participant_token).await;
    let group_there = YClient::group(&n[1], &room.id, "borgerservice", &anne).await;
    let control_there = YClient::control(&n[1], &room.id, &room.facilitator_token).await;
    here.add_card("h1", &row, &col, "fra node 0");
    group_there.add_card("g1", &row, "borgerservice", "fra node 1");
    there.wait_cards_present(&["h1"]).await;
    group_there.barrier().await;
    n[1].take_snapshot(&room.id, &room.facilitator_token).await;
    let neighbour_here = YClient::wall(&n[0], &other.id, &other.participant_token).await;
    let neighbour_there = YClient::wall(&n[1], &other.id, &other.participant_token).await;
    neighbour_here.add_card("n1", &row, &col, "naboens kort");
    neighbour_there.wait_cards_present(&["n1"]).await;
    let pattern = format!("kortvaeg:room:{}*", room.id);
    assert!(redis.keys(&pattern).await.len() > 5, "the room is in Redis");

    // Node 0's client keeps writing while node 1 deletes: none of it may bring the room back.
    for i in 0..50 {
        here.add_card(&format!("late-{i}"), &row, &col, "skrevet under sletningen");
    }
    delete(&n[1], &room.id, &room.facilitator_token)
        .await
        .assert_status(204);
    for client in [&here, &there, &group_there, &control_there] {
        let (code, reason) = client.closed().await;
        assert_eq!((code, reason.as_str()), DELETED, "{}", client.url());
    }
    for node in &n {
        all_gone(node, &room).await;
    }
    assert_eq!(redis.keys(&pattern).await, Vec::<String>::new());

    // The other room goes on, on both nodes; afterwards still no key of the deleted room.
    neighbour_there.add_card("n2", &row, &col, "efter sletningen");
    neighbour_here.wait_cards_present(&["n1", "n2"]).await;
    assert_eq!(neighbour_here.settle().await, None);
    assert_eq!(redis.keys(&pattern).await, Vec::<String>::new());
    let mut conn = redis.connection().await;
    let changed: Option<f64> = redis::cmd("ZSCORE")
        .arg("kortvaeg:rooms:changed")
        .arg(&room.id)
        .query_async(&mut conn)
        .await
        .expect("ZSCORE");
    assert_eq!(changed, None, "no change time of the deleted room");
    assert!(!redis
        .keys(&format!("kortvaeg:room:{}*", other.id))
        .await
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_deletes_an_idle_room_and_keeps_one_in_use() {
    // Three seconds (a tenth of it between two change times), swept every 100 ms.
    let retain_days = 3.0 / 86_400.0;
    let server = Server::start(
        ServerOptions::new()
            .arg("--retain-days", retain_days)
            .arg("--retention-sweep-ms", 100),
    )
    .await;
    let idle = server.new_room().await;
    let busy = server.new_room().await;
    let (row, col) = as_is_cell();
    let watcher = YClient::wall(&server, &idle.id, &idle.review_token).await;
    let writer = YClient::wall(&server, &busy.id, &busy.participant_token).await;

    // The busy room changes every 200 ms until the idle one is deleted.
    let keep_busy = async {
        for i in 0.. {
            writer.add_card(&format!("c{i}"), &row, &col, "i brug");
            writer.barrier().await;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let closed = tokio::select! {
        closed = watcher.closed_within(Duration::from_secs(30)) => closed,
        _ = keep_busy => unreachable!(),
    };
    assert_eq!(
        (closed.0, closed.1.as_str()),
        (
            4404,
            "this workshop was deleted: it had not changed for the retention period"
        )
    );
    all_gone(&server, &idle).await;
    assert_eq!(writer.settle().await, None, "the room in use is kept");
    let info = server
        .get_json(
            &format!("/api/rooms/{}", busy.id),
            Some(&busy.facilitator_token),
        )
        .await;
    let deletes_at = chrono::DateTime::parse_from_rfc3339(info["deletes_at"].as_str().unwrap())
        .expect("RFC 3339");
    assert!(deletes_at.timestamp() >= now_secs() - 1, "{deletes_at}");
    assert_eq!(
        counter(
            &server,
            "kortvaeg_rooms_deleted_total{reason=\"retention\"}"
        )
        .await,
        1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_retention_no_date_is_given_and_a_bad_period_is_refused_at_start() {
    let server = Server::start(ServerOptions::new().arg("--retain-days", 0)).await;
    let room = server.new_room().await;
    let info = server
        .get_json(
            &format!("/api/rooms/{}", room.id),
            Some(&room.facilitator_token),
        )
        .await;
    assert!(info.get("deletes_at").is_none(), "{info}");
    for bad in ["-1", "soon", "inf"] {
        let output = Server::start_refused(ServerOptions::new().arg("--retain-days", bad)).await;
        assert!(output.contains("--retain-days"), "{bad}: {output}");
    }
}
