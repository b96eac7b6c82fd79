//! The store writer: the one task that writes documents to the store, with group commit, and
//! then broadcasts what it stored: the last step of an update's path (`room/mod.rs`).
//!
//! Rooms hand it jobs (an optional [`WriteOp`] and what to do once it is stored) through a bounded
//! queue. It takes every job waiting — everything that queued while the previous batch was being
//! written — and, when the previous batch held more than one job (several clients are writing),
//! waits up to `--commit-window-ms` for more (default 2; BENCHMARKS.md, issue 17: a commit's CPU
//! is most of the store's, so fewer, fuller batches make every delivery cheaper, while a lone
//! writer waiting for each acknowledgement is never held up), writes all their
//! ops in one atomic [`Store::write_batch`] (one fsync, one Redis `MULTI`), and only then runs the
//! follow-ups: broadcast an update, answer a sync step 1, wake a flush. So a client never sees a
//! change the store does not have, and durability costs one flush per batch, not per update.
//!
//! **Compactions** (embedded store) are not written in their batch: the check that a compaction's
//! state loads back takes milliseconds for a large room, and every room's updates waited for it.
//! The writer hands it to [`Checks`] and goes on; once it passes, it is written at the head of a
//! later batch, keeping the appends of its document stored meanwhile (`newer`). A flush of its
//! room waits for it. Redis's compactions say which stream entries they cover and are checked in
//! their batch.
//!
//! When a batch fails, it depends on the store:
//! - **Embedded** (no outage buffer): every room with an op in the batch is evicted: its clients
//!   are closed with 1011 and reconnect, the room reloads from the store (which has none of the
//!   batch), and the clients re-send what they had in their sync step 2. Nothing is half-written
//!   and nothing is lost.
//! - **Redis** (`--outage-buffer N`): the ops go to the node's outage spool ([`crate::spool`], a
//!   redb file under `--spool-dir`), in order and committed, and only then do the follow-ups
//!   run; later batches go to the spool behind them while it holds anything, and the writer
//!   drains it into Redis, oldest first, as Redis takes them. So collaboration goes on during an
//!   outage (updates are broadcast on this node) and a `kill -9` of the node loses none of what a
//!   client saw. Flushes wait for the spool. When N ops are spooled, new changes are refused
//!   before they are applied (close 1013 with a reason), never dropped after. If the spool
//!   cannot be written either, the rooms of the batch are evicted as with the embedded store:
//!   nothing is broadcast. Other nodes get the spooled updates from the stream once Redis has
//!   them, and this node reads theirs: all converge.
//!
//! **Change times.** The writer also tells the store when each room last changed (for retention,
//! [`Store::touch_rooms`]): at a room's first stored update in this process, then at most once
//! per `touch_every` (a minute, less when the retention period is very short), off its own path
//! (a spawned call), so it costs nothing per update.
//!
//! A node that starts with a spool that is not empty (it died mid-outage) drains it first, and
//! rooms are not loaded from Redis until the spool is empty ([`Writer::drained`]): a room loaded
//! without the spooled updates would never get them, since a node's stream reader skips the
//! entries it appended itself.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::compaction::{self, Checked, Checks};
use super::error::RoomError;
use super::eviction::Eviction;
use super::fanout::{ConnId, Fanout, Outbox};
use crate::spool::Spool;
use crate::store::{Store, WriteOp};

/// When the writer stores and when it sends: `--commit-window-ms` and `--broadcast-every-ms`.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    /// How long a batch waits for more jobs before it is written, when the previous batch held
    /// more than one (0: never).
    pub commit_window: Duration,
    /// A document's updates go out at most once per this period: the first at once, those
    /// stored within the period after it together, merged, at its end (0: every batch's at
    /// once). Under load a connection then gets one message for several updates — one socket
    /// write instead of several, the largest cost of a delivery (BENCHMARKS.md, run I); a
    /// lone update is not delayed.
    pub broadcast_every: Duration,
}

/// Most jobs written in one batch (and most spooled ops drained in one).
const MAX_BATCH: usize = 1024;
/// How often a writer with spooled ops tries the store again.
const RETRY: Duration = Duration::from_millis(500);

