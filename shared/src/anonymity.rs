//! Anonymity, decided when a room is made (`docs/API.md`, "Anonymity"): who is told who wrote
//! what. Names live in the seat registry, and the server hands them out only to whom the room's
//! setting allows: a card carries at most its writer's seat id (`author_id`), never a name, in an
//! anonymous room, and not even the seat id when nobody may know.

use serde::{Deserialize, Serialize};
use yrs::{Doc, Map, Out, ReadTxn, Transact, TransactionMut, WriteTxn};

use crate::{schema, Role};

/// `meta.anonymity` in the control document: what the room was made with, for its clients (the
/// room's record is what the server goes by).
pub const ANONYMITY: &str = "anonymity";

/// A room's anonymity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Anonymity {
    /// Everyone sees who wrote what (the default, as before).
    #[default]
    None,
    /// Participants see no names; the facilitator sees who wrote what.
    Participants,
    /// Nobody sees who wrote what, the facilitator included; votes are anonymous too.
    Full,
}

impl Anonymity {
    pub fn as_str(self) -> &'static str {
        match self {
            Anonymity::None => "none",
            Anonymity::Participants => "participants",
            Anonymity::Full => "full",
        }
    }

    pub fn is_none(&self) -> bool {
        *self == Anonymity::None
    }

    /// The anonymity `control`'s `meta.anonymity` names (none when absent or unknown).
    pub fn of(control: &Doc) -> Anonymity {
        let txn = control.transact();
        let value = txn
            .get_map(schema::META)
            .and_then(|m| m.get(&txn, ANONYMITY));
        match value {
            Some(Out::Any(yrs::Any::String(s))) => match &*s {
                "participants" => Anonymity::Participants,
                "full" => Anonymity::Full,
                _ => Anonymity::None,
            },
            _ => Anonymity::None,
        }
    }

    /// Writes `meta.anonymity` (a room made with one).
    pub fn write(self, txn: &mut TransactionMut) {
        let meta = txn.get_or_insert_map(schema::META);
        meta.insert(txn, ANONYMITY, self.as_str());
    }

    /// May a reader with `role` be told the names of who wrote what (cards, answers, presence,
    /// the people list, the sheet, exports, voters)?
    pub fn shows_names_to(self, role: Role) -> bool {
        match self {
            Anonymity::None => true,
            Anonymity::Participants => role == Role::Facilitator,
            Anonymity::Full => false,
        }
    }

    /// May an update name its writer (a card's `author`)? Only where everyone sees names: a
    /// name in the document would reach every reader of it.
    pub fn allows_names(self) -> bool {
        self == Anonymity::None
    }

    /// May an update carry its writer's seat id (a card's `author_id`, an answer's `#by`)? Not
    /// when nobody may know who wrote what: the facilitator's people list would tell.
    pub fn allows_author_ids(self) -> bool {
        self != Anonymity::Full
    }

    /// Why an update that names `names` and claims `authors` is refused in this room, if it is.
    pub fn check(self, names: &[String], authors: &[String]) -> Result<(), &'static str> {
        if !names.is_empty() && !self.allows_names() {
            return Err("this workshop is anonymous: cards carry no names");
        }
        if !authors.is_empty() && !self.allows_author_ids() {
            return Err("this workshop is fully anonymous: nothing says who wrote it");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_is_told_names() {
        use Role::*;
        let table = [
            (Anonymity::None, [true, true, true]),
            (Anonymity::Participants, [true, false, false]),
            (Anonymity::Full, [false, false, false]),
        ];
        for (anonymity, expected) in table {
            for (role, shows) in [Facilitator, Participant, Review].into_iter().zip(expected) {
                assert_eq!(
                    anonymity.shows_names_to(role),
                    shows,
                    "{anonymity:?} {role:?}"
                );
            }
        }
        let (name, id) = (vec!["Anne".to_string()], vec!["s1".to_string()]);
        assert!(Anonymity::None.check(&name, &id).is_ok());
        assert!(Anonymity::Participants.check(&name, &[]).is_err());
        assert!(Anonymity::Participants.check(&[], &id).is_ok());
        assert!(Anonymity::Full.check(&[], &id).is_err());
        assert!(Anonymity::Full.check(&[], &[]).is_ok());
        assert_eq!(
            serde_json::to_value(Anonymity::Participants).unwrap(),
            serde_json::json!("participants")
        );
    }
}
