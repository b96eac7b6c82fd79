//! Reading a room's documents into plain data: the wall's cards, the control document's rows,
//! columns and meta. Used for snapshots and the documentation sheet. Anything that does not follow
//! the schema (a card that is not a map, a row without an id) is skipped, never a panic: the
//! documents are written by clients.

use serde_json::{Map as JsonMap, Value};
use yrs::types::ToJson;
use yrs::{Array, Doc, Map, ReadTxn, Transact};

use crate::api::{Axis, Card, WallView};
use crate::schema;

/// The cards of a wall document, ordered by `created_at` then id (stable for exports).
pub fn cards(wall: &Doc) -> Vec<Card> {
    let txn = wall.transact();
    let Some(cards) = txn.get_map(schema::CARDS) else {
        return Vec::new();
    };
    let mut out: Vec<Card> = cards
        .iter(&txn)
        .filter_map(|(id, value)| {
            let Value::Object(mut fields) = to_json(&value.to_json(&txn)) else {
                return None;
            };
            let row = take_string(&mut fields, "row")?;
            let column = take_string(&mut fields, "column")?;
            let text = take_string(&mut fields, "text").unwrap_or_default();
            Some(Card {
                id: id.to_string(),
                row,
                column,
                text,
                extra: fields,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        let t = |c: &Card| {
            c.extra
                .get("created_at")
                .and_then(Value::as_f64)
                .unwrap_or(0.0)
        };
        t(a).total_cmp(&t(b)).then_with(|| a.id.cmp(&b.id))
    });
    out
}

/// The rows, columns and meta of a control document.
pub fn structure(control: &Doc) -> (Vec<Axis>, Vec<Axis>, JsonMap<String, Value>) {
    let txn = control.transact();
    let axis = |name: &str| -> Vec<Axis> {
        let Some(array) = txn.get_array(name) else {
            return Vec::new();
        };
        array
            .iter(&txn)
            .filter_map(|v| {
                let Value::Object(mut fields) = to_json(&v.to_json(&txn)) else {
                    return None;
                };
                let id = take_string(&mut fields, "id")?;
                let label = take_string(&mut fields, "label").unwrap_or_else(|| id.clone());
                Some(Axis {
                    id,
                    label,
                    extra: fields,
                })
            })
            .collect()
    };
    let rows = axis(schema::ROWS);
    let columns = axis(schema::COLUMNS);
    let meta = match txn.get_map(schema::META) {
        Some(m) => match to_json(&yrs::Out::YMap(m).to_json(&txn)) {
            Value::Object(o) => o,
            _ => JsonMap::new(),
        },
        None => JsonMap::new(),
    };
    (rows, columns, meta)
}

/// The current phase (`meta.phase`) of a control document; a room without one is in group work.
pub fn phase(control: &Doc) -> String {
    let txn = control.transact();
    txn.get_map(schema::META)
        .and_then(|m| m.get(&txn, "phase"))
        .and_then(|v| match v {
            yrs::Out::Any(yrs::Any::String(s)) => Some(s.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| schema::phase::GROUP.to_string())
}

/// The whole wall as plain data.
pub fn wall_view(wall: &Doc, control: &Doc) -> WallView {
    let (rows, columns, meta) = structure(control);
    WallView {
        rows,
        columns,
        cards: cards(wall),
        meta,
    }
}

/// Builds a document from a stored Yjs update (v1). Errors if the bytes are not an update.
pub fn doc_from_update(update: &[u8]) -> Result<Doc, yrs::encoding::read::Error> {
    use yrs::updates::decoder::Decode;
    let doc = Doc::new();
    let update = yrs::Update::decode_v1(update)?;
    doc.transact_mut()
        .apply_update(update)
        .map_err(|_| yrs::encoding::read::Error::UnexpectedValue)?;
    Ok(doc)
}

fn to_json(any: &yrs::Any) -> Value {
    serde_json::to_value(any).unwrap_or(Value::Null)
}

fn take_string(fields: &mut JsonMap<String, Value>, key: &str) -> Option<String> {
    match fields.remove(key)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{MapPrelim, TextPrelim};

    #[test]
    fn cards_read_plain_and_ytext_and_skip_malformed() {
        let doc = Doc::new();
        let cards = doc.get_or_insert_map(schema::CARDS);
        {
            let mut txn = doc.transact_mut();
            cards.insert(
                &mut txn,
                "b",
                MapPrelim::from([
                    ("row", "asis-2"),
                    ("column", "borgerservice"),
                    ("text", "12"),
                ]),
            );
            let a = cards.insert(&mut txn, "a", MapPrelim::default());
            a.insert(&mut txn, "row", "asis-1");
            a.insert(&mut txn, "column", "voksenservice");
            a.insert(&mut txn, "text", TextPrelim::new("Ja, vi bruger det"));
            a.insert(&mut txn, "created_at", 5.0);
            cards.insert(&mut txn, "junk", "not a map");
            cards.insert(&mut txn, "norow", MapPrelim::from([("text", "x")]));
        }
        let got = super::cards(&doc);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].id, "b");
        assert_eq!(got[1].text, "Ja, vi bruger det");
        assert_eq!(
            got[1].extra.get("created_at").and_then(|v| v.as_f64()),
            Some(5.0)
        );
    }

    #[test]
    fn structure_reads_a_new_rooms_control_document() {
        let templates = crate::Templates::built_in().unwrap();
        let t = templates.get("kmd-sag-exit-as-is").unwrap();
        let doc = Doc::new();
        schema::init_control(&doc, "Workshop 1", t);
        let (rows, columns, meta) = structure(&doc);
        assert_eq!(rows.len(), t.rows.len());
        assert_eq!(rows[0].id, t.rows[0].id);
        assert_eq!(columns.len(), t.columns.len());
        assert_eq!(meta.get("phase"), Some(&serde_json::json!("group")));
        assert_eq!(phase(&doc), "group");
    }
}
