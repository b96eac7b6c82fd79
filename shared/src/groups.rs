//! Group documents (v2, `docs/API.md` "Group documents"): who may read a group's document while
//! group work is private, and the room read as one wall — what the sheet, the exports and the
//! snapshots work from: the wall document's cards, answers and "vi er færdige", then those of
//! every group document the reader may read, a card of group X's document in column X whatever
//! its `column` says, and a later document winning a key two share. The web client merges the
//! same way (`client-web/src/sync/docs.ts`).

use std::collections::BTreeSet;

use yrs::{Doc, Map, Out, ReadTxn, Transact};

use crate::restore::copy;
use crate::schema;

/// What the control document says about reading group documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visibility {
    /// `meta.visibility == "private"`: a group's document is read only by its seats and the
    /// facilitator, until revealed.
    pub private: bool,
    /// The control document's `revealed` map: column ids set to `true`.
    pub revealed: BTreeSet<String>,
}

impl Visibility {
    pub fn of(control: &Doc) -> Visibility {
        let txn = control.transact();
        let private = txn
            .get_map(schema::META)
            .and_then(|m| m.get(&txn, schema::VISIBILITY))
            .is_some_and(|v| matches!(v, Out::Any(yrs::Any::String(s)) if &*s == "private"));
        let revealed = txn
            .get_map(schema::REVEALED)
            .map(|m| {
                m.iter(&txn)
                    .filter(|(_, v)| matches!(v, Out::Any(yrs::Any::Bool(true))))
                    .map(|(k, _)| k.to_string())
                    .collect()
            })
            .unwrap_or_default();
        Visibility { private, revealed }
    }

    /// May everyone in the room read group `group`'s document (open, or revealed)?
    pub fn open_to_all(&self, group: &str) -> bool {
        !self.private || self.revealed.contains(group)
    }
}

/// Does the room keep each group's work in its group document (`meta.group_documents`)?
pub fn uses_group_documents(control: &Doc) -> bool {
    let txn = control.transact();
    txn.get_map(schema::META)
        .and_then(|m| m.get(&txn, schema::GROUP_DOCUMENTS))
        .is_some_and(|v| matches!(v, Out::Any(yrs::Any::Bool(true))))
}

/// The roots a wall and a group document share.
pub const ROOTS: [&str; 3] = [schema::CARDS, schema::ANSWERS, schema::GROUPS];

/// The room as one wall: a fresh document holding `wall`'s roots, then each of `groups` (column
/// id, its document) in order, as plain copies.
pub fn merged(wall: &Doc, groups: &[(&str, &Doc)]) -> Doc {
    let out = Doc::new();
    let roots = ROOTS.map(|root| out.get_or_insert_map(root));
    let mut txn = out.transact_mut();
    let sources = std::iter::once((None, wall)).chain(groups.iter().map(|(id, d)| (Some(*id), *d)));
    for (column, doc) in sources {
        let theirs = doc.transact();
        for (root, target) in ROOTS.iter().zip(&roots) {
            let Some(source) = theirs.get_map(*root) else {
                continue;
            };
            for (key, value) in source.iter(&theirs) {
                let inserted = target.insert(&mut txn, key, copy(&value, &theirs));
                if let (Some(column), true, Out::YMap(card)) =
                    (column, *root == schema::CARDS, inserted)
                {
                    card.insert(&mut txn, "column", column);
                }
            }
        }
    }
    drop(txn);
    out
}

