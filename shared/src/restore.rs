//! Rolling a document back to a snapshot, as an ordinary change (v2 "roll back"): inside one
//! transaction of the live document, every key of the given root maps whose value differs from the
//! snapshot's is set to a copy of the snapshot's value, every key the snapshot does not have is
//! removed, and every key only the snapshot has comes back. What is equal is not touched, so a
//! client that was offline merges as usual: what it added meanwhile under new keys (a card) stays.
//! A restored value is a fresh copy: a `Y.Text` comes back as a plain string (readers take both),
//! maps and arrays as new shared maps and arrays.

use yrs::types::ToJson;
use yrs::{
    Any, ArrayPrelim, Doc, In, Map, MapPrelim, Out, ReadTxn, Transact, TransactionMut, WriteTxn,
};

/// Makes the root maps `roots` of `txn`'s document equal to those of `snapshot`. Returns how many
/// keys changed.
pub fn restore(txn: &mut TransactionMut, snapshot: &Doc, roots: &[&str]) -> usize {
    let theirs = snapshot.transact();
    let mut changed = 0;
    for root in roots {
        let ours = txn.get_or_insert_map(*root);
        let target = theirs.get_map(*root);
        let current: Vec<(String, Any)> = ours
            .iter(txn)
            .map(|(k, v)| (k.to_string(), v.to_json(txn)))
            .collect();
        for (key, value) in &current {
            let wanted = target.as_ref().and_then(|t| t.get(&theirs, key));
            match wanted {
                None => {
                    ours.remove(txn, key);
                    changed += 1;
                }
                Some(w) if w.to_json(&theirs) != *value => {
                    ours.insert(txn, key.clone(), copy(&w, &theirs));
                    changed += 1;
                }
                Some(_) => {}
            }
        }
        if let Some(target) = target {
            for (key, value) in target.iter(&theirs) {
                if !current.iter().any(|(k, _)| k == key) {
                    ours.insert(txn, key, copy(&value, &theirs));
                    changed += 1;
                }
            }
        }
    }
    changed
}

/// A fresh copy of a value of another document.
pub(crate) fn copy<T: ReadTxn>(value: &Out, txn: &T) -> In {
    match value {
        Out::Any(any) => In::Any(any.clone()),
        Out::YMap(map) => In::Map(MapPrelim::from_iter(
            map.iter(txn).map(|(k, v)| (k.to_string(), copy(&v, txn))),
        )),
        Out::YArray(array) => {
            use yrs::Array;
            In::Array(ArrayPrelim::from_iter(
                array.iter(txn).map(|v| copy(&v, txn)).collect::<Vec<In>>(),
            ))
        }
        Out::YText(text) => {
            use yrs::GetString;
            In::Any(Any::from(text.get_string(txn)))
        }
        // Nothing else passes the schema gate; as a value it would be unreadable anyway.
        other => In::Any(other.to_json(txn)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{GetString, Text, TextPrelim};

    fn card(doc: &Doc, id: &str, text: &str) {
        let mut txn = doc.transact_mut();
        let cards = txn.get_or_insert_map("cards");
        let card = cards.insert(&mut txn, id, MapPrelim::default());
        card.insert(&mut txn, "text", text);
        let comments = card.insert(&mut txn, "comments", ArrayPrelim::default());
        use yrs::Array;
        comments.push_back(
            &mut txn,
            MapPrelim::from_iter([("text", In::Any(Any::from("k")))]),
        );
    }

    fn json(doc: &Doc) -> Any {
        let txn = doc.transact();
        txn.get_map("cards")
            .map(|m| m.to_json(&txn))
            .unwrap_or(Any::Null)
    }

    #[test]
    fn a_document_returns_to_the_snapshot_and_what_is_equal_is_left_alone() {
        let live = Doc::with_client_id(1);
        card(&live, "a", "A");
        card(&live, "b", "B");
        let snapshot = Doc::new();
        snapshot
            .transact_mut()
            .apply_update(
                yrs::Update::decode_v1(
                    &live
                        .transact()
                        .encode_state_as_update_v1(&yrs::StateVector::default()),
                )
                .unwrap(),
            )
            .unwrap();
        let before = json(&live);
        // After the snapshot: a deleted, b edited (its text a Y.Text now), c added.
        {
            let mut txn = live.transact_mut();
            let cards = txn.get_or_insert_map("cards");
            cards.remove(&mut txn, "a");
            if let Some(Out::YMap(b)) = cards.get(&txn, "b") {
                let text = b.insert(&mut txn, "text", TextPrelim::new("B edited"));
                text.push(&mut txn, "!");
                assert_eq!(text.get_string(&txn), "B edited!");
            }
        }
        card(&live, "c", "C");
        let sv = live.transact().state_vector();
        let changed = restore(&mut live.transact_mut(), &snapshot, &["cards", "answers"]);
        assert_eq!(changed, 3, "a back, b restored, c removed");
        assert_eq!(json(&live), before);
        // An ordinary update: another replica that had the later state converges on it.
        let update = live.transact().encode_state_as_update_v1(&sv);
        assert!(!update.is_empty());
        assert_eq!(
            restore(&mut live.transact_mut(), &snapshot, &["cards"]),
            0,
            "nothing left to change"
        );
    }

    use yrs::updates::decoder::Decode;
}
