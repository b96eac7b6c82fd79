//! Deleted rooms: who deleted one ([`DeletedBy`], the reason its clients are given and the label
//! it is counted under), and the ids this node saw deleted a moment ago ([`Recent`]), which it
//! refuses although a load that began before the deletion may still finish.

use std::time::{Duration, Instant};

use dashmap::DashMap;

/// Why a room was deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletedBy {
    /// `DELETE /api/rooms/{id}`.
    Facilitator,
    /// No change for `--retain-days` (the retention sweep).
    Retention,
}

impl DeletedBy {
    /// The label of `kortvaeg_rooms_deleted_total`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeletedBy::Facilitator => "facilitator",
            DeletedBy::Retention => "retention",
        }
    }

    /// Its byte in the message that tells the other nodes (`cluster`).
    pub fn to_byte(self) -> u8 {
        match self {
            DeletedBy::Facilitator => 0,
            DeletedBy::Retention => 1,
        }
    }

    pub fn from_byte(byte: u8) -> Option<DeletedBy> {
        match byte {
            0 => Some(DeletedBy::Facilitator),
            1 => Some(DeletedBy::Retention),
            _ => None,
        }
    }

    /// What the room's clients are told when they are closed. `None`: this node found the room
    /// gone from the store without being told why (it missed the other node's message).
    pub fn reason(by: Option<DeletedBy>) -> &'static str {
        match by {
            Some(DeletedBy::Facilitator) => "the facilitator deleted this workshop",
            Some(DeletedBy::Retention) => {
                "this workshop was deleted: it had not changed for the retention period"
            }
            None => "this workshop was deleted",
        }
    }
}

/// How long a deleted id is refused by this node's registry on its own account: far longer than
/// a room load takes. After it the store answers for it (no record: not found).
const REMEMBERED: Duration = Duration::from_secs(60);

/// The rooms this node saw deleted in the last [`REMEMBERED`].
#[derive(Default)]
pub struct Recent(DashMap<String, Instant>);

impl Recent {
    pub fn insert(&self, id: &str) {
        self.0.retain(|_, at| at.elapsed() < REMEMBERED);
        self.0.insert(id.to_string(), Instant::now());
    }

    pub fn contains(&self, id: &str) -> bool {
        self.0.get(id).is_some_and(|at| at.elapsed() < REMEMBERED)
    }
}
