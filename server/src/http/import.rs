//! `POST /api/rooms/{id}/import`: a screening list (CSV or XLSX) sets up the room's fagområder,
//! sagsområder and anvendes answers in one step (facilitator only). Reading and planning are in
//! `kortvaeg_shared::screening`; here the body is decoded into cells and the changes go into the
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
use kortvaeg_shared::screening::{self, Imported, Rejected};
use kortvaeg_shared::{projection, Role};

/// Largest body accepted.
pub const MAX_BODY: usize = 5 * 1024 * 1024;

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
    let (records, first_row) = if is_xlsx(content_type, &bytes) {
        tokio::task::spawn_blocking(move || xlsx_records(bytes))
            .await
            .map_err(|e| ApiError::Internal(format!("reading XLSX: {e}")))??
    } else {
        (csv_records(&bytes)?, 1)
    };

    let room = open_room(&state, &id).await?;
    let anvendes = room.control.read(|control| {
        let (rows, _, _) = projection::structure(control);
        analysis::answer_columns(&rows)
            .into_iter()
            .find(|c| c.analysis.as_deref() == Some(role::ANVENDES))
    })?;
    let rows = screening::parse(
        &records,
        first_row,
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

/// The whole body, refused with `413` past [`MAX_BODY`] without reading the rest.
async fn read_body(body: Body) -> ApiResult<Vec<u8>> {
    let too_large = || {
        ApiError::TooLarge(format!(
            "the list is larger than {} MiB",
            MAX_BODY / (1024 * 1024)
        ))
    };
    let mut stream = body.into_data_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("reading the body: {e}")))?;
        if out.len() + chunk.len() > MAX_BODY {
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

/// XLSX when the content type says so or the body is a zip archive (`PK\x03\x04`).
fn is_xlsx(content_type: &str, body: &[u8]) -> bool {
    body.starts_with(b"PK\x03\x04")
        || content_type.contains("spreadsheetml")
        || content_type.contains("ms-excel")
}

/// CSV records: UTF-8 (a BOM is dropped), separated by `;` (Danish Excel), `,` or tab, whichever
/// the first line has most of.
fn csv_records(body: &[u8]) -> ApiResult<Vec<Vec<String>>> {
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    let text = std::str::from_utf8(body).map_err(|e| {
        ApiError::BadRequest(format!(
            "the CSV is not UTF-8 ({e}); in Excel save it as \"CSV UTF-8\", or send the XLSX file"
        ))
    })?;
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let count = |c: char| first.matches(c).count();
    let delimiter = [b';', b',', b'\t']
        .into_iter()
        .max_by_key(|d| (count(*d as char), *d == b';'))
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    reader
        .records()
        .enumerate()
        .map(|(i, r)| match r {
            Ok(record) => Ok(record.iter().map(str::to_string).collect()),
            Err(e) => Err(ApiError::Rejected(Rejected {
                error: format!("the CSV cannot be read: {e}"),
                problems: vec![screening::Problem {
                    row: i + 1,
                    problem: e.to_string(),
                }],
            })),
        })
        .collect()
}

/// Most bytes the parts of an uploaded XLSX may inflate to, together. A real screening list of
/// 5000 rows is a few MiB; a zip bomb of 5 MiB could inflate to gigabytes.
const MAX_INFLATED: u64 = 64 * 1024 * 1024;

/// Inflates every part of the archive into nothing, counting, and refuses the workbook past
/// [`MAX_INFLATED`]. The sizes an archive declares can lie; the bytes inflated cannot.
fn check_inflated_size(body: &[u8]) -> ApiResult<()> {
    use std::io::Read;
    let unreadable = |e: &dyn std::fmt::Display| {
        ApiError::BadRequest(format!("not a readable XLSX workbook: {e}"))
    };
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(body)).map_err(|e| unreadable(&e))?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).map_err(|e| unreadable(&e))?;
        let allowed = MAX_INFLATED - total;
        let n = std::io::copy(&mut (&mut part).take(allowed + 1), &mut std::io::sink())
            .map_err(|e| unreadable(&e))?;
        total += n;
        if total > MAX_INFLATED {
            return Err(ApiError::TooLarge(format!(
                "the workbook unpacks to more than {} MiB",
                MAX_INFLATED / (1024 * 1024)
            )));
        }
    }
    Ok(())
}

