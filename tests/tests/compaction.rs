//! The stored log of a document stays bounded: once `--compact-after` updates that weigh as much
//! as the state are appended, it is merged into the document's state, and a room that unloads is
//! compacted completely. Nothing is lost on the way: a restart after `kill -9` restores every card.

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

/// The wall's stored state and the updates in its stream, in bytes.
async fn weights(redis: &Redis, room: &str) -> (usize, Vec<usize>) {
    let mut con = redis.connection().await;
    let state: Vec<u8> = redis::cmd("GET")
        .arg(format!("kortvaeg:room:{room}:wall:state"))
        .query_async(&mut con)
        .await
        .expect("GET");
    // Each entry: its id and its fields and values (`n` the node, `u` the update).
    let entries: Vec<(String, Vec<Vec<u8>>)> = redis::cmd("XRANGE")
        .arg(format!("kortvaeg:room:{room}:wall:stream"))
        .arg("-")
        .arg("+")
        .query_async(&mut con)
        .await
        .expect("XRANGE");
    let updates = entries
        .iter()
        .map(|(_, fields)| {
            let at = fields.iter().position(|f| f == b"u").expect("an update");
            fields[at + 1].len()
        })
        .collect();
    (state.len(), updates)
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
    let (state, log) = weights(&redis, &f.room.id).await;
    assert!(
        !log.is_empty() && log.len() < 35,
        "35 updates with --compact-after 10 left {} entries in the log",
        log.len()
    );
    // Due once 10 updates since the last compaction weigh as much as its state: the log is never
    // much heavier than the state (an update or two read before the compaction ran).
    let largest = log.iter().max().copied().unwrap_or(0);
    let weight: usize = log.iter().sum();
    assert!(
        weight <= state + 2 * largest,
        "the log weighs {weight} bytes, the state {state}"
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
