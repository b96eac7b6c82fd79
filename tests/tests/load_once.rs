//! A room is loaded once per process, however many clients connect to it at the same moment, and
//! every one of them gets the full state (no empty document served while it loads).

use kortvaeg_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_joiners_share_one_load_and_see_the_full_state() {
    let f = Fixture::with(ServerOptions::default().unload_after_ms(0)).await;
    let (row, col) = as_is_cell();

    // Put a card in the room, then let the room unload so the joiners below race to load it.
    let writer = f.wall(Role::Facilitator).await;
    writer.add_card("stored", &row, &col, "gemt før alle kom");
    writer.barrier().await;
    writer.close().await;
    f.server
        .wait_health("the room unloaded", TIMEOUT, |h| h.rooms_loaded == 0)
        .await;
    let loads_before = f.server.logs().matches("room loaded").count();

    let joiners = futures_util::future::join_all(
        (0..20).map(|_| YClient::wall(&f.server, &f.room.id, &f.room.participant_token)),
    )
    .await;
    for (i, client) in joiners.iter().enumerate() {
        let card = client.card("stored");
        assert!(
            card.is_some(),
            "joiner {i} synced without the stored card: {:?}",
            client.cards()
        );
    }
    let loads = f.server.logs().matches("room loaded").count() - loads_before;
    assert_eq!(
        loads, 1,
        "the room was loaded {loads} times by 20 concurrent joiners"
    );
    assert_eq!(f.server.health().await.rooms_loaded, 1);
}
