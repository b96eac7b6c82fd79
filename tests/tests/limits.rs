//! Sizes that keep a room joinable: a document may not grow past `--max-doc-bytes`, a presence
//! state past `--max-awareness-bytes`, one connection may not set more than `--max-presence-ids`
//! presence ids. Each crossing closes only the sender with a code and a reason; the room, its
//! other clients and what was stored before are untouched.

use std::collections::HashMap;

use kortvaeg_tests::*;
use serde_json::json;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Message};

const TOO_LARGE: u16 = 4413;
const TOO_MANY: u16 = 4429;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_document_refuses_the_update_that_would_overflow_it() {
    let mut f = Fixture::with(ServerOptions::new().arg("--max-doc-bytes", 24_000)).await;
    let (row, col) = as_is_cell();
    let bystander = f.wall(Role::Review).await;
    let writer = f.wall(Role::Participant).await;
    // Cards of ~1 KB each: the 30th cannot fit.
    let text = "æ".repeat(500);
    for i in 0..30 {
        writer.add_card(&format!("c{i}"), &row, &col, &text);
    }
    let (code, reason) = writer.closed().await;
    assert_eq!(code, TOO_LARGE, "{reason}");
    assert!(reason.contains("--max-doc-bytes"), "{reason}");
    // What was accepted before is there for everyone, and the room still takes small changes
    // (deleting makes no room: a deletion keeps its tombstone) — here, a fresh client joins.
    let accepted = bystander
        .wait_cards("the cards that fitted", |c| c.len() >= 10)
        .await
        .len();
    assert!(
        bystander.close_frame().is_none(),
        "{:?}",
        bystander.close_frame()
    );
    assert!(accepted < 30, "all 30 cards fitted in 24 KB?");
    let fresh = f.wall(Role::Review).await;
    fresh
        .wait_cards("a fresh client sees every accepted card", |c| {
            c.len() >= accepted
        })
        .await;
    let metrics = f.server.get("/metrics", None).await.text();
    assert!(
        metrics.contains("kortvaeg_updates_refused_total{doc=\"wall\",reason=\"size\"}"),
        "{metrics}"
    );

    // After a restart the room loads with them (the limit counts the whole state, not the log).
    f.server.restart().await;
    let after = f.wall(Role::Review).await;
    let n = after.cards().len();
    assert!(n >= accepted, "{n} < {accepted}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_presence_state_closes_its_sender_only() {
    let f = Fixture::with(ServerOptions::new().arg("--max-awareness-bytes", 1000)).await;
    let watcher = f.wall(Role::Participant).await;
    watcher.set_awareness(json!({"user": {"name": "Watcher"}}));
    let big = f.wall(Role::Participant).await;
    big.set_awareness(json!({"user": {"name": "x".repeat(2000)}}));
    let (code, reason) = big.closed().await;
    assert_eq!(code, TOO_LARGE, "{reason}");
    assert!(reason.contains("--max-awareness-bytes"), "{reason}");
    // A small state is fine, and the watcher never saw the big one.
    let ok = f.wall(Role::Participant).await;
    ok.set_awareness(json!({"user": {"name": "Anne"}}));
    watcher
        .wait_awareness("the small presence arrives", |s| {
            s.values().any(|s| s["user"]["name"] == "Anne")
        })
        .await;
    assert!(
        !watcher.awareness_ever_seen(big.client_id()),
        "the oversized state was relayed"
    );
    assert!(watcher.close_frame().is_none() && ok.close_frame().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_may_not_register_many_presence_ids() {
    let f = Fixture::with(ServerOptions::new().arg("--max-presence-ids", 3)).await;
    let watcher = f.wall(Role::Participant).await;
    let greedy = f.wall(Role::Participant).await;
    let state = |name: &str| AwarenessUpdateEntry {
        clock: 1,
        json: json!({"user": {"name": name}}).to_string().into(),
    };
    // Three ids are allowed (and renewing them is too) ...
    let three: HashMap<_, _> = (1..=3u64)
        .map(|i| (yrs::ClientID::new(1000 + i), state(&format!("id {i}"))))
        .collect();
    greedy.send(Message::Awareness(AwarenessUpdate { clients: three }));
    let ids = |s: &HashMap<u64, serde_json::Value>| {
        s.values()
            .filter(|s| s["user"]["name"].as_str().unwrap_or("").starts_with("id "))
            .count()
    };
    watcher
        .wait_awareness("three presence ids", |s| ids(s) == 3)
        .await;
    // ... the fourth is not: the sender is closed, and its ids are removed for everyone.
    let fourth = HashMap::from([(yrs::ClientID::new(2000), state("id 4"))]);
    greedy.send(Message::Awareness(AwarenessUpdate { clients: fourth }));
    let (code, reason) = greedy.closed().await;
    assert_eq!(code, TOO_MANY, "{reason}");
    assert!(reason.contains("--max-presence-ids"), "{reason}");
    watcher
        .wait_awareness("the greedy connection's ids are gone", |s| ids(s) == 0)
        .await;
    assert!(watcher.close_frame().is_none());
}
