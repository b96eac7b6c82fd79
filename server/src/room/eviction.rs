//! A room's eviction flag: set once when the room must be dropped without a flush (a store write
//! failed, a document lock was poisoned, an update failed half-way). Shared by the room, its
//! documents and the store writer's jobs; every connection of the room watches it and closes with
//! its reason, and the next opener reloads the room from the store.

use std::sync::Arc;

use tokio::sync::watch;

use super::error::RoomError;

#[derive(Clone)]
pub struct Eviction(Arc<watch::Sender<Option<RoomError>>>);

impl Default for Eviction {
    fn default() -> Self {
        Eviction(Arc::new(watch::channel(None).0))
    }
}

impl Eviction {
    /// Sets the reason; the first one wins.
    pub fn evict(&self, reason: RoomError) {
        self.0.send_if_modified(|current| {
            if current.is_none() {
                *current = Some(reason);
                true
            } else {
                false
            }
        });
    }

    /// The same room's flag.
    pub fn same(&self, other: &Eviction) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    pub fn is_set(&self) -> bool {
        self.0.borrow().is_some()
    }

    /// Resolves when the room is evicted, with the reason.
    pub fn subscribe(&self) -> watch::Receiver<Option<RoomError>> {
        self.0.subscribe()
    }
}
