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
use crate::connection::Close;
use kortvaeg_shared::analysis::{self, role};
use kortvaeg_shared::screening::{self, Imported, Rejected};
use kortvaeg_shared::{projection, Role};

/// Largest body accepted.
pub const MAX_BODY: usize = 5 * 1024 * 1024;

pub async fn import(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Imported>> {
    let (_, role) = authorize(&state, &id, token_of(&headers, params.get("token"))).await?;
    if role != Role::Facilitator {
        return Err(ApiError::Forbidden("only the facilitator can import a screening list".into()));
    }
    let bytes = read_body(body).await?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let (records, first_row) = if is_xlsx(content_type, &bytes) {
        tokio::task::spawn_blocking(move || xlsx_records(bytes))
            .await
            .map_err(|e| ApiError::Internal(format!("reading XLSX: {e}")))??
    } else {
        (csv_records(&bytes)?, 1)
    };

    let room = open_room(&state, &id).await?;
    let broken = |c: Close| ApiError::Internal(c.reason);
    let anvendes = room
        .control
        .read(|control| {
            let (rows, _, _) = projection::structure(control);
            analysis::answer_columns(&rows).into_iter().find(|c| c.analysis.as_deref() == Some(role::ANVENDES))
        })
        .map_err(broken)?;
    let rows = screening::parse(&records, first_row, anvendes.as_ref().map(|c| c.header.as_str()))
        .map_err(ApiError::Rejected)?;

    let writer = state.rooms.writer();
    let refused = |c: Close| match c.code {
        1013 => ApiError::Unavailable(format!("nothing was imported: {}", c.reason)),
        _ => ApiError::Internal(format!("nothing was imported: {}", c.reason)),
    };
    let plan = room.control.change(&room, writer, |txn| screening::write_structure(txn, &rows)).map_err(refused)?;
    let answers_set = match &anvendes {
        Some(column) if rows.iter().any(|r| r.anvendes.is_some()) => room
            .wall
            .change(&room, writer, |txn| screening::write_answers(txn, &column.key, &rows, &plan.targets))
            .map_err(|c| {
                ApiError::Internal(format!(
                    "the fagområder and sagsområder were imported, the anvendes answers not: {}",
                    c.reason
                ))
            })?,
        _ => 0,
    };
    if !writer.flush(room.clone()).await {
        return Err(ApiError::Unavailable(
            "the store failed to save the import; the room was reloaded without it: try again".into(),
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

/// The whole body, refused with `413` past [`MAX_BODY`] without reading the rest.
async fn read_body(body: Body) -> ApiResult<Vec<u8>> {
    let too_large = || ApiError::TooLarge(format!("the list is larger than {} MiB", MAX_BODY / (1024 * 1024)));
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
        return Err(ApiError::BadRequest("the body is empty: send the screening list as CSV or XLSX".into()));
    }
    Ok(out)
}

/// XLSX when the content type says so or the body is a zip archive (`PK\x03\x04`).
fn is_xlsx(content_type: &str, body: &[u8]) -> bool {
    body.starts_with(b"PK\x03\x04") || content_type.contains("spreadsheetml") || content_type.contains("ms-excel")
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
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    let count = |c: char| first.matches(c).count();
    let delimiter = [b';', b',', b'\t'].into_iter().max_by_key(|d| (count(*d as char), *d == b';')).unwrap_or(b',');
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    reader
        .records()
        .enumerate()
        .map(|(i, r)| match r {
            Ok(record) => Ok(record.iter().map(str::to_string).collect()),
            Err(e) => Err(ApiError::Rejected(Rejected {
                error: format!("the CSV cannot be read: {e}"),
                problems: vec![screening::Problem { row: i + 1, problem: e.to_string() }],
            })),
        })
        .collect()
}

/// The cells of the workbook's first sheet as text, and the row number of the first of them.
fn xlsx_records(body: Vec<u8>) -> ApiResult<(Vec<Vec<String>>, usize)> {
    use calamine::{Data, Reader, Xlsx};
    let unreadable = |e: &dyn std::fmt::Display| ApiError::BadRequest(format!("not a readable XLSX workbook: {e}"));
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(body)).map_err(|e| unreadable(&e))?;
    let range = match book.worksheet_range_at(0) {
        Some(range) => range.map_err(|e| unreadable(&e))?,
        None => return Err(ApiError::BadRequest("the workbook has no sheet".into())),
    };
    let first_row = range.start().map(|(row, _)| row as usize + 1).unwrap_or(1);
    let text = |cell: &Data| match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Bool(b) => if *b { "ja" } else { "nej" }.to_string(),
        other => other.to_string(),
    };
    let records = range.rows().map(|row| row.iter().map(text).collect()).collect();
    Ok((records, first_row))
}
