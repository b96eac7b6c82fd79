//! A room in one file, to keep or to move to another server (`docs/API.md`, "Archive"):
//! `GET /api/rooms/{id}/archive` (facilitator) answers every document (wall, control, each
//! group's), every snapshot and the seats (names and groups, never tokens) as one JSON file;
//! `POST /api/rooms/import-archive` (whoever may create workshops) makes a new room of it, with
//! new tokens. An archive is checked whole before anything is stored: every state must pass the
//! schema gate of its document and load back, or nothing is made.

use kortvaeg_shared::anonymity::Anonymity;
use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use yrs::{Doc, Transact};

use super::room_docs::States;
use super::rooms::{may_create, store_new_room};
use super::{authorize, open_room, require_json, token_of, ApiError, ApiResult, AppState, Params};
use crate::room::permissions;
use crate::store::{DocKind, GroupId, WriteOp};
#[allow(unused_imports)] // named by the OpenAPI annotations
use kortvaeg_shared::api::ErrorBody;
use kortvaeg_shared::api::RoomCreated;
use kortvaeg_shared::{gate, stored};

/// What `format` says in every archive.
pub const FORMAT: &str = "kortvaeg-archive";
/// The archive version this server writes and reads.
pub const VERSION: u32 = 1;
/// Largest archive `POST /api/rooms/import-archive` takes.
pub const MAX_ARCHIVE_BYTES: usize = 64 << 20;

