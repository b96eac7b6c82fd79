//! Joining by code: the facilitator's six-character code, typed at `/`, finds the room and works
//! as its join link (reading the room, joining with a seat, the wall); a new code or a new join
//! link retires the old code; lookups are limited, so codes cannot be tried by the million.

use kortvaeg_tests::*;
use serde_json::{json, Value};

async fn new_code(server: &Server, room: &RoomCreated) -> Value {
    let resp = server
        .call(
            "POST",
            &format!("/api/rooms/{}/join-code", room.id),
            &room.facilitator_token,
            None,
        )
        .await;
    resp.assert_status(201);
    resp.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_code_is_as_good_as_the_join_link() {
    let server = Server::start_default().await;
    let room = server.new_room().await;
    let path = format!("/api/rooms/{}/join-code", room.id);
    server
        .get(&path, Some(&room.facilitator_token))
        .await
        .assert_error(404);
    for token in [&room.participant_token, &room.review_token] {
        server.get(&path, Some(token)).await.assert_error(403);
        server
            .call("POST", &path, token, None)
            .await
            .assert_error(403);
    }
    let made = new_code(&server, &room).await;
    let code = made["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 6);
    assert!(made["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/?kode={code}")));
    assert_eq!(
        server.get_json(&path, Some(&room.facilitator_token)).await["code"],
        code.as_str()
    );

    // Typed as it is read off a screen: lower case, a space.
    let typed = format!("{} {}", code[..3].to_lowercase(), &code[3..]);
    let found = server.get_json(&format!("/api/join/{typed}"), None).await;
    assert_eq!(
        found,
        json!({"room": room.id, "title": "Testværksted", "code": code})
    );

    // The code is the participant token: the room, a seat, the wall.
    let info = server.room_info(&room.id, &code).await;
    assert_eq!(info.role, Role::Participant);
    let (_, seat_token) = server.seat(&room.id, &code, "Anne", &as_is_cell().1).await;
    let wall = YClient::wall(&server, &room.id, &code).await;
    wall.add_card("c1", &as_is_cell().0, &as_is_cell().1, "kort via kode");
    wall.barrier().await;
    assert!(!wall.is_closed());

    // A new code retires the old one; the seat keeps working.
    let newer = new_code(&server, &room).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(newer, code);
    server
        .get(&format!("/api/join/{code}"), None)
        .await
        .assert_error(404);
    server
        .get(&format!("/api/rooms/{}", room.id), Some(&code))
        .await
        .assert_error(403);
    assert!(server.room_info(&room.id, &seat_token).await.seat.is_some());
    // A new join link retires the code too.
    server
        .call(
            "POST",
            &format!("/api/rooms/{}/participant-token", room.id),
            &room.facilitator_token,
            None,
        )
        .await
        .assert_status(200);
    server
        .get(&format!("/api/join/{newer}"), None)
        .await
        .assert_error(404);
    server
        .get(&path, Some(&room.facilitator_token))
        .await
        .assert_error(404);

    // Not a code at all, and a deleted room's code.
    server.get("/api/join/abc", None).await.assert_error(404);
    let last = new_code(&server, &room).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    server
        .call(
            "DELETE",
            &format!("/api/rooms/{}", room.id),
            &room.facilitator_token,
            None,
        )
        .await
        .assert_status(204);
    server
        .get(&format!("/api/join/{last}"), None)
        .await
        .assert_error(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_cannot_be_tried_by_the_million() {
    let server = Server::start_default().await;
    let room = server.new_room().await;
    let code = new_code(&server, &room).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let tries = (0..300).map(|_| server.get("/api/join/ZZZZZZ", None));
    let answers = futures_util::future::join_all(tries).await;
    let limited = answers.iter().filter(|r| r.status == 429).count();
    assert!(limited > 0, "300 tries at once are limited");
    for r in answers.iter().filter(|r| r.status != 404) {
        r.assert_error(429);
    }
    let metrics = server.get("/metrics", None).await.text();
    assert!(
        metrics.contains(r#"kortvaeg_limit_hits_total{limit="join_code"}"#),
        "{metrics}"
    );
    // The room's own code still works once the node has caught its breath.
    eventually("the code is found again", TIMEOUT, || async {
        let r = server.get(&format!("/api/join/{code}"), None).await;
        if r.status == 200 {
            Ok(())
        } else {
            Err(format!("HTTP {}", r.status))
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_is_found_on_every_node() {
    let redis = Redis::start().await;
    let a = Server::start(ServerOptions::new().redis(redis.url())).await;
    let b = Server::start(ServerOptions::new().redis(redis.url())).await;
    let room = a.new_room().await;
    let code = new_code(&a, &room).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        b.get_json(&format!("/api/join/{code}"), None).await["room"],
        room.id.as_str()
    );
    assert_eq!(b.room_info(&room.id, &code).await.role, Role::Participant);
}
