//! The check every compaction passes before it is stored: its state must load back into a fresh
//! document, or the log stays as it is. Kept apart from the document (`doc.rs`) so that it runs
//! after the document's lock is let go, by the store writer and the cluster's compaction.

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
