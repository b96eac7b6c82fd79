//! Crafted Yjs updates that broke yrs 0.28.1 (see `vendor/yrs/KORTVAEG-PATCH.md` and
//! `docs/yrs-upstream-issue.md`). The server applies every client update in its own transaction
//! and rebuilds a room by replaying its stored updates in one transaction; these tests do both.
//!
//! The seed (`fixtures/hostile-seed.hex`, one v1 update per line, made by
//! `tests/node/yrs-hostile-seed.mjs` with stock Yjs) is the document the crafted updates of
//! `hostile-updates.mjs` refer to: client 478096198 writes five cards in the root map `cards`, a
//! formatted Y.Text `rich` in c0, a Y.Array `comments` in c1, and deletes c4.

use yrs::error::UpdateError;
use yrs::types::ToJson;
use yrs::updates::decoder::Decode;
use yrs::{
    Any, ClientID, Doc, GetString, Map, MapRef, Out, ReadTxn, StateVector, Transact, Update,
};

const SEED: &str = include_str!("fixtures/hostile-seed.hex");

/// Case `crash`: the fourth update made yrs read and write freed memory (SIGSEGV).
const CRASH: [&str; 4] = [
    "0101c6d6fce301272901017803726f77056775696430760002c6d6fce301010600c6d6fce3010201040201",
    "0102b9fe360284c6d6fce3010a0568656c6c6f87c6d6fce301030600",
    "0102f8fe36022800c6d6fce301060474657874027c406000007703737472e6c6d6fce3010ac6d6fce3010100047472756502c6d6fce301020f021203b7fc360201020c01",
    "0201b9fe360084c6d6fce3011e26787878787878787878787878787878787878787878787878787878787878787878787878787803f3f9360087c6d6fce30104030170c3c6d6fce3011ac6d6fce3011a010081c6d6fce301210302b3fe36010201c6d6fce301020e020500",
];

/// The smallest form of the crash, without the seed: a GC'd range of client 1; "y" at clock 2 of
/// client 2 (clocks 0..2 a hole); then "xxxxx" at clocks 0..5 of client 2 after 1:3 (GC'd). The
/// last update overlaps the known 2:2, so it is split twice and its middle dropped.
const CRASH_MINIMAL: [&str; 3] = [
    "01010100000500",
    "0101020204010174017900",
    "0101020084010305787878787800",
];

/// Case `poison`: the first two are accepted live; the third has a non-type parent and is
/// refused. Replaying the two accepted ones in one transaction failed ("block parent … must be
/// deleted or shared ref type"), so the room could never be loaded again.
const POISON: [&str; 3] = [
    "0101d9f83602000101c6d6fce301011302",
    "010186fc36012900c6d6fce3011904746578740567756964317e01b1f8360212030000",
    "020388fe3600c6c6d6fce3011ec6d6fce3012404626f6c64046e756c6c0300c6d6fce3010b03000000a3c6d6fce30101010002b4fa36012500c6d6fce3010c03726f77077b2261223a317da9c6d6fce3012505677569643176010267637900",
];

/// Client 900872 inserts "zz" between 478096198:30 (in `rich`, GC'd once `rich` is deleted by
/// POISON[0]) and 478096198:36 (`b` in `comments`). Yjs turns such an item into GC.
const GC_ORIGIN: &str = "010188fe3600c4c6d6fce3011ec6d6fce30124027a7a00";

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn seed() -> Vec<&'static str> {
    SEED.lines().filter(|l| !l.trim().is_empty()).collect()
}

/// Applies each update in its own transaction, as the server does with live updates.
fn apply_each(doc: &Doc, updates: &[&str]) -> Vec<Result<(), UpdateError>> {
    updates
        .iter()
        .map(|h| {
            let update = Update::decode_v1(&hex(h)).expect("update decodes");
            doc.transact_mut().apply_update(update)
        })
        .collect()
}

/// Replays updates in one transaction, as the server does when it loads a room from its store.
fn replay(updates: &[&str]) -> Result<Doc, UpdateError> {
    let doc = Doc::new();
    {
        let mut txn = doc.transact_mut();
        for h in updates {
            txn.apply_update(Update::decode_v1(&hex(h)).expect("update decodes"))?;
        }
    }
    Ok(doc)
}

fn map(out: Option<Out>) -> MapRef {
    match out {
        Some(Out::YMap(m)) => m,
        other => panic!("expected a map, got {other:?}"),
    }
}

fn comments(doc: &Doc) -> String {
    let cards = doc.get_or_insert_map("cards");
    let txn = doc.transact();
    match map(cards.get(&txn, "c1")).get(&txn, "comments") {
        Some(Out::YArray(a)) => a.to_json(&txn).to_string(),
        other => panic!("expected an array, got {other:?}"),
    }
}

fn cards_json(doc: &Doc) -> Any {
    let cards = doc.get_or_insert_map("cards");
    let txn = doc.transact();
    cards.to_json(&txn)
}

/// The four live cards of the seed, c4 gone.
fn assert_cards(doc: &Doc) {
    let cards = doc.get_or_insert_map("cards");
    let txn = doc.transact();
    let mut keys: Vec<String> = cards.keys(&txn).map(str::to_owned).collect();
    keys.sort();
    assert_eq!(keys, ["c0", "c1", "c2", "c3"]);
}

/// The four live cards of the seed with their text, c4 gone.
fn assert_seed_cards(doc: &Doc) {
    assert_cards(doc);
    let cards = doc.get_or_insert_map("cards");
    let txn = doc.transact();
    for (i, key) in ["c0", "c1", "c2", "c3"].iter().enumerate() {
        let card = map(cards.get(&txn, key));
        assert_eq!(
            card.get(&txn, "text").map(|v| v.to_string(&txn)),
            Some(format!("card {i}"))
        );
    }
}

