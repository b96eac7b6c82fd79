//! When a document compacts its log into one state ([`LogSince`]), and the check every
//! compaction passes before it is stored: its state must load back into a fresh document, or
//! the log stays as it is ([`loads_back`]). Kept apart from the document (`doc.rs`) so that the
//! check runs after the document's lock is let go, by the store writer and the cluster's
//! compaction.

use kortvaeg_shared::stored;

use crate::store::DocKind;

/// Whether a compaction's `state` loads back into a fresh document; if not, it is logged and
/// counted and must not be stored (the log stays as it is). Runs on the blocking pool, outside
/// the document's lock: loading a large document takes milliseconds, and under the lock it
/// stalled every client of the room (BENCHMARKS.md, issue 17).
pub async fn loads_back(room: &str, kind: DocKind, state: Vec<u8>) -> Option<Vec<u8>> {
    let checked = tokio::task::spawn_blocking(move || {
        let loads = std::panic::catch_unwind(|| stored::loads_back(&state))
            .unwrap_or_else(|_| Err("loading it panicked".into()));
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
