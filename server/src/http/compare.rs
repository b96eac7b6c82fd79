//! `GET /api/rooms/{id}/compare?from=<seq>&to=<seq|now>`: two states of a room compared — two
//! snapshots (the As-is and To-be rounds), or a snapshot and now — by
//! `kortvaeg_shared::compare`. Each side is the room as one wall as the reader may read it
//! ([`super::room_docs`]), so a participant's comparison leaves out what the participant's
//! sheet leaves out. The XLSX export adds the same comparison as a sheet
//! (`?compare=<from>,<to>`, [`super::export`]).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;

use super::room_docs::RoomDocs;
use super::{authorize, open_room, token_of, ApiError, ApiResult, AppState, Params, Shared};
#[allow(unused_imports)] // named by the OpenAPI annotations
use kortvaeg_shared::api::ErrorBody;
use kortvaeg_shared::compare::{self, CompareView, Side};
use kortvaeg_shared::{analysis, Role};

#[utoipa::path(get, path = "/api/rooms/{id}/compare", tag = "snapshots", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer"), ("from" = u64, Query, description = "The earlier snapshot's number"), ("to" = String, Query, description = "The later snapshot's number, or `now` for the room as it is")), security(("bearer" = [])), responses((status = 200, body = CompareView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn compare(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Json<CompareView>> {
    let (_, role) = authorize(&state, &id, token_of(&headers, params.get("token"))).await?;
    let from = params.get("from").ok_or_else(|| {
        ApiError::BadRequest("from is missing: ?from=<snapshot>&to=<snapshot or now>".into())
    })?;
    let to = params.get("to").ok_or_else(|| {
        ApiError::BadRequest("to is missing: ?from=<snapshot>&to=<snapshot or now>".into())
    })?;
    Ok(Json(comparison(&state, &id, role, from, to).await?))
}

/// Which state of the room a side of a comparison reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    Snapshot(u64),
    Now,
}

impl Point {
    /// `1`, `2`, … or (`now_allowed`) `now`; anything else is a `400`.
    pub fn parse(value: &str, what: &str, now_allowed: bool) -> ApiResult<Point> {
        let value = value.trim();
        if now_allowed && value == "now" {
            return Ok(Point::Now);
        }
        match value.parse::<u64>() {
            Ok(seq) if seq > 0 => Ok(Point::Snapshot(seq)),
            _ => Err(ApiError::BadRequest(format!(
                "{what} must be a snapshot number (1, 2, …){}, not {value:?}",
                if now_allowed { " or now" } else { "" }
            ))),
        }
    }
}

/// The comparison of `from` (a snapshot number) with `to` (a snapshot number or `now`) as `role`
/// may read the room: `400` for a value that is neither, `404` for a snapshot the room lacks.
pub async fn comparison(
    state: &Shared,
    id: &str,
    role: Role,
    from: &str,
    to: &str,
) -> ApiResult<CompareView> {
    let from = Point::parse(from, "from", false)?;
    let to = Point::parse(to, "to", true)?;
    let (from_side, from_input) = side(state, id, role, from).await?;
    let (to_side, to_input) = side(state, id, role, to).await?;
    Ok(CompareView {
        from: from_side,
        to: to_side,
        comparison: compare::compare(&from_input, &to_input),
    })
}

async fn side(
    state: &Shared,
    id: &str,
    role: Role,
    point: Point,
) -> ApiResult<(Side, analysis::Input)> {
    let (side, docs) = match point {
        Point::Now => {
            let docs = RoomDocs::live(state, &open_room(state, id).await?).await?;
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            (
                Side {
                    seq: None,
                    name: None,
                    taken_at: now,
                },
                docs,
            )
        }
        Point::Snapshot(seq) => {
            let info = state
                .store
                .snapshots(id)
                .await?
                .into_iter()
                .find(|s| s.seq == seq)
                .ok_or_else(|| ApiError::NotFound(format!("room {id} has no snapshot {seq}")))?;
            let docs = RoomDocs::snapshot(state, id, seq).await?;
            (
                Side {
                    seq: Some(seq),
                    name: info.name,
                    taken_at: info.taken_at,
                },
                docs,
            )
        }
    };
    let input = analysis::read(&docs.wall_for(role), &docs.control);
    Ok((side, input))
}
