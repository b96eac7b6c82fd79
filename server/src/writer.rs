//! The store writer: the one task that writes documents to the store, with group commit.
//!
//! Rooms hand it jobs (an optional [`WriteOp`] and what to do once it is stored) through a bounded
//! queue. It takes every job waiting — everything that queued while the previous batch was being
//! written — optionally waits up to `--commit-window-ms` for more (default 0: measured, waiting
//! only slowed writers down, BENCHMARKS.md), writes all their
//! ops in one atomic [`Store::write_batch`] (one fsync, one Redis `MULTI`), and only then runs the
//! follow-ups: broadcast an update, answer a sync step 1, wake a flush. So a client never sees a
//! change the store does not have, and durability costs one flush per batch, not per update.
//!
//! When a batch fails, it depends on the store:
//! - **Embedded** (no outage buffer): every room with an op in the batch is evicted: its clients
//!   are closed with 1011 and reconnect, the room reloads from the store (which has none of the
//!   batch), and the clients re-send what they had in their sync step 2. Nothing is half-written
//!   and nothing is lost.
//! - **Redis** (`--outage-buffer N`): the ops wait in an in-memory buffer, in order, and the
//!   writer retries until Redis takes them; meanwhile collaboration goes on (updates are
//!   broadcast on this node), later ops queue behind the buffer, and flushes wait for it. When N
//!   updates are buffered, new changes are refused before they are applied (close 1013 with a
//!   reason), never dropped after. Other nodes get the buffered updates from the stream once
//!   Redis is back, and this node reads theirs: all converge.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
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
/// How often a writer with buffered ops tries the store again.
const RETRY: Duration = Duration::from_millis(500);

/// What to do once a job's op is stored.
pub enum Then {
    Nothing,
    /// Send the Yjs update to every connection of the document but `from`.
    Broadcast {
        doc: DocKind,
        from: ConnId,
        update: Bytes,
    },
    /// Send `frame` to one connection.
    Reply {
        to: Outbox,
        frame: Bytes,
    },
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
    /// Ops waiting in the outage buffer (shared with the task).
    buffered: Arc<AtomicUsize>,
    /// `--outage-buffer`: most ops buffered while the store is unreachable; 0 evicts instead.
    buffer_limit: usize,
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
    pub fn start(
        store: Arc<dyn Store>,
        window: Duration,
        compact_after: usize,
        capacity: usize,
        buffer_limit: usize,
    ) -> (Writer, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(capacity);
        let buffered = Arc::new(AtomicUsize::new(0));
        let task = Task {
            store,
            buffered: buffered.clone(),
            buffer_limit,
            pending: VecDeque::new(),
        };
        let task = tokio::spawn(task.run(rx, window));
        (
            Writer {
                tx,
                compact_after: compact_after.max(1),
                buffered,
                buffer_limit,
            },
            task,
        )
    }

    /// A place for one job; refused when the queue is full.
    pub fn reserve(&self) -> Result<Permit<'_>, Close> {
        self.tx.try_reserve().map(Permit).map_err(|_| Close::busy())
    }

    /// A place for a client's change; also refused while the outage buffer is full, so that a
    /// change is refused before it is applied rather than lost after.
    pub fn reserve_change(&self) -> Result<Permit<'_>, Close> {
        if self.buffer_limit > 0 && self.buffered() >= self.buffer_limit {
            return Err(Close::buffer_full());
        }
        self.reserve()
    }

    /// Ops waiting for the store to come back.
    pub fn buffered(&self) -> usize {
        self.buffered.load(Ordering::Relaxed)
    }

    pub fn compact_after(&self) -> usize {
        self.compact_after
    }

    /// Waits until everything queued for `room` before this call is stored. False if a write
    /// failed (the room is then evicted) or the writer is gone.
    pub async fn flush(&self, room: Arc<Room>) -> bool {
        let (done, wait) = oneshot::channel();
        if self
            .tx
            .send(Job {
                room,
                op: None,
                then: Then::Done(done),
            })
            .await
            .is_err()
        {
            return false;
        }
        wait.await.unwrap_or(false)
    }
}

/// What waits in the outage buffer, in order.
enum Pending {
    Op(WriteOp),
    Done(oneshot::Sender<bool>),
}

struct Task {
    store: Arc<dyn Store>,
    buffered: Arc<AtomicUsize>,
    buffer_limit: usize,
    pending: VecDeque<Pending>,
}

impl Task {
    async fn run(mut self, mut rx: mpsc::Receiver<Job>, window: Duration) {
        loop {
            let first = if self.pending.is_empty() {
                rx.recv().await
            } else {
                tokio::select! {
                    job = rx.recv() => job,
                    _ = tokio::time::sleep(RETRY) => {
                        self.retry().await;
                        continue;
                    }
                }
            };
            let Some(first) = first else { break };
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
            self.write(jobs).await;
        }
    }

