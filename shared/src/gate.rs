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
//!
//! Two steps: [`read`] needs no document (run it before the library decodes anything: every
//! count and length is checked against the bytes that are there, so no crafted length makes
//! anything allocate), [`Reading::verify`] checks the references against the document, under its
//! lock. [`check`] does both.

use std::collections::HashMap;

use yrs::branch::BranchID;
use yrs::encoding::read::{Cursor, Read};
use yrs::types::TypeRef;
use yrs::{Assoc, ClientID, IndexScope, ReadTxn, StateVector, StickyIndex, ID};

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

// Block info bits and content reference numbers of the Yjs v1 encoding (yjs `UpdateEncoderV1`).
const HAS_ORIGIN: u8 = 0b1000_0000;
const HAS_RIGHT_ORIGIN: u8 = 0b0100_0000;
const HAS_PARENT_SUB: u8 = 0b0010_0000;
const GC: u8 = 0;
const DELETED: u8 = 1;
const JSON: u8 = 2;
const BINARY: u8 = 3;
const STRING: u8 = 4;
const EMBED: u8 = 5;
const FORMAT: u8 = 6;
const TYPE: u8 = 7;
const ANY: u8 = 8;
const DOC: u8 = 9;
const SKIP: u8 = 10;

/// Where an item goes, as the update says.
enum Parent {
    /// A root type, by name (the schema has it).
    Root(&'static str, Shape),
    /// A nested shared type: the item that holds it.
    Nested(ID),
    /// Next to its origin, in the origin's parent (the library takes it from there).
    Inferred,
}

/// The type an item goes into: which one, its shape, and whether it is a `Y.Text`.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Place {
    key: PlaceKey,
    shape: Shape,
    text: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PlaceKey {
    Root(&'static str),
    Nested(ID),
}

/// One block of a client in the update: its clock range and, for an item, its index in the
/// update's items (GC ranges have none).
type Span = (u32, u32, Option<usize>);

/// What the gate keeps of one item.
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

/// A shared type the schema has no use for, by its type reference number.
fn type_name(number: u8) -> String {
    match number {
        3 => "Y.XmlElement".into(),
        4 => "Y.XmlFragment".into(),
        5 => "Y.XmlHook".into(),
        6 => "Y.XmlText".into(),
        9 => "a sub-document".into(),
        15 => "an undefined type".into(),
        n => format!("a shared type of kind {n}"),
    }
}

/// An update read without a document: its items, each client's blocks, its deletions.
pub struct Reading {
    /// The schema's roots (to name the root a neighbour's parent is).
    roots: &'static [(&'static str, Shape)],
    items: Vec<Item>,
    /// Per client, its blocks in clock order.
    spans: Vec<(ClientID, Vec<Span>)>,
    /// Per deleted range: client, clock, length.
    deletions: Vec<(ClientID, u32, u32)>,
    /// Who the update says wrote what: every string written under an author key ([`is_author_key`]:
    /// a card's `author_id`, an answer's `<key>#by`), as a new map entry or inside a value.
    pub authors: Vec<String>,
    /// Every string written under a name key ([`is_name_key`]: a card's `author`): the writer's
    /// name, which an anonymous room's documents must not carry.
    pub names: Vec<String>,
}

/// What a map key says about the string under it: who wrote it (a seat id), or their name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claim {
    None,
    Author,
    Name,
}

/// The author and name claims an update makes ([`Reading::authors`], [`Reading::names`]).
#[derive(Default)]
struct Claims {
    authors: Vec<String>,
    names: Vec<String>,
}

/// Keys whose value names the person who wrote what they belong to: a card's `author_id`, an
/// answer's `<key>#by` (`docs/API.md`, the cards' and answers' keys). A seat may claim only itself.
pub fn is_author_key(key: &str) -> bool {
    key == "author_id" || key.ends_with("#by")
}

/// Keys whose value is the name of the person who wrote what they belong to: a card's `author`.
pub fn is_name_key(key: &str) -> bool {
    key == "author"
}

