//! The schema gate and the apply-store-reload cycle, under structure-aware input.
//!
//! A live wall document starts from the seed of the hostile-updates repro (five cards, a
//! formatted `Y.Text`, a `Y.Array`, a deleted card: what a room stored before the gate existed).
//! Then a sequence of operations, each one update offered to the live document as a client's
//! would be: ordinary changes made by yrs client documents (cards, text edits, deletions,
//! answers), and crafted updates encoded block by block from the document's real ids — origins,
//! right origins and parents picked among the items that exist, clocks near each client's
//! current clock, every content kind and info bit — like the updates that crashed the server,
//! plus byte flips of ordinary updates. Each update the gate passes is applied and appended to
//! a log. What must hold (a panic is a finding):
//! - an update the gate passes applies without an error;
//! - the log replays (`stored::rebuild`) with nothing set aside, into the live document's content;
//! - the live document's full state (a compaction) loads back, into the same content.
//! A crash (the kind of bug the yrs patch fixes) is a finding too.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use yrs::encoding::write::Write;
use yrs::types::ToJson;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::{Encoder, EncoderV1};
use yrs::{
    Any, ClientID, Doc, GetString, Map, MapPrelim, Out, ReadTxn, StateVector, Text, TextPrelim,
    Transact, Update, WriteTxn, ID,
};

use kortvaeg_shared::gate;
use kortvaeg_shared::schema::{Shape, WALL};
use kortvaeg_shared::stored;

const SEED: &str = include_str!("../../shared/tests/fixtures/hostile-seed.hex");

#[derive(Arbitrary, Debug)]
enum Op {
    /// A client adds or replaces a card.
    Card {
        client: u8,
        key: u8,
        text: String,
        rich: bool,
    },
    /// A client edits a card's `Y.Text` (if it has one).
    Edit {
        client: u8,
        key: u8,
        at: u16,
        insert: String,
        delete: u8,
    },
    /// A client deletes a card or sets an answer.
    Remove {
        client: u8,
        key: u8,
    },
    Answer {
        client: u8,
        key: u8,
        value: u32,
    },
    /// A crafted update.
    Crafted(Crafted),
    /// An ordinary change with one byte changed.
    Flip {
        client: u8,
        key: u8,
        at: u16,
        byte: u8,
    },
}

#[derive(Arbitrary, Debug)]
struct Crafted {
    clients: Vec<CraftedClient>,
    deletions: Vec<(Pick, u8)>,
}

#[derive(Arbitrary, Debug)]
struct CraftedClient {
    /// An existing client (by index) or a new one.
    client: Option<u8>,
    /// Where its first block starts, relative to the clock the document has of it.
    start: i8,
    blocks: Vec<Block>,
}

/// An id of the document: a client by index, a clock within what it has (or just past it).
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Pick {
    client: u8,
    clock: u16,
    past: bool,
}

#[derive(Arbitrary, Debug)]
enum Block {
    Gc(u8),
    Skip(u8),
    Item {
        origin: Option<Pick>,
        right: Option<Pick>,
        parent: Parent,
        key: Option<u8>,
        content: Content,
    },
}

#[derive(Arbitrary, Debug)]
enum Parent {
    Root(u8),
    Nested(Pick),
}

#[derive(Arbitrary, Debug)]
enum Content {
    Deleted(u8),
    Json(Vec<String>),
    Binary(Vec<u8>),
    Str(String),
    Embed(u8),
    Format(u8, bool),
    Type(u8),
    Any(Vec<u16>),
    Doc,
    Unknown(u8),
}

const ROOTS: [&str; 5] = ["cards", "answers", "groups", "rows", "evil"];
const KEYS: [&str; 6] = ["c0", "c1", "c2", "text", "rich", "comments"];

/// The document's clients with their clocks, in a fixed order.
fn clients(doc: &Doc) -> Vec<(ClientID, u32)> {
    let sv = doc.transact().state_vector();
    let mut clients: Vec<(ClientID, u32)> = sv.iter().map(|(c, k)| (*c, *k)).collect();
    clients.sort();
    clients
}

fn pick(clients: &[(ClientID, u32)], p: Pick) -> ID {
    if clients.is_empty() {
        return ID::new(ClientID::new(1), p.clock as u32);
    }
    let (client, clock) = clients[p.client as usize % clients.len()];
    let clock = if p.past {
        clock + (p.clock as u32 % 4)
    } else {
        p.clock as u32 % clock.max(1)
    };
    ID::new(client, clock)
}

