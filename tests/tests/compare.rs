//! Compare (docs/API.md "Compare"): a combined As-is/To-be room with known cards and answers,
//! snapshot "As-is", known changes, snapshot "To-be": `GET /compare` gives exactly those
//! differences, between the two snapshots and between the first and now; the XLSX export with
//! `?compare=` carries them as the sheet `Sammenligning`; named snapshots; the 400s and 404s; and
//! a participant's comparison leaves out an unrevealed group's cards.

use kortvaeg_shared::compare::{CellRef, CompareView, Counts, Presence};
use kortvaeg_tests::*;
use serde_json::{json, Value};
use yrs::{Map, Out, WriteTxn};

const COMBINED: &str = "kmd-sag-exit";
const S1: &str = "32-18-hjaelp-til-forsoergelse";
const S2: &str = "boligstoette";
const S3: &str = "handicap";
const BS: &str = "borgerservice";
const VS: &str = "voksenservice";

/// Sets `key` of card `id` in `client`'s document, and sends the update.
fn set_card(client: &YClient, id: &str, key: &str, value: &str) {
    let cards = client.doc.get_or_insert_map(schema::CARDS);
    client.transact(|txn| {
        let Some(Out::YMap(card)) = cards.get(txn, id) else {
            panic!("no card {id}");
        };
        card.insert(txn, key, value);
    });
}

async fn take_named(server: &Server, room: &RoomCreated, body: &str) -> Response {
    server
        .post_raw(
            &format!("/api/rooms/{}/snapshots", room.id),
            Some(&room.facilitator_token),
            "application/json",
            body,
        )
        .await
}

async fn compare(server: &Server, room: &str, token: &str, from: &str, to: &str) -> CompareView {
    let resp = server
        .get(
            &format!("/api/rooms/{room}/compare?from={from}&to={to}"),
            Some(token),
        )
        .await;
    resp.assert_status(200);
    resp.parse()
}

/// (row, column, added, removed, changed) of each cell with a change.
type CellSummary = (String, String, Vec<String>, Vec<String>, Vec<String>);

fn cells(view: &CompareView) -> Vec<CellSummary> {
    let ids = |list: Vec<&str>| list.into_iter().map(str::to_string).collect::<Vec<_>>();
    view.comparison
        .cells
        .iter()
        .map(|c| {
            (
                c.row.clone(),
                c.column.clone(),
                ids(c.added.iter().map(|e| e.id.as_str()).collect()),
                ids(c.removed.iter().map(|e| e.id.as_str()).collect()),
                ids(c.changed.iter().map(|e| e.id.as_str()).collect()),
            )
        })
        .collect()
}

fn cell(
    row: &str,
    column: &str,
    added: &[&str],
    removed: &[&str],
    changed: &[&str],
) -> CellSummary {
    let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
    (row.into(), column.into(), v(added), v(removed), v(changed))
}

