//! `/api/rooms/{id}/sheet`, `/export.csv` and `/export.xlsx`: the documentation sheet, of the
//! live room or of a snapshot (`?snapshot=seq`). Its rows come from `kortvaeg_shared::analysis`
//! (one per sagsområde) and `kortvaeg_shared::sheet` (as strings, and the card rows), which also
//! neutralises values a spreadsheet would run as formulas; the workbook is in [`super::workbook`].

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use yrs::Doc;

use super::room_docs::RoomDocs;
use super::snapshots::parse_seq;
use super::{
    authorize, compare, open_room, token_of, workbook, ApiError, ApiResult, AppState, Params,
    Shared,
};
use kortvaeg_shared::analysis::{self, Sheet};
#[allow(unused_imports)] // named by the OpenAPI annotations
use kortvaeg_shared::api::ErrorBody;
use kortvaeg_shared::voting::{self, Round};
use kortvaeg_shared::{projection, sheet};

/// `GET /api/rooms/{id}/sheet`: the documentation sheet and prioritisation as JSON.
#[utoipa::path(get, path = "/api/rooms/{id}/sheet", tag = "sheet", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer"), ("snapshot" = Option<u64>, Query, description = "Read snapshot `seq` instead of the live room")), security(("bearer" = [])), responses((status = 200, description = "The documentation sheet (docs/API.md)", body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn sheet(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Json<Sheet>> {
    let (sheet, round) = read_room(&state, &id, &params, &headers, documentation).await?;
    Ok(Json(with_votes(&state, &id, sheet, round).await?))
}

/// The documentation sheet, and the voting round the control document has (if any).
fn documentation(wall: &Doc, control: &Doc) -> (Sheet, Option<Round>) {
    (
        analysis::sheet(&analysis::read(wall, control)),
        Round::of(control),
    )
}

/// The sheet with its "Stemmer" column when the room (or the snapshot) had a voting round: that
/// round's votes as the store counts them now.
async fn with_votes(
    state: &Shared,
    id: &str,
    mut sheet: Sheet,
    round: Option<Round>,
) -> ApiResult<Sheet> {
    if let Some(round) = round {
        let counts = voting::totals(&state.store.votes(id, &round.id).await?);
        voting::add_to_sheet(&mut sheet, &round, &counts);
    }
    Ok(sheet)
}

/// `GET /api/rooms/{id}/export.csv`: one row per card, or with `?sheet=dokumentationsark` one
/// row per sagsområde. `?delimiter=semicolon` (the default of the documentation sheet) writes
/// what Danish Excel opens as it is: `;` between fields and a UTF-8 BOM; `?delimiter=comma` (the
/// default of the card list, as in v1) plain comma-separated UTF-8.
#[utoipa::path(get, path = "/api/rooms/{id}/export.csv", tag = "sheet", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer"), ("snapshot" = Option<u64>, Query, description = "Read snapshot `seq` instead of the live room"), ("sheet" = Option<String>, Query, description = "`dokumentationsark`: one row per sagsområde"), ("delimiter" = Option<String>, Query, description = "`semicolon` or `comma`")), security(("bearer" = [])), responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn csv(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (header, rows) = match params.get("sheet") {
        None | Some("kort") => {
            let view = read_room(&state, &id, &params, &headers, projection::wall_view).await?;
            (sheet::CARD_HEADER.iter().map(|s| s.to_string()).collect(), sheet::card_rows(&view))
        }
        Some("dokumentationsark") => {
            let (doc, round) = read_room(&state, &id, &params, &headers, documentation).await?;
            let doc = with_votes(&state, &id, doc, round).await?;
            (sheet::documentation_header(&doc), sheet::documentation_rows(&doc))
        }
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "no sheet {other:?}: ?sheet=dokumentationsark (one row per sagsområde) or ?sheet=kort (one row per card, the default)"
            )))
        }
    };
    let danish = match (params.get("delimiter"), params.get("sheet")) {
        (Some("semicolon"), _) => true,
        (Some("comma"), _) => false,
        (None, Some("dokumentationsark")) => true,
        (None, _) => false,
        (Some(other), _) => {
            return Err(ApiError::BadRequest(format!(
                "no delimiter {other:?}: ?delimiter=semicolon (Danish Excel, with a BOM) or ?delimiter=comma"
            )))
        }
    };
    let mut out = csv::WriterBuilder::new()
        .delimiter(if danish { b';' } else { b',' })
        .from_writer(if danish {
            "\u{feff}".as_bytes().to_vec()
        } else {
            Vec::new()
        });
    let write = |w: &mut csv::Writer<Vec<u8>>| -> Result<(), csv::Error> {
        w.write_record(&header)?;
        for row in &rows {
            w.write_record(row)?;
        }
        w.flush()?;
        Ok(())
    };
    write(&mut out).map_err(|e| ApiError::Internal(format!("writing CSV: {e}")))?;
    let body = out
        .into_inner()
        .map_err(|e| ApiError::Internal(format!("writing CSV: {e}")))?;
    let name = match params.get("sheet") {
        Some("dokumentationsark") => format!("{id}-dokumentationsark"),
        _ => id.clone(),
    };
    Ok(download(
        body,
        "text/csv; charset=utf-8",
        &filename(&name, params.get("snapshot"), "csv"),
    ))
}

