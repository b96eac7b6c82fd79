//! Every cell of the permissions table (`docs/API.md`, "Permissions") — facilitator / participant / review × wall /
//! control / REST — plus the closed phase, the bad-token and unknown-room refusals at the upgrade,
//! and the read-only bypass on reconnect (a forbidden update re-sent inside a sync step 2).
//!
//! A forbidden write must never reach another client nor storage: after the write is refused, an
//! allowed marker is written by the facilitator; once an observer has the marker, it must not have
//! the forbidden change. Then a fresh client, and a fresh client after a server restart, must not
//! have it either.

use kortvaeg_tests::*;
use yrs::Doc;

const FORBIDDEN: u16 = 4403;

/// Which document, and how to tell whether a forbidden change leaked into a replica.
#[derive(Clone, Copy)]
enum Target {
    /// A card with this id on the wall.
    WallCard(&'static str),
    /// `meta.title` of the control document set to this value.
    ControlTitle(&'static str),
}

impl Target {
    fn kind(self) -> DocKind {
        match self {
            Target::WallCard(_) => DocKind::Wall,
            Target::ControlTitle(_) => DocKind::Control,
        }
    }
    fn leaked(self, doc: &Doc) -> bool {
        match self {
            Target::WallCard(id) => projection::cards(doc).iter().any(|c| c.id == id),
            Target::ControlTitle(t) => {
                projection::structure(doc)
                    .2
                    .get("title")
                    .and_then(|v| v.as_str())
                    == Some(t)
            }
        }
    }
    /// Makes the forbidden change through `c` (sent as an update).
    fn write(self, c: &YClient) {
        let (row, col) = as_is_cell();
        match self {
            Target::WallCard(id) => {
                c.add_card(id, &row, &col, "må ikke gemmes");
            }
            Target::ControlTitle(t) => {
                c.set_meta("title", t);
            }
        }
    }
    /// Makes the forbidden change in `doc` locally only.
    fn write_offline(self, doc: &Doc) {
        let (row, col) = as_is_cell();
        match self {
            Target::WallCard(id) => add_card_offline(doc, id, &row, &col, "må ikke gemmes"),
            Target::ControlTitle(t) => set_meta_offline(doc, "title", t),
        }
    }
}

async fn connect(f: &Fixture, kind: DocKind, role: Role) -> YClient {
    match kind {
        DocKind::Wall => f.wall(role).await,
        DocKind::Control => f.control(role).await,
        DocKind::Group(column) => f.group(column, role).await,
    }
}

/// Writes an allowed marker as the facilitator and waits until `observer` has it: afterwards,
/// anything the server relayed before the marker has reached the observer.
async fn marker(f: &Fixture, kind: DocKind, observer: &YClient, n: u32) {
    let fac = connect(f, kind, Role::Facilitator).await;
    let (row, col) = as_is_cell();
    match kind {
        DocKind::Wall | DocKind::Group(_) => {
            let id = format!("marker-{n}");
            fac.add_card(&id, &row, &col, "markør");
            observer.wait_card(&id).await;
        }
        DocKind::Control => {
            let value = format!("marker-{n}");
            fac.set_meta("marker", &value);
            observer
                .wait_for(&format!("meta.marker = {value}"), |doc| {
                    projection::structure(doc)
                        .2
                        .get("marker")
                        .and_then(|v| v.as_str())
                        == Some(value.as_str())
                })
                .await;
        }
    }
}

/// After a refused write: the change is not at an observer that was connected all along, not at a
/// fresh client, and not after a restart of the server (not stored).
async fn assert_not_leaked(f: &mut Fixture, target: Target, observer: &YClient, n: u32) {
    let kind = target.kind();
    marker(f, kind, observer, n).await;
    assert!(
        !target.leaked(&observer.doc),
        "a forbidden change reached another client"
    );
    let fresh = connect(f, kind, Role::Facilitator).await;
    assert!(
        !target.leaked(&fresh.doc),
        "a forbidden change is in the server's document (fresh client)"
    );
    drop(fresh);
    f.server.restart().await;
    let after = connect(f, kind, Role::Facilitator).await;
    assert!(
        !target.leaked(&after.doc),
        "a forbidden change was stored (fresh client after a restart)"
    );
    // The store did work: the marker survived the restart.
    match kind {
        DocKind::Wall | DocKind::Group(_) => assert!(
            after.card(&format!("marker-{n}")).is_some(),
            "marker card lost in the restart"
        ),
        DocKind::Control => {
            assert!(
                projection::structure(&after.doc).2.contains_key("marker"),
                "meta.marker lost in the restart"
            )
        }
    }
}

/// `role` writes `target` over a live connection: closed with 4403 and a reason, nothing leaks.
async fn refused_live(role: Role, target: Target) {
    let mut f = Fixture::new().await;
    let kind = target.kind();
    let observer = connect(&f, kind, Role::Review).await;
    let writer = connect(&f, kind, role).await;
    target.write(&writer);
    let (code, reason) = writer.closed().await;
    assert_eq!(
        code, FORBIDDEN,
        "{role:?} writing {kind:?}: close code (reason {reason:?})"
    );
    assert!(
        !reason.trim().is_empty(),
        "{role:?} writing {kind:?}: the 4403 close has no reason"
    );
    assert_not_leaked(&mut f, target, &observer, 1).await;
}

/// `role` reconnects with a document holding an offline forbidden change; the server's sync step 1
/// is answered with a sync step 2 that carries it. It must be dropped (the connection may be closed
/// with 4403).
async fn refused_in_sync_step2(role: Role, target: Target) {
    let mut f = Fixture::new().await;
    let kind = target.kind();
    let observer = connect(&f, kind, Role::Review).await;
    let first = connect(&f, kind, role).await;
    let doc = first.doc.clone();
    first.close().await;
    target.write_offline(&doc);
    assert!(target.leaked(&doc));

    let again = YClient::connect(
        &f.server,
        &f.room.id,
        kind,
        f.token(role),
        ClientOptions::with_doc(doc),
    )
    .await;
    if let Some((code, reason)) = again.settle().await {
        assert_eq!(
            code, FORBIDDEN,
            "{role:?} re-sending a forbidden change in sync step 2: close code (reason {reason:?})"
        );
    }
    assert_not_leaked(&mut f, target, &observer, 1).await;
}

/// `role` writes `target` and another client sees it (and a fresh client after a restart).
async fn allowed(role: Role, target: Target) {
    let mut f = Fixture::new().await;
    let kind = target.kind();
    let observer = connect(&f, kind, Role::Review).await;
    let writer = connect(&f, kind, role).await;
    target.write(&writer);
    observer
        .wait_for("the allowed change", |doc| target.leaked(doc))
        .await;
    writer.barrier().await;
    assert!(
        !writer.is_closed(),
        "{role:?} writing {kind:?} was closed: {:?}",
        writer.close_frame()
    );
    drop(writer);
    drop(observer);
    f.server.restart().await;
    let after = connect(&f, kind, Role::Review).await;
    assert!(
        target.leaked(&after.doc),
        "{role:?}'s allowed change to {kind:?} was not stored"
    );
}

// ---- wall

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facilitator_writes_wall() {
    allowed(Role::Facilitator, Target::WallCard("fac-card")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn participant_writes_wall() {
    allowed(Role::Participant, Target::WallCard("part-card")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_cannot_write_wall() {
    refused_live(Role::Review, Target::WallCard("review-card")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_wall_write_in_sync_step2_is_dropped() {
    refused_in_sync_step2(Role::Review, Target::WallCard("review-offline")).await;
}

// ---- control

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facilitator_writes_control() {
    allowed(Role::Facilitator, Target::ControlTitle("Ny titel")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn participant_cannot_write_control() {
    refused_live(Role::Participant, Target::ControlTitle("Deltagerens titel")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_cannot_write_control() {
    refused_live(Role::Review, Target::ControlTitle("Revisors titel")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn participant_control_write_in_sync_step2_is_dropped() {
    refused_in_sync_step2(Role::Participant, Target::ControlTitle("Offline titel")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_control_write_in_sync_step2_is_dropped() {
    refused_in_sync_step2(Role::Review, Target::ControlTitle("Offline revisor")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn participant_cannot_close_the_phase() {
    let f = Fixture::new().await;
    let observer = f.control(Role::Review).await;
    let part = f.control(Role::Participant).await;
    part.set_phase(schema::phase::CLOSED);
    let (code, _) = part.closed().await;
    assert_eq!(code, FORBIDDEN);
    marker(&f, DocKind::Control, &observer, 1).await;
    assert_eq!(observer.phase(), schema::phase::GROUP);
    // The wall stays writable for participants.
    let (row, col) = as_is_cell();
    let w = f.wall(Role::Participant).await;
    w.add_card("still-open", &row, &col, "x");
    w.barrier().await;
    assert!(
        !w.is_closed(),
        "participant wall write refused: {:?}",
        w.close_frame()
    );
}

// ---- read-only clients that do not write stay connected

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_clients_empty_sync_step2_is_ignored() {
    let f = Fixture::new().await;
    let (row, col) = as_is_cell();
    let fac = f.wall(Role::Facilitator).await;
    fac.add_card("c", &row, &col, "x");
    fac.barrier().await;
    // These clients answer the server's sync step 1 with an empty update (they have nothing of
    // their own), as a stock read-only client does; none of them may be closed for it.
    let clients = [
        f.wall(Role::Review).await,
        f.control(Role::Review).await,
        f.control(Role::Participant).await,
    ];
    for c in &clients {
        // An explicitly empty update too.
        let empty = yrs::Update::EMPTY_V1.to_vec();
        c.send_sync_step2(empty.clone());
        c.send_update(empty);
        assert_eq!(
            c.settle().await,
            None,
            "read-only client closed for an empty update: {}",
            c.url()
        );
    }
    assert_eq!(clients[0].card_ids(), vec!["c"]);
}

/// Stock y-websocket answers the server's sync step 1 with its whole delete set. A read-only
/// client that has seen a deletion therefore sends a non-empty update on every reconnect; it
/// changes nothing and must not be refused. A deletion the server does not have still is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_reconnect_after_deletions_is_not_refused() {
    let mut f = Fixture::new().await;
    let (row, col) = as_is_cell();
    // The facilitator changes the phase twice (each set deletes the previous value) and removes a card.
    set_phase(&f, schema::phase::PLENUM).await;
    set_phase(&f, schema::phase::GROUP).await;
    let fac = f.wall(Role::Facilitator).await;
    fac.add_card("gone", &row, &col, "slettes");
    fac.add_card("stays", &row, &col, "bliver");
    fac.remove_card("gone");
    fac.barrier().await;

    let cases = [
        (DocKind::Control, Role::Participant),
        (DocKind::Control, Role::Review),
        (DocKind::Wall, Role::Review),
    ];
    for (kind, role) in cases {
        let first = connect(&f, kind, role).await;
        first.synced().await;
        let doc = first.doc.clone();
        first.close().await;
        let again = YClient::connect(
            &f.server,
            &f.room.id,
            kind,
            f.token(role),
            ClientOptions::with_doc(doc),
        )
        .await;
        assert_eq!(
            again.settle().await,
            None,
            "{role:?} on {kind:?} closed for re-sending known deletions"
        );
    }

    // A review client that deletes a card the server still has is refused, and the card stays.
    let first = connect(&f, DocKind::Wall, Role::Review).await;
    first.synced().await;
    let doc = first.doc.clone();
    first.close().await;
    {
        use yrs::{Map, Transact};
        let cards = doc.get_or_insert_map(schema::CARDS);
        cards.remove(&mut doc.transact_mut(), "stays");
    }
    let again = YClient::connect(
        &f.server,
        &f.room.id,
        DocKind::Wall,
        &f.room.review_token,
        ClientOptions::with_doc(doc),
    )
    .await;
    assert_eq!(
        again.closed().await.0,
        FORBIDDEN,
        "a review client's new deletion was not refused"
    );
    drop(fac);
    f.server.restart().await;
    let after = f.wall(Role::Review).await;
    assert_eq!(
        after.card_ids(),
        vec!["stays"],
        "a review client's deletion was applied"
    );
}

// ---- the closed phase

async fn set_phase(f: &Fixture, phase: &str) {
    let fac = f.control(Role::Facilitator).await;
    fac.set_phase(phase);
    fac.barrier().await;
    assert!(
        !fac.is_closed(),
        "the facilitator's phase change was refused: {:?}",
        fac.close_frame()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_phase_makes_the_wall_read_only_for_participants() {
    let mut f = Fixture::new().await;
    let (row, col) = as_is_cell();
    let observer = f.wall(Role::Review).await;

    // Plenum: participants still write.
    set_phase(&f, schema::phase::PLENUM).await;
    let p = f.wall(Role::Participant).await;
    p.add_card("in-plenum", &row, &col, "skrevet i plenum");
    observer.wait_card("in-plenum").await;

    // Closed: a participant connected before the change is refused on its next write.
    set_phase(&f, schema::phase::CLOSED).await;
    p.add_card("after-close", &row, &col, "for sent");
    let (code, reason) = p.closed().await;
    assert_eq!(
        code, FORBIDDEN,
        "participant writing a closed wall: reason {reason:?}"
    );
    assert!(!reason.trim().is_empty(), "the 4403 close has no reason");

    // A participant connecting while closed can read, is not closed for its empty sync step 2,
    // and is refused when it writes.
    let p2 = f.wall(Role::Participant).await;
    assert!(p2.card("in-plenum").is_some());
    assert_eq!(
        p2.settle().await,
        None,
        "a participant that did not write was closed"
    );
    p2.add_card("also-late", &row, &col, "for sent");
    assert_eq!(p2.closed().await.0, FORBIDDEN);

    // The facilitator still writes.
    let fac = f.wall(Role::Facilitator).await;
    fac.add_card("fac-in-closed", &row, &col, "facilitator");
    observer.wait_card("fac-in-closed").await;
    assert!(observer.card("after-close").is_none() && observer.card("also-late").is_none());

    // Reopened: participants write again.
    set_phase(&f, schema::phase::GROUP).await;
    let p3 = f.wall(Role::Participant).await;
    p3.add_card("reopened", &row, &col, "igen");
    observer.wait_card("reopened").await;
    assert!(observer.card("after-close").is_none() && observer.card("also-late").is_none());

    // Nothing refused was stored.
    drop((p, p2, p3, fac));
    f.server.restart().await;
    let after = f.wall(Role::Review).await;
    let ids = after.card_ids();
    for id in ["in-plenum", "fac-in-closed", "reopened"] {
        assert!(
            ids.iter().any(|i| i == id),
            "{id} missing after restart: {ids:?}"
        );
    }
    for id in ["after-close", "also-late"] {
        assert!(
            !ids.iter().any(|i| i == id),
            "refused card {id} was stored: {ids:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_phase_drops_participant_sync_step2() {
    let mut f = Fixture::new().await;
    let (row, col) = as_is_cell();
    let observer = f.wall(Role::Review).await;
    let p = f.wall(Role::Participant).await;
    let doc = p.doc.clone();
    p.close().await;
    set_phase(&f, schema::phase::CLOSED).await;
    add_card_offline(&doc, "offline-while-closed", &row, &col, "skrevet offline");

    let again = YClient::connect(
        &f.server,
        &f.room.id,
        DocKind::Wall,
        &f.room.participant_token,
        ClientOptions::with_doc(doc),
    )
    .await;
    if let Some((code, reason)) = again.settle().await {
        assert_eq!(code, FORBIDDEN, "close code (reason {reason:?})");
    }
    assert_not_leaked(
        &mut f,
        Target::WallCard("offline-while-closed"),
        &observer,
        1,
    )
    .await;
}

// ---- refusals at the upgrade

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_and_unknown_rooms_are_refused_at_the_upgrade() {
    let f = Fixture::new().await;
    let other = f.server.new_room().await;
    let room = &f.room.id;
    for kind in [DocKind::Wall, DocKind::Control] {
        let cases: Vec<(String, u16, &str)> = vec![
            (f.server.ws_url(room, kind, None), 401, "no token"),
            (f.server.ws_url(room, kind, Some("")), 401, "empty token"),
            (
                f.server
                    .ws_url(room, kind, Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")),
                403,
                "wrong token",
            ),
            (
                f.server.ws_url(room, kind, Some(&other.facilitator_token)),
                403,
                "another room's token",
            ),
            (
                f.server
                    .ws_url("no-such-room", kind, Some(&f.room.facilitator_token)),
                404,
                "unknown room, a valid token",
            ),
            (
                f.server.ws_url("no-such-room", kind, None),
                404,
                "unknown room, no token",
            ),
        ];
        for (url, status, what) in cases {
            let refusal = YClient::refused(&url).await;
            assert!(
                refusal.is(status),
                "{kind:?}, {what}: expected HTTP {status} or close {}, got {refusal:?}",
                4000 + status
            );
        }
    }
}

// ---- REST column

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_permissions_per_role() {
    let f = Fixture::new().await;
    let room = &f.room.id;
    let seq = f
        .server
        .take_snapshot(room, &f.room.facilitator_token)
        .await
        .seq;
    for role in [Role::Facilitator, Role::Participant, Role::Review] {
        let token = Some(f.token(role));
        let info: RoomInfo = f
            .server
            .get(&format!("/api/rooms/{room}"), token)
            .await
            .assert_status(200)
            .parse();
        assert_eq!(info.role, role);
        f.server
            .get(&format!("/api/rooms/{room}/snapshots"), token)
            .await
            .assert_status(200);
        f.server
            .get(&format!("/api/rooms/{room}/snapshots/{seq}"), token)
            .await
            .assert_status(200);
        f.server
            .get(&format!("/api/rooms/{room}/export.csv"), token)
            .await
            .assert_status(200);
        f.server
            .get(&format!("/api/rooms/{room}/export.xlsx"), token)
            .await
            .assert_status(200);
        f.server
            .get(
                &format!("/api/rooms/{room}/export.csv?snapshot={seq}"),
                token,
            )
            .await
            .assert_status(200);
        let post = f
            .server
            .post_raw(
                &format!("/api/rooms/{room}/snapshots"),
                token,
                "application/json",
                "{}",
            )
            .await;
        if role == Role::Facilitator {
            post.assert_status(201);
        } else {
            post.assert_error(403);
        }
    }
    // Only the facilitator's snapshots exist.
    let list = f.server.snapshots(room, &f.room.review_token).await;
    assert_eq!(list.len(), 2, "snapshots: {list:?}");
}
