//! Group documents (v2, CONTRACT.md "Group documents", "Visibility and the reveal", "Permissions
//! v2"), from real yrs clients against the real binary: every cell of the v2 table (a seat on its
//! own and on another group's document, a seatless participant, a review link, the facilitator,
//! the closed phase), a forbidden write re-sent inside a sync step 2 after a reconnect; private
//! group work — nothing of group A in the bytes group B's connections received until the reveal,
//! and REST reads by others than the facilitator leave A out —; a connection that loses the right
//! is closed; a moved, a removed seat and an old join link; group documents stored, restored to a
//! snapshot, and shared between two nodes.

use kortvaeg_tests::*;
use serde_json::json;
use yrs::{Map, ReadTxn, Transact, WriteTxn};

const FORBIDDEN: u16 = 4403;

/// The first two fagområder of the [`AS_IS`] template: group A and group B.
fn groups() -> (String, String) {
    let t = template(AS_IS);
    (t.columns[0].id.clone(), t.columns[1].id.clone())
}

/// A room with Anne seated in A and Bo in B: (fixture, Anne's token, Bo's token, A, B).
async fn anne_and_bo(opts: ServerOptions) -> (Fixture, String, String, String, String) {
    let f = Fixture::with(opts).await;
    let (a, b) = groups();
    let token = &f.room.participant_token;
    let (_, anne) = f.server.seat(&f.room.id, token, "Anne", &a).await;
    let (_, bo) = f.server.seat(&f.room.id, token, "Bo", &b).await;
    (f, anne, bo, a, b)
}

async fn observer_wall(f: &Fixture) -> YClient {
    f.wall(Role::Review).await
}

async fn group(f: &Fixture, column: &str, token: &str) -> YClient {
    YClient::group(&f.server, &f.room.id, column, token).await
}

fn refused_url(f: &Fixture, column: &str, token: &str) -> String {
    f.server
        .ws_url(&f.room.id, DocKind::group(column), Some(token))
        .to_string()
}

/// The facilitator's control client sets `meta.visibility` and waits until the server has it.
async fn set_visibility(control: &YClient, value: &str) {
    control.set_meta("visibility", value);
    control.barrier().await;
}

/// The facilitator reveals (or hides again) group `column`.
async fn reveal(control: &YClient, column: &str, shown: bool) {
    control.transact(|txn| {
        let revealed = txn.get_or_insert_map("revealed");
        revealed.insert(txn, column, shown);
    });
    control.barrier().await;
}

