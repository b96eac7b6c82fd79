//! Join codes (`docs/API.md`, "Joining by code"): six characters the projector shows and a
//! participant types at `/`, so the printed link need not be typed. `GET`/`POST
//! /api/rooms/{id}/join-code` (facilitator) show and replace the room's code; `GET
//! /api/join/{code}` (no token, rate-limited) finds the room; the code then works as the room's
//! participant token (to join: `POST …/seats` gives a seat and its own token). Replacing the join
//! link (`POST …/participant-token`) removes the code too.

use std::sync::Mutex;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Serialize;

use super::{caller, ApiError, ApiResult, AppState, Params, Shared};
use crate::limits::Bucket;
use crate::tokens;
#[allow(unused_imports)] // named by the OpenAPI annotations
use kortvaeg_shared::api::ErrorBody;

/// Code lookups a second over the whole node, and the burst: guessing one of the codes in use
/// takes hundreds of millions of tries.
pub const LOOKUPS_PER_SECOND: u32 = 20;
pub const LOOKUP_BURST: u32 = 100;

/// The node's bucket of code lookups.
pub struct Lookups(Mutex<Bucket>);

impl Default for Lookups {
    fn default() -> Self {
        Lookups(Mutex::new(Bucket::new(LOOKUPS_PER_SECOND, LOOKUP_BURST)))
    }
}

/// A room's join code, and the address to type it at.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JoinCode {
    pub code: String,
    /// `PUBLIC_URL/?kode=CODE`: opens the start page with the code filled in.
    pub url: String,
}

/// `GET /api/join/{code}`: the room a code belongs to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CodeRoom {
    pub room: String,
    pub title: String,
    /// The code as the server reads it (upper case, no spaces): the participant token to use.
    pub code: String,
}

fn answer(state: &Shared, code: String) -> JoinCode {
    JoinCode {
        url: format!("{}/?kode={code}", state.public_base),
        code,
    }
}

/// `GET /api/rooms/{id}/join-code` (facilitator) → `200` the code; `404` when the room has none.
#[utoipa::path(get, path = "/api/rooms/{id}/join-code", tag = "seats", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query)), security(("bearer" = [])), responses((status = 200, body = JoinCode), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Json<JoinCode>> {
    caller(&state, &id, &headers, &params)
        .await?
        .facilitator_only("only the facilitator sees and replaces the join code")?;
    let code = state.store.join_code(&id).await?.ok_or_else(|| {
        ApiError::NotFound("the workshop has no join code yet: POST makes one".into())
    })?;
    Ok(Json(answer(&state, code)))
}

/// `POST /api/rooms/{id}/join-code` (facilitator) → `201` a new code; the old one stops working.
#[utoipa::path(post, path = "/api/rooms/{id}/join-code", tag = "seats", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query)), security(("bearer" = [])), responses((status = 201, body = JoinCode), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<(StatusCode, Json<JoinCode>)> {
    caller(&state, &id, &headers, &params)
        .await?
        .facilitator_only("only the facilitator sees and replaces the join code")?;
    // A code another room has is drawn again (31^6 codes: rarely).
    for _ in 0..8 {
        let code = tokens::new_join_code();
        if state.store.set_join_code(&id, Some(&code)).await? {
            tracing::info!(room = id, "join code made");
            return Ok((StatusCode::CREATED, Json(answer(&state, code))));
        }
    }
    Err(ApiError::Unavailable(
        "no free join code was found: try again".into(),
    ))
}

/// `GET /api/join/{code}` (no token) → `200 {"room", "title", "code"}`; `404` for a code no room
/// has; `429` past the node's lookups a second.
#[utoipa::path(get, path = "/api/join/{code}", tag = "seats", params(("code" = String, Path, description = "The six characters (case, spaces and hyphens do not count)")), responses((status = 200, body = CodeRoom), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn find(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<CodeRoom>> {
    let allowed = state
        .join_lookups
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    if !allowed {
        crate::metrics::limit_hit("join_code");
        return Err(ApiError::TooMany(
            "too many join codes tried: wait a moment and try again".into(),
        ));
    }
    let unknown = || {
        ApiError::NotFound(format!(
            "no workshop has the code {code:?}: check it on the screen"
        ))
    };
    let code = tokens::as_join_code(&code).ok_or_else(unknown)?;
    let room = state
        .store
        .join_code_room(&code)
        .await?
        .ok_or_else(unknown)?;
    let record = state.rooms.record(&room).await?.ok_or_else(unknown)?;
    Ok(Json(CodeRoom {
        room,
        title: record.title.clone(),
        code,
    }))
}

/// Is `token` room `id`'s join code? (Then it counts as the participant token.)
pub async fn is_join_code(state: &Shared, id: &str, token: &str) -> ApiResult<bool> {
    let Some(code) = tokens::as_join_code(token) else {
        return Ok(false);
    };
    Ok(state.store.join_code(id).await?.as_deref() == Some(code.as_str()))
}
