//! The documentation sheet (R1) and prioritisation: answers written by a Yjs client come back from
//! `GET /sheet` with the derived values, and `/export.xlsx` / `/export.csv?sheet=dokumentationsark`
//! carry the same rows; the XLSX has real formulas, dropdowns, an autofilter and a frozen header.

use kortvaeg_tests::*;
use serde_json::json;
use yrs::Any;

const COMBINED: &str = "kmd-sag-exit";
const S1: &str = "32-18-hjaelp-til-forsoergelse";
const S2: &str = "boligstoette";
const S3: &str = "handicap";

/// A combined As-is/To-be room with three sagsområder and their answers; the facilitator's
/// control replica and a participant's wall replica, both in sync with the server.
async fn filled(server: &Server) -> (RoomCreated, YClient, YClient) {
    let room = server.create_room("Arket", COMBINED).await;
    let control = YClient::control(server, &room.id, &room.facilitator_token).await;
    control.add_sagsomraade("borgerservice", S1, "Hjælp til forsørgelse", "32.18");
    control.add_sagsomraade("borgerservice", S2, "Boligstøtte", "");
    control.add_sagsomraade("voksenservice", S3, "=Handicap", "27.12");
    control.set_prioritering("faa_max", 10.0);
    control.barrier().await;
    let wall = YClient::wall(server, &room.id, &room.participant_token).await;
    for (key, value) in [
        ("asis-1.anvendes", Any::from("ja")),
        ("asis-2", Any::from(30.0)),
        ("asis-3", Any::from("D")),
        ("tobe-5", Any::from("ja")),
        ("tobe-6", Any::from("middel")),
        ("tobe-loesningsscenarie", Any::from("2")),
        ("asis-7", Any::from("Åbne sager; \"gamle\" notater")),
    ] {
        wall.set_answer(S1, key, value);
    }
    wall.set_answer(S2, "asis-1.anvendes", "nej");
    wall.set_answer(S2, "asis-2", 3.0);
    wall.set_answer(S3, "asis-2", "12");
    wall.set_answer(S3, "tobe-6", "hoej");
    wall.set_answer(S3, "tobe-5", "nej");
    wall.set_answer(S3, "brugerantal", "faa");
    wall.set_answer(S3, "asis-8", "+45 formel");
    wall.barrier().await;
    (room, control, wall)
}

