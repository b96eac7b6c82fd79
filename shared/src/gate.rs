//! The schema gate: decides whether a Yjs v1 update may touch a document, before it does.
//!
//! Any participant can send any bytes, and the CRDT library trusts what it integrates: an item
//! whose parent is a plain value makes it fail half-way (the room then had to be evicted), items
//! of kinds Kortvæg never writes are stored and later break stock clients (a `Y.XmlHook` in the
//! cards map empties the wall for every Yjs client), and crafted references crash it. So every
//! update is decoded here on its own, item by item, and refused whole — nothing applied, stored
//! or broadcast — when it holds anything the document's [`DocSchema`] has no use for:
//!
//! - content Kortvæg never writes: binary blobs, legacy JSON, embeds, formatting, sub-documents,
//!   and shared types other than `Y.Map`, `Y.Array` and `Y.Text` (XML types, hooks, links);
//! - empty items and empty deletions (a zero-length range), and ranges that start after a gap in
//!   what the server has of that client (the library would park them forever as "pending");
//! - references (origin, right origin, parent) to items neither the document nor the update has;
//! - an item whose parent is neither a root the schema names (with the root's shape: a map entry
//!   needs a key, an array entry must not have one) nor a shared type — in the document or in the
//!   same update; a text takes only text, and text only goes into a text;
//! - keys over [`MAX_KEY_BYTES`], strings over [`MAX_STRING_CHARS`], values nested deeper than
//!   [`MAX_VALUE_DEPTH`].
//!
//! What passes is what the stock `yjs` client and `yrs` write for Kortvæg's schema, including
//! an offline client's re-sent history (items the document already has, deletions it already
//! made). The document is only read (its state vector, and the items a reference names).

use std::collections::HashMap;

use yrs::block::ItemContent;
use yrs::branch::BranchID;
use yrs::encoding::read::Read;
use yrs::types::TypeRef;
use yrs::updates::decoder::{Decoder, DecoderV1};
use yrs::{Any, ClientID, ReadTxn, ID};

use crate::schema::{
    DocSchema, Shape, MAX_CLIENTS, MAX_KEY_BYTES, MAX_STRING_CHARS, MAX_VALUE_DEPTH,
};

/// Why an update was refused, for the sender's close reason and the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

fn refuse<T>(reason: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal(reason.into()))
}

// Block info bits and reference numbers of the Yjs v1 encoding (lib0 / yjs `UpdateEncoder`).
const HAS_ORIGIN: u8 = 0b1000_0000;
const HAS_RIGHT_ORIGIN: u8 = 0b0100_0000;
const HAS_PARENT_SUB: u8 = 0b0010_0000;
const GC: u8 = 0;
const SKIP: u8 = 10;

/// Where an item goes, as the update says.
enum Parent {
    /// A root type, by name.
    Root(String),
    /// A nested shared type: the item that holds it.
    Nested(ID),
    /// Next to its origin, in the origin's parent (the library takes it from there).
    Inferred,
}

/// One block of a client in the update: its clock range and, for an item, its index in the
/// update's items (GC ranges have none).
type Span = (u32, u32, Option<usize>);

/// What the gate keeps of one item while it reads the update.
struct Item {
    id: ID,
    /// Origin and right origin: the neighbours it was inserted between.
    neighbours: [Option<ID>; 2],
    parent: Parent,
    key: bool,
    content: Content,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Content {
    Value,
    Text,
    Deleted,
    Type(Shape, bool),
}

/// The shape of a nested type and whether it is a `Y.Text`.
fn type_shape(type_ref: &TypeRef) -> Option<(Shape, bool)> {
    match type_ref {
        TypeRef::Map => Some((Shape::Map, false)),
        TypeRef::Array => Some((Shape::Array, false)),
        TypeRef::Text => Some((Shape::Array, true)),
        _ => None,
    }
}

fn type_name(type_ref: &TypeRef) -> &'static str {
    match type_ref {
        TypeRef::Array => "Y.Array",
        TypeRef::Map => "Y.Map",
        TypeRef::Text => "Y.Text",
        TypeRef::XmlElement(_) => "Y.XmlElement",
        TypeRef::XmlFragment => "Y.XmlFragment",
        TypeRef::XmlHook => "Y.XmlHook",
        TypeRef::XmlText => "Y.XmlText",
        TypeRef::SubDoc => "a sub-document",
        TypeRef::Undefined => "an undefined type",
        #[allow(unreachable_patterns)]
        _ => "a weak link",
    }
}