fn craft(doc: &Doc, c: &Crafted) -> Vec<u8> {
    let known = clients(doc);
    let mut e = EncoderV1::new();
    let groups: Vec<&CraftedClient> = c.clients.iter().take(4).collect();
    e.write_var(groups.len() as u32);
    for (n, g) in groups.iter().enumerate() {
        let (client, have) = match g.client {
            Some(i) if !known.is_empty() => known[i as usize % known.len()],
            _ => (ClientID::new(900_000 + n as u64), 0),
        };
        let blocks: Vec<&Block> = g.blocks.iter().take(6).collect();
        e.write_var(blocks.len() as u32);
        e.write_client(client);
        e.write_var((have as i64 + g.start as i64).max(0) as u32);
        for block in blocks {
            match block {
                Block::Gc(len) => {
                    e.write_info(0);
                    e.write_len(*len as u32);
                }
                Block::Skip(len) => {
                    e.write_info(10);
                    e.write_var(*len as u32);
                }
                Block::Item {
                    origin,
                    right,
                    parent,
                    key,
                    content,
                } => {
                    let (num, write): (u8, Box<dyn Fn(&mut EncoderV1)>) = match content {
                        Content::Deleted(n) => {
                            (1, Box::new(move |e: &mut EncoderV1| e.write_len(*n as u32)))
                        }
                        Content::Json(v) => (
                            2,
                            Box::new(move |e: &mut EncoderV1| {
                                e.write_len(v.len() as u32);
                                for s in v.iter().take(8) {
                                    e.write_string(s);
                                }
                            }),
                        ),
                        Content::Binary(b) => {
                            (3, Box::new(move |e: &mut EncoderV1| e.write_buf(b)))
                        }
                        Content::Str(s) => {
                            (4, Box::new(move |e: &mut EncoderV1| e.write_string(s)))
                        }
                        Content::Embed(n) => (
                            5,
                            Box::new(move |e: &mut EncoderV1| e.write_json(&Any::from(*n as f64))),
                        ),
                        Content::Format(k, v) => (
                            6,
                            Box::new(move |e: &mut EncoderV1| {
                                e.write_key(KEYS[*k as usize % KEYS.len()]);
                                e.write_json(&Any::from(*v));
                            }),
                        ),
                        Content::Type(t) => (
                            7,
                            Box::new(move |e: &mut EncoderV1| {
                                let t = t % 8;
                                e.write_type_ref(t);
                                if t == 3 || t == 5 {
                                    e.write_key("p");
                                }
                            }),
                        ),
                        Content::Any(v) => (
                            8,
                            Box::new(move |e: &mut EncoderV1| {
                                e.write_len(v.len() as u32);
                                for n in v.iter().take(8) {
                                    e.write_any(&Any::from(*n as f64));
                                }
                            }),
                        ),
                        Content::Doc => (
                            9,
                            Box::new(|e: &mut EncoderV1| {
                                e.write_string("guid");
                                e.write_any(&Any::from(
                                    std::collections::HashMap::<String, Any>::new(),
                                ));
                            }),
                        ),
                        Content::Unknown(n) => (11 + n % 5, Box::new(|_: &mut EncoderV1| {})),
                    };
                    let mut info = num;
                    if origin.is_some() {
                        info |= 0b1000_0000;
                    }
                    if right.is_some() {
                        info |= 0b0100_0000;
                    }
                    if key.is_some() {
                        info |= 0b0010_0000;
                    }
                    e.write_info(info);
                    if let Some(o) = origin {
                        e.write_left_id(&pick(&known, *o));
                    }
                    if let Some(r) = right {
                        e.write_right_id(&pick(&known, *r));
                    }
                    if origin.is_none() && right.is_none() {
                        match parent {
                            Parent::Root(r) => {
                                e.write_parent_info(true);
                                e.write_string(ROOTS[*r as usize % ROOTS.len()]);
                            }
                            Parent::Nested(p) => {
                                e.write_parent_info(false);
                                e.write_left_id(&pick(&known, *p));
                            }
                        }
                        if let Some(k) = key {
                            e.write_string(KEYS[*k as usize % KEYS.len()]);
                        }
                    }
                    write(&mut e);
                }
            }
        }
    }
    let deletions: Vec<&(Pick, u8)> = c.deletions.iter().take(4).collect();
    e.write_var(deletions.len() as u32);
    for (p, len) in deletions {
        let id = pick(&known, *p);
        e.write_client(id.client);
        e.write_var(1u32);
        e.write_ds_clock(id.clock);
        e.write_ds_len(*len as u32);
    }
    e.to_vec()
}

/// A client document that has everything the live one has, for an ordinary change.
fn client_doc(live: &Doc, n: u8) -> Doc {
    let doc = Doc::with_client_id(100 + (n % 3) as u64);
    let state = live
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    doc.transact_mut()
        .apply_update(Update::decode_v1(&state).unwrap())
        .unwrap();
    doc
}

