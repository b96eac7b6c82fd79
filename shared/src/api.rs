//! The JSON bodies of the REST API. See `docs/API.md` for the endpoints that carry them.

use serde::{Deserialize, Serialize};

/// What a token lets its holder do in a room (`docs/API.md`, "Permissions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs the workshop: writes both documents, takes snapshots.
    Facilitator,
    /// Writes cards on the wall; reads the control document.
    Participant,
    /// Reads everything, writes nothing; their presence is not shown to others.
    Review,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Facilitator => "facilitator",
            Role::Participant => "participant",
            Role::Review => "review",
        }
    }
}

/// `POST /api/rooms` body. Fields are optional here so that a missing one gets a precise error
/// rather than a generic deserialisation failure.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreateRoom {
    pub title: Option<String>,
    pub template: Option<String>,
    /// Who is told who wrote what (default `none`: everyone); decided here, for good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymity: Option<crate::anonymity::Anonymity>,
}

/// `201` answer to `POST /api/rooms`. The tokens are shown once: the server keeps only their digests.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoomCreated {
    pub id: String,
    pub facilitator_token: String,
    pub participant_token: String,
    pub review_token: String,
    /// The participants' link: `PUBLIC_URL/join/{id}#{participant_token}`.
    pub join_url: String,
    /// The facilitator's way back in: `PUBLIC_URL/room/{id}#{facilitator_token}`.
    pub facilitator_url: String,
    /// Read-only link for plenary review: `PUBLIC_URL/review/{id}#{review_token}`.
    pub review_url: String,
}

/// `GET /api/rooms/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoomInfo {
    pub id: String,
    pub title: String,
    pub template: String,
    pub role: Role,
    /// RFC 3339 time the room was created.
    pub created_at: String,
    /// With a seat token: the seat (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat: Option<Seat>,
    /// The room's anonymity (`none`, `participants`, `full`).
    #[serde(default)]
    pub anonymity: crate::anonymity::Anonymity,
    /// For the facilitator, when the server deletes rooms after `--retain-days` without a
    /// change: when this one will be deleted unless it changes before (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletes_at: Option<String>,
}

/// A workshop in the list of those its creator made (`GET /api/rooms`): no tokens (the server
/// keeps only their digests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoomSummary {
    pub id: String,
    pub title: String,
    pub template: String,
    /// RFC 3339 time the room was created.
    pub created_at: String,
}

/// A person in a room (v2): `GET /api/rooms/{id}/seats`, `PATCH …/seats/{seat_id}`, and
/// `GET /api/rooms/{id}` with a seat token. `online` only in the facilitator's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Seat {
    pub seat_id: String,
    pub name: String,
    /// The group: a column (fagområde) id.
    pub group: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online: Option<bool>,
}

/// `POST /api/rooms/{id}/seats` body, and `PATCH …/seats/{seat_id}` (both fields optional there).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SeatRequest {
    pub name: Option<String>,
    pub group: Option<String>,
}

/// `201` answer to `POST /api/rooms/{id}/seats`. The seat token is shown once.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SeatCreated {
    pub seat_id: String,
    pub seat_token: String,
    pub name: String,
    pub group: String,
}

/// `200` answer to `POST /api/rooms/{id}/participant-token`: a new join link.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ParticipantToken {
    pub participant_token: String,
    pub join_url: String,
}

/// One entry of `GET /api/rooms/{id}/snapshots`, and the `201` answer when one is taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SnapshotInfo {
    pub seq: u64,
    /// RFC 3339.
    pub taken_at: String,
    /// The name the facilitator gave it ("As-is", "To-be", …); absent for a snapshot taken
    /// without one (and every snapshot taken before names existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `POST /api/rooms/{id}/snapshots` body (optional: no body takes an unnamed snapshot).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SnapshotRequest {
    /// 1–80 characters after trimming.
    pub name: Option<String>,
}

/// A row or a column of the wall: `{"id", "label"}` plus whatever else the template gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Axis {
    pub id: String,
    pub label: String,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A card as plain data: the contract's fields, with `Y.Text` read out as a string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Card {
    pub id: String,
    pub row: String,
    pub column: String,
    pub text: String,
    /// Any further fields of the card (`sagsomraade`, `kle`, `author`, `group`, `created_at`, …).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// `GET /api/rooms/{id}/snapshots/{seq}`: the wall as it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WallView {
    pub rows: Vec<Axis>,
    pub columns: Vec<Axis>,
    pub cards: Vec<Card>,
    /// The control document's `meta` map (title, template, phase, …).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub meta: serde_json::Map<String, serde_json::Value>,
}

/// Every error body of the API.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: String,
}

/// `GET /healthz`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Health {
    /// `"ok"` or `"degraded"`.
    pub status: String,
    /// `"ok"` or `"unreachable"`.
    pub store: String,
    /// Which store is configured: `"embedded"` or `"redis"`.
    pub store_kind: String,
    /// Rooms currently loaded in this process.
    pub rooms_loaded: usize,
    /// Open WebSocket connections.
    pub connections: usize,
    /// Updates waiting for the store (Redis outage buffer); `status` is `degraded` while any wait.
    #[serde(default)]
    pub buffered_updates: usize,
}
