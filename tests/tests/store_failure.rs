//! The Redis store going away and coming back, without the outage buffer (`--outage-buffer 0`,
//! the behaviour of a store that fails a write): a writer whose update cannot be saved is closed
//! with 1011, `/healthz` reports the store unreachable, and after Redis returns a reconnecting
//! client resyncs and nothing another client saw is lost. With the buffer: `outage.rs`.

use std::time::Duration;

use kortvaeg_tests::*;

const STORE_FAILED: u16 = 1011;
const OUTAGE_TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_follows_the_store() {
    let mut redis = Redis::start().await;
    let server = Server::start(ServerOptions::new().redis(redis.url())).await;
    let h = server.health().await;
    assert_eq!(
        (h.status.as_str(), h.store.as_str(), h.store_kind.as_str()),
        ("ok", "ok", "redis"),
        "{h:?}"
    );

    redis.stop().await;
    server
        .wait_health(
            "store unreachable while Redis is down",
            OUTAGE_TIMEOUT,
            |h| h.store == "unreachable" && h.status == "degraded",
        )
        .await;

    redis.start_again().await;
    server
        .wait_health("store ok after Redis is back", OUTAGE_TIMEOUT, |h| {
            h.store == "ok" && h.status == "ok"
        })
        .await;
    // And it works again.
    let room = server.new_room().await;
    YClient::wall(&server, &room.id, &room.participant_token).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writer_is_closed_when_its_update_cannot_be_saved_and_recovers() {
    let mut redis = Redis::start().await;
    let mut f = Fixture::with(
        ServerOptions::new()
            .redis(redis.url())
            .arg("--outage-buffer", 0),
    )
    .await;
    let (row, col) = as_is_cell();
    let observer = f.wall(Role::Review).await;
    let writer = f.wall(Role::Participant).await;
    writer.add_card("before-outage", &row, &col, "før");
    observer.wait_card("before-outage").await;

    redis.stop().await;
    writer.add_card("during-outage", &row, &col, "under nedbrud");
    let (code, reason) = writer.closed_within(OUTAGE_TIMEOUT).await;
    assert_eq!(
        code, STORE_FAILED,
        "a writer whose update was not saved: close code (reason {reason:?})"
    );
    f.server
        .wait_health("store unreachable", OUTAGE_TIMEOUT, |h| {
            h.store == "unreachable" && h.status != "ok"
        })
        .await;

    redis.start_again().await;
    f.server
        .wait_health("store ok again", OUTAGE_TIMEOUT, |h| {
            h.store == "ok" && h.status == "ok"
        })
        .await;

    // The writer reconnects with its replica, which still has the unsaved card: its sync step 2
    // brings it to the server, and this time it is saved.
    let doc = writer.doc.clone();
    drop(writer);
    let again = YClient::reconnect_with(
        &f.server,
        &f.room.id,
        DocKind::Wall,
        &f.room.participant_token,
        doc,
    )
    .await;
    assert_eq!(
        again.settle().await,
        None,
        "the reconnected writer was closed"
    );
    again.add_card("after-outage", &row, &col, "efter");
    again.barrier().await;
    let fresh = f.wall(Role::Review).await;
    fresh
        .wait_cards_present(&["before-outage", "during-outage", "after-outage"])
        .await;

    // Everything any client saw survives a kill -9 now.
    let mut seen = observer.cards();
    seen.extend(fresh.cards());
    drop((again, fresh));
    f.server.kill9();
    f.server.restart().await;
    let after = f.wall(Role::Review).await;
    let ids = after.card_ids();
    let mut lost: Vec<&str> = seen
        .iter()
        .map(|c| c.id.as_str())
        .filter(|id| !ids.iter().any(|i| i == id))
        .collect();
    lost.dedup();
    assert!(
        lost.is_empty(),
        "cards seen by a client but lost after the outage and a restart: {lost:?} (have {ids:?})"
    );
    for id in ["before-outage", "during-outage", "after-outage"] {
        assert!(ids.iter().any(|i| i == id), "{id} missing: {ids:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_rooms_fail_cleanly_while_the_store_is_down() {
    let mut redis = Redis::start().await;
    let server = Server::start(ServerOptions::new().redis(redis.url())).await;
    redis.stop().await;
    // Creating a room needs the store: it must fail with a JSON error (5xx), not hang or crash.
    let resp = server
        .post_json(
            "/api/rooms",
            None,
            &serde_json::json!({"title": "Under nedbrud", "template": AS_IS}),
        )
        .await;
    assert!(
        resp.status >= 500,
        "creating a room with Redis down: HTTP {} {}",
        resp.status,
        resp.text()
    );
    resp.assert_error(resp.status);
    redis.start_again().await;
    server
        .wait_health("store ok again", OUTAGE_TIMEOUT, |h| h.store == "ok")
        .await;
    server.new_room().await;
}
