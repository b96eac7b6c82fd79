//! The HTTP edge: routes, shared state, and the token check every room route goes through.
//! Handlers are thin: they check the token, call the room registry or the store, and turn the
//! result into JSON (errors through [`ApiError`]).

mod archive;
mod compare;
mod error;
mod export;
mod health;
mod import;
mod join_code;
mod openapi;
mod room_docs;
mod rooms;
mod seats;
mod security;
mod snapshots;
mod votes;
mod web;
mod workbook;
mod ws;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, patch, post, put};
use axum::Router;
use tokio::sync::watch;
use tokio_util::task::TaskTracker;

pub use error::{ApiError, ApiResult};

use crate::config::Config;
use crate::room::{RoomHandle, Rooms};
use crate::store::{RoomRecord, SeatRecord, Store};
use crate::tokens;
use kortvaeg_shared::{Role, Templates};

/// Everything a handler may need; one `Arc` shared by all.
pub struct Shared {
    pub config: Config,
    /// Base of the links handed out, without trailing slash.
    pub public_base: String,
    pub templates: Templates,
    /// Renders `/metrics` (`None`: another server in this process has the recorder).
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Decision trees (the brugsmønster model), by id.
    pub trees: std::collections::BTreeMap<String, kortvaeg_shared::trees::Tree>,
    pub store: Arc<dyn Store>,
    pub rooms: Rooms,
    /// Who may create workshops.
    pub creators: crate::creators::Creators,
    /// Open WebSocket connections per client address.
    pub addresses: crate::limits::Addresses,
    /// Join code lookups (`GET /api/join/{code}`), limited per node.
    pub join_lookups: join_code::Lookups,
    /// Flips to `true` when the server shuts down; open connections close with 1001.
    pub shutdown: watch::Receiver<bool>,
    /// Tracks connection tasks so shutdown can wait for them.
    pub connections: TaskTracker,
}

pub type AppState = Arc<Shared>;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/openapi.json", get(openapi::openapi))
        .route("/server", get(health::server_info))
        .route("/join/{code}", get(join_code::find))
        .route("/templates", get(rooms::list_templates))
        .route("/templates/{id}", get(rooms::get_template))
        .route("/trees/{id}", get(rooms::get_tree))
        .route("/rooms", post(rooms::create_room).get(rooms::list_rooms))
        .route(
            "/rooms/import-archive",
            post(archive::import).layer(axum::extract::DefaultBodyLimit::max(
                archive::MAX_ARCHIVE_BYTES,
            )),
        )
        .route(
            "/rooms/{id}",
            get(rooms::get_room).delete(rooms::delete_room),
        )
        .route(
            "/rooms/{id}/snapshots",
            get(snapshots::list).post(snapshots::create),
        )
        .route("/rooms/{id}/snapshots/{seq}", get(snapshots::get))
        .route(
            "/rooms/{id}/snapshots/{seq}/restore",
            post(snapshots::restore),
        )
        .route("/rooms/{id}/compare", get(compare::compare))
        .route("/rooms/{id}/export.csv", get(export::csv))
        .route("/rooms/{id}/export.xlsx", get(export::xlsx))
        .route("/rooms/{id}/sheet", get(export::sheet))
        .route("/rooms/{id}/archive", get(archive::export))
        .route("/rooms/{id}/import", post(import::import))
        .route("/rooms/{id}/seats", get(seats::list).post(seats::create))
        .route("/rooms/{id}/people", get(seats::people))
        .route(
            "/rooms/{id}/join-code",
            get(join_code::get).post(join_code::create),
        )
        .route(
            "/rooms/{id}/seats/{seat_id}",
            patch(seats::update).delete(seats::remove),
        )
        .route(
            "/rooms/{id}/participant-token",
            post(seats::new_participant_token),
        )
        .route("/rooms/{id}/voting", put(votes::open).patch(votes::change))
        .route("/rooms/{id}/votes", get(votes::list).post(votes::cast))
        .route("/rooms/{id}/votes/{target}", delete(votes::take_back))
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Every JSON body (the screening import streams its own, with its own limit).
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.max_body_bytes,
        ));
    Router::new()
        .nest("/api", api)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/ws/{id}", get(ws::wall))
        .route("/ws/{id}/control", get(ws::control))
        .route("/ws/{id}/group/{column}", get(ws::group))
        .merge(web::web_client(state.config.web_dir.as_deref()))
        .layer(axum::middleware::map_response(error::json_errors))
        .layer(security::cors(&state.config.cors_origin))
        .layer(axum::middleware::map_response(security::add_headers))
        .with_state(state)
}

