//! A Redis outage with several nodes and the outage buffer: collaboration goes on on each node,
//! `/healthz` says degraded, updates wait in a bounded buffer (beyond it, writes are refused with
//! a clear close, never dropped) and are written when Redis is back; then all nodes converge and
//! nothing a client saw is lost.

use std::time::Duration;

use kortvaeg_tests::*;

const OUTAGE_TIMEOUT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collaboration_goes_on_during_an_outage_and_nodes_converge_after() {
    let mut redis = Redis::start().await;
    let mut n0 = Server::start(ServerOptions::new().redis(redis.url())).await;
    let n1 = Server::start(ServerOptions::new().redis(redis.url())).await;
    let room = n0.new_room().await;
    let (row, col) = as_is_cell();
    let a = YClient::wall(&n0, &room.id, &room.participant_token).await;
    let a_peer = YClient::wall(&n0, &room.id, &room.review_token).await;
    let b = YClient::wall(&n1, &room.id, &room.participant_token).await;
    a.add_card("before", &row, &col, "før");
    b.wait_card("before").await;

    redis.stop().await;
    for i in 0..10 {
        a.add_card(&format!("a{i}"), &row, &col, "node 0 under nedbrud");
        b.add_card(&format!("b{i}"), &row, &col, "node 1 under nedbrud");
    }
    // Each node's clients keep working together.
    a_peer
        .wait_cards("node 0's cards on node 0 during the outage", |c| {
            c.iter().filter(|c| c.id.starts_with('a')).count() == 10
        })
        .await;
    n0.wait_health("degraded with buffered updates", OUTAGE_TIMEOUT, |h| {
        h.status == "degraded" && h.buffered_updates >= 10
    })
    .await;
    assert!(
        a.close_frame().is_none() && b.close_frame().is_none(),
        "writers stay connected during the outage"
    );

    redis.start_again().await;
    n0.wait_health("buffer written after the outage", OUTAGE_TIMEOUT, |h| {
        h.status == "ok" && h.buffered_updates == 0
    })
    .await;
    n1.wait_health("buffer written after the outage", OUTAGE_TIMEOUT, |h| {
        h.status == "ok" && h.buffered_updates == 0
    })
    .await;
    for client in [&a, &a_peer, &b] {
        client
            .wait_cards("all 21 cards on every node after the outage", |c| {
                c.len() == 21
            })
            .await;
    }

    // And it is all in Redis: a node killed now loses nothing.
    n0.kill9();
    let fresh = Server::start(ServerOptions::new().redis(redis.url())).await;
    let reader = YClient::wall(&fresh, &room.id, &room.review_token).await;
    assert_eq!(
        reader.cards().len(),
        21,
        "every card is in Redis after the outage: {:?}",
        reader.card_ids()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_buffer_refuses_writes_with_a_reason_and_keeps_what_it_took() {
    let mut redis = Redis::start().await;
    let server = Server::start(
        ServerOptions::new()
            .redis(redis.url())
            .arg("--outage-buffer", 5),
    )
    .await;
    let room = server.new_room().await;
    let (row, col) = as_is_cell();
    let writer = YClient::wall(&server, &room.id, &room.participant_token).await;

    redis.stop().await;
    for i in 0..5 {
        writer.add_card(&format!("k{i}"), &row, &col, "gemt i bufferen");
        writer.barrier().await;
    }
    writer.add_card("overflow", &row, &col, "for meget");
    let (code, reason) = writer.closed_within(OUTAGE_TIMEOUT).await;
    assert_eq!(
        code, 1013,
        "a write beyond the buffer is refused (reason {reason:?})"
    );
    assert!(reason.contains("buffer"), "the reason says why: {reason:?}");
    // Reading goes on with a full buffer: a client joining now gets the buffered cards.
    let joiner = YClient::wall(&server, &room.id, &room.review_token).await;
    assert_eq!(
        joiner.cards().len(),
        5,
        "a joiner during the outage sees the buffered cards"
    );

    redis.start_again().await;
    server
        .wait_health("buffer written", OUTAGE_TIMEOUT, |h| {
            h.status == "ok" && h.buffered_updates == 0
        })
        .await;
    let reader = YClient::wall(&server, &room.id, &room.review_token).await;
    let ids = reader.card_ids();
    for i in 0..5 {
        assert!(
            ids.contains(&format!("k{i}")),
            "buffered card k{i} was written after the outage: {ids:?}"
        );
    }
    assert!(
        !ids.contains(&"overflow".to_string()),
        "the refused card was not applied: {ids:?}"
    );
    // The refused card is still in the writer's replica: reconnecting brings it in.
    let again = YClient::reconnect_with(
        &server,
        &room.id,
        DocKind::Wall,
        &room.participant_token,
        writer.doc.clone(),
    )
    .await;
    again.barrier().await;
    reader.wait_card("overflow").await;
}
