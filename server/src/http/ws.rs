//! The WebSocket endpoints: `/ws/{room}` (wall), `/ws/{room}/control` and
//! `/ws/{room}/group/{column}` (v2). The token and the right to read the document are checked and
//! the room opened before the upgrade, so a refused client gets an HTTP status (401, 403 — also
//! "not revealed yet" —, 404, 503) and costs no socket task.

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::{access, open_room, token_of, ApiError, ApiResult, AppState, Params};
use crate::connection::{self, Session};
use crate::limits;
use crate::room::permissions::{self, Who};
use crate::store::{DocKind, GroupId};
#[allow(unused_imports)] // named by the OpenAPI annotations
use kortvaeg_shared::api::ErrorBody;
use kortvaeg_shared::projection;

#[utoipa::path(get, path = "/ws/{id}", tag = "documents", description = "The wall document over the y-websocket protocol (docs/API.md, Live documents)", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer")), responses((status = 101, description = "Switching to WebSocket"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn wall(
    state: State<AppState>,
    peer: ConnectInfo<SocketAddr>,
    path: Path<String>,
    params: Params,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    serve(state, peer, path, params, headers, upgrade, DocKind::Wall).await
}

#[utoipa::path(get, path = "/ws/{id}/control", tag = "documents", description = "The control document over the y-websocket protocol", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer")), responses((status = 101, description = "Switching to WebSocket"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn control(
    state: State<AppState>,
    peer: ConnectInfo<SocketAddr>,
    path: Path<String>,
    params: Params,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    serve(
        state,
        peer,
        path,
        params,
        headers,
        upgrade,
        DocKind::Control,
    )
    .await
}

#[utoipa::path(get, path = "/ws/{id}/group/{column}", tag = "documents", description = "A group document over the y-websocket protocol (v2; 403 not revealed yet)", params(("id" = String, Path, description = "The room id"), ("column" = String, Path), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer")), responses((status = 101, description = "Switching to WebSocket"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn group(
    state: State<AppState>,
    peer: ConnectInfo<SocketAddr>,
    Path((id, column)): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let unknown = || ApiError::NotFound(format!("room {id} has no fagområde {column:?}"));
    let group = GroupId::new(&column).ok_or_else(unknown)?;
    serve(
        state,
        peer,
        Path(id),
        params,
        headers,
        upgrade,
        DocKind::Group(group),
    )
    .await
}

async fn serve(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    kind: DocKind,
) -> ApiResult<Response> {
    // The room, the token and the right to read the document are checked first, so an unknown
    // room is a 404 and a hidden group a 403 whatever the request.
    let access = access(&state, &id, token_of(&headers, params.get("token"))).await?;
    let role = access.role;
    let room = open_room(&state, &id).await?;
    let doc = match kind {
        DocKind::Group(group) => {
            let (_, columns, _) = room.read_control(projection::structure)?;
            if !columns.iter().any(|c| c.id == group.as_str()) {
                return Err(ApiError::NotFound(format!(
                    "room {id} has no fagområde {:?}",
                    group.as_str()
                )));
            }
            let who = Who::new(role, access.seat.as_ref().map(|s| s.group.as_str()));
            permissions::may_read(who, kind, &room.visibility().borrow())
                .map_err(|reason| ApiError::Forbidden(reason.into()))?;
            state.rooms.group_doc(&room, group).await?
        }
        kind => room
            .doc(kind)
            .ok_or_else(|| ApiError::Unavailable("the room is being reloaded; try again".into()))?,
    };
    let upgrade = upgrade
        .map_err(|e| ApiError::BadRequest(format!("this endpoint speaks WebSocket: {e}")))?;
    let config = &state.config;
    let address = limits::client_address(peer.ip(), &headers, &config.trusted_proxy);
    let held = state
        .addresses
        .hold(address, config.max_connections_per_address)
        .ok_or_else(|| {
            crate::metrics::limit_hit("connections_per_address");
            ApiError::TooMany(format!(
                "too many connections from your address: at most {} (--max-connections-per-address)",
                config.max_connections_per_address
            ))
        })?;
    let counted = room.connect(config.max_connections_per_room).ok_or_else(|| {
        crate::metrics::limit_hit("connections_per_room");
        ApiError::TooMany(format!(
            "the workshop has as many connections as this server allows: {} (--max-connections-per-room)",
            config.max_connections_per_room
        ))
    })?;
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
        rates: config.rate_limits(),
        anonymity: access.record.anonymity,
        _counted: Some((held, counted)),
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