/// Checks `update` (Yjs v1) against `schema` and the document read by `txn`. `Ok` means the
/// update may be applied; it still may change nothing.
pub fn check<T: ReadTxn>(schema: &DocSchema, txn: &T, update: &[u8]) -> Result<(), Refusal> {
    read(schema, update)?.verify(txn)
}

fn malformed(e: yrs::encoding::read::Error) -> Refusal {
    Refusal(format!("malformed update: {e}"))
}

/// A count read from the update that cannot be more than the bytes left (each thing it counts
/// takes at least one byte): so a crafted count can never make anything allocate for it.
fn count(c: &mut Cursor, what: &str) -> Result<usize, Refusal> {
    let n: u64 = c.read_var().map_err(malformed)?;
    let left = c.buf.len().saturating_sub(c.next) as u64;
    if n > left {
        return refuse(format!(
            "{what} {n} past the end of the update ({left} bytes left)"
        ));
    }
    Ok(n as usize)
}

fn read_id(c: &mut Cursor) -> Result<ID, Refusal> {
    let client: u64 = c.read_var().map_err(malformed)?;
    let clock: u32 = c.read_var().map_err(malformed)?;
    Ok(ID::new(ClientID::new(client), clock))
}

/// Reads a map key and checks its length; what it claims ([`is_author_key`], [`is_name_key`]).
fn read_key(c: &mut Cursor) -> Result<Claim, Refusal> {
    let key = c.read_string().map_err(malformed)?;
    if key.len() > MAX_KEY_BYTES {
        return refuse(format!(
            "a key of {} bytes (at most {MAX_KEY_BYTES})",
            key.len()
        ));
    }
    Ok(if is_author_key(key) {
        Claim::Author
    } else if is_name_key(key) {
        Claim::Name
    } else {
        Claim::None
    })
}

fn check_text(text: &str, what: &str) -> Result<(), Refusal> {
    let chars = text.chars().count();
    if chars > MAX_STRING_CHARS {
        return refuse(format!(
            "{what} of {chars} characters (at most {MAX_STRING_CHARS})"
        ));
    }
    Ok(())
}

/// Reads and checks everything that needs no document: the schema's roots, the content kinds,
/// every length; each client once, its blocks in order.
pub fn read(schema: &DocSchema, update: &[u8]) -> Result<Reading, Refusal> {
    let c = &mut Cursor::new(update);
    let mut reading = Reading {
        roots: schema.roots,
        items: Vec::new(),
        spans: Vec::new(),
        deletions: Vec::new(),
        authors: Vec::new(),
        names: Vec::new(),
    };
    let mut claims = Claims::default();
    let clients = count(c, "a count of clients")?;
    if clients > MAX_CLIENTS {
        return refuse(format!(
            "items of {clients} clients in one update (at most {MAX_CLIENTS})"
        ));
    }
    for _ in 0..clients {
        let blocks = count(c, "a count of blocks")?;
        let client = ClientID::new(c.read_var().map_err(malformed)?);
        // Each client once, its blocks in clock order: the library appends a client's blocks
        // to one list and integrates them assuming that order (a second run of the same client,
        // overlapping the first, corrupted its block list).
        if reading.spans.iter().any(|(c, _)| *c == client) {
            return refuse(format!("client {client} appears twice in one update"));
        }
        let mut clock: u32 = c.read_var().map_err(malformed)?;
        let mut spans = Vec::new();
        for _ in 0..blocks {
            let info = c.read_u8().map_err(malformed)?;
            let (len, item) = match info {
                SKIP => {
                    let len: u32 = c.read_var().map_err(malformed)?;
                    if len == 0 {
                        return refuse("an empty skip range");
                    }
                    clock = clock
                        .checked_add(len)
                        .ok_or_else(|| Refusal("a clock past 2^32".into()))?;
                    continue;
                }
                GC => (c.read_var().map_err(malformed)?, None),
                info => {
                    let (item, len) =
                        read_item(schema, c, ID::new(client, clock), info, &mut claims)?;
                    reading.items.push(item);
                    (len, Some(reading.items.len() - 1))
                }
            };
            if len == 0 {
                return refuse("an empty item");
            }
            let end = clock
                .checked_add(len)
                .ok_or_else(|| Refusal("a clock past 2^32".into()))?;
            spans.push((clock, end, item));
            clock = end;
        }
        reading.spans.push((client, spans));
    }
    // The delete set: per client, ranges (clock, length), each non-empty.
    for _ in 0..count(c, "a count of deleting clients")? {
        let client = ClientID::new(c.read_var().map_err(malformed)?);
        for _ in 0..count(c, "a count of deleted ranges")? {
            let clock: u32 = c.read_var().map_err(malformed)?;
            let len: u32 = c.read_var().map_err(malformed)?;
            if len == 0 {
                return refuse("an empty deletion range");
            }
            if clock.checked_add(len).is_none() {
                return refuse(format!("a deletion of client {client} past clock 2^32"));
            }
            reading.deletions.push((client, clock, len));
        }
    }
    reading.authors = claims.authors;
    reading.names = claims.names;
    Ok(reading)
}