/// Checks `update` (Yjs v1) against `schema` and the document read by `txn`. `Ok` means the
/// update may be applied; it still may change nothing.
pub fn check<T: ReadTxn>(schema: &DocSchema, txn: &T, update: &[u8]) -> Result<(), Refusal> {
    let mut decoder = DecoderV1::from(update);
    let d = &mut decoder;
    let sv = txn.state_vector();
    let malformed = |e: yrs::encoding::read::Error| Refusal(format!("malformed update: {e}"));

    // Every item, and per client the clock up to which the document or the update has items.
    let mut items: Vec<Item> = Vec::new();
    let mut known: HashMap<ClientID, u32> = HashMap::new();
    // Per client, in order: each block's clock range and, for an item, its index in `items`.
    let mut spans: Vec<(ClientID, Vec<Span>)> = Vec::new();
    let clients: u32 = d.read_var().map_err(malformed)?;
    if clients as usize > MAX_CLIENTS {
        return refuse(format!(
            "items of {clients} clients in one update (at most {MAX_CLIENTS})"
        ));
    }
    for _ in 0..clients {
        let blocks: u32 = d.read_var().map_err(malformed)?;
        let client = d.read_client().map_err(malformed)?;
        let mut clock: u32 = d.read_var().map_err(malformed)?;
        let have = known.entry(client).or_insert_with(|| sv.get(&client));
        // Each client once, its blocks in clock order: the library appends a client's blocks
        // to one list and integrates them assuming that order (a second run of the same client,
        // overlapping the first, corrupted its block list).
        if spans.iter().any(|(c, _)| *c == client) {
            return refuse(format!("client {client} appears twice in one update"));
        }
        spans.push((client, Vec::new()));
        let span_list = &mut spans.last_mut().expect("just pushed").1;
        for _ in 0..blocks {
            let info = d.read_info().map_err(malformed)?;
            let len = match info {
                SKIP => {
                    let len: u32 = d.read_var().map_err(malformed)?;
                    if len == 0 {
                        return refuse("an empty skip range");
                    }
                    clock = clock
                        .checked_add(len)
                        .ok_or_else(|| Refusal("a clock past 2^32".into()))?;
                    continue;
                }
                GC => d.read_len().map_err(malformed)?,
                info => {
                    let item = read_item(d, ID::new(client, clock), info)?;
                    let len = item.1;
                    items.push(item.0);
                    len
                }
            };
            let item = (info != GC).then(|| items.len() - 1);
            if len == 0 {
                return refuse("an empty item");
            }
            if clock > *have {
                return refuse(format!("an item of client {client} at clock {clock} after a gap (the server has up to {have})"));
            }
            let end = clock
                .checked_add(len)
                .ok_or_else(|| Refusal("a clock past 2^32".into()))?;
            span_list.push((clock, end, item));
            clock = end;
            *have = (*have).max(clock);
        }
    }
    let has = |id: &ID| {
        id.clock
            < known
                .get(&id.client)
                .copied()
                .unwrap_or_else(|| sv.get(&id.client))
    };

    // Shared types made by this update, for items placed in them.
    let made: HashMap<ID, (Shape, bool)> = items
        .iter()
        .filter_map(|item| match item.content {
            Content::Type(shape, text) => Some((item.id, (shape, text))),
            _ => None,
        })
        .collect();
    let mut deleted = None;
    for item in &items {
        if let Some(missing) = item.neighbours.iter().flatten().find(|id| !has(id)) {
            return refuse(format!(
                "an item's neighbour {missing} is not in the document"
            ));
        }
        let parent = match &item.parent {
            Parent::Inferred => continue,
            Parent::Root(name) => match schema.root(name) {
                Some(shape) => (shape, false),
                None => {
                    return refuse(format!(
                        "the {} document has no root type {name:?}",
                        schema.name
                    ))
                }
            },
            Parent::Nested(parent) => {
                if !has(parent) {
                    return refuse(format!("an item's parent {parent} is not in the document"));
                }
                if let Some(found) = made.get(parent) {
                    *found
                } else if let Some(branch) = BranchID::get_nested(txn, parent) {
                    match type_shape(branch.type_ref()) {
                        Some(found) => found,
                        None => {
                            return refuse(format!(
                                "an item's parent is {}",
                                type_name(branch.type_ref())
                            ))
                        }
                    }
                } else if deleted
                    .get_or_insert_with(|| txn.snapshot().delete_set)
                    .contains(parent)
                {
                    // Written into something already deleted (an offline client's edit of a card
                    // another removed): the library keeps it deleted too.
                    continue;
                } else {
                    return refuse(format!("an item's parent {parent} is not a shared type"));
                }
            }
        };
        match (parent, item.key) {
            ((Shape::Map, _), false) => return refuse("an entry without a key in a map"),
            ((Shape::Array, _), true) => return refuse("an entry with a key in an array or text"),
            _ => {}
        }
        let into_text = parent.1;
        let is_text = item.content == Content::Text;
        if is_text != into_text && item.content != Content::Deleted {
            return refuse(if is_text {
                "text outside a Y.Text"
            } else {
                "a value or type inside a Y.Text"
            });
        }
    }

    integrable(&spans, &items, &sv)?;

    // The delete set: per client, ranges (clock, length), each non-empty and within what exists.
    let clients: u32 = d.read_var().map_err(malformed)?;
    for _ in 0..clients {
        let client = d.read_client().map_err(malformed)?;
        let ranges: u32 = d.read_var().map_err(malformed)?;
        let have = known
            .get(&client)
            .copied()
            .unwrap_or_else(|| sv.get(&client));
        for _ in 0..ranges {
            let clock = d.read_ds_clock().map_err(malformed)?;
            let len = d.read_ds_len().map_err(malformed)?;
            if len == 0 {
                return refuse("an empty deletion range");
            }
            match clock.checked_add(len) {
                Some(end) if end <= have => {}
                _ => return refuse(format!("a deletion of client {client} up to clock {clock}+{len} past what exists ({have})")),
            }
        }
    }
    Ok(())
}

