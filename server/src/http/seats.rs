//! `/api/rooms/{id}/seats` and `/api/rooms/{id}/participant-token` (v2): the people in a room.
//! A seat is one person: a name, a group (a column id) and a personal token, which works wherever
//! the participant token does. Joining creates one (with the participant or facilitator token);
//! the facilitator lists, renames, moves and removes seats (a removed seat's connections close
//! with 4403 and its token is refused), replaces the join link, and can close joining
//! (control document `meta.joining = "closed"`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;

use super::{caller, created, open_room, ApiError, ApiResult, AppState, Params};

/// Why a seat request of anyone but the facilitator is refused (`403`).
const ONLY_THE_FACILITATOR: &str = "only the facilitator may do this";
use crate::store::SeatRecord;
use crate::tokens;
#[allow(unused_imports)] // named by the OpenAPI annotations
use kortvaeg_shared::api::ErrorBody;
use kortvaeg_shared::api::{ParticipantToken, Seat, SeatCreated, SeatRequest};
use kortvaeg_shared::requests::seat_group;
use kortvaeg_shared::{projection, Role};

/// A seat as the API shows it.
pub fn seat(record: &SeatRecord, online: Option<bool>) -> Seat {
    Seat {
        seat_id: record.seat_id.clone(),
        name: record.name.clone(),
        group: record.group.clone(),
        online,
    }
}

/// The room's groups (column ids) and whether joining is closed, from its control document.
async fn room_state(state: &AppState, id: &str) -> ApiResult<(Vec<String>, bool)> {
    let room = open_room(state, id).await?;
    let (_, columns, meta) = room.control.read(projection::structure)?;
    let closed = meta.get("joining").and_then(|v| v.as_str()) == Some("closed");
    Ok((columns.into_iter().map(|c| c.id).collect(), closed))
}

/// `POST /api/rooms/{id}/seats` `{"name", "group"}` → `201` the seat and its token.
#[utoipa::path(post, path = "/api/rooms/{id}/seats", tag = "seats", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer")), request_body = SeatRequest, security(("bearer" = [])), responses((status = 201, body = SeatCreated), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<SeatCreated>)> {
    let caller = caller(&state, &id, &headers, &params).await?;
    if caller.seat.is_some() || caller.role == Role::Review {
        return Err(ApiError::Forbidden(
            "a seat is taken with the participant link (or by the facilitator)".into(),
        ));
    }
    let request = SeatRequest::from_json(&bytes)?.new_seat()?;
    let (groups, closed) = room_state(&state, &id).await?;
    if closed && caller.role != Role::Facilitator {
        return Err(ApiError::Forbidden(
            "joining is closed: the facilitator has closed the workshop to new participants".into(),
        ));
    }
    let group = seat_group(&groups, &request.group)?;
    let max = state.config.max_seats_per_room;
    if state.rooms.seats(&id).await?.len() >= max {
        crate::metrics::limit_hit("seats_per_room");
        return Err(ApiError::Conflict(format!(
            "the workshop has as many people as this server allows ({max}, --max-seats-per-room)"
        )));
    }
    let token = tokens::new_token();
    let record = SeatRecord {
        seat_id: tokens::new_seat_id(),
        name: request.name,
        group,
        token_digest: tokens::digest(&token),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    state.store.put_seat(&id, &record).await?;
    state.rooms.forget_seats(&id);
    tracing::info!(
        room = id,
        seat = record.seat_id,
        group = record.group,
        "seat taken"
    );
    Ok(created(SeatCreated {
        seat_id: record.seat_id,
        seat_token: token,
        name: record.name,
        group: record.group,
    }))
}

/// `GET /api/rooms/{id}/seats` (facilitator) → every seat, and whether it is online (has an open
/// connection on this node).
#[utoipa::path(get, path = "/api/rooms/{id}/seats", tag = "seats", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer")), security(("bearer" = [])), responses((status = 200, body = Vec<Seat>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<Seat>>> {
    caller(&state, &id, &headers, &params)
        .await?
        .facilitator_only(ONLY_THE_FACILITATOR)?;
    let mut seats = state.store.seats(&id).await?;
    seats.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then(a.seat_id.cmp(&b.seat_id))
    });
    Ok(Json(
        seats
            .iter()
            .map(|s| seat(s, Some(state.rooms.seat_online(&id, &s.seat_id))))
            .collect(),
    ))
}

