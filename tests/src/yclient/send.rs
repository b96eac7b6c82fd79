//! What a [`YClient`] sends: protocol messages and raw frames, edits of its document (each sent as
//! an update), awareness, and a close; and offline edits, made on a `Doc` and sent by nothing (a
//! reconnect with [`crate::ClientOptions::with_doc`] syncs them).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Message, SyncMessage};
use yrs::updates::encoder::Encode;
use yrs::{Any, Doc, Map, MapPrelim, MapRef, ReadTxn, TextPrelim, Transact, TransactionMut};

use crate::{analysis, projection, schema, YClient};

impl YClient {
    /// Sends a protocol message.
    pub fn send(&self, msg: Message) {
        self.send_raw(msg.encode_v1());
    }

    /// Sends one binary frame as is.
    pub fn send_raw(&self, bytes: Vec<u8>) {
        let _ = self.out.send(WsMessage::Binary(bytes.into()));
    }

    /// Sends a text frame.
    pub fn send_text(&self, text: &str) {
        let _ = self.out.send(WsMessage::Text(text.to_string().into()));
    }

    /// Sends a sync step 1 with this replica's state vector; returns how many have been sent
    /// (the server's answer to this one is its sync step 2 number n).
    pub fn send_sync_step1(&self) -> u64 {
        let n = self
            .sync_step1_sent
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        let sv = self.doc.transact().state_vector();
        self.send(Message::Sync(SyncMessage::SyncStep1(sv)));
        n
    }

    /// Sends an update (sync message type 2).
    pub fn send_update(&self, update: Vec<u8>) {
        self.send(Message::Sync(SyncMessage::Update(update)));
    }

    /// Sends a sync step 2 carrying `update`.
    pub fn send_sync_step2(&self, update: Vec<u8>) {
        self.send(Message::Sync(SyncMessage::SyncStep2(update)));
    }

    /// Runs `f` in one local transaction and sends the resulting update; returns the update.
    pub fn transact(&self, f: impl FnOnce(&mut TransactionMut)) -> Vec<u8> {
        let update = {
            let mut txn = self.doc.transact_mut();
            f(&mut txn);
            txn.encode_update_v1()
        };
        self.send_update(update.clone());
        update
    }

    /// Adds a card (plain string text, `author`, `created_at`) and sends the update.
    pub fn add_card(&self, id: &str, row: &str, column: &str, text: &str) -> Vec<u8> {
        let cards = self.doc.get_or_insert_map(schema::CARDS);
        self.transact(|txn| write_card(txn, &cards, id, row, column, text))
    }

    /// Adds a card whose `text` is a `Y.Text`, and sends the update.
    pub fn add_card_ytext(&self, id: &str, row: &str, column: &str, text: &str) -> Vec<u8> {
        let cards = self.doc.get_or_insert_map(schema::CARDS);
        self.transact(|txn| {
            let card = cards.insert(txn, id, MapPrelim::default());
            card.insert(txn, "row", row);
            card.insert(txn, "column", column);
            card.insert(txn, "text", TextPrelim::new(text));
            card.insert(txn, "created_at", now_ms());
        })
    }

    /// Adds a card with the given fields, and sends the update.
    pub fn add_card_fields(&self, id: &str, fields: Vec<(&str, Any)>) -> Vec<u8> {
        let cards = self.doc.get_or_insert_map(schema::CARDS);
        self.transact(|txn| {
            let card = cards.insert(txn, id, MapPrelim::default());
            for (k, v) in fields {
                card.insert(txn, k, v);
            }
        })
    }

    /// Removes a card, and sends the update.
    pub fn remove_card(&self, id: &str) -> Vec<u8> {
        let cards = self.doc.get_or_insert_map(schema::CARDS);
        self.transact(|txn| {
            cards.remove(txn, id);
        })
    }

    /// Sets `meta.<key>` in a control document, and sends the update.
    pub fn set_meta(&self, key: &str, value: &str) -> Vec<u8> {
        let meta = self.doc.get_or_insert_map(schema::META);
        self.transact(|txn| {
            meta.insert(txn, key, value);
        })
    }

    /// Sets `meta.phase` in a control document, and sends the update.
    pub fn set_phase(&self, phase: &str) -> Vec<u8> {
        self.set_meta("phase", phase)
    }

    /// Adds a sagsområde `{id, label, kle}` to column `column` of a control document (creating its
    /// `sagsomraader` array if missing), as the web client does, and sends the update.
    pub fn add_sagsomraade(&self, column: &str, id: &str, label: &str, kle: &str) -> Vec<u8> {
        use yrs::{Array, ArrayPrelim, ArrayRef, Out};
        let columns = self.doc.get_or_insert_array(schema::COLUMNS);
        self.transact(|txn| {
            let col = columns
                .iter(txn)
                .find_map(|v| match v {
                    Out::YMap(m)
                        if m.get(txn, "id").map(|id| id.to_string(txn)).as_deref()
                            == Some(column) =>
                    {
                        Some(m)
                    }
                    _ => None,
                })
                .unwrap_or_else(|| panic!("no column {column} in the control document"));
            let list: ArrayRef = match col.get(txn, "sagsomraader") {
                Some(Out::YArray(a)) => a,
                _ => col.insert(txn, "sagsomraader", ArrayPrelim::default()),
            };
            list.push_back(
                txn,
                MapPrelim::from([("id", id), ("label", label), ("kle", kle)]),
            );
        })
    }

