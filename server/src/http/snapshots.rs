//! `/api/rooms/{id}/snapshots`: the state of both documents at the end of a round, for plenary
//! review. Stored in the store; the GET answers the contract's JSON projection of the wall.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;

use super::{authorize, created, open_room, token_of, ApiError, ApiResult, AppState, Params};
use crate::room::permissions;
use kortvaeg_shared::api::{SnapshotInfo, WallView};
use kortvaeg_shared::projection;

pub async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<(StatusCode, Json<SnapshotInfo>)> {
    let (_, role) = authorize(&state, &id, token_of(&headers, params.get("token"))).await?;
    if !permissions::may_take_snapshot(role) {
        return Err(ApiError::Forbidden(
            "only the facilitator can take a snapshot".into(),
        ));
    }
    let room = open_room(&state, &id).await?;
    Ok(created(take(&state, &room, &id).await?))
}

/// Stores a snapshot of the room as it is now.
async fn take(
    state: &super::Shared,
    room: &crate::room::RoomHandle,
    id: &str,
) -> ApiResult<SnapshotInfo> {
    let wall = room.wall.encode_state()?;
    let control = room.control.encode_state()?;
    let taken_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let seq = state
        .store
        .add_snapshot(id, &taken_at, &wall, &control)
        .await?;
    tracing::info!(room = id, seq, "snapshot taken");
    Ok(SnapshotInfo { seq, taken_at })
}

/// `POST /api/rooms/{id}/snapshots/{seq}/restore` (facilitator) → `200 {"seq"}`: the wall
/// (cards, answers, the groups' status) returns to snapshot `seq`, live and durably, as an ordinary
/// change; the control document stays. The state before is kept as a new snapshot first (its
/// number is the answer), so a restore is undone the same way.
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
    let (target, _) = snapshot_docs(&state, &id, seq).await?;
    let room = open_room(&state, &id).await?;
    let before = take(&state, &room, &id).await?;
    let roots: Vec<&str> = kortvaeg_shared::schema::WALL
        .roots
        .iter()
        .filter(|(_, shape)| *shape == kortvaeg_shared::schema::Shape::Map)
        .map(|(name, _)| *name)
        .collect();
    let writer = state.rooms.writer();
    let changed = room
        .wall
        .change(writer, |txn| {
            kortvaeg_shared::restore::restore(txn, &target, &roots)
        })
        .map_err(|e| ApiError::room("nothing was restored", e))?;
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
#[derive(serde::Serialize)]
pub struct RestoreAnswer {
    pub seq: u64,
}

pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<SnapshotInfo>>> {
    authorize(&state, &id, token_of(&headers, params.get("token"))).await?;
    Ok(Json(state.store.snapshots(&id).await?))
}

pub async fn get(
    State(state): State<AppState>,
    Path((id, seq)): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Json<WallView>> {
    authorize(&state, &id, token_of(&headers, params.get("token"))).await?;
    let seq = parse_seq(&seq)?;
    Ok(Json(snapshot_view(&state, &id, seq).await?))
}

pub fn parse_seq(seq: &str) -> ApiResult<u64> {
    seq.parse().map_err(|_| {
        ApiError::NotFound(format!(
            "no snapshot {seq:?}: snapshot numbers are 1, 2, 3, …"
        ))
    })
}

/// The wall of snapshot `seq` as plain data.
pub async fn snapshot_view(state: &super::Shared, id: &str, seq: u64) -> ApiResult<WallView> {
    let (wall, control) = snapshot_docs(state, id, seq).await?;
    Ok(projection::wall_view(&wall, &control))
}

/// The wall and control documents of snapshot `seq`, opened from their stored state.
pub async fn snapshot_docs(
    state: &super::Shared,
    id: &str,
    seq: u64,
) -> ApiResult<(yrs::Doc, yrs::Doc)> {
    let record = state
        .store
        .snapshot(id, seq)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("room {id} has no snapshot {seq}")))?;
    let corrupt = |e: yrs::encoding::read::Error| {
        ApiError::Internal(format!("snapshot {seq} does not decode: {e}"))
    };
    let wall = projection::doc_from_update(&record.wall).map_err(corrupt)?;
    let control = projection::doc_from_update(&record.control).map_err(corrupt)?;
    Ok((wall, control))
}
