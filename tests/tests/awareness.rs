//! Awareness (presence): relayed between clients of a document, removed for everyone when a
//! connection closes, never relayed from review connections.

use kortvaeg_tests::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awareness_is_relayed_both_ways() {
    let f = Fixture::new().await;
    let a = f.wall(Role::Participant).await;
    let b = f.wall(Role::Facilitator).await;
    let (a_id, b_id) = (a.client_id(), b.client_id());

    a.set_awareness(json!({"user": {"name": "Anne", "color": "#30bced"}}));
    let seen = b
        .wait_awareness("Anne's state", |s| s.contains_key(&a_id))
        .await;
    assert_eq!(seen[&a_id]["user"]["name"], "Anne");

    b.set_awareness(json!({"user": {"name": "Bo"}}));
    a.wait_awareness("Bo's state", |s| {
        s.get(&b_id).is_some_and(|v| v["user"]["name"] == "Bo")
    })
    .await;

    // A newer state replaces the old one.
    a.set_awareness(json!({"user": {"name": "Anne"}, "cursor": {"card": "c-1"}}));
    b.wait_awareness("Anne's cursor", |s| {
        s.get(&a_id).is_some_and(|v| v["cursor"]["card"] == "c-1")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awareness_is_per_document() {
    let f = Fixture::new().await;
    let wall = f.wall(Role::Participant).await;
    let control = f.control(Role::Participant).await;
    let wall2 = f.wall(Role::Participant).await;
    control.set_awareness(json!({"user": {"name": "kun på control"}}));
    control.barrier().await;
    wall2.set_awareness(json!({"user": {"name": "wall2"}}));
    let seen = wall
        .wait_awareness("wall2's state", |s| s.contains_key(&wall2.client_id()))
        .await;
    assert!(
        !seen.contains_key(&control.client_id()),
        "a control-document awareness state reached a wall client: {seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_joiner_receives_present_awareness() {
    let f = Fixture::new().await;
    let a = f.wall(Role::Participant).await;
    a.set_awareness(json!({"user": {"name": "Anne"}}));
    a.barrier().await;
    let late = f.wall(Role::Participant).await;
    late.wait_awareness("Anne's state at a late joiner", |s| {
        s.contains_key(&a.client_id())
    })
    .await;
}

async fn removed_on_disconnect(graceful: bool) {
    let f = Fixture::new().await;
    let a = f.wall(Role::Participant).await;
    let b = f.wall(Role::Participant).await;
    let c = f.control(Role::Facilitator).await; // another document's connection must not matter
    let a_id = a.client_id();
    a.set_awareness(json!({"user": {"name": "Anne"}}));
    b.wait_awareness("Anne present", |s| s.contains_key(&a_id))
        .await;

    if graceful {
        a.close().await;
    } else {
        a.drop_connection();
    }
    // The server announces the removal (a `null` state) without Anne having sent one.
    b.wait_awareness("Anne removed after her connection closed", |s| {
        !s.contains_key(&a_id)
    })
    .await;
    assert!(b.awareness_ever_seen(a_id));
    // A client joining afterwards does not get her state either.
    let late = f.wall(Role::Participant).await;
    late.barrier().await;
    assert!(
        !late.awareness().contains_key(&a_id),
        "late joiner got a closed connection's state: {:?}",
        late.awareness()
    );
    drop(c);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awareness_removed_when_connection_closes() {
    removed_on_disconnect(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awareness_removed_when_connection_drops() {
    removed_on_disconnect(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_null_state_is_relayed() {
    let f = Fixture::new().await;
    let a = f.wall(Role::Participant).await;
    let b = f.wall(Role::Participant).await;
    let a_id = a.client_id();
    a.set_awareness(json!({"user": {"name": "Anne"}}));
    b.wait_awareness("Anne present", |s| s.contains_key(&a_id))
        .await;
    a.clear_awareness();
    b.wait_awareness("Anne's null state", |s| !s.contains_key(&a_id))
        .await;
    assert!(!a.is_closed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_awareness_is_not_relayed() {
    let f = Fixture::new().await;
    let observer = f.wall(Role::Facilitator).await;
    let review = f.wall(Role::Review).await;
    let participant = f.wall(Role::Participant).await;

    review.set_awareness(json!({"user": {"name": "Revisor"}}));
    // The server has handled the review client's awareness before the participant's is sent, so
    // had it relayed it, the observer would have it before the participant's.
    review.barrier().await;
    participant.set_awareness(json!({"user": {"name": "Deltager"}}));
    let seen = observer
        .wait_awareness("the participant's state", |s| {
            s.contains_key(&participant.client_id())
        })
        .await;
    assert!(
        !seen.contains_key(&review.client_id()),
        "the review client's awareness was relayed: {seen:?}"
    );
    assert!(
        !observer.awareness_ever_seen(review.client_id()),
        "the review client's id appeared in awareness"
    );
    // Sending awareness is not a forbidden write: the review connection stays open, and it still
    // sees the others' presence.
    assert!(
        !review.is_closed(),
        "review client closed: {:?}",
        review.close_frame()
    );
    review
        .wait_awareness("the participant's state at the review client", |s| {
            s.contains_key(&participant.client_id())
        })
        .await;
}

/// A connection owns the presence ids it set first. Another connection cannot rename, replace
/// or remove them (a participant spoofing a colleague's name); its own presence works as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_cannot_change_another_ones_presence() {
    use std::collections::HashMap;
    use std::sync::Arc;
    use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};
    use yrs::sync::Message;

    let f = Fixture::new().await;
    let anne = f.wall(Role::Participant).await;
    let mallory = f.wall(Role::Participant).await;
    let observer = f.wall(Role::Facilitator).await;
    let anne_id = anne.client_id();
    anne.set_awareness(json!({"user": {"name": "Anne"}}));
    observer
        .wait_awareness("Anne", |s| {
            s.get(&anne_id).is_some_and(|v| v["user"]["name"] == "Anne")
        })
        .await;

    // Mallory sends Anne's id with a far newer clock: a rename, then a removal (null).
    for (clock, state) in [(1000, r#"{"user":{"name":"Mallory"}}"#), (1001, "null")] {
        let update = AwarenessUpdate {
            clients: HashMap::from([(
                yrs::ClientID::new(anne_id),
                AwarenessUpdateEntry {
                    clock,
                    json: Arc::from(state),
                },
            )]),
        };
        mallory.send(Message::Awareness(update));
    }
    // Then her own state, which does go through: once the observer has it, the spoof was handled.
    mallory.set_awareness(json!({"user": {"name": "Mallory"}}));
    let mallory_id = mallory.client_id();
    let seen = observer
        .wait_awareness("Mallory's own state", |s| s.contains_key(&mallory_id))
        .await;
    // Relays are in order per connection: a relayed spoof would be here by now.
    assert_eq!(
        seen.get(&anne_id).map(|v| v["user"]["name"].clone()),
        Some(json!("Anne")),
        "another connection changed or removed Anne's presence"
    );
    assert_eq!(
        mallory.settle().await,
        None,
        "ignored, not closed: a stock client never does this"
    );

    // Anne's own updates still go through, and her state goes when she does.
    anne.set_awareness(json!({"user": {"name": "Anne J."}}));
    observer
        .wait_awareness("Anne's rename", |s| {
            s.get(&anne_id)
                .is_some_and(|v| v["user"]["name"] == "Anne J.")
        })
        .await;
    anne.close().await;
    observer
        .wait_awareness("Anne gone", |s| !s.contains_key(&anne_id))
        .await;
}

/// A presence says the connection's role whatever the client claims, and what the facilitator
/// shows ("Følg facilitator", `showing`) comes only from a facilitator's connection: a
/// participant cannot steer the followers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_says_the_connections_role_and_only_the_facilitator_shows() {
    let f = Fixture::new().await;
    let mallory = f.wall(Role::Participant).await;
    let facilitator = f.wall(Role::Facilitator).await;
    let watcher = f.wall(Role::Participant).await;
    let showing =
        json!({"view": "wall", "cell": null, "card": "c-1", "sagsomraade": null, "at": 1});
    mallory.set_awareness(
        json!({"user": {"name": "Mallory", "role": "facilitator"}, "showing": showing}),
    );
    facilitator.set_awareness(json!({"user": {"name": "Facilitator"}, "showing": showing}));
    let (m, fac) = (mallory.client_id(), facilitator.client_id());
    let seen = watcher
        .wait_awareness("both states", |s| {
            s.contains_key(&m) && s.contains_key(&fac)
        })
        .await;
    assert_eq!(seen[&m]["user"]["role"], "participant");
    assert_eq!(seen[&m].get("showing"), None, "{}", seen[&m]);
    assert_eq!(seen[&fac]["user"]["role"], "facilitator");
    assert_eq!(seen[&fac]["showing"]["card"], "c-1");
}
