//! The documentation sheet: CSV and XLSX exports, header and one row per card, formula-looking
//! values neutralised, `?snapshot=` exports the snapshot's wall.

use kortvaeg_tests::*;
use yrs::{Any, Map, Out, Text};

/// Writes cards whose values a spreadsheet would run as formulas, and others; returns the rows the
/// sheet must have for them, computed from the client's own replicas with the shared sheet code.
async fn fill(f: &Fixture) -> (YClient, Vec<Vec<String>>) {
    let wall = f.wall(Role::Participant).await;
    let control = f.control(Role::Review).await;
    let texts = [
        ("formula", "asis-1", "=1+1"),
        ("plus", "asis-2", "+45 12 34 56 78"),
        ("minus", "asis-2", "-3"),
        ("at", "asis-3", "@SUM(A1:A9)"),
        ("tab", "asis-4", "\tfane"),
        ("cr", "asis-4", "\rvognretur"),
        (
            "plain",
            "asis-5",
            "Ja, vi bruger \"KMD Sag\"\npå to linjer; æøå",
        ),
    ];
    for (id, row, text) in texts {
        wall.add_card(id, row, "borgerservice", text);
    }
    wall.add_card_ytext("ytext", "asis-6", "voksenservice", "=Y.Text formel");
    wall.add_card_fields(
        "fields",
        vec![
            ("row", Any::from("asis-8")),
            ("column", Any::from("teknik-og-miljoe")),
            ("text", Any::from("Felter")),
            ("sagsomraade", Any::from("-Byggesager")),
            ("kle", Any::from("02.00.00")),
            ("author", Any::from("=HYPERLINK(\"http://x\")")),
            ("group", Any::from("@gruppe")),
            ("created_at", Any::from(1_795_000_000_000.0)),
        ],
    );
    wall.barrier().await;
    control.barrier().await;
    let view = projection::wall_view(&wall.doc, &control.doc);
    assert_eq!(view.cards.len(), 9);
    (wall, sheet::card_rows(&view))
}

fn header() -> Vec<String> {
    sheet::CARD_HEADER.iter().map(|s| s.to_string()).collect()
}

fn by_id(rows: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut rows = rows.to_vec();
    rows.sort_by(|a, b| a.last().cmp(&b.last()));
    rows
}

fn row<'a>(rows: &'a [Vec<String>], id: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r.last().map(String::as_str) == Some(id))
        .unwrap_or_else(|| panic!("no row for card {id}: {rows:?}"))
}