/// Can the library integrate every item of the update? It takes each client's blocks in clock
/// order, each once what it refers to (neighbours, parent) is in the document or integrated
/// before it. A reference that can never be met that way — to the item itself, to a later item of
/// its own client, or round a cycle between clients — would leave the update pending forever, and
/// a compaction of the document would then not load back.
fn integrable(
    spans: &[(ClientID, Vec<Span>)],
    items: &[Item],
    sv: &yrs::StateVector,
) -> Result<(), Refusal> {
    // Per client: how many of its blocks are integrated, and the clock they reach.
    let mut next: Vec<usize> = vec![0; spans.len()];
    let mut reached: HashMap<ClientID, u32> = spans.iter().map(|(c, _)| (*c, sv.get(c))).collect();
    let available = |reached: &HashMap<ClientID, u32>, id: &ID| {
        id.clock
            < reached
                .get(&id.client)
                .copied()
                .unwrap_or_else(|| sv.get(&id.client))
    };
    loop {
        let mut progress = false;
        for (i, (client, blocks)) in spans.iter().enumerate() {
            while let Some(&(_, end, item)) = blocks.get(next[i]) {
                let refs_met = item.is_none_or(|item| {
                    let item = &items[item];
                    let parent = match &item.parent {
                        Parent::Nested(parent) => Some(parent),
                        _ => None,
                    };
                    item.neighbours
                        .iter()
                        .flatten()
                        .chain(parent)
                        .all(|id| available(&reached, id))
                });
                if !refs_met {
                    break;
                }
                let r = reached.entry(*client).or_default();
                *r = (*r).max(end);
                next[i] += 1;
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    match spans.iter().zip(&next).find(|((_, blocks), n)| **n < blocks.len()) {
        Some(((client, blocks), n)) => refuse(format!(
            "an item of client {client} at clock {} refers to itself, to a later item or round a cycle",
            blocks[*n].0
        )),
        None => Ok(()),
    }
}

/// Reads one item (not GC, not skip) and checks what it can on its own; returns it and its length.
fn read_item(d: &mut DecoderV1, id: ID, info: u8) -> Result<(Item, u32), Refusal> {
    let malformed = |e: yrs::encoding::read::Error| Refusal(format!("malformed update: {e}"));
    let origin = if info & HAS_ORIGIN != 0 {
        Some(d.read_left_id().map_err(malformed)?)
    } else {
        None
    };
    let right = if info & HAS_RIGHT_ORIGIN != 0 {
        Some(d.read_right_id().map_err(malformed)?)
    } else {
        None
    };
    let copies_parent = info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) != 0;
    let mut key = false;
    let parent = if copies_parent {
        Parent::Inferred
    } else {
        let parent = if d.read_parent_info().map_err(malformed)? {
            Parent::Root(d.read_string().map_err(malformed)?.to_string())
        } else {
            Parent::Nested(d.read_left_id().map_err(malformed)?)
        };
        if info & HAS_PARENT_SUB != 0 {
            let sub = d.read_string().map_err(malformed)?;
            if sub.len() > MAX_KEY_BYTES {
                return refuse(format!(
                    "a key of {} bytes (at most {MAX_KEY_BYTES})",
                    sub.len()
                ));
            }
            key = true;
        }
        parent
    };
    let content = ItemContent::decode(d, info).map_err(malformed)?;
    let (kind, len) = match &content {
        ItemContent::Any(values) => {
            for value in values {
                check_value(value, 0)?;
            }
            (Content::Value, values.len() as u32)
        }
        ItemContent::String(s) => {
            let chars = s.as_str().chars().count();
            if chars > MAX_STRING_CHARS {
                return refuse(format!(
                    "a text of {chars} characters (at most {MAX_STRING_CHARS})"
                ));
            }
            (Content::Text, content.len_utf16())
        }
        ItemContent::Deleted(n) => (Content::Deleted, *n),
        ItemContent::Type(branch) => match type_shape(branch.type_ref()) {
            Some((shape, text)) => (Content::Type(shape, text), 1),
            None => {
                return refuse(format!(
                    "{} (the schema has only Y.Map, Y.Array and Y.Text)",
                    type_name(branch.type_ref())
                ))
            }
        },
        ItemContent::Binary(_) => return refuse("binary content (the schema has none)"),
        ItemContent::JSON(_) => return refuse("legacy JSON content (the schema has none)"),
        ItemContent::Embed(_) => {
            return refuse("an embed in a text (the schema has plain text only)")
        }
        ItemContent::Format(..) => {
            return refuse("text formatting (the schema has plain text only)")
        }
        ItemContent::Doc(..) => return refuse("a sub-document (the schema has none)"),
    };
    Ok((
        Item {
            id,
            neighbours: [origin, right],
            parent,
            key,
            content: kind,
        },
        len,
    ))
}

/// A JSON value in a map or array entry: strings and keys within the limits, not too deep.
fn check_value(value: &Any, depth: usize) -> Result<(), Refusal> {
    if depth > MAX_VALUE_DEPTH {
        return refuse(format!("a value nested deeper than {MAX_VALUE_DEPTH}"));
    }
    match value {
        Any::String(s) => {
            let chars = s.chars().count();
            if chars > MAX_STRING_CHARS {
                return refuse(format!(
                    "a string of {chars} characters (at most {MAX_STRING_CHARS})"
                ));
            }
        }
        Any::Buffer(_) => return refuse("binary content (the schema has none)"),
        Any::Array(values) => {
            for v in values.iter() {
                check_value(v, depth + 1)?;
            }
        }
        Any::Map(entries) => {
            for (k, v) in entries.iter() {
                if k.len() > MAX_KEY_BYTES {
                    return refuse(format!(
                        "a key of {} bytes (at most {MAX_KEY_BYTES})",
                        k.len()
                    ));
                }
                check_value(v, depth + 1)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use yrs::encoding::write::Write;
    use yrs::types::text::TextPrelim;
    use yrs::updates::decoder::Decode;
    use yrs::updates::encoder::{Encoder, EncoderV1};
    use yrs::{
        Any, Array, ArrayPrelim, Doc, GetString, Map, MapPrelim, Options, ReadTxn, StateVector,
        Text, Transact, Update, WriteTxn, XmlElementPrelim, ID,
    };

    use super::*;
    use crate::schema::{CONTROL, WALL};

    /// The server's copy of a document: every update goes through the gate, then is applied.
    struct Server(Doc);

    impl Server {
        fn new() -> Self {
            Server(Doc::with_client_id(1))
        }
        fn offer(&self, schema: &DocSchema, update: &[u8]) -> Result<(), Refusal> {
            check(schema, &self.0.transact(), update)?;
            self.0
                .transact_mut()
                .apply_update(Update::decode_v1(update).unwrap())
                .unwrap();
            Ok(())
        }
        fn sv(&self) -> StateVector {
            self.0.transact().state_vector()
        }
    }

    /// A client's change to `doc`: the update it sends.
    fn change(doc: &Doc, f: impl FnOnce(&mut yrs::TransactionMut)) -> Vec<u8> {
        let mut txn = doc.transact_mut();
        f(&mut txn);
        txn.encode_update_v1()
    }

    fn card<'a>(id: &'a str, text: &'a str) -> impl FnOnce(&mut yrs::TransactionMut) + 'a {
        move |txn| {
            let cards = txn.get_or_insert_map("cards");
            let m = cards.insert(txn, id, MapPrelim::default());
            m.insert(txn, "row", "asis-1");
            m.insert(txn, "column", "borgerservice");
            m.insert(txn, "text", text);
        }
    }

    fn refused(result: Result<(), Refusal>, part: &str) {
        match result {
            Err(Refusal(reason)) => assert!(
                reason.contains(part),
                "refused, but for {reason:?}, not {part:?}"
            ),
            Ok(()) => panic!("accepted; expected a refusal for {part:?}"),
        }
    }

    #[test]
    fn what_kortvaeg_writes_passes() {
        let server = Server::new();
        let client = Doc::with_client_id(7);
        server
            .offer(&WALL, &change(&client, card("c1", "første kort")))
            .unwrap();
        // A card whose text is a Y.Text, typed, edited and partly deleted.
        let text = change(&client, |txn| {
            let cards = txn.get_or_insert_map("cards");
            let m = cards.insert(txn, "c2", MapPrelim::default());
            m.insert(txn, "text", TextPrelim::new("hej"));
        });
        server.offer(&WALL, &text).unwrap();
        let edit = change(&client, |txn| {
            let cards = txn.get_or_insert_map("cards");
            let Some(yrs::Out::YMap(m)) = cards.get(txn, "c2") else {
                panic!()
            };
            let Some(yrs::Out::YText(t)) = m.get(txn, "text") else {
                panic!()
            };
            t.insert(txn, 3, " med jer");
            t.remove_range(txn, 0, 1);
        });
        server.offer(&WALL, &edit).unwrap();
        // Comments (an array of maps), answers, a group's status, a deletion.
        let rest = change(&client, |txn| {
            let cards = txn.get_or_insert_map("cards");
            let Some(yrs::Out::YMap(m)) = cards.get(txn, "c1") else {
                panic!()
            };
            let comments = m.insert(txn, "comments", ArrayPrelim::default());
            comments.push_back(
                txn,
                MapPrelim::from([("text".to_string(), Any::from("hvorfor?"))]),
            );
            txn.get_or_insert_map("answers")
                .insert(txn, "27-12-boligstoette/asis-2", 30);
            let groups = txn.get_or_insert_map("groups");
            let g = groups.insert(txn, "borgerservice", MapPrelim::default());
            g.insert(txn, "done", true);
            cards.remove(txn, "c1");
        });
        server.offer(&WALL, &rest).unwrap();
        // The whole history again (a reconnecting client's sync step 2) passes too.
        server
            .offer(
                &WALL,
                &client
                    .transact()
                    .encode_state_as_update_v1(&StateVector::default()),
            )
            .unwrap();
        // And what the server holds is what the client holds.
        let text = |doc: &Doc| {
            let txn = doc.transact();
            let cards = txn.get_map("cards").unwrap();
            let Some(yrs::Out::YMap(m)) = cards.get(&txn, "c2") else {
                panic!()
            };
            let Some(yrs::Out::YText(t)) = m.get(&txn, "text") else {
                panic!()
            };
            t.get_string(&txn)
        };
        assert_eq!(text(&server.0), "ej med jer");
        assert_eq!(text(&server.0), text(&client));

        // The control document as a new room lays it out, and a facilitator's changes.
        let control = Doc::with_client_id(9);
        let template = crate::Templates::built_in()
            .unwrap()
            .get("kmd-sag-exit-as-is")
            .unwrap()
            .clone();
        crate::schema::init_control(&control, "Workshop", &template);
        let server = Server::new();
        server
            .offer(
                &CONTROL,
                &control
                    .transact()
                    .encode_state_as_update_v1(&StateVector::default()),
            )
            .unwrap();
        let edit = change(&control, |txn| {
            txn.get_or_insert_map("meta").insert(txn, "phase", "plenum");
            let columns = txn.get_or_insert_array("columns");
            columns.remove(txn, 0);
            txn.get_or_insert_map("prioritering")
                .insert(txn, "faa_max", 4);
        });
        server.offer(&CONTROL, &edit).unwrap();
    }

    #[test]
    fn an_offline_edit_of_a_deleted_card_passes() {
        let server = Server::new();
        let a = Doc::with_client_id(7);
        let b = Doc::with_client_id(8);
        let first = change(&a, card("c1", "kort"));
        server.offer(&WALL, &first).unwrap();
        b.transact_mut()
            .apply_update(Update::decode_v1(&first).unwrap())
            .unwrap();
        // a deletes the card; b, offline, edits it meanwhile.
        server
            .offer(
                &WALL,
                &change(&a, |txn| {
                    drop(txn.get_or_insert_map("cards").remove(txn, "c1"))
                }),
            )
            .unwrap();
        let offline = change(&b, |txn| {
            let Some(yrs::Out::YMap(m)) = txn.get_or_insert_map("cards").get(txn, "c1") else {
                panic!()
            };
            m.insert(txn, "text", "ændret offline");
        });
        server.offer(&WALL, &offline).unwrap();
    }

    #[test]
    fn an_offline_edit_inside_a_deleted_card_passes() {
        // The card's Y.Text is inside the deleted card map: the library may garbage-collect it
        // whole, and the offline client's keystrokes into it must still be taken (and dropped).
        let server = Server::new();
        let a = Doc::with_client_id(7);
        let b = Doc::with_client_id(8);
        let first = change(&a, |txn| {
            let m = txn
                .get_or_insert_map("cards")
                .insert(txn, "c1", MapPrelim::default());
            let comments = m.insert(txn, "comments", ArrayPrelim::default());
            let c = comments.insert(txn, 0, MapPrelim::default());
            c.insert(txn, "text", TextPrelim::new("hvorfor"));
        });
        server.offer(&WALL, &first).unwrap();
        b.transact_mut()
            .apply_update(Update::decode_v1(&first).unwrap())
            .unwrap();
        server
            .offer(
                &WALL,
                &change(&a, |txn| {
                    drop(txn.get_or_insert_map("cards").remove(txn, "c1"))
                }),
            )
            .unwrap();
        let offline = change(&b, |txn| {
            let Some(yrs::Out::YMap(m)) = txn.get_or_insert_map("cards").get(txn, "c1") else {
                panic!()
            };
            let Some(yrs::Out::YArray(comments)) = m.get(txn, "comments") else {
                panic!()
            };
            let Some(yrs::Out::YMap(c)) = comments.get(txn, 0) else {
                panic!()
            };
            let Some(yrs::Out::YText(t)) = c.get(txn, "text") else {
                panic!()
            };
            t.insert(txn, 7, "?");
            c.insert(txn, "author", "Bo");
            comments.push_back(txn, "ny");
        });
        server.offer(&WALL, &offline).unwrap();
        // And the whole history of the offline client, as its next sync step 2.
        server
            .offer(
                &WALL,
                &b.transact()
                    .encode_state_as_update_v1(&StateVector::default()),
            )
            .unwrap();
    }

    #[test]
    fn kinds_the_schema_has_no_use_for_are_refused() {
        let cases: Vec<(&str, Vec<u8>)> = vec![
            (
                "Y.XmlElement",
                change(&Doc::with_client_id(7), |txn| {
                    txn.get_or_insert_map("cards")
                        .insert(txn, "x", XmlElementPrelim::empty("p"));
                }),
            ),
            (
                "text formatting",
                change(&Doc::with_client_id(7), |txn| {
                    let cards = txn.get_or_insert_map("cards");
                    let t = cards.insert(txn, "t", TextPrelim::new("hello"));
                    t.format(txn, 0, 2, HashMap::from([("bold".into(), Any::from(true))]));
                }),
            ),
            (
                "an embed",
                change(&Doc::with_client_id(7), |txn| {
                    let t = txn
                        .get_or_insert_map("cards")
                        .insert(txn, "t2", TextPrelim::new("a"));
                    t.insert_embed(
                        txn,
                        1,
                        Any::from(HashMap::from([("img".to_string(), Any::from("x"))])),
                    );
                }),
            ),
            (
                "binary",
                change(&Doc::with_client_id(7), |txn| {
                    txn.get_or_insert_map("cards")
                        .insert(txn, "b", Any::from(vec![1u8, 2, 3]));
                }),
            ),
            (
                "a sub-document",
                change(&Doc::with_client_id(7), |txn| {
                    txn.get_or_insert_map("cards").insert(
                        txn,
                        "d",
                        Doc::with_options(Options::default()),
                    );
                }),
            ),
            (
                "no root type \"evil\"",
                change(&Doc::with_client_id(7), |txn| {
                    txn.get_or_insert_map("evil").insert(txn, "k", "v");
                }),
            ),
            (
                "an entry with a key in an array",
                change(&Doc::with_client_id(7), |txn| {
                    txn.get_or_insert_map("rows").insert(txn, "k", "v");
                }),
            ),
            (
                "a key of 600 bytes",
                change(&Doc::with_client_id(7), |txn| {
                    txn.get_or_insert_map("cards")
                        .insert(txn, "k".repeat(600), "v");
                }),
            ),
            (
                "a string of 20001 characters",
                change(&Doc::with_client_id(7), |txn| {
                    txn.get_or_insert_map("answers")
                        .insert(txn, "k", "æ".repeat(20_001));
                }),
            ),
            (
                "a text of 20001 characters",
                change(&Doc::with_client_id(7), |txn| {
                    txn.get_or_insert_map("cards").insert(
                        txn,
                        "k",
                        TextPrelim::new("x".repeat(20_001)),
                    );
                }),
            ),
            (
                "nested deeper than 8",
                change(&Doc::with_client_id(7), |txn| {
                    let mut v = Any::from("bund");
                    for _ in 0..10 {
                        v = Any::from(vec![v]);
                    }
                    txn.get_or_insert_map("answers").insert(txn, "k", v);
                }),
            ),
        ];
        for (part, update) in cases {
            let schema = if part.contains("array") {
                &CONTROL
            } else {
                &WALL
            };
            let server = Server::new();
            refused(server.offer(schema, &update), part);
            assert_eq!(
                server.sv(),
                StateVector::default(),
                "nothing of a refused update is applied ({part})"
            );
        }
        // Text goes only into a text, values and types not into a text.
        let server = Server::new();
        refused(
            server.offer(
                &CONTROL,
                &change(&Doc::with_client_id(7), |txn| {
                    txn.get_or_insert_text("rows").insert(txn, 0, "x")
                }),
            ),
            "text outside a Y.Text",
        );
    }

    /// Hand-encodes an update with one item of client 99 at clock 0: `parent` an item, `content`
    /// one string value.
    fn item_under(parent: ID, key: Option<&str>) -> Vec<u8> {
        let mut e = EncoderV1::new();
        e.write_var(1u32); // one client
        e.write_var(1u32); // one block
        e.write_client(ClientID::new(99));
        e.write_var(0u32); // clock
        e.write_info(8 | if key.is_some() { HAS_PARENT_SUB } else { 0 }); // content: Any
        e.write_parent_info(false);
        e.write_left_id(&parent);
        if let Some(key) = key {
            e.write_string(key);
        }
        e.write_len(1);
        e.write_any(&Any::from("x"));
        e.write_var(0u32); // empty delete set
        e.to_vec()
    }

    fn deletion(client: u64, clock: u32, len: u32) -> Vec<u8> {
        let mut e = EncoderV1::new();
        e.write_var(0u32);
        e.write_var(1u32);
        e.write_client(ClientID::new(client));
        e.write_var(1u32);
        e.write_ds_clock(clock);
        e.write_ds_len(len);
        e.to_vec()
    }

    #[test]
    fn impossible_references_and_ranges_are_refused() {
        let server = Server::new();
        let client = Doc::with_client_id(7);
        server
            .offer(&WALL, &change(&client, card("c1", "kort")))
            .unwrap();
        // The card map is item 7:0, its `row` value 7:1: a plain value is no parent (the "evict" case).
        refused(
            server.offer(&WALL, &item_under(ID::new(ClientID::new(7), 1), Some("x"))),
            "is not a shared type",
        );
        refused(
            server.offer(&WALL, &item_under(ID::new(ClientID::new(7), 50), Some("x"))),
            "not in the document",
        );
        // Under the card map it is fine, with a key; without one it is not.
        refused(
            server.offer(&WALL, &item_under(ID::new(ClientID::new(7), 0), None)),
            "without a key in a map",
        );
        server
            .offer(&WALL, &item_under(ID::new(ClientID::new(7), 0), Some("x")))
            .unwrap();

        // Deletions: empty, and of what does not exist.
        refused(server.offer(&WALL, &deletion(7, 0, 0)), "an empty deletion");
        refused(server.offer(&WALL, &deletion(7, 2, 40)), "past what exists");
        refused(server.offer(&WALL, &deletion(5, 0, 1)), "past what exists");
        refused(
            server.offer(&WALL, &deletion(7, u32::MAX, 2)),
            "past what exists",
        );
        server.offer(&WALL, &deletion(7, 1, 1)).unwrap();

        // A change that builds on one the server never got: a gap in the client's clock.
        let before = client.transact().state_vector();
        let _lost = change(&client, card("c2", "tabt"));
        let after = client.transact().state_vector();
        let _ = change(&client, card("c3", "efter"));
        let gap = client.transact().encode_state_as_update_v1(&after);
        refused(server.offer(&WALL, &gap), "after a gap");
        // Another client's change that refers to the lost one.
        let other = Doc::with_client_id(8);
        other
            .transact_mut()
            .apply_update(
                Update::decode_v1(
                    &client
                        .transact()
                        .encode_state_as_update_v1(&StateVector::default()),
                )
                .unwrap(),
            )
            .unwrap();
        let on_top = change(&other, |txn| {
            let Some(yrs::Out::YMap(m)) = txn.get_or_insert_map("cards").get(txn, "c2") else {
                panic!()
            };
            m.insert(txn, "text", "rettet");
        });
        refused(server.offer(&WALL, &on_top), "not in the document");
        // Once the server has the rest, both pass.
        server
            .offer(&WALL, &client.transact().encode_state_as_update_v1(&before))
            .unwrap();
        server.offer(&WALL, &on_top).unwrap();
    }

    /// Hand-encodes string values in map `cards` (key "k"), one per `(client, clock, origin)`:
    /// placed after `origin` if given, else directly under the root. Consecutive entries of one
    /// client form one run of blocks (their clocks must follow each other).
    fn items_after(blocks: &[(u64, u32, Option<ID>)]) -> Vec<u8> {
        let mut runs: Vec<Vec<&(u64, u32, Option<ID>)>> = Vec::new();
        for block in blocks {
            match runs.last_mut() {
                Some(run) if run[0].0 == block.0 => run.push(block),
                _ => runs.push(vec![block]),
            }
        }
        let mut e = EncoderV1::new();
        e.write_var(runs.len() as u32);
        for run in runs {
            e.write_var(run.len() as u32);
            e.write_client(ClientID::new(run[0].0));
            e.write_var(run[0].1);
            for (_, _, origin) in run {
                match origin {
                    Some(origin) => {
                        e.write_info(8 | HAS_ORIGIN);
                        e.write_left_id(origin);
                    }
                    None => {
                        e.write_info(8 | HAS_PARENT_SUB);
                        e.write_parent_info(true);
                        e.write_string("cards");
                        e.write_string("k");
                    }
                }
                e.write_len(1);
                e.write_any(&Any::from("x"));
            }
        }
        e.write_var(0u32);
        e.to_vec()
    }

    #[test]
    fn references_that_could_never_be_integrated_are_refused() {
        let id = |client: u64, clock: u32| ID::new(ClientID::new(client), clock);
        let server = Server::new();
        // An item after itself, and one after a later item of its own client.
        refused(
            server.offer(&WALL, &items_after(&[(5, 0, Some(id(5, 0)))])),
            "refers to itself",
        );
        refused(
            server.offer(&WALL, &items_after(&[(6, 0, Some(id(6, 1))), (6, 1, None)])),
            "to a later item",
        );
        // A cycle between two clients.
        refused(
            server.offer(
                &WALL,
                &items_after(&[(5, 0, Some(id(6, 0))), (6, 0, Some(id(5, 0)))]),
            ),
            "cycle",
        );
        assert_eq!(server.sv(), StateVector::default());
        // A chain between clients in an order the library can follow passes.
        server
            .offer(&WALL, &items_after(&[(5, 0, Some(id(6, 0))), (6, 0, None)]))
            .unwrap();
        // A client twice in one update (its second run overlapping the first) is refused.
        refused(
            Server::new().offer(
                &WALL,
                &items_after(&[(5, 0, None), (6, 0, None), (5, 0, None)]),
            ),
            "twice",
        );
        // So many clients in one update are refused.
        let many: Vec<(u64, u32, Option<ID>)> = (0..65).map(|c| (100 + c, 0, None)).collect();
        refused(
            Server::new().offer(&WALL, &items_after(&many)),
            "65 clients",
        );
    }

    #[test]
    fn garbage_is_refused_not_a_panic() {
        let server = Server::new();
        for bytes in [
            &b""[..],
            &[0xff; 12],
            &[1, 1, 1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f],
            &[5, 0, 0],
        ] {
            assert!(
                check(&WALL, &server.0.transact(), bytes).is_err(),
                "{bytes:?}"
            );
        }
    }
}
