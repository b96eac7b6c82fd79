//! What leaves a document for its connections: the broadcast every connection of the document
//! receives ([`Fanout`], one encoding for all) and the direct answers to one connection, both
//! through the connection's one queue ([`Outbox`]), in the order they were sent. A connection
//! that falls behind (its outbox full) is told so, and closes: it is never silently skipped.
//!
//! The broadcast puts each message into every listener's outbox itself (a reference-counted
//! [`Bytes`], not a copy), as the bare relay of the bench does, instead of a ring buffer every
//! connection reads from: a document then costs a list of its listeners, not a ring of
//! `--client-queue` slots made at once (issue 17: 74 KiB per open room), and a connection has
//! one queue to wait on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::mpsc;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::encoder::Encode;

/// Identifies one connection within the process.
pub type ConnId = u64;

/// The sender of messages that go to every connection (connection ids start at 1).
pub const NOBODY: ConnId = 0;

/// A message for every connection of a document except the one it came from.
#[derive(Debug, Clone)]
pub struct Outbound {
    pub from: ConnId,
    pub frame: Bytes,
}

/// A document's broadcast: the outboxes of the connections listening to it. Cheap to clone.
#[derive(Clone, Default)]
pub struct Fanout(Arc<Listeners>);

#[derive(Default)]
struct Listeners {
    outboxes: Mutex<Vec<(ConnId, Outbox)>>,
    /// When the store writer last sent this document's updates ([`super::writer::Pacing`]).
    last_sent: Mutex<Option<Instant>>,
}

/// A connection's place in a document's broadcast; it leaves when this is dropped.
pub struct Subscription {
    fanout: Fanout,
    conn: ConnId,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.fanout
            .outboxes()
            .retain(|(conn, _)| *conn != self.conn);
    }
}

impl Fanout {
    pub fn new() -> Self {
        Fanout::default()
    }

    fn outboxes(&self) -> MutexGuard<'_, Vec<(ConnId, Outbox)>> {
        self.0
            .outboxes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts connection `conn` on the broadcast: from now on every message not from `conn` is
    /// queued in `outbox`, until the subscription is dropped.
    pub fn subscribe(&self, conn: ConnId, outbox: Outbox) -> Subscription {
        self.outboxes().push((conn, outbox));
        Subscription {
            fanout: self.clone(),
            conn,
        }
    }

    /// A listener with its own outbox, for tests: what connection `conn` would be sent.
    #[cfg(test)]
    pub fn listen(&self, conn: ConnId) -> Listener {
        let (outbox, frames, _behind) = Outbox::new(1024);
        Listener {
            _listening: self.subscribe(conn, outbox),
            frames,
        }
    }

    /// Is this the same broadcast as `other`?
    pub fn same(&self, other: &Fanout) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Queues `out` for every listener but its sender.
    pub fn publish(&self, out: Outbound) {
        for (conn, outbox) in self.outboxes().iter() {
            if *conn != out.from {
                outbox.send(out.frame.clone());
            }
        }
    }

    /// When [`Self::publish_updates`] last sent something.
    pub fn last_sent(&self) -> Option<Instant> {
        *self
            .0
            .last_sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends Yjs updates as one message: a single update skips its sender; several are merged
    /// (from several senders, so everyone gets them; a client ignores what it already has).
    /// `now` is recorded as the time of the last send.
    pub fn publish_updates(&self, mut updates: Vec<(ConnId, Bytes)>, now: Instant) {
        *self
            .0
            .last_sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(now);
        let frame = |update: &[u8]| {
            Bytes::from(Message::Sync(SyncMessage::Update(update.to_vec())).encode_v1())
        };
        if updates.len() == 1 {
            let (from, update) = updates.remove(0);
            self.publish(Outbound {
                from,
                frame: frame(&update),
            });
            return;
        }
        match yrs::merge_updates_v1(updates.iter().map(|(_, u)| u.as_ref())) {
            Ok(merged) => self.publish(Outbound {
                from: NOBODY,
                frame: frame(&merged),
            }),
            Err(error) => {
                tracing::warn!(%error, "merging updates failed; sending them one by one");
                for (from, update) in updates {
                    self.publish(Outbound {
                        from,
                        frame: frame(&update),
                    });
                }
            }
        }
    }
}

/// What a test listening to a broadcast is sent ([`Fanout::listen`]).
#[cfg(test)]
pub struct Listener {
    _listening: Subscription,
    pub frames: mpsc::Receiver<Bytes>,
}

#[cfg(test)]
impl Listener {
    /// The next frame if one is queued.
    pub fn try_recv(&mut self) -> Option<Bytes> {
        self.frames.try_recv().ok()
    }

