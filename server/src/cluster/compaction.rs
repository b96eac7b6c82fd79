//! Compaction of a document's shared stream: one node at a time (a lock in Redis), at the
//! reader's position, by a script that stores the state only if it is newer and trims only what
//! it contains. See the module doc of [`super`].

use std::sync::Arc;
use std::time::Duration;

use super::Streams;
use crate::room::LiveDoc;

/// How long a node may hold a document's compaction lock.
const COMPACTION_LOCK: Duration = Duration::from_secs(10);

/// Compacts a document's stream if no other node is compacting it: takes the lock, encodes the
/// state at the reader's position, and stores it with a script that checks the lock is still
/// ours. Encoding takes milliseconds, far below [`COMPACTION_LOCK`]; a compaction that took
/// longer would find its lock gone and store nothing, so it never runs twice.
pub async fn compact(streams: Streams, doc: Arc<LiveDoc>) {
    let (room, kind) = (doc.room(), doc.kind);
    match streams.lock_compaction(room, kind, COMPACTION_LOCK).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(error) => {
            tracing::debug!(%error, room, "compaction lock not taken");
            return;
        }
    }
    let Some((state, upto)) = doc.compaction_state() else {
        return;
    };
    let Some(state) = crate::room::compaction::loads_back(room, kind, state).await else {
        return;
    };
    match streams.compact_locked(room, kind, &state, upto).await {
        Ok(done) => {
            tracing::debug!(room, doc = kind.as_str(), %upto, done, "compacted")
        }
        Err(error) => tracing::warn!(%error, room, "compaction failed"),
    }
}