/// (sagsområde, answer key, before, after) of every changed answer.
fn answers(view: &CompareView) -> Vec<(String, String, Option<String>, Option<String>)> {
    view.comparison
        .sagsomraader
        .iter()
        .flat_map(|s| {
            s.answers.iter().map(|a| {
                (
                    s.sagsomraade_id.clone(),
                    a.key.clone(),
                    a.before.clone(),
                    a.after.clone(),
                )
            })
        })
        .collect()
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

/// The differences the test makes between "As-is" and "To-be", exactly.
fn assert_the_known_differences(view: &CompareView) {
    assert_eq!(
        cells(view),
        vec![
            cell("asis-7", BS, &[], &[], &["c-edit"]),
            cell("asis-7", VS, &[], &["c-move"], &[]),
            cell("asis-8", BS, &["c-new"], &[], &[]),
            cell("asis-8", VS, &[], &["c-gone"], &[]),
            cell("tobe-3", VS, &["c-move"], &[], &[]),
        ]
    );
    let c = &view.comparison.cells;
    assert_eq!(
        (
            c[0].changed[0].before.as_str(),
            c[0].changed[0].after.as_str()
        ),
        ("Åbne sager", "Åbne sager: 120")
    );
    let to = CellRef {
        row: "tobe-3".into(),
        column: VS.into(),
    };
    assert_eq!(c[1].removed[0].moved_to.as_ref(), Some(&to));
    assert_eq!(
        c[4].added[0].moved_from.as_ref().map(|r| r.row.as_str()),
        Some("asis-7")
    );
    assert_eq!(c[2].added[0].moved_from, None);
    assert_eq!(c[2].added[0].text, "Arkivering kræver afklaring");
    assert_eq!(c[3].removed[0].text, "Kan arkiveres");
    assert!(
        c[0].row_label.starts_with("As-is 7: "),
        "{}",
        c[0].row_label
    );
    assert_eq!(c[0].column_label, "Borgerservice");
    assert_eq!(
        answers(view),
        vec![
            (S1.into(), "tobe-5".into(), some("ja"), some("nej")),
            (S1.into(), "tobe-loesningsscenarie".into(), None, some("2")),
            (S2.into(), "asis-3".into(), some("D"), some("E")),
            (S3.into(), "asis-2".into(), some("12"), some("14")),
        ]
    );
    let s = &view.comparison.sagsomraader;
    assert_eq!(
        s.iter()
            .map(|s| s.sagsomraade_id.as_str())
            .collect::<Vec<_>>(),
        [S1, S2, S3]
    );
    assert!(s.iter().all(|s| s.presence == Presence::Both && s.changed));
    let bm = |i: usize| {
        (
            s[i].brugsmoenster.before.clone(),
            s[i].brugsmoenster.after.clone(),
            s[i].brugsmoenster.changed,
        )
    };
    assert_eq!(bm(0), (some("C"), some("C"), false));
    assert_eq!(bm(1), (some("D"), some("E"), true));
    assert_eq!(bm(2), (None, None, false));
    assert_eq!(
        (
            s[0].loesningsscenarie.before.clone(),
            s[0].loesningsscenarie.after.clone()
        ),
        (None, some("2"))
    );
    assert_eq!(
        view.comparison.counts,
        Counts {
            cards_added: 2,
            cards_removed: 2,
            cards_changed: 1,
            cards_moved: 1,
            answers_changed: 4,
            sagsomraader_changed: 3,
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_named_snapshots_and_a_snapshot_and_now_give_exactly_the_known_differences() {
    let server = Server::start_default().await;
    let room = server.create_room("Sammenlign", COMBINED).await;
    let control = YClient::control(&server, &room.id, &room.facilitator_token).await;
    control.add_sagsomraade(BS, S1, "Hjælp til forsørgelse", "32.18");
    control.add_sagsomraade(BS, S2, "Boligstøtte", "");
    control.add_sagsomraade(VS, S3, "Handicap", "27.12");
    control.barrier().await;
    let wall = YClient::wall(&server, &room.id, &room.facilitator_token).await;
    wall.add_card("c-keep", "asis-7", BS, "Sager uden KLE");
    wall.add_card("c-edit", "asis-7", BS, "Åbne sager");
    wall.add_card("c-move", "asis-7", VS, "Journalnotater uden sag");
    wall.add_card("c-gone", "asis-8", VS, "Kan arkiveres");
    wall.set_answer(S1, "asis-3", "C");
    wall.set_answer(S1, "tobe-5", "ja");
    wall.set_answer(S2, "asis-3", "D");
    wall.set_answer(S3, "asis-2", 12.0);
    wall.barrier().await;

    let as_is: SnapshotInfo = {
        let resp = take_named(&server, &room, r#"{"name": "  As-is "}"#).await;
        resp.assert_status(201);
        resp.parse()
    };
    assert_eq!((as_is.seq, as_is.name.as_deref()), (1, Some("As-is")));

    // The known changes.
    set_card(&wall, "c-edit", "text", "Åbne sager: 120");
    set_card(&wall, "c-move", "row", "tobe-3");
    wall.remove_card("c-gone");
    wall.add_card("c-new", "asis-8", BS, "Arkivering kræver afklaring");
    wall.set_answer(S1, "tobe-5", "nej");
    wall.set_answer(S1, "tobe-loesningsscenarie", "2");
    wall.set_answer(S2, "asis-3", "E");
    wall.set_answer(S3, "asis-2", 14.0);
    wall.barrier().await;

    // A snapshot and now.
    let now = compare(&server, &room.id, &room.facilitator_token, "1", "now").await;
    assert_eq!(now.to.seq, None);
    assert_eq!(now.from.name.as_deref(), Some("As-is"));
    assert_the_known_differences(&now);

    let to_be: SnapshotInfo = {
        let resp = take_named(&server, &room, r#"{"name": "To-be"}"#).await;
        resp.assert_status(201);
        resp.parse()
    };
    assert_eq!((to_be.seq, to_be.name.as_deref()), (2, Some("To-be")));
    let listed = server.snapshots(&room.id, &room.review_token).await;
    assert_eq!(
        listed
            .iter()
            .map(|s| (s.seq, s.name.as_deref()))
            .collect::<Vec<_>>(),
        [(1, Some("As-is")), (2, Some("To-be"))]
    );

    // Two snapshots: the same differences, for any reader of a room without private groups.
    for token in [
        &room.facilitator_token,
        &room.participant_token,
        &room.review_token,
    ] {
        let view = compare(&server, &room.id, token, "1", "2").await;
        assert_eq!(view.from.seq, Some(1));
        assert_eq!(
            (view.to.seq, view.to.name.as_deref()),
            (Some(2), Some("To-be"))
        );
        assert_eq!(view.to.taken_at, to_be.taken_at);
        assert_the_known_differences(&view);
    }
    // Reversed, an added card is a removed one.
    let back = compare(&server, &room.id, &room.review_token, "2", "1").await;
    assert_eq!(back.comparison.cells[2].removed[0].id, "c-new");
    // A snapshot with itself: nothing.
    let same = compare(&server, &room.id, &room.review_token, "2", "2").await;
    assert!(same.comparison.cells.is_empty());
    assert_eq!(same.comparison.counts, Counts::default());

    // The XLSX: the usual sheets, and Sammenligning with exactly those differences.
    let resp = server
        .get(
            &format!("/api/rooms/{}/export.xlsx?compare=1,2", room.id),
            Some(&room.participant_token),
        )
        .await;
    resp.assert_status(200);
    assert_eq!(
        xlsx_sheet_names(&resp.body),
        ["Dokumentationsark", "Kort", "Prioritering", "Sammenligning"]
    );
    let plain = server
        .export_xlsx_body(&room.id, &room.facilitator_token, None)
        .await;
    assert_eq!(
        xlsx_sheet_names(&plain),
        ["Dokumentationsark", "Kort", "Prioritering"],
        "without ?compare the export is as before"
    );
    let rows = parse_xlsx_sheet(&resp.body, "Sammenligning");
    assert_eq!(
        rows[0][..2],
        ["Fra".to_string(), format!("1 «As-is» {}", as_is.taken_at)]
    );
    assert_eq!(
        rows[1][..2],
        ["Til".to_string(), format!("2 «To-be» {}", to_be.taken_at)]
    );
    assert_eq!(
        rows[3],
        sheet::COMPARE_HEADER
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    );
    let view = compare(&server, &room.id, &room.facilitator_token, "1", "2").await;
    let label = |row: &str| {
        view.comparison
            .cells
            .iter()
            .find(|c| c.row == row)
            .map(|c| c.row_label.clone())
            .unwrap()
    };
    let header = |key: &str| {
        view.comparison
            .sagsomraader
            .iter()
            .flat_map(|s| &s.answers)
            .find(|a| a.key == key)
            .map(|a| a.header.clone())
            .unwrap()
    };
    let (a7, a8, t3) = (label("asis-7"), label("asis-8"), label("tobe-3"));
    let (t5, a2) = (header("tobe-5"), header("asis-2"));
    let expected: Vec<Vec<&str>> = vec![
        vec![
            "Kort",
            &a7,
            "Borgerservice",
            "",
            "Ændret",
            "Åbne sager",
            "Åbne sager: 120",
        ],
        vec![
            "Kort",
            &a7,
            "Voksenservice",
            "",
            "Flyttet herfra",
            "Journalnotater uden sag",
            "",
        ],
        vec![
            "Kort",
            &a8,
            "Borgerservice",
            "",
            "Ny",
            "",
            "Arkivering kræver afklaring",
        ],
        vec![
            "Kort",
            &a8,
            "Voksenservice",
            "",
            "Fjernet",
            "Kan arkiveres",
            "",
        ],
        vec![
            "Kort",
            &t3,
            "Voksenservice",
            "",
            "Flyttet hertil",
            "",
            "Journalnotater uden sag",
        ],
        vec![
            "Brugsmønster",
            "",
            "Borgerservice",
            "Hjælp til forsørgelse",
            "Uændret",
            "C",
            "C",
        ],
        vec![
            "Løsningsscenarie",
            "",
            "Borgerservice",
            "Hjælp til forsørgelse",
            "Ændret",
            "",
            "2",
        ],
        vec![
            "Svar",
            &t5,
            "Borgerservice",
            "Hjælp til forsørgelse",
            "Ændret",
            "ja",
            "nej",
        ],
        vec![
            "Brugsmønster",
            "",
            "Borgerservice",
            "Boligstøtte",
            "Ændret",
            "D",
            "E",
        ],
        vec![
            "Svar",
            &a2,
            "Voksenservice",
            "Handicap",
            "Ændret",
            "12",
            "14",
        ],
    ];
    let data: Vec<Vec<String>> = rows[4..]
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.resize(7, String::new());
            r
        })
        .collect();
    assert_eq!(data, expected);
    // Snapshot and now in the XLSX too; the base sheets follow ?snapshot as before.
    let resp = server
        .get(
            &format!(
                "/api/rooms/{}/export.xlsx?snapshot=1&compare=1,now",
                room.id
            ),
            Some(&room.facilitator_token),
        )
        .await;
    resp.assert_status(200);
    let rows = parse_xlsx_sheet(&resp.body, "Sammenligning");
    assert!(rows[1][1].starts_with("nu ("), "{:?}", rows[1]);
    assert_eq!(rows.len(), 4 + expected.len());
    let cards_then = parse_xlsx_sheet(&resp.body, "Kort");
    assert!(cards_then
        .iter()
        .any(|r| r.iter().any(|c| c == "Kan arkiveres")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_are_400_and_unknown_snapshots_404() {
    let server = Server::start_default().await;
    let room = server.create_room("Fejl", COMBINED).await;
    let fac = room.facilitator_token.as_str();
    // Names: trimmed, 1–80 characters; no body or no name is an unnamed snapshot (v1).
    for body in [r#"{"name": "   "}"#, r#"{"name": 7}"#, "As-is"] {
        take_named(&server, &room, body).await.assert_error(400);
    }
    let long = json!({ "name": "å".repeat(81) }).to_string();
    let error = take_named(&server, &room, &long).await.assert_error(400);
    assert!(error.contains("80"), "{error}");
    let resp = server
        .request(
            "POST",
            &format!("/api/rooms/{}/snapshots?token={fac}", room.id),
            None,
            Vec::new(),
        )
        .await;
    resp.assert_status(201);
    let plain: Value = resp.json();
    assert_eq!(plain["seq"], 1);
    assert!(
        plain.get("name").is_none(),
        "an unnamed snapshot has no name key: {plain}"
    );
    let listed: Value = server
        .get_json(&format!("/api/rooms/{}/snapshots", room.id), Some(fac))
        .await;
    assert!(listed[0].get("name").is_none(), "{listed}");
    assert_eq!(
        server.snapshots(&room.id, fac).await.len(),
        1,
        "refused names took none"
    );
    // A participant may not take one, named or not.
    let resp = server
        .post_raw(
            &format!("/api/rooms/{}/snapshots", room.id),
            Some(&room.participant_token),
            "application/json",
            r#"{"name": "As-is"}"#,
        )
        .await;
    resp.assert_error(403);

    let path = |q: &str| format!("/api/rooms/{}/compare?{q}", room.id);
    for q in [
        "from=1",
        "to=now",
        "",
        "from=now&to=1",
        "from=abc&to=now",
        "from=0&to=1",
        "from=1&to=-2",
        "from=1&to=later",
    ] {
        server.get(&path(q), Some(fac)).await.assert_error(400);
    }
    for q in ["from=9&to=now", "from=1&to=9"] {
        server.get(&path(q), Some(fac)).await.assert_error(404);
    }
    server
        .get("/api/rooms/nosuchroom12/compare?from=1&to=now", Some(fac))
        .await
        .assert_error(404);
    server
        .get(&path("from=1&to=now"), None)
        .await
        .assert_error(401);
    server
        .get(&path("from=1&to=now"), Some("not-a-token-of-this-room"))
        .await
        .assert_error(403);
    let xlsx = |q: &str| format!("/api/rooms/{}/export.xlsx?compare={q}", room.id);
    for q in ["1", "1;2", "x,now", "1,"] {
        server.get(&xlsx(q), Some(fac)).await.assert_error(400);
    }
    server.get(&xlsx("1,5"), Some(fac)).await.assert_error(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_participants_comparison_leaves_out_an_unrevealed_group() {
    let server = Server::start_default().await;
    let room = server.create_room("Privat", COMBINED).await;
    let control = YClient::control(&server, &room.id, &room.facilitator_token).await;
    control.add_sagsomraade(BS, S1, "Hjælp til forsørgelse", "32.18");
    control.set_meta("visibility", "private");
    control.barrier().await;
    let (_, anne) = server
        .seat(&room.id, &room.participant_token, "Anne", BS)
        .await;
    let group = YClient::group(&server, &room.id, BS, &anne).await;
    group.add_card("a-1", "asis-7", BS, "Anne før");
    group.barrier().await;
    let first = take_named(&server, &room, r#"{"name": "As-is"}"#).await;
    first.assert_status(201);
    group.add_card("a-2", "asis-7", BS, "Anne efter");
    group.set_answer(S1, "asis-3", "D");
    group.barrier().await;

    let fac = compare(&server, &room.id, &room.facilitator_token, "1", "now").await;
    assert_eq!(cells(&fac), vec![cell("asis-7", BS, &["a-2"], &[], &[])]);
    assert_eq!(
        answers(&fac),
        vec![(S1.into(), "asis-3".into(), None, some("D"))]
    );
    for token in [&room.participant_token, &room.review_token, &anne] {
        let view = compare(&server, &room.id, token, "1", "now").await;
        assert!(view.comparison.cells.is_empty(), "{view:?}");
        assert!(answers(&view).is_empty(), "{view:?}");
    }
    let resp = server
        .get(
            &format!("/api/rooms/{}/export.xlsx?compare=1,now", room.id),
            Some(&room.participant_token),
        )
        .await;
    resp.assert_status(200);
    let rows = parse_xlsx_sheet(&resp.body, "Sammenligning");
    assert!(
        !rows.iter().flatten().any(|c| c.contains("Anne")),
        "{rows:?}"
    );

    // Revealed: everyone's comparison has it.
    control.transact(|txn| {
        let revealed = txn.get_or_insert_map("revealed");
        revealed.insert(txn, BS, true);
    });
    control.barrier().await;
    let view = compare(&server, &room.id, &room.participant_token, "1", "now").await;
    assert_eq!(cells(&view), cells(&fac));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_snapshots_and_compare_survive_a_restart_with_redis() {
    let redis = Redis::start().await;
    let mut f = Fixture::with(ServerOptions::new().redis(redis.url())).await;
    let (room, fac) = (f.room.id.clone(), f.room.facilitator_token.clone());
    let (row, col) = as_is_cell();
    let w = f.wall(Role::Facilitator).await;
    w.add_card("then", &row, &col, "i As-is");
    w.barrier().await;
    let named = take_named(&f.server, &f.room, r#"{"name": "As-is"}"#).await;
    named.assert_status(201);
    let named: SnapshotInfo = named.parse();
    let unnamed = f.server.take_snapshot(&room, &fac).await;
    assert_eq!(unnamed.name, None);
    w.add_card("now", &row, &col, "efter As-is");
    w.barrier().await;
    drop(w);
    f.server.kill9();
    f.server.restart().await;
    assert_eq!(
        f.server.snapshots(&room, &fac).await,
        vec![named.clone(), unnamed.clone()],
        "names (and their absence) read back from Redis"
    );
    let view = compare(&f.server, &room, &fac, "1", "now").await;
    assert_eq!(view.from.name.as_deref(), Some("As-is"));
    assert_eq!(cells(&view), vec![cell(&row, &col, &["now"], &[], &[])]);
}
