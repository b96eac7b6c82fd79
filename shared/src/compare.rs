//! Comparing two states of a room — two snapshots, or a snapshot and now — as the method's As-is
//! and To-be rounds are compared (`docs/API.md`, "Compare"). Both sides are the room as one wall
//! ([`crate::groups::merged`], as the reader may read it) with its control document, read by
//! [`crate::analysis::read`]; everything here is pure over that plain data.
//!
//! - **Per cell** (question × fagområde): the cards *added* (an id only the later side has),
//!   *removed* (only the earlier), *changed* (the same id in the same cell with another text).
//!   A card that **moved** to another cell is removed from its old cell and added to its new one,
//!   each entry naming the other cell (`moved_to` / `moved_from`), so every cell lists what it
//!   lost and gained; with a new text too, the removed entry has the old text, the added the new.
//!   A merge is the merged cards removed and the card they went into changed (its text grew).
//! - **Per sagsområde** (matched by id): every answer of the sheet's answer columns whose value
//!   differs (unanswered counts as a value), old → new as the sheet shows them (`ja`, `høj`,
//!   `12`); and the brugsmønster and løsningsscenarie before and after, changed or not.
//!   A sagsområde only one side has is `added` or `removed`, its answers compared with nothing.
//!
//! Order: the later side's rows, columns and sagsområder in wall order, then those only the
//! earlier side had.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::analysis::{self, role, AnswerColumn, Input, SheetRow};
use crate::api::{Axis, Card};
use crate::question::RowSpec;

/// One side of a comparison as the API names it: a snapshot, or the room now (`seq` null).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Side {
    /// The snapshot's number; `null` for the room as it is now.
    pub seq: Option<u64>,
    /// The snapshot's name, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When the snapshot was taken, or when the room was read (RFC 3339).
    pub taken_at: String,
}

/// A card as a comparison lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CardEntry {
    pub id: String,
    pub text: String,
    /// The sagsområde's label the card carries, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sagsomraade: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// An added card that was in another cell before: that cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<CellRef>,
    /// A removed card that is in another cell now: that cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<CellRef>,
}

/// A card whose text changed in its cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CardChange {
    pub id: String,
    pub before: String,
    pub after: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sagsomraade: Option<String>,
}

/// A cell of the wall: a question (row id) and a fagområde (column id).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct CellRef {
    pub row: String,
    pub column: String,
}

/// What changed in one cell; only cells with a change are listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CellChanges {
    pub row: String,
    pub column: String,
    /// The question as the sheet names it: `As-is 3: <label>`.
    pub row_label: String,
    pub column_label: String,
    pub added: Vec<CardEntry>,
    pub removed: Vec<CardEntry>,
    pub changed: Vec<CardChange>,
}

/// An answer that differs: its column, and the value before and after as the sheet shows it
/// (`null` = unanswered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnswerChange {
    /// The answer key (`asis-3`, `asis-4.a`).
    pub key: String,
    /// The question (row id).
    pub question: String,
    /// `As-is 3: <label>`, as the sheet heads it.
    pub header: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A value before and after, changed or not (`null` = unanswered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BeforeAfter {
    /// The answer key holding it (`null` when the room has no such question).
    pub key: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub changed: bool,
}

/// Whether a sagsområde is on both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    Both,
    Added,
    Removed,
}

/// One sagsområde compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SagsomraadeChanges {
    pub fagomraade_id: String,
    pub fagomraade: String,
    pub sagsomraade_id: String,
    pub sagsomraade: String,
    pub kle: String,
    pub presence: Presence,
    /// The answers that differ, in the sheet's column order.
    pub answers: Vec<AnswerChange>,
    pub brugsmoenster: BeforeAfter,
    pub loesningsscenarie: BeforeAfter,
    /// Anything differs: an answer (brugsmønster and løsningsscenarie are answers), or presence.
    pub changed: bool,
}