fn check_sheet(format: &str, got: &[Vec<String>], want: &[Vec<String>]) {
    assert!(!got.is_empty(), "{format}: empty sheet");
    assert_eq!(got[0], header(), "{format}: header row");
    let body = &got[1..];
    assert_eq!(
        body.len(),
        want.len(),
        "{format}: one row per card; got {body:?}"
    );
    assert_eq!(by_id(body), by_id(want), "{format}: rows");
    // Spot checks, independent of the shared sheet code.
    let text = |id: &str| row(body, id)[5].clone();
    assert_eq!(text("formula"), "'=1+1", "{format}");
    assert_eq!(text("plus"), "'+45 12 34 56 78", "{format}");
    assert_eq!(text("minus"), "'-3", "{format}");
    assert_eq!(text("at"), "'@SUM(A1:A9)", "{format}");
    assert_eq!(text("tab"), "'\tfane", "{format}");
    assert_eq!(text("cr"), "'\rvognretur", "{format}");
    assert_eq!(
        text("plain"),
        "Ja, vi bruger \"KMD Sag\"\npå to linjer; æøå",
        "{format}"
    );
    assert_eq!(
        text("ytext"),
        "'=Y.Text formel",
        "{format}: a Y.Text comes out as its string"
    );
    let fields = row(body, "fields");
    assert_eq!(fields[0], "8", "{format}: question number");
    assert_eq!(fields[2], "Teknik og Miljø", "{format}: fagområde label");
    assert_eq!(fields[3], "'-Byggesager", "{format}: sagsområde");
    assert_eq!(fields[4], "02.00.00", "{format}: KLE");
    assert_eq!(fields[6], "'=HYPERLINK(\"http://x\")", "{format}: author");
    assert_eq!(fields[7], "'@gruppe", "{format}: group");
    assert_eq!(fields[8], "2026-11-18T11:06:40Z", "{format}: created");
    // Rows follow the template's question order.
    let order: Vec<&str> = body.iter().map(|r| r.last().unwrap().as_str()).collect();
    let pos = |id: &str| order.iter().position(|x| *x == id).unwrap();
    assert!(
        pos("formula") < pos("at") && pos("at") < pos("ytext") && pos("ytext") < pos("fields"),
        "{format}: order {order:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_export() {
    let f = Fixture::new().await;
    let (_wall, want) = fill(&f).await;
    let resp = f
        .server
        .get(
            &Server::export_path(&f.room.id, "csv", None),
            Some(&f.room.participant_token),
        )
        .await;
    resp.assert_status(200);
    let ct = resp.content_type.clone().unwrap_or_default();
    assert!(ct.starts_with("text/csv"), "CSV content type {ct:?}");
    let text = String::from_utf8(resp.body.clone()).expect("CSV is UTF-8");
    assert!(
        text.trim_start_matches('\u{feff}')
            .starts_with("Spørgsmål nr.,Spørgsmål,Fagområde,"),
        "CSV starts {:?}",
        &text[..text.len().min(80)]
    );
    check_sheet("CSV", &parse_csv(&resp.body), &want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xlsx_export() {
    let f = Fixture::new().await;
    let (_wall, want) = fill(&f).await;
    let resp = f
        .server
        .get(
            &Server::export_path(&f.room.id, "xlsx", None),
            Some(&f.room.review_token),
        )
        .await;
    resp.assert_status(200);
    let ct = resp.content_type.clone().unwrap_or_default();
    assert!(ct.contains("spreadsheetml"), "XLSX content type {ct:?}");
    check_sheet("XLSX", &parse_xlsx(&resp.body), &want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_room_exports_only_the_header() {
    let f = Fixture::new().await;
    let csv = f
        .server
        .export_csv(&f.room.id, &f.room.facilitator_token, None)
        .await;
    assert_eq!(csv, vec![header()]);
    let xlsx = f
        .server
        .export_xlsx(&f.room.id, &f.room.facilitator_token, None)
        .await;
    assert_eq!(xlsx, vec![header()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_of_a_snapshot() {
    let f = Fixture::new().await;
    let room = &f.room.id;
    let fac = &f.room.facilitator_token;
    let (wall, want) = fill(&f).await;
    let snap = f.server.take_snapshot(room, fac).await;
    wall.add_card("later", "asis-1", "borgerservice", "efter snapshot");
    wall.remove_card("plain");
    wall.barrier().await;

    let ids = |rows: &[Vec<String>]| {
        let mut ids: Vec<String> = rows[1..]
            .iter()
            .map(|r| r.last().unwrap().clone())
            .collect();
        ids.sort();
        ids
    };
    let now_csv = f.server.export_csv(room, fac, None).await;
    assert!(
        ids(&now_csv).contains(&"later".to_string())
            && !ids(&now_csv).contains(&"plain".to_string()),
        "current export: {:?}",
        ids(&now_csv)
    );

    let snap_csv = f
        .server
        .export_csv(room, &f.room.participant_token, Some(snap.seq))
        .await;
    check_sheet("CSV of the snapshot", &snap_csv, &want);
    let snap_xlsx = f
        .server
        .export_xlsx(room, &f.room.review_token, Some(snap.seq))
        .await;
    check_sheet("XLSX of the snapshot", &snap_xlsx, &want);
}

/// Excel's limit on a cell's text, in UTF-16 code units.
const CELL_MAX: usize = 32_767;

/// `n` characters of text, starting with `start`.
fn long_text(start: &str, n: usize) -> String {
    let text: String = start
        .chars()
        .chain("Lang tekst med æøå. ".chars().cycle())
        .take(n)
        .collect();
    assert_eq!(text.chars().count(), n);
    text
}

/// An XLSX cell that held `whole` (as the CSV has it): within the limit, the beginning of `whole`,
/// then the marker with `whole`'s length.
fn assert_cut(what: &str, cell: &str, whole: &str) {
    let units = cell.encode_utf16().count();
    assert!(
        units <= CELL_MAX,
        "{what}: {units} UTF-16 units in one cell"
    );
    let marker = format!(
        "… [afkortet: {} tegn i alt; hele teksten i CSV-eksporten]",
        whole.chars().count()
    );
    let tail: String = cell
        .chars()
        .rev()
        .take(80)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let kept = cell
        .strip_suffix(&marker)
        .unwrap_or_else(|| panic!("{what}: no marker {marker:?} at the end: …{tail:?}"));
    assert!(
        whole.starts_with(kept),
        "{what}: the cell is not the beginning of the text"
    );
    assert!(
        units > CELL_MAX - 2,
        "{what}: cut to {units} UTF-16 units, more than needed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn texts_over_a_cells_limit_are_cut_in_xlsx_and_whole_in_csv() {
    let f = Fixture::new().await;
    let (room, fac) = (&f.room.id, &f.room.facilitator_token);
    let control = f.control(Role::Facilitator).await;
    control.add_sagsomraade("borgerservice", "lange-svar", "Lange svar", "01.02");
    control.barrier().await;
    let wall = f.wall(Role::Participant).await;
    // A Y.Text of 40,000 characters, typed in two updates (one update carries at most
    // schema::MAX_STRING_CHARS of it).
    let card = long_text("=", 2 * schema::MAX_STRING_CHARS);
    let (first, rest) = card.split_at(card.char_indices().nth(schema::MAX_STRING_CHARS).unwrap().0);
    wall.add_card_ytext("lang", "asis-7", "borgerservice", first);
    let cards = wall.doc.get_or_insert_map(schema::CARDS);
    wall.transact(|txn| {
        let Some(Out::YMap(lang)) = cards.get(txn, "lang") else {
            panic!("no card lang")
        };
        let Some(Out::YText(text)) = lang.get(txn, "text") else {
            panic!("card lang has no Y.Text")
        };
        text.push(txn, rest);
    });
    // Within the characters one update may carry, but twice as many UTF-16 units (what Excel
    // counts): over a cell's limit all the same.
    let emoji = "😀".repeat(schema::MAX_STRING_CHARS);
    let answer: String = "Svar: "
        .chars()
        .chain(std::iter::repeat('😀'))
        .take(schema::MAX_STRING_CHARS)
        .collect();
    wall.add_card("emoji", "asis-8", "borgerservice", &emoji);
    wall.set_answer("lange-svar", "asis-7", answer.as_str());
    wall.barrier().await;
    assert_eq!(
        wall.card("lang").expect("card lang").text.chars().count(),
        40_000
    );
    let snap = f.server.take_snapshot(room, fac).await;

    for snapshot in [None, Some(snap.seq)] {
        let of = |what: &str| {
            format!(
                "{what} ({})",
                snapshot.map_or("live".to_string(), |s| format!("snapshot {s}"))
            )
        };
        let resp = f
            .server
            .get(&Server::export_path(room, "xlsx", snapshot), Some(fac))
            .await;
        resp.assert_status(200);
        let kort = parse_xlsx(&resp.body);
        assert_cut(
            &of("XLSX card"),
            &row(&kort[1..], "lang")[5],
            &format!("'{card}"),
        );
        assert_cut(&of("XLSX emoji card"), &row(&kort[1..], "emoji")[5], &emoji);
        let doc = parse_xlsx_sheet(&resp.body, "Dokumentationsark");
        let col = doc[0]
            .iter()
            .position(|h| h.starts_with("As-is 7:"))
            .expect("an As-is 7 column");
        // The question's cell: the answer, then the card "lang" (cards::cells).
        let cell = format!("{answer}\n• {card}");
        assert_cut(&of("XLSX answer and card"), &doc[1][col], &cell);

        let csv = f.server.export_csv(room, fac, snapshot).await;
        assert_eq!(
            row(&csv[1..], "lang")[5],
            format!("'{card}"),
            "{}",
            of("CSV card: the whole text")
        );
        assert_eq!(
            row(&csv[1..], "emoji")[5],
            emoji,
            "{}",
            of("CSV emoji card: the whole text")
        );
        let path = match snapshot {
            Some(seq) => {
                format!("/api/rooms/{room}/export.csv?sheet=dokumentationsark&snapshot={seq}")
            }
            None => format!("/api/rooms/{room}/export.csv?sheet=dokumentationsark"),
        };
        let resp = f.server.get(&path, Some(fac)).await;
        resp.assert_status(200);
        let doc_csv = parse_csv(&resp.body);
        assert_eq!(
            doc_csv[1][col],
            format!("{answer}\n• {card}"),
            "{}",
            of("documentation CSV: the whole answer and card")
        );
    }
}

/// Whether a spreadsheet could take `cell` for a formula: what every exported cell must not start with.
fn looks_like_formula(cell: &str) -> bool {
    cell.starts_with([
        '=', '+', '-', '@', '\t', '\r', '\n', ' ', '＝', '＋', '－', '＠',
    ])
}

fn assert_no_formulas(what: &str, rows: &[Vec<String>]) {
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            assert!(
                !looks_like_formula(cell),
                "{what}: row {r} column {c} starts like a formula: {cell:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_and_labels_from_the_room_are_neutralised() {
    let f = Fixture::new().await;
    let (room, fac) = (&f.room.id, &f.room.facilitator_token);
    let control = f.control(Role::Facilitator).await;
    // An answer's header is `<round> <number>: <label>`, all of it the facilitator's text.
    control.set_axis_entry(
        schema::ROWS,
        "asis-2",
        "round",
        "=HYPERLINK(\"http://x\",\"klik\")",
    );
    control.set_axis_entry(schema::ROWS, "asis-3", "round", " =1+1");
    control.set_axis_entry(schema::ROWS, "asis-7", "round", "＝1");
    control.set_axis_entry(schema::ROWS, "asis-8", "label", "-SUM(1)");
    control.set_axis_entry(
        schema::COLUMNS,
        "borgerservice",
        "label",
        "=HYPERLINK(\"http://y\")",
    );
    control.add_sagsomraade("borgerservice", "s1", "＋Sagsområde", "@1");
    control.barrier().await;
    let wall = f.wall(Role::Participant).await;
    wall.add_card("kort", "asis-8", "borgerservice", "\nny linje");
    wall.set_answer("s1", "asis-8", " =2+2");
    wall.barrier().await;

    let doc_csv = {
        let resp = f
            .server
            .get(
                &format!("/api/rooms/{room}/export.csv?sheet=dokumentationsark"),
                Some(fac),
            )
            .await;
        resp.assert_status(200);
        parse_csv(&resp.body)
    };
    let resp = f
        .server
        .get(&Server::export_path(room, "xlsx", None), Some(fac))
        .await;
    resp.assert_status(200);
    let doc_xlsx = parse_xlsx_sheet(&resp.body, "Dokumentationsark");
    for (what, doc) in [
        ("documentation CSV", &doc_csv),
        ("XLSX Dokumentationsark", &doc_xlsx),
    ] {
        assert_no_formulas(what, doc);
        let head = &doc[0];
        for want in [
            "'=HYPERLINK(\"http://x\",\"klik\") 2: ",
            "' =1+1 3: ",
            "'＝1 7: ",
        ] {
            assert!(
                head.iter().any(|h| h.starts_with(want)),
                "{what}: no header starting {want:?} in {head:?}"
            );
        }
        assert!(
            head.iter().any(|h| h == "As-is 8: -SUM(1)"),
            "{what}: {head:?}"
        );
        assert_eq!(
            doc[1][..3],
            ["'=HYPERLINK(\"http://y\")", "'＋Sagsområde", "'@1"],
            "{what}: names"
        );
        let col = head.iter().position(|h| h.starts_with("As-is 8:")).unwrap();
        assert_eq!(
            doc[1][col], "' =2+2\n• ny linje",
            "{what}: the answer, then the card (its text trimmed)"
        );
    }
    let kort_csv = f.server.export_csv(room, fac, None).await;
    let kort_xlsx = parse_xlsx(&resp.body);
    for (what, kort) in [("card CSV", &kort_csv), ("XLSX Kort", &kort_xlsx)] {
        assert_no_formulas(what, kort);
        assert_eq!(kort[0], header(), "{what}");
        let card = row(&kort[1..], "kort");
        assert_eq!(
            card[1..3],
            ["'-SUM(1)", "'=HYPERLINK(\"http://y\")"],
            "{what}: question and fagområde labels"
        );
        assert_eq!(card[5], "'\nny linje", "{what}: text");
    }
}