/// `writer` adds card `id` to the document it is connected to and is closed with 4403; a card
/// the facilitator adds after it reaches `observer` without it, and the server has not stored it.
async fn refused_write(
    f: &mut Fixture,
    writer: &YClient,
    column: &str,
    observer: &YClient,
    id: &str,
) {
    let (row, _) = as_is_cell();
    writer.add_card(id, &row, column, "må ikke gemmes");
    let (code, reason) = writer.closed().await;
    assert_eq!(code, FORBIDDEN, "{id}: {reason}");
    assert!(!reason.is_empty());
    let fac = group(f, column, &f.room.facilitator_token.clone()).await;
    let marker = format!("marker-{id}");
    fac.add_card(&marker, &row, column, "markør");
    observer.wait_card(&marker).await;
    assert!(observer.card(id).is_none(), "{id} reached another client");
    assert!(
        !observer.received_contains("må ikke gemmes"),
        "{id}: its bytes were sent"
    );
    f.server.restart().await;
    let after = group(f, column, &f.room.facilitator_token.clone()).await;
    assert!(after.card(&marker).is_some(), "the store works");
    assert!(after.card(id).is_none(), "{id} was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cell_of_the_v2_table_from_real_clients() {
    let (mut f, anne, bo, a, b) = anne_and_bo(ServerOptions::default()).await;
    let (row, _) = as_is_cell();
    let observer = group(&f, &a, &f.room.facilitator_token.clone()).await;

    // A seat writes its own group's document; the others see it, also after a restart.
    let own = group(&f, &a, &anne).await;
    own.add_card("anne-1", &row, &a, "Anne skriver i sin egen gruppe");
    observer.wait_card("anne-1").await;
    own.barrier().await;
    assert!(!own.is_closed());
    // The facilitator writes any group's document (hybrid rooms: cards for a group).
    let fac_b = group(&f, &b, &f.room.facilitator_token.clone()).await;
    fac_b.add_card("fac-b", &row, &b, "for gruppe B");
    let bo_b = group(&f, &b, &bo).await;
    bo_b.wait_card("fac-b").await;

    // A seat writes the wall (v1's participant) and reads the control document, which it may
    // not change (making itself visible, say).
    let anne_wall = f.wall_with(&anne).await;
    anne_wall.add_card("anne-wall", &row, &b, "i plenum");
    observer_wall(&f).await.wait_card("anne-wall").await;
    let anne_control = YClient::control(&f.server, &f.room.id, &anne).await;
    assert!(
        anne_control.doc.transact().get_map("meta").is_some(),
        "a seat reads the control document"
    );
    anne_control.set_meta("visibility", "open");
    assert_eq!(anne_control.closed().await.0, FORBIDDEN);

    // Everyone reads an open group's document; nobody else writes it.
    let bo_on_a = group(&f, &a, &bo).await;
    assert!(bo_on_a.card("anne-1").is_some(), "open: B reads A");
    refused_write(&mut f, &bo_on_a, &a, &observer, "bo-in-a").await;
    let observer = group(&f, &a, &f.room.facilitator_token.clone()).await;
    let seatless = group(&f, &a, &f.room.participant_token.clone()).await;
    refused_write(&mut f, &seatless, &a, &observer, "seatless-in-a").await;
    let observer = group(&f, &a, &f.room.facilitator_token.clone()).await;
    let review = group(&f, &a, &f.room.review_token.clone()).await;
    refused_write(&mut f, &review, &a, &observer, "review-in-a").await;

    // A forbidden write re-sent inside a sync step 2 after a reconnect is dropped.
    let observer = group(&f, &a, &f.room.facilitator_token.clone()).await;
    let first = group(&f, &a, &bo).await;
    let doc = first.doc.clone();
    first.close().await;
    add_card_offline(&doc, "bo-offline", &row, &a, "må ikke gemmes");
    let again = YClient::connect(
        &f.server,
        &f.room.id,
        DocKind::group(&a),
        &bo,
        ClientOptions::with_doc(doc),
    )
    .await;
    if let Some((code, reason)) = again.settle().await {
        assert_eq!(code, FORBIDDEN, "{reason}");
    }
    let fac = group(&f, &a, &f.room.facilitator_token.clone()).await;
    fac.add_card("marker-offline", &row, &a, "markør");
    observer.wait_card("marker-offline").await;
    assert!(observer.card("bo-offline").is_none());
    assert!(!observer.received_contains("må ikke gemmes"));

    // While the phase is closed every participant write is refused, the facilitator's not.
    let control = f.control(Role::Facilitator).await;
    control.set_phase(schema::phase::CLOSED);
    control.barrier().await;
    let own = group(&f, &a, &anne).await;
    own.add_card("anne-closed", &row, &a, "efter lukning");
    assert_eq!(own.closed().await.0, FORBIDDEN);
    fac.add_card("fac-closed", &row, &a, "facilitator efter lukning");
    fac.barrier().await;
    assert!(!fac.is_closed());

    // A group document of no column, or with an id no column can have: 404 before the upgrade.
    for column in ["no-such-group", "a%2Fb", "%C3%A6"] {
        let url = refused_url(&f, column, &f.room.facilitator_token);
        assert!(YClient::refused(&url).await.is(404), "{column}: not found");
    }
    // A token of no room: refused as on the wall.
    assert!(YClient::refused(&refused_url(&f, &a, "wrong-token"))
        .await
        .is(403));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_group_work_sends_nothing_of_a_group_before_its_reveal() {
    let (f, anne, bo, a, b) = anne_and_bo(ServerOptions::default()).await;
    let (row, _) = as_is_cell();
    let control = f.control(Role::Facilitator).await;
    set_visibility(&control, "private").await;

    // Anne writes in A; Bo works in B, with the wall and the control document open.
    let anne_a = group(&f, &a, &anne).await;
    let bo_b = group(&f, &b, &bo).await;
    let bo_wall = f.wall(Role::Participant).await;
    let bo_control = YClient::control(&f.server, &f.room.id, &bo).await;
    anne_a.add_card("secret", &row, &a, "HEMMELIGT-A");
    bo_b.add_card("bo-1", &row, &b, "Bos kort i B");
    anne_a.barrier().await;
    bo_b.barrier().await;

    // Nobody but A's seats and the facilitator may open A's document: refused before the upgrade.
    for token in [&bo, &f.room.participant_token, &f.room.review_token] {
        assert_eq!(
            YClient::refused(&refused_url(&f, &a, token)).await,
            Refusal::Http(403),
            "private: A is refused"
        );
    }
    let refusal = f
        .server
        .get(
            &format!("/ws/{}/group/{a}", f.room.id),
            Some(&f.room.review_token),
        )
        .await;
    assert_eq!(refusal.json()["error"], "not revealed yet");
    let fac_a = group(&f, &a, &f.room.facilitator_token).await;
    assert!(fac_a.card("secret").is_some(), "the facilitator reads A");
    // Not one byte of Anne's card went to Bo.
    for (name, c) in [("B", &bo_b), ("wall", &bo_wall), ("control", &bo_control)] {
        c.barrier().await;
        assert!(
            !c.received_contains("HEMMELIGT-A"),
            "Bo's {name} connection"
        );
    }
    // REST reads by anyone but the facilitator leave A out: snapshots, the sheet, exports.
    let seq = f
        .server
        .take_snapshot(&f.room.id, &f.room.facilitator_token)
        .await
        .seq;
    let texts =
        |view: &WallView| -> Vec<String> { view.cards.iter().map(|c| c.text.clone()).collect() };
    for token in [&bo, &anne, &f.room.review_token] {
        for snapshot in [None, Some(seq)] {
            let csv = f.server.export_csv(&f.room.id, token, snapshot).await;
            assert!(!format!("{csv:?}").contains("HEMMELIGT-A"), "{snapshot:?}");
            assert!(
                !format!("{csv:?}").contains("Bos kort i B"),
                "B is not revealed either"
            );
            let sheet = f.server.sheet(&f.room.id, token, snapshot).await;
            assert!(!serde_json::to_string(&sheet)
                .unwrap()
                .contains("HEMMELIGT-A"));
        }
        let view = f.server.snapshot(&f.room.id, seq, token).await;
        assert!(!texts(&view).contains(&"HEMMELIGT-A".to_string()));
    }
    let view = f
        .server
        .snapshot(&f.room.id, seq, &f.room.facilitator_token)
        .await;
    assert!(texts(&view).contains(&"HEMMELIGT-A".to_string()));
    let csv = f
        .server
        .export_csv(&f.room.id, &f.room.facilitator_token, None)
        .await;
    assert!(format!("{csv:?}").contains("HEMMELIGT-A"));

    // The reveal: Bo may open A now, and gets all of it.
    reveal(&control, &a, true).await;
    let bo_a = group(&f, &a, &bo).await;
    assert!(bo_a.received_contains("HEMMELIGT-A"));
    assert_eq!(bo_a.card("secret").unwrap().text, "HEMMELIGT-A");
    let csv = f
        .server
        .export_csv(&f.room.id, &f.room.review_token, None)
        .await;
    assert!(
        format!("{csv:?}").contains("HEMMELIGT-A"),
        "revealed: in the export"
    );
    let view = f.server.snapshot(&f.room.id, seq, &bo).await;
    assert!(
        texts(&view).contains(&"HEMMELIGT-A".to_string()),
        "a group revealed since a snapshot counts as revealed in it"
    );

    // Hidden again: Bo's open connection to A is closed before it is sent anything more.
    reveal(&control, &a, false).await;
    let (code, reason) = bo_a.closed().await;
    assert_eq!((code, reason.as_str()), (FORBIDDEN, "not revealed yet"));
    anne_a.add_card("secret-2", &row, &a, "ENDNU-MERE-HEMMELIGT");
    fac_a.wait_card("secret-2").await;
    assert!(!bo_a.received_contains("ENDNU-MERE-HEMMELIGT"));

    // Open again: everyone reads every group.
    set_visibility(&control, "open").await;
    let review_a = group(&f, &a, &f.room.review_token).await;
    assert!(review_a.card("secret-2").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moved_and_removed_seats_and_an_old_join_link() {
    let (f, anne, _bo, a, b) = anne_and_bo(ServerOptions::default()).await;
    let (row, _) = as_is_cell();
    let control = f.control(Role::Facilitator).await;
    set_visibility(&control, "private").await;
    let seats = f
        .server
        .call(
            "GET",
            &format!("/api/rooms/{}/seats", f.room.id),
            &f.room.facilitator_token,
            None,
        )
        .await
        .json();
    let anne_id = seats
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Anne")
        .unwrap()["seat_id"]
        .as_str()
        .unwrap()
        .to_string();
    let seat_path = format!("/api/rooms/{}/seats/{anne_id}", f.room.id);

    // Moved to B: her connection to A (private, not revealed) closes; she writes B's document.
    let anne_a = group(&f, &a, &anne).await;
    f.server
        .call(
            "PATCH",
            &seat_path,
            &f.room.facilitator_token,
            Some(json!({"group": b})),
        )
        .await
        .assert_status(200);
    let (code, reason) = anne_a.closed().await;
    assert_eq!((code, reason.as_str()), (FORBIDDEN, "not revealed yet"));
    let anne_b = group(&f, &b, &anne).await;
    anne_b.add_card("anne-in-b", &row, &b, "nu i B");
    anne_b.barrier().await;
    assert!(!anne_b.is_closed());

    // Removed: the connection closes, and reconnecting is refused.
    f.server
        .call("DELETE", &seat_path, &f.room.facilitator_token, None)
        .await
        .assert_status(204);
    let (code, reason) = anne_b.closed().await;
    assert_eq!(code, FORBIDDEN, "{reason}");
    assert!(
        YClient::refused(&refused_url(&f, &b, &anne)).await.is(403)
            || YClient::refused(&refused_url(&f, &b, &anne)).await.is(401)
    );

    // A new join link: the old participant token no longer opens a group document.
    let old = f.room.participant_token.clone();
    f.server
        .call(
            "POST",
            &format!("/api/rooms/{}/participant-token", f.room.id),
            &f.room.facilitator_token,
            None,
        )
        .await
        .assert_status(200);
    set_visibility(&control, "open").await;
    let refusal = YClient::refused(&refused_url(&f, &a, &old)).await;
    assert!(refusal.is(403) || refusal.is(401), "{refusal:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_documents_are_stored_restored_and_shared_between_nodes() {
    let redis = Redis::start().await;
    let mut nodes = Vec::new();
    for _ in 0..2 {
        nodes.push(Server::start(ServerOptions::new().redis(redis.url())).await);
    }
    let room = nodes[0].new_room().await;
    let (a, _) = groups();
    let (row, _) = as_is_cell();
    let (_, anne) = nodes[0]
        .seat(&room.id, &room.participant_token, "Anne", &a)
        .await;
    let on_0 = YClient::group(&nodes[0], &room.id, &a, &anne).await;
    let on_1 = YClient::group(&nodes[1], &room.id, &a, &room.facilitator_token).await;
    on_0.add_card("kept", &row, &a, "før snapshot");
    on_1.wait_card("kept").await;
    let seq = nodes[1]
        .take_snapshot(&room.id, &room.facilitator_token)
        .await
        .seq;
    on_1.add_card("later", &row, &a, "efter snapshot");
    on_0.remove_card("kept");
    on_0.wait_card("later").await;
    on_1.wait_cards("kept removed", |cards| cards.len() == 1)
        .await;

    // Restored on node 0: live for the client on node 1 and for a fresh client.
    let resp = nodes[0]
        .call(
            "POST",
            &format!("/api/rooms/{}/snapshots/{seq}/restore", room.id),
            &room.facilitator_token,
            None,
        )
        .await;
    resp.assert_status(200);
    let ids = |cards: &[Card]| -> Vec<String> { cards.iter().map(|c| c.id.clone()).collect() };
    let back = on_1
        .wait_cards("the snapshot's group cards", |cards| {
            ids(cards) == vec!["kept".to_string()]
        })
        .await;
    assert_eq!(back[0].text, "før snapshot");
    let fresh = YClient::group(&nodes[1], &room.id, &a, &room.review_token).await;
    assert_eq!(fresh.card_ids(), vec!["kept".to_string()]);
    // In the sheet and exports of any node: the room as one wall.
    let csv = nodes[1]
        .export_csv(&room.id, &room.review_token, None)
        .await;
    assert!(format!("{csv:?}").contains("før snapshot"));

    // Stored: after both nodes restart the group document has it.
    drop((on_0, on_1, fresh));
    for node in &mut nodes {
        node.restart().await;
    }
    let after = YClient::group(&nodes[1], &room.id, &a, &room.facilitator_token).await;
    assert_eq!(after.card_ids(), vec!["kept".to_string()]);
}

/// A card names its writer (`author_id`), an answer too (`#by`): a seat may name only itself.
/// A forged author is refused (4403) and reaches nobody; the facilitator, entering cards for a
/// group, names whom it will.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_cannot_forge_who_wrote_a_card_or_an_answer() {
    let f = Fixture::new().await;
    let (a, _) = groups();
    let (row, _) = as_is_cell();
    let token = &f.room.participant_token;
    let (anne_id, anne) = f.server.seat(&f.room.id, token, "Anne", &a).await;
    let (bo_id, _) = f.server.seat(&f.room.id, token, "Bo", &a).await;
    let observer = group(&f, &a, &f.room.facilitator_token).await;
    let card = |id: &str, author: &str| {
        vec![
            ("row", yrs::Any::from(row.as_str())),
            ("column", yrs::Any::from(a.as_str())),
            ("text", yrs::Any::from(format!("kort {id}"))),
            ("author_id", yrs::Any::from(author)),
        ]
    };
    // Her own name: fine.
    let honest = group(&f, &a, &anne).await;
    honest.add_card_fields("own", card("own", &anne_id));
    observer.wait_card("own").await;
    // Bo's name on her card, in the group document and on the wall: refused.
    let forger = group(&f, &a, &anne).await;
    forger.add_card_fields("forged", card("forged", &bo_id));
    let (code, reason) = forger.closed().await;
    assert_eq!(code, FORBIDDEN, "{reason}");
    let wall_forger = f.wall_with(&anne).await;
    wall_forger.add_card_fields("forged-wall", card("forged-wall", &bo_id));
    assert_eq!(wall_forger.closed().await.0, FORBIDDEN);
    // An answer set in Bo's name.
    let answerer = group(&f, &a, &anne).await;
    answerer.set_answer("s1", "q1#by", bo_id.as_str());
    assert_eq!(answerer.closed().await.0, FORBIDDEN);
    // The facilitator names whom it will (a card for the group, written at the physical wall).
    observer.add_card_fields("for-bo", card("for-bo", &bo_id));
    observer.barrier().await;
    assert!(!observer.is_closed());
    let fresh = group(&f, &a, &f.room.review_token).await;
    assert!(fresh.card("forged").is_none() && fresh.card("for-bo").is_some());
    assert!(!fresh.received_contains("kort forged"));
    let wall = f.wall(Role::Review).await;
    assert!(wall.card("forged-wall").is_none());
}