fn row<'a>(sheet: &'a analysis::Sheet, id: &str) -> &'a analysis::SheetRow {
    sheet
        .rows
        .iter()
        .find(|r| r.sagsomraade_id == id)
        .unwrap_or_else(|| panic!("no row {id}: {sheet:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sheet_json_follows_the_answers() {
    let server = Server::start_default().await;
    let (room, control, wall) = filled(&server).await;
    let sheet = server.sheet(&room.id, &room.review_token, None).await;

    // The same definition computed from the clients' own replicas.
    assert_eq!(
        sheet,
        analysis::sheet(&analysis::read(&wall.doc, &control.doc))
    );

    assert_eq!(sheet.settings.faa_max, 10.0, "the room's own threshold");
    assert_eq!(sheet.settings.mellem_max, 20.0, "a default");
    let ids: Vec<&str> = sheet
        .rows
        .iter()
        .map(|r| r.sagsomraade_id.as_str())
        .collect();
    assert_eq!(ids, [S1, S2, S3], "wall order");
    let s1 = row(&sheet, S1);
    assert_eq!(
        (
            s1.fagomraade.as_str(),
            s1.sagsomraade.as_str(),
            s1.kle.as_str()
        ),
        ("Borgerservice", "Hjælp til forsørgelse", "32.18")
    );
    assert_eq!(s1.answers.get("asis-2"), Some(&json!(30.0)));
    assert_eq!(s1.answers.get("tobe-loesningsscenarie"), Some(&json!("2")));
    // 30 caseworkers > mellem_max 20 → mange (3) × middel (2) = 6 > moderat_max 4 → 3 Stort.
    assert_eq!(
        (
            s1.in_analysis,
            s1.brugerantal,
            s1.omfang_point,
            s1.omfang,
            s1.prioritet
        ),
        (
            true,
            Some(analysis::Brugerantal::Mange),
            Some(6),
            Some(3),
            Some(1)
        )
    );
    let s2 = row(&sheet, S2);
    assert_eq!(
        (s2.in_analysis, s2.brugerantal, s2.omfang, s2.prioritet),
        (false, None, None, None),
        "anvendes nej"
    );
    let s3 = row(&sheet, S3);
    // Hand-set få (1) × høj (3) = 3 → 2 Moderat; not forretningskritisk → after S1.
    assert_eq!(
        s3.answers.get("asis-2"),
        Some(&json!(12.0)),
        "a numeric string is the number"
    );
    assert_eq!(
        (
            s3.brugerantal,
            s3.brugerantal_hand,
            s3.omfang_point,
            s3.omfang,
            s3.prioritet
        ),
        (
            Some(analysis::Brugerantal::Faa),
            true,
            Some(3),
            Some(2),
            Some(2)
        )
    );
    let keys: Vec<&str> = sheet.columns.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys[..2], ["asis-1.anvendes", "asis-2"]);
    assert!(
        !keys.contains(&"tobe-1"),
        "To-be 1 is answered in plenum, not per sagsområde"
    );
    assert_eq!(sheet.summaries.total, 3);
    assert_eq!(sheet.summaries.in_analysis, 2);
    assert_eq!(sheet.summaries.forretningskritiske, [S1]);
    assert_eq!(sheet.summaries.loesningsscenarie[1].sagsomraader, [S1]);
    assert_eq!(
        sheet.summaries.loesningsscenarie[4].sagsomraader,
        [S3],
        "unanswered last"
    );
    assert_eq!(sheet.summaries.brugsmoenster[4].value.as_deref(), Some("D"));
    assert_eq!(sheet.summaries.brugsmoenster[4].count, 1);

    // Changing a threshold in the control document changes the derived values at once.
    control.set_prioritering("omfang_foerst", "let");
    control.set_prioritering("moderat_max", 6.0);
    control.barrier().await;
    let after = server.sheet(&room.id, &room.participant_token, None).await;
    assert_eq!(row(&after, S1).omfang, Some(2), "6 ≤ moderat_max 6");
    assert_eq!(
        row(&after, S1).prioritet,
        Some(1),
        "forretningskritisk still first"
    );

    // A snapshot keeps the sheet as it was.
    let snap = server
        .take_snapshot(&room.id, &room.facilitator_token)
        .await;
    // S1 no longer forretningskritisk, and høj: 3 × 3 = 9 → Stort; with "let" first S3 (Moderat) leads.
    wall.set_answer(S1, "tobe-5", "nej");
    wall.set_answer(S1, "tobe-6", "hoej");
    wall.barrier().await;
    let now = server.sheet(&room.id, &room.review_token, None).await;
    assert_eq!(
        (row(&now, S3).prioritet, row(&now, S1).prioritet),
        (Some(1), Some(2))
    );
    let then = server
        .sheet(&room.id, &room.review_token, Some(snap.seq))
        .await;
    assert_eq!(row(&then, S1).prioritet, Some(1));

    server
        .get(&format!("/api/rooms/{}/sheet", room.id), None)
        .await
        .assert_error(401);
    server
        .get(
            &format!("/api/rooms/{}/sheet?snapshot=9", room.id),
            Some(&room.review_token),
        )
        .await
        .assert_error(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_of_the_documentation_sheet() {
    let server = Server::start_default().await;
    let (room, _control, wall) = filled(&server).await;
    wall.add_card("k1", "asis-2", "borgerservice", "30 sagsbehandlere");
    wall.barrier().await;
    let sheet = server.sheet(&room.id, &room.facilitator_token, None).await;
    let resp = server
        .get(
            &format!("/api/rooms/{}/export.csv?sheet=dokumentationsark", room.id),
            Some(&room.review_token),
        )
        .await;
    resp.assert_status(200);
    // Danish Excel opens it as it is: a BOM and `;` between fields.
    assert!(
        resp.body
            .starts_with("\u{feff}Fagområde;Sagsområde;KLE-nummer;".as_bytes()),
        "{}",
        resp.text()
    );
    let rows = parse_csv(&resp.body);
    assert_eq!(rows[0], sheet::documentation_header(&sheet));
    assert_eq!(rows[1..], sheet::documentation_rows(&sheet)[..]);
    // ?delimiter=comma gives the same cells comma-separated, without a BOM; the card list
    // stays comma-separated (v1) unless asked for `;`.
    let comma = server
        .get(
            &format!(
                "/api/rooms/{}/export.csv?sheet=dokumentationsark&delimiter=comma",
                room.id
            ),
            Some(&room.review_token),
        )
        .await;
    assert!(
        comma
            .body
            .starts_with("Fagområde,Sagsområde,KLE-nummer,".as_bytes()),
        "{}",
        comma.text()
    );
    assert_eq!(parse_csv(&comma.body), rows);
    let cards = server
        .get(
            &format!("/api/rooms/{}/export.csv", room.id),
            Some(&room.review_token),
        )
        .await;
    assert!(
        cards.body.starts_with("Spørgsmål nr.,".as_bytes()),
        "{}",
        cards.text()
    );
    let cards_dk = server
        .get(
            &format!("/api/rooms/{}/export.csv?delimiter=semicolon", room.id),
            Some(&room.review_token),
        )
        .await;
    assert_eq!(parse_csv(&cards_dk.body), parse_csv(&cards.body));
    let bad = server
        .get(
            &format!("/api/rooms/{}/export.csv?delimiter=tab", room.id),
            Some(&room.review_token),
        )
        .await;
    assert!(bad.assert_error(400).contains("delimiter"));
    let header = &rows[0];
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}: {header:?}"))
    };
    assert_eq!(&header[..3], ["Fagområde", "Sagsområde", "KLE-nummer"]);
    assert_eq!(header[3], "As-is 1: Anvendes KMD Sag på sagsområdet?");
    let s1 = &rows[1];
    assert_eq!(s1[col("Brugerantal")], "mange");
    assert_eq!(s1[col("Omfang af oprydningsarbejde")], "3 Stort");
    assert_eq!(s1[col("Prioritet")], "1");
    assert_eq!(s1[col("I analysen")], "ja");
    assert_eq!(
        s1[col(
            "As-is 2: Hvor mange sagsbehandlere har I på sagsområdet/arbejder med sagsområdet?"
        )],
        "30"
    );
    assert_eq!(rows[2][col("I analysen")], "nej");
    assert_eq!(
        rows[3][1], "'=Handicap",
        "formula-looking values are neutralised"
    );
    assert!(
        rows[3].contains(&"høj".to_string()) && rows[3].contains(&"'+45 formel".to_string()),
        "{:?}",
        rows[3]
    );

    // The default CSV is still one row per card.
    let cards = server
        .export_csv(&room.id, &room.facilitator_token, None)
        .await;
    assert_eq!(cards[0], sheet::CARD_HEADER);
    assert_eq!(cards.len(), 2);
    let bad = server
        .get(
            &format!("/api/rooms/{}/export.csv?sheet=andet", room.id),
            Some(&room.review_token),
        )
        .await;
    assert!(bad.assert_error(400).contains("dokumentationsark"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xlsx_is_the_documentation_sheet() {
    let server = Server::start_default().await;
    let (room, _control, wall) = filled(&server).await;
    wall.add_card("k1", "asis-2", "borgerservice", "=30");
    wall.barrier().await;
    let sheet = server.sheet(&room.id, &room.facilitator_token, None).await;
    let resp_body = server
        .export_xlsx_body(&room.id, &room.participant_token, None)
        .await;
    let body = &resp_body;
    assert_eq!(
        xlsx_sheet_names(body),
        ["Dokumentationsark", "Kort", "Prioritering"]
    );

    // Values (formula cells as the cached results the server wrote), and last the priority
    // formula's helper column.
    let doc = parse_xlsx_sheet(body, "Dokumentationsark");
    let width = sheet::documentation_header(&sheet).len();
    assert_eq!(doc[0][..width], sheet::documentation_header(&sheet)[..]);
    assert_eq!(doc[0][width..], ["Prioritetsnøgle"]);
    let shown: Vec<&[String]> = doc[1..].iter().map(|r| &r[..width]).collect();
    assert_eq!(shown, sheet::documentation_rows(&sheet));
    let keys: Vec<&str> = doc[1..].iter().map(|r| r[width].as_str()).collect();
    // Group (forretningskritisk ja + Stort 0; not + Moderat 5) × 10^7 + the row; S2 out.
    assert_eq!(keys, ["2", "", "50000004"]);
    let header = doc[0].clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (brugerantal, omfang, i_analysen) = (
        col("Brugerantal"),
        col("Omfang af oprydningsarbejde"),
        col("I analysen"),
    );
    assert_eq!(
        (
            doc[1][brugerantal].as_str(),
            doc[1][omfang].as_str(),
            doc[1][i_analysen].as_str()
        ),
        ("mange", "3 Stort", "ja")
    );
    assert_eq!(doc[2][i_analysen], "nej");

    // Real formulas: over the row's cells and the thresholds on the Prioritering sheet.
    let formulas = xlsx_formulas(body, "Dokumentationsark");
    let letter = |c: usize| {
        let a = |i: usize| char::from(b'A' + i as u8).to_string();
        if c < 26 {
            a(c)
        } else {
            format!("{}{}", a(c / 26 - 1), a(c % 26))
        }
    };
    let f_brugerantal = &formulas[1][brugerantal];
    let sagsbehandlere = format!(
        "{}2",
        letter(col(
            "As-is 2: Hvor mange sagsbehandlere har I på sagsområdet/arbejder med sagsområdet?"
        ))
    );
    assert!(
        f_brugerantal.contains(&sagsbehandlere)
            && f_brugerantal.contains("Prioritering!$B$2")
            && f_brugerantal.contains("Prioritering!$B$3"),
        "{f_brugerantal}"
    );
    let f_omfang = &formulas[1][omfang];
    assert!(
        f_omfang.contains("MATCH(")
            && f_omfang.contains("Prioritering!$B$4")
            && f_omfang.contains("Prioritering!$B$5"),
        "{f_omfang}"
    );
    assert!(
        f_omfang.contains(&format!("{}2", letter(brugerantal))),
        "omfang uses the brugerantal cell: {f_omfang}"
    );
    assert!(
        formulas[1][i_analysen].contains("=\"nej\""),
        "{}",
        formulas[1][i_analysen]
    );
    assert_eq!(
        formulas[3][brugerantal], "",
        "a hand-set brugerantal is a value"
    );
    let f_prioritet = &formulas[1][col("Prioritet")];
    let key = letter(width);
    assert!(
        f_prioritet.contains(&format!("COUNTIF(${key}$2:${key}$4,")),
        "prioritet counts the keys of every row: {f_prioritet}"
    );
    let f_key = &formulas[1][width];
    assert!(
        f_key.contains("Prioritering!$B$6")
            && f_key.contains(&format!("{}2", letter(col("Omfang af oprydningsarbejde"))))
            && f_key.contains(&format!("{}2", letter(col("I analysen")))),
        "{f_key}"
    );
    assert_eq!(formulas[1][1], "", "names are values");

    // The thresholds the formulas read.
    let prio = parse_xlsx_sheet(body, "Prioritering");
    assert_eq!(prio[1][..2], ["faa_max".to_string(), "10".to_string()]);
    assert_eq!(prio[4][..2], ["moderat_max".to_string(), "4".to_string()]);

    // Dropdowns, autofilter, frozen header: in the sheet's XML.
    let xml = xlsx_part(body, "xl/worksheets/sheet1.xml");
    for list in [
        "ja,nej",
        "lav,middel,høj",
        "0,A,B,C,D,E",
        "1,2,3,4",
        "få,mellem,mange",
    ] {
        assert!(
            xml.contains(&format!("<formula1>\"{list}\"</formula1>")),
            "no dropdown {list:?} in {xml}"
        );
    }
    assert!(xml.contains("<dataValidation "), "{xml}");
    // The autofilter ends before the helper column, which is hidden.
    assert!(
        xml.contains(&format!("<autoFilter ref=\"A1:{}4\"", letter(width - 1))),
        "{xml}"
    );
    let n = width + 1;
    assert!(
        xml.contains(&format!("<col min=\"{n}\" max=\"{n}\"")) && xml.contains("hidden=\"1\""),
        "{xml}"
    );
    assert!(
        xml.contains("state=\"frozen\"") && xml.contains("ySplit=\"1\""),
        "{xml}"
    );
    assert!(xml.contains("<f>IF(OR("), "{xml}");

    // The cards are on the second sheet, as before.
    let cards = parse_xlsx(body);
    assert_eq!(cards[0], sheet::CARD_HEADER);
    assert_eq!(cards[1][5], "'=30");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_without_sagsomraader_has_an_empty_sheet() {
    let f = Fixture::new().await;
    let sheet = f.server.sheet(&f.room.id, &f.room.review_token, None).await;
    assert!(sheet.rows.is_empty());
    assert_eq!(sheet.settings, analysis::Settings::default());
    assert_eq!(sheet.summaries.total, 0);
    let resp = f
        .server
        .get(
            &Server::export_path(&f.room.id, "xlsx", None),
            Some(&f.room.review_token),
        )
        .await;
    resp.assert_status(200);
    let doc = parse_xlsx_sheet(&resp.body, "Dokumentationsark");
    let mut header = sheet::documentation_header(&sheet);
    header.push("Prioritetsnøgle".into());
    assert_eq!(doc, vec![header]);
}

/// The XLSX's Prioritet as a spreadsheet engine computes it (LibreOffice, recalculating every
/// formula; never the cached results), by sagsområde label, with I analysen and omfang.
async fn recalculated(body: &[u8], sheet: &analysis::Sheet) -> Vec<[String; 4]> {
    let doc = recalc::recalculate(body).await;
    let header = sheet::documentation_header(sheet);
    assert_eq!(
        doc[0][..header.len()],
        header[..],
        "the recalculated sheet's header"
    );
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (prioritet, omfang, i_analysen) = (
        col("Prioritet"),
        col("Omfang af oprydningsarbejde"),
        col("I analysen"),
    );
    assert_eq!(doc.len(), sheet.rows.len() + 1, "{doc:?}");
    doc[1..]
        .iter()
        .map(|r| {
            [
                r[1].clone(),
                r[i_analysen].clone(),
                r[omfang].clone(),
                r[prioritet].clone(),
            ]
        })
        .collect()
}

/// What the server says for the same cells.
fn served(sheet: &analysis::Sheet) -> Vec<[String; 4]> {
    sheet
        .rows
        .iter()
        .map(|r| {
            let omfang = r
                .omfang
                .map(|o| format!("{o} {}", analysis::omfang_label(o)));
            [
                r.sagsomraade.clone(),
                if r.in_analysis { "ja" } else { "nej" }.to_string(),
                omfang.unwrap_or_default(),
                r.prioritet.map(|p| p.to_string()).unwrap_or_default(),
            ]
        })
        .collect()
}

/// The cell of `column` (0-based) in the row of sagsområde `id`, e.g. `"X5"`.
fn cell_of(sheet: &analysis::Sheet, id: &str, column: usize) -> String {
    let r = sheet
        .rows
        .iter()
        .position(|r| r.sagsomraade_id == id)
        .unwrap_or_else(|| panic!("no row {id}"));
    format!(
        "{}{}",
        rust_xlsxwriter::column_number_to_name(column as u16),
        r + 2
    )
}

/// The sheet column (0-based) of the answer with `role`, in the sheet's layout.
fn answer_column(sheet: &analysis::Sheet, role: &str) -> usize {
    let key = &sheet
        .column_for(role)
        .unwrap_or_else(|| panic!("no {role} answer"))
        .key;
    sheet
        .layout
        .iter()
        .position(|c| c.key.as_ref() == Some(key))
        .unwrap_or_else(|| panic!("no {role} column in the layout"))
}

/// A sagsområde's id, fagområde, and its forretningskritisk, sagsbehandlere and kompleksitet answers.
type Answers = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<f64>,
    Option<&'static str>,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xlsx_prioritet_is_a_formula_a_spreadsheet_recalculates_as_the_server() {
    let server = Server::start_default().await;
    let room = server.create_room("Prioriteret", COMBINED).await;
    let control = YClient::control(&server, &room.id, &room.facilitator_token).await;
    // (id, fagområde, forretningskritisk, sagsbehandlere, kompleksitet); thresholds by default:
    // ≤ 5 få, ≤ 20 mellem, else mange; point ≤ 2 Let, ≤ 4 Moderat, else Stort.
    let rows: [Answers; 9] = [
        ("a", "borgerservice", Some("ja"), Some(30.0), Some("middel")), // 6 Stort
        ("b", "borgerservice", Some("ja"), Some(3.0), Some("lav")),     // 1 Let
        ("c", "borgerservice", Some("nej"), Some(3.0), Some("hoej")),   // 3 Moderat
        ("d", "borgerservice", None, Some(30.0), None),                 // no omfang
        ("e", "borgerservice", Some("ja"), Some(30.0), Some("hoej")),   // out: anvendes nej
        ("f", "voksenservice", Some("ja"), None, None),                 // no omfang
        ("g", "voksenservice", Some("nej"), Some(30.0), Some("hoej")),  // 9 Stort
        ("h", "voksenservice", None, Some(2.0), Some("lav")),           // 1 Let
        ("i", "voksenservice", Some("ja"), Some(25.0), Some("hoej")),   // 9 Stort, after a
    ];
    for (id, fagomraade, ..) in rows {
        control.add_sagsomraade(fagomraade, id, &format!("Sagsområde {id}"), "");
    }
    control.barrier().await;
    let wall = YClient::wall(&server, &room.id, &room.participant_token).await;
    for (id, _, critical, caseworkers, complexity) in rows {
        wall.set_answer(id, "asis-1.anvendes", if id == "e" { "nej" } else { "ja" });
        if let Some(v) = critical {
            wall.set_answer(id, "tobe-5", v);
        }
        if let Some(n) = caseworkers {
            wall.set_answer(id, "asis-2", n);
        }
        if let Some(k) = complexity {
            wall.set_answer(id, "tobe-6", k);
        }
    }
    wall.barrier().await;
    let before = server.sheet(&room.id, &room.review_token, None).await;
    let prioritet = |sheet: &analysis::Sheet| -> Vec<Option<usize>> {
        sheet.rows.iter().map(|r| r.prioritet).collect()
    };
    // ja: a, i (Stort), b (Let), f (none); then g (Stort), c (Moderat), h (Let), d (none).
    assert_eq!(
        (
            before
                .rows
                .iter()
                .map(|r| r.sagsomraade_id.as_str())
                .collect::<Vec<_>>(),
            prioritet(&before)
        ),
        (
            vec!["a", "b", "c", "d", "e", "f", "g", "h", "i"],
            vec![
                Some(1),
                Some(3),
                Some(6),
                Some(8),
                None,
                Some(4),
                Some(5),
                Some(7),
                Some(2)
            ]
        ),
        "the room is as this test means it"
    );
    let xlsx_body = server
        .export_xlsx_body(&room.id, &room.review_token, None)
        .await;

    // (a) Recalculated, every Prioritet (and what it is computed from) is the server's.
    assert_eq!(
        recalculated(&xlsx_body, &before).await,
        served(&before),
        "recalculated (sagsområde, I analysen, omfang, prioritet) vs GET /sheet"
    );

    // (b) Inputs changed in the file; the same changes made in the room give the expected order.
    let fk = answer_column(&before, analysis::role::FORRETNINGSKRITISK);
    let kompleksitet = answer_column(&before, analysis::role::KOMPLEKSITET);
    let anvendes = answer_column(&before, analysis::role::ANVENDES);
    let edits = [
        (cell_of(&before, "c", fk), "ja"),
        (cell_of(&before, "h", kompleksitet), "høj"),
        (cell_of(&before, "a", anvendes), "nej"),
    ];
    let edits: Vec<(&str, &str)> = edits.iter().map(|(c, v)| (c.as_str(), *v)).collect();
    let edited = recalc::with_cells(&xlsx_body, "xl/worksheets/sheet1.xml", &edits);
    let edited = recalc::with_cells(&edited, "xl/worksheets/sheet3.xml", &[("B6", "let")]);
    wall.set_answer("c", "tobe-5", "ja");
    wall.set_answer("h", "tobe-6", "hoej");
    wall.set_answer("a", "asis-1.anvendes", "nej");
    wall.barrier().await;
    control.set_prioritering("omfang_foerst", "let");
    control.barrier().await;
    let after = server.sheet(&room.id, &room.review_token, None).await;
    // ja, let first: b (Let), c (Moderat), i (Stort), f (none); then h (Moderat), g (Stort), d.
    assert_eq!(
        prioritet(&after),
        vec![
            None,
            Some(1),
            Some(2),
            Some(7),
            None,
            Some(4),
            Some(6),
            Some(5),
            Some(3)
        ],
        "the edited room"
    );
    assert_eq!(
        recalculated(&edited, &after).await,
        served(&after),
        "recalculated after the edits vs GET /sheet of the room with the same edits"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xlsx_prioritet_without_forretningskritisk_or_omfang_is_the_wall_order() {
    // The As-is template has neither a forretningskritisk nor a kompleksitet answer.
    let server = Server::start_default().await;
    let room = server.create_room("Kun As-is", AS_IS).await;
    let control = YClient::control(&server, &room.id, &room.facilitator_token).await;
    for (fagomraade, id) in [
        ("borgerservice", "x"),
        ("borgerservice", "y"),
        ("voksenservice", "z"),
    ] {
        control.add_sagsomraade(fagomraade, id, &format!("Sagsområde {id}"), "");
    }
    control.barrier().await;
    let wall = YClient::wall(&server, &room.id, &room.participant_token).await;
    wall.set_answer("x", "asis-1.anvendes", "nej");
    wall.set_answer("z", "asis-2", 40.0);
    wall.barrier().await;
    let sheet = server.sheet(&room.id, &room.review_token, None).await;
    assert!(sheet
        .column_for(analysis::role::FORRETNINGSKRITISK)
        .is_none());
    let prioritet: Vec<_> = sheet.rows.iter().map(|r| r.prioritet).collect();
    assert_eq!(prioritet, [None, Some(1), Some(2)]);
    let xlsx_body = server
        .export_xlsx_body(&room.id, &room.review_token, None)
        .await;
    assert_eq!(recalculated(&xlsx_body, &sheet).await, served(&sheet));
}

/// The fixture workshop (`shared/tests/fixtures/sheet-cells.json`: cards and Skema answers of two
/// groups and a third fagområde, a merge, comments, a moved card, a "nej" sagsområde, a chip card
/// that disagrees with the Skema, cards of no sagsområde), written by the stock Yjs client into a
/// real room: `GET /sheet`, the CSV and the XLSX hold exactly the expected cells.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fixture_workshop_is_the_same_in_every_export() {
    let server = Server::start_default().await;
    let fixture = sheet_fixture();
    let room = server
        .create_room("Fixture", fixture["template"].as_str().unwrap())
        .await;
    load_sheet_fixture(&server, &room).await;
    let want = &fixture["expected"];
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let header = strings(&want["header"]);
    let rows: Vec<Vec<String>> = want["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(strings)
        .collect();

    let sheet = server.sheet(&room.id, &room.review_token, None).await;
    let got_header: Vec<String> = sheet.layout.iter().map(|c| c.header.clone()).collect();
    assert_eq!(got_header, header, "GET /sheet: layout");
    for (got, want) in sheet.rows.iter().zip(&rows) {
        assert_eq!(&got.cells, want, "GET /sheet: row of {}", want[1]);
    }
    assert_eq!(sheet.rows.len(), rows.len(), "GET /sheet: rows");
    assert_eq!(
        sheet.unplaced,
        strings(&want["unplaced"]),
        "GET /sheet: unplaced"
    );
    let c01 = &row(&sheet, "27-12-boligstoette").cards["asis-7"][0];
    assert_eq!(
        (c01.id.as_str(), c01.comments[0].text.as_str()),
        ("c01", "Tjek tallet med økonomi"),
        "GET /sheet: a card with its comment"
    );

    // Both exports neutralise what a spreadsheet would run (none of the fixture's cells needs it).
    let neutral = |rows: &[Vec<String>]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| {
                r.iter()
                    .cloned()
                    .map(kortvaeg_shared::sheet::neutralise)
                    .collect()
            })
            .collect()
    };
    let mut expected = vec![header.clone()];
    expected.extend(neutral(&rows));
    let resp = server
        .get(
            &format!("/api/rooms/{}/export.csv?sheet=dokumentationsark", room.id),
            Some(&room.review_token),
        )
        .await;
    resp.assert_status(200);
    assert_eq!(parse_csv(&resp.body), expected, "CSV");
    let resp_body = server
        .export_xlsx_body(&room.id, &room.review_token, None)
        .await;
    let xlsx = parse_xlsx_sheet(&resp_body, "Dokumentationsark");
    // calamine leaves out trailing empty cells of the last columns.
    let padded: Vec<Vec<String>> = xlsx
        .into_iter()
        .map(|mut r| {
            r.resize(header.len(), String::new());
            r
        })
        .collect();
    assert_eq!(padded, expected, "XLSX");
}