/// What to do once a job's op is stored.
pub enum Then {
    Nothing,
    /// Send the Yjs update to every connection of the document but `from`.
    Broadcast {
        to: Fanout,
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
    /// The room's eviction flag: the job of an evicted room is not stored, nor followed up.
    room: Eviction,
    op: Option<WriteOp>,
    then: Then,
}

/// The handle rooms use to queue jobs. Cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
    compact_after: usize,
    /// Ops waiting in the outage spool (the task keeps it current).
    spooled: watch::Receiver<usize>,
    /// `--outage-buffer`: most ops spooled while the store is unreachable; 0 evicts instead.
    buffer_limit: usize,
}

/// A reserved place in the writer's queue: taken before a document is changed, so that a change
/// is never applied without a place to store it.
pub struct Permit<'a>(mpsc::Permit<'a, Job>);

impl Permit<'_> {
    pub fn send(self, room: Eviction, op: Option<WriteOp>, then: Then) {
        self.0.send(Job { room, op, then });
    }
}

impl Writer {
    /// Starts the writer task. It ends when every `Writer` handle is dropped and the queue is empty.
    /// `spool` (Redis only) is the outage spool with the number of ops already in it, which the
    /// task writes to the store first.
    /// `touch_every`: how often at most a room's change time is recorded (module doc).
    pub fn start(
        store: Arc<dyn Store>,
        spool: Option<(Spool, usize)>,
        pacing: Pacing,
        compact_after: usize,
        capacity: usize,
        buffer_limit: usize,
        touch_every: Duration,
    ) -> (Writer, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(capacity);
        let (spool, waiting) = match spool {
            Some((spool, waiting)) => (Some(spool), waiting),
            None => (None, 0),
        };
        let (spooled_tx, spooled) = watch::channel(waiting);
        let task = Task {
            store,
            spool,
            spooled: spooled_tx,
            pushed: waiting as u64,
            drained: 0,
            buffer_limit,
            waiters: VecDeque::new(),
            touched: Touched {
                every: touch_every,
                at: HashMap::new(),
            },
            held: Held {
                every: pacing.broadcast_every,
                docs: Vec::new(),
            },
            checks: Checks::default(),
            ready: Vec::new(),
            parked: Vec::new(),
        };
        let task = tokio::spawn(task.run(rx, pacing.commit_window));
        (
            Writer {
                tx,
                compact_after: compact_after.max(1),
                spooled,
                buffer_limit,
            },
            task,
        )
    }

