//! What leaves a document for its connections: the broadcast every connection of the document
//! receives ([`Fanout`], one encoding for all), and the direct answers to one connection
//! ([`Outbox`]). A connection that falls behind either is told so, and closes: it is never
//! silently skipped.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{broadcast, mpsc, Notify};
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
pub struct Fanout(broadcast::Sender<Outbound>);

impl Fanout {
    pub fn new(capacity: usize) -> Self {
        Fanout(broadcast::channel(capacity.max(16)).0)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Outbound> {
        self.0.subscribe()
    }

    /// Is this the same broadcast as `other`?
    pub fn same(&self, other: &Fanout) -> bool {
        self.0.same_channel(&other.0)
    }

    pub fn publish(&self, out: Outbound) {
        // An error only means nobody is listening.
        let _ = self.0.send(out);
    }

    /// Sends Yjs updates as one message: a single update skips its sender; several are merged
    /// (from several senders, so everyone gets them; a client ignores what it already has).
    pub fn publish_updates(&self, mut updates: Vec<(ConnId, Bytes)>) {
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
    behind: Arc<Notify>,
}

impl Outbox {
    /// An outbox of `capacity` frames, the receiver its connection drains, and what tells the
    /// connection it fell behind (the outbox was full).
    pub fn new(capacity: usize) -> (Outbox, mpsc::Receiver<Bytes>, Arc<Notify>) {
        let (frames, rx) = mpsc::channel(capacity.max(16));
        let behind = Arc::new(Notify::new());
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
            self.behind.notify_one();
        }
    }
}