/// How many of each.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Counts {
    pub cards_added: usize,
    pub cards_removed: usize,
    pub cards_changed: usize,
    /// Cards that moved (each is also one added and one removed entry).
    pub cards_moved: usize,
    pub answers_changed: usize,
    pub sagsomraader_changed: usize,
}

/// A question or a fagområde of either side, as a comparison names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Place {
    pub id: String,
    /// A question as the sheet names it (`As-is 3: <label>`); a fagområde by its label.
    pub label: String,
}

/// The differences between two states of a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Comparison {
    /// Every question of either side, in wall order (the wall's rows).
    pub rows: Vec<Place>,
    /// Every fagområde of either side, in wall order (the wall's columns).
    pub columns: Vec<Place>,
    /// The cells with a change, in wall order (row, then column).
    pub cells: Vec<CellChanges>,
    /// Every sagsområde of either side, in wall order.
    pub sagsomraader: Vec<SagsomraadeChanges>,
    pub counts: Counts,
}

/// `GET /api/rooms/{id}/compare`: the two sides and their differences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompareView {
    pub from: Side,
    pub to: Side,
    #[serde(flatten)]
    pub comparison: Comparison,
}

/// Compares `before` with `after`.
pub fn compare(before: &Input, after: &Input) -> Comparison {
    let places = |later: &[Axis], earlier: &[Axis], row: bool| -> Vec<Place> {
        union_order(later, earlier)
            .into_iter()
            .map(|a| Place {
                id: a.id.clone(),
                label: axis_label(a, row),
            })
            .collect()
    };
    let rows = places(&after.rows, &before.rows, true);
    let columns = places(&after.columns, &before.columns, false);
    let cells = cells(before, after);
    let sagsomraader = sagsomraader(before, after);
    let counts = Counts {
        cards_added: cells.iter().map(|c| c.added.len()).sum(),
        cards_removed: cells.iter().map(|c| c.removed.len()).sum(),
        cards_changed: cells.iter().map(|c| c.changed.len()).sum(),
        cards_moved: cells
            .iter()
            .flat_map(|c| &c.added)
            .filter(|c| c.moved_from.is_some())
            .count(),
        answers_changed: sagsomraader.iter().map(|s| s.answers.len()).sum(),
        sagsomraader_changed: sagsomraader.iter().filter(|s| s.changed).count(),
    };
    Comparison {
        rows,
        columns,
        cells,
        sagsomraader,
        counts,
    }
}

/// A question as the sheet names it (`As-is 3: <label>`; a row of no round and no number by its
/// label), a fagområde by its label.
fn axis_label(axis: &Axis, row: bool) -> String {
    if row {
        let spec = RowSpec::from_axis(axis);
        if spec.round.is_some() || !spec.number.is_empty() {
            return format!("{}: {}", spec.prefix(), axis.label);
        }
    }
    axis.label.clone()
}

/// The ids of `later` in order, then those only `earlier` has.
fn union_order<'a>(later: &'a [Axis], earlier: &'a [Axis]) -> Vec<&'a Axis> {
    let mut out: Vec<&Axis> = later.iter().collect();
    out.extend(
        earlier
            .iter()
            .filter(|a| !later.iter().any(|b| b.id == a.id)),
    );
    out
}

fn cell_of(card: &Card) -> CellRef {
    CellRef {
        row: card.row.clone(),
        column: card.column.clone(),
    }
}