/// Columns a screening list may spread over (it needs four).
const MAX_COLUMNS: u32 = 64;

/// The cells of the workbook's first sheet as text, and the row number of the first of them.
///
/// Read cell by cell, never as one dense range: a sheet with one cell in A1 and one in XFD1048576
/// is a few kilobytes, but as a range it is 17 billion cells. Cells past the row limit (the
/// header plus [`screening::MAX_ROWS`] rows after the first filled row) or past [`MAX_COLUMNS`]
/// columns are refused before anything big is built; empty cells (formatting only) do not count.
fn xlsx_records(body: Vec<u8>) -> ApiResult<(Vec<Vec<String>>, usize)> {
    use calamine::{DataRef, Reader, Xlsx};
    use std::collections::BTreeMap;
    let unreadable = |e: &dyn std::fmt::Display| {
        ApiError::BadRequest(format!("not a readable XLSX workbook: {e}"))
    };
    check_inflated_size(&body)?;
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(body)).map_err(|e| unreadable(&e))?;
    let Some(name) = book.sheet_names().first().cloned() else {
        return Err(ApiError::BadRequest("the workbook has no sheet".into()));
    };
    let mut reader = book
        .worksheet_cells_reader(&name)
        .map_err(|e| unreadable(&e))?;
    let mut rows: BTreeMap<u32, BTreeMap<u32, String>> = BTreeMap::new();
    let mut first: Option<(u32, u32)> = None;
    while let Some(cell) = reader.next_cell().map_err(|e| unreadable(&e))? {
        let text = match cell.get_value() {
            DataRef::Empty => continue,
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
            DataRef::SharedString(s) => s.to_string(),
            DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            DataRef::Float(f) => f.to_string(),
            DataRef::Int(i) => i.to_string(),
            DataRef::Bool(b) => if *b { "ja" } else { "nej" }.to_string(),
            DataRef::DateTime(d) => d.to_string(),
            DataRef::Error(e) => e.to_string(),
        };
        let (row, col) = cell.get_position();
        let (first_row, first_col) = *first.get_or_insert((row, col));
        let first_col = first_col.min(col);
        first = Some((first_row.min(row), first_col));
        if row.saturating_sub(first_row) as usize > screening::MAX_ROWS {
            return Err(ApiError::BadRequest(format!(
                "the sheet has cells in row {}, more than {} rows below its first; at most {} rows can be imported at once",
                row + 1,
                screening::MAX_ROWS,
                screening::MAX_ROWS
            )));
        }
        if col >= first_col + MAX_COLUMNS {
            return Err(ApiError::BadRequest(format!(
                "the sheet has cells in column {}, more than {MAX_COLUMNS} columns from its first",
                col + 1
            )));
        }
        rows.entry(row).or_default().insert(col, text);
    }
    let Some((first_row, first_col)) = first else {
        return Ok((Vec::new(), 1));
    };
    let last_row = rows.keys().next_back().copied().unwrap_or(first_row);
    let last_col = rows
        .values()
        .filter_map(|r| r.keys().next_back().copied())
        .max()
        .unwrap_or(first_col);
    if last_col - first_col >= MAX_COLUMNS {
        return Err(ApiError::BadRequest(format!(
            "the sheet has cells in column {}, more than {MAX_COLUMNS} columns from its first",
            last_col + 1
        )));
    }
    let records = (first_row..=last_row)
        .map(|r| {
            let cells = rows.get(&r);
            (first_col..=last_col)
                .map(|c| {
                    cells
                        .and_then(|cells| cells.get(&c))
                        .cloned()
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    Ok((records, first_row as usize + 1))
}
