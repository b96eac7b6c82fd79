//! When a document compacts its log into one state ([`LogSince`]), and the check every
//! compaction passes before it is stored: its state must load back into a fresh document, or
//! the log stays as it is ([`loads_back`]). Kept apart from the document (`doc.rs`) so that the
//! check runs after the document's lock is let go — by the cluster's compaction, and beside the
//! store writer, which goes on storing other batches while it runs ([`Checks`]).

use std::collections::HashMap;

use kortvaeg_shared::stored;
use tokio::sync::mpsc;

use super::eviction::Eviction;
use crate::store::{DocKind, WriteOp};

/// Whether a compaction's `state` loads back into a fresh document; if not, it is logged and
/// counted and must not be stored (the log stays as it is). Runs on the blocking pool, outside
/// the document's lock: loading a large document takes milliseconds, and under the lock it
/// stalled every client of the room (BENCHMARKS.md, issue 17).
pub async fn loads_back(room: &str, kind: DocKind, state: Vec<u8>) -> Option<Vec<u8>> {
    let id = room.to_string();
    // One check at a time: rooms started together reach their compactions together, and fifty
    // checks at once on the blocking pool took both cores from the connections (BENCHMARKS.md).
    static ONE_AT_A_TIME: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
    let _permit = ONE_AT_A_TIME.acquire().await;
    let checked = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let loads = std::panic::catch_unwind(|| stored::loads_back(&state))
            .unwrap_or_else(|_| Err("loading it panicked".into()));
        crate::metrics::compaction_stage(&id, kind, "check", state.len(), started.elapsed());
        loads.map(|()| state)
    })
    .await
    .unwrap_or_else(|error| Err(format!("the check did not finish: {error}")));
    match checked {
        Ok(state) => Some(state),
        Err(error) => {
            tracing::error!(room, doc = kind.as_str(), %error, "compaction skipped: the state would not load back");
            crate::metrics::compaction_skipped(kind);
            None
        }
    }
}

/// The embedded store's compactions while their load-back check runs, off the writer's path: a
/// check of a large state takes milliseconds, and the writer waiting for it held up every room's
/// updates (the highest p99s of BENCHMARKS.md, issue 17). The writer hands each compaction here
/// ([`Checks::start`]) and goes on storing batches, telling it of every append it stores
/// ([`Checks::appended`]); a compaction that loads back comes back ready ([`Checks::done`]) with
/// `newer` set to the appends of its document stored since it was queued — the log's last
/// entries, which its state does not contain and the store keeps. A newer compaction of the same
/// document replaces one still being checked.
pub struct Checks {
    /// Per document: the compaction being checked (its number), the appends stored since, and
    /// its room's eviction flag.
    pending: HashMap<(String, DocKind), (u64, usize, Eviction)>,
    started: u64,
    tx: mpsc::UnboundedSender<Checked>,
    rx: mpsc::UnboundedReceiver<Checked>,
}

/// A finished check: the compaction, if its state loads back.
pub struct Checked {
    doc: (String, DocKind),
    number: u64,
    room: Eviction,
    op: Option<WriteOp>,
}

impl Default for Checks {
    fn default() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Checks {
            pending: HashMap::new(),
            started: 0,
            tx,
            rx,
        }
    }
}

impl Checks {
    /// Whether `op` is checked here rather than in its batch: a compaction of the embedded
    /// store (with Redis, `upto` says what it covers; those keep their place).
    pub fn takes(op: &WriteOp) -> bool {
        matches!(op, WriteOp::Compact { upto: None, .. })
    }

