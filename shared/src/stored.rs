//! A document from what the store keeps of it — a compacted state and a log of updates — and
//! the check that a compaction's state loads back: whatever was stored, a room always loads; and
//! the repair of what a state compacted before the schema gate may hold.

use yrs::updates::decoder::Decode;
use yrs::{
    Array, ArrayRef, Doc, Map, MapRef, Out, ReadTxn, Transact, TransactionMut, Update, WriteTxn,
};

use crate::gate;
use crate::schema::{DocSchema, Shape};

/// Rebuilds a document from its stored state and log, one update at a time: an update that the
/// gate refuses (a log entry stored before the gate existed), that does not decode, or that does
/// not apply is set aside and the rest load. One that fails to apply may have left part of itself
/// in the document, so the document is then rebuilt without it. The compacted state is not gated:
/// the server wrote it from a document it had checked, and refusing it would drop everything.
/// Returns the document and, for each update set aside, its index (the state is 0 when there is
/// one, the log follows) and why.
pub fn rebuild(
    schema: &DocSchema,
    state: Option<&[u8]>,
    log: &[Vec<u8>],
) -> (Doc, Vec<(usize, String)>) {
    let updates: Vec<&[u8]> = state
        .into_iter()
        .chain(log.iter().map(Vec::as_slice))
        .collect();
    let mut aside: std::collections::BTreeMap<usize, String> = Default::default();
    'rebuild: loop {
        let doc = Doc::new();
        for (i, bytes) in updates.iter().enumerate() {
            if aside.contains_key(&i) {
                continue;
            }
            let is_state = i == 0 && state.is_some();
            if !is_state {
                if let Err(refusal) = gate::check(schema, &doc.transact(), bytes) {
                    aside.insert(i, format!("refused by the gate: {refusal}"));
                    continue;
                }
            }
            let update = match Update::decode_v1(bytes) {
                Ok(update) => update,
                Err(e) => {
                    aside.insert(i, format!("does not decode: {e}"));
                    continue;
                }
            };
            if let Err(e) = doc.transact_mut().apply_update(update) {
                aside.insert(i, format!("does not apply: {e}"));
                continue 'rebuild;
            }
        }
        return (doc, aside.into_iter().collect());
    }
}

/// Does `state` load into a fresh document, wholly: every client's items from clock 0 without a
/// gap (the library would integrate what follows a gap, or park it as pending), and nothing left
/// pending?
pub fn loads_back(state: &[u8]) -> Result<(), String> {
    let doc = Doc::new();
    let update = Update::decode_v1(state).map_err(|e| format!("does not decode: {e}"))?;
    for (client, ranges) in update.insertions(true).iter() {
        let mut ranges = ranges.iter();
        match (ranges.next(), ranges.next()) {
            (Some(r), None) if r.start == 0 => {}
            _ => return Err(format!("leaves updates pending: client {client} has a gap")),
        }
    }
    doc.transact_mut()
        .apply_update(update)
        .map_err(|e| format!("does not apply: {e}"))?;
    let txn = doc.transact();
    if txn.store().pending_update().is_some() || txn.store().pending_ds().is_some() {
        return Err("leaves updates pending (they refer to missing items)".into());
    }
    Ok(())
}

/// Removes what the schema has no use for from a loaded document: entries (at any depth under
/// the schema's roots) whose value is a shared type other than `Y.Map`, `Y.Array` and `Y.Text` —
/// an XML type, a hook, a sub-document, a weak link — which the gate refuses today but a state
/// compacted before it may hold (one such entry empties the wall for every stock Yjs client).
/// Returns how many entries it removed; the caller sets the state before aside first. Only
/// needed for a state the gate refuses ([`state_needs_repair`]).
pub fn repair(schema: &DocSchema, txn: &mut TransactionMut) -> usize {
    let mut removed = 0;
    for (name, shape) in schema.roots {
        // A root made by applying updates has no type until it is asked for as one.
        match shape {
            Shape::Map => {
                let map = txn.get_or_insert_map(*name);
                removed += repair_map(txn, &map);
            }
            Shape::Array => {
                let array = txn.get_or_insert_array(*name);
                removed += repair_array(txn, &array);
            }
        }
    }
    removed
}

/// Does a stored state hold what the gate refuses today (it was compacted before the gate)? A
/// state the server compacted since passes, so [`repair`] only walks the documents that need it.
pub fn state_needs_repair(schema: &DocSchema, state: &[u8]) -> bool {
    gate::check(schema, &Doc::new().transact(), state).is_err()
}