    /// A place for one job; refused when the queue is full.
    pub fn reserve(&self) -> Result<Permit<'_>, RoomError> {
        self.tx
            .try_reserve()
            .map(Permit)
            .map_err(|_| RoomError::Busy)
    }

    /// A place for a client's change; also refused while the outage spool is full, so that a
    /// change is refused before it is applied rather than lost after.
    pub fn reserve_change(&self) -> Result<Permit<'_>, RoomError> {
        if self.buffer_limit > 0 && self.buffered() >= self.buffer_limit {
            return Err(RoomError::BufferFull);
        }
        self.reserve()
    }

    /// Ops waiting in the outage spool for the store to come back.
    pub fn buffered(&self) -> usize {
        *self.spooled.borrow()
    }

    /// Waits (at most `timeout`) until the outage spool is empty, so that the store has every
    /// update this node took; false if it is not. Rooms are loaded only then (module doc).
    pub async fn drained(&self, timeout: Duration) -> bool {
        let mut spooled = self.spooled.clone();
        let empty = tokio::time::timeout(timeout, spooled.wait_for(|n| *n == 0)).await;
        matches!(empty, Ok(Ok(_)))
    }

    pub fn compact_after(&self) -> usize {
        self.compact_after
    }

    /// Waits until everything queued for `room` before this call is stored, a compaction still
    /// being checked included. False if a write failed (the room is then evicted) or the writer
    /// is gone.
    pub async fn flush(&self, room: Eviction) -> bool {
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

struct Task {
    store: Arc<dyn Store>,
    /// Redis: where ops wait, on disk, while the store does not take them.
    spool: Option<Spool>,
    /// Ops in the spool, for the handles: `pushed - drained`.
    spooled: watch::Sender<usize>,
    /// Ops ever put in the spool (counting those found in it at start) and ever written from it.
    pushed: u64,
    drained: u64,
    buffer_limit: usize,
    /// Flushes waiting for the spool, oldest first: each is answered once `drained` reaches its
    /// mark (the value of `pushed` when it came).
    waiters: VecDeque<(u64, oneshot::Sender<bool>)>,
    /// When each room's change time was last recorded.
    touched: Touched,
    /// Stored updates waiting for their document's next broadcast ([`Pacing::broadcast_every`]).
    held: Held,
    /// Compactions whose load-back check runs beside the writer (embedded store).
    checks: Checks,
    /// Those checked, to store at the head of the next batch.
    ready: Vec<(Eviction, WriteOp)>,
    /// Flushes of a room with a compaction being checked or ready: answered once it is stored
    /// (or refused), so that a flushed room is compacted as before.
    parked: Vec<(Eviction, oneshot::Sender<bool>)>,
}

/// The documents whose stored updates wait for the end of their broadcast period, in the order
/// they were first held, each with its updates in order.
struct Held {
    every: Duration,
    docs: Vec<(Fanout, Instant, Updates)>,
}

impl Held {
    /// Sends a batch's updates of one document now, or holds them until its period ends: after
    /// any already held for it (the order of a document's updates is kept).
    fn send_or_hold(&mut self, doc: Fanout, mut updates: Updates) {
        if let Some((_, _, held)) = self.docs.iter_mut().find(|(d, _, _)| d.same(&doc)) {
            held.append(&mut updates);
            return;
        }
        let now = Instant::now();
        match doc.last_sent().map(|at| at + self.every) {
            Some(due) if due > now => self.docs.push((doc, due, updates)),
            _ => doc.publish_updates(updates, now),
        }
    }

    /// When the first held document is due.
    fn next_due(&self) -> Option<Instant> {
        self.docs.iter().map(|(_, due, _)| *due).min()
    }

    /// Sends what is due (all, with `everything`).
    fn send_due(&mut self, everything: bool) {
        let now = Instant::now();
        let (due, later) = std::mem::take(&mut self.docs)
            .into_iter()
            .partition(|(_, at, _)| everything || *at <= now);
        self.docs = later;
        for (doc, _, updates) in due {
            doc.publish_updates(updates, now);
        }
    }
}

/// When the writer last told the store that each room changed, so it tells it at most once per
/// `every` per room.
struct Touched {
    every: Duration,
    at: HashMap<String, Instant>,
}

impl Touched {
    /// The rooms with an update in `ops` whose change time is due, marked as recorded now.
    fn due(&mut self, ops: &[WriteOp]) -> Vec<String> {
        if self.at.len() > 4096 {
            let every = self.every;
            self.at.retain(|_, at| at.elapsed() < every);
        }
        let mut due = Vec::new();
        for op in ops {
            let WriteOp::Append { room, .. } = op else {
                continue;
            };
            if self
                .at
                .get(room)
                .is_some_and(|at| at.elapsed() < self.every)
            {
                continue;
            }
            self.at.insert(room.clone(), Instant::now());
            due.push(room.clone());
        }
        due
    }
}

/// The ops of a batch without the compactions whose state would not load back (checked off
/// their documents' locks, all at once on the blocking pool: [`compaction::loads_back`]). Only
/// Redis's compactions are checked in their batch; the embedded store's are checked beside the
/// writer ([`Checks`]).
async fn loading_back(ops: Vec<WriteOp>) -> Vec<WriteOp> {
    if !ops.iter().any(|op| matches!(op, WriteOp::Compact { .. })) {
        return ops;
    }
    futures_util::future::join_all(ops.into_iter().map(compaction::checked))
        .await
        .into_iter()
        .flatten()
        .collect()
}

impl Task {
    async fn run(mut self, mut rx: mpsc::Receiver<Job>, window: Duration) {
        if self.waiting() > 0 {
            tracing::warn!(
                ops = self.waiting(),
                "the outage spool holds updates from before this start: writing them first"
            );
            self.drain().await;
        }
        let mut busy = false;
        loop {
            let retry = (self.waiting() > 0).then(|| Instant::now() + RETRY);
            let wake = match (retry, self.held.next_due()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let far = Instant::now() + Duration::from_secs(3600);
            let first = tokio::select! {
                job = rx.recv() => match job {
                    Some(job) => Some(job),
                    None => {
                        self.finish().await;
                        break;
                    }
                },
                checked = self.checks.next() => {
                    self.checked(checked);
                    if self.ready.is_empty() {
                        continue;
                    }
                    // It passed: it is stored with what is waiting now.
                    None
                }
                _ = tokio::time::sleep_until(wake.unwrap_or(far).into()), if wake.is_some() => {
                    self.held.send_due(false);
                    if retry.is_some_and(|r| r <= Instant::now()) {
                        self.drain().await;
                    }
                    continue;
                }
            };
            let mut jobs: Vec<Job> = first.into_iter().collect();
            let deadline = tokio::time::Instant::now() + window;
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) if window.is_zero() || !busy => break,
                    Err(_) => match tokio::time::timeout_at(deadline, rx.recv()).await {
                        Ok(Some(job)) => jobs.push(job),
                        _ => break,
                    },
                }
            }
            busy = jobs.len() > 1;
            self.write(jobs).await;
        }
    }

    /// Every handle is gone and the queue is empty: the checks still running finish, what passed
    /// is stored, and what is held is sent.
    async fn finish(&mut self) {
        while !self.checks.is_empty() {
            let checked = self.checks.next().await;
            self.checked(checked);
        }
        self.write(Vec::new()).await;
        self.held.send_due(true);
    }

    /// A compaction's check finished: store it with the next batch if it passed.
    fn checked(&mut self, checked: Checked) {
        self.ready.extend(self.checks.done(checked));
        self.unpark();
    }

    /// Whether a compaction of `room` is being checked or waits to be stored.
    fn compacting(&self, room: &Eviction) -> bool {
        self.checks.checking(room) || self.ready.iter().any(|(r, _)| r.same(room))
    }

    /// Answers the parked flushes whose room has no compaction left to store.
    fn unpark(&mut self) {
        let (done, parked) = std::mem::take(&mut self.parked)
            .into_iter()
            .partition(|(room, _)| !self.compacting(room));
        self.parked = parked;
        for (room, done) in done {
            let _ = done.send(!room.is_set());
        }
    }

    /// Ops in the spool.
    fn waiting(&self) -> usize {
        (self.pushed - self.drained) as usize
    }

    /// One atomic batch to the store, timed and counted (`/metrics`).
    async fn write_batch(&self, ops: &[WriteOp]) -> Result<(), crate::store::StoreError> {
        let started = std::time::Instant::now();
        let written = self.store.write_batch(ops).await;
        crate::metrics::store_batch(ops.len(), started.elapsed(), written.is_ok());
        written
    }

    /// Puts the ops of a batch in the spool, committed, before its follow-ups run. Without a
    /// spool, or if it cannot take them, the rooms of the batch are evicted: nothing of it may be
    /// broadcast.
    async fn spool(&mut self, ops: Vec<WriteOp>, jobs: &[Job], has_op: &[bool]) {
        let Some(spool) = self.spool.clone() else {
            return evict(jobs, has_op);
        };
        match spool.push(&ops).await {
            Ok(()) => {
                self.pushed += ops.len() as u64;
                self.spooled.send_replace(self.waiting());
            }
            Err(error) => {
                tracing::error!(%error, ops = ops.len(), "the outage spool failed too; evicting the rooms of the batch");
                evict(jobs, has_op);
            }
        }
    }

    /// Writes the spooled ops to the store, oldest first, as long as it takes them; each batch is
    /// deleted from the spool once the store has it.
    async fn drain(&mut self) {
        let Some(spool) = self.spool.clone() else {
            return;
        };
        while self.waiting() > 0 {
            let batch = match spool.oldest(MAX_BATCH).await {
                Ok(batch) => batch,
                Err(error) => {
                    tracing::error!(%error, "cannot read the outage spool");
                    return;
                }
            };
            let Some(&(last, _)) = batch.last() else {
                // Nothing is left after all (a count can only run ahead of a failed push, which
                // commits nothing and is not counted): the spool is empty.
                self.drained = self.pushed;
                break;
            };
            let ops: Vec<WriteOp> = batch.into_iter().map(|(_, op)| op).collect();
            if let Err(error) = self.write_batch(&ops).await {
                tracing::debug!(%error, spooled = self.waiting(), "store still unreachable");
                return;
            }
            // Written again if this fails: harmless, Yjs updates are idempotent (docs/STORE.md).
            if let Err(error) = spool.remove_through(last).await {
                tracing::error!(%error, "cannot delete written ops from the outage spool");
                return;
            }
            self.drained += ops.len() as u64;
            self.spooled.send_replace(self.waiting());
            while self
                .waiters
                .front()
                .is_some_and(|(mark, _)| *mark <= self.drained)
            {
                if let Some((_, done)) = self.waiters.pop_front() {
                    let _ = done.send(true);
                }
            }
        }
        self.spooled.send_replace(0);
        for (_, done) in self.waiters.drain(..) {
            let _ = done.send(true);
        }
        tracing::info!("store reachable: the outage spool is written");
    }

    async fn write(&mut self, mut jobs: Vec<Job>) {
        // A room evicted since its jobs were queued is reloaded from the store: its remaining
        // jobs belong to a document that no longer exists and must not reach the store.
        let mut batch = Vec::new();
        let mut has_op = vec![false; jobs.len()];
        for (job, has_op) in jobs.iter_mut().zip(has_op.iter_mut()) {
            if let Some(op) = job.op.take().filter(|_| !job.room.is_set()) {
                if Checks::takes(&op) {
                    self.checks.start(job.room.clone(), op);
                    continue;
                }
                self.checks.appended(&op);
                batch.push(op);
                *has_op = true;
            }
        }
        // The compactions checked since the last batch go first: the appends stored since they
        // were queued are the log's last entries, which they keep (`newer`).
        let mut ops: Vec<WriteOp> = std::mem::take(&mut self.ready)
            .into_iter()
            .filter(|(room, _)| !room.is_set())
            .map(|(_, op)| op)
            .collect();
        ops.extend(loading_back(batch).await);
        if !ops.is_empty() {
            self.touch(&ops);
            if self.waiting() > 0 {
                // Behind the spool: keep the order.
                self.spool(ops, &jobs, &has_op).await;
            } else if let Err(error) = self.write_batch(&ops).await {
                if self.buffer_limit > 0 {
                    tracing::warn!(%error, ops = ops.len(), "store write failed; spooling until it is back");
                    self.spool(ops, &jobs, &has_op).await;
                } else {
                    tracing::error!(%error, ops = ops.len(), "store write failed; evicting the rooms of the batch");
                    evict(&jobs, &has_op);
                }
            }
        }
        self.follow_up(jobs);
        self.unpark();
        if self.waiting() > 0 {
            self.drain().await;
        }
    }

    /// Records the change time of the rooms of a batch that are due, in a task of its own: it is
    /// not part of the batch and nothing waits for it (a lost one is made up by the next).
    fn touch(&mut self, ops: &[WriteOp]) {
        let due = self.touched.due(ops);
        if due.is_empty() {
            return;
        }
        let store = self.store.clone();
        let now = crate::store::unix_ms(std::time::SystemTime::now());
        tokio::spawn(async move {
            if let Err(error) = store.touch_rooms(&due, now).await {
                tracing::debug!(%error, rooms = due.len(), "recording change times failed");
            }
        });
    }

    /// Runs what follows a batch: broadcasts (one merged message per document), answers, and
    /// flushes — which, while ops are spooled, wait for the spool.
    fn follow_up(&mut self, jobs: Vec<Job>) {
        // Updates of one document in one batch go out as one merged message: under load a
        // client gets one message per commit, not one per update, each encoded once for all.
        let mut fanout: Vec<Batched> = Vec::new();
        for job in jobs {
            let live = !job.room.is_set();
            match job.then {
                Then::Nothing => {}
                Then::Done(done) if live && self.waiting() > 0 => {
                    self.waiters.push_back((self.pushed, done))
                }
                Then::Done(done) if live && self.compacting(&job.room) => {
                    self.parked.push((job.room, done))
                }
                Then::Done(done) => {
                    let _ = done.send(live);
                }
                Then::Broadcast { to, from, update } if live => {
                    match fanout.iter_mut().find(|(doc, _)| doc.same(&to)) {
                        Some((_, updates)) => updates.push((from, update)),
                        None => fanout.push((to, vec![(from, update)])),
                    }
                }
                Then::Reply { to, frame } if live => to.send(frame),
                Then::Broadcast { .. } | Then::Reply { .. } => {}
            }
        }
        for (doc, updates) in fanout {
            self.held.send_or_hold(doc, updates);
        }
    }
}