/// Shows each card of `wall` (a merged wall, see [`merged`]) by its writer's name now: a card
/// whose `author_id` is a seat of `names` gets that seat's name as its `author` (a renamed person
/// is shown by the new name; a card of no seat keeps the name it was written with).
pub fn name_writers(wall: &Doc, names: &std::collections::HashMap<String, String>) {
    if names.is_empty() {
        return;
    }
    let cards = wall.get_or_insert_map(schema::CARDS);
    let mut txn = wall.transact_mut();
    let renamed: Vec<(yrs::MapRef, String)> = cards
        .iter(&txn)
        .filter_map(|(_, value)| match value {
            Out::YMap(card) => {
                let author = match card.get(&txn, "author_id") {
                    Some(Out::Any(yrs::Any::String(id))) => names.get(&*id).cloned(),
                    _ => None,
                }?;
                Some((card, author))
            }
            _ => None,
        })
        .collect();
    for (card, name) in renamed {
        card.insert(&mut txn, "author", name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::projection;
    use yrs::MapPrelim;

    fn card(doc: &Doc, id: &str, column: &str, text: &str) {
        let cards = doc.get_or_insert_map(schema::CARDS);
        let mut txn = doc.transact_mut();
        cards.insert(
            &mut txn,
            id,
            MapPrelim::from([("row", "r1"), ("column", column), ("text", text)]),
        );
    }

    #[test]
    fn the_merged_wall_places_group_cards_in_their_column_and_later_answers_win() {
        let (wall, a, b) = (Doc::new(), Doc::new(), Doc::new());
        card(&wall, "w1", "a", "plenum");
        card(&a, "a1", "a", "group a");
        card(&b, "b1", "a", "b's card, written into a's column");
        for (doc, value) in [(&wall, "ja"), (&a, "nej")] {
            let answers = doc.get_or_insert_map(schema::ANSWERS);
            answers.insert(&mut doc.transact_mut(), "s1/anvendes", value);
        }
        let view = merged(&wall, &[("a", &a), ("b", &b)]);
        let cards = projection::cards(&view);
        let placed: Vec<(&str, &str)> = cards
            .iter()
            .map(|c| (c.id.as_str(), c.column.as_str()))
            .collect();
        assert_eq!(placed, vec![("a1", "a"), ("b1", "b"), ("w1", "a")]);
        let txn = view.transact();
        let answer = txn
            .get_map(schema::ANSWERS)
            .and_then(|m| m.get(&txn, "s1/anvendes"));
        assert_eq!(answer, Some(Out::Any(yrs::Any::from("nej"))));
    }

    #[test]
    fn cards_show_their_writer_by_the_name_the_seat_has_now() {
        let wall = Doc::new();
        let cards = wall.get_or_insert_map(schema::CARDS);
        {
            let mut txn = wall.transact_mut();
            for (id, author_id) in [("c1", "seat-anne"), ("c2", "device-x")] {
                cards.insert(
                    &mut txn,
                    id,
                    MapPrelim::from([
                        ("row", "r1"),
                        ("column", "a"),
                        ("text", "t"),
                        ("author", "old name"),
                        ("author_id", author_id),
                    ]),
                );
            }
        }
        let view = merged(&wall, &[]);
        name_writers(
            &view,
            &[("seat-anne".to_string(), "Anne Jensen".to_string())].into(),
        );
        let authors: Vec<(String, Option<serde_json::Value>)> = projection::cards(&view)
            .into_iter()
            .map(|c| (c.id, c.extra.get("author").cloned()))
            .collect();
        assert_eq!(
            authors,
            vec![
                ("c1".to_string(), Some(serde_json::json!("Anne Jensen"))),
                ("c2".to_string(), Some(serde_json::json!("old name"))),
            ]
        );
    }

    #[test]
    fn visibility_reads_meta_and_revealed() {
        let control = Doc::new();
        assert_eq!(Visibility::of(&control), Visibility::default());
        assert!(Visibility::of(&control).open_to_all("a"));
        let meta = control.get_or_insert_map(schema::META);
        let revealed = control.get_or_insert_map(schema::REVEALED);
        {
            let mut txn = control.transact_mut();
            meta.insert(&mut txn, schema::VISIBILITY, "private");
            revealed.insert(&mut txn, "a", true);
            revealed.insert(&mut txn, "b", false);
        }
        let v = Visibility::of(&control);
        assert!(v.private);
        assert!(v.open_to_all("a"));
        assert!(!v.open_to_all("b"));
        assert!(!v.open_to_all("c"));
        assert!(!uses_group_documents(&control));
        meta.insert(&mut control.transact_mut(), schema::GROUP_DOCUMENTS, true);
        assert!(uses_group_documents(&control));
    }
}
