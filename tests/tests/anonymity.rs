//! Anonymity per room, decided when it is made: in a room anonymous to participants, nothing the
//! server sends a participant names who wrote what (no names in documents — an update carrying
//! one is refused —, none in presence, the people list, the sheet, the exports, the votes) while
//! the facilitator still sees who wrote what; in a fully anonymous room nobody does.

use kortvaeg_tests::*;
use serde_json::{json, Value};

const FORBIDDEN: u16 = 4403;

async fn anonymous_room(server: &Server, anonymity: &str) -> RoomCreated {
    let resp = server
        .post_json(
            "/api/rooms",
            None,
            &json!({"title": "Anonym workshop", "template": AS_IS, "anonymity": anonymity}),
        )
        .await;
    resp.assert_status(201);
    resp.parse()
}

/// A card as the web client writes it in an anonymous room: its writer by seat id only.
fn card(
    row: &str,
    column: &str,
    text: &str,
    author: Option<&str>,
) -> Vec<(&'static str, yrs::Any)> {
    let mut fields = vec![
        ("row", yrs::Any::from(row)),
        ("column", yrs::Any::from(column)),
        ("text", yrs::Any::from(text)),
    ];
    if let Some(author) = author {
        fields.push(("author_id", yrs::Any::from(author)));
    }
    fields
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn participants_are_told_no_names_the_facilitator_is() {
    let server = Server::start_default().await;
    let room = anonymous_room(&server, "participants").await;
    let id = room.id.as_str();
    let (row, col) = as_is_cell();
    let info = server
        .get_json(&format!("/api/rooms/{id}"), Some(&room.participant_token))
        .await;
    assert_eq!(info["anonymity"], "participants");
    let control = YClient::control(&server, id, &room.participant_token).await;
    assert_eq!(
        projection::structure(&control.doc).2["anonymity"],
        "participants"
    );

    let (anne_id, anne) = server
        .seat(id, &room.participant_token, "Anne Andersen", &col)
        .await;
    let (_, bo) = server
        .seat(id, &room.participant_token, "Bo Bech", &col)
        .await;

    // A card by seat id: fine. A card carrying her name: refused, and it reaches nobody.
    let writer = YClient::wall(&server, id, &anne).await;
    writer.add_card_fields("c1", card(&row, &col, "kort et", Some(&anne_id)));
    writer.barrier().await;
    let named = YClient::wall(&server, id, &anne).await;
    named.add_card("c2", &row, &col, "kort to");
    let (code, reason) = named.closed().await;
    assert_eq!(code, FORBIDDEN);
    assert!(reason.contains("anonymous"), "{reason}");

    // Presence: Anne says her name; Bo is sent her seat and group, not her name.
    let bo_wall = YClient::wall(&server, id, &bo).await;
    writer.set_awareness(json!({"user": {"name": "Anne Andersen", "color": "red"}}));
    let seen = bo_wall
        .wait_awareness("Anne's presence", |states| {
            states.values().any(|s| s["user"]["color"] == "red")
        })
        .await;
    let anne_state = seen.values().find(|s| s["user"]["color"] == "red").unwrap();
    assert_eq!(anne_state["user"].get("name"), None, "{anne_state}");
    assert_eq!(anne_state["user"]["seat_id"], anne_id.as_str());
    assert!(!bo_wall.received_contains("Anne Andersen"));

    // The people list: no names but one's own for participants; all for the facilitator.
    let people = |token: &str| {
        let path = format!("/api/rooms/{id}/people");
        let token = token.to_string();
        let server = &server;
        async move { server.get_json(&path, Some(&token)).await }
    };
    let for_bo = people(&bo).await;
    let names: Vec<&str> = for_bo
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Bo Bech") && !names.contains(&"Anne Andersen"),
        "{for_bo}"
    );
    for token in [&room.participant_token, &room.review_token] {
        assert!(!people(token).await.to_string().contains("Anne"));
    }
    assert!(people(&room.facilitator_token)
        .await
        .to_string()
        .contains("Anne Andersen"));

    // The sheet and the exports: the facilitator's name the writer, nobody else's.
    for token in [&bo, &room.participant_token, &room.review_token] {
        let csv = server
            .get(&format!("/api/rooms/{id}/export.csv"), Some(token))
            .await;
        csv.assert_status(200);
        assert!(
            csv.text().contains("kort et") && !csv.text().contains("Anne"),
            "{}",
            csv.text()
        );
        let snapshot_free = server
            .get(&format!("/api/rooms/{id}/sheet"), Some(token))
            .await;
        assert!(!snapshot_free.text().contains("Anne"));
    }
    let csv = server
        .get(
            &format!("/api/rooms/{id}/export.csv"),
            Some(&room.facilitator_token),
        )
        .await;
    assert!(csv.text().contains("Anne Andersen"), "{}", csv.text());

    // Votes in an anonymous room are anonymous, whatever the facilitator asks.
    let round = server
        .call(
            "PUT",
            &format!("/api/rooms/{id}/voting"),
            &room.facilitator_token,
            Some(json!({"target": "cards", "budget": 2, "anonymous": false})),
        )
        .await;
    round.assert_status(200);
    assert_eq!(round.json()["anonymous"], true);
    server
        .call(
            "POST",
            &format!("/api/rooms/{id}/votes"),
            &anne,
            Some(json!({"target": "c1"})),
        )
        .await
        .assert_status(200);
    let votes = server
        .get(
            &format!("/api/rooms/{id}/votes"),
            Some(&room.facilitator_token),
        )
        .await;
    assert!(!votes.text().contains(&anne_id) && votes.json().get("voters").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_fully_anonymous_room_nobody_is_told_who_wrote_what() {
    let server = Server::start_default().await;
    let room = anonymous_room(&server, "full").await;
    let id = room.id.as_str();
    let (row, col) = as_is_cell();
    let (anne_id, anne) = server
        .seat(id, &room.participant_token, "Anne Andersen", &col)
        .await;
    let writer = YClient::wall(&server, id, &anne).await;
    writer.add_card_fields("c1", card(&row, &col, "kort et", None));
    writer.barrier().await;
    // Not even her seat id.
    let claimed = YClient::wall(&server, id, &anne).await;
    claimed.add_card_fields("c2", card(&row, &col, "kort to", Some(&anne_id)));
    assert_eq!(claimed.closed().await.0, FORBIDDEN);

    let facilitator = YClient::wall(&server, id, &room.facilitator_token).await;
    writer.set_awareness(json!({"user": {"name": "Anne Andersen", "color": "red"}}));
    let seen = facilitator
        .wait_awareness("Anne's presence", |states| {
            states.values().any(|s| s["user"]["color"] == "red")
        })
        .await;
    let state: &Value = seen.values().find(|s| s["user"]["color"] == "red").unwrap();
    assert_eq!(state["user"].get("name"), None, "{state}");
    assert_eq!(state["user"].get("seat_id"), None, "{state}");
    let csv = server
        .get(
            &format!("/api/rooms/{id}/export.csv"),
            Some(&room.facilitator_token),
        )
        .await;
    assert!(csv.text().contains("kort et") && !csv.text().contains("Anne"));
    // The facilitator still manages the people in the room.
    let seats = server
        .get_json(
            &format!("/api/rooms/{id}/seats"),
            Some(&room.facilitator_token),
        )
        .await;
    assert_eq!(seats[0]["name"], "Anne Andersen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymity_is_one_of_three_and_a_room_keeps_it() {
    let mut server = Server::start_default().await;
    let bad = server
        .post_json(
            "/api/rooms",
            None,
            &json!({"title": "x", "template": AS_IS, "anonymity": "some"}),
        )
        .await;
    bad.assert_error(400);
    let plain = server.new_room().await;
    let info = server
        .get_json(
            &format!("/api/rooms/{}", plain.id),
            Some(&plain.facilitator_token),
        )
        .await;
    assert_eq!(info["anonymity"], "none");
    let room = anonymous_room(&server, "participants").await;
    server.restart().await;
    let info = server
        .get_json(
            &format!("/api/rooms/{}", room.id),
            Some(&room.facilitator_token),
        )
        .await;
    assert_eq!(info["anonymity"], "participants");
    // An archive carries it to another server.
    let archive = server
        .get(
            &format!("/api/rooms/{}/archive", room.id),
            Some(&room.facilitator_token),
        )
        .await;
    archive.assert_status(200);
    let other = Server::start_default().await;
    let made = other
        .post_raw(
            "/api/rooms/import-archive",
            None,
            "application/json",
            archive.body.clone(),
        )
        .await;
    made.assert_status(201);
    let made: RoomCreated = made.parse();
    let info = other
        .get_json(
            &format!("/api/rooms/{}", made.id),
            Some(&made.facilitator_token),
        )
        .await;
    assert_eq!(info["anonymity"], "participants");
}