/// Evicts the rooms with an op in a batch that could not be stored: their clients reconnect and
/// re-send, the rooms reload from the store.
fn evict(jobs: &[Job], has_op: &[bool]) {
    for (job, _) in jobs.iter().zip(has_op).filter(|(_, has_op)| **has_op) {
        if !job.room.is_set() {
            crate::metrics::room_evicted("store");
        }
        job.room.evict(RoomError::StoreFailed);
    }
}

/// Updates of one document with their senders, in order.
type Updates = Vec<(ConnId, Bytes)>;

/// The updates of one document in one batch.
type Batched = (Fanout, Updates);

#[cfg(test)]
mod tests {
    use yrs::sync::{Message, SyncMessage};
    use yrs::updates::decoder::Decode;
    use yrs::{Doc, Map, ReadTxn, Transact, Update};

    use super::*;
    use crate::room::testing::card;
    use crate::store::DocKind;

    /// The cards in one broadcast message.
    fn cards_in(frame: &[u8]) -> usize {
        let Message::Sync(SyncMessage::Update(update)) = Message::decode_v1(frame).unwrap() else {
            panic!("an update message")
        };
        let doc = Doc::new();
        doc.transact_mut()
            .apply_update(Update::decode_v1(&update).unwrap())
            .unwrap();
        let txn = doc.transact();
        txn.get_map("cards").map(|m| m.len(&txn)).unwrap_or(0) as usize
    }

