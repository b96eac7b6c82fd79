//! What a [`YClient`] has — its replica's cards and phase, the other clients' awareness, the close
//! frame — and the waits for a condition on it, each with a deadline and a failure message that
//! says what was awaited and what was there instead.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use yrs::{Doc, ReadTxn, Transact};

use super::Inbox;
use crate::{projection, schema, Card, YClient, TIMEOUT};

impl YClient {
    /// The cards of (this client's replica of) the wall.
    pub fn cards(&self) -> Vec<Card> {
        projection::cards(&self.doc)
    }

    /// The card with this id, if present.
    pub fn card(&self, id: &str) -> Option<Card> {
        self.cards().into_iter().find(|c| c.id == id)
    }

    /// Ids of the cards present.
    pub fn card_ids(&self) -> Vec<String> {
        self.cards().into_iter().map(|c| c.id).collect()
    }

    /// `meta.phase` of (this replica of) a control document.
    pub fn phase(&self) -> String {
        projection::phase(&self.doc)
    }

    /// The other clients' awareness states this client has (removed ones left out).
    pub fn awareness(&self) -> HashMap<u64, Value> {
        let inbox = self.shared.inbox.lock().unwrap();
        inbox
            .awareness
            .iter()
            .filter_map(|(id, p)| Some((*id, p.state.clone()?)))
            .collect()
    }

    /// Whether an awareness update from the server ever mentioned this client id.
    pub fn awareness_ever_seen(&self, client_id: u64) -> bool {
        self.shared
            .inbox
            .lock()
            .unwrap()
            .awareness
            .contains_key(&client_id)
    }

    /// The close frame, if one came.
    pub fn close_frame(&self) -> Option<(u16, String)> {
        self.shared.inbox.lock().unwrap().close.clone()
    }

    /// Whether the connection has ended or a close frame came.
    /// Whether `needle` occurs in the bytes the server sent this connection (a card's text is
    /// sent as its UTF-8 bytes: what was never sent is not there).
    pub fn received_contains(&self, needle: &str) -> bool {
        let inbox = self.shared.inbox.lock().unwrap();
        inbox
            .received
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    }

    pub fn is_closed(&self) -> bool {
        let i = self.shared.inbox.lock().unwrap();
        i.close.is_some() || i.ended.is_some()
    }

    /// Things this client could not make sense of (undecodable messages from the server, …).
    pub fn problems(&self) -> Vec<String> {
        self.shared.inbox.lock().unwrap().problems.clone()
    }

    pub(super) fn describe(&self) -> String {
        // The phase only means something for a control document (one with a `meta` map).
        let phase = {
            let has_meta = self.doc.transact().get_map(schema::META).is_some();
            has_meta.then(|| projection::phase(&self.doc))
        };
        let i = self.shared.inbox.lock().unwrap();
        let cards: Vec<String> = projection::cards(&self.doc)
            .into_iter()
            .map(|c| format!("{}={:?}", c.id, c.text))
            .collect();
        format!(
            "client {} on {}: synced={} updates={} close={:?} ended={:?} problems={:?} cards=[{}] phase={:?} awareness={:?}",
            self.client_id(),
            self.url,
            i.sync_step2 > 0,
            i.updates,
            i.close,
            i.ended,
            i.problems,
            cards.join(", "),
            phase,
            i.awareness.iter().map(|(k, p)| (k, p.state.clone())).collect::<Vec<_>>(),
        )
    }