    /// Sets `key` of the row or column `id` (`list` is [`schema::ROWS`] or [`schema::COLUMNS`]) in a
    /// control document, as a facilitator's edit does, and sends the update.
    pub fn set_axis_entry(
        &self,
        list: &str,
        id: &str,
        key: &str,
        value: impl Into<Any>,
    ) -> Vec<u8> {
        use yrs::{Array, Out};
        let entries = self.doc.get_or_insert_array(list);
        let value = value.into();
        self.transact(|txn| {
            let entry = entries
                .iter(txn)
                .find_map(|v| match v {
                    Out::YMap(m)
                        if m.get(txn, "id").map(|v| v.to_string(txn)).as_deref() == Some(id) =>
                    {
                        Some(m)
                    }
                    _ => None,
                })
                .unwrap_or_else(|| panic!("no entry {id} in {list} of the control document"));
            entry.insert(txn, key, value);
        })
    }

    /// Sets the answer `key` of `sagsomraade` in a wall document (flat key
    /// `<sagsområde id>/<key>` in the root map `answers`), and sends the update.
    pub fn set_answer(&self, sagsomraade: &str, key: &str, value: impl Into<Any>) -> Vec<u8> {
        let answers = self.doc.get_or_insert_map(schema::ANSWERS);
        let value = value.into();
        self.transact(|txn| {
            answers.insert(txn, analysis::answer_key(sagsomraade, key), value);
        })
    }

    /// Sets `prioritering.<key>` in a control document, and sends the update.
    pub fn set_prioritering(&self, key: &str, value: impl Into<Any>) -> Vec<u8> {
        let map = self.doc.get_or_insert_map(schema::PRIORITERING);
        let value = value.into();
        self.transact(|txn| {
            map.insert(txn, key, value);
        })
    }

    /// The sagsområder of (this replica of) a control document, in wall order.
    pub fn sagsomraader(&self) -> Vec<analysis::SagsomraadeRef> {
        let (_, columns, _) = projection::structure(&self.doc);
        analysis::sagsomraader(&columns)
    }

    /// Sets this client's awareness state (sent with the next clock).
    pub fn set_awareness(&self, state: Value) {
        self.send_awareness(state.to_string());
    }

    /// Announces that this client's awareness state is gone (`null`), as a closing stock client does.
    pub fn clear_awareness(&self) {
        self.send_awareness("null".to_string());
    }

    fn send_awareness(&self, json: String) {
        let clock = {
            let mut c = self.awareness_clock.lock().unwrap();
            *c += 1;
            *c
        };
        let update = AwarenessUpdate {
            clients: HashMap::from([(
                self.doc.client_id(),
                AwarenessUpdateEntry {
                    clock,
                    json: json.into(),
                },
            )]),
        };
        self.send(Message::Awareness(update));
    }

    /// Closes the connection with code 1000 and waits until the server has answered it (or the
    /// connection is gone).
    pub async fn close(self) {
        let _ = self.out.send(WsMessage::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        })));
        let _ = self
            .wait_until(Duration::from_secs(5), |i, _| i.ended.as_ref().map(|_| ()))
            .await;
    }

    /// Drops the TCP connection without a close frame.
    pub fn drop_connection(self) {
        drop(self)
    }
}

/// Milliseconds since the epoch, as the schema's `created_at`.
pub fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as f64
}

/// Writes a card into `cards` (the wall's root map) inside `txn`: `row`, `column`, `text`,
/// `author` and `created_at`. For offline edits: `write_card(&mut doc.transact_mut(), &cards, ...)`.
pub fn write_card(
    txn: &mut TransactionMut,
    cards: &MapRef,
    id: &str,
    row: &str,
    column: &str,
    text: &str,
) {
    let card = cards.insert(txn, id, MapPrelim::default());
    card.insert(txn, "row", row);
    card.insert(txn, "column", column);
    card.insert(txn, "text", text);
    card.insert(txn, "author", "rust");
    card.insert(txn, "created_at", now_ms());
}

/// Adds a card to `doc` locally only (nothing is sent): an offline edit.
pub fn add_card_offline(doc: &Doc, id: &str, row: &str, column: &str, text: &str) {
    let cards = doc.get_or_insert_map(schema::CARDS);
    write_card(&mut doc.transact_mut(), &cards, id, row, column, text);
}

/// Sets `meta.<key>` of a control document locally only (nothing is sent).
pub fn set_meta_offline(doc: &Doc, key: &str, value: &str) {
    let meta = doc.get_or_insert_map(schema::META);
    meta.insert(&mut doc.transact_mut(), key, value);
}
