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

use crate::schema::{DocSchema, Shape, MAX_KEY_BYTES, MAX_STRING_CHARS, MAX_VALUE_DEPTH};

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
    let clients: u32 = d.read_var().map_err(malformed)?;
    for _ in 0..clients {
        let blocks: u32 = d.read_var().map_err(malformed)?;
        let client = d.read_client().map_err(malformed)?;
        let mut clock: u32 = d.read_var().map_err(malformed)?;
        let have = known.entry(client).or_insert_with(|| sv.get(&client));
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
            if len == 0 {
                return refuse("an empty item");
            }
            if clock > *have {
                return refuse(format!("an item of client {client} at clock {clock} after a gap (the server has up to {have})"));
            }
            clock = clock
                .checked_add(len)
                .ok_or_else(|| Refusal("a clock past 2^32".into()))?;
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