/// The file: the room, its documents by name (`wall`, `control`, `group:{column}`; each the
/// base64 of its full Yjs v1 state), its snapshots and its people.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Archive {
    pub format: String,
    pub version: u32,
    /// RFC 3339.
    pub exported_at: String,
    pub room: ArchivedRoom,
    #[schema(value_type = Object)]
    pub documents: BTreeMap<String, String>,
    pub snapshots: Vec<ArchivedSnapshot>,
    /// Names and groups only: tokens are never exported (an imported room gets new ones).
    pub seats: Vec<ArchivedSeat>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ArchivedRoom {
    pub id: String,
    pub title: String,
    pub template: String,
    pub created_at: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ArchivedSnapshot {
    pub seq: u64,
    pub taken_at: String,
    /// Its name, when it has one (archives made before names have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[schema(value_type = Object)]
    pub documents: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ArchivedSeat {
    pub name: String,
    pub group: String,
}

fn documents(states: &States) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    out.insert(
        DocKind::Wall.key().into_owned(),
        STANDARD.encode(&states.wall),
    );
    out.insert(
        DocKind::Control.key().into_owned(),
        STANDARD.encode(&states.control),
    );
    for (group, state) in &states.groups {
        out.insert(
            DocKind::Group(*group).key().into_owned(),
            STANDARD.encode(state),
        );
    }
    out
}

#[utoipa::path(get, path = "/api/rooms/{id}/archive", tag = "rooms", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query)), security(("bearer" = [])), responses((status = 200, description = "Everything of the room in one JSON file", body = Archive), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (record, role) = authorize(&state, &id, token_of(&headers, params.get("token"))).await?;
    if !permissions::may_take_snapshot(role) {
        return Err(ApiError::Forbidden(
            "only the facilitator can download the archive of a workshop".into(),
        ));
    }
    let room = open_room(&state, &id).await?;
    let live = States::live(&state, &room).await?;
    let mut snapshots = Vec::new();
    for info in state.store.snapshots(&id).await? {
        let Some(snapshot) = state.store.snapshot(&id, info.seq).await? else {
            continue; // deleted meanwhile
        };
        let states = States {
            wall: snapshot.wall,
            control: snapshot.control,
            groups: snapshot.groups,
        };
        snapshots.push(ArchivedSnapshot {
            seq: info.seq,
            taken_at: info.taken_at,
            name: info.name,
            documents: documents(&states),
        });
    }
    let seats = state
        .store
        .seats(&id)
        .await?
        .into_iter()
        .map(|s| ArchivedSeat {
            name: s.name,
            group: s.group,
        })
        .collect();
    let archive = Archive {
        format: FORMAT.into(),
        version: VERSION,
        exported_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        room: ArchivedRoom {
            id: record.id.clone(),
            title: record.title.clone(),
            template: record.template.clone(),
            created_at: record.created_at.clone(),
        },
        documents: documents(&live),
        snapshots,
        seats,
    };
    let body = serde_json::to_vec(&archive)
        .map_err(|e| ApiError::Internal(format!("writing the archive: {e}")))?;
    tracing::info!(room = id, bytes = body.len(), "archive downloaded");
    let disposition = format!("attachment; filename=\"kortvaeg-{id}-archive.json\"");
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// An archive's documents, checked: each name a document's, each state base64 of a Yjs update
/// the document's schema gate passes and that loads back; the wall and control present.
struct Checked {
    wall: Vec<u8>,
    control: Vec<u8>,
    groups: Vec<(GroupId, Vec<u8>)>,
}

impl Checked {
    /// The anonymity the room was made with (its control document's `meta.anonymity`): the
    /// restored room keeps it.
    fn anonymity(&self) -> Anonymity {
        kortvaeg_shared::projection::doc_from_update(&self.control)
            .map(|control| Anonymity::of(&control))
            .unwrap_or_default()
    }
}

fn check(documents: &BTreeMap<String, String>, what: &str, max_bytes: usize) -> ApiResult<Checked> {
    let bad = |why: String| ApiError::BadRequest(format!("the archive's {what}: {why}"));
    let (mut wall, mut control, mut groups) = (None, None, Vec::new());
    for (name, encoded) in documents {
        let kind =
            DocKind::from_key(name).ok_or_else(|| bad(format!("no document is named {name:?}")))?;
        let state = STANDARD
            .decode(encoded)
            .map_err(|e| bad(format!("{name} is not base64: {e}")))?;
        if state.len() > max_bytes {
            return Err(bad(format!(
                "{name} is larger than --max-doc-bytes ({max_bytes})"
            )));
        }
        gate::check(kind.schema(), &Doc::new().transact(), &state)
            .map_err(|refusal| bad(format!("{name}: {}", refusal.0)))?;
        stored::loads_back(&state).map_err(|e| bad(format!("{name} does not load: {e}")))?;
        match kind {
            DocKind::Wall => wall = Some(state),
            DocKind::Control => control = Some(state),
            DocKind::Group(id) => groups.push((id, state)),
        }
    }
    Ok(Checked {
        wall: wall.ok_or_else(|| bad("it has no wall document".into()))?,
        control: control.ok_or_else(|| bad("it has no control document".into()))?,
        groups,
    })
}

#[utoipa::path(post, path = "/api/rooms/import-archive", tag = "rooms", request_body = Archive, security((), ("bearer" = [])), responses((status = 201, description = "A new room made of the archive, with new tokens", body = RoomCreated), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<RoomCreated>)> {
    let creator = may_create(&state, &headers, peer).await?;
    require_json(&headers)?;
    let archive: Archive = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not a Kortvæg archive: {e}")))?;
    if archive.format != FORMAT || archive.version != VERSION {
        return Err(ApiError::BadRequest(format!(
            "not a Kortvæg archive of version {VERSION} (format {:?}, version {})",
            archive.format, archive.version
        )));
    }
    let title = archive.room.title.trim();
    let max = kortvaeg_shared::requests::MAX_TITLE_CHARS;
    if title.is_empty() || title.chars().count() > max || archive.room.template.len() > max {
        return Err(ApiError::BadRequest(
            "the archive's title or template is empty or too long".into(),
        ));
    }
    // Everything is checked before anything is stored.
    let max = state.config.max_doc_bytes;
    let live = check(&archive.documents, "documents", max)?;
    let snapshots = archive
        .snapshots
        .iter()
        .map(|s| {
            let name = s
                .name
                .as_deref()
                .map(kortvaeg_shared::requests::snapshot_label)
                .transpose()?;
            check(&s.documents, &format!("snapshot {}", s.seq), max)
                .map(|c| (s.taken_at.as_str(), name, c))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let (record, made) = store_new_room(
        &state,
        title,
        &archive.room.template,
        creator,
        live.anonymity(),
        &live.wall,
        &live.control,
    )
    .await?;
    let id = record.id.as_str();
    // The room exists (with its wall and control) and no client knows its id yet: its group
    // documents and snapshots are written straight to the store. Should one of these writes
    // fail, the half-made room is deleted again.
    let rest = async {
        let ops: Vec<WriteOp> = live
            .groups
            .iter()
            .map(|(group, state)| WriteOp::Append {
                room: id.to_string(),
                doc: DocKind::Group(*group),
                update: state.clone().into(),
            })
            .collect();
        state.store.write_batch(&ops).await?;
        for (taken_at, name, s) in &snapshots {
            state
                .store
                .add_snapshot(
                    id,
                    taken_at,
                    name.as_deref(),
                    &s.wall,
                    &s.control,
                    &s.groups,
                )
                .await?;
        }
        Ok::<_, crate::store::StoreError>(())
    };
    if let Err(error) = rest.await {
        let _ = state.store.delete_room(id).await;
        return Err(error.into());
    }
    tracing::info!(
        room = id,
        from = archive.room.id,
        snapshots = snapshots.len(),
        "archive imported"
    );
    Ok((StatusCode::CREATED, Json(made)))
}