    /// One atomic batch to the store, timed and counted (`/metrics`).
    async fn write_batch(&self, ops: &[WriteOp]) -> Result<(), crate::store::StoreError> {
        let started = std::time::Instant::now();
        let written = self.store.write_batch(ops).await;
        crate::metrics::store_batch(ops.len(), started.elapsed(), written.is_ok());
        written
    }

    /// Writes the buffered ops, oldest first, as long as the store takes them.
    async fn retry(&mut self) {
        while !self.pending.is_empty() {
            let ops: Vec<WriteOp> = self
                .pending
                .iter()
                .take(MAX_BATCH)
                .filter_map(|p| match p {
                    Pending::Op(op) => Some(op.clone()),
                    Pending::Done(_) => None,
                })
                .collect();
            if !ops.is_empty() {
                if let Err(error) = self.write_batch(&ops).await {
                    tracing::debug!(%error, buffered = self.buffered.load(Ordering::Relaxed), "store still unreachable");
                    return;
                }
            }
            for _ in 0..MAX_BATCH.min(self.pending.len()) {
                match self.pending.pop_front() {
                    Some(Pending::Op(_)) => {
                        self.buffered.fetch_sub(1, Ordering::Relaxed);
                    }
                    Some(Pending::Done(done)) => {
                        let _ = done.send(true);
                    }
                    None => break,
                }
            }
        }
        tracing::info!("store reachable again: the outage buffer is written");
    }

    fn buffer(&mut self, op: WriteOp) {
        self.pending.push_back(Pending::Op(op));
        self.buffered.fetch_add(1, Ordering::Relaxed);
    }

    async fn write(&mut self, mut jobs: Vec<Job>) {
        // A room evicted since its jobs were queued is reloaded from the store: its remaining
        // jobs belong to a document that no longer exists and must not reach the store.
        let mut ops = Vec::new();
        let mut has_op = vec![false; jobs.len()];
        for (job, has_op) in jobs.iter_mut().zip(has_op.iter_mut()) {
            if let Some(op) = job.op.take().filter(|_| !job.room.is_evicted()) {
                ops.push(op);
                *has_op = true;
            }
        }
        if !self.pending.is_empty() {
            // Behind the buffer: keep the order.
            ops.into_iter().for_each(|op| self.buffer(op));
        } else if !ops.is_empty() {
            if let Err(error) = self.write_batch(&ops).await {
                if self.buffer_limit > 0 {
                    tracing::warn!(%error, ops = ops.len(), "store write failed; buffering until it is back");
                    ops.into_iter().for_each(|op| self.buffer(op));
                } else {
                    tracing::error!(%error, ops = ops.len(), "store write failed; evicting the rooms of the batch");
                    for (job, _) in jobs.iter().zip(&has_op).filter(|(_, has_op)| **has_op) {
                        job.room.evict(Close::store_failed());
                    }
                }
            }
        }
        self.follow_up(jobs);
        if !self.pending.is_empty() {
            self.retry().await;
        }
    }

    /// Runs what follows a batch: broadcasts (one merged message per document), answers, and
    /// flushes — which, while ops are buffered, wait for the buffer.
    fn follow_up(&mut self, jobs: Vec<Job>) {
        // Updates of one document in one batch go out as one merged message: under load a
        // client gets one message per commit, not one per update, each encoded once for all.
        let mut fanout: Vec<Fanout> = Vec::new();
        for job in jobs {
            let live = !job.room.is_evicted();
            match job.then {
                Then::Nothing => {}
                Then::Done(done) if live && !self.pending.is_empty() => {
                    self.pending.push_back(Pending::Done(done))
                }
                Then::Done(done) => {
                    let _ = done.send(live);
                }
                Then::Broadcast { doc, from, update } if live => {
                    match fanout
                        .iter_mut()
                        .find(|(room, d, _)| *d == doc && Arc::ptr_eq(room, &job.room))
                    {
                        Some((_, _, updates)) => updates.push((from, update)),
                        None => fanout.push((job.room, doc, vec![(from, update)])),
                    }
                }
                Then::Reply { to, frame } if live => to.send(frame),
                Then::Broadcast { .. } | Then::Reply { .. } => {}
            }
        }
        for (room, doc, updates) in fanout {
            room.doc(doc).publish_updates(updates);
        }
    }
}

/// The updates of one document in one batch, with their senders, in order.
type Fanout = (Arc<Room>, DocKind, Vec<(ConnId, Bytes)>);
