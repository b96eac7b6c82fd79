//! The screening list import, from the file's bytes to the documents, under any bytes.
//!
//! Each input is read twice:
//! - as the uploaded file: CSV or XLSX by the server's own sniffing (`Format::sniff`), then
//!   `screening_file::read`, within its limits;
//! - as the inside of a workbook: the bytes before the first NUL are the first sheet's XML, those
//!   after it the shared strings' XML, zipped by this target into an otherwise ordinary XLSX with
//!   the right checksums. A mutated workbook almost never gets past the zip reader's CRC check;
//!   this way calamine's XML reading is reached with any sheet the fuzzer makes.
//!
//! Whatever reads is `screening::parse`d against the anvendes header of a room made from the
//! `kmd-sag-exit` template, and a list that parses is written as the server writes it:
//! `write_structure` into the room's control document, `write_answers` into its wall. What must
//! hold (a panic, or an allocation past libFuzzer's limit, is a finding):
//! - every row reads back through `screening::columns`: its sagsområde (id, label, KLE) in a
//!   column of its fagområde, and the columns and sagsområder added are those the plan said;
//! - the wall has each row's anvendes answer, and as many were set as rows had one;
//! - the changes load back as the store would load them after a restart (`stored::rebuild`: the
//!   schema gate passes them and they apply), into the same documents;
//! - importing the same list again adds nothing.

#![no_main]

use std::io::Write;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use yrs::types::ToJson;
use yrs::updates::decoder::Decode;
use yrs::{Any, Doc, Map, ReadTxn, StateVector, Transact, Update};

use kortvaeg_shared::analysis::{self, role};
use kortvaeg_shared::schema::{self, CONTROL, GROUP, WALL};
use kortvaeg_shared::screening::{self, ScreeningRow};
use kortvaeg_shared::screening_file::{self, Format, MAX_FILE_BYTES};
use kortvaeg_shared::{projection, stored, Templates};

/// A new room's control document (template `kmd-sag-exit`) and its anvendes header.
struct Room {
    control_state: Vec<u8>,
    anvendes: Option<(String, String)>,
}

fn room() -> &'static Room {
    static ROOM: OnceLock<Room> = OnceLock::new();
    ROOM.get_or_init(|| {
        let templates = Templates::built_in().expect("the built-in templates load");
        let control = Doc::new();
        schema::init_control(
            &control,
            "Fuzz",
            templates.get("kmd-sag-exit").expect("kmd-sag-exit"),
        );
        let (rows, _, _) = projection::structure(&control);
        let anvendes = analysis::answer_columns(&rows)
            .into_iter()
            .find(|c| c.analysis.as_deref() == Some(role::ANVENDES))
            .map(|c| (c.key, c.header));
        let control_state = control
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        Room {
            control_state,
            anvendes,
        }
    })
}

