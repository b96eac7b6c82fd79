//! Names of the root types of the two documents of a room, and the layout of a new room's
//! control document. The full schema is described in `docs/API.md`.

use yrs::{Any, Array, Doc, Map, MapPrelim, Transact};

use crate::template::Template;

/// Wall document: `Y.Map` card id → `Y.Map` card.
pub const CARDS: &str = "cards";
/// Control document: `Y.Map` with `title`, `template`, `phase`.
pub const META: &str = "meta";
/// Control document: `Y.Array` of `Y.Map {id, label, …}`, the questions.
pub const ROWS: &str = "rows";
/// Control document: `Y.Array` of `Y.Map {id, label, …}`, the fagområder.
pub const COLUMNS: &str = "columns";
/// Wall document: `Y.Map` sagsområde id → `Y.Map` of its structured answers.
pub const ANSWERS: &str = "answers";
/// Control document: `Y.Map` of the room's prioritisation settings (thresholds).
pub const PRIORITERING: &str = "prioritering";

/// Phases of a workshop, the value of `meta.phase`.
pub mod phase {
    /// Group work; the phase a new room starts in.
    pub const GROUP: &str = "group";
    /// The whole room together, facilitator leading.
    pub const PLENUM: &str = "plenum";
    /// The wall is read-only for participants.
    pub const CLOSED: &str = "closed";
}

/// Writes the initial control document of a room made from `template` into `doc`.
pub fn init_control(doc: &Doc, title: &str, template: &Template) {
    let meta = doc.get_or_insert_map(META);
    let rows = doc.get_or_insert_array(ROWS);
    let columns = doc.get_or_insert_array(COLUMNS);
    let mut txn = doc.transact_mut();
    meta.insert(&mut txn, "title", title);
    meta.insert(&mut txn, "template", template.id.as_str());
    meta.insert(&mut txn, "phase", phase::GROUP);
    for row in &template.rows {
        let mut entries: Vec<(String, Any)> = vec![
            ("id".into(), Any::from(row.id.as_str())),
            ("label".into(), Any::from(row.label.as_str())),
            ("number".into(), Any::from(row.number.as_str())),
            ("kind".into(), Any::from(row.kind.as_str())),
        ];
        if let Some(round) = &row.round {
            entries.push(("round".into(), Any::from(round.as_str())));
        }
        if let Some(scope) = &row.scope {
            entries.push(("scope".into(), Any::from(scope.as_str())));
        }
        if let Some(help) = &row.help {
            entries.push(("help".into(), Any::from(help.as_str())));
        }
        if let Some(analysis) = &row.analysis {
            entries.push(("analysis".into(), Any::from(analysis.as_str())));
        }
        if let Some(sheet) = row.sheet {
            entries.push(("sheet".into(), Any::from(sheet)));
        }
        if !row.fields.is_empty() {
            let fields: Vec<Any> = row
                .fields
                .iter()
                .map(|f| {
                    let mut field = std::collections::HashMap::from([
                        ("id".to_string(), Any::from(f.id.as_str())),
                        ("label".to_string(), Any::from(f.label.as_str())),
                        ("kind".to_string(), Any::from(f.kind.as_str())),
                    ]);
                    if let Some(analysis) = &f.analysis {
                        field.insert("analysis".to_string(), Any::from(analysis.as_str()));
                    }
                    Any::from(field)
                })
                .collect();
            entries.push(("fields".into(), Any::from(fields)));
        }
        rows.push_back(&mut txn, MapPrelim::from_iter(entries));
    }
    for col in &template.columns {
        columns.push_back(
            &mut txn,
            MapPrelim::from_iter([
                ("id".to_string(), Any::from(col.id.as_str())),
                ("label".to_string(), Any::from(col.label.as_str())),
            ]),
        );
    }
}
