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
    let node_dir = workspace_root().join("tests/node");
    assert!(
        node_dir.join("node_modules/yjs").is_dir(),
        "{}/node_modules is missing: run scripts/test, which installs it (npm ci in tests/node)",
        node_dir.display()
    );
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