/// Reads one item (not GC, not skip) and checks what it can on its own; returns it and its length.
fn read_item(
    schema: &DocSchema,
    c: &mut Cursor,
    id: ID,
    info: u8,
    claims: &mut Claims,
) -> Result<(Item, u32), Refusal> {
    let origin = if info & HAS_ORIGIN != 0 {
        Some(read_id(c)?)
    } else {
        None
    };
    let right = if info & HAS_RIGHT_ORIGIN != 0 {
        Some(read_id(c)?)
    } else {
        None
    };
    let mut key = false;
    let mut claim = Claim::None;
    let parent = if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) != 0 {
        Parent::Inferred
    } else {
        let is_root: u32 = c.read_var().map_err(malformed)?;
        let parent = if is_root == 1 {
            let name = c.read_string().map_err(malformed)?;
            match schema.roots.iter().find(|(n, _)| *n == name) {
                Some((name, shape)) => Parent::Root(name, *shape),
                None => {
                    return refuse(format!(
                        "the {} document has no root type {name:?}",
                        schema.name
                    ))
                }
            }
        } else {
            Parent::Nested(read_id(c)?)
        };
        if info & HAS_PARENT_SUB != 0 {
            claim = read_key(c)?;
            key = true;
        }
        parent
    };
    let (content, len) = match info & 0b1_1111 {
        DELETED => (Content::Deleted, c.read_var().map_err(malformed)?),
        STRING => {
            let text = c.read_string().map_err(malformed)?;
            check_text(text, "a text")?;
            (Content::Text, text.encode_utf16().count() as u32)
        }
        ANY => {
            let n = count(c, "a count of values")?;
            for _ in 0..n {
                check_value(c, 0, claim, claims)?;
            }
            (Content::Value, n as u32)
        }
        TYPE => match c.read_u8().map_err(malformed)? {
            0 => (Content::Type(Shape::Array, false), 1),
            1 => (Content::Type(Shape::Map, false), 1),
            2 => (Content::Type(Shape::Array, true), 1),
            other => {
                return refuse(format!(
                    "{} (the schema has only Y.Map, Y.Array and Y.Text)",
                    type_name(other)
                ))
            }
        },
        BINARY => return refuse("binary content (the schema has none)"),
        JSON => return refuse("legacy JSON content (the schema has none)"),
        EMBED => return refuse("an embed in a text (the schema has plain text only)"),
        FORMAT => return refuse("text formatting (the schema has plain text only)"),
        DOC => return refuse("a sub-document (the schema has none)"),
        other => return refuse(format!("content of unknown kind {other}")),
    };
    Ok((
        Item {
            id,
            neighbours: [origin, right],
            parent,
            key,
            content,
        },
        len,
    ))
}