async fn api_not_found() -> ApiError {
    ApiError::NotFound("no such API endpoint".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed("method not allowed on this endpoint".into())
}

/// The query string as name → value (the last of a repeated name wins). Unlike axum's typed
/// `Query`, it rejects nothing but undecodable input, and then with a JSON error.
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|e| ApiError::BadRequest(format!("the query string does not decode: {e}")))?;
        Ok(Params(pairs.into_iter().collect()))
    }
}

/// The token of a request: `Authorization: Bearer <token>`, or `?token=` (for download links,
/// which cannot carry a header).
pub fn token_of<'a>(headers: &'a HeaderMap, query_token: Option<&'a str>) -> Option<&'a str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .or(query_token)
        .filter(|t| !t.is_empty())
}

/// Checks that a request body is declared as JSON: `Content-Type: application/json`, optionally
/// with `charset=utf-8` (`415` otherwise). Required where no token guards the endpoint
/// (`POST /api/rooms`): a cross-origin page can send a `text/plain` POST without asking the browser
/// first (a CORS "simple request"), but not an `application/json` one.
pub fn require_json(headers: &HeaderMap) -> ApiResult<()> {
    let value = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut parts = value.split(';').map(str::trim);
    let media_type = parts.next().unwrap_or_default();
    let params_ok = parts.all(|p| {
        let (name, v) = p.split_once('=').unwrap_or((p, ""));
        name.trim().eq_ignore_ascii_case("charset")
            && v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
    });
    if media_type.eq_ignore_ascii_case("application/json") && params_ok {
        return Ok(());
    }
    Err(ApiError::UnsupportedMediaType(format!(
        "the body must be sent as Content-Type: application/json (got {value:?})"
    )))
}

/// Who a token is in a room: its role and, for a seat token, the seat (a seat is a participant).
pub struct Access {
    pub record: Arc<RoomRecord>,
    pub role: Role,
    pub seat: Option<SeatRecord>,
}

impl Access {
    /// `403` with `refusal` unless the token is the facilitator's.
    pub fn facilitator_only(&self, refusal: &str) -> ApiResult<()> {
        match self.role {
            Role::Facilitator => Ok(()),
            _ => Err(ApiError::Forbidden(refusal.into())),
        }
    }
}

/// [`access`] with the request's token (`Authorization: Bearer`, or `?token=`).
pub async fn caller(
    state: &Shared,
    id: &str,
    headers: &HeaderMap,
    params: &Params,
) -> ApiResult<Access> {
    access(state, id, token_of(headers, params.get("token"))).await
}

/// Checks that room `id` exists (404 otherwise, whatever the token) and that `token` is one of
/// its tokens (401 when missing, 403 when wrong). Returns the room's record and the token's role.
pub async fn authorize(
    state: &Shared,
    id: &str,
    token: Option<&str>,
) -> ApiResult<(Arc<RoomRecord>, Role)> {
    let access = access(state, id, token).await?;
    Ok((access.record, access.role))
}

/// As [`authorize`], also taking seat tokens (v2): a room's three tokens first, then its seats.
pub async fn access(state: &Shared, id: &str, token: Option<&str>) -> ApiResult<Access> {
    if !tokens::is_room_id(id) {
        return Err(ApiError::NotFound(format!("no room with id {id}")));
    }
    let record = state
        .rooms
        .record(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no room with id {id}")))?;
    let token = token.ok_or_else(|| {
        ApiError::Unauthorized(
            "a token is required: Authorization: Bearer <token> or ?token=".into(),
        )
    })?;
    if let Some(role) = tokens::role_of(&record, token) {
        return Ok(Access {
            record,
            role,
            seat: None,
        });
    }
    let seats = state.rooms.seats(id).await?;
    let Some(seat) = tokens::seat_of(&seats, token).cloned() else {
        // The room's join code, typed at `/`, is as good as the join link.
        if join_code::is_join_code(state, id, token).await? {
            return Ok(Access {
                record,
                role: Role::Participant,
                seat: None,
            });
        }
        return Err(ApiError::Forbidden(
            "the token does not give access to this room".into(),
        ));
    };
    Ok(Access {
        record,
        role: Role::Participant,
        seat: Some(seat),
    })
}

/// Opens a room for a request; the handle keeps it loaded until dropped.
pub async fn open_room(state: &Shared, id: &str) -> ApiResult<RoomHandle> {
    Ok(state.rooms.open(id).await?)
}

/// `201 Created` with a JSON body.
pub fn created<T: serde::Serialize>(body: T) -> (StatusCode, axum::Json<T>) {
    (StatusCode::CREATED, axum::Json(body))
}
