//! A room's question (a row of the control document) read once into typed values: its number,
//! round, answer kind, fields and role in the analysis. The control document holds rows as maps
//! any facilitator's client may have written ([`Axis`]: `{id, label, …}`); this is the one place
//! that reads their keys (the ones [`crate::schema::init_control`] writes from a template), so the
//! sheet's columns ([`crate::analysis`]) and cells ([`crate::cells`]) agree on what a row says.
//! Read leniently, as every reader of the documents: an absent or unknown kind is `text`, a
//! field without an id is skipped.

use serde_json::{Map as JsonMap, Value};

use crate::answer::AnswerKind;
use crate::api::Axis;

/// One question of a room, from its row in the control document.
#[derive(Debug, Clone, PartialEq)]
pub struct RowSpec {
    /// The row id: the answer key of a question without fields, the prefix of its fields' keys.
    pub id: String,
    /// The question's number as written (`"2"`); empty when the row has none.
    pub number: String,
    pub label: String,
    /// The question's own answer kind (used when it has no fields).
    pub kind: AnswerKind,
    /// `as-is`, `to-be`, …; `None` for a row outside the rounds (no place in the sheet).
    pub round: Option<String>,
    /// `group` or `plenum`, when the template says.
    pub scope: Option<String>,
    /// False for `sheet: false`: answered once for the whole room, not per sagsområde.
    pub sheet: bool,
    /// The role of the question's answer in the analysis (`anvendes`, …), if any.
    pub analysis: Option<String>,
    /// The parts of a multi-part question (As-is 4 a–e), in order; a question with any (even
    /// none with an id) is answered by its fields, not by itself.
    pub fields: Vec<FieldSpec>,
}

/// One part of a question.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSpec {
    /// The answer key is `<row id>.<field id>`; a field without an id (empty) has no answer.
    pub id: String,
    /// The field's label; its id when it has none.
    pub label: String,
    pub kind: AnswerKind,
    /// As [`RowSpec::analysis`].
    pub analysis: Option<String>,
}

/// Field roles that name the sagsområde itself: part of a sheet row, not answer columns.
pub const NAMING_ROLES: &[&str] = &["fagomraade", "sagsomraade", "kle"];

fn text(map: &JsonMap<String, Value>, key: &str) -> Option<String> {
    map.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl RowSpec {
    /// Reads a row of the control document.
    pub fn from_axis(row: &Axis) -> RowSpec {
        let extra = &row.extra;
        let number = match extra.get("number") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let fields = match extra.get("fields") {
            Some(Value::Array(fields)) => fields
                .iter()
                .filter_map(Value::as_object)
                .map(|f| {
                    let id = text(f, "id").unwrap_or_default();
                    FieldSpec {
                        label: f
                            .get("label")
                            .and_then(Value::as_str)
                            .unwrap_or(&id)
                            .to_string(),
                        kind: AnswerKind::of(f.get("kind").and_then(Value::as_str)),
                        analysis: f
                            .get("analysis")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        id,
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        RowSpec {
            id: row.id.clone(),
            number,
            label: row.label.clone(),
            kind: AnswerKind::of(extra.get("kind").and_then(Value::as_str)),
            round: text(extra, "round"),
            scope: text(extra, "scope"),
            sheet: extra.get("sheet") != Some(&Value::Bool(false)),
            analysis: extra
                .get("analysis")
                .and_then(Value::as_str)
                .map(str::to_string),
            fields,
        }
    }

    /// Every row of a room, in order.
    pub fn read_all(rows: &[Axis]) -> Vec<RowSpec> {
        rows.iter().map(RowSpec::from_axis).collect()
    }

    /// A question with a place in the sheet: it has a round and is not `sheet: false`.
    pub fn is_sheet_question(&self) -> bool {
        self.round.is_some() && self.sheet
    }

    /// How the sheet names the question: `As-is 2`, or `As-is` for a row without a number.
    pub fn prefix(&self) -> String {
        let round = round_label(self.round.as_deref().unwrap_or_default());
        match self.number.as_str() {
            "" => round.to_string(),
            n => format!("{round} {n}"),
        }
    }

    /// The fields that are answers: those with an id, except the ones naming the sagsområde.
    pub fn answer_fields(&self) -> impl Iterator<Item = &FieldSpec> {
        self.fields.iter().filter(|f| {
            !f.id.is_empty()
                && !f
                    .analysis
                    .as_deref()
                    .is_some_and(|r| NAMING_ROLES.contains(&r))
        })
    }
}

/// A round as the sheet names it: `As-is`, `To-be`, any other as it is.
pub fn round_label(round: &str) -> &str {
    match round {
        "as-is" => "As-is",
        "to-be" => "To-be",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn axis(v: Value) -> Axis {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_row_is_read_leniently() {
        let row = RowSpec::from_axis(&axis(json!({
            "id": "q", "label": "Q", "kind": "colour", "round": "as-is", "number": 3,
            "fields": [{"id": "a", "kind": "ja_nej"}, {"label": "no id"}, "x",
                       {"id": "kle", "label": "KLE", "analysis": "kle"}]
        })));
        assert_eq!(row.kind, AnswerKind::Text);
        assert_eq!(row.number, "3");
        assert_eq!(row.prefix(), "As-is 3");
        assert!(row.is_sheet_question());
        let ids: Vec<&str> = row.fields.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["a", "", "kle"], "the string is not a field");
        assert_eq!(row.fields[0].label, "a");
        assert_eq!(row.fields[0].kind, AnswerKind::JaNej);
        let answers: Vec<&str> = row.answer_fields().map(|f| f.id.as_str()).collect();
        assert_eq!(answers, ["a"]);
    }

    #[test]
    fn rows_outside_the_sheet_and_without_a_number() {
        let plenum = RowSpec::from_axis(&axis(
            json!({"id": "p", "label": "P", "round": "to-be", "sheet": false, "number": "1"}),
        ));
        assert!(!plenum.is_sheet_question());
        let unrounded = RowSpec::from_axis(&axis(json!({"id": "u", "label": "U", "round": ""})));
        assert!(!unrounded.is_sheet_question());
        let bare = RowSpec::from_axis(&axis(json!({"id": "b", "label": "B", "round": "to-be"})));
        assert_eq!(bare.prefix(), "To-be");
        let other = RowSpec::from_axis(&axis(
            json!({"id": "o", "label": "O", "round": "fase", "number": "2"}),
        ));
        assert_eq!(other.prefix(), "fase 2");
    }
}
