//! The store writer: the one task that writes documents to the store, with group commit.
//!
//! Rooms hand it jobs (an optional [`WriteOp`] and what to do once it is stored) through a bounded
//! queue. It takes every job waiting, waits up to `--commit-window-ms` for more, writes all their
//! ops in one atomic [`Store::write_batch`] (one fsync, one Redis `MULTI`), and only then runs the
//! follow-ups: broadcast an update, answer a sync step 1, wake a flush. So a client never sees a
//! change the store does not have, and durability costs one flush per batch, not per update.
//!
//! When a batch fails, every room with an op in it is evicted: its clients are closed with 1011
//! and reconnect, the room reloads from the store (which has none of the batch), and the clients
//! re-send what they had in their sync step 2. Nothing is half-written and nothing is lost.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::connection::{Close, Outbox};
use crate::room::{ConnId, Room};
use crate::store::{DocKind, Store, WriteOp};

/// Most jobs written in one batch.
const MAX_BATCH: usize = 1024;

/// What to do once a job's op is stored.
pub enum Then {
    Nothing,
    /// Send the Yjs update to every connection of the document but `from`.
    Broadcast { doc: DocKind, from: ConnId, update: Bytes },
    /// Send `frame` to one connection.
    Reply { to: Outbox, frame: Bytes },
    /// Tell a waiter whether everything queued before it was stored.
    Done(oneshot::Sender<bool>),
}

pub struct Job {
    room: Arc<Room>,
    op: Option<WriteOp>,
    then: Then,
}

/// The handle rooms use to queue jobs. Cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
    compact_after: usize,
}

/// A reserved place in the writer's queue: taken before a document is changed, so that a change
/// is never applied without a place to store it.
pub struct Permit<'a>(mpsc::Permit<'a, Job>);

impl Permit<'_> {
    pub fn send(self, room: Arc<Room>, op: Option<WriteOp>, then: Then) {
        self.0.send(Job { room, op, then });
    }
}

impl Writer {
    /// Starts the writer task. It ends when every `Writer` handle is dropped and the queue is empty.
    pub fn start(store: Arc<dyn Store>, window: Duration, compact_after: usize, capacity: usize) -> (Writer, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(capacity);
        let task = tokio::spawn(run(store, rx, window));
        (Writer { tx, compact_after: compact_after.max(1) }, task)
    }

    pub fn reserve(&self) -> Result<Permit<'_>, Close> {
        self.tx.try_reserve().map(Permit).map_err(|_| Close::busy())
    }

    pub fn compact_after(&self) -> usize {
        self.compact_after
    }

    /// Waits until everything queued for `room` before this call is stored. False if a write
    /// failed (the room is then evicted) or the writer is gone.
    pub async fn flush(&self, room: Arc<Room>) -> bool {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Job { room, op: None, then: Then::Done(done) }).await.is_err() {
            return false;
        }
        wait.await.unwrap_or(false)
    }
}

async fn run(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Job>, window: Duration) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        let deadline = tokio::time::Instant::now() + window;
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) if window.is_zero() => break,
                Err(_) => match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(job)) => jobs.push(job),
                    _ => break,
                },
            }
        }
        write(&*store, jobs).await;
    }
}

/// The updates of one document in one batch, with their senders, in order.
type Fanout = (Arc<Room>, DocKind, Vec<(ConnId, Bytes)>);

async fn write(store: &dyn Store, mut jobs: Vec<Job>) {
    // A room evicted since its jobs were queued is reloaded from the store: its remaining jobs
    // belong to a document that no longer exists and must not reach the store.
    let mut ops = Vec::new();
    let mut has_op = vec![false; jobs.len()];
    for (job, has_op) in jobs.iter_mut().zip(has_op.iter_mut()) {
        if let Some(op) = job.op.take().filter(|_| !job.room.is_evicted()) {
            ops.push(op);
            *has_op = true;
        }
    }
    if !ops.is_empty() {
        if let Err(error) = store.write_batch(&ops).await {
            tracing::error!(%error, ops = ops.len(), "store write failed; evicting the rooms of the batch");
            for (job, _) in jobs.iter().zip(&has_op).filter(|(_, has_op)| **has_op) {
                job.room.evict(Close::store_failed());
            }
        }
    }
    // Updates of one document in one batch go out as one merged message: under load a client
    // gets one message per commit, not one per update, and each is encoded once for everyone.
    let mut fanout: Vec<Fanout> = Vec::new();
    for job in jobs {
        let stored = !job.room.is_evicted();
        match job.then {
            Then::Nothing => {}
            Then::Done(done) => {
                let _ = done.send(stored);
            }
            Then::Broadcast { doc, from, update } if stored => {
                match fanout.iter_mut().find(|(room, d, _)| *d == doc && Arc::ptr_eq(room, &job.room)) {
                    Some((_, _, updates)) => updates.push((from, update)),
                    None => fanout.push((job.room, doc, vec![(from, update)])),
                }
            }
            Then::Reply { to, frame } if stored => to.send(frame),
            Then::Broadcast { .. } | Then::Reply { .. } => {}
        }
    }
    for (room, doc, updates) in fanout {
        room.doc(doc).publish_updates(updates);
    }
}