    /// The next frame, waiting for it.
    pub async fn recv(&mut self) -> Bytes {
        self.frames.recv().await.expect("the broadcast is open")
    }
}

/// What goes to one connection, in order: its direct answers and its document's broadcast.
/// Cheap to clone; the connection drains it.
#[derive(Clone)]
pub struct Outbox {
    frames: mpsc::Sender<Bytes>,
    behind: Arc<AtomicBool>,
}

impl Outbox {
    /// An outbox of `capacity` frames, the receiver its connection drains, and the flag that
    /// tells the connection it fell behind (the outbox was full). A flag, not a wake-up: a full
    /// outbox has frames waiting, so the connection is awake to read it.
    pub fn new(capacity: usize) -> (Outbox, mpsc::Receiver<Bytes>, Arc<AtomicBool>) {
        let (frames, rx) = mpsc::channel(capacity.max(16));
        let behind = Arc::new(AtomicBool::new(false));
        (
            Outbox {
                frames,
                behind: behind.clone(),
            },
            rx,
            behind,
        )
    }

    /// Queues `frame`; a full queue means the client is too slow: its connection is told.
    pub fn send(&self, frame: Bytes) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.frames.try_send(frame) {
            self.behind.store(true, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &'static str) -> Outbound {
        Outbound {
            from: NOBODY,
            frame: Bytes::from_static(text.as_bytes()),
        }
    }

    #[test]
    fn a_broadcast_reaches_every_listener_but_its_sender_until_it_leaves() {
        let fanout = Fanout::new();
        let (one, mut one_rx, _) = Outbox::new(16);
        let (two, mut two_rx, _) = Outbox::new(16);
        let _first = fanout.subscribe(1, one);
        let second = fanout.subscribe(2, two);

        fanout.publish(Outbound {
            from: 1,
            ..frame("from one")
        });
        fanout.publish(frame("for all"));
        assert_eq!(one_rx.try_recv().unwrap(), "for all", "not its own");
        assert_eq!(two_rx.try_recv().unwrap(), "from one");
        assert_eq!(two_rx.try_recv().unwrap(), "for all");

        drop(second);
        fanout.publish(frame("after"));
        assert_eq!(one_rx.try_recv().unwrap(), "after");
        assert!(
            two_rx.try_recv().is_err(),
            "a connection that left gets nothing"
        );
    }

    #[test]
    fn a_listener_whose_outbox_is_full_is_told_it_fell_behind_and_loses_no_earlier_frame() {
        let fanout = Fanout::new();
        let (outbox, mut rx, behind) = Outbox::new(16);
        let _listening = fanout.subscribe(1, outbox);
        for _ in 0..16 {
            fanout.publish(frame("card"));
        }
        assert!(!behind.load(Ordering::Acquire), "16 fit");
        fanout.publish(frame("one too many"));
        assert!(
            behind.load(Ordering::Acquire),
            "the 17th does not: the connection closes"
        );
        let queued = std::iter::from_fn(|| rx.try_recv().ok()).count();
        assert_eq!(queued, 16, "what was queued is still there, in order");
    }
}
