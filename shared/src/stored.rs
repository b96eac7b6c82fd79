//! A document from what the store keeps of it — a compacted state and a log of updates — and
//! the check that a compaction's state loads back: whatever was stored, a room always loads.

use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, Transact, Update};

use crate::gate;
use crate::schema::DocSchema;

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