fn doc_of(state: &[u8]) -> Doc {
    let doc = Doc::new();
    doc.transact_mut()
        .apply_update(Update::decode_v1(state).expect("a state decodes"))
        .expect("a state applies");
    doc
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Ark1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

/// A workbook (stored, not deflated) whose first sheet and shared strings are `sheet` and `strings`.
fn workbook(sheet: &[u8], strings: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in [
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", strings),
    ] {
        zip.start_file(name, stored).expect("a zip part starts");
        zip.write_all(bytes).expect("a zip part is written");
    }
    zip.finish().expect("a zip is finished").into_inner()
}

/// A label as the plan compares them.
fn same(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

fn import(table: &screening_file::Table) {
    let room = room();
    assert!(table.first_row >= 1, "row numbers start at 1");
    let Ok(rows) = screening::parse(
        &table.records,
        table.first_row,
        room.anvendes.as_ref().map(|(_, h)| h.as_str()),
    ) else {
        return;
    };
    assert!(!rows.is_empty() && rows.len() <= screening::MAX_ROWS);
    let control = doc_of(&room.control_state);
    let before = screening::columns(&control.transact());
    let (plan, control_update) = {
        let mut txn = control.transact_mut();
        let plan = screening::write_structure(&mut txn, &rows);
        (plan, txn.encode_update_v1())
    };
    assert_eq!(plan.targets.len(), rows.len());
    let after = screening::columns(&control.transact());
    assert_eq!(
        after.len(),
        before.len() + plan.new_columns.len(),
        "columns added as planned"
    );
    let count =
        |columns: &[screening::Column]| columns.iter().map(|c| c.sagsomraader.len()).sum::<usize>();
    assert_eq!(
        count(&after),
        count(&before) + plan.new_sagsomraader.len(),
        "sagsområder added as planned"
    );
    for (row, target) in rows.iter().zip(&plan.targets) {
        check_row(&after, row, target);
    }

    let wall = Doc::new();
    let key = room
        .anvendes
        .as_ref()
        .map(|(k, _)| k.as_str())
        .unwrap_or("anvendes");
    let (set, wall_update) = {
        let mut txn = wall.transact_mut();
        let set = screening::write_answers(&mut txn, key, &rows, &plan.targets);
        (set, txn.encode_update_v1())
    };
    assert_eq!(set, rows.iter().filter(|r| r.anvendes.is_some()).count());
    {
        let txn = wall.transact();
        let answers = txn.get_map(schema::ANSWERS).expect("the answers map");
        for (row, target) in rows.iter().zip(&plan.targets) {
            // The last row naming a sagsområde with an answer is the one that stays.
            let last = rows
                .iter()
                .zip(&plan.targets)
                .filter(|(r, t)| *t == target && r.anvendes.is_some())
                .last()
                .and_then(|(r, _)| r.anvendes);
            let got = answers
                .get(&txn, &analysis::answer_key(target, key))
                .map(|v| v.to_json(&txn));
            let want = last.map(|a| Any::from(if a { "ja" } else { "nej" }));
            assert_eq!(got, want, "the anvendes answer of row {}", row.row);
        }
    }

    // After a restart the store rebuilds the documents from their state and log, gated.
    let (reloaded, aside) = stored::rebuild(&CONTROL, Some(&room.control_state), &[control_update]);
    assert!(
        aside.is_empty(),
        "the import's control change does not reload: {aside:?}"
    );
    assert_eq!(screening::columns(&reloaded.transact()), after);
    for schema in [&WALL, &GROUP] {
        let (reloaded, aside) = stored::rebuild(schema, None, std::slice::from_ref(&wall_update));
        assert!(
            aside.is_empty(),
            "the import's answers do not reload: {aside:?}"
        );
        assert_eq!(answers_json(&reloaded), answers_json(&wall));
    }

    // The same list again matches what is there.
    let again = screening::write_structure(&mut control.transact_mut(), &rows);
    assert!(
        again.new_columns.is_empty() && again.new_sagsomraader.is_empty(),
        "a second import added {again:?}"
    );
    assert_eq!(again.targets, plan.targets);
    assert_eq!(again.matched, rows.len());
}

/// The `answers` map as JSON, its keys sorted (none: an update that sets nothing does not make
/// the root).
fn answers_json(doc: &Doc) -> String {
    let txn = doc.transact();
    match txn.get_map(schema::ANSWERS).map(|m| m.to_json(&txn)) {
        Some(answers) => serde_json::to_value(&answers)
            .map(|v| v.to_string())
            .unwrap_or_default(),
        None => "{}".to_string(),
    }
}

fn check_row(columns: &[screening::Column], row: &ScreeningRow, target: &str) {
    let found = columns.iter().find_map(|c| {
        c.sagsomraader
            .iter()
            .find(|s| s.id == target)
            .map(|s| (c, s))
    });
    let Some((column, sagsomraade)) = found else {
        panic!("row {}: its sagsområde {target:?} is in no column", row.row);
    };
    assert!(
        same(&column.label, &row.fagomraade),
        "row {}: in column {:?}",
        row.row,
        column.label
    );
    assert!(
        same(&sagsomraade.label, &row.sagsomraade),
        "row {}: as {:?}",
        row.row,
        sagsomraade.label
    );
    assert_eq!(sagsomraade.kle, row.kle, "row {}", row.row);
}

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_FILE_BYTES {
        return;
    }
    let format = Format::sniff("text/csv", data);
    if let Ok(table) = screening_file::read(format, data) {
        import(&table);
    }
    if format == Format::Csv {
        let (sheet, strings) = match data.iter().position(|b| *b == 0) {
            Some(at) => (&data[..at], &data[at + 1..]),
            None => (data, &b"<sst/>"[..]),
        };
        if let Ok(table) = screening_file::read(Format::Xlsx, &workbook(sheet, strings)) {
            import(&table);
        }
    }
});
