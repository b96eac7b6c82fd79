//! The limits of issue 14 (`docs/API.md`, "Limits"), each crossed from a real client against the
//! real binary: updates and presence messages a second per connection (token bucket: the burst
//! passes, a flood closes its sender with 4429), connections per room and per client address
//! (HTTP 429 before the upgrade), rooms loaded per node (503), workshops per creator (429), seats
//! per room (409), REST bodies (413). Each refusal says which flag it is, is counted in
//! `/metrics`, and harms nobody else: the other clients, rooms and what was stored stay.

use kortvaeg_tests::*;
use serde_json::json;

const TOO_MANY: u16 = 4429;

fn metric_hits(metrics: &str, limit: &str) -> bool {
    metrics.lines().any(|l| {
        l.starts_with("kortvaeg_limit_hits_total") && l.contains(&format!("limit=\"{limit}\""))
    })
}

async fn metrics(server: &Server) -> String {
    String::from_utf8_lossy(&server.get("/metrics", None).await.body).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_updates_closes_only_its_sender_and_keeps_what_came_before() {
    let mut f = Fixture::with(
        ServerOptions::new()
            .arg("--max-updates-per-second", 5)
            .arg("--update-burst", 20),
    )
    .await;
    let (row, col) = as_is_cell();
    let bystander = f.wall(Role::Participant).await;
    let flooder = f.wall(Role::Participant).await;
    // The burst passes: a paste of 20 cards at once.
    for i in 0..20 {
        flooder.add_card(&format!("ok-{i}"), &row, &col, "inden for grænsen");
    }
    flooder.barrier().await;
    // Then a flood: closed with 4429, and the reason names the flag.
    for i in 0..50 {
        flooder.add_card(&format!("flood-{i}"), &row, &col, "for mange");
    }
    let (code, reason) = flooder.closed().await;
    assert_eq!(code, TOO_MANY, "{reason}");
    assert!(reason.contains("--max-updates-per-second"), "{reason}");
    // The others go on; what was accepted is kept, also after a restart.
    bystander.add_card("bystander", &row, &col, "stadig her");
    bystander.barrier().await;
    assert!(!bystander.is_closed());
    let accepted = bystander
        .wait_cards("the burst", |cards| {
            cards.iter().filter(|c| c.id.starts_with("ok-")).count() == 20
        })
        .await;
    let flooded = accepted
        .iter()
        .filter(|c| c.id.starts_with("flood-"))
        .count();
    assert!(flooded < 50, "the flood was refused from some point on");
    assert!(metric_hits(&metrics(&f.server).await, "updates"));
    drop((bystander, flooder));
    f.server.restart().await;
    let after = f.wall(Role::Review).await;
    assert_eq!(
        after
            .cards()
            .iter()
            .filter(|c| c.id.starts_with("ok-"))
            .count(),
        20
    );
    assert!(after.card("bystander").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_presence_messages_closes_its_sender() {
    let f = Fixture::with(
        ServerOptions::new()
            .arg("--max-awareness-per-second", 2)
            .arg("--awareness-burst", 5),
    )
    .await;
    let watcher = f.wall(Role::Participant).await;
    let chatty = f.wall(Role::Participant).await;
    for i in 0..30 {
        chatty.set_awareness(json!({"user": {"name": format!("Navn {i}")}}));
    }
    let (code, reason) = chatty.closed().await;
    assert_eq!(code, TOO_MANY, "{reason}");
    assert!(reason.contains("--max-awareness-per-second"), "{reason}");
    watcher.barrier().await;
    assert!(!watcher.is_closed());
    assert!(metric_hits(&metrics(&f.server).await, "awareness"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_per_room_and_per_address_are_refused_before_the_upgrade() {
    let server = Server::start(
        ServerOptions::new()
            .arg("--max-connections-per-room", 3)
            .arg("--max-connections-per-address", 5),
    )
    .await;
    let (a, b) = (server.new_room().await, server.new_room().await);
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(YClient::wall(&server, &a.id, &a.participant_token).await);
    }
    let url = server.ws_url(&a.id, DocKind::Wall, Some(&a.participant_token));
    match YClient::try_connect(&url, ClientOptions::default()).await {
        Err(ConnectError::Http { status, body }) => {
            assert_eq!(status, 429, "a fourth connection to room a");
            let error: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(error["error"]
                .as_str()
                .unwrap()
                .contains("--max-connections-per-room"));
        }
        other => panic!("a fourth connection to room a: {:?}", other.map(|_| ())),
    }
    // Another room takes connections, up to the address's limit (5 in all).
    open.push(YClient::wall(&server, &b.id, &b.participant_token).await);
    open.push(YClient::wall(&server, &b.id, &b.participant_token).await);
    let refused =
        YClient::refused(&server.ws_url(&b.id, DocKind::Wall, Some(&b.participant_token))).await;
    assert_eq!(
        refused,
        Refusal::Http(429),
        "a sixth connection from this address"
    );
    // The open ones work; one closing makes room again.
    let (row, col) = as_is_cell();
    open[0].add_card("x", &row, &col, "virker");
    open[1].wait_card("x").await;
    open.pop().unwrap().close().await;
    eventually(
        "a connection freed",
        std::time::Duration::from_secs(10),
        || async {
            let url = server.ws_url(&b.id, DocKind::Wall, Some(&b.participant_token));
            match YClient::try_connect(&url, ClientOptions::default()).await {
                Ok(c) => {
                    c.synced().await;
                    Ok(c)
                }
                Err(e) => Err(e.to_string()),
            }
        },
    )
    .await;
    let m = metrics(&server).await;
    assert!(metric_hits(&m, "connections_per_room") && metric_hits(&m, "connections_per_address"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_loaded_per_node_workshops_per_creator_and_seats_per_room() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(&keys, "kommune-nord-opretter-2026\n").unwrap();
    let server = Server::start(
        ServerOptions::new()
            .arg("--max-rooms-loaded", 1)
            .arg("--max-rooms-per-creator", 2)
            .arg("--max-seats-per-room", 2)
            .arg("--creator-keys", keys.display()),
    )
    .await;
    let create = || async {
        server
            .send(
                server
                    .http()
                    .post(format!("{}/api/rooms", server.url()))
                    .bearer_auth("kommune-nord-opretter-2026")
                    .json(&json!({"title": "Grænser", "template": AS_IS})),
                "POST /api/rooms",
            )
            .await
    };
    let first: RoomCreated = {
        let r = create().await;
        r.assert_status(201);
        r.parse()
    };
    let second: RoomCreated = {
        let r = create().await;
        r.assert_status(201);
        r.parse()
    };
    let third = create().await;
    third.assert_error(429);
    assert!(third.json()["error"]
        .as_str()
        .unwrap()
        .contains("--max-rooms-per-creator"));

    // One room loaded: a second one cannot open while the first is held.
    let held = YClient::wall(&server, &first.id, &first.participant_token).await;
    let refused = YClient::refused(&server.ws_url(
        &second.id,
        DocKind::Wall,
        Some(&second.participant_token),
    ))
    .await;
    assert_eq!(refused, Refusal::Http(503));
    held.barrier().await;
    assert!(!held.is_closed(), "the loaded room is untouched");

    // Seats: two people, then the workshop is full (409), and nobody else is harmed.
    let column = template(AS_IS).columns[0].id.clone();
    server
        .seat(&first.id, &first.participant_token, "Anne", &column)
        .await;
    server
        .seat(&first.id, &first.participant_token, "Bo", &column)
        .await;
    let full = server
        .post_json(
            &format!("/api/rooms/{}/seats", first.id),
            Some(&first.participant_token),
            &json!({"name": "Carl", "group": column}),
        )
        .await;
    full.assert_error(409);
    assert!(full.json()["error"]
        .as_str()
        .unwrap()
        .contains("--max-seats-per-room"));
    let m = metrics(&server).await;
    for limit in ["rooms_per_creator", "rooms_loaded", "seats_per_room"] {
        assert!(metric_hits(&m, limit), "{limit} counted");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_body_over_the_limit_is_refused_with_413() {
    let f = Fixture::with(ServerOptions::new().arg("--max-body-bytes", 1024)).await;
    let column = template(AS_IS).columns[0].id.clone();
    let big = json!({"name": "x".repeat(2000), "group": column});
    let resp = f
        .server
        .post_json(
            &format!("/api/rooms/{}/seats", f.room.id),
            Some(&f.room.participant_token),
            &big,
        )
        .await;
    resp.assert_error(413);
    // A body within it works.
    f.server
        .seat(&f.room.id, &f.room.participant_token, "Anne", &column)
        .await;
}

/// A client that sends half a request head (an HTTP request or a WebSocket upgrade) and then
/// nothing is dropped after `--request-head-timeout-ms`; others are served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_request_head_is_dropped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let f = Fixture::with(ServerOptions::new().arg("--request-head-timeout-ms", 1000)).await;
    let address = format!("127.0.0.1:{}", f.server.port());
    let mut slow = Vec::new();
    for head in [
        "GET /api/templates HTTP/1.1\r\nHost: x\r\n".to_string(),
        format!(
            "GET /ws/{}?token={} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n",
            f.room.id, f.room.participant_token
        ),
    ] {
        let mut tcp = tokio::net::TcpStream::connect(&address).await.unwrap();
        tcp.write_all(head.as_bytes()).await.unwrap();
        slow.push(tcp);
    }
    // Served meanwhile.
    f.server
        .get("/api/templates", None)
        .await
        .assert_status(200);
    for mut tcp in slow {
        let mut buf = [0u8; 1024];
        // The server closes the socket: the read ends (EOF, or a reset), within the timeout
        // here, which only guards against a server that never closes it.
        let read = tokio::time::timeout(std::time::Duration::from_secs(15), tcp.read(&mut buf))
            .await
            .expect("the server dropped the slow client");
        assert!(
            matches!(read, Ok(0) | Err(_))
                || String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 408")
        );
    }
    // Asked on a new connection: the kept-alive one of the request above has been idle past the
    // deadline too, and the server closed it (as it should).
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let metrics = f
        .server
        .send(
            fresh.get(format!("{}/metrics", f.server.url())),
            "GET /metrics",
        )
        .await;
    assert!(metric_hits(
        &String::from_utf8_lossy(&metrics.body),
        "request_head"
    ));
}