/// `GET /api/rooms/{id}/people` (any token of the room): who is in the room — each seat's id,
/// name and group, never a token — so every page shows a card's writer by the name the seat has
/// now (cards keep the seat id in `author_id`).
#[utoipa::path(get, path = "/api/rooms/{id}/people", tag = "seats", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query)), security(("bearer" = [])), responses((status = 200, body = Vec<Seat>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn people(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<Seat>>> {
    let caller = caller(&state, &id, &headers, &params).await?;
    let seats = state.rooms.seats(&id).await?;
    // In an anonymous room the names are left out for whom the room does not show them (a
    // person still gets their own): cards name their writer only by seat id.
    let shown = caller.record.anonymity.shows_names_to(caller.role);
    let own = caller.seat.as_ref().map(|s| s.seat_id.as_str());
    Ok(Json(
        seats
            .iter()
            .map(|s| {
                let mut shown_seat = seat(s, None);
                if !shown && own != Some(s.seat_id.as_str()) {
                    shown_seat.name = String::new();
                }
                shown_seat
            })
            .collect(),
    ))
}

async fn find(state: &AppState, id: &str, seat_id: &str) -> ApiResult<SeatRecord> {
    state
        .store
        .seats(id)
        .await?
        .into_iter()
        .find(|s| s.seat_id == seat_id)
        .ok_or_else(|| ApiError::NotFound(format!("no seat {seat_id} in this room")))
}

/// `PATCH /api/rooms/{id}/seats/{seat_id}` `{"name"?, "group"?}` — by the facilitator or the
/// seat itself → `200` the seat.
#[utoipa::path(patch, path = "/api/rooms/{id}/seats/{seat_id}", tag = "seats", params(("id" = String, Path, description = "The room id"), ("seat_id" = String, Path), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer")), request_body = SeatRequest, security(("bearer" = [])), responses((status = 200, body = Seat), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Path((id, seat_id)): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult<Json<Seat>> {
    let caller = caller(&state, &id, &headers, &params).await?;
    let own = caller.seat.as_ref().is_some_and(|s| s.seat_id == seat_id);
    if caller.role != Role::Facilitator && !own {
        return Err(ApiError::Forbidden(
            "a seat is changed by the facilitator or by the person themself".into(),
        ));
    }
    let request = SeatRequest::from_json(&bytes)?;
    let mut record = find(&state, &id, &seat_id).await?;
    let patch = request.patch()?;
    if let Some(name) = patch.name {
        record.name = name;
    }
    if let Some(g) = &patch.group {
        let (groups, _) = room_state(&state, &id).await?;
        record.group = seat_group(&groups, g)?;
    }
    state.store.put_seat(&id, &record).await?;
    state.rooms.forget_seats(&id);
    state.rooms.seat_changed(&id, &record);
    Ok(Json(seat(&record, None)))
}

/// `DELETE /api/rooms/{id}/seats/{seat_id}` (facilitator) → `204`: the seat's connections close
/// (4403) and its token is refused from now on.
#[utoipa::path(delete, path = "/api/rooms/{id}/seats/{seat_id}", tag = "seats", params(("id" = String, Path, description = "The room id"), ("seat_id" = String, Path), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer")), security(("bearer" = [])), responses((status = 204, description = "Removed; its connections close with 4403"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    Path((id, seat_id)): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    caller(&state, &id, &headers, &params)
        .await?
        .facilitator_only(ONLY_THE_FACILITATOR)?;
    if !state.store.remove_seat(&id, &seat_id).await? {
        return Err(ApiError::NotFound(format!(
            "no seat {seat_id} in this room"
        )));
    }
    state.rooms.forget_seats(&id);
    state.rooms.close_seat(&id, &seat_id);
    tracing::info!(room = id, seat = seat_id, "seat removed");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/rooms/{id}/participant-token` (facilitator) → a new join link; the old participant
/// token is refused from now on, seats keep theirs.
#[utoipa::path(post, path = "/api/rooms/{id}/participant-token", tag = "seats", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer")), security(("bearer" = [])), responses((status = 200, body = ParticipantToken), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn new_participant_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Json<ParticipantToken>> {
    caller(&state, &id, &headers, &params)
        .await?
        .facilitator_only(ONLY_THE_FACILITATOR)?;
    let token = tokens::new_token();
    state
        .store
        .set_participant_digest(&id, &tokens::digest(&token))
        .await?;
    // The join code is as good as the old link: it goes too (the console makes a new one).
    state.store.set_join_code(&id, None).await?;
    state.rooms.record_changed(&id);
    tracing::info!(room = id, "join link replaced");
    Ok(Json(ParticipantToken {
        join_url: format!("{}/join/{id}#{token}", state.public_base),
        participant_token: token,
    }))
}