/// Whether a value may stay, and the nested types to look into.
enum Verdict {
    Keep,
    Map(MapRef),
    Array(ArrayRef),
    Remove,
}

fn verdict(value: Out) -> Verdict {
    match value {
        Out::Any(_) | Out::YText(_) => Verdict::Keep,
        Out::YMap(map) => Verdict::Map(map),
        Out::YArray(array) => Verdict::Array(array),
        _ => Verdict::Remove,
    }
}

fn repair_map(txn: &mut TransactionMut, map: &MapRef) -> usize {
    let entries: Vec<(String, Out)> = map.iter(txn).map(|(k, v)| (k.to_string(), v)).collect();
    let mut removed = 0;
    for (key, value) in entries {
        match verdict(value) {
            Verdict::Keep => {}
            Verdict::Map(inner) => removed += repair_map(txn, &inner),
            Verdict::Array(inner) => removed += repair_array(txn, &inner),
            Verdict::Remove => {
                map.remove(txn, &key);
                removed += 1;
            }
        }
    }
    removed
}

fn repair_array(txn: &mut TransactionMut, array: &ArrayRef) -> usize {
    let values: Vec<Out> = array.iter(txn).collect();
    let mut removed = 0;
    for (index, value) in values.into_iter().enumerate().rev() {
        match verdict(value) {
            Verdict::Keep => {}
            Verdict::Map(inner) => removed += repair_map(txn, &inner),
            Verdict::Array(inner) => removed += repair_array(txn, &inner),
            Verdict::Remove => {
                array.remove(txn, index as u32);
                removed += 1;
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use yrs::{
        Array, ArrayPrelim, GetString, Map, MapPrelim, TextPrelim, WriteTxn, XmlElementPrelim,
        XmlFragmentPrelim,
    };

    use super::*;
    use crate::schema::WALL;

    #[test]
    fn repair_removes_types_the_schema_has_no_use_for_and_keeps_the_rest() {
        let doc = Doc::with_client_id(7);
        {
            let mut txn = doc.transact_mut();
            let cards = txn.get_or_insert_map("cards");
            let card = cards.insert(&mut txn, "c1", MapPrelim::default());
            card.insert(&mut txn, "text", TextPrelim::new("bliver"));
            card.insert(&mut txn, "xml", XmlFragmentPrelim::default());
            let comments = card.insert(&mut txn, "comments", ArrayPrelim::default());
            comments.push_back(&mut txn, "a");
            comments.push_back(&mut txn, XmlElementPrelim::empty("p"));
            comments.push_back(&mut txn, "b");
            cards.insert(&mut txn, "hook", XmlElementPrelim::empty("div"));
            // Outside the schema's roots: not read, not touched.
            txn.get_or_insert_map("other")
                .insert(&mut txn, "x", XmlElementPrelim::empty("p"));
        }
        // As the server has it: a document rebuilt from the stored state, its roots untyped.
        let doc = {
            let state = doc
                .transact()
                .encode_state_as_update_v1(&yrs::StateVector::default());
            rebuild(&WALL, Some(&state), &[]).0
        };
        let removed = repair(&WALL, &mut doc.transact_mut());
        assert_eq!(removed, 3);
        let mut txn = doc.transact_mut();
        let cards = txn.get_or_insert_map("cards");
        assert_eq!(cards.keys(&txn).collect::<Vec<_>>(), vec!["c1"]);
        let Some(Out::YMap(card)) = cards.get(&txn, "c1") else {
            panic!()
        };
        let mut keys: Vec<&str> = card.keys(&txn).collect();
        keys.sort();
        assert_eq!(keys, vec!["comments", "text"]);
        let Some(Out::YArray(comments)) = card.get(&txn, "comments") else {
            panic!()
        };
        assert_eq!(comments.len(&txn), 2);
        let Some(Out::YText(text)) = card.get(&txn, "text") else {
            panic!()
        };
        assert_eq!(text.get_string(&txn), "bliver");
        drop(txn);
        // Nothing left to remove, and the repaired state loads back.
        assert_eq!(repair(&WALL, &mut doc.transact_mut()), 0);
        loads_back(
            &doc.transact()
                .encode_state_as_update_v1(&yrs::StateVector::default()),
        )
        .unwrap();
    }
}