/// A JSON value (lib0's `Any` encoding) in a map or array entry: strings and keys within the
/// limits, not nested too deep, no binary; read without building it.
/// `claim`: what the key the value sits under claims; a string there is kept in `claims`.
fn check_value(
    c: &mut Cursor,
    depth: usize,
    claim: Claim,
    claims: &mut Claims,
) -> Result<(), Refusal> {
    if depth > MAX_VALUE_DEPTH {
        return refuse(format!("a value nested deeper than {MAX_VALUE_DEPTH}"));
    }
    let tag = c.read_u8().map_err(malformed)?;
    match tag {
        127 | 126 | 121 | 120 => {}
        125 => drop(c.read_var::<i64>().map_err(malformed)?),
        124 => drop(c.read_exact(4).map_err(malformed)?),
        123 | 122 => drop(c.read_exact(8).map_err(malformed)?),
        119 => {
            let text = c.read_string().map_err(malformed)?;
            check_text(text, "a string")?;
            match claim {
                Claim::Author => claims.authors.push(text.to_string()),
                Claim::Name => claims.names.push(text.to_string()),
                Claim::None => {}
            }
        }
        118 => {
            for _ in 0..count(c, "a count of object entries")? {
                let claim = read_key(c)?;
                check_value(c, depth + 1, claim, claims)?;
            }
        }
        117 => {
            for _ in 0..count(c, "a count of array values")? {
                check_value(c, depth + 1, Claim::None, claims)?;
            }
        }
        116 => return refuse("binary content (the schema has none)"),
        other => return refuse(format!("a value of unknown kind {other}")),
    }
    Ok(())
}

impl Reading {
    /// Checks the update against the document read by `txn`: no gaps in any client's clock, every
    /// reference to something that exists and can be integrated in order, every parent a shared
    /// type of the right shape, every deletion within what exists.
    pub fn verify<T: ReadTxn>(&self, txn: &T) -> Result<(), Refusal> {
        self.verify_against(txn, &txn.state_vector())
    }

