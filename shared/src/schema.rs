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
/// Control document: `Y.Map` column id → `true`, the groups the facilitator has revealed (v2).
pub const REVEALED: &str = "revealed";
/// Control document: `Y.Map` of the room's prioritisation settings (thresholds).
pub const PRIORITERING: &str = "prioritering";

/// Control document `meta` key: `true` in rooms that keep each group's work in its group
/// document (made since v2); rooms without it keep everything on the wall.
pub const GROUP_DOCUMENTS: &str = "group_documents";
/// Control document `meta` key: `"open"` (default) or `"private"`.
pub const VISIBILITY: &str = "visibility";

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
    // A room made now keeps each group's cards and answers in its group document (v2).
    meta.insert(&mut txn, GROUP_DOCUMENTS, true);
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

/// Wall document: `Y.Map` column id → `Y.Map {done, by, at}` (the groups' "vi er færdige").
pub const GROUPS: &str = "groups";

/// What a document of one kind may hold, as far as the server checks it before an update touches
/// the document (the gate, [`crate::gate`]): its root types by name and shape, and the limits on
/// keys and strings. Everything else of the schema (which keys a card has, their value types) is
/// the readers' business: they ignore what they do not know. Documented in `docs/API.md`,
/// "What the server accepts".
#[derive(Debug)]
pub struct DocSchema {
    /// The document kind, as in logs and close reasons (`wall`, `control`).
    pub name: &'static str,
    /// The root types an update may write to, each with its shape.
    pub roots: &'static [(&'static str, Shape)],
}

/// The shape of a shared type: keyed (`Y.Map`) or sequential (`Y.Array`, `Y.Text`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Map,
    Array,
}

impl DocSchema {
    /// The shape of the root named `name`, if the schema has it.
    pub fn root(&self, name: &str) -> Option<Shape> {
        self.roots
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, shape)| *shape)
    }
}

/// The wall: cards, structured answers and the groups' status.
pub const WALL: DocSchema = DocSchema {
    name: "wall",
    roots: &[
        (CARDS, Shape::Map),
        (ANSWERS, Shape::Map),
        (GROUPS, Shape::Map),
    ],
};

/// A group document (v2): one fagområde's cards, answers and "vi er færdige", the same roots as
/// the wall's.
pub const GROUP: DocSchema = DocSchema {
    name: "group",
    roots: &[
        (CARDS, Shape::Map),
        (ANSWERS, Shape::Map),
        (GROUPS, Shape::Map),
    ],
};

/// The control document: meta, questions, fagområder, the prioritisation settings and which
/// groups the facilitator has revealed.
pub const CONTROL: DocSchema = DocSchema {
    name: "control",
    roots: &[
        (META, Shape::Map),
        (ROWS, Shape::Array),
        (COLUMNS, Shape::Array),
        (PRIORITERING, Shape::Map),
        (REVEALED, Shape::Map),
    ],
};

/// Longest map key (a card id, an answer key `<sagsområde id>/<row id>.<field id>`), in bytes.
pub const MAX_KEY_BYTES: usize = 512;

/// Longest string in one update: a chunk of a `Y.Text`, or a string value (also inside a JSON
/// value), in characters. A card is a few lines; this is about ten pages.
pub const MAX_STRING_CHARS: usize = 20_000;

/// Most clients whose items one update may carry. A client sends its own changes (one client),
/// an offline one perhaps those of an earlier client id of its document too.
pub const MAX_CLIENTS: usize = 64;

/// Deepest nesting of a JSON value (arrays and objects in a map or array entry); the templates'
/// row `fields` (an array of objects) are 2 deep.
pub const MAX_VALUE_DEPTH: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    /// The web client cuts its texts where the gate would refuse them: its copy of the limit.
    #[test]
    fn the_web_client_cuts_texts_at_this_limit() {
        let ts = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../client-web/src/sync/schema.ts"
        ))
        .unwrap();
        let copy = format!("export const MAX_TEXT_CHARS = {MAX_STRING_CHARS};");
        assert!(
            ts.contains(&copy),
            "client-web/src/sync/schema.ts must say: {copy}"
        );
    }

    /// `docs/API.md`, "What the server accepts", states the same roots and limits as this file.
    #[test]
    fn the_api_docs_state_this_schema() {
        let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/API.md"))
            .unwrap();
        let section = docs
            .split("### What the server accepts")
            .nth(1)
            .expect("the section")
            .split("\n## ")
            .next()
            .unwrap();
        for schema in [&WALL, &GROUP, &CONTROL] {
            let row = section
                .lines()
                .find(|l| l.starts_with(&format!("| {} |", schema.name)))
                .expect(schema.name);
            for (name, shape) in schema.roots {
                let ty = match shape {
                    Shape::Map => "Y.Map",
                    Shape::Array => "Y.Array",
                };
                assert!(
                    row.contains(&format!("`{name}` (`{ty}`)")),
                    "{name} as {ty} in: {row}"
                );
            }
            assert_eq!(
                row.matches("` (`").count(),
                schema.roots.len(),
                "no other roots in: {row}"
            );
        }
        for limit in [
            MAX_KEY_BYTES,
            MAX_STRING_CHARS,
            MAX_VALUE_DEPTH,
            MAX_CLIENTS,
        ] {
            assert!(
                section.contains(&format!("**{limit}**")),
                "{limit} in the section"
            );
        }
    }
}
