//! Dot voting: the facilitator opens a round, each seat votes through the server, which refuses
//! a vote past the budget or the cap (also many at once from one person's devices, and on two
//! nodes), counts the same on every node and after a restart, and in an anonymous round tells no
//! one who voted. Only the facilitator opens and stops a round; only a seat votes.

use kortvaeg_tests::*;
use serde_json::{json, Value};

/// A room with three cards on the wall and Anne and Bo seated: (room, Anne's token, Bo's token).
async fn room_with_cards(server: &Server) -> (RoomCreated, String, String) {
    let room = server.new_room().await;
    let (row, col) = as_is_cell();
    let wall = YClient::wall(server, &room.id, &room.facilitator_token).await;
    for id in ["c1", "c2", "c3"] {
        wall.add_card(id, &row, &col, &format!("kort {id}"));
    }
    wall.barrier().await;
    let (_, anne) = server
        .seat(&room.id, &room.participant_token, "Anne", &col)
        .await;
    let (_, bo) = server
        .seat(&room.id, &room.participant_token, "Bo", &col)
        .await;
    (room, anne, bo)
}

async fn open_round(server: &Server, room: &RoomCreated, body: Value) -> Value {
    let resp = server
        .call(
            "PUT",
            &format!("/api/rooms/{}/voting", room.id),
            &room.facilitator_token,
            Some(body),
        )
        .await;
    resp.assert_status(200);
    resp.json()
}

async fn vote(server: &Server, room: &str, token: &str, target: &str) -> Response {
    server
        .call(
            "POST",
            &format!("/api/rooms/{room}/votes"),
            token,
            Some(json!({ "target": target })),
        )
        .await
}

