//! A template file, as `--templates-dir` files are read, under any bytes.
//!
//! The bytes go through `Template::from_json` (the one loader of built-in and `--templates-dir`
//! templates: JSON, then `Template::validate`). A template it accepts is what a facilitator can
//! make a room from, so it is laid out as the server lays out a new room (`schema::init_control`)
//! and read back as every reader of the room reads it. What must hold (a panic is a finding):
//! - `projection::structure` reads as many rows and columns as the template has, with their ids
//!   and labels, in order;
//! - the room's state loads back as the store loads it (`stored::loads_back`);
//! - the questions read (`analysis::answer_columns`) and the empty room's documentation sheet is
//!   built (`analysis::sheet`) without a panic;
//! - the template written out as JSON loads again as the same template.

#![no_main]

use libfuzzer_sys::fuzz_target;
use yrs::{Doc, ReadTxn, StateVector, Transact};

use kortvaeg_shared::{analysis, projection, schema, stored, Template};

fuzz_target!(|data: &[u8]| {
    let Ok(template) = Template::from_json("fuzz.json", data) else {
        return;
    };
    let control = Doc::new();
    schema::init_control(&control, "Fuzz", &template);
    let (rows, columns, meta) = projection::structure(&control);
    assert_eq!(rows.len(), template.rows.len(), "rows read back");
    assert_eq!(columns.len(), template.columns.len(), "columns read back");
    for (axis, row) in rows.iter().zip(&template.rows) {
        assert_eq!(
            (axis.id.as_str(), axis.label.as_str()),
            (row.id.as_str(), row.label.as_str())
        );
    }
    for (axis, column) in columns.iter().zip(&template.columns) {
        assert_eq!(
            (axis.id.as_str(), axis.label.as_str()),
            (column.id.as_str(), column.label.as_str())
        );
    }
    assert_eq!(
        meta.get("template").and_then(|v| v.as_str()),
        Some(template.id.as_str())
    );

    let state = control
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    stored::loads_back(&state).expect("a new room's control document loads back");

    let _ = analysis::answer_columns(&rows);
    let wall = Doc::new();
    let _ = analysis::sheet(&analysis::read(&wall, &control));

    let json = serde_json::to_vec(&template).expect("a template serialises");
    let again =
        Template::from_json("again.json", &json).expect("a template written out loads again");
    assert_eq!(again, template, "a template written out loads as the same");
});
