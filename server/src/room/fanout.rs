//! What leaves a document for its connections: the broadcast every connection of the document
//! receives ([`Fanout`], one encoding for all), and the direct answers to one connection
//! ([`Outbox`]). A connection that falls behind either is told so, and closes: it is never
//! silently skipped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::{broadcast, mpsc};
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

/// A document's broadcast: every connection of the document holds a receiver. Cheap to clone.
#[derive(Clone)]
pub struct Fanout {
    tx: broadcast::Sender<Outbound>,
    /// When the store writer last sent this document's updates ([`super::writer::Pacing`]).
    last_sent: Arc<Mutex<Option<Instant>>>,
}

impl Fanout {
    pub fn new(capacity: usize) -> Self {
        Fanout {
            tx: broadcast::channel(capacity.max(16)).0,
            last_sent: Arc::default(),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Outbound> {
        self.tx.subscribe()
    }

    /// Is this the same broadcast as `other`?
    pub fn same(&self, other: &Fanout) -> bool {
        self.tx.same_channel(&other.tx)
    }

    pub fn publish(&self, out: Outbound) {
        // An error only means nobody is listening.
        let _ = self.tx.send(out);
    }

    /// When [`Self::publish_updates`] last sent something.
    pub fn last_sent(&self) -> Option<Instant> {
        *self
            .last_sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends Yjs updates as one message: a single update skips its sender; several are merged
    /// (from several senders, so everyone gets them; a client ignores what it already has).
    /// `now` is recorded as the time of the last send.
    pub fn publish_updates(&self, mut updates: Vec<(ConnId, Bytes)>, now: Instant) {
        *self
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

/// Direct messages to one connection. Cheap to clone; the connection drains it.
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
