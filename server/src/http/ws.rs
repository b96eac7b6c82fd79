//! The WebSocket endpoints: `/ws/{room}` (wall) and `/ws/{room}/control`. The token is checked
//! and the room opened before the upgrade, so a refused client gets an HTTP status (401, 403,
//! 404, 503) and costs no socket task.

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::{access, open_room, token_of, ApiError, ApiResult, AppState, Params};
use crate::connection::{self, Session};
use crate::store::DocKind;

pub async fn wall(
    state: State<AppState>,
    path: Path<String>,
    params: Params,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    serve(state, path, params, headers, upgrade, DocKind::Wall).await
}

pub async fn control(
    state: State<AppState>,
    path: Path<String>,
    params: Params,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    serve(state, path, params, headers, upgrade, DocKind::Control).await
}

async fn serve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    doc: DocKind,
) -> ApiResult<Response> {
    // The room and the token are checked first, so an unknown room is a 404 whatever the request.
    let access = access(&state, &id, token_of(&headers, params.get("token"))).await?;
    let role = access.role;
    let upgrade = upgrade
        .map_err(|e| ApiError::BadRequest(format!("this endpoint speaks WebSocket: {e}")))?;
    let room = open_room(&state, &id).await?;
    let config = &state.config;
    let session = Session {
        room,
        doc,
        role,
        max_message_bytes: config.max_message_bytes,
        awareness: config.awareness_limits(),
        ping_interval: config.ping_interval(),
        queue: config.client_queue,
        shutdown: state.shutdown.clone(),
        writer: state.rooms.writer().clone(),
        seat: access.seat.map(|seat| state.rooms.seat_watch(&id, &seat)),
    };
    let tracker = state.connections.clone();
    Ok(upgrade
        .max_message_size(config.max_message_bytes)
        .max_frame_size(config.max_message_bytes)
        // tungstenite zero-fills its whole read buffer on each read: a big buffer costs CPU on
        // every frame and memory per connection, so keep it small.
        .read_buffer_size(4096)
        .on_upgrade(move |socket| tracker.track_future(connection::serve(socket, session))))
}
