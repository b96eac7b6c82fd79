//! The stored log of a document stays bounded: every `--compact-after` updates it is merged into
//! the document's state, and a room that unloads is compacted completely. Nothing is lost on the
//! way: a restart after `kill -9` restores every card.

use kortvaeg_tests::*;

/// Entries in the wall document's stream (the log not yet compacted into its state).
async fn log_len(redis: &Redis, room: &str) -> i64 {
    let mut con = redis.connection().await;
    redis::cmd("XLEN")
        .arg(format!("kortvaeg:room:{room}:wall:stream"))
        .query_async(&mut con)
        .await
        .expect("XLEN")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_is_compacted_every_n_updates_and_on_unload_and_nothing_is_lost() {
    let redis = Redis::start().await;
    let mut f = Fixture::with(
        ServerOptions::new()
            .redis(redis.url())
            .arg("--compact-after", 10)
            .unload_after_ms(100),
    )
    .await;
    let (row, col) = as_is_cell();
    let writer = f.wall(Role::Participant).await;
    for i in 0..35 {
        writer.add_card(&format!("k{i}"), &row, &col, &format!("kort {i}"));
        writer.barrier().await;
    }
    let len = log_len(&redis, &f.room.id).await;
    assert!(
        len < 10,
        "35 updates with --compact-after 10 left {len} entries in the log"
    );

    writer.close().await;
    f.server
        .wait_health("the room unloaded", TIMEOUT, |h| h.rooms_loaded == 0)
        .await;
    assert_eq!(
        log_len(&redis, &f.room.id).await,
        0,
        "unloading compacts the whole log"
    );

    f.server.kill9();
    f.server.restart().await;
    let reader = f.wall(Role::Review).await;
    assert_eq!(
        reader.cards().len(),
        35,
        "every card is back after compaction and kill -9"
    );
}
