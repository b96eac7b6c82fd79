//! Seats (v2): joining creates a personal token that works wherever the participant token does;
//! the facilitator lists, renames, moves and removes seats (a removed seat's open connections close
//! with 4403 and its token is refused over REST and WebSocket), replaces the join link (the old one
//! is refused, seats keep working) and closes joining. Every bad request gets a JSON error.

use kortvaeg_tests::*;
use serde_json::{json, Value};

async fn call(
    server: &Server,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Response {
    server.call(method, path, token, body).await
}

/// A server, a room, and Anne seated in Borgerservice: (server, room, her seat id, her seat token).
async fn with_anne() -> (Server, RoomCreated, String, String) {
    let server = Server::start_default().await;
    let room = server.new_room().await;
    let anne = join(
        &server,
        &room.id,
        &room.participant_token,
        "Anne",
        "borgerservice",
    )
    .await;
    let text = |k: &str| anne[k].as_str().unwrap().to_string();
    let (id, token) = (text("seat_id"), text("seat_token"));
    (server, room, id, token)
}

async fn join(server: &Server, room: &str, token: &str, name: &str, group: &str) -> Value {
    server.join(room, token, name, group).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_is_a_person_the_facilitator_can_rename_move_and_remove() {
    let server = Server::start_default().await;
    let room = server.new_room().await;
    let seats = format!("/api/rooms/{}/seats", room.id);
    let anne = join(
        &server,
        &room.id,
        &room.participant_token,
        "  Anne Jensen ",
        "borgerservice",
    )
    .await;
    let anne_id = anne["seat_id"].as_str().unwrap().to_string();
    let anne_token = anne["seat_token"].as_str().unwrap().to_string();
    assert_eq!(anne["name"], "Anne Jensen", "the name is trimmed");
    assert!(anne_token.len() >= 22, "at least 128 bits: {anne_token}");
    assert_ne!(anne_token, room.participant_token);

    // The seat token is a participant's, with the seat.
    let info = server
        .get_json(&format!("/api/rooms/{}", room.id), Some(&anne_token))
        .await;
    assert_eq!(info["role"], "participant");
    assert_eq!(
        info["seat"],
        json!({"seat_id": anne_id, "name": "Anne Jensen", "group": "borgerservice"})
    );
    let wall = YClient::wall(&server, &room.id, &anne_token).await;
    wall.add_card("a1", "asis-1", "borgerservice", "Anne's card");
    wall.barrier().await;

    // The facilitator's list says who is online.
    let list = server.get_json(&seats, Some(&room.facilitator_token)).await;
    assert_eq!(
        list,
        json!([{"seat_id": anne_id, "name": "Anne Jensen", "group": "borgerservice", "online": true}])
    );
    for token in [&room.participant_token, &room.review_token, &anne_token] {
        call(&server, "GET", &seats, token, None)
            .await
            .assert_error(403);
    }

    // Renamed by herself, moved by the facilitator; others may do neither.
    let one = format!("{seats}/{anne_id}");
    let bo = join(
        &server,
        &room.id,
        &room.participant_token,
        "Bo",
        "voksenservice",
    )
    .await;
    let bo_token = bo["seat_token"].as_str().unwrap();
    let renamed = call(
        &server,
        "PATCH",
        &one,
        &anne_token,
        Some(json!({"name": "Anne J."})),
    )
    .await;
    renamed.assert_status(200);
    assert_eq!(renamed.json()["name"], "Anne J.");
    let moved = call(
        &server,
        "PATCH",
        &one,
        &room.facilitator_token,
        Some(json!({"group": "voksenservice"})),
    )
    .await;
    assert_eq!(moved.json()["group"], "voksenservice");
    for token in [
        bo_token,
        room.participant_token.as_str(),
        room.review_token.as_str(),
    ] {
        call(
            &server,
            "PATCH",
            &one,
            token,
            Some(json!({"name": "Hacked"})),
        )
        .await
        .assert_error(403);
    }
    call(
        &server,
        "PATCH",
        &one,
        &anne_token,
        Some(json!({"group": "nowhere"})),
    )
    .await
    .assert_error(400);
    call(
        &server,
        "PATCH",
        &format!("{seats}/nobody"),
        &room.facilitator_token,
        Some(json!({"name": "X"})),
    )
    .await
    .assert_error(404);

    // Removed: her open connection closes with 4403, her token is refused, the room is untouched.
    call(&server, "DELETE", &one, &anne_token, None)
        .await
        .assert_error(403);
    call(&server, "DELETE", &one, &room.facilitator_token, None)
        .await
        .assert_status(204);
    let (code, reason) = wall.closed().await;
    assert_eq!(
        (code, reason.as_str()),
        (4403, "the facilitator removed you from the workshop")
    );
    server
        .get(&format!("/api/rooms/{}", room.id), Some(&anne_token))
        .await
        .assert_error(403);
    assert!(
        YClient::refused(&server.ws_url(&room.id, DocKind::Wall, Some(&anne_token)))
            .await
            .is(403),
        "a removed seat cannot reconnect"
    );
    call(&server, "DELETE", &one, &room.facilitator_token, None)
        .await
        .assert_error(404);
    let watcher = YClient::wall(&server, &room.id, &room.review_token).await;
    watcher.wait_cards_present(&["a1"]).await;
    let list = server.get_json(&seats, Some(&room.facilitator_token)).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "Bo is left: {list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_seats_are_refused_with_a_reason() {
    let server = Server::start_default().await;
    let room = server.new_room().await;
    let seats = format!("/api/rooms/{}/seats", room.id);
    let post = |token: String, body: Value| {
        let server = &server;
        let seats = seats.clone();
        async move { call(server, "POST", &seats, &token, Some(body)).await }
    };
    let p = room.participant_token.clone();
    for (body, status) in [
        (json!({"name": "", "group": "borgerservice"}), 400),
        (json!({"name": "   ", "group": "borgerservice"}), 400),
        (
            json!({"name": "x".repeat(81), "group": "borgerservice"}),
            400,
        ),
        (json!({"name": "Anne"}), 400),
        (json!({"name": "Anne", "group": "nowhere"}), 400),
        (json!({"name": 7, "group": "borgerservice"}), 400),
    ] {
        let error = post(p.clone(), body.clone()).await.assert_error(status);
        assert!(!error.is_empty(), "{body}: {error}");
    }
    post(
        room.review_token.clone(),
        json!({"name": "R", "group": "borgerservice"}),
    )
    .await
    .assert_error(403);
    post(
        "wrong".into(),
        json!({"name": "R", "group": "borgerservice"}),
    )
    .await
    .assert_error(403);
    let eighty = "æ".repeat(80);
    let ok = post(p.clone(), json!({"name": eighty, "group": "borgerservice"})).await;
    ok.assert_status(201);
    // A seat takes no further seats.
    let seat_token = ok.json()["seat_token"].as_str().unwrap().to_string();
    post(
        seat_token,
        json!({"name": "Twin", "group": "borgerservice"}),
    )
    .await
    .assert_error(403);
    let unknown = call(
        &server,
        "POST",
        "/api/rooms/nosuchroom/seats",
        &p,
        Some(json!({"name": "A", "group": "b"})),
    )
    .await;
    unknown.assert_error(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_join_link_refuses_the_old_one_and_seats_keep_working_and_joining_can_be_closed() {
    let (server, room, _, anne_token) = with_anne().await;
    let anne_token = anne_token.as_str();
    let rotate = format!("/api/rooms/{}/participant-token", room.id);
    call(&server, "POST", &rotate, &room.participant_token, None)
        .await
        .assert_error(403);
    let fresh = call(&server, "POST", &rotate, &room.facilitator_token, None).await;
    fresh.assert_status(200);
    let fresh = fresh.json();
    let new_token = fresh["participant_token"].as_str().unwrap().to_string();
    assert!(fresh["join_url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/join/{}#{new_token}", room.id)));
    // The old link: refused everywhere; the new one and the seat work.
    server
        .get(
            &format!("/api/rooms/{}", room.id),
            Some(&room.participant_token),
        )
        .await
        .assert_error(403);
    assert!(YClient::refused(&server.ws_url(
        &room.id,
        DocKind::Wall,
        Some(&room.participant_token)
    ))
    .await
    .is(403));
    call(
        &server,
        "POST",
        &format!("/api/rooms/{}/seats", room.id),
        &room.participant_token,
        Some(json!({"name": "Late", "group": "borgerservice"})),
    )
    .await
    .assert_error(403);
    assert_eq!(
        server.room_info(&room.id, &new_token).await.role,
        Role::Participant
    );
    assert!(server.room_info(&room.id, anne_token).await.seat.is_some());
    YClient::wall(&server, &room.id, anne_token)
        .await
        .barrier()
        .await;

    // Joining closed by the facilitator: no new seats with the link; seated people stay.
    let control = YClient::control(&server, &room.id, &room.facilitator_token).await;
    control.set_meta("joining", "closed");
    control.barrier().await;
    let closed = call(
        &server,
        "POST",
        &format!("/api/rooms/{}/seats", room.id),
        &new_token,
        Some(json!({"name": "Late", "group": "borgerservice"})),
    )
    .await;
    assert!(closed.assert_error(403).contains("joining is closed"));
    assert!(server.room_info(&room.id, anne_token).await.seat.is_some());
    control.set_meta("joining", "open");
    control.barrier().await;
    join(&server, &room.id, &new_token, "Late", "borgerservice").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seats_presence_shows_its_own_name_and_group_whatever_the_client_claims() {
    let (server, room, anne_id, anne_token) = with_anne().await;
    let other = YClient::wall(&server, &room.id, &room.facilitator_token).await;
    let client = YClient::wall(&server, &room.id, &anne_token).await;
    // She claims to be the facilitator of another group.
    client.set_awareness(json!({"user": {"name": "Facilitator", "group": "voksenservice", "color": "#123456", "role": "facilitator"}, "typing": "x"}));
    let id = client.client_id();
    let user =
        |states: &std::collections::HashMap<u64, Value>| states.get(&id).map(|s| s["user"].clone());
    let seen = other
        .wait_awareness("Anne's presence", |s| user(s).is_some())
        .await;
    assert_eq!(
        user(&seen).unwrap(),
        json!({"seat_id": anne_id, "name": "Anne", "group": "borgerservice", "color": "#123456", "role": "participant"}),
        "name, group and seat from the seat registry, the role from her token; the rest as the client set it"
    );
    assert_eq!(seen[&id]["typing"], "x");
    // Renamed by the facilitator: her next presence says so.
    call(
        &server,
        "PATCH",
        &format!("/api/rooms/{}/seats/{anne_id}", room.id),
        &room.facilitator_token,
        Some(json!({"name": "Anne J."})),
    )
    .await
    .assert_status(200);
    client.set_awareness(json!({"user": {"name": "Still Facilitator"}}));
    other
        .wait_awareness("the new name", |s| {
            user(s).is_some_and(|u| u["name"] == "Anne J.")
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_writes_the_wall_never_the_control_document_and_not_while_closed() {
    let (server, room, _, anne_token) = with_anne().await;
    let (row, col) = as_is_cell();
    let watcher = YClient::wall(&server, &room.id, &room.facilitator_token).await;

    // The control document: read, never written (4403, nothing reaches anyone).
    let control = YClient::control(&server, &room.id, &anne_token).await;
    control.set_meta("phase", "closed");
    let (code, _) = control.closed().await;
    assert_eq!(code, 4403);
    let fac_control = YClient::control(&server, &room.id, &room.facilitator_token).await;
    assert_eq!(
        fac_control.phase(),
        "group",
        "the seat's change reached nobody"
    );

    // The wall: written while group work is open.
    let wall = YClient::wall(&server, &room.id, &anne_token).await;
    wall.add_card("open", &row, &col, "mens åbent");
    watcher.wait_cards_present(&["open"]).await;

    // Closed by the facilitator: refused, as for any participant.
    fac_control.set_meta("phase", "closed");
    fac_control.barrier().await;
    let wall = YClient::wall(&server, &room.id, &anne_token).await;
    wall.add_card("closed", &row, &col, "efter lukning");
    let (code, reason) = wall.closed().await;
    assert_eq!(
        (code, reason.as_str()),
        (
            4403,
            "the wall is closed: only the facilitator can reopen it"
        )
    );
    watcher.barrier().await;
    assert!(!watcher.card_ids().contains(&"closed".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_removed_on_one_node_is_closed_on_the_other_at_once() {
    let redis = Redis::start().await;
    let opts = ServerOptions::default().redis(redis.url());
    let one = Server::start(opts.clone()).await;
    let two = Server::start(opts).await;
    let room = one.new_room().await;
    let anne = join(
        &one,
        &room.id,
        &room.participant_token,
        "Anne",
        "borgerservice",
    )
    .await;
    let (anne_id, anne_token) = (
        anne["seat_id"].as_str().unwrap(),
        anne["seat_token"].as_str().unwrap(),
    );
    // Connected to the other node; the facilitator removes her through this one.
    let on_two = YClient::wall(&two, &room.id, anne_token).await;
    call(
        &one,
        "DELETE",
        &format!("/api/rooms/{}/seats/{anne_id}", room.id),
        &room.facilitator_token,
        None,
    )
    .await
    .assert_status(204);
    let (code, reason) = on_two.closed().await;
    assert_eq!(
        (code, reason.as_str()),
        (4403, "the facilitator removed you from the workshop")
    );
    // And that node refuses her token at once (it dropped its cached seats).
    two.get(&format!("/api/rooms/{}", room.id), Some(anne_token))
        .await
        .assert_error(403);

    // A new join link made on one node: the other refuses the old link too.
    let info = format!("/api/rooms/{}", room.id);
    two.get(&info, Some(&room.participant_token))
        .await
        .assert_status(200);
    call(
        &one,
        "POST",
        &format!("/api/rooms/{}/participant-token", room.id),
        &room.facilitator_token,
        None,
    )
    .await
    .assert_status(200);
    eventually(
        "the old link refused on the other node",
        TIMEOUT,
        || async {
            match two.get(&info, Some(&room.participant_token)).await.status {
                403 => Ok(()),
                other => Err(format!("HTTP {other}")),
            }
        },
    )
    .await;
}

/// Names come from the seat registry: `GET /api/rooms/{id}/people` (any token) lists every seat
/// (no tokens), and a renamed person's cards show the new name in the sheet and the exports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cards_writer_is_shown_by_the_name_the_seat_has_now() {
    let (server, room, anne_id, anne_token) = with_anne().await;
    let people = server
        .get_json(
            &format!("/api/rooms/{}/people", room.id),
            Some(&room.review_token),
        )
        .await;
    assert_eq!(people[0]["seat_id"], anne_id.as_str());
    assert_eq!(people[0]["name"], "Anne");
    assert!(people[0].get("online").is_none() && !people.to_string().contains(&anne_token));
    let (row, col) = as_is_cell();
    let wall = YClient::wall(&server, &room.id, &anne_token).await;
    wall.add_card_fields(
        "c1",
        vec![
            ("row", yrs::Any::from(row.as_str())),
            ("column", yrs::Any::from(col.as_str())),
            ("text", yrs::Any::from("Annes kort")),
            ("author", yrs::Any::from("Anne")),
            ("author_id", yrs::Any::from(anne_id.as_str())),
        ],
    );
    wall.barrier().await;
    call(
        &server,
        "PATCH",
        &format!("/api/rooms/{}/seats/{anne_id}", room.id),
        &room.facilitator_token,
        Some(json!({"name": "Anne J. Jensen"})),
    )
    .await
    .assert_status(200);
    let csv = server.export_csv(&room.id, &room.review_token, None).await;
    let text = format!("{csv:?}");
    assert!(text.contains("Anne J. Jensen"), "{text}");
    assert!(!text.contains("\"Anne\""), "the old name is gone: {text}");
}
