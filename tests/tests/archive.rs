//! A room in one file (`docs/API.md`, "Archive"): the facilitator downloads everything of a room
//! — wall, control, group documents, snapshots, people without tokens — and it is made again on
//! another server (here: from the embedded store to Redis) with new tokens, the same sheet and
//! the same snapshots. Only the facilitator downloads it; a damaged or hostile archive is
//! refused whole and makes no room.

use base64::Engine;
use kortvaeg_tests::*;
use serde_json::{json, Value};

async fn archive_of(server: &Server, room: &str, token: &str) -> Response {
    server
        .get(&format!("/api/rooms/{room}/archive"), Some(token))
        .await
}

const KEY: &str = "kommune-nord-opretter-2026";

async fn import(server: &Server, body: &[u8]) -> Response {
    server
        .send(
            server
                .http()
                .post(format!("{}/api/rooms/import-archive", server.url()))
                .header("content-type", "application/json")
                .bearer_auth(KEY)
                .body(body.to_vec()),
            "POST /api/rooms/import-archive",
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_moves_to_another_server_in_one_file() {
    let f = Fixture::new().await;
    let (row, _) = as_is_cell();
    let column = template(AS_IS).columns[0].id.clone();
    let (_, anne) = f
        .server
        .seat(&f.room.id, &f.room.participant_token, "Anne", &column)
        .await;
    let group = f.group(&column, Role::Facilitator).await;
    let anne_group = YClient::group(&f.server, &f.room.id, &column, &anne).await;
    anne_group.add_card("g1", &row, &column, "fra gruppen");
    let wall = f.wall(Role::Participant).await;
    wall.add_card("w1", &row, &column, "fra plenum");
    // Past --max-body-bytes (64 KiB): an archive has its own limit.
    for i in 0..100 {
        wall.add_card(&format!("big-{i}"), &row, &column, &"æ".repeat(600));
    }
    group.wait_card("g1").await;
    wall.barrier().await;
    let taken = f
        .server
        .post_raw(
            &format!("/api/rooms/{}/snapshots", f.room.id),
            Some(&f.room.facilitator_token),
            "application/json",
            r#"{"name": "As-is"}"#,
        )
        .await;
    taken.assert_status(201);
    let seq = taken.parse::<SnapshotInfo>().seq;
    wall.add_card("w2", &row, &column, "efter snapshot");
    wall.barrier().await;

    // Only the facilitator may download it.
    for token in [&f.room.participant_token, &f.room.review_token, &anne] {
        archive_of(&f.server, &f.room.id, token)
            .await
            .assert_error(403);
    }
    let file = archive_of(&f.server, &f.room.id, &f.room.facilitator_token).await;
    file.assert_status(200);
    assert!(file.body.len() > 64 << 10, "{} bytes", file.body.len());
    let archive: Value = file.json();
    assert_eq!(archive["format"], "kortvaeg-archive");
    assert!(archive["documents"][format!("group:{column}")].is_string());
    assert_eq!(archive["seats"][0]["name"], "Anne");
    let text = String::from_utf8_lossy(&file.body).to_string();
    for secret in [&f.room.facilitator_token, &f.room.participant_token, &anne] {
        assert!(!text.contains(secret.as_str()), "no token in the archive");
    }

    // Made again on a server with Redis as its store.
    let redis = Redis::start().await;
    let other = Server::start(ServerOptions::new().redis(redis.url())).await;
    let made = import(&other, &file.body).await;
    made.assert_status(201);
    let made: RoomCreated = made.parse();
    assert_ne!(made.id, f.room.id);
    assert_ne!(made.facilitator_token, f.room.facilitator_token);
    assert_eq!(
        other
            .export_csv(&made.id, &made.facilitator_token, None)
            .await,
        f.server
            .export_csv(&f.room.id, &f.room.facilitator_token, None)
            .await,
        "the same cards"
    );
    let snapshots = other.snapshots(&made.id, &made.review_token).await;
    assert_eq!(snapshots.len(), 1);
    assert_eq!(snapshots[0].name.as_deref(), Some("As-is"), "its name kept");
    assert_eq!(
        other
            .export_csv(&made.id, &made.facilitator_token, Some(snapshots[0].seq))
            .await,
        f.server
            .export_csv(&f.room.id, &f.room.facilitator_token, Some(seq))
            .await,
        "the same snapshot"
    );
    let moved = YClient::group(&other, &made.id, &column, &made.facilitator_token).await;
    assert_eq!(moved.card("g1").unwrap().text, "fra gruppen");
    // The old tokens do not open the new room.
    assert!(YClient::refused(&other.ws_url(
        &made.id,
        DocKind::Wall,
        Some(&f.room.facilitator_token)
    ))
    .await
    .is(403));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_or_hostile_archive_makes_no_room() {
    let f = Fixture::new().await;
    let file = archive_of(&f.server, &f.room.id, &f.room.facilitator_token).await;
    let good: Value = file.json();
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(&keys, format!("{KEY}\n")).unwrap();
    let other = Server::start(ServerOptions::new().arg("--creator-keys", keys.display())).await;
    // An XML element in the wall: what the schema gate refuses on a socket, it refuses here.
    let hostile = {
        let doc = yrs::Doc::new();
        let xml = doc.get_or_insert_xml_fragment("cards");
        {
            use yrs::{Transact, XmlFragment};
            let mut txn = doc.transact_mut();
            xml.push_back(&mut txn, yrs::XmlElementPrelim::empty("script"));
        }
        use yrs::{ReadTxn, Transact};
        let state = doc
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        state
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let variants: Vec<(&str, Value)> = vec![
        ("not base64", {
            let mut a = good.clone();
            a["documents"]["wall"] = json!("%%%");
            a
        }),
        ("an XML type in the wall", {
            let mut a = good.clone();
            a["documents"]["wall"] = json!(b64.encode(&hostile));
            a
        }),
        ("no control document", {
            let mut a = good.clone();
            a["documents"].as_object_mut().unwrap().remove("control");
            a
        }),
        ("an unknown document", {
            let mut a = good.clone();
            a["documents"]["secrets"] = json!(b64.encode(b"x"));
            a
        }),
        ("another format", {
            let mut a = good.clone();
            a["format"] = json!("something-else");
            a
        }),
        ("a snapshot with an empty name", {
            let mut a = good.clone();
            a["snapshots"] = json!([{"seq": 1, "taken_at": "2026-01-01T00:00:00Z", "name": "  ", "documents": good["documents"]}]);
            a
        }),
        ("a damaged snapshot", {
            let mut a = good.clone();
            a["snapshots"] = json!([{"seq": 1, "taken_at": "2026-01-01T00:00:00Z", "documents": {"wall": b64.encode(b"\x01\x02garbage"), "control": good["documents"]["control"]}}]);
            a
        }),
    ];
    for (what, archive) in variants {
        let resp = import(&other, &serde_json::to_vec(&archive).unwrap()).await;
        resp.assert_error(400);
        assert!(!resp.json()["error"].as_str().unwrap().is_empty(), "{what}");
    }
    import(&other, b"{not json").await.assert_error(400);
    // None of them made a room: the good one is the creator's only one.
    let made: RoomCreated = {
        let r = import(&other, &serde_json::to_vec(&good).unwrap()).await;
        r.assert_status(201);
        r.parse()
    };
    let info = other.room_info(&made.id, &made.facilitator_token).await;
    assert_eq!(info.title, "Testværksted");
    let mine = other
        .send(
            other
                .http()
                .get(format!("{}/api/rooms", other.url()))
                .bearer_auth(KEY),
            "GET /api/rooms",
        )
        .await;
    mine.assert_status(200);
    assert_eq!(mine.json().as_array().unwrap().len(), 1);
}
