//! `/api/rooms/{id}/snapshots`: the state of every document (wall, control, each group's) at the
//! end of a round, for plenary review. Stored in the store; the GET answers the contract's JSON
//! projection of the wall as the reader may read it (see [`super::room_docs`]).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;

use super::room_docs::{RoomDocs, States};
use super::{authorize, created, open_room, token_of, ApiError, ApiResult, AppState, Params};
use crate::room::permissions;
use crate::store::{DocKind, GroupId};
#[allow(unused_imports)] // named by the OpenAPI annotations
use kortvaeg_shared::api::ErrorBody;
use kortvaeg_shared::api::{SnapshotInfo, SnapshotRequest, WallView};
use kortvaeg_shared::groups;
use kortvaeg_shared::{projection, requests};

/// `POST /api/rooms/{id}/snapshots` (facilitator), optionally with `{"name": "As-is"}` → `201`
/// the snapshot.
#[utoipa::path(post, path = "/api/rooms/{id}/snapshots", tag = "snapshots", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer")), request_body(content = Option<SnapshotRequest>, description = "Optional: the snapshot's name (1–80 characters after trimming); no body takes an unnamed snapshot"), security(("bearer" = [])), responses((status = 201, body = SnapshotInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<SnapshotInfo>)> {
    let (_, role) = authorize(&state, &id, token_of(&headers, params.get("token"))).await?;
    if !permissions::may_take_snapshot(role) {
        return Err(ApiError::Forbidden(
            "only the facilitator can take a snapshot".into(),
        ));
    }
    let name = requests::snapshot_name(&body)?;
    let room = open_room(&state, &id).await?;
    Ok(created(take(&state, &room, &id, name).await?))
}

/// Stores a snapshot of the room as it is now, named `name` if given.
async fn take(
    state: &super::Shared,
    room: &crate::room::RoomHandle,
    id: &str,
    name: Option<String>,
) -> ApiResult<SnapshotInfo> {
    let docs = States::live(state, room).await?;
    let taken_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let seq = state
        .store
        .add_snapshot(
            id,
            &taken_at,
            name.as_deref(),
            &docs.wall,
            &docs.control,
            &docs.groups,
        )
        .await?;
    tracing::info!(room = id, seq, "snapshot taken");
    Ok(SnapshotInfo {
        seq,
        taken_at,
        name,
    })
}

/// `POST /api/rooms/{id}/snapshots/{seq}/restore` (facilitator) → `200 {"seq"}`: the wall and
/// every group document (cards, answers, the groups' status) return to snapshot `seq`, live and durably, as an ordinary
/// change; the control document stays. The state before is kept as a new snapshot first (its
/// number is the answer), so a restore is undone the same way.
#[utoipa::path(post, path = "/api/rooms/{id}/snapshots/{seq}/restore", tag = "snapshots", params(("id" = String, Path, description = "The room id"), ("seq" = u64, Path, description = "The snapshot number"), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer")), security(("bearer" = [])), responses((status = 200, description = "The snapshot of the state before", body = RestoreAnswer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn restore(
    State(state): State<AppState>,
    Path((id, seq)): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Json<RestoreAnswer>> {
    let (_, role) = authorize(&state, &id, token_of(&headers, params.get("token"))).await?;
    if !permissions::may_take_snapshot(role) {
        return Err(ApiError::Forbidden(
            "only the facilitator can restore a snapshot".into(),
        ));
    }
    let seq = parse_seq(&seq)?;
    let target = RoomDocs::snapshot(&state, &id, seq).await?;
    let room = open_room(&state, &id).await?;
    let before = take(&state, &room, &id, None).await?;
    let writer = state.rooms.writer();
    let restore = |doc: &crate::room::LiveDoc, target: &yrs::Doc| {
        doc.change(writer, |txn| {
            kortvaeg_shared::restore::restore(txn, target, &groups::ROOTS)
        })
        .map_err(|e| ApiError::room("nothing was restored", e))
    };
    let mut changed = restore(&room.wall, &target.wall)?;
    // Every group document the room has now or the snapshot had: one the snapshot lacks was
    // empty then.
    let mut ids: Vec<GroupId> = target.groups.iter().map(|(id, _)| *id).collect();
    for doc in state.rooms.group_docs(&room).await? {
        if let DocKind::Group(id) = doc.kind {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    let empty = yrs::Doc::new();
    for id in ids {
        let doc = state.rooms.group_doc(&room, id).await?;
        let then = target
            .groups
            .iter()
            .find(|(g, _)| *g == id)
            .map_or(&empty, |(_, d)| d);
        changed += restore(&doc, then)?;
    }
    if !writer.flush(room.eviction().clone()).await {
        return Err(ApiError::Unavailable(
            "the store failed to save the restore; the room was reloaded without it: try again"
                .into(),
        ));
    }
    tracing::info!(
        room = id,
        seq,
        before = before.seq,
        changed,
        "snapshot restored"
    );
    Ok(Json(RestoreAnswer { seq: before.seq }))
}

/// The answer to a restore: the snapshot of the state before it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RestoreAnswer {
    pub seq: u64,
}

#[utoipa::path(get, path = "/api/rooms/{id}/snapshots", tag = "snapshots", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer")), security(("bearer" = [])), responses((status = 200, body = Vec<SnapshotInfo>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<SnapshotInfo>>> {
    authorize(&state, &id, token_of(&headers, params.get("token"))).await?;
    Ok(Json(state.store.snapshots(&id).await?))
}

#[utoipa::path(get, path = "/api/rooms/{id}/snapshots/{seq}", tag = "snapshots", params(("id" = String, Path, description = "The room id"), ("seq" = u64, Path, description = "The snapshot number"), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer")), security(("bearer" = [])), responses((status = 200, body = WallView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path((id, seq)): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Json<WallView>> {
    let (_, role) = authorize(&state, &id, token_of(&headers, params.get("token"))).await?;
    let docs = RoomDocs::snapshot(&state, &id, parse_seq(&seq)?).await?;
    Ok(Json(projection::wall_view(
        &docs.wall_for(role),
        &docs.control,
    )))
}

pub fn parse_seq(seq: &str) -> ApiResult<u64> {
    seq.parse().map_err(|_| {
        ApiError::NotFound(format!(
            "no snapshot {seq:?}: snapshot numbers are 1, 2, 3, …"
        ))
    })
}
