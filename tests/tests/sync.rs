//! Document sync over the y-websocket protocol: clients converge, a late joiner gets the whole
//! state in its initial sync, offline edits are merged on reconnect, the control document is
//! readable by every role.

use kortvaeg_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_converge() {
    let f = Fixture::new().await;
    let (row, col) = as_is_cell();
    let a = f.wall(Role::Participant).await;
    let b = f.wall(Role::Facilitator).await;

    // Concurrent writes from both sides, including to the same card id.
    for i in 0..10 {
        a.add_card(&format!("a-{i}"), &row, &col, &format!("fra a {i}"));
        b.add_card(&format!("b-{i}"), &row, &col, &format!("fra b {i}"));
    }
    a.add_card("same", &row, &col, "a skrev");
    b.add_card("same", &row, &col, "b skrev");

    let all: Vec<String> = (0..10)
        .flat_map(|i| [format!("a-{i}"), format!("b-{i}")])
        .chain(["same".to_string()])
        .collect();
    let ids: Vec<&str> = all.iter().map(String::as_str).collect();
    a.wait_cards_present(&ids).await;
    b.wait_cards_present(&ids).await;

    // Both replicas end up identical to the server's state, including who won the conflicting card.
    a.barrier().await;
    b.barrier().await;
    let server_state = f.wall(Role::Review).await.cards();
    assert_eq!(
        server_state.len(),
        21,
        "a fresh client's cards: {server_state:?}"
    );
    a.wait_for("a's replica equal to the server's", |doc| {
        projection::cards(doc) == server_state
    })
    .await;
    b.wait_for("b's replica equal to the server's", |doc| {
        projection::cards(doc) == server_state
    })
    .await;
    assert_eq!(a.cards().len(), 21);
    let same = a.card("same").unwrap();
    assert!(
        same.text == "a skrev" || same.text == "b skrev",
        "conflict resolved to {:?}",
        same.text
    );
    assert_eq!(a.card("a-3").unwrap().text, "fra a 3");
    assert_eq!(b.card("b-7").unwrap().row, row);
    assert_eq!(b.card("b-7").unwrap().column, col);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_joiner_gets_full_state_in_initial_sync() {
    let f = Fixture::new().await;
    let (row, col) = as_is_cell();
    let a = f.wall(Role::Participant).await;
    for i in 0..25 {
        a.add_card(&format!("c-{i}"), &row, &col, &format!("kort {i}"));
    }
    a.add_card_ytext("yt", &row, &col, "Y.Text-kort");
    a.remove_card("c-0");
    a.barrier().await; // the server has applied all of the above

    // The joiner is asserted right after its initial sync: no waiting for later updates.
    let late = f.wall(Role::Review).await;
    let cards = late.cards();
    assert_eq!(
        cards.len(),
        25,
        "late joiner's cards after its initial sync: {:?}",
        late.card_ids()
    );
    assert!(late.card("c-0").is_none(), "a removed card came back");
    assert_eq!(late.card("c-24").unwrap().text, "kort 24");
    assert_eq!(late.card("yt").unwrap().text, "Y.Text-kort");
    assert_eq!(cards, a.cards());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ytext_edits_converge() {
    let f = Fixture::new().await;
    let (row, col) = as_is_cell();
    let a = f.wall(Role::Participant).await;
    let b = f.wall(Role::Participant).await;
    a.add_card_ytext("t", &row, &col, "Hej");
    b.wait_card("t").await;

    // b appends to the Y.Text of a's card.
    let cards = b.doc.get_or_insert_map(schema::CARDS);
    b.transact(|txn| {
        use yrs::{Map, Text};
        let card = match cards.get(txn, "t") {
            Some(yrs::Out::YMap(m)) => m,
            other => panic!("card t is not a map: {other:?}"),
        };
        let text = match card.get(txn, "text") {
            Some(yrs::Out::YText(t)) => t,
            other => panic!("card t's text is not a Y.Text: {other:?}"),
        };
        let len = text.len(txn);
        text.insert(txn, len, " med dig");
    });
    a.wait_for("a sees b's text edit", |doc| {
        projection::cards(doc)
            .iter()
            .any(|c| c.id == "t" && c.text == "Hej med dig")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_are_merged_on_reconnect() {
    let f = Fixture::new().await;
    let (row, col) = as_is_cell();
    let observer = f.wall(Role::Facilitator).await;
    let a = f.wall(Role::Participant).await;
    a.add_card("online", &row, &col, "mens forbundet");
    observer.wait_card("online").await;

    let doc = a.doc.clone();
    a.close().await;
    add_card_offline(&doc, "offline", &row, &col, "skrevet uden forbindelse");
    observer.add_card("meanwhile", &row, &col, "imens");
    observer.barrier().await;

    // Reconnect: the client's sync step 2 carries the offline card, the server's brings "meanwhile".
    let a2 = YClient::reconnect_with(
        &f.server,
        &f.room.id,
        DocKind::Wall,
        &f.room.participant_token,
        doc,
    )
    .await;
    a2.wait_card("meanwhile").await;
    let card = observer.wait_card("offline").await;
    assert_eq!(card.text, "skrevet uden forbindelse");
    assert!(
        !a2.is_closed(),
        "a participant's sync step 2 on the wall must be accepted: {:?}",
        a2.close_frame()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_document_is_readable_by_every_role() {
    let f = Fixture::new().await;
    let t = template(AS_IS);
    for role in [Role::Facilitator, Role::Participant, Role::Review] {
        let c = f.control(role).await;
        // Everything is there right after the initial sync.
        let (rows, columns, meta) = projection::structure(&c.doc);
        assert_eq!(
            meta.get("title").and_then(|v| v.as_str()),
            Some("Testværksted"),
            "{role:?}: meta {meta:?}"
        );
        assert_eq!(
            meta.get("template").and_then(|v| v.as_str()),
            Some(AS_IS),
            "{role:?}: meta {meta:?}"
        );
        assert_eq!(
            meta.get("phase").and_then(|v| v.as_str()),
            Some(schema::phase::GROUP),
            "{role:?}: meta {meta:?}"
        );
        let row_ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let want_rows: Vec<&str> = t.rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(row_ids, want_rows, "{role:?}: rows");
        assert_eq!(rows[0].label, t.rows[0].label);
        let col_ids: Vec<&str> = columns.iter().map(|c| c.id.as_str()).collect();
        let want_cols: Vec<&str> = t.columns.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(col_ids, want_cols, "{role:?}: columns");
        assert_eq!(columns[1].label, t.columns[1].label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_changes_reach_participants() {
    let f = Fixture::new().await;
    let fac = f.control(Role::Facilitator).await;
    let part = f.control(Role::Participant).await;
    let review = f.control(Role::Review).await;
    fac.set_phase(schema::phase::PLENUM);
    part.wait_for("phase plenum at the participant", |doc| {
        projection::phase(doc) == "plenum"
    })
    .await;
    review
        .wait_for("phase plenum at the review client", |doc| {
            projection::phase(doc) == "plenum"
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_are_isolated() {
    let f = Fixture::new().await;
    let other = f.server.new_room().await;
    let (row, col) = as_is_cell();
    let a = f.wall(Role::Participant).await;
    let b = YClient::wall(&f.server, &other.id, &other.participant_token).await;
    a.add_card("in-a", &row, &col, "a");
    b.add_card("in-b", &row, &col, "b");
    a.wait_card("in-a").await;
    a.barrier().await;
    b.barrier().await;
    // Fresh clients of each room see only their own room's card.
    let a2 = f.wall(Role::Review).await;
    let b2 = YClient::wall(&f.server, &other.id, &other.review_token).await;
    assert_eq!(a2.card_ids(), vec!["in-a"]);
    assert_eq!(b2.card_ids(), vec!["in-b"]);
    // And the wall and control documents are separate documents.
    let c = f.control(Role::Review).await;
    assert!(
        c.cards().is_empty(),
        "the control document has cards: {:?}",
        c.card_ids()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_update_within_the_limit_is_accepted() {
    let f = Fixture::new().await;
    let (row, col) = as_is_cell();
    let a = f.wall(Role::Participant).await;
    let cards = a.doc.get_or_insert_map(schema::CARDS);
    let update = a.transact(|txn| {
        for i in 0..500 {
            write_card(
                txn,
                &cards,
                &format!("bulk-{i}"),
                &row,
                &col,
                &"x".repeat(200),
            );
        }
    });
    assert!(
        update.len() > 100_000 && update.len() < 1_000_000,
        "update is {} bytes",
        update.len()
    );
    a.barrier().await;
    let b = f.wall(Role::Review).await;
    assert_eq!(b.cards().len(), 500);
}
