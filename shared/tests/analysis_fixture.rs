//! The fixture room `fixtures/analysis.json` (the `kmd-sag-exit` rows plus a row without a number
//! and a `sheet: false` row, six sagsområder, answers of every kind written leniently or of the
//! wrong type, hand-set brugerantal, a "nej" anvendes, two prioritering variants) gives exactly
//! its `expected` answer columns, layout headers, sheet rows and summaries. The same fixture
//! checks the web client's twin (`client-web/src/sync/analysis.ts`, in
//! `client-web/test/analysis.test.mjs`, `npm test`), so the two cannot drift apart.
//!
//! `UPDATE_FIXTURE=1 cargo test -p kortvaeg-shared --test analysis_fixture` writes what the code
//! gives into `expected` (then read it line by line before committing it).

use serde_json::{json, Value};
use yrs::Doc;

use kortvaeg_shared::analysis::{self, Input, Sheet};
use kortvaeg_shared::api::Axis;
use kortvaeg_shared::{projection, schema, Templates};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/analysis.json");

fn fixture() -> Value {
    serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap()
}

/// The fixture as the sheet's input: the template's rows as a new room's control document holds
/// them, then the added rows; the fixture's columns and answers (grouped by sagsområde, as
/// [`analysis::read`] does); the variant's settings.
fn input(f: &Value, prioritering: &Value) -> Input {
    let templates = Templates::built_in().unwrap();
    let template = templates.get(f["template"].as_str().unwrap()).unwrap();
    let control = Doc::new();
    schema::init_control(&control, "Fixture", template);
    let (mut rows, _, _) = projection::structure(&control);
    let added: Vec<Axis> = serde_json::from_value(f["added_rows"].clone()).unwrap();
    rows.extend(added);
    let answers = analysis::group_answers(f["answers"].as_object().unwrap().clone());
    Input {
        rows,
        columns: serde_json::from_value(f["columns"].clone()).unwrap(),
        prioritering: prioritering.as_object().unwrap().clone(),
        answers,
        cards: Vec::new(),
    }
}

/// What the fixture compares of one sheet (the cards' cells are `sheet-cells.json`'s business).
fn variant(name: &Value, sheet: &Sheet) -> Value {
    let rows: Vec<Value> = sheet
        .rows
        .iter()
        .map(|r| {
            json!({
                "sagsomraade_id": r.sagsomraade_id,
                "answers": r.answers,
                "in_analysis": r.in_analysis,
                "brugerantal": r.brugerantal,
                "brugerantal_hand": r.brugerantal_hand,
                "omfang_point": r.omfang_point,
                "omfang": r.omfang,
                "prioritet": r.prioritet,
            })
        })
        .collect();
    json!({
        "name": name,
        "settings": sheet.settings,
        "rows": rows,
        "summaries": sheet.summaries,
    })
}

/// Every number as a float, so that `30` in the fixture equals the sheet's `30.0`.
fn canon(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64().unwrap()),
        Value::Array(a) => Value::Array(a.iter().map(canon).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), canon(v))).collect()),
        other => other.clone(),
    }
}

#[test]
fn the_fixture_room_gives_its_expected_sheet() {
    let mut f = fixture();
    let variants = f["variants"].as_array().unwrap().clone();
    let sheets: Vec<Sheet> = variants
        .iter()
        .map(|v| analysis::sheet(&input(&f, &v["prioritering"])))
        .collect();
    let columns: Vec<Value> = sheets[0]
        .columns
        .iter()
        .map(|c| {
            let mut col = json!({"key": c.key, "header": c.header, "kind": c.kind});
            if let Some(role) = &c.analysis {
                col["analysis"] = json!(role);
            }
            col
        })
        .collect();
    let got = json!({
        "columns": columns,
        "layout": sheets[0].layout.iter().map(|c| c.header.clone()).collect::<Vec<_>>(),
        "variants": variants.iter().zip(&sheets).map(|(v, s)| variant(&v["name"], s)).collect::<Vec<_>>(),
    });
    if std::env::var_os("UPDATE_FIXTURE").is_some() {
        f["expected"] = got;
        std::fs::write(PATH, serde_json::to_string_pretty(&f).unwrap() + "\n").unwrap();
        return;
    }
    let want = &f["expected"];
    assert_eq!(got["columns"], want["columns"], "answer columns");
    assert_eq!(got["layout"], want["layout"], "layout headers");
    let want_variants = want["variants"].as_array().unwrap();
    assert_eq!(
        want_variants.len(),
        variants.len(),
        "one expected per variant"
    );
    for (g, w) in got["variants"]
        .as_array()
        .unwrap()
        .iter()
        .zip(want_variants)
    {
        let name = w["name"].as_str().unwrap();
        assert_eq!(
            canon(&g["settings"]),
            canon(&w["settings"]),
            "{name}: settings"
        );
        let (g_rows, w_rows) = (g["rows"].as_array().unwrap(), w["rows"].as_array().unwrap());
        assert_eq!(g_rows.len(), w_rows.len(), "{name}: rows");
        for (gr, wr) in g_rows.iter().zip(w_rows) {
            assert_eq!(
                canon(gr),
                canon(wr),
                "{name}: row of {}",
                wr["sagsomraade_id"]
            );
        }
        assert_eq!(g["summaries"], w["summaries"], "{name}: summaries");
    }
}
