//! Several nodes on one store (Redis): what the room core needs of the others, as a trait the
//! core calls and `cluster` implements. The core never names Redis: it tells other nodes of its
//! clients' presence through [`Nodes`], and takes what other nodes appended to a document's
//! stream ([`StreamEntry`]) where its [`Cursor`] says it left off.

use yrs::sync::AwarenessUpdate;

use super::deleted::DeletedBy;
pub use crate::store::StreamEntry;
use crate::store::{DocKind, StreamId};

/// The other nodes, as far as a room needs them.
pub trait Nodes: Send + Sync {
    /// Publishes the awareness states this node's clients changed.
    fn awareness(&self, room: &str, doc: DocKind, update: &AwarenessUpdate);
    /// Asks the other nodes for the awareness states they hold (when this node loads a room).
    fn query(&self, room: &str, doc: DocKind);
    /// Tells the other nodes a seat was removed: they close its connections.
    fn seat_removed(&self, room: &str, seat: &str);
    /// Tells the other nodes the room's record changed (a new join link): they read it again.
    fn record_changed(&self, room: &str);
    /// Tells the other nodes the room was deleted: they close its clients and drop it.
    fn room_deleted(&self, room: &str, by: DeletedBy);
}

/// Where a document is in its shared stream: the id of the last entry it includes (the stream
/// reader continues from here; a compaction covers the stream up to here), and the entries read
/// since the last compaction, of which how many this node appended (a node compacts only a stream
/// it writes to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub position: StreamId,
    pub read: usize,
    pub own: usize,
}

impl Cursor {
    pub fn at(position: StreamId) -> Cursor {
        Cursor {
            position,
            read: 0,
            own: 0,
        }
    }
}
