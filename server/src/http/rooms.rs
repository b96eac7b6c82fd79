//! `/api/templates`, `/api/trees` and `/api/rooms`: the templates and decision trees on offer,
//! making a room (by whom: [`crate::creators`]), listing one's own, reading one, deleting it.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use yrs::{Doc, ReadTxn, StateVector, Transact};

use super::{access, created, require_json, token_of, ApiError, ApiResult, AppState, Params};
use crate::room::permissions;
use crate::room::DeletedBy;
use crate::store::{RoomRecord, StoreError};
use crate::tokens;
use kortvaeg_shared::anonymity::Anonymity;
#[allow(unused_imports)] // named by the OpenAPI annotations
use kortvaeg_shared::api::ErrorBody;
use kortvaeg_shared::api::{CreateRoom, RoomCreated, RoomInfo, RoomSummary};
use kortvaeg_shared::requests::NewRoom;
use kortvaeg_shared::{schema, Role, Template};

#[utoipa::path(get, path = "/api/templates", tag = "templates", responses((status = 200, description = "The templates on offer (docs/API.md, Templates)", body = Vec<Object>)))]
pub async fn list_templates(State(state): State<AppState>) -> Json<Vec<Template>> {
    Json(state.templates.iter().cloned().collect())
}

#[utoipa::path(get, path = "/api/templates/{id}", tag = "templates", params(("id" = String, Path)), responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn get_template(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Template>> {
    state
        .templates
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no template with id {id}")))
}

