//! Who may read and write what (CONTRACT.md, "Permissions v2"): the facilitator everything; a
//! participant the wall while it is not closed and, with a seat, its own group's document; a
//! review link nothing. A group document is read by its own seats and the facilitator, and by
//! everyone else when group work is open or the group revealed. Pure functions: the connection
//! and the HTTP handlers ask here, and the table is unit-tested cell by cell.

use crate::store::DocKind;
use kortvaeg_shared::groups::Visibility;
use kortvaeg_shared::Role;

/// Who is asking: the token's role and, for a seat, its group (a column id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Who<'a> {
    pub role: Role,
    pub group: Option<&'a str>,
}

impl<'a> Who<'a> {
    pub fn new(role: Role, group: Option<&'a str>) -> Self {
        Who { role, group }
    }

    fn owns(&self, doc: DocKind) -> bool {
        matches!((doc, self.group), (DocKind::Group(id), Some(group)) if id.as_str() == group)
    }
}

/// Why a group document is not sent (close 4403, HTTP 403).
pub const NOT_REVEALED: &str = "not revealed yet";

/// May `who` change document `doc`? `wall_closed` is the control document's `phase == "closed"`.
/// The error is the reason given to the client (close code 4403).
pub fn may_write(who: Who<'_>, doc: DocKind, wall_closed: bool) -> Result<(), &'static str> {
    let closed = || Err("the wall is closed: only the facilitator can reopen it");
    match (who.role, doc) {
        (Role::Facilitator, _) => Ok(()),
        (Role::Review, _) => Err("a review link is read-only"),
        (Role::Participant, DocKind::Control) => {
            Err("participants cannot change the phase or structure")
        }
        (Role::Participant, _) if wall_closed => closed(),
        (Role::Participant, DocKind::Wall) => Ok(()),
        (Role::Participant, DocKind::Group(_)) if who.owns(doc) => Ok(()),
        (Role::Participant, DocKind::Group(_)) => {
            Err("only the group's own people and the facilitator write its document")
        }
    }
}

/// May `who` be sent document `doc`? The error is the reason (HTTP 403, close 4403).
pub fn may_read(who: Who<'_>, doc: DocKind, visibility: &Visibility) -> Result<(), &'static str> {
    match doc {
        DocKind::Wall | DocKind::Control => Ok(()),
        DocKind::Group(_) if who.role == Role::Facilitator || who.owns(doc) => Ok(()),
        DocKind::Group(id) if visibility.open_to_all(id.as_str()) => Ok(()),
        DocKind::Group(_) => Err(NOT_REVEALED),
    }
}

/// May `who` read group `group`'s part of a REST read (sheet, export, snapshot)? Only the
/// facilitator reads past visibility: a seat reads its own group's documents through its socket.
pub fn reads_group_in_rest(role: Role, group: &str, visibility: &Visibility) -> bool {
    role == Role::Facilitator || visibility.open_to_all(group)
}

/// May `role` take a snapshot? Reading rooms, snapshots and exports is open to every role.
pub fn may_take_snapshot(role: Role) -> bool {
    role == Role::Facilitator
}

/// May `role` delete the room (everything of it, for everyone)? A seat token is a participant's.
pub fn may_delete_room(role: Role) -> bool {
    role == Role::Facilitator
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::GroupId;

    #[test]
    fn the_contracts_table() {
        use Role::*;
        let a = DocKind::Group(GroupId::new("a").unwrap());
        let b = DocKind::Group(GroupId::new("b").unwrap());
        let (wall, control) = (DocKind::Wall, DocKind::Control);
        let facilitator = Who::new(Facilitator, None);
        let seat = Who::new(Participant, Some("a"));
        let participant = Who::new(Participant, None);
        let review = Who::new(Review, None);
        // (who, doc, wall closed, may write)
        let writes = [
            (facilitator, wall, false, true),
            (facilitator, control, false, true),
            (facilitator, wall, true, true),
            (facilitator, a, true, true),
            (seat, wall, false, true),
            (seat, wall, true, false),
            (seat, control, false, false),
            (seat, a, false, true),
            (seat, a, true, false),
            (seat, b, false, false),
            (participant, wall, false, true),
            (participant, wall, true, false),
            (participant, control, false, false),
            (participant, a, false, false),
            (review, wall, false, false),
            (review, control, false, false),
            (review, a, false, false),
        ];
        for (who, doc, closed, allowed) in writes {
            assert_eq!(
                may_write(who, doc, closed).is_ok(),
                allowed,
                "write {who:?} {doc:?} closed={closed}"
            );
        }
        let open = Visibility::default();
        let private = Visibility {
            private: true,
            revealed: ["b".to_string()].into(),
        };
        // (who, doc, visibility, may read)
        let reads = [
            (facilitator, a, &private, true),
            (seat, a, &private, true),
            (seat, b, &private, true),
            (Who::new(Participant, Some("b")), a, &private, false),
            (participant, a, &private, false),
            (participant, b, &private, true),
            (participant, a, &open, true),
            (review, a, &private, false),
            (review, a, &open, true),
            (review, wall, &private, true),
            (review, control, &private, true),
        ];
        for (who, doc, visibility, allowed) in reads {
            assert_eq!(
                may_read(who, doc, visibility).is_ok(),
                allowed,
                "read {who:?} {doc:?} {visibility:?}"
            );
        }
        assert!(reads_group_in_rest(Facilitator, "a", &private));
        assert!(!reads_group_in_rest(Participant, "a", &private));
        assert!(reads_group_in_rest(Review, "b", &private));
        assert!(may_take_snapshot(Facilitator));
        assert!(!may_take_snapshot(Participant));
        assert!(!may_take_snapshot(Review));
        assert!(may_delete_room(Facilitator));
        assert!(!may_delete_room(Participant));
        assert!(!may_delete_room(Review));
    }
}
