//! `POST /api/rooms/{id}/import`: a screening list (CSV or XLSX) sets up the room's fagområder,
//! sagsområder and anvendes answers in one step (facilitator only). Reading and planning are in
//! `kortvaeg_shared::screening_file` (the file into cells, within limits) and
//! `kortvaeg_shared::screening` (the cells into rows, and the plan); here the changes go into the
//! live documents through [`crate::room::LiveDoc::change`], the same path as a client's update:
//! applied under the document's lock, stored, then broadcast. The answer waits until the store
//! has both changes.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use futures_util::StreamExt;

use super::{authorize, open_room, token_of, ApiError, ApiResult, AppState, Params};
use crate::room::RoomError;
use crate::store::GroupId;
use kortvaeg_shared::analysis::{self, role};
#[allow(unused_imports)] // named by the OpenAPI annotations
use kortvaeg_shared::api::ErrorBody;
use kortvaeg_shared::groups;
use kortvaeg_shared::screening::{self, Imported};
use kortvaeg_shared::screening_file::{self, Format, MAX_FILE_BYTES};
use kortvaeg_shared::{projection, Role};

#[utoipa::path(post, path = "/api/rooms/{id}/import", tag = "sheet", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer")), request_body(content = String, content_type = "text/csv", description = "A screening list (CSV or XLSX)"), security(("bearer" = [])), responses((status = 200, description = "What was imported", body = Object), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Imported>> {
    let (_, role) = authorize(&state, &id, token_of(&headers, params.get("token"))).await?;
    if role != Role::Facilitator {
        return Err(ApiError::Forbidden(
            "only the facilitator can import a screening list".into(),
        ));
    }
    let bytes = read_body(body).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let table = match Format::sniff(content_type, &bytes) {
        Format::Xlsx => {
            tokio::task::spawn_blocking(move || screening_file::read(Format::Xlsx, &bytes))
                .await
                .map_err(|e| ApiError::Internal(format!("reading XLSX: {e}")))?
        }
        Format::Csv => screening_file::read(Format::Csv, &bytes),
    }?;

    let room = open_room(&state, &id).await?;
    let anvendes = room.control.read(|control| {
        let (rows, _, _) = projection::structure(control);
        analysis::answer_columns(&rows)
            .into_iter()
            .find(|c| c.analysis.as_deref() == Some(role::ANVENDES))
    })?;
    let rows = screening::parse(
        &table.records,
        table.first_row,
        anvendes.as_ref().map(|c| c.header.as_str()),
    )
    .map_err(ApiError::Rejected)?;

    let writer = state.rooms.writer();
    let plan = room
        .control
        .change(writer, |txn| screening::write_structure(txn, &rows))
        .map_err(|e| ApiError::room("nothing was imported", e))?;
    let answers_set = match &anvendes {
        Some(column) if rows.iter().any(|r| r.anvendes.is_some()) => {
            write_anvendes(&state, &room, &column.key, &rows, &plan.targets)
                .await
                .map_err(|e| {
                    ApiError::room(
                        "the fagområder and sagsområder were imported, the anvendes answers not",
                        e,
                    )
                })?
        }
        _ => 0,
    };
    if !writer.flush(room.eviction().clone()).await {
        return Err(ApiError::Unavailable(
            "the store failed to save the import; the room was reloaded without it: try again"
                .into(),
        ));
    }
    tracing::info!(
        room = id,
        rows = rows.len(),
        columns = plan.new_columns.len(),
        sagsomraader = plan.new_sagsomraader.len(),
        "screening list imported"
    );
    Ok(Json(Imported {
        rows: rows.len(),
        columns_added: plan.new_columns.len(),
        sagsomraader_added: plan.new_sagsomraader.len(),
        sagsomraader_matched: plan.matched,
        answers_set,
        anvendes_key: anvendes.map(|c| c.key),
    }))
}

/// Sets the anvendes answers: in a room with group documents (v2) in the document of each
/// sagsområde's fagområde, where the group's own answers are; in an older room on the wall.
async fn write_anvendes(
    state: &crate::http::Shared,
    room: &crate::room::RoomHandle,
    key: &str,
    rows: &[screening::ScreeningRow],
    targets: &[String],
) -> Result<usize, RoomError> {
    let writer = state.rooms.writer();
    let (in_groups, columns) = room.control.read(|control| {
        let columns = screening::columns(&yrs::Transact::transact(control));
        (groups::uses_group_documents(control), columns)
    })?;
    if !in_groups {
        return room.wall.change(writer, |txn| {
            screening::write_answers(txn, key, rows, targets)
        });
    }
    let mut set = 0;
    for column in &columns {
        let (mine, theirs): (Vec<_>, Vec<_>) = rows
            .iter()
            .zip(targets)
            .filter(|(_, target)| column.sagsomraader.iter().any(|s| &s.id == *target))
            .map(|(row, target)| (row.clone(), target.clone()))
            .unzip();
        let Some(id) = GroupId::new(&column.id).filter(|_| !mine.is_empty()) else {
            continue;
        };
        let doc = state
            .rooms
            .group_doc(room, id)
            .await
            .map_err(|_| RoomError::Busy)?;
        set += doc.change(writer, |txn| {
            screening::write_answers(txn, key, &mine, &theirs)
        })?;
    }
    Ok(set)
}

/// The whole body, refused with `413` past [`MAX_FILE_BYTES`] without reading the rest.
async fn read_body(body: Body) -> ApiResult<Vec<u8>> {
    let too_large = || {
        ApiError::TooLarge(format!(
            "the list is larger than {} MiB",
            MAX_FILE_BYTES / (1024 * 1024)
        ))
    };
    let mut stream = body.into_data_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("reading the body: {e}")))?;
        if out.len() + chunk.len() > MAX_FILE_BYTES {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    if out.is_empty() {
        return Err(ApiError::BadRequest(
            "the body is empty: send the screening list as CSV or XLSX".into(),
        ));
    }
    Ok(out)
}