fn ordinary(live: &Doc, op: &Op) -> Option<Vec<u8>> {
    let (client, key) = match op {
        Op::Card { client, key, .. }
        | Op::Edit { client, key, .. }
        | Op::Remove { client, key }
        | Op::Answer { client, key, .. }
        | Op::Flip { client, key, .. } => (*client, KEYS[*key as usize % 3]),
        Op::Crafted(_) => return None,
    };
    let doc = client_doc(live, client);
    let mut txn = doc.transact_mut();
    let cards = txn.get_or_insert_map("cards");
    match op {
        Op::Card { text, rich, .. } => {
            let text: String = text.chars().take(200).collect();
            let m = cards.insert(&mut txn, key, MapPrelim::default());
            m.insert(&mut txn, "row", "asis-1");
            if *rich {
                m.insert(&mut txn, "text", TextPrelim::new(text));
            } else {
                m.insert(&mut txn, "text", text);
            }
        }
        Op::Edit {
            at, insert, delete, ..
        } => {
            let Some(Out::YMap(m)) = cards.get(&txn, key) else {
                return None;
            };
            let Some(Out::YText(t)) = m.get(&txn, "text") else {
                return None;
            };
            // Offsets are in bytes (the default offset kind) and must fall between characters,
            // as an editor's do.
            let boundaries = |s: &str| -> Vec<u32> {
                s.char_indices()
                    .map(|(i, _)| i as u32)
                    .chain([s.len() as u32])
                    .collect()
            };
            let before = boundaries(&t.get_string(&txn));
            let at = *at as usize % before.len();
            let insert: String = insert.chars().take(50).collect();
            t.insert(&mut txn, before[at], &insert);
            let after = boundaries(&t.get_string(&txn));
            let end = (at + *delete as usize).min(after.len() - 1);
            if end > at {
                t.remove_range(&mut txn, after[at], after[end] - after[at]);
            }
        }
        Op::Remove { .. } => {
            cards.remove(&mut txn, key);
        }
        Op::Answer { value, .. } => {
            txn.get_or_insert_map("answers")
                .insert(&mut txn, format!("s/{key}"), *value as f64);
        }
        Op::Flip { .. } => {
            let m = cards.insert(&mut txn, key, MapPrelim::default());
            m.insert(&mut txn, "text", "flip");
        }
        Op::Crafted(_) => unreachable!(),
    }
    let mut update = txn.encode_update_v1();
    if let Op::Flip { at, byte, .. } = op {
        if !update.is_empty() {
            let i = *at as usize % update.len();
            update[i] = *byte;
        }
    }
    Some(update)
}

/// A value as JSON with its object keys sorted (the library's maps have no order).
fn canonical(value: &Any) -> String {
    serde_json::to_value(value)
        .map(|v| v.to_string())
        .unwrap_or_else(|e| format!("unserialisable: {e}"))
}

/// What a reader sees: each root of the schema as JSON (typed as the schema has it, as a reader
/// asks for it), and the state vector.
fn content(doc: &Doc) -> String {
    let mut txn = doc.transact_mut();
    let mut roots = Vec::new();
    for (name, shape) in WALL.roots {
        let json = match shape {
            Shape::Map => {
                let map = txn.get_or_insert_map(*name);
                canonical(&map.to_json(&txn))
            }
            Shape::Array => {
                let array = txn.get_or_insert_array(*name);
                canonical(&array.to_json(&txn))
            }
        };
        roots.push((name.to_string(), json));
    }
    let mut sv: Vec<(ClientID, u32)> = txn.state_vector().iter().map(|(c, k)| (*c, *k)).collect();
    sv.sort();
    format!("{roots:?} {sv:?}")
}

fuzz_target!(|ops: Vec<Op>| {
    let seed: Vec<Vec<u8>> = SEED
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| hex::decode(l).unwrap())
        .collect();
    let live = Doc::new();
    for update in &seed {
        live.transact_mut()
            .apply_update(Update::decode_v1(update).unwrap())
            .unwrap();
    }
    let state = live
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let mut log: Vec<Vec<u8>> = Vec::new();
    for op in ops.iter().take(24) {
        let update = match op {
            Op::Crafted(c) => craft(&live, c),
            op => match ordinary(&live, op) {
                Some(update) => update,
                None => continue,
            },
        };
        if gate::check(&WALL, &live.transact(), &update).is_err() {
            continue;
        }
        let decoded = Update::decode_v1(&update).expect("an update the gate passed decodes");
        if let Err(e) = live.transact_mut().apply_update(decoded) {
            panic!(
                "an update the gate passed did not apply: {e}; update {}",
                hex::encode(&update)
            );
        }
        log.push(update);
    }
    let want = content(&live);
    // The store's view: the state it started from, then the log.
    let (reloaded, aside) = stored::rebuild(&WALL, Some(&state), &log);
    assert!(
        aside.is_empty(),
        "accepted updates did not reload: {aside:?}"
    );
    assert_eq!(
        content(&reloaded),
        want,
        "the reloaded document differs from the live one"
    );
    // A compaction of the live document loads back into the same content.
    let compacted = live
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    stored::loads_back(&compacted).expect("a compaction loads back");
    let fresh = Doc::new();
    fresh
        .transact_mut()
        .apply_update(Update::decode_v1(&compacted).unwrap())
        .unwrap();
    assert_eq!(
        content(&fresh),
        want,
        "the compacted document differs from the live one"
    );
});