/// A decision tree (`shared/trees/{id}.json`), e.g. `brugsmoenster` (R2).
#[utoipa::path(get, path = "/api/trees/{id}", tag = "templates", params(("id" = String, Path)), responses((status = 200, description = "A decision tree (shared/trees)", body = Object), (status = 404, body = ErrorBody)))]
pub async fn get_tree(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<kortvaeg_shared::trees::Tree>> {
    state
        .trees
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no decision tree with id {id}")))
}

/// Who is creating or listing workshops (see [`crate::creators`]): refused with `401`.
fn creator(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> ApiResult<Option<String>> {
    let bearer = token_of(headers, None);
    state
        .creators
        .creator(headers, Some(peer.ip()), bearer)
        .map_err(|refused| {
            crate::metrics::creation_refused();
            ApiError::Unauthorized(refused.to_string())
        })
}

#[utoipa::path(post, path = "/api/rooms", tag = "rooms", request_body = CreateRoom, security((), ("bearer" = [])), responses((status = 201, body = RoomCreated), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn create_room(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(axum::http::StatusCode, Json<RoomCreated>)> {
    let creator = may_create(&state, &headers, peer).await?;
    require_json(&headers)?;
    let request = NewRoom::from_json(&body)?;
    let (title, template_id) = (request.title.as_str(), request.template.as_str());
    let template = state.templates.get(template_id).ok_or_else(|| {
        let known: Vec<&str> = state.templates.iter().map(|t| t.id.as_str()).collect();
        ApiError::BadRequest(format!(
            "unknown template {template_id:?}; known: {}",
            known.join(", ")
        ))
    })?;

    let control = Doc::new();
    schema::init_control(&control, title, template);
    if !request.anonymity.is_none() {
        request.anonymity.write(&mut control.transact_mut());
    }
    let control_state = control
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let wall_state = Doc::new()
        .transact()
        .encode_state_as_update_v1(&StateVector::default());

    let (_, made) = store_new_room(
        &state,
        title,
        &template.id,
        creator,
        request.anonymity,
        &wall_state,
        &control_state,
    )
    .await?;
    Ok(created(made))
}

/// Who is creating a workshop (see [`creator`]), refused with `429` when they have
/// `--max-rooms-per-creator` already.
pub(super) async fn may_create(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> ApiResult<Option<String>> {
    let creator = creator(state, headers, peer)?;
    if let Some(creator) = &creator {
        let max = state.config.max_rooms_per_creator;
        if state.store.rooms_created_by(creator).await?.len() >= max {
            crate::metrics::limit_hit("rooms_per_creator");
            return Err(ApiError::TooMany(format!(
                "you have as many workshops as this server allows ({max}, --max-rooms-per-creator); delete one first"
            )));
        }
    }
    Ok(creator)
}

/// Stores a new room with fresh tokens and the given initial states, and answers its links.
pub(super) async fn store_new_room(
    state: &AppState,
    title: &str,
    template: &str,
    creator: Option<String>,
    anonymity: Anonymity,
    wall_state: &[u8],
    control_state: &[u8],
) -> ApiResult<(RoomRecord, RoomCreated)> {
    let (facilitator, participant, review) = (
        tokens::new_token(),
        tokens::new_token(),
        tokens::new_token(),
    );
    let mut record = RoomRecord {
        id: tokens::new_room_id(),
        title: title.to_string(),
        template: template.to_string(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        facilitator_digest: tokens::digest(&facilitator),
        participant_digest: tokens::digest(&participant),
        review_digest: tokens::digest(&review),
        creator,
        anonymity,
    };
    // 72-bit ids do not collide in practice; if one ever does, draw again.
    let mut attempts = 0;
    loop {
        match state
            .store
            .create_room(&record, wall_state, control_state)
            .await
        {
            Ok(()) => break,
            Err(StoreError::RoomExists(_)) if attempts < 3 => {
                attempts += 1;
                record.id = tokens::new_room_id();
            }
            Err(e) => return Err(e.into()),
        }
    }
    tracing::info!(room = record.id, template = record.template, "room created");
    let base = &state.public_base;
    let id = &record.id;
    let made = RoomCreated {
        id: id.clone(),
        join_url: format!("{base}/join/{id}#{participant}"),
        facilitator_url: format!("{base}/room/{id}#{facilitator}"),
        review_url: format!("{base}/review/{id}#{review}"),
        facilitator_token: facilitator,
        participant_token: participant,
        review_token: review,
    };
    Ok((record, made))
}

/// `GET /api/rooms`: the workshops the caller made (a creator key, or signed in through the
/// trusted proxy), newest first.
#[utoipa::path(get, path = "/api/rooms", tag = "rooms", security(("bearer" = [])), responses((status = 200, description = "The workshops the caller made", body = Vec<RoomSummary>), (status = 401, body = ErrorBody)))]
pub async fn list_rooms(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<RoomSummary>>> {
    let creator = creator(&state, &headers, peer)?.ok_or_else(|| {
        ApiError::Unauthorized(
            "listing workshops needs a creator key or a signed-in user; this server has neither configured".into(),
        )
    })?;
    let mut rooms: Vec<RoomSummary> = state
        .store
        .rooms_created_by(&creator)
        .await?
        .into_iter()
        .map(|r| RoomSummary {
            id: r.id,
            title: r.title,
            template: r.template,
            created_at: r.created_at,
        })
        .collect();
    rooms.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(Json(rooms))
}

#[utoipa::path(get, path = "/api/rooms/{id}", tag = "rooms", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer")), security(("bearer" = [])), responses((status = 200, body = RoomInfo), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_room(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Json<RoomInfo>> {
    let access = access(&state, &id, token_of(&headers, params.get("token"))).await?;
    let record = access.record;
    let deletes_at = match (access.role, state.config.retention()) {
        (Role::Facilitator, Some(period)) => {
            let changed = state.store.changed_at(&id).await?;
            Some(crate::retention::deletes_at(changed, period))
        }
        _ => None,
    };
    Ok(Json(RoomInfo {
        id: record.id.clone(),
        title: record.title.clone(),
        template: record.template.clone(),
        role: access.role,
        created_at: record.created_at.clone(),
        seat: access.seat.map(|s| super::seats::seat(&s, None)),
        anonymity: record.anonymity,
        deletes_at,
    }))
}

/// `DELETE /api/rooms/{id}` (facilitator) → `204`: everything of the room is deleted, its
/// clients on every node are closed (4404), and the room is `404` from then on.
#[utoipa::path(delete, path = "/api/rooms/{id}", tag = "rooms", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer")), security(("bearer" = [])), responses((status = 204, description = "Deleted; its clients are closed with 4404"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_room(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let access = access(&state, &id, token_of(&headers, params.get("token"))).await?;
    if !permissions::may_delete_room(access.role) {
        return Err(ApiError::Forbidden(
            "only the facilitator can delete the workshop".into(),
        ));
    }
    state.rooms.delete(&id, DeletedBy::Facilitator).await?;
    Ok(StatusCode::NO_CONTENT)
}
