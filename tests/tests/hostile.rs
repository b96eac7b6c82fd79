//! Hostile Yjs updates (`tests/node/hostile-updates.mjs`, kept from the repro that found them):
//! crafted updates that crashed the server, made a room unloadable, hid the wall from stock
//! clients, or evicted every client. Each must close only its sender with 44xx, leave the server
//! up and another room's client connected, and the room must load — after it unloads, and after a
//! restart — with every card it had. Run with the embedded store and with Redis.

use std::time::Duration;

use kortvaeg_tests::*;
use serde_json::Value;

/// One attacked room as the script reports it: its review token and how many cards it must keep.
#[derive(Debug)]
struct Attacked {
    case: String,
    id: String,
    token: String,
    cards: usize,
}

/// Runs every case of the script against `server`; returns the attacked rooms.
async fn attack(server: &Server) -> Vec<Attacked> {
    let node_dir = node_scripts();
    let run = tokio::process::Command::new("node")
        .arg(node_dir.join("hostile-updates.mjs"))
        .arg(server.url())
        .env("UNLOAD_WAIT_MS", "1200")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("hostile-updates.mjs did not finish within 120 s")
        .expect("running node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "hostile-updates.mjs failed ({}):\n{stdout}\n{stderr}\nserver log:\n{}",
        out.status,
        server.logs()
    );
    let rooms = stdout
        .lines()
        .find_map(|l| l.strip_prefix("ROOMS "))
        .unwrap_or_else(|| panic!("no ROOMS line:\n{stdout}"));
    let rooms: Vec<Value> = serde_json::from_str(rooms).expect("ROOMS is JSON");
    let text = |v: &Value, k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("{k} in {v}"))
            .to_string()
    };
    let rooms: Vec<Attacked> = rooms
        .iter()
        .map(|r| Attacked {
            case: text(r, "case"),
            id: text(r, "id"),
            token: text(r, "token"),
            cards: r["cards"].as_u64().expect("cards") as usize,
        })
        .collect();
    assert_eq!(rooms.len(), 4, "{rooms:?}");
    rooms
}

