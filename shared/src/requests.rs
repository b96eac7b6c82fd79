//! The REST API's JSON request bodies read and checked: bytes into a typed request, or the
//! message the API answers with (`400`). Only what needs no room: whether a template exists
//! or a group is one of the room's is checked by the server, against the room, after these.
//!
//! The server's handlers call these; the fuzz target `rest_bodies` drives them with any bytes.

use crate::anonymity::Anonymity;
use crate::api::{CreateRoom, SeatRequest, SnapshotRequest};

/// Longest room title accepted.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest name of a person (a seat).
pub const MAX_NAME_CHARS: usize = 80;

/// Longest name of a snapshot ("As-is", "To-be", or the facilitator's own).
pub const MAX_SNAPSHOT_NAME_CHARS: usize = 80;

/// Why a body was refused: the API's `{"error": ...}` message (`400`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BodyError(pub String);

/// `POST /api/rooms`, checked: a title (trimmed, not empty, at most [`MAX_TITLE_CHARS`]) and a
/// template id (not empty; whether the server has it is the server's to say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRoom {
    pub title: String,
    pub template: String,
    pub anonymity: Anonymity,
}

impl NewRoom {
    pub fn from_json(bytes: &[u8]) -> Result<NewRoom, BodyError> {
        let request: CreateRoom = serde_json::from_slice(bytes)
            .map_err(|e| BodyError(format!("the body is not valid JSON for a room: {e}")))?;
        let title = request.title.as_deref().map(str::trim).unwrap_or_default();
        if title.is_empty() {
            return Err(BodyError("title is missing or empty".into()));
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(BodyError(format!(
                "title is longer than {MAX_TITLE_CHARS} characters"
            )));
        }
        let template = request.template.unwrap_or_default();
        if template.is_empty() {
            return Err(BodyError("template is missing".into()));
        }
        Ok(NewRoom {
            title: title.to_string(),
            template,
            anonymity: request.anonymity.unwrap_or_default(),
        })
    }
}

/// `POST /api/rooms/{id}/seats`, checked: a name ([`seat_name`]) and the group asked for, as
/// sent (empty when missing; [`seat_group`] checks it against the room's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSeat {
    pub name: String,
    pub group: String,
}

/// `PATCH /api/rooms/{id}/seats/{seat_id}`, checked: what to change; a name as [`seat_name`],
/// a group as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeatPatch {
    pub name: Option<String>,
    pub group: Option<String>,
}

impl SeatRequest {
    /// The body of either seat request, as JSON (`name` and `group` optional, nothing checked).
    pub fn from_json(bytes: &[u8]) -> Result<SeatRequest, BodyError> {
        serde_json::from_slice(bytes)
            .map_err(|e| BodyError(format!("the body is not valid JSON for a seat: {e}")))
    }

    /// As a new seat: the name is required.
    pub fn new_seat(&self) -> Result<NewSeat, BodyError> {
        Ok(NewSeat {
            name: seat_name(self.name.as_deref().unwrap_or_default())?,
            group: self.group.clone().unwrap_or_default(),
        })
    }

    /// As a change of a seat: the name, when there is one, must be one.
    pub fn patch(&self) -> Result<SeatPatch, BodyError> {
        Ok(SeatPatch {
            name: self.name.as_deref().map(seat_name).transpose()?,
            group: self.group.clone(),
        })
    }
}

