//! A Redis outage with several nodes and the outage buffer: collaboration goes on on each node,
//! `/healthz` says degraded, updates wait in a bounded on-disk spool (beyond it, writes are
//! refused with a clear close, never dropped) and are written when Redis is back; then all nodes
//! converge and nothing a client saw is lost — not even when the node is killed mid-outage.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_outage_loses_nothing_its_clients_saw() {
    let mut redis = Redis::start().await;
    let mut n0 = Server::start(ServerOptions::new().redis(redis.url())).await;
    let n1 = Server::start(ServerOptions::new().redis(redis.url())).await;
    let room = n0.new_room().await;
    let (row, col) = as_is_cell();
    let writer = YClient::wall(&n0, &room.id, &room.participant_token).await;
    let observer = YClient::wall(&n0, &room.id, &room.review_token).await;
    // On the other node since before the outage: it gets the cards once Redis has them.
    let other = YClient::wall(&n1, &room.id, &room.review_token).await;

    redis.stop().await;
    for i in 0..20 {
        writer.add_card(&format!("c{i}"), &row, &col, "under nedbrud");
    }
    observer
        .wait_cards("the 20 cards on the observer during the outage", |c| {
            c.len() == 20
        })
        .await;
    n0.wait_health("degraded with spooled updates", OUTAGE_TIMEOUT, |h| {
        h.status == "degraded" && h.buffered_updates >= 20
    })
    .await;

    // What the observer saw is on n0's disk: it survives SIGKILL, and the node writes it to
    // Redis when it starts again (same data directory, so the same spool).
    n0.kill9();
    redis.start_again().await;
    n0.restart().await;
    let fresh = YClient::wall(&n0, &room.id, &room.review_token).await;
    assert_eq!(
        fresh.cards().len(),
        20,
        "the restarted node serves the spooled cards: {:?}",
        fresh.card_ids()
    );
    n0.wait_health("spool written after the restart", OUTAGE_TIMEOUT, |h| {
        h.status == "ok" && h.buffered_updates == 0
    })
    .await;
    other
        .wait_cards("the spooled cards reach the other node", |c| c.len() == 20)
        .await;
    let on_n1 = YClient::wall(&n1, &room.id, &room.review_token).await;
    assert_eq!(
        on_n1.cards().len(),
        20,
        "a fresh client on the other node: {:?}",
        on_n1.card_ids()
    );
    let n2 = Server::start(ServerOptions::new().redis(redis.url())).await;
    let from_redis = YClient::wall(&n2, &room.id, &room.review_token).await;
    assert_eq!(
        from_redis.cards().len(),
        20,
        "a node loading the room from Redis: {:?}",
        from_redis.card_ids()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_cannot_share_a_spool() {
    let redis = Redis::start().await;
    let n0 = Server::start(ServerOptions::new().redis(redis.url())).await;
    let spool = n0.data_dir().join("spool");
    let output = Server::start_refused(
        ServerOptions::new()
            .redis(redis.url())
            .arg("--spool-dir", spool.display()),
    )
    .await;
    assert!(
        output.contains("in use by another kortvaeg process"),
        "the error says why:\n{output}"
    );
    assert!(output.contains("--spool-dir"), "and what to do:\n{output}");
}