    /// Starts checking compaction `op` of a room whose eviction flag is `room`.
    pub fn start(&mut self, room: Eviction, op: WriteOp) {
        let WriteOp::Compact { room: id, doc, .. } = &op else {
            return;
        };
        self.started += 1;
        let number = self.started;
        let doc = (id.clone(), *doc);
        self.pending.insert(doc.clone(), (number, 0, room.clone()));
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let op = checked(op).await;
            let _ = tx.send(Checked {
                doc,
                number,
                room,
                op,
            });
        });
    }

    /// An append the writer stored (or is storing, in a batch after the compaction's).
    pub fn appended(&mut self, op: &WriteOp) {
        if self.pending.is_empty() {
            return;
        }
        if let WriteOp::Append { room, doc, .. } = op {
            if let Some((_, since, _)) = self.pending.get_mut(&(room.clone(), *doc)) {
                *since += 1;
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Whether a compaction of the room whose eviction flag is `room` is being checked.
    pub fn checking(&self, room: &Eviction) -> bool {
        self.pending.values().any(|(_, _, r)| r.same(room))
    }

    /// The next finished check (pending forever while none is running).
    pub async fn next(&mut self) -> Checked {
        match self.rx.recv().await {
            Some(checked) => checked,
            // `self` holds a sender: the channel never closes.
            None => std::future::pending().await,
        }
    }

    /// A finished check's compaction, ready to store at the head of the next batch unless its
    /// room is evicted by then: `None` if its state does not load back, a newer one replaced
    /// it, or its room was evicted.
    pub fn done(&mut self, checked: Checked) -> Option<(Eviction, WriteOp)> {
        let Checked {
            doc,
            number,
            room,
            op,
        } = checked;
        let &(current, since, _) = self.pending.get(&doc)?;
        if current != number {
            return None;
        }
        self.pending.remove(&doc);
        let mut op = op.filter(|_| !room.is_set())?;
        if let WriteOp::Compact { newer, .. } = &mut op {
            *newer = since;
        }
        Some((room, op))
    }
}

/// `op` if it is not a compaction, or a compaction whose state loads back.
pub async fn checked(mut op: WriteOp) -> Option<WriteOp> {
    if let WriteOp::Compact {
        room, doc, state, ..
    } = &mut op
    {
        *state = loads_back(room, *doc, std::mem::take(state)).await?;
    }
    Some(op)
}

/// A document's log since its last compaction (or load), and when the next compaction is due:
/// `--compact-after` updates appended, **and** those updates weigh as much as the state did at
/// the last compaction. A compaction costs in proportion to the state — encoding it and the
/// check that it loads back were a quarter of the server's CPU on a wall of thousands of cards
/// (BENCHMARKS.md, issue 17) — so a large document compacts less often and the cost per
/// appended byte stays the same whatever its size; a load replays at most about twice the state.
#[derive(Debug, Clone, Copy)]
pub struct LogSince {
    updates: usize,
    bytes: usize,
    /// What the state weighed at the last compaction.
    state_bytes: usize,
    /// How much earlier than due the next compaction comes ([`Self::early`]).
    early: u16,
}

impl LogSince {
    /// Just compacted into a state of `state_bytes`.
    pub fn new(state_bytes: usize) -> Self {
        LogSince {
            updates: 0,
            bytes: 0,
            state_bytes,
            early: rand::random(),
        }
    }

    /// Loaded from a state of `state_bytes` and a `log`: the log counts toward the next one.
    pub fn loaded(state_bytes: usize, log: &[Vec<u8>]) -> Self {
        LogSince {
            updates: log.len(),
            bytes: log.iter().map(Vec::len).sum(),
            ..Self::new(state_bytes)
        }
    }

    pub fn appended(&mut self, bytes: usize) {
        self.updates += 1;
        self.bytes += bytes;
    }

    /// The log holds something a compaction would fold in (updates set aside at load).
    pub fn needs_compaction(&mut self) {
        self.updates = self.updates.max(1);
    }

    pub fn is_empty(&self) -> bool {
        self.updates == 0
    }

    /// Another node's update, read from the document's stream (several nodes): it weighs in the
    /// log, but the count of updates is this node's (its own appends, which it compacts).
    pub fn read_elsewhere(&mut self, bytes: usize) {
        self.bytes += bytes;
    }

    pub fn compaction_due(&self, compact_after: usize) -> bool {
        self.updates >= self.early(compact_after) && self.weighs_state()
    }

    /// The log weighs as much as the state did at the last compaction.
    pub fn weighs_state(&self) -> bool {
        self.bytes >= self.early(self.state_bytes)
    }

    /// `n`, or up to a quarter less, drawn again for each compaction. Rooms that started
    /// together (a restart, a bench's rooms) would otherwise all compact at the same moment, and
    /// the store writer would write all their states in one batch while every room waits
    /// (BENCHMARKS.md, issue 17).
    fn early(&self, n: usize) -> usize {
        n - n / 4 * usize::from(self.early) / usize::from(u16::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::LogSince;

    fn log(state_bytes: usize, early: u16) -> LogSince {
        LogSince {
            early,
            ..LogSince::new(state_bytes)
        }
    }

    #[test]
    fn a_small_document_compacts_after_compact_after_updates() {
        let mut log = log(1_000, 0);
        for _ in 0..9 {
            log.appended(200);
        }
        assert!(!log.compaction_due(10));
        log.appended(200);
        assert!(log.compaction_due(10), "10 updates of 2,000 bytes");
    }

    #[test]
    fn a_large_document_waits_until_the_log_weighs_as_much_as_its_state() {
        let mut log = log(100_000, 0);
        for _ in 0..499 {
            log.appended(200);
        }
        assert!(
            !log.compaction_due(10),
            "99,800 bytes < the state's 100,000"
        );
        log.appended(200);
        assert!(log.compaction_due(10));
    }

    #[test]
    fn compaction_comes_up_to_a_quarter_early() {
        let mut log = log(100_000, u16::MAX);
        for _ in 0..375 {
            log.appended(200);
        }
        assert!(log.compaction_due(10), "75,000 bytes: a quarter early");
        let mut few = LogSince {
            early: u16::MAX,
            ..LogSince::new(0)
        };
        for _ in 0..7 {
            few.appended(1);
        }
        assert!(!few.compaction_due(10));
        few.appended(1);
        assert!(few.compaction_due(10), "8 of 10 updates: a quarter early");
    }

    #[test]
    fn a_loaded_log_counts_toward_the_next_compaction() {
        let log = LogSince {
            early: 0,
            ..LogSince::loaded(1_000, &vec![vec![0; 100]; 10])
        };
        assert!(log.compaction_due(10));
        assert!(!LogSince::new(0).compaction_due(10) && LogSince::new(0).is_empty());
        let mut aside = LogSince::new(0);
        aside.needs_compaction();
        assert!(!aside.is_empty());
    }
}
