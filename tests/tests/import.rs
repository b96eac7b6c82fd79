//! Importing a screening list: `POST /api/rooms/{id}/import` with CSV or XLSX adds the room's
//! fagområder, sagsområder and anvendes answers; an export imports back into a fresh room; a list
//! that cannot be read, or a token that may not, changes nothing; connected clients see the
//! import live, and it survives a restart.

use kortvaeg_tests::*;
use serde_json::Value;

const COMBINED: &str = "kmd-sag-exit";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What an import must reproduce: per sagsområde its fagområde, id, label, KLE and anvendes.
fn screening_of(sheet: &analysis::Sheet) -> Vec<(String, String, String, String, Option<Value>)> {
    let key = sheet
        .column_for(analysis::role::ANVENDES)
        .map(|c| c.key.clone())
        .unwrap_or_default();
    sheet
        .rows
        .iter()
        .map(|r| {
            (
                r.fagomraade.clone(),
                r.sagsomraade_id.clone(),
                r.sagsomraade.clone(),
                r.kle.clone(),
                r.answers.get(&key).cloned(),
            )
        })
        .collect()
}

fn imported(resp: &Response) -> screening::Imported {
    resp.assert_status(200);
    resp.parse()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_import_into_a_fresh_room() {
    let server = Server::start_default().await;
    let room = server.create_room("Kilde", COMBINED).await;
    let control = YClient::control(&server, &room.id, &room.facilitator_token).await;
    control.add_sagsomraade(
        "borgerservice",
        "32-18-hjaelp-til-forsoergelse",
        "Hjælp til forsørgelse",
        "32.18",
    );
    control.add_sagsomraade("borgerservice", "boligstoette", "Boligstøtte", "");
    control.add_sagsomraade(
        "teknik-og-miljoe",
        "02-00-byggesager",
        "Byggesager",
        "02.00",
    );
    control.barrier().await;
    let wall = YClient::wall(&server, &room.id, &room.facilitator_token).await;
    wall.set_answer("32-18-hjaelp-til-forsoergelse", "asis-1.anvendes", "ja");
    wall.set_answer("boligstoette", "asis-1.anvendes", "nej");
    wall.set_answer("02-00-byggesager", "asis-2", 4.0);
    wall.barrier().await;
    let source = server.sheet(&room.id, &room.review_token, None).await;
    let want = screening_of(&source);
    assert_eq!(want.len(), 3);

    let csv = server
        .get(
            &format!("/api/rooms/{}/export.csv?sheet=dokumentationsark", room.id),
            Some(&room.review_token),
        )
        .await;
    csv.assert_status(200);
    let xlsx_body = server
        .export_xlsx_body(&room.id, &room.review_token, None)
        .await;

    for (format, content_type, body) in [("CSV", "text/csv", &csv.body), ("XLSX", XLSX, &xlsx_body)]
    {
        let fresh = server.create_room(&format!("Fra {format}"), COMBINED).await;
        let result = imported(
            &server
                .import(
                    &fresh.id,
                    Some(&fresh.facilitator_token),
                    content_type,
                    body.clone(),
                )
                .await,
        );
        assert_eq!(
            result,
            screening::Imported {
                rows: 3,
                columns_added: 0,
                sagsomraader_added: 3,
                sagsomraader_matched: 0,
                answers_set: 2,
                anvendes_key: Some("asis-1.anvendes".into()),
            },
            "{format}"
        );
        let got = server.sheet(&fresh.id, &fresh.review_token, None).await;
        assert_eq!(
            screening_of(&got),
            want,
            "{format}: same fagområder, sagsområder (ids too) and anvendes"
        );
        // Importing the same list again finds everything in place.
        let again = imported(
            &server
                .import(
                    &fresh.id,
                    Some(&fresh.facilitator_token),
                    content_type,
                    body.clone(),
                )
                .await,
        );
        assert_eq!(
            (
                again.columns_added,
                again.sagsomraader_added,
                again.sagsomraader_matched
            ),
            (0, 0, 3),
            "{format}"
        );
        assert_eq!(
            screening_of(&server.sheet(&fresh.id, &fresh.review_token, None).await),
            want,
            "{format}"
        );
    }

    // The XLSX is detected by its bytes, whatever the content type says.
    let sniffed = server.create_room("Sniffed", COMBINED).await;
    imported(
        &server
            .import(
                &sniffed.id,
                Some(&sniffed.facilitator_token),
                "application/octet-stream",
                xlsx_body.clone(),
            )
            .await,
    );
    assert_eq!(
        screening_of(&server.sheet(&sniffed.id, &sniffed.review_token, None).await),
        want
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_danish_excel_csv_with_semicolons_and_a_bom() {
    let f = Fixture::new().await;
    let list = "\u{feff}Fagområde;Sagsområde;KLE-nummer;Anvendes KMD Sag\r\n\
                borgerservice;Hjælp til forsørgelse;32.18;Ja\r\n\
                Økonomi;Opkrævning;;nej\r\n\
                ;;;\r\n\
                Økonomi;\"Inddrivelse; restancer\";25.02;\r\n";
    let result = imported(
        &f.server
            .import(
                &f.room.id,
                Some(&f.room.facilitator_token),
                "text/csv; charset=utf-8",
                list,
            )
            .await,
    );
    assert_eq!(
        (
            result.rows,
            result.columns_added,
            result.sagsomraader_added,
            result.answers_set
        ),
        (3, 1, 3, 2)
    );
    let sheet = f.server.sheet(&f.room.id, &f.room.review_token, None).await;
    let got: Vec<(String, String, String)> = sheet
        .rows
        .iter()
        .map(|r| {
            (
                r.fagomraade_id.clone(),
                r.sagsomraade_id.clone(),
                r.kle.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "borgerservice".to_string(),
                "32-18-hjaelp-til-forsoergelse".to_string(),
                "32.18".to_string()
            ),
            ("oekonomi".into(), "opkraevning".into(), "".into()),
            (
                "oekonomi".into(),
                "25-02-inddrivelse-restancer".into(),
                "25.02".into()
            ),
        ],
        "an existing column matched by label in any case; a new one with the client's id"
    );
    assert_eq!(sheet.rows[0].fagomraade, "Borgerservice");
    assert_eq!(sheet.rows[1].fagomraade, "Økonomi");
    assert!(!sheet.rows[1].in_analysis, "anvendes nej");
    assert!(
        sheet.rows[2].answers.is_empty(),
        "a blank anvendes sets nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_that_cannot_be_read_change_nothing() {
    let f = Fixture::new().await;
    let (room, fac) = (&f.room.id, Some(f.room.facilitator_token.as_str()));
    let control = f.control(Role::Review).await;
    let before = projection::structure(&control.doc);

    let bad_header = f
        .server
        .import(room, fac, "text/csv", "Afdeling,Sagsområde\nA,B\n")
        .await;
    let msg = bad_header.assert_error(400);
    assert!(msg.contains("Fagområde"), "{msg}");
    assert_eq!(bad_header.json()["problems"][0]["row"], 1);

    let bad_rows = f
        .server
        .import(
            room,
            fac,
            "text/csv",
            "Fagområde,Sagsområde,Anvendes KMD Sag\nBorgerservice,Ok,ja\nBorgerservice,,ja\nNy,X,måske\n",
        )
        .await;
    bad_rows.assert_error(400);
    let problems = bad_rows.json()["problems"].clone();
    assert_eq!(problems.as_array().map(Vec::len), Some(2), "{problems}");
    assert_eq!(problems[0]["row"], 3);
    assert!(
        problems[0]["problem"]
            .as_str()
            .unwrap()
            .contains("sagsområde"),
        "{problems}"
    );
    assert_eq!(problems[1]["row"], 4);
    assert!(
        problems[1]["problem"].as_str().unwrap().contains("måske"),
        "{problems}"
    );

    let ok = "Fagområde,Sagsområde\nNy,X\n";
    f.server
        .import(room, Some(&f.room.participant_token), "text/csv", ok)
        .await
        .assert_error(403);
    f.server
        .import(room, Some(&f.room.review_token), "text/csv", ok)
        .await
        .assert_error(403);
    f.server
        .import(room, None, "text/csv", ok)
        .await
        .assert_error(401);
    f.server
        .import("AAAAAAAAAAAA", fac, "text/csv", ok)
        .await
        .assert_error(404);
    f.server
        .import(room, fac, "text/csv", "")
        .await
        .assert_error(400);
    f.server
        .import(room, fac, "text/csv", "Fagområde,Sagsområde\n")
        .await
        .assert_error(400);
    f.server
        .import(
            room,
            fac,
            "text/csv",
            b"Fagomr\xe5de,Sagsomr\xe5de\nA,B\n".to_vec(),
        )
        .await
        .assert_error(400);
    f.server
        .import(room, fac, XLSX, b"PK\x03\x04 not really a zip".to_vec())
        .await
        .assert_error(400);
    let mut huge = b"Fagomr\xc3\xa5de,Sagsomr\xc3\xa5de\n".to_vec();
    huge.resize(6 * 1024 * 1024, b'x');
    // The server answers 413 without reading the rest of the body and then closes that
    // connection: send it on a connection of its own, so the shared client's pooled connection
    // is not the one closed under the next request.
    let lone = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let resp = lone
        .post(format!("{}/api/rooms/{room}/import", f.server.url()))
        .header(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {}", f.room.facilitator_token),
        )
        .header(reqwest::header::CONTENT_TYPE, "text/csv")
        .body(huge)
        .send()
        .await
        .expect("POST of 6 MiB");
    assert_eq!(resp.status().as_u16(), 413);
    let error: Value = resp.json().await.expect("413 body is JSON");
    assert!(
        error["error"].as_str().is_some_and(|e| e.contains("MiB")),
        "{error}"
    );
    let mut many = String::from("Fagområde,Sagsområde\n");
    for i in 0..=screening::MAX_ROWS {
        many.push_str(&format!("A,S{i}\n"));
    }
    f.server
        .import(room, fac, "text/csv", many)
        .await
        .assert_error(400);

    // Nothing changed: the control document is as before, and the wall has no answers.
    control.barrier().await;
    assert_eq!(projection::structure(&control.doc), before);
    assert!(f
        .server
        .sheet(room, &f.room.review_token, None)
        .await
        .rows
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connected_clients_see_the_import_live_and_it_survives_a_restart() {
    let mut f = Fixture::new().await;
    let room = f.room.id.clone();
    let control = f.control(Role::Participant).await;
    let wall = f.wall(Role::Participant).await;
    let list = "Fagområde,Sagsområde,KLE,Anvendes KMD Sag\nVoksenservice,Handicap,27.12,ja\nKultur,Biblioteker,,nej\n";
    let result = imported(
        &f.server
            .import(&room, Some(&f.room.facilitator_token), "text/csv", list)
            .await,
    );
    assert_eq!(
        (
            result.columns_added,
            result.sagsomraader_added,
            result.answers_set
        ),
        (1, 2, 2)
    );

    control
        .wait_for("the imported sagsområder", |doc| {
            let (_, columns, _) = projection::structure(doc);
            analysis::sagsomraader(&columns).len() == 2
        })
        .await;
    let ids: Vec<(String, String)> = control
        .sagsomraader()
        .into_iter()
        .map(|s| (s.fagomraade_id, s.id))
        .collect();
    assert_eq!(
        ids,
        [
            ("voksenservice".to_string(), "27-12-handicap".to_string()),
            ("kultur".into(), "biblioteker".into())
        ]
    );
    // A room with group documents: each anvendes answer went to its fagområde's document.
    let mut groups = Vec::new();
    for (column, _) in &ids {
        let group = f.group(column, Role::Participant).await;
        group
            .wait_for("the imported anvendes answer", |doc| {
                use yrs::{Map, ReadTxn, Transact};
                let txn = doc.transact();
                txn.get_map(schema::ANSWERS)
                    .map(|answers| answers.len(&txn))
                    == Some(1)
            })
            .await;
        groups.push((column.clone(), group));
    }
    let merged = kortvaeg_shared::groups::merged(
        &wall.doc,
        &groups
            .iter()
            .map(|(c, g)| (c.as_str(), &g.doc))
            .collect::<Vec<_>>(),
    );
    let local = analysis::sheet(&analysis::read(&merged, &control.doc));
    assert_eq!(
        local,
        f.server.sheet(&room, &f.room.review_token, None).await,
        "the clients have what the server has"
    );
    assert!(wall.problems().is_empty() && control.problems().is_empty());

    // The participant's own edits still merge with the imported state.
    wall.set_answer("biblioteker", "asis-2", 2.0);
    wall.barrier().await;

    f.server.restart().await;
    let after = f.server.sheet(&room, &f.room.review_token, None).await;
    assert_eq!(screening_of(&after), screening_of(&local));
    assert_eq!(
        after.rows[1].answers.get("asis-2"),
        Some(&serde_json::json!(2.0))
    );
}

/// A workbook whose cells lie far apart (A1 and XFD1048576) would make a dense reader allocate
/// billions of cells. The import reads cells one by one and refuses what lies past its limits;
/// the server stays up and the room unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workbook_with_far_apart_cells_is_refused_not_a_crash() {
    let f = Fixture::new().await;
    let room = &f.room.id;
    let mut book = small_list();
    let sheet = book.worksheet_from_index(0).expect("sheet");
    sheet
        .write_string(1_048_575, 16_383, "langt væk")
        .expect("far cell");
    let body = book.save_to_buffer().expect("xlsx");
    let control = f.control(Role::Facilitator).await;
    let before = projection::structure(&control.doc);

    let resp = f
        .server
        .import(room, Some(&f.room.facilitator_token), XLSX, body)
        .await;
    let error = resp.assert_error(400);
    assert!(error.contains("row 1048576"), "{error}");

    // The same sideways: a cell in the last column.
    let mut book = small_list();
    let sheet = book.worksheet_from_index(0).expect("sheet");
    sheet
        .write_string(1, 16_383, "langt til siden")
        .expect("far cell");
    let body = book.save_to_buffer().expect("xlsx");
    let error = f
        .server
        .import(room, Some(&f.room.facilitator_token), XLSX, body)
        .await
        .assert_error(400);
    assert!(error.contains("column 16384"), "{error}");

    // Still up, nothing changed.
    f.server.health().await;
    control.barrier().await;
    assert_eq!(projection::structure(&control.doc), before);
}

/// A zip bomb: a valid workbook plus a part that inflates to 80 MiB (80 KiB packed). Refused
/// (413) by what it inflates to, not by what it declares; the server stays up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workbook_that_inflates_past_the_limit_is_refused() {
    use std::io::{Read, Write};
    let f = Fixture::new().await;
    let mut book = small_list();
    let plain = book.save_to_buffer().expect("xlsx");
    let mut source = zip::ZipArchive::new(std::io::Cursor::new(plain)).expect("zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..source.len() {
        let mut part = source.by_index(i).expect("part");
        let name = part.name().expect("part name").to_string();
        let mut bytes = Vec::new();
        part.read_to_end(&mut bytes).expect("read part");
        out.start_file(name, deflated).expect("start");
        out.write_all(&bytes).expect("write");
    }
    out.start_file("xl/media/padding.bin", deflated)
        .expect("start bomb");
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..80 {
        out.write_all(&zeros).expect("write bomb");
    }
    let body = out.finish().expect("finish").into_inner();
    assert!(
        body.len() < 1024 * 1024,
        "the bomb is small packed: {} bytes",
        body.len()
    );

    let error = f
        .server
        .import(&f.room.id, Some(&f.room.facilitator_token), XLSX, body)
        .await
        .assert_error(413);
    assert!(error.contains("unpacks to more than"), "{error}");
    f.server.health().await;
}

/// A one-row screening list as a workbook, for the tests that then add something hostile to it.
fn small_list() -> rust_xlsxwriter::Workbook {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (row, col, text) in [
        (0, 0, "Fagområde"),
        (0, 1, "Sagsområde"),
        (1, 0, "Ydelser"),
        (1, 1, "Boligstøtte"),
    ] {
        sheet.write_string(row, col, text).expect("cell");
    }
    book
}
