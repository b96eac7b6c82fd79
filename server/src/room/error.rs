//! What the room core fails with: one enum for every refusal and failure of a room, its
//! documents and the store writer. The core knows nothing of sockets or HTTP: the WebSocket edge
//! turns a [`RoomError`] into a close code and reason (`connection::Close::from`), the HTTP API
//! into a status and `{"error"}` (`http::error`), each in one place.

use super::deleted::DeletedBy;

/// Why the room core refused or failed something. The message is the reason a client is given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoomError {
    /// A message or update the server refuses whole: undecodable, or outside the schema
    /// (nothing of it was applied).
    #[error("{0}")]
    Refused(String),
    /// The sender may not change this document.
    #[error("{0}")]
    Forbidden(String),
    /// More than a limit of the document or its presence allows (`--max-doc-bytes`,
    /// `--max-awareness-bytes`); nothing of it was applied.
    #[error("{0}")]
    TooLarge(String),
    /// More of something than one connection may have (`--max-presence-ids`).
    #[error("{0}")]
    TooMany(String),
    /// The store writer's queue is full: try again shortly.
    #[error("the server is busy; reconnect shortly")]
    Busy,
    /// The store is unreachable and the outage spool is full: the change was refused before it
    /// was applied.
    #[error("the store is unreachable and this server's buffer is full: change not saved; reconnect later")]
    BufferFull,
    /// A connection fell behind its document's broadcast or its own queue.
    #[error("the connection fell behind; reconnect to resync")]
    TooSlow,
    /// The store failed to save a change: the room was evicted and reloads from the store.
    #[error("the store failed to save a change; reconnect to resync")]
    StoreFailed,
    /// The room's integrity was in doubt (a poisoned lock, an update that failed half-way): it
    /// was evicted and reloads from the store.
    #[error("the room was reset; reconnect to resync")]
    Broken,
    /// The room was deleted (by whom, when known): it is gone for good, do not reconnect.
    #[error("{}", DeletedBy::reason(*.0))]
    Deleted(Option<DeletedBy>),
}

impl RoomError {
    /// Should the client try again later (nothing is wrong with what it sent)?
    pub fn is_temporary(&self) -> bool {
        matches!(self, RoomError::Busy | RoomError::BufferFull)
    }
}