fn entry(card: &Card) -> CardEntry {
    let text = |k: &str| {
        card.extra
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    CardEntry {
        id: card.id.clone(),
        text: card.text.clone(),
        sagsomraade: text("sagsomraade"),
        author: text("author"),
        moved_from: None,
        moved_to: None,
    }
}

/// What one cell gained, lost and had changed, while the comparison collects it.
type CellLists = (Vec<CardEntry>, Vec<CardEntry>, Vec<CardChange>);

fn cells(before: &Input, after: &Input) -> Vec<CellChanges> {
    let old: HashMap<&str, &Card> = before.cards.iter().map(|c| (c.id.as_str(), c)).collect();
    let new: HashMap<&str, &Card> = after.cards.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut by_cell: BTreeMap<CellRef, CellLists> = BTreeMap::new();
    // Cards in their creation order (projection order), so a cell lists them oldest first.
    for card in &after.cards {
        let here = cell_of(card);
        match old.get(card.id.as_str()) {
            None => by_cell.entry(here).or_default().0.push(entry(card)),
            Some(was) if cell_of(was) != here => {
                let mut e = entry(card);
                e.moved_from = Some(cell_of(was));
                by_cell.entry(here).or_default().0.push(e);
            }
            Some(was) if was.text != card.text => {
                let sagsomraade = entry(card).sagsomraade;
                by_cell.entry(here).or_default().2.push(CardChange {
                    id: card.id.clone(),
                    before: was.text.clone(),
                    after: card.text.clone(),
                    sagsomraade,
                });
            }
            Some(_) => {}
        }
    }
    for card in &before.cards {
        let here = cell_of(card);
        match new.get(card.id.as_str()) {
            None => by_cell.entry(here).or_default().1.push(entry(card)),
            Some(now) if cell_of(now) != here => {
                let mut e = entry(card);
                e.moved_to = Some(cell_of(now));
                by_cell.entry(here).or_default().1.push(e);
            }
            Some(_) => {}
        }
    }
    let rows = union_order(&after.rows, &before.rows);
    let columns = union_order(&after.columns, &before.columns);
    let place =
        |list: &[&Axis], id: &str| list.iter().position(|a| a.id == id).unwrap_or(usize::MAX);
    let label = |list: &[&Axis], id: &str, row: bool| {
        list.iter()
            .find(|a| a.id == id)
            .map(|a| axis_label(a, row))
            .unwrap_or_else(|| id.to_string())
    };
    let mut out: Vec<CellChanges> = by_cell
        .into_iter()
        .map(|(cell, (added, removed, changed))| CellChanges {
            row_label: label(&rows, &cell.row, true),
            column_label: label(&columns, &cell.column, false),
            row: cell.row,
            column: cell.column,
            added,
            removed,
            changed,
        })
        .collect();
    out.sort_by(|a, b| {
        (
            place(&rows, &a.row),
            place(&columns, &a.column),
            &a.row,
            &a.column,
        )
            .cmp(&(
                place(&rows, &b.row),
                place(&columns, &b.column),
                &b.row,
                &b.column,
            ))
    });
    out
}

/// The answer columns of both sides: the later side's, then those only the earlier has.
fn answer_columns<'a>(
    before: &'a [AnswerColumn],
    after: &'a [AnswerColumn],
) -> Vec<&'a AnswerColumn> {
    let mut out: Vec<&AnswerColumn> = after.iter().collect();
    out.extend(
        before
            .iter()
            .filter(|c| !after.iter().any(|a| a.key == c.key)),
    );
    out
}

fn shown(column: &AnswerColumn, row: Option<&SheetRow>) -> Option<String> {
    let value = row?.answers.get(&column.key)?;
    let text = match value {
        Value::String(s) => column.kind.label_of(s).to_string(),
        other => analysis::display(other),
    };
    Some(text).filter(|t| !t.is_empty())
}