/// After a restart every attacked room loads with its cards, and the server said nothing of a panic.
async fn after_restart(server: &mut Server, rooms: &[Attacked]) {
    server.restart().await;
    for room in rooms {
        let client = YClient::wall(server, &room.id, &room.token).await;
        client.synced().await;
        let n = client.cards().len();
        assert!(
            n >= room.cards,
            "{}: {n} cards after a restart, had {}",
            room.case,
            room.cards
        );
        assert!(
            client.close_frame().is_none(),
            "{}: {:?}",
            room.case,
            client.close_frame()
        );
    }
    assert!(!server.logs().contains("panicked"), "{}", server.logs());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_updates_hurt_only_their_sender_embedded() {
    let mut server = Server::start(ServerOptions::new().unload_after_ms(300)).await;
    let rooms = attack(&server).await;
    after_restart(&mut server, &rooms).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_updates_hurt_only_their_sender_redis() {
    let redis = Redis::start().await;
    let mut server =
        Server::start(ServerOptions::new().redis(redis.url()).unload_after_ms(300)).await;
    let rooms = attack(&server).await;
    after_restart(&mut server, &rooms).await;
}

/// An update that a node stored before the gate existed (written into the room's stream here, as
/// an older node would have): the room still loads, without it, and it is kept aside and counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_update_the_schema_refuses_is_set_aside_and_the_room_loads() {
    use redis::AsyncCommands;
    let (redis, mut server, room) = unloaded_room_with_one_card().await;

    let bad = xml_in_the_cards_map();
    let mut conn = redis.connection().await;
    let stream = format!("kortvaeg:room:{}:wall:stream", room.id);
    let _: String = conn
        .xadd(
            &stream,
            "*",
            &[("n", b"old-node".to_vec()), ("u", bad.clone())],
        )
        .await
        .unwrap();

    // The first load sets it aside; the compaction when the room unloads drops it from the log,
    // so after a restart it is not set aside again, and the copy kept aside stays.
    for (round, set_aside_now) in [
        ("after the bad entry was stored", true),
        ("after a restart", false),
    ] {
        let reader = YClient::wall(&server, &room.id, &room.review_token).await;
        reader.synced().await;
        assert_eq!(reader.card_ids(), vec!["good".to_string()], "{round}");
        assert!(
            reader.close_frame().is_none(),
            "{round}: {:?}",
            reader.close_frame()
        );
        let kept: Vec<Vec<u8>> = conn
            .hvals(format!("kortvaeg:room:{}:wall:set_aside", room.id))
            .await
            .unwrap();
        assert_eq!(kept, vec![bad.clone()], "{round}: kept once");
        let metrics = server.get("/metrics", None).await.text();
        let counted = metrics.contains("kortvaeg_updates_set_aside_total{doc=\"wall\"} 1");
        assert_eq!(counted, set_aside_now, "{round}: {metrics}");
        reader.close().await;
        server
            .wait_health("the room unloaded", Duration::from_secs(10), |h| {
                h.rooms_loaded == 0
            })
            .await;
        server.restart().await;
    }
}

/// A compacted state that holds a type the schema has no use for (compacted before the gate
/// existed: a Y.XmlElement in the cards map, which empties the wall for stock Yjs clients): the
/// room loads, the entry is removed like any change, and the state before is kept aside.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_state_with_a_type_the_schema_refuses_is_repaired_when_the_room_loads() {
    use redis::AsyncCommands;
    let (redis, mut server, room) = unloaded_room_with_one_card().await;

    let mut conn = redis.connection().await;
    let key = format!("kortvaeg:room:{}:wall:state", room.id);
    let state: Vec<u8> = conn.get(&key).await.unwrap();
    let bad = xml_in_the_cards_map();
    let poisoned = yrs::merge_updates_v1([state.as_slice(), bad.as_slice()]).unwrap();
    let _: () = conn.set(&key, &poisoned).await.unwrap();

    let reader = YClient::wall(&server, &room.id, &room.review_token).await;
    reader.synced().await;
    reader
        .wait_for("the cards map without the XML entry", |d| {
            card_keys(d) == ["good"]
        })
        .await;
    let kept: Vec<Vec<u8>> = conn
        .hvals(format!("kortvaeg:room:{}:wall:set_aside", room.id))
        .await
        .unwrap();
    assert_eq!(kept, vec![poisoned], "the state before the repair is kept");
    // After a restart the room loads as repaired.
    reader.close().await;
    server.restart().await;
    let again = YClient::wall(&server, &room.id, &room.review_token).await;
    again.synced().await;
    again
        .wait_for("the repaired wall after a restart", |d| {
            card_keys(d) == ["good"]
        })
        .await;
}

/// Every key of the wall's cards map, whatever its value (the harness's cards are only maps).
fn card_keys(doc: &yrs::Doc) -> Vec<String> {
    use yrs::{Map, ReadTxn, Transact};
    let txn = doc.transact();
    let mut keys: Vec<String> = txn
        .get_map("cards")
        .map(|m| m.keys(&txn).map(str::to_string).collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// A room on a Redis-backed server with one card ("good"), unloaded (its state in Redis).
async fn unloaded_room_with_one_card() -> (Redis, Server, RoomCreated) {
    let redis = Redis::start().await;
    let server = Server::start(ServerOptions::new().redis(redis.url()).unload_after_ms(100)).await;
    let room = server.new_room().await;
    let (row, col) = as_is_cell();
    let writer = YClient::wall(&server, &room.id, &room.participant_token).await;
    writer.add_card("good", &row, &col, "bliver");
    writer.barrier().await;
    writer.close().await;
    server
        .wait_health("the room unloaded", Duration::from_secs(10), |h| {
            h.rooms_loaded == 0
        })
        .await;
    (redis, server, room)
}

/// An update (client 4242) putting a Y.XmlElement in the cards map: what the gate refuses today,
/// and what made stock Yjs clients show an empty wall.
fn xml_in_the_cards_map() -> Vec<u8> {
    use yrs::{Doc, Transact, WriteTxn, XmlElementPrelim};
    let old = Doc::with_client_id(4242);
    let mut txn = old.transact_mut();
    let cards = txn.get_or_insert_map("cards");
    yrs::Map::insert(&cards, &mut txn, "xml", XmlElementPrelim::empty("p"));
    txn.encode_update_v1()
}