/// `GET /api/rooms/{id}/export.xlsx`: the documentation sheet, the cards and the thresholds;
/// with `?compare=<from>,<to>` also the sheet `Sammenligning` (snapshot `from` compared with
/// snapshot `to` or `now`, as `GET /compare` answers).
#[utoipa::path(get, path = "/api/rooms/{id}/export.xlsx", tag = "sheet", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query, description = "A token, when it cannot be sent as Authorization: Bearer"), ("snapshot" = Option<u64>, Query, description = "Read snapshot `seq` instead of the live room"), ("compare" = Option<String>, Query, description = "`<from>,<to>`: add the sheet Sammenligning comparing snapshot `from` with snapshot `to` or `now`")), security(("bearer" = [])), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn xlsx(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let comparison = match params.get("compare") {
        None => None,
        Some(pair) => {
            let (_, role) = authorize(&state, &id, token_of(&headers, params.get("token"))).await?;
            let (from, to) = pair.split_once(',').ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "compare must be <from>,<to> (e.g. 1,2 or 1,now), not {pair:?}"
                ))
            })?;
            Some(compare::comparison(&state, &id, role, from, to).await?)
        }
    };
    let (view, (doc, round)) = read_room(&state, &id, &params, &headers, |wall, control| {
        (
            projection::wall_view(wall, control),
            documentation(wall, control),
        )
    })
    .await?;
    let doc = with_votes(&state, &id, doc, round).await?;
    let title = view
        .meta
        .get("title")
        .and_then(|v| v.as_str())
        .unwrap_or("Kortvæg")
        .to_string();
    let body = tokio::task::spawn_blocking(move || {
        workbook::workbook(&view, &doc, comparison.as_ref(), &title)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("writing XLSX: {e}")))?
    .map_err(|e| ApiError::Internal(format!("writing XLSX: {e}")))?;
    Ok(download(
        body,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &filename(&id, params.get("snapshot"), "xlsx"),
    ))
}

/// Checks the token (every role may read) and runs `f` over the room's wall (merged with the
/// group documents the reader may read, see [`super::room_docs`]) and control document: the
/// live ones, or those of snapshot `?snapshot=seq`.
async fn read_room<T>(
    state: &Shared,
    id: &str,
    params: &Params,
    headers: &HeaderMap,
    f: impl FnOnce(&Doc, &Doc) -> T + Send,
) -> ApiResult<T> {
    let (_, role) = authorize(state, id, token_of(headers, params.get("token"))).await?;
    let docs = match params.get("snapshot") {
        Some(seq) => RoomDocs::snapshot(state, id, parse_seq(seq)?).await?,
        None => RoomDocs::live(state, &open_room(state, id).await?).await?,
    };
    Ok(f(&docs.wall_for(role), &docs.control))
}

fn filename(id: &str, snapshot: Option<&str>, ext: &str) -> String {
    match snapshot {
        Some(seq) => format!("kortvaeg-{id}-snapshot-{seq}.{ext}"),
        None => format!("kortvaeg-{id}.{ext}"),
    }
}

fn download(body: Vec<u8>, content_type: &str, filename: &str) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"",
        filename.replace(['"', '\\'], "")
    );
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}