    /// Waits until `check` gives `Some`, re-checking on every change the reader task records.
    /// `Err(())` on timeout.
    pub(super) async fn wait_until<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&Inbox, &Doc) -> Option<T>,
    ) -> Result<T, ()> {
        let mut rx = self.shared.version.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            {
                let inbox = self.shared.inbox.lock().unwrap();
                if let Some(v) = check(&inbox, &self.doc) {
                    return Ok(v);
                }
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => unreachable!("the sender lives in self"),
                Err(_) => {
                    let inbox = self.shared.inbox.lock().unwrap();
                    return check(&inbox, &self.doc).ok_or(());
                }
            }
        }
    }

    /// Waits for `pred` on the document; fails after [`TIMEOUT`], or as soon as the connection
    /// has ended without `pred` holding.
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&Doc) -> bool) {
        self.wait_for_within(what, TIMEOUT, pred).await
    }

    /// [`YClient::wait_for`] with a given deadline.
    pub async fn wait_for_within(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Doc) -> bool,
    ) {
        let r = self
            .wait_until(timeout, |i, doc| {
                if pred(doc) {
                    Some(Ok(()))
                } else if i.ended.is_some() {
                    Some(Err("the connection ended"))
                } else {
                    None
                }
            })
            .await;
        match r {
            Ok(Ok(())) => {}
            Ok(Err(why)) => panic!("waiting for {what}: {why}; {}", self.describe()),
            Err(()) => panic!(
                "timed out after {timeout:?} waiting for {what}; {}",
                self.describe()
            ),
        }
    }

    /// Waits until the cards satisfy `pred`; returns them.
    pub async fn wait_cards(&self, what: &str, pred: impl Fn(&[Card]) -> bool) -> Vec<Card> {
        self.wait_for(what, |doc| pred(&projection::cards(doc)))
            .await;
        self.cards()
    }

    /// Waits until a card with this id is present; returns it.
    pub async fn wait_card(&self, id: &str) -> Card {
        self.wait_for(&format!("card {id:?}"), |doc| {
            projection::cards(doc).iter().any(|c| c.id == id)
        })
        .await;
        self.card(id).expect("just seen")
    }

    /// Waits until all these cards are present.
    pub async fn wait_cards_present(&self, ids: &[&str]) -> Vec<Card> {
        let what = format!("cards {ids:?}");
        self.wait_cards(&what, |cards| {
            ids.iter().all(|id| cards.iter().any(|c| c.id == *id))
        })
        .await
    }

    /// Waits for the server's sync step 2 (the initial sync).
    pub async fn synced(&self) {
        let r = self
            .wait_until(TIMEOUT, |i, _| {
                if i.sync_step2 > 0 {
                    Some(Ok(()))
                } else if i.close.is_some() || i.ended.is_some() {
                    Some(Err(()))
                } else {
                    None
                }
            })
            .await;
        match r {
            Ok(Ok(())) => {}
            Ok(Err(())) => panic!("closed before the initial sync: {}", self.describe()),
            Err(()) => panic!(
                "no sync step 2 from the server within {TIMEOUT:?}: {}",
                self.describe()
            ),
        }
    }

    /// Sends a sync step 1 and waits for the server's sync step 2 answer: afterwards the server has
    /// handled every message this client sent before. Panics if the connection closes meanwhile.
    pub async fn barrier(&self) {
        let n = self.send_sync_step1();
        let r = self
            .wait_until(TIMEOUT, |i, _| {
                if i.sync_step2 >= n {
                    Some(Ok(()))
                } else if i.close.is_some() || i.ended.is_some() {
                    Some(Err(()))
                } else {
                    None
                }
            })
            .await;
        match r {
            Ok(Ok(())) => {}
            Ok(Err(())) => panic!(
                "the connection closed before the barrier's sync step 2: {}",
                self.describe()
            ),
            Err(()) => panic!(
                "no answer to the barrier's sync step 1 within {TIMEOUT:?}: {}",
                self.describe()
            ),
        }
    }

    /// Like [`YClient::barrier`], but the server may close the connection instead: `None` when the
    /// barrier's answer came (the connection is open), `Some((code, reason))` when it was closed.
    pub async fn settle(&self) -> Option<(u16, String)> {
        let n = self.send_sync_step1();
        let r = self
            .wait_until(TIMEOUT, |i, _| {
                if let Some(c) = &i.close {
                    return Some(Some(c.clone()));
                }
                if let Some(e) = &i.ended {
                    return Some(Some((1006, format!("no close frame: {e}"))));
                }
                (i.sync_step2 >= n).then_some(None)
            })
            .await;
        r.unwrap_or_else(|()| {
            panic!(
                "neither an answer to a sync step 1 nor a close within {TIMEOUT:?}: {}",
                self.describe()
            )
        })
    }

    /// Waits for the server to close the connection; returns the close code and reason, or
    /// `(1006, why)` when the connection ended without a close frame.
    pub async fn closed(&self) -> (u16, String) {
        self.closed_within(TIMEOUT).await
    }

    /// [`YClient::closed`] with a given deadline.
    pub async fn closed_within(&self, timeout: Duration) -> (u16, String) {
        let r = self
            .wait_until(timeout, |i, _| {
                if let Some(c) = &i.close {
                    return Some(c.clone());
                }
                i.ended
                    .as_ref()
                    .map(|e| (1006, format!("no close frame: {e}")))
            })
            .await;
        match r {
            Ok(c) => c,
            Err(()) => panic!(
                "the server did not close the connection within {timeout:?}: {}",
                self.describe()
            ),
        }
    }

    /// Waits until the other clients' awareness states satisfy `pred`; returns them.
    pub async fn wait_awareness(
        &self,
        what: &str,
        pred: impl Fn(&HashMap<u64, Value>) -> bool,
    ) -> HashMap<u64, Value> {
        let r = self
            .wait_until(TIMEOUT, |i, _| {
                let states: HashMap<u64, Value> = i
                    .awareness
                    .iter()
                    .filter_map(|(id, p)| Some((*id, p.state.clone()?)))
                    .collect();
                if pred(&states) {
                    Some(Ok(states))
                } else if i.ended.is_some() {
                    Some(Err(()))
                } else {
                    None
                }
            })
            .await;
        match r {
            Ok(Ok(s)) => s,
            Ok(Err(())) => panic!(
                "the connection ended while waiting for awareness: {what}; {}",
                self.describe()
            ),
            Err(()) => panic!(
                "timed out after {TIMEOUT:?} waiting for awareness: {what}; {}",
                self.describe()
            ),
        }
    }
}
