//! The REST API's JSON request bodies, under any bytes: every body the server checks without a
//! room (`kortvaeg_shared::requests`) is offered the same input.
//!
//! - `POST /api/rooms`: `NewRoom::from_json`;
//! - `POST /api/rooms/{id}/seats`: `SeatRequest::from_json`, then `new_seat`, then `seat_group`
//!   against a room's groups;
//! - `PATCH /api/rooms/{id}/seats/{seat_id}`: `SeatRequest::from_json`, then `patch`;
//! - `POST /api/rooms/{id}/snapshots`: `snapshot_name` (an optional name).
//!
//! What must hold (a panic is a finding): what is accepted is what the API promises (a title
//! and a name trimmed, not empty, within their limits; a template named), a refusal has a
//! message, and an accepted body written out again as JSON is accepted as the same request.

#![no_main]

use libfuzzer_sys::fuzz_target;

use kortvaeg_shared::api::{CreateRoom, SeatRequest, SnapshotRequest};
use kortvaeg_shared::requests::{
    seat_group, seat_name, snapshot_name, NewRoom, MAX_NAME_CHARS, MAX_SNAPSHOT_NAME_CHARS,
    MAX_TITLE_CHARS,
};

/// Trimmed, not empty, at most `max` characters.
fn well_formed(text: &str, max: usize) -> bool {
    !text.is_empty() && text.trim() == text && text.chars().count() <= max
}

fn room(data: &[u8]) {
    match NewRoom::from_json(data) {
        Ok(room) => {
            assert!(
                well_formed(&room.title, MAX_TITLE_CHARS),
                "title {:?}",
                room.title
            );
            assert!(!room.template.is_empty());
            let body = CreateRoom {
                title: Some(room.title.clone()),
                template: Some(room.template.clone()),
                anonymity: Some(room.anonymity),
            };
            let json = serde_json::to_vec(&body).expect("a room request serialises");
            assert_eq!(
                NewRoom::from_json(&json).as_ref(),
                Ok(&room),
                "a room request written out again"
            );
        }
        Err(e) => assert!(!e.0.is_empty()),
    }
}

fn seat(data: &[u8]) {
    let request = match SeatRequest::from_json(data) {
        Ok(request) => request,
        Err(e) => return assert!(!e.0.is_empty()),
    };
    // A name given is checked the same way by both requests.
    if let Some(name) = &request.name {
        assert_eq!(seat_name(name).is_ok(), request.new_seat().is_ok());
        assert_eq!(seat_name(name).is_ok(), request.patch().is_ok());
    }
    if let Ok(seat) = request.new_seat() {
        assert!(
            well_formed(&seat.name, MAX_NAME_CHARS),
            "name {:?}",
            seat.name
        );
        let body = SeatRequest {
            name: Some(seat.name.clone()),
            group: Some(seat.group.clone()),
        };
        let json = serde_json::to_vec(&body).expect("a seat request serialises");
        let again = SeatRequest::from_json(&json).expect("a seat request written out again");
        assert_eq!(again.new_seat().as_ref(), Ok(&seat));
        // Against a room's groups: accepted as itself exactly when it is one of them.
        let groups = ["borgerservice".to_string(), seat.group.clone()];
        assert_eq!(
            seat_group(&groups, &seat.group).as_deref(),
            Ok(seat.group.as_str())
        );
        let accepted = seat_group(&groups[..1], &seat.group);
        assert_eq!(accepted.is_ok(), seat.group == "borgerservice");
        if let Err(e) = accepted {
            assert!(!e.0.is_empty());
        }
    }
    if let Ok(patch) = request.patch() {
        if let Some(name) = &patch.name {
            assert!(well_formed(name, MAX_NAME_CHARS), "name {name:?}");
        }
        assert_eq!(patch.group, request.group);
        let body = SeatRequest {
            name: patch.name.clone(),
            group: patch.group.clone(),
        };
        let json = serde_json::to_vec(&body).expect("a seat change serialises");
        let again = SeatRequest::from_json(&json).expect("a seat change written out again");
        assert_eq!(again.patch().as_ref(), Ok(&patch));
    }
}

fn snapshot(data: &[u8]) {
    match snapshot_name(data) {
        Ok(None) => {}
        Ok(Some(name)) => {
            assert!(well_formed(&name, MAX_SNAPSHOT_NAME_CHARS), "name {name:?}");
            let body = SnapshotRequest {
                name: Some(name.clone()),
            };
            let json = serde_json::to_vec(&body).expect("a snapshot request serialises");
            assert_eq!(
                snapshot_name(&json),
                Ok(Some(name)),
                "a snapshot request written out again"
            );
        }
        Err(e) => assert!(!e.0.is_empty()),
    }
}

fuzz_target!(|data: &[u8]| {
    room(data);
    seat(data);
    snapshot(data);
});
