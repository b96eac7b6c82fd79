//! The fixture workshop `fixtures/sheet-cells.json` (two groups and a third fagområde, cards and
//! Skema answers, a merge, comments, a moved card, a "nej" sagsområde, a chip card that disagrees
//! with the Skema, cards that belong to no sagsområde) gives exactly its `expected` cells. The same
//! fixture checks the web client's twin (`client-web/src/sync/cells.ts`, in
//! `client-web/e2e/cells.test.mjs`) and the server's exports (`tests/tests/sheet.rs`).
//!
//! `UPDATE_FIXTURE=1 cargo test -p kortvaeg-shared --test sheet_cells` writes what the code gives
//! into `expected` (then read it line by line before committing it).

use serde_json::{json, Map, Value};
use yrs::Doc;

use kortvaeg_shared::analysis::{self, Input};
use kortvaeg_shared::{projection, schema, Templates};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/sheet-cells.json"
);

fn fixture() -> Value {
    serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap()
}

/// The fixture as the sheet's input: the template's rows, the fixture's columns, cards, answers.
fn input(f: &Value) -> Input {
    let templates = Templates::built_in().unwrap();
    let template = templates.get(f["template"].as_str().unwrap()).unwrap();
    let control = Doc::new();
    schema::init_control(&control, "Fixture", template);
    let (rows, _, _) = projection::structure(&control);
    let answers = analysis::group_answers(f["answers"].as_object().unwrap().clone());
    Input {
        rows,
        columns: serde_json::from_value(f["columns"].clone()).unwrap(),
        prioritering: Map::new(),
        answers,
        cards: serde_json::from_value(f["cards"].clone()).unwrap(),
    }
}

#[test]
fn the_fixture_workshop_gives_its_expected_cells() {
    let mut f = fixture();
    let sheet = analysis::sheet(&input(&f));
    let got = json!({
        "header": sheet.layout.iter().map(|c| c.header.clone()).collect::<Vec<_>>(),
        "rows": sheet.rows.iter().map(|r| r.cells.clone()).collect::<Vec<_>>(),
        "unplaced": sheet.unplaced,
    });
    if std::env::var_os("UPDATE_FIXTURE").is_some() {
        f["expected"] = got;
        std::fs::write(PATH, serde_json::to_string_pretty(&f).unwrap() + "\n").unwrap();
        return;
    }
    let want = &f["expected"];
    assert_eq!(got["header"], want["header"], "header");
    let (got_rows, want_rows) = (
        got["rows"].as_array().unwrap(),
        want["rows"].as_array().unwrap(),
    );
    assert_eq!(got_rows.len(), want_rows.len(), "rows");
    for (g, w) in got_rows.iter().zip(want_rows) {
        assert_eq!(g, w, "row of {}", w[1]);
    }
    assert_eq!(got["unplaced"], want["unplaced"], "unplaced cards");
}
