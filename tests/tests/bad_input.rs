//! Bad input on the WebSocket: a text frame, an oversized frame, garbage, truncated and malicious
//! Yjs messages, awareness garbage. Each closes the sender with the documented code; afterwards the
//! room is unchanged for another client and the server still serves.

use kortvaeg_tests::*;
use yrs::encoding::write::Write;
use yrs::sync::protocol::MSG_AWARENESS;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::encoder::{Encode, Encoder, EncoderV1};
use yrs::ReadTxn;

const UNSUPPORTED_DATA: u16 = 1003;
const TOO_BIG: u16 = 1009;
const BAD_MESSAGE: u16 = 4400;

/// Starts a server with `opts`, lets a participant send `bad`, expects it closed with `code`, then
/// checks that the room is unchanged and the server still works.
async fn survives(opts: ServerOptions, code: u16, what: &str, bad: impl FnOnce(&YClient)) {
    let f = Fixture::with(opts).await;
    let (row, col) = as_is_cell();
    let observer = f.wall(Role::Facilitator).await;
    observer.add_card("before", &row, &col, "før");
    observer.barrier().await;
    let before = observer.cards();

    let attacker = f.wall(Role::Participant).await;
    bad(&attacker);
    let (got, reason) = attacker.closed().await;
    assert_eq!(got, code, "{what}: close code (reason {reason:?})");

    // The observer is still connected and its replica unchanged.
    assert_eq!(
        observer.settle().await,
        None,
        "{what}: the observer was closed too"
    );
    assert_eq!(
        observer.cards(),
        before,
        "{what}: the observer's wall changed"
    );
    // A fresh client sees the same wall.
    let fresh = f.wall(Role::Review).await;
    assert_eq!(fresh.cards(), before, "{what}: the server's wall changed");
    // The server still serves: health, rooms, writes.
    let h = f.server.health().await;
    assert_eq!(h.status, "ok", "{what}: {h:?}");
    f.server.new_room().await;
    observer.add_card("after", &row, &col, "efter");
    fresh.wait_card("after").await;
    let again = f.wall(Role::Participant).await;
    again.add_card("attacker-again", &row, &col, "igen");
    fresh.wait_card("attacker-again").await;
}

fn card_update_message(text_len: usize) -> Vec<u8> {
    let doc = yrs::Doc::new();
    let (row, col) = as_is_cell();
    add_card_offline(&doc, "big", &row, &col, &"x".repeat(text_len));
    let update = yrs::Transact::transact(&doc).encode_state_as_update_v1(&Default::default());
    Message::Sync(SyncMessage::Update(update)).encode_v1()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_frame() {
    survives(
        ServerOptions::new(),
        UNSUPPORTED_DATA,
        "a text frame",
        |c| c.send_text("hej"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frame() {
    survives(
        ServerOptions::new().max_message_bytes(2048),
        TOO_BIG,
        "a frame over --max-message-bytes",
        |c| {
            let msg = card_update_message(8192);
            assert!(msg.len() > 8192);
            c.send_raw(msg);
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frame_under_the_limit_is_accepted() {
    let f = Fixture::with(ServerOptions::new().max_message_bytes(2048)).await;
    let c = f.wall(Role::Participant).await;
    let msg = card_update_message(1000);
    assert!(msg.len() < 2048 && msg.len() > 1000, "{} bytes", msg.len());
    c.send_raw(msg);
    assert_eq!(
        c.settle().await,
        None,
        "an update under the limit was refused"
    );
    let fresh = f.wall(Role::Review).await;
    assert!(fresh.card("big").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_limit_is_one_mebibyte() {
    survives(ServerOptions::new(), TOO_BIG, "a 2 MiB frame", |c| {
        c.send_raw(card_update_message(2 << 20))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_bytes() {
    survives(
        ServerOptions::new(),
        BAD_MESSAGE,
        "a sync message of an unknown kind",
        |c| {
            c.send_raw(vec![0, 5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x13, 0x37]);
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_frame() {
    survives(
        ServerOptions::new(),
        BAD_MESSAGE,
        "an empty binary frame",
        |c| c.send_raw(Vec::new()),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_update() {
    survives(
        ServerOptions::new(),
        BAD_MESSAGE,
        "an update that is not an update",
        |c| {
            c.send(Message::Sync(SyncMessage::Update(vec![0xff; 64])));
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_sync_step2() {
    survives(
        ServerOptions::new(),
        BAD_MESSAGE,
        "a sync step 2 that is not an update",
        |c| {
            c.send(Message::Sync(SyncMessage::SyncStep2(vec![
                7, 7, 7, 7, 0xff, 0xff, 0x80,
            ])));
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_sync_message() {
    survives(
        ServerOptions::new(),
        BAD_MESSAGE,
        "a truncated update message",
        |c| {
            let mut msg = card_update_message(100);
            msg.truncate(msg.len() / 2);
            c.send_raw(msg);
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_update_inside_a_whole_message() {
    survives(
        ServerOptions::new(),
        BAD_MESSAGE,
        "an update cut short inside a well-framed message",
        |c| {
            let doc = yrs::Doc::new();
            let (row, col) = as_is_cell();
            add_card_offline(&doc, "cut", &row, &col, "afkortet");
            let mut update =
                yrs::Transact::transact(&doc).encode_state_as_update_v1(&Default::default());
            update.truncate(update.len() - 6);
            c.send(Message::Sync(SyncMessage::Update(update)));
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allocation_bomb_update() {
    survives(
        ServerOptions::new(),
        BAD_MESSAGE,
        "an update claiming 4 billion clients",
        |c| {
            let mut enc = EncoderV1::new();
            enc.write_var(u32::MAX as u64);
            enc.write_var(u32::MAX as u64);
            c.send(Message::Sync(SyncMessage::Update(enc.to_vec())));
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awareness_garbage() {
    survives(
        ServerOptions::new(),
        BAD_MESSAGE,
        "an awareness message with a garbage payload",
        |c| {
            c.send(Message::Custom(
                MSG_AWARENESS,
                vec![0xff, 0xff, 0xff, 0xff, 0x0f, 0x01],
            ));
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_awareness() {
    survives(
        ServerOptions::new(),
        BAD_MESSAGE,
        "a truncated awareness message",
        |c| {
            let update = yrs::sync::AwarenessUpdate {
                clients: std::collections::HashMap::from([(
                    yrs::block::ClientID::new(c.client_id()),
                    yrs::sync::awareness::AwarenessUpdateEntry {
                        clock: 1,
                        json: "{\"user\":{\"name\":\"x\"}}".into(),
                    },
                )]),
            };
            let mut msg = Message::Awareness(update).encode_v1();
            msg.truncate(msg.len() - 5);
            c.send_raw(msg);
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_on_the_control_document() {
    // The control document's connection handles bad input the same way.
    let f = Fixture::new().await;
    let observer = f.control(Role::Facilitator).await;
    let c = f.control(Role::Participant).await;
    c.send(Message::Sync(SyncMessage::Update(vec![0xff; 32])));
    assert_eq!(c.closed().await.0, BAD_MESSAGE);
    let t = f.control(Role::Participant).await;
    t.send_text("{}");
    assert_eq!(t.closed().await.0, UNSUPPORTED_DATA);
    assert_eq!(observer.settle().await, None);
    let fresh = f.control(Role::Review).await;
    assert_eq!(
        projection::structure(&fresh.doc),
        projection::structure(&observer.doc)
    );
    assert_eq!(fresh.phase(), "group");
}