/// A person's name: trimmed, not empty, at most [`MAX_NAME_CHARS`].
pub fn seat_name(name: &str) -> Result<String, BodyError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(BodyError("name is missing or empty".into()));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(BodyError(format!(
            "name is longer than {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(name.to_string())
}

/// `group` if it is one of the room's `groups` (column ids).
pub fn seat_group(groups: &[String], group: &str) -> Result<String, BodyError> {
    if groups.iter().any(|g| g == group) {
        return Ok(group.to_string());
    }
    Err(BodyError(format!(
        "unknown group {group:?}; the room's groups: {}",
        groups.join(", ")
    )))
}

/// `POST /api/rooms/{id}/snapshots`, checked: the snapshot's name, if any. An empty body (none
/// sent) takes an unnamed snapshot, as before names existed; a `name` must be 1 to
/// [`MAX_SNAPSHOT_NAME_CHARS`] characters after trimming; `null` or no `name` is no name.
pub fn snapshot_name(bytes: &[u8]) -> Result<Option<String>, BodyError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let request: SnapshotRequest = serde_json::from_slice(bytes)
        .map_err(|e| BodyError(format!("the body is not valid JSON for a snapshot: {e}")))?;
    request.name.as_deref().map(snapshot_label).transpose()
}

/// A snapshot's name: trimmed, not empty, at most [`MAX_SNAPSHOT_NAME_CHARS`].
pub fn snapshot_label(name: &str) -> Result<String, BodyError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(BodyError("the snapshot's name is empty".into()));
    }
    if name.chars().count() > MAX_SNAPSHOT_NAME_CHARS {
        return Err(BodyError(format!(
            "the snapshot's name is longer than {MAX_SNAPSHOT_NAME_CHARS} characters"
        )));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room() {
        assert_eq!(
            NewRoom::from_json(br#"{"title":"  Exit  ","template":"kmd-sag-exit"}"#),
            Ok(NewRoom {
                title: "Exit".into(),
                template: "kmd-sag-exit".into(),
                anonymity: Anonymity::None,
            })
        );
        assert_eq!(
            NewRoom::from_json(br#"{"title":"x","template":"t","anonymity":"full"}"#)
                .map(|r| r.anonymity),
            Ok(Anonymity::Full)
        );
        assert!(NewRoom::from_json(br#"{"title":"x","template":"t","anonymity":"x"}"#).is_err());
        let refused = |body: &[u8]| NewRoom::from_json(body).unwrap_err().0;
        assert!(refused(b"{").starts_with("the body is not valid JSON for a room"));
        assert_eq!(
            refused(br#"{"title":" ","template":"t"}"#),
            "title is missing or empty"
        );
        assert_eq!(refused(br#"{"title":"T"}"#), "template is missing");
        let long = format!(r#"{{"title":"{}","template":"t"}}"#, "ø".repeat(201));
        assert!(refused(long.as_bytes()).contains("longer than 200"));
    }

    #[test]
    fn a_seat() {
        let request = SeatRequest::from_json(br#"{"name":" Anne ","group":"g1"}"#).unwrap();
        assert_eq!(
            request.new_seat(),
            Ok(NewSeat {
                name: "Anne".into(),
                group: "g1".into()
            })
        );
        let nameless = SeatRequest::from_json(br#"{"group":"g1"}"#).unwrap();
        assert_eq!(
            nameless.new_seat().unwrap_err().0,
            "name is missing or empty"
        );
        assert_eq!(
            nameless.patch(),
            Ok(SeatPatch {
                name: None,
                group: Some("g1".into())
            })
        );
        assert!(SeatRequest::from_json(br#"{"name":""}"#)
            .unwrap()
            .patch()
            .is_err());
        let groups = ["g1".to_string(), "g2".to_string()];
        assert_eq!(seat_group(&groups, "g2"), Ok("g2".to_string()));
        assert_eq!(
            seat_group(&groups, "").unwrap_err().0,
            "unknown group \"\"; the room's groups: g1, g2"
        );
    }

    #[test]
    fn a_snapshot_name() {
        assert_eq!(snapshot_name(b""), Ok(None));
        assert_eq!(snapshot_name(b" \n"), Ok(None));
        assert_eq!(snapshot_name(b"{}"), Ok(None));
        assert_eq!(snapshot_name(br#"{"name":null}"#), Ok(None));
        assert_eq!(
            snapshot_name(br#"{"name":"  As-is "}"#),
            Ok(Some("As-is".into()))
        );
        let refused = |body: &[u8]| snapshot_name(body).unwrap_err().0;
        assert_eq!(refused(br#"{"name":"  "}"#), "the snapshot's name is empty");
        assert!(refused(br#"{"name":3}"#).starts_with("the body is not valid JSON"));
        assert!(refused(b"As-is").starts_with("the body is not valid JSON"));
        let long = format!(r#"{{"name":"{}"}}"#, "å".repeat(81));
        assert!(refused(long.as_bytes()).contains("longer than 80"));
        let just = format!(r#"{{"name":"{}"}}"#, "å".repeat(80));
        assert!(snapshot_name(just.as_bytes()).is_ok());
    }
}