    /// [`Self::verify`] with the document's state vector `sv` given (the caller keeps it, so
    /// that an update does not cost one built from every client of the document).
    pub fn verify_against<T: ReadTxn>(&self, txn: &T, sv: &StateVector) -> Result<(), Refusal> {
        // Per client, the clock up to which the document or the update has items.
        let mut known: HashMap<ClientID, u32> = HashMap::new();
        for (client, spans) in &self.spans {
            let have = known.entry(*client).or_insert_with(|| sv.get(client));
            let doc_has = *have;
            for &(start, end, _) in spans {
                if start > *have {
                    return refuse(format!(
                        "an item of client {client} at clock {start} after a gap (the server has up to {have})"
                    ));
                }
                // A block that the document has in part: the library keeps the part it lacks
                // with the origin of the clock before it, wherever the block said it goes — so
                // the same update reloads elsewhere. Clients send what the server lacks, sliced
                // where it ends (a sync step 2 is made from the server's state vector).
                if start < doc_has && end > doc_has {
                    return refuse(format!(
                        "a block of client {client} over clocks {start}..{end} of which the server has up to {doc_has} (send from there)"
                    ));
                }
                *have = (*have).max(end);
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
        let made: HashMap<ID, (Shape, bool)> = self
            .items
            .iter()
            .filter_map(|item| match item.content {
                Content::Type(shape, text) => Some((item.id, (shape, text))),
                _ => None,
            })
            .collect();
        // Every reference to something that exists, in an order the library can integrate.
        for item in &self.items {
            if let Some(missing) = item.neighbours.iter().flatten().find(|id| !has(id)) {
                return refuse(format!(
                    "an item's neighbour {missing} is not in the document"
                ));
            }
            if let Parent::Nested(parent) = &item.parent {
                if !has(parent) {
                    return refuse(format!("an item's parent {parent} is not in the document"));
                }
            }
        }
        self.integrable(sv)?;
        // Every item where the schema lets it go.
        let mut deleted = None;
        let mut places: Vec<Option<Option<Place>>> = vec![None; self.items.len()];
        for (i, item) in self.items.iter().enumerate() {
            let parent = match &item.parent {
                Parent::Inferred => {
                    self.check_inferred(i, txn, &mut places)?;
                    continue;
                }
                Parent::Root(_, shape) => (*shape, false),
                Parent::Nested(parent) => {
                    if let Some(found) = made.get(parent) {
                        *found
                    } else if let Some(branch) = BranchID::get_nested(txn, parent) {
                        match type_shape(branch.type_ref()) {
                            Some(found) => found,
                            None => {
                                return refuse(format!(
                                    "an item's parent is {}",
                                    type_name(branch.type_ref().kind())
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
                ((Shape::Array, _), true) => {
                    return refuse("an entry with a key in an array or text")
                }
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
        for &(client, clock, len) in &self.deletions {
            let have = known
                .get(&client)
                .copied()
                .unwrap_or_else(|| sv.get(&client));
            if clock + len > have {
                return refuse(format!(
                    "a deletion of client {client} up to clock {clock}+{len} past what exists ({have})"
                ));
            }
        }
        Ok(())
    }

    /// The clock each client of the update reaches: once a verified update is applied, the
    /// document's state vector is its old one raised to these.
    pub fn reaches(&self) -> impl Iterator<Item = (ClientID, u32)> + '_ {
        self.spans
            .iter()
            .filter_map(|(client, spans)| Some((*client, spans.last()?.1)))
    }

    /// Where an item goes whose parent the update does not say: the parent of its origin (else of
    /// its right origin), as the library takes it. Both neighbours must be in one place, and the
    /// item must fit there (text only into a text, nothing else into one). A neighbour the
    /// document has only as garbage makes the item garbage too: nothing to check.
    fn check_inferred<T: ReadTxn>(
        &self,
        i: usize,
        txn: &T,
        places: &mut [Option<Option<Place>>],
    ) -> Result<(), Refusal> {
        let item = &self.items[i];
        let [left, right] = item
            .neighbours
            .map(|n| n.map(|id| self.place_of(id, txn, places)));
        let place = match (left, right) {
            (Some(l), Some(r)) => {
                let (l, r) = (l?, r?);
                if let (Some(a), Some(b)) = (&l, &r) {
                    if a.key != b.key {
                        return refuse("an item between neighbours in two different types");
                    }
                    if a.shape == Shape::Array && self.right_of(item.neighbours, txn) {
                        return refuse("an item whose origin is not left of its right origin");
                    }
                }
                l.or(r)
            }
            (Some(one), None) | (None, Some(one)) => one?,
            (None, None) => None,
        };
        places[i] = Some(place);
        let Some(place) = place else { return Ok(()) };
        let is_text = item.content == Content::Text;
        if is_text != place.text && item.content != Content::Deleted {
            return refuse(if is_text {
                "text outside a Y.Text"
            } else {
                "a value or type inside a Y.Text"
            });
        }
        Ok(())
    }

    /// Is the origin at or right of the right origin, in the document's sequence? (A client
    /// inserts between two neighbours, the origin left of the right origin; crafted the other way
    /// round, the library orders the item one way live and another when the document is reloaded.)
    /// Compared by the positions of the two document items; a deleted neighbour has no position
    /// (the library says 0), so a pair with one is let through.
    fn right_of<T: ReadTxn>(&self, [origin, right]: [Option<ID>; 2], txn: &T) -> bool {
        let (Some(origin), Some(right)) = (origin, right) else {
            return false;
        };
        if self.item_at(origin).is_some() || self.item_at(right).is_some() {
            return false;
        }
        let position = |id: ID| {
            StickyIndex::new(IndexScope::Relative(id), Assoc::After)
                .get_offset(txn)
                .map(|o| o.index)
        };
        match (position(origin), position(right)) {
            (Some(o), Some(r)) => r > 0 && o >= r,
            _ => false,
        }
    }

    /// The place of the item that holds clock `id`: an item of this update (its parent, said or
    /// inferred — following a chain of origins within the update without recursion), or one of
    /// the document (`None` when it is garbage).
    fn place_of<T: ReadTxn>(
        &self,
        id: ID,
        txn: &T,
        places: &mut [Option<Option<Place>>],
    ) -> Result<Option<Place>, Refusal> {
        // The chain of this update's items reached through origins, until a known place.
        let mut chain: Vec<usize> = Vec::new();
        let mut at = id;
        let found = loop {
            let Some(i) = self.item_at(at) else {
                break self.doc_place(at, txn);
            };
            if let Some(known) = places[i] {
                break known;
            }
            let item = &self.items[i];
            match &item.parent {
                Parent::Root(name, shape) => {
                    break Some(Place {
                        key: PlaceKey::Root(name),
                        shape: *shape,
                        text: false,
                    })
                }
                Parent::Nested(parent) => break self.nested_place(*parent, txn),
                Parent::Inferred => {
                    chain.push(i);
                    match item.neighbours[0].or(item.neighbours[1]) {
                        Some(next) if chain.len() <= self.items.len() => at = next,
                        _ => break None,
                    }
                }
            }
        };
        for i in chain {
            places[i] = Some(found);
        }
        Ok(found)
    }

    /// The update's item whose clock range holds `id`, if any.
    fn item_at(&self, id: ID) -> Option<usize> {
        let (_, spans) = self.spans.iter().find(|(c, _)| *c == id.client)?;
        let i = spans.partition_point(|(_, end, _)| *end <= id.clock);
        spans
            .get(i)
            .filter(|(start, _, _)| *start <= id.clock)
            .and_then(|(_, _, item)| *item)
    }

    /// A nested type as a place: made by this update, or the document's.
    fn nested_place<T: ReadTxn>(&self, parent: ID, txn: &T) -> Option<Place> {
        let made = self
            .item_at(parent)
            .map(|i| &self.items[i])
            .filter(|item| item.id == parent);
        if let Some(Content::Type(shape, text)) = made.map(|item| item.content) {
            return Some(Place {
                key: PlaceKey::Nested(parent),
                shape,
                text,
            });
        }
        let branch = BranchID::get_nested(txn, &parent)?;
        let (shape, text) = type_shape(branch.type_ref())?;
        Some(Place {
            key: PlaceKey::Nested(parent),
            shape,
            text,
        })
    }

    /// The type the document's item at `id` is in (`None`: garbage, or not a type of the schema).
    fn doc_place<T: ReadTxn>(&self, id: ID, txn: &T) -> Option<Place> {
        let offset = StickyIndex::new(IndexScope::Relative(id), Assoc::After).get_offset(txn)?;
        match offset.branch.id() {
            BranchID::Root(name) => {
                let (name, shape) = self.roots.iter().find(|(n, _)| **n == *name)?;
                Some(Place {
                    key: PlaceKey::Root(name),
                    shape: *shape,
                    text: false,
                })
            }
            BranchID::Nested(parent) => {
                let (shape, text) = type_shape(offset.branch.type_ref())?;
                Some(Place {
                    key: PlaceKey::Nested(parent),
                    shape,
                    text,
                })
            }
        }
    }

    /// Can the library integrate every item of the update? It takes each client's blocks in clock
    /// order, each once what it refers to (neighbours, parent) is in the document or integrated
    /// before it. A reference that can never be met that way — to the item itself, to a later item
    /// of its own client, or round a cycle between clients — would leave the update pending
    /// forever, and a compaction of the document would then not load back.
    fn integrable(&self, sv: &StateVector) -> Result<(), Refusal> {
        // Per client: how many of its blocks are integrated, and the clock they reach.
        let mut next: Vec<usize> = vec![0; self.spans.len()];
        let mut reached: HashMap<ClientID, u32> =
            self.spans.iter().map(|(c, _)| (*c, sv.get(c))).collect();
        let available = |reached: &HashMap<ClientID, u32>, id: &ID| {
            id.clock
                < reached
                    .get(&id.client)
                    .copied()
                    .unwrap_or_else(|| sv.get(&id.client))
        };
        loop {
            let mut progress = false;
            for (i, (client, blocks)) in self.spans.iter().enumerate() {
                while let Some(&(_, end, item)) = blocks.get(next[i]) {
                    let refs_met = item.is_none_or(|item| {
                        let item = &self.items[item];
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
        match self.spans.iter().zip(&next).find(|((_, blocks), n)| **n < blocks.len()) {
            Some(((client, blocks), n)) => refuse(format!(
                "an item of client {client} at clock {} refers to itself, to a later item or round a cycle",
                blocks[*n].0
            )),
            None => Ok(()),
        }
    }
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

    /// The update's author claims: a card's `author_id` and an answer's `#by`, as map entries
    /// and inside plain values; nothing else.
    #[test]
    fn author_claims_are_read_from_entries_and_values() {
        let doc = Doc::with_client_id(7);
        let update = change(&doc, |txn| {
            card("c1", "kort")(txn);
            let cards = txn.get_or_insert_map("cards");
            if let Some(yrs::Out::YMap(c1)) = cards.get(txn, "c1") {
                c1.insert(txn, "author_id", "anne");
                c1.insert(txn, "author", "Anne (a name, not a claim)");
            }
            cards.insert(
                txn,
                "c2",
                Any::from(HashMap::from([
                    ("author_id".to_string(), Any::from("bo")),
                    ("text".to_string(), Any::from("som værdi")),
                ])),
            );
            let answers = txn.get_or_insert_map("answers");
            answers.insert(txn, "s1/q1", "ja");
            answers.insert(txn, "s1/q1#by", "carl");
        });
        let mut authors = read(&WALL, &update).unwrap().authors;
        authors.sort();
        assert_eq!(authors, vec!["anne", "bo", "carl"]);
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

    /// Client `a` makes card c1 with `make`; `b` has it; `a` deletes the card; `b`, offline,
    /// makes `edit` inside it meanwhile. The server must take `b`'s edit and `b`'s whole history.
    fn edit_of_a_card_deleted_meanwhile(
        make: impl FnOnce(&mut yrs::TransactionMut, yrs::MapRef),
        edit: impl FnOnce(&mut yrs::TransactionMut, yrs::MapRef),
    ) {
        let server = Server::new();
        let a = Doc::with_client_id(7);
        let b = Doc::with_client_id(8);
        let first = change(&a, |txn| {
            let m = txn
                .get_or_insert_map("cards")
                .insert(txn, "c1", MapPrelim::default());
            make(txn, m);
        });
        server.offer(&WALL, &first).unwrap();
        b.transact_mut()
            .apply_update(Update::decode_v1(&first).unwrap())
            .unwrap();
        let delete = change(&a, |txn| {
            drop(txn.get_or_insert_map("cards").remove(txn, "c1"))
        });
        server.offer(&WALL, &delete).unwrap();
        let offline = change(&b, |txn| {
            let Some(yrs::Out::YMap(m)) = txn.get_or_insert_map("cards").get(txn, "c1") else {
                panic!()
            };
            edit(txn, m);
        });
        server.offer(&WALL, &offline).unwrap();
        server
            .offer(
                &WALL,
                &b.transact()
                    .encode_state_as_update_v1(&StateVector::default()),
            )
            .unwrap();
    }

    #[test]
    fn an_offline_edit_of_a_deleted_card_passes() {
        edit_of_a_card_deleted_meanwhile(
            |txn, m| {
                m.insert(txn, "text", "kort");
            },
            |txn, m| {
                m.insert(txn, "text", "ændret offline");
            },
        );
    }

    #[test]
    fn an_offline_edit_inside_a_deleted_card_passes() {
        // The comment's Y.Text is inside the deleted card map: the library may garbage-collect it
        // whole, and the offline client's keystrokes into it must still be taken (and dropped).
        edit_of_a_card_deleted_meanwhile(
            |txn, m| {
                let comments = m.insert(txn, "comments", ArrayPrelim::default());
                let c = comments.insert(txn, 0, MapPrelim::default());
                c.insert(txn, "text", TextPrelim::new("hvorfor"));
            },
            |txn, m| {
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
            },
        );
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
            "past clock 2^32",
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

    /// The start of an update with one value item of client 5 under `answers`/"k", up to its
    /// count of values.
    fn one_answer_item() -> EncoderV1 {
        let mut e = EncoderV1::new();
        e.write_var(1u32);
        e.write_var(1u32);
        e.write_client(ClientID::new(5));
        e.write_var(0u32);
        e.write_info(8 | HAS_PARENT_SUB);
        e.write_parent_info(true);
        e.write_string("answers");
        e.write_string("k");
        e
    }

    #[test]
    fn a_count_past_the_end_of_the_update_is_refused_before_anything_is_allocated() {
        let server = Server::new();
        let mut e = one_answer_item();
        e.write_len(1 << 30); // a billion values announced, none there
        refused(
            server.offer(&WALL, &e.to_vec()),
            "a count of values 1073741824 past the end",
        );
        // The same inside a value: an array announcing a billion entries.
        let mut e = one_answer_item();
        e.write_len(1);
        e.write_u8(117);
        e.write_var(1u64 << 30);
        refused(server.offer(&WALL, &e.to_vec()), "a count of array values");
        // And the counts of clients, blocks and deleted ranges.
        refused(
            server.offer(&WALL, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
            "past the end",
        );
    }

    #[test]
    fn a_block_the_server_has_in_part_is_refused() {
        let server = Server::new();
        let client = Doc::with_client_id(7);
        server
            .offer(&WALL, &change(&client, card("c1", "kort")))
            .unwrap();
        let before = client.transact().state_vector();
        let _ = change(&client, card("c2", "mere"));
        // The usual form passes: what the server lacks, from its state vector.
        let lacking = client.transact().encode_state_as_update_v1(&before);
        assert!(check(&WALL, &server.0.transact(), &lacking).is_ok());
        // A GC block over clocks 0..6 when the server has 0..3.
        let mut e = EncoderV1::new();
        e.write_var(1u32);
        e.write_var(1u32);
        e.write_client(ClientID::new(7));
        e.write_var(0u32);
        e.write_info(GC);
        e.write_len(before.get(&ClientID::new(7)) + 3);
        e.write_var(0u32);
        refused(
            server.offer(&WALL, &e.to_vec()),
            "of which the server has up to",
        );
    }

    #[test]
    fn an_item_placed_by_its_neighbours_must_fit_there() {
        let server = Server::new();
        let client = Doc::with_client_id(7);
        // Card c1: the map is 7:0, its "text" value 7:1; a comment's Y.Text 7:2..
        server
            .offer(&WALL, &change(&client, card("c1", "kort")))
            .unwrap();
        let next = std::cell::Cell::new(99u64);
        let one = |info: u8, origin: ID, right: Option<ID>, content: &dyn Fn(&mut EncoderV1)| {
            let mut e = EncoderV1::new();
            e.write_var(1u32);
            e.write_var(1u32);
            // Each from a client of its own.
            next.set(next.get() + 1);
            e.write_client(ClientID::new(next.get()));
            e.write_var(0u32);
            e.write_info(info | HAS_ORIGIN | if right.is_some() { HAS_RIGHT_ORIGIN } else { 0 });
            e.write_left_id(&origin);
            if let Some(r) = right {
                e.write_right_id(&r);
            }
            content(&mut e);
            e.write_var(0u32);
            e.to_vec()
        };
        let id = |client: u64, clock: u32| ID::new(ClientID::new(client), clock);
        // Text after a map entry: it would land in the map (the library takes the origin's parent).
        let text = |e: &mut EncoderV1| e.write_string("NNNN");
        refused(
            server.offer(&WALL, &one(STRING, id(7, 0), None, &text)),
            "text outside a Y.Text",
        );
        // Between an entry of `cards` and one inside card c1: two different types.
        let value = |e: &mut EncoderV1| {
            e.write_len(1);
            e.write_any(&Any::from("x"));
        };
        refused(
            server.offer(&WALL, &one(ANY, id(7, 0), Some(id(7, 1)), &value)),
            "two different types",
        );
        // A value after the map entry, as an overwrite of the card: fine.
        server
            .offer(&WALL, &one(ANY, id(7, 0), None, &value))
            .unwrap();

        // In a text: between "e" and "l" of "hello" passes; between "l" and "e" (the origin
        // right of the right origin) is refused.
        let hello = change(&client, |txn| {
            let t = txn
                .get_or_insert_map("answers")
                .insert(txn, "note", TextPrelim::new(""));
            t.insert(txn, 0, "hello");
        });
        server.offer(&WALL, &hello).unwrap();
        // "hello" is the client's last five clocks.
        let end = client.transact().state_vector().get(&ClientID::new(7));
        let ch = |i: u32| id(7, end - 5 + i);
        let x = |e: &mut EncoderV1| e.write_string("x");
        refused(
            server.offer(&WALL, &one(STRING, ch(3), Some(ch(1)), &x)),
            "not left of its right origin",
        );
        server
            .offer(&WALL, &one(STRING, ch(1), Some(ch(2)), &x))
            .unwrap();
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
