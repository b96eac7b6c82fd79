//! Who may write what: the facilitator both documents, a participant the wall while it is not
//! closed, a review link nothing. Pure functions: the connection and the HTTP handlers ask here,
//! and the table is unit-tested cell by cell.

use crate::store::DocKind;
use kortvaeg_shared::Role;

/// May `role` change document `doc`? `wall_closed` is the control document's `phase == "closed"`.
/// The error is the reason given to the client (close code 4403).
pub fn may_write(role: Role, doc: DocKind, wall_closed: bool) -> Result<(), &'static str> {
    match (role, doc) {
        (Role::Facilitator, _) => Ok(()),
        (Role::Participant, DocKind::Wall) if !wall_closed => Ok(()),
        (Role::Participant, DocKind::Wall) => {
            Err("the wall is closed: only the facilitator can reopen it")
        }
        (Role::Participant, DocKind::Control) => {
            Err("participants cannot change the phase or structure")
        }
        (Role::Review, _) => Err("a review link is read-only"),
    }
}

/// May `role` take a snapshot? Reading rooms, snapshots and exports is open to every role.
pub fn may_take_snapshot(role: Role) -> bool {
    role == Role::Facilitator
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contracts_table() {
        use DocKind::*;
        use Role::*;
        let cells = [
            (Facilitator, Wall, false, true),
            (Facilitator, Control, false, true),
            (Facilitator, Wall, true, true),
            (Participant, Wall, false, true),
            (Participant, Wall, true, false),
            (Participant, Control, false, false),
            (Review, Wall, false, false),
            (Review, Control, false, false),
        ];
        for (role, doc, closed, allowed) in cells {
            assert_eq!(
                may_write(role, doc, closed).is_ok(),
                allowed,
                "{role:?} {doc:?} closed={closed}"
            );
        }
        assert!(may_take_snapshot(Facilitator));
        assert!(!may_take_snapshot(Participant));
        assert!(!may_take_snapshot(Review));
    }
}
