//! Durability: after `kill -9` and a restart, every card another client saw is back (embedded store
//! and Redis); SIGTERM closes clients with 1001 and flushes; a room with no clients is unloaded
//! and loads again with its state.

use std::time::Duration;

use kortvaeg_tests::*;

/// Writes cards while `observer` watches, SIGKILLs the server mid-stream, restarts it, and checks
/// that every card the observer had seen (and the control document's phase) is back.
async fn kill9_keeps_what_was_seen(opts: ServerOptions) -> Fixture {
    let mut f = Fixture::with(opts).await;
    let (row, col) = as_is_cell();
    let control = f.control(Role::Facilitator).await;
    control.set_phase(schema::phase::PLENUM);
    let observer = f.wall(Role::Review).await;
    let writer = f.wall(Role::Participant).await;

    // A first batch the observer certainly sees.
    for i in 0..20 {
        writer.add_card(&format!("seen-{i}"), &row, &col, &format!("kort {i}"));
    }
    observer
        .wait_cards("the first 20 cards", |c| c.len() >= 20)
        .await;
    // The control client's phase change reached another client.
    let control_observer = f.control(Role::Review).await;
    control_observer
        .wait_for("phase plenum", |d| projection::phase(d) == "plenum")
        .await;

    // A second batch in flight while the server is killed.
    for i in 0..200 {
        writer.add_card(
            &format!("flight-{i}"),
            &row,
            &col,
            &format!("undervejs {i}"),
        );
    }
    observer
        .wait_cards("some of the second batch", |c| c.len() >= 25)
        .await;
    f.server.kill9();
    // Once the observer's connection is gone its replica is final: that is what it saw.
    observer.closed().await;
    let seen = observer.cards();
    assert!(seen.len() >= 25);

    f.server.restart().await;
    let after = f.wall(Role::Review).await;
    let back = after.cards();
    let missing: Vec<&str> = seen
        .iter()
        .filter(|c| !back.iter().any(|b| b.id == c.id && b.text == c.text))
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} cards the observer saw are gone after kill -9: {missing:?}",
        missing.len(),
        seen.len()
    );
    let control_after = f.control(Role::Review).await;
    assert_eq!(
        control_after.phase(),
        "plenum",
        "the control document's change was lost"
    );
    // The restarted server takes writes for the room again.
    let w2 = f.wall(Role::Participant).await;
    w2.add_card("after-restart", &row, &col, "efter");
    after.wait_card("after-restart").await;
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill9_embedded_store() {
    kill9_keeps_what_was_seen(ServerOptions::new()).await;
}

/// `--store-cache-mib 0`: redb keeps no pages of its own, every read goes to the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill9_embedded_store_without_its_page_cache() {
    kill9_keeps_what_was_seen(ServerOptions::new().arg("--store-cache-mib", 0)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill9_redis_store() {
    let redis = Redis::start().await;
    let f = kill9_keeps_what_was_seen(ServerOptions::new().redis(redis.url())).await;
    assert_eq!(f.server.health().await.store_kind, "redis");
    let keys = redis.keys("*").await;
    assert!(!keys.is_empty(), "nothing in Redis");
    let foreign: Vec<&String> = keys
        .iter()
        .filter(|k| !k.starts_with("kortvaeg:"))
        .collect();
    assert!(
        foreign.is_empty(),
        "keys outside the kortvaeg: prefix: {foreign:?}"
    );
}

async fn sigterm_flushes(opts: ServerOptions) {
    let mut f = Fixture::with(opts).await;
    let (row, col) = as_is_cell();
    let observer = f.wall(Role::Review).await;
    let writer = f.wall(Role::Participant).await;
    for i in 0..50 {
        writer.add_card(&format!("c-{i}"), &row, &col, &format!("kort {i}"));
    }
    let seen = observer.wait_cards("all 50 cards", |c| c.len() == 50).await;

    let status = f.server.stop().await;
    assert!(status.success(), "kortvaeg exited with {status} on SIGTERM");
    let wal = f.server.data_dir().join("kortvaeg.wal");
    if let Ok(meta) = std::fs::metadata(&wal) {
        // Embedded: after a clean stop the redb file alone holds everything (a copy of it is a
        // backup, docs/DEPLOY.md), so its write-ahead log is empty.
        assert_eq!(meta.len(), 0, "{} after SIGTERM", wal.display());
    }
    for c in [&observer, &writer] {
        let (code, reason) = c.closed().await;
        assert_eq!(code, 1001, "close code on shutdown (reason {reason:?})");
    }

    f.server.restart().await;
    let after = f.wall(Role::Review).await;
    assert_eq!(after.cards(), seen, "the wall after a graceful restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_clients_and_flushes_embedded() {
    sigterm_flushes(ServerOptions::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_clients_and_flushes_redis() {
    let redis = Redis::start().await;
    sigterm_flushes(ServerOptions::new().redis(redis.url())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_without_clients_exits_cleanly() {
    let mut server = Server::start_default().await;
    server.new_room().await;
    let status = server.stop().await;
    assert!(status.success(), "kortvaeg exited with {status} on SIGTERM");
}

async fn unloads_and_reloads(opts: ServerOptions) {
    let f = Fixture::with(opts.unload_after_ms(200)).await;
    let (row, col) = as_is_cell();
    let h = f.server.health().await;
    assert_eq!(h.rooms_loaded, 0, "{h:?}");

    let wall = f.wall(Role::Participant).await;
    let control = f.control(Role::Facilitator).await;
    wall.add_card("kept", &row, &col, "gemt");
    control.set_phase(schema::phase::PLENUM);
    wall.barrier().await;
    control.barrier().await;
    let h = f.server.health().await;
    assert!(h.rooms_loaded >= 1 && h.connections == 2, "{h:?}");

    wall.close().await;
    control.drop_connection();
    f.server
        .wait_health(
            "the room unloaded after its last client left",
            Duration::from_secs(15),
            |h| h.rooms_loaded == 0 && h.connections == 0,
        )
        .await;

    // Loaded again, with its state.
    let again = f.wall(Role::Review).await;
    assert_eq!(again.card_ids(), vec!["kept"]);
    let control_again = f.control(Role::Review).await;
    assert_eq!(control_again.phase(), "plenum");
    assert!(f.server.health().await.rooms_loaded >= 1);
    // REST on an unloaded room works too.
    drop((again, control_again));
    f.server
        .wait_health("the room unloaded again", Duration::from_secs(15), |h| {
            h.rooms_loaded == 0
        })
        .await;
    let csv = f
        .server
        .export_csv(&f.room.id, &f.room.review_token, None)
        .await;
    assert_eq!(csv.len(), 2, "export of an unloaded room: {csv:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_unloads_when_empty_embedded() {
    unloads_and_reloads(ServerOptions::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_unloads_when_empty_redis() {
    let redis = Redis::start().await;
    unloads_and_reloads(ServerOptions::new().redis(redis.url())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_stays_loaded_while_a_client_is_connected() {
    let f = Fixture::with(ServerOptions::new().unload_after_ms(100)).await;
    let (row, col) = as_is_cell();
    let a = f.wall(Role::Participant).await;
    let b = f.wall(Role::Participant).await;
    a.add_card("x", &row, &col, "x");
    b.wait_card("x").await;
    a.close().await;
    f.server
        .wait_health("a's connection gone", Duration::from_secs(10), |h| {
            h.connections == 1
        })
        .await;
    // b is still there: the room is still loaded and live.
    let c = f.wall(Role::Participant).await;
    c.add_card("y", &row, &col, "y");
    b.wait_card("y").await;
    assert!(f.server.health().await.rooms_loaded >= 1);
}