fn sagsomraader(before: &Input, after: &Input) -> Vec<SagsomraadeChanges> {
    let (old, new) = (analysis::sheet(before), analysis::sheet(after));
    let columns = answer_columns(&old.columns, &new.columns);
    let find = |rows: &'_ [SheetRow], id: &str| -> Option<usize> {
        rows.iter().position(|r| r.sagsomraade_id == id)
    };
    let mut ids: Vec<&SheetRow> = new.rows.iter().collect();
    ids.extend(
        old.rows
            .iter()
            .filter(|r| find(&new.rows, &r.sagsomraade_id).is_none()),
    );
    let by_role = |role: &str| {
        columns
            .iter()
            .find(|c| c.analysis.as_deref() == Some(role))
            .copied()
    };
    ids.into_iter()
        .map(|row| {
            let was = find(&old.rows, &row.sagsomraade_id).map(|i| &old.rows[i]);
            let now = find(&new.rows, &row.sagsomraade_id).map(|i| &new.rows[i]);
            let answers: Vec<AnswerChange> = columns
                .iter()
                .filter_map(|c| {
                    let (b, a) = (shown(c, was), shown(c, now));
                    (b != a).then(|| AnswerChange {
                        key: c.key.clone(),
                        question: c.question.clone(),
                        header: c.header.clone(),
                        before: b,
                        after: a,
                    })
                })
                .collect();
            let before_after = |role: &str| {
                let c = by_role(role);
                let (b, a) = (c.and_then(|c| shown(c, was)), c.and_then(|c| shown(c, now)));
                BeforeAfter {
                    key: c.map(|c| c.key.clone()),
                    changed: b != a,
                    before: b,
                    after: a,
                }
            };
            let presence = match (was, now) {
                (Some(_), Some(_)) => Presence::Both,
                (None, _) => Presence::Added,
                (_, None) => Presence::Removed,
            };
            SagsomraadeChanges {
                fagomraade_id: row.fagomraade_id.clone(),
                fagomraade: row.fagomraade.clone(),
                sagsomraade_id: row.sagsomraade_id.clone(),
                sagsomraade: row.sagsomraade.clone(),
                kle: row.kle.clone(),
                changed: presence != Presence::Both || !answers.is_empty(),
                presence,
                brugsmoenster: before_after(role::BRUGSMOENSTER),
                loesningsscenarie: before_after(role::LOESNINGSSCENARIE),
                answers,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn axis(v: Value) -> Axis {
        serde_json::from_value(v).unwrap()
    }

    fn card(id: &str, row: &str, column: &str, text: &str) -> Card {
        Card {
            id: id.into(),
            row: row.into(),
            column: column.into(),
            text: text.into(),
            extra: json!({"created_at": id.trim_start_matches('c').parse::<u64>().unwrap_or(0)})
                .as_object()
                .cloned()
                .unwrap(),
        }
    }

    /// A combined room: As-is 3 brugsmønster, As-is 7 free text, To-be 5 ja/nej, løsningsscenarie;
    /// two fagområder, three sagsområder.
    fn room(cards: Vec<Card>, answers: Value) -> Input {
        Input {
            rows: vec![
                axis(
                    json!({"id": "asis-3", "label": "Brugsmønster?", "number": "3", "round": "as-is", "kind": "brugsmoenster", "analysis": "brugsmoenster"}),
                ),
                axis(
                    json!({"id": "asis-7", "label": "Oprydning?", "number": "7", "round": "as-is", "kind": "text"}),
                ),
                axis(
                    json!({"id": "tobe-5", "label": "Forretningskritisk?", "number": "5", "round": "to-be", "kind": "ja_nej", "analysis": "forretningskritisk"}),
                ),
                axis(
                    json!({"id": "tobe-l", "label": "Løsningsscenarie", "round": "to-be", "kind": "loesningsscenarie", "analysis": "loesningsscenarie"}),
                ),
            ],
            columns: vec![
                axis(
                    json!({"id": "bs", "label": "Borgerservice", "sagsomraader": [
                    {"id": "s1", "label": "Hjælp til forsørgelse", "kle": "32.18"},
                    {"id": "s2", "label": "Boligstøtte", "kle": "27.12"}]}),
                ),
                axis(
                    json!({"id": "vs", "label": "Voksenservice", "sagsomraader": [
                    {"id": "s3", "label": "Handicap", "kle": "27.24"}]}),
                ),
            ],
            prioritering: Default::default(),
            answers: answers.as_object().cloned().unwrap(),
            cards,
        }
    }

    fn as_is() -> Input {
        room(
            vec![
                card("c1", "asis-7", "bs", "Sager uden KLE"),
                card("c2", "asis-7", "bs", "Åbne sager"),
                card("c3", "asis-7", "vs", "Journalnotater uden sag"),
                card("c4", "asis-3", "vs", "D"),
            ],
            json!({"s1": {"asis-3": "C", "tobe-5": "ja"}, "s2": {"asis-3": "D"}, "s3": {"asis-3": "D"}}),
        )
    }

    fn to_be() -> Input {
        room(
            vec![
                // c1 unchanged, c2 text changed, c3 moved to To-be 5, c4 removed, c5 new.
                card("c1", "asis-7", "bs", "Sager uden KLE"),
                card("c2", "asis-7", "bs", "Åbne sager: 120"),
                card("c3", "tobe-5", "vs", "Journalnotater uden sag"),
                card("c5", "asis-7", "vs", "Arkivering kræver afklaring"),
            ],
            json!({"s1": {"asis-3": "C", "tobe-5": "nej", "tobe-l": "2"}, "s2": {"asis-3": "E"}, "s3": {"asis-3": "D", "tobe-l": 3}}),
        )
    }

    #[test]
    fn cards_added_removed_changed_and_moved_per_cell() {
        let c = compare(&as_is(), &to_be());
        type Summary<'a> = (String, String, Vec<&'a str>, Vec<&'a str>, Vec<&'a str>);
        let summary: Vec<Summary> = c
            .cells
            .iter()
            .map(|cell| {
                (
                    cell.row.clone(),
                    cell.column.clone(),
                    cell.added.iter().map(|e| e.id.as_str()).collect(),
                    cell.removed.iter().map(|e| e.id.as_str()).collect(),
                    cell.changed.iter().map(|e| e.id.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("asis-3".into(), "vs".into(), vec![], vec!["c4"], vec![]),
                ("asis-7".into(), "bs".into(), vec![], vec![], vec!["c2"]),
                ("asis-7".into(), "vs".into(), vec!["c5"], vec!["c3"], vec![]),
                ("tobe-5".into(), "vs".into(), vec!["c3"], vec![], vec![]),
            ]
        );
        let moved_in = &c.cells[3].added[0];
        assert_eq!(
            moved_in.moved_from,
            Some(CellRef {
                row: "asis-7".into(),
                column: "vs".into()
            })
        );
        assert_eq!(
            c.cells[2].removed[0].moved_to.as_ref().unwrap().row,
            "tobe-5"
        );
        assert_eq!(c.cells[2].added[0].moved_from, None);
        assert_eq!(
            (
                c.cells[1].changed[0].before.as_str(),
                c.cells[1].changed[0].after.as_str()
            ),
            ("Åbne sager", "Åbne sager: 120")
        );
        assert_eq!(c.cells[1].row_label, "As-is 7: Oprydning?");
        assert_eq!(c.cells[1].column_label, "Borgerservice");
        assert_eq!(
            c.counts,
            Counts {
                cards_added: 2,
                cards_removed: 2,
                cards_changed: 1,
                cards_moved: 1,
                answers_changed: 4,
                sagsomraader_changed: 3,
            }
        );
    }

    #[test]
    fn answers_per_sagsomraade_old_to_new_with_brugsmoenster_and_loesningsscenarie() {
        let c = compare(&as_is(), &to_be());
        let s: HashMap<&str, &SagsomraadeChanges> = c
            .sagsomraader
            .iter()
            .map(|s| (s.sagsomraade_id.as_str(), s))
            .collect();
        let changes = |id: &str| -> Vec<(String, Option<String>, Option<String>)> {
            s[id]
                .answers
                .iter()
                .map(|a| (a.key.clone(), a.before.clone(), a.after.clone()))
                .collect()
        };
        assert_eq!(
            changes("s1"),
            vec![
                ("tobe-5".into(), Some("ja".into()), Some("nej".into())),
                ("tobe-l".into(), None, Some("2".into())),
            ]
        );
        assert_eq!(
            changes("s2"),
            vec![("asis-3".into(), Some("D".into()), Some("E".into()))]
        );
        assert_eq!(
            changes("s3"),
            vec![("tobe-l".into(), None, Some("3".into()))]
        );
        assert_eq!(
            s["s2"].brugsmoenster,
            BeforeAfter {
                key: Some("asis-3".into()),
                before: Some("D".into()),
                after: Some("E".into()),
                changed: true
            }
        );
        assert_eq!(
            s["s1"].brugsmoenster,
            BeforeAfter {
                key: Some("asis-3".into()),
                before: Some("C".into()),
                after: Some("C".into()),
                changed: false
            }
        );
        assert_eq!(s["s1"].loesningsscenarie.after.as_deref(), Some("2"));
        assert_eq!(s["s1"].answers[0].header, "To-be 5: Forretningskritisk?");
        assert!(c.sagsomraader.iter().all(|s| s.presence == Presence::Both));
        let order: Vec<&str> = c
            .sagsomraader
            .iter()
            .map(|s| s.sagsomraade_id.as_str())
            .collect();
        assert_eq!(order, ["s1", "s2", "s3"]);
    }

    #[test]
    fn a_state_compared_with_itself_has_no_differences() {
        let c = compare(&to_be(), &to_be());
        assert!(c.cells.is_empty());
        assert_eq!(c.counts, Counts::default());
        assert!(c
            .sagsomraader
            .iter()
            .all(|s| !s.changed && s.answers.is_empty()));
        assert_eq!(c.sagsomraader.len(), 3);
    }

    #[test]
    fn sagsomraader_and_questions_only_one_side_has() {
        let mut after = to_be();
        // s3 and the column of Voksenservice gone; a new question with a card.
        after.columns.truncate(1);
        after.rows.push(axis(
            json!({"id": "q-ny", "label": "Nyt spørgsmål", "kind": "text"}),
        ));
        after.cards = vec![card("c9", "q-ny", "bs", "x")];
        let c = compare(&as_is(), &after);
        let s3 = c
            .sagsomraader
            .iter()
            .find(|s| s.sagsomraade_id == "s3")
            .unwrap();
        assert_eq!(s3.presence, Presence::Removed);
        assert!(s3.changed);
        assert_eq!(s3.brugsmoenster.before.as_deref(), Some("D"));
        assert_eq!(s3.brugsmoenster.after, None);
        assert_eq!(c.sagsomraader.last().unwrap().sagsomraade_id, "s3");
        let reverse = compare(&after, &as_is());
        assert_eq!(
            reverse
                .sagsomraader
                .iter()
                .find(|s| s.sagsomraade_id == "s3")
                .unwrap()
                .presence,
            Presence::Added
        );
        // The new row comes last among the later side's rows; a removed column keeps its label.
        let last = c.cells.last().unwrap();
        assert_eq!(
            (last.row.as_str(), last.row_label.as_str()),
            ("q-ny", "Nyt spørgsmål")
        );
        assert!(c
            .cells
            .iter()
            .any(|cell| cell.column == "vs" && cell.column_label == "Voksenservice"));
    }

    #[test]
    fn closed_answers_are_shown_as_the_sheet_shows_them() {
        let mut before = as_is();
        before.rows.push(axis(json!({"id": "tobe-6", "label": "Kompleksitet", "number": "6", "round": "to-be", "kind": "lav_middel_hoej", "analysis": "kompleksitet"})));
        let mut after = before.clone();
        after.answers = json!({"s1": {"asis-3": "c", "tobe-5": "Ja", "tobe-6": "hoej"}, "s2": {"asis-3": "D"}, "s3": {"asis-3": "D"}})
            .as_object()
            .cloned()
            .unwrap();
        let c = compare(&before, &after);
        let s1 = &c.sagsomraader[0];
        // "c" and "Ja" read as the same answers as "C" and "ja": no change.
        assert_eq!(
            s1.answers,
            vec![AnswerChange {
                key: "tobe-6".into(),
                question: "tobe-6".into(),
                header: "To-be 6: Kompleksitet".into(),
                before: None,
                after: Some("høj".into()),
            }]
        );
    }
}