    #[tokio::test]
    async fn a_compaction_whose_state_would_not_load_back_is_not_stored_and_the_rest_is() {
        let client = Doc::with_client_id(7);
        let update = Bytes::from(card(&client, "a"));
        let good = client
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        let compact = |state: Vec<u8>| WriteOp::Compact {
            room: "r".into(),
            doc: DocKind::Wall,
            state,
            upto: None,
            newer: 0,
        };
        // Client 9's second card without its first: it would stay pending in a fresh document.
        let other = Doc::with_client_id(9);
        card(&other, "x");
        let before = other.transact().state_vector();
        let gap = card(&other, "y");
        assert!(before.get(&other.client_id()) > 0);
        let ops = vec![
            WriteOp::Append {
                room: "r".into(),
                doc: DocKind::Wall,
                update,
            },
            compact(vec![0xff, 0xff]),
            compact(gap),
            compact(good.clone()),
        ];
        let kept = loading_back(ops).await;
        assert_eq!(kept.len(), 2, "the append and the good compaction");
        assert!(matches!(kept[0], WriteOp::Append { .. }));
        assert!(matches!(&kept[1], WriteOp::Compact { state, .. } if *state == good));
    }

    #[tokio::test]
    async fn a_compaction_is_checked_beside_the_writer_and_keeps_the_appends_stored_meanwhile() {
        let store = Arc::new(crate::room::testing::MemoryStore::default());
        let (writer, task) = Writer::start(
            store.clone(),
            None,
            Pacing {
                commit_window: Duration::ZERO,
                broadcast_every: Duration::ZERO,
            },
            1000,
            64,
            0,
            Duration::from_secs(60),
        );
        let room = Eviction::default();
        let queue = |op: WriteOp| {
            writer
                .reserve()
                .unwrap()
                .send(room.clone(), Some(op), Then::Nothing)
        };
        let client = Doc::with_client_id(7);
        let append = |id: &str| WriteOp::Append {
            room: "r".into(),
            doc: DocKind::Wall,
            update: Bytes::from(card(&client, id)),
        };
        let compact = |doc: DocKind, state: Vec<u8>| WriteOp::Compact {
            room: "r".into(),
            doc,
            state,
            upto: None,
            newer: 0,
        };

        // The store holds the first batch (card a) while the rest is queued: the compaction of
        // the wall with a, cards b and c, and a compaction of the control document that does
        // not load back.
        store.hold();
        queue(append("a"));
        store.started(1).await;
        let state = client
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        queue(compact(DocKind::Wall, state.clone()));
        queue(compact(DocKind::Control, vec![0xff, 0xff]));
        queue(append("b"));
        queue(append("c"));
        store.release();
        // A flush of the room waits for its compactions' checks, and for the one that passed to
        // be stored.
        assert!(writer.flush(room.clone()).await);

        let ops = store.ops();
        assert_eq!(ops.len(), 4, "{ops:?}");
        assert!(
            ops[..3]
                .iter()
                .all(|op| matches!(op, WriteOp::Append { .. })),
            "a, then b and c without waiting for the check: {ops:?}"
        );
        assert!(
            matches!(&ops[3], WriteOp::Compact { doc: DocKind::Wall, state: s, newer: 2, .. } if *s == state),
            "stored after its check, keeping the two appends stored meanwhile: {:?}",
            ops[3]
        );
        assert_eq!(store.appended("r", DocKind::Wall).len(), 3);

        // The handles gone, the writer finishes the checks still running, stores, and stops.
        queue(compact(DocKind::Wall, state));
        drop(writer);
        task.await.unwrap();
        assert!(matches!(
            store.ops().last(),
            Some(WriteOp::Compact { newer: 0, .. })
        ));
    }

