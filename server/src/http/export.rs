//! `/api/rooms/{id}/export.csv` and `.xlsx`: the documentation sheet, of the live wall or of a
//! snapshot (`?snapshot=seq`). Rows come from `kortvaeg_shared::sheet`, which also neutralises
//! values a spreadsheet would run as formulas.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};

use super::snapshots::{parse_seq, snapshot_view};
use super::{authorize, open_room, token_of, ApiError, ApiResult, AppState, Params};
use kortvaeg_shared::api::WallView;
use kortvaeg_shared::{projection, sheet};

pub async fn csv(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let view = view(&state, &id, &params, &headers).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let write = |w: &mut csv::Writer<Vec<u8>>| -> Result<(), csv::Error> {
        w.write_record(sheet::CARD_HEADER)?;
        for row in sheet::card_rows(&view) {
            w.write_record(&row)?;
        }
        w.flush()?;
        Ok(())
    };
    write(&mut out).map_err(|e| ApiError::Internal(format!("writing CSV: {e}")))?;
    let body = out.into_inner().map_err(|e| ApiError::Internal(format!("writing CSV: {e}")))?;
    Ok(download(body, "text/csv; charset=utf-8", &filename(&id, params.get("snapshot"), "csv")))
}

pub async fn xlsx(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let view = view(&state, &id, &params, &headers).await?;
    let title = view.meta.get("title").and_then(|v| v.as_str()).unwrap_or("Kortvæg").to_string();
    let body = tokio::task::spawn_blocking(move || workbook(&view, &title))
        .await
        .map_err(|e| ApiError::Internal(format!("writing XLSX: {e}")))?
        .map_err(|e| ApiError::Internal(format!("writing XLSX: {e}")))?;
    Ok(download(
        body,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &filename(&id, params.get("snapshot"), "xlsx"),
    ))
}

async fn view(state: &super::Shared, id: &str, params: &Params, headers: &HeaderMap) -> ApiResult<WallView> {
    authorize(state, id, token_of(headers, params.get("token"))).await?;
    if let Some(seq) = params.get("snapshot") {
        return snapshot_view(state, id, parse_seq(seq)?).await;
    }
    let room = open_room(state, id).await?;
    let broken = |c: crate::connection::Close| ApiError::Internal(c.reason);
    let view = room
        .wall
        .read(|wall| room.control.read(|control| projection::wall_view(wall, control)))
        .map_err(broken)?
        .map_err(broken)?;
    Ok(view)
}

fn filename(id: &str, snapshot: Option<&str>, ext: &str) -> String {
    match snapshot {
        Some(seq) => format!("kortvaeg-{id}-snapshot-{seq}.{ext}"),
        None => format!("kortvaeg-{id}.{ext}"),
    }
}

fn download(body: Vec<u8>, content_type: &str, filename: &str) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", filename.replace(['"', '\\'], ""));
    ([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], body).into_response()
}

/// The card sheet as an XLSX workbook: header row in bold, frozen, with an autofilter.
fn workbook(view: &WallView, title: &str) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_title(title));
    let sheet = book.add_worksheet();
    sheet.set_name("Kort")?;
    let bold = Format::new().set_bold();
    for (col, name) in sheet::CARD_HEADER.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *name, &bold)?;
    }
    let rows = sheet::card_rows(view);
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            sheet.write_string(r as u32 + 1, c as u16, value)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, rows.len() as u32, sheet::CARD_HEADER.len() as u16 - 1)?;
    sheet.set_column_width(1, 50)?;
    sheet.set_column_width(5, 60)?;
    book.save_to_buffer()
}