async fn votes(server: &Server, room: &str, token: &str) -> Value {
    server
        .get_json(&format!("/api/rooms/{room}/votes"), Some(token))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_spends_its_budget_and_no_more() {
    let server = Server::start_default().await;
    let (room, anne, bo) = room_with_cards(&server).await;
    let id = room.id.as_str();
    assert_eq!(votes(&server, id, &anne).await["round"], Value::Null);
    vote(&server, id, &anne, "c1").await.assert_error(409);

    let round = open_round(
        &server,
        &room,
        json!({"target": "cards", "budget": 3, "cap": 2}),
    )
    .await;
    assert_eq!(round["budget"], 3);
    assert_eq!(round["cap"], 2);
    assert_eq!(round["open"], true);

    let after = vote(&server, id, &anne, "c1").await.json();
    assert_eq!(after["left"], 2);
    assert_eq!(after["mine"], json!({"c1": 1}));
    vote(&server, id, &anne, "c1").await.assert_status(200);
    let cap = vote(&server, id, &anne, "c1").await.assert_error(409);
    assert!(cap.contains("at most 2"), "{cap}");
    vote(&server, id, &anne, "c2").await.assert_status(200);
    let spent = vote(&server, id, &anne, "c3").await.assert_error(409);
    assert!(spent.contains("all your 3 votes"), "{spent}");
    vote(&server, id, &bo, "c3").await.assert_status(200);

    let seen = votes(&server, id, &room.review_token).await;
    assert_eq!(seen["counts"], json!({"c1": 2, "c2": 1, "c3": 1}));
    assert_eq!(
        seen.get("mine"),
        None,
        "a review link has no votes of its own"
    );
    assert_eq!(
        seen["voters"]["c1"][0]["name"], "Anne",
        "an open round says who"
    );
    assert_eq!(votes(&server, id, &anne).await["left"], 0);

    // Taking one back frees it; there is nothing to take back where she has none.
    let back = server
        .call("DELETE", &format!("/api/rooms/{id}/votes/c2"), &anne, None)
        .await;
    back.assert_status(200);
    assert_eq!(back.json()["left"], 1);
    server
        .call("DELETE", &format!("/api/rooms/{id}/votes/c2"), &anne, None)
        .await
        .assert_error(409);
    vote(&server, id, &anne, "c3").await.assert_status(200);

    // Only a seat votes, only at what exists.
    vote(&server, id, &anne, "no-such-card")
        .await
        .assert_error(400);
    for token in [
        &room.facilitator_token,
        &room.participant_token,
        &room.review_token,
    ] {
        vote(&server, id, token, "c1").await.assert_error(403);
    }
    server
        .call(
            "POST",
            &format!("/api/rooms/{id}/votes"),
            &anne,
            Some(json!({"card": "c1"})),
        )
        .await
        .assert_error(400);
    assert_eq!(
        votes(&server, id, &bo).await["counts"],
        json!({"c1": 2, "c3": 2}),
        "refused votes changed nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_facilitator_opens_stops_and_resets_a_round() {
    let server = Server::start_default().await;
    let (room, anne, _) = room_with_cards(&server).await;
    let id = room.id.as_str();
    let path = format!("/api/rooms/{id}/voting");
    let body = json!({"target": "cards", "budget": 2});
    for token in [&room.participant_token, &room.review_token, &anne] {
        server
            .call("PUT", &path, token, Some(body.clone()))
            .await
            .assert_error(403);
    }
    for bad in [
        json!({"target": "cards", "budget": 0}),
        json!({"target": "cards", "budget": 21}),
        json!({"target": "cards", "budget": 3, "cap": 4}),
        json!({"target": "people", "budget": 3}),
        json!({"target": "cards", "budget": 3, "minutes": 0}),
    ] {
        server
            .call("PUT", &path, &room.facilitator_token, Some(bad))
            .await
            .assert_error(400);
    }
    server
        .call(
            "PATCH",
            &path,
            &room.facilitator_token,
            Some(json!({"open": false})),
        )
        .await
        .assert_error(404);

    let first = open_round(&server, &room, body.clone()).await;
    vote(&server, id, &anne, "c1").await.assert_status(200);
    // The round is in the control document for every client to see.
    let control = YClient::control(&server, id, &anne).await;
    let meta = projection::structure(&control.doc).2;
    assert_eq!(meta["voting"]["id"], first["id"], "{meta:?}");

    // Stopped: no vote; the count stays.
    let stopped = server
        .call(
            "PATCH",
            &path,
            &room.facilitator_token,
            Some(json!({"open": false})),
        )
        .await;
    stopped.assert_status(200);
    assert_eq!(stopped.json()["open"], false);
    vote(&server, id, &anne, "c2").await.assert_error(409);
    assert_eq!(votes(&server, id, &anne).await["counts"], json!({"c1": 1}));

    // Opened again: a new round, with no votes.
    let second = open_round(&server, &room, body).await;
    assert_ne!(second["id"], first["id"]);
    let now = votes(&server, id, &anne).await;
    assert_eq!(now["counts"], json!({}));
    assert_eq!(now["left"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_votes_of_one_person_at_once_spend_only_the_budget_and_survive_a_restart() {
    let mut server = Server::start_default().await;
    let (room, anne, _) = room_with_cards(&server).await;
    let id = room.id.clone();
    open_round(&server, &room, json!({"target": "cards", "budget": 2})).await;
    // Two devices, each clicking fast: twelve votes in flight at once.
    let attempts = (0..12).map(|i| vote(&server, &id, &anne, ["c1", "c2", "c3"][i % 3]));
    let results = futures_util::future::join_all(attempts).await;
    let accepted = results.iter().filter(|r| r.status == 200).count();
    for r in results.iter().filter(|r| r.status != 200) {
        r.assert_error(409);
    }
    assert_eq!(accepted, 2, "exactly the budget");
    let before = votes(&server, &id, &room.facilitator_token).await;
    let total: u64 = before["counts"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 2);

    server.restart().await;
    assert_eq!(votes(&server, &id, &room.facilitator_token).await, before);
    vote(&server, &id, &anne, "c1").await.assert_error(409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_count_the_same_and_keep_the_budget_together() {
    let redis = Redis::start().await;
    let a = Server::start(ServerOptions::new().redis(redis.url())).await;
    let mut b = Server::start(ServerOptions::new().redis(redis.url())).await;
    let (room, anne, bo) = room_with_cards(&a).await;
    let id = room.id.clone();
    let round = open_round(&a, &room, json!({"target": "cards", "budget": 3, "cap": 3})).await;
    // Node b sees the round once its control document has it.
    let control = YClient::control(&b, &id, &anne).await;
    control
        .wait_for("the round reaches node b", |doc| {
            projection::structure(doc).2["voting"]["id"] == round["id"]
        })
        .await;

    // Anne on both nodes at once.
    let attempts = (0..10).map(|i| {
        let node = if i % 2 == 0 { &a } else { &b };
        vote(node, &id, &anne, ["c1", "c2"][i % 2])
    });
    let results = futures_util::future::join_all(attempts).await;
    assert_eq!(results.iter().filter(|r| r.status == 200).count(), 3);
    vote(&b, &id, &bo, "c3").await.assert_status(200);
    let on_a = votes(&a, &id, &room.facilitator_token).await;
    assert_eq!(on_a, votes(&b, &id, &room.facilitator_token).await);

    // Node a dies; b still has every vote.
    drop(a);
    assert_eq!(votes(&b, &id, &room.facilitator_token).await, on_a);
    b.restart().await;
    assert_eq!(votes(&b, &id, &room.facilitator_token).await, on_a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_round_tells_nobody_who_voted() {
    let server = Server::start_default().await;
    let (room, anne, _) = room_with_cards(&server).await;
    let id = room.id.as_str();
    let anne_id = server
        .get_json(&format!("/api/rooms/{id}"), Some(&anne))
        .await["seat"]["seat_id"]
        .as_str()
        .unwrap()
        .to_string();
    open_round(
        &server,
        &room,
        json!({"target": "cards", "budget": 2, "anonymous": true, "minutes": 5}),
    )
    .await;
    vote(&server, id, &anne, "c1").await.assert_status(200);
    for token in [
        &room.facilitator_token,
        &room.participant_token,
        &room.review_token,
    ] {
        let resp = server
            .get(&format!("/api/rooms/{id}/votes"), Some(token))
            .await;
        resp.assert_status(200);
        let body = resp.json();
        assert_eq!(body["counts"], json!({"c1": 1}));
        assert_eq!(body.get("voters"), None);
        assert!(
            body["round"]["ends_at"].as_u64().is_some(),
            "the countdown is there"
        );
        let text = resp.text();
        assert!(
            !text.contains(&anne_id) && !text.contains("Anne"),
            "nothing names the voter: {text}"
        );
    }
    // Anne still sees her own.
    assert_eq!(votes(&server, id, &anne).await["mine"], json!({"c1": 1}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_on_sagsomraader_takes_their_ids() {
    let server = Server::start_default().await;
    let room = server.new_room().await;
    let id = room.id.as_str();
    server
        .import(
            id,
            Some(&room.facilitator_token),
            "text/csv",
            "Fagområde;Sagsområde\nBorgerservice;Pension\nBorgerservice;Boligstøtte\n",
        )
        .await
        .assert_status(200);
    let control = YClient::control(&server, id, &room.facilitator_token).await;
    let columns = serde_json::to_value(projection::structure(&control.doc).1).unwrap();
    let sagsomraade = columns
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["sagsomraader"].as_array().cloned().unwrap_or_default())
        .find(|s| s["label"] == "Pension")
        .expect("Pension was imported");
    let sag = sagsomraade["id"].as_str().unwrap();
    let group = columns[0]["id"].as_str().unwrap();
    let (_, anne) = server
        .seat(id, &room.participant_token, "Anne", group)
        .await;
    open_round(
        &server,
        &room,
        json!({"target": "sagsomraader", "budget": 1}),
    )
    .await;
    vote(&server, id, &anne, "c1").await.assert_error(400);
    vote(&server, id, &anne, sag).await.assert_status(200);
    assert_eq!(votes(&server, id, &anne).await["counts"], json!({ sag: 1 }));

    // The sheet, the CSV and the workbook have a "Stemmer" column, last.
    let sheet = server.sheet(id, &room.review_token, None).await;
    assert_eq!(sheet.layout.last().unwrap().header, "Stemmer");
    let stemmer = |name: &str| {
        let row = sheet.rows.iter().find(|r| r.sagsomraade == name).unwrap();
        row.cells.last().unwrap().clone()
    };
    assert_eq!(
        (stemmer("Pension"), stemmer("Boligstøtte")),
        ("1".into(), "0".into())
    );
    let csv = server
        .get(
            &format!("/api/rooms/{id}/export.csv?sheet=dokumentationsark"),
            Some(&room.review_token),
        )
        .await;
    assert!(
        csv.text().lines().next().unwrap().ends_with(";Stemmer"),
        "{}",
        csv.text()
    );
    let body = server.export_xlsx_body(id, &room.review_token, None).await;
    let rows = parse_xlsx_sheet(&body, "Dokumentationsark");
    let at = rows[0]
        .iter()
        .position(|h| h == "Stemmer")
        .expect("a Stemmer column");
    let pension = rows
        .iter()
        .find(|r| r.iter().any(|c| c == "Pension"))
        .unwrap();
    assert_eq!(pension[at], "1");
}