    #[test]
    fn a_documents_updates_go_out_at_once_then_merged_once_per_period() {
        let mut held = Held {
            every: Duration::from_secs(3600),
            docs: Vec::new(),
        };
        let doc = Fanout::new();
        let other = Fanout::new();
        let mut sender = doc.listen(1);
        let mut rx = doc.listen(9);
        let mut other_rx = other.listen(9);
        let client = Doc::with_client_id(7);
        let update = |id: &str| Bytes::from(card(&client, id));

        // The first goes out at once, from its sender (who is skipped).
        held.send_or_hold(doc.clone(), vec![(1, update("a"))]);
        let first = rx.try_recv().expect("the first update at once");
        assert_eq!(cards_in(&first), 1);
        assert!(sender.try_recv().is_none(), "its sender is skipped");

        // Within the period: held, in order, and not sent before they are due.
        held.send_or_hold(doc.clone(), vec![(1, update("b"))]);
        held.send_or_hold(doc.clone(), vec![(2, update("c"))]);
        held.send_due(false);
        assert!(rx.try_recv().is_none(), "held until the period ends");
        assert!(held.next_due().is_some());

        // Another document is not held up by this one.
        held.send_or_hold(other.clone(), vec![(3, update("d"))]);
        assert!(other_rx.try_recv().is_some());

        // At the end of the period: one message with both, for everyone (several senders).
        held.send_due(true);
        let merged = rx.try_recv().expect("the held updates");
        assert_eq!(cards_in(&merged), 2);
        assert!(
            sender.try_recv().is_some(),
            "several senders: everyone gets it"
        );
        assert!(rx.try_recv().is_none(), "one message");
        assert!(held.next_due().is_none());
    }
}