/// Encodes the state and loads it in a fresh Doc; the fresh Doc has the same cards.
fn assert_state_reloads(doc: &Doc) -> Doc {
    let state = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let fresh = Doc::new();
    fresh
        .transact_mut()
        .apply_update(Update::decode_v1(&state).expect("state decodes"))
        .expect("state applies to a fresh doc");
    assert_eq!(cards_json(&fresh), cards_json(doc));
    assert_eq!(
        fresh.transact().state_vector(),
        doc.transact().state_vector()
    );
    fresh
}

#[test]
fn seed_fixture_builds_the_seed_document() {
    let doc = Doc::new();
    assert!(apply_each(&doc, &seed()).iter().all(Result::is_ok));
    assert_seed_cards(&doc);
    let cards = doc.get_or_insert_map("cards");
    let txn = doc.transact();
    match map(cards.get(&txn, "c0")).get(&txn, "rich") {
        Some(Out::YText(rich)) => assert_eq!(rich.get_string(&txn), "hello world"),
        other => panic!("expected a text, got {other:?}"),
    }
    drop(txn);
    assert_eq!(comments(&doc), "[a, b, {x: 1}]");
}

#[test]
fn crash_updates_apply_without_crashing() {
    let doc = Doc::new();
    assert!(apply_each(&doc, &seed()).iter().all(Result::is_ok));
    for (i, r) in apply_each(&doc, &CRASH).into_iter().enumerate() {
        assert!(r.is_ok(), "crash update {i}: {r:?}");
    }
    // The updates legitimately delete and overwrite card fields (c0's text is now "xxx…", c1 an
    // XML element), but all four cards are still there, and the state loads in a fresh doc.
    assert_cards(&doc);
    assert_state_reloads(&doc);

    // The store replays the same updates in one transaction: same document.
    let all: Vec<&str> = seed().into_iter().chain(CRASH).collect();
    let replayed = replay(&all).expect("stored updates replay");
    assert_cards(&replayed);
    assert_eq!(cards_json(&replayed), cards_json(&doc));
    assert_eq!(
        replayed.transact().state_vector(),
        doc.transact().state_vector()
    );
    assert_state_reloads(&replayed);
}

#[test]
fn minimal_crash_turns_the_orphaned_item_into_gc() {
    let doc = Doc::new();
    for (i, r) in apply_each(&doc, &CRASH_MINIMAL).into_iter().enumerate() {
        assert!(r.is_ok(), "update {i}: {r:?}");
    }
    // 2:0..2 follows a GC'd origin and is GC'd itself; 2:2 ("y") stays; 2:3..5 follows 2:2.
    let text = doc.get_or_insert_text("t");
    assert_eq!(text.get_string(&doc.transact()), "yxx");
    let mut sv = StateVector::default();
    sv.set_max(ClientID::new(1), 5);
    sv.set_max(ClientID::new(2), 5);
    assert_eq!(doc.transact().state_vector(), sv);
    let fresh = assert_state_reloads(&doc);
    assert_eq!(
        fresh.get_or_insert_text("t").get_string(&fresh.transact()),
        "yxx"
    );
}

#[test]
fn poison_updates_leave_a_room_that_loads() {
    let doc = Doc::new();
    assert!(apply_each(&doc, &seed()).iter().all(Result::is_ok));
    let results = apply_each(&doc, &POISON);
    assert!(results[0].is_ok(), "{:?}", results[0]);
    // Its parent 478096198:25 is in `rich`, deleted and GC'd by POISON[0]: the item becomes GC.
    assert!(results[1].is_ok(), "{:?}", results[1]);
    // Its parent 478096198:11 is the live string value of c2's `text`: refused.
    match &results[2] {
        Err(UpdateError::InvalidParent(id, _)) => {
            assert_eq!((id.client.get(), id.clock), (478096198, 11))
        }
        other => panic!("expected InvalidParent, got {other:?}"),
    }
    assert_seed_cards(&doc);

    // What the server stored: the seed and the two accepted updates. Replayed in one
    // transaction (no GC in between) the parent 478096198:25 is a deleted string item, not yet
    // GC: this failed with InvalidParent before the patch.
    let stored: Vec<&str> = seed()
        .into_iter()
        .chain(POISON[..2].iter().copied())
        .collect();
    let replayed = replay(&stored).expect("stored updates replay");
    assert_seed_cards(&replayed);
    let accepted = Doc::new();
    assert!(apply_each(&accepted, &stored).iter().all(Result::is_ok));
    assert_eq!(cards_json(&replayed), cards_json(&accepted));
    assert_eq!(
        replayed.transact().state_vector(),
        accepted.transact().state_vector()
    );
    assert_state_reloads(&replayed);
}

#[test]
fn item_after_a_gc_origin_is_gc_live_and_replayed() {
    let updates: Vec<&str> = seed().into_iter().chain([POISON[0], GC_ORIGIN]).collect();
    let live = Doc::new();
    assert!(apply_each(&live, &updates).iter().all(Result::is_ok));
    let replayed = replay(&updates).expect("replays");
    // Before the patch the live doc had ["z","z","a","b",{"x":1}] and the replayed one not.
    assert_eq!(comments(&live), "[a, b, {x: 1}]");
    assert_eq!(comments(&replayed), "[a, b, {x: 1}]");
    assert_eq!(cards_json(&live), cards_json(&replayed));
    assert_seed_cards(&live);
}
