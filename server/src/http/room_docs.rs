//! A room's documents as a REST read sees them, live or of a snapshot: the wall, the control
//! document and the group documents (v2), and the room as one wall for the reader
//! ([`RoomDocs::wall_for`]): the group documents it may read merged into the wall
//! (`kortvaeg_shared::groups::merged`). The facilitator reads every group; everyone else the
//! groups open to all (open group work, or revealed), whatever their seat: REST reads are the
//! plenum's.

use std::collections::HashMap;

use yrs::Doc;

use super::{open_room, ApiError, ApiResult, Shared};
use crate::room::permissions;
use crate::room::RoomHandle;
use crate::store::GroupId;
use kortvaeg_shared::anonymity::Anonymity;
use kortvaeg_shared::groups::{self, Visibility};
use kortvaeg_shared::{projection, Role};

pub struct RoomDocs {
    pub wall: Doc,
    pub control: Doc,
    pub groups: Vec<(GroupId, Doc)>,
    /// Who may read which group, as the room says now (for a snapshot: a group revealed when it
    /// was taken or since counts as revealed).
    visibility: Visibility,
    /// Each seat's name now, by seat id: a card's writer is shown by it.
    names: HashMap<String, String>,
    /// The room's anonymity: whom the names are shown to.
    anonymity: Anonymity,
}

impl RoomDocs {
    /// The live room's documents, with the group document of each of its columns.
    pub async fn live(state: &Shared, room: &RoomHandle) -> ApiResult<RoomDocs> {
        let states = States::live(state, room).await?;
        let visibility = room.visibility().borrow().clone();
        let mut docs = states.open(visibility, "the room")?;
        docs.names = names(state, room.id()).await?;
        docs.anonymity = anonymity(state, room.id()).await?;
        Ok(docs)
    }

    /// Snapshot `seq`'s documents.
    pub async fn snapshot(state: &Shared, id: &str, seq: u64) -> ApiResult<RoomDocs> {
        let record = state
            .store
            .snapshot(id, seq)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("room {id} has no snapshot {seq}")))?;
        let now = open_room(state, id).await?.visibility().borrow().clone();
        let states = States {
            wall: record.wall,
            control: record.control,
            groups: record.groups,
        };
        let mut docs = states.open(now.clone(), &format!("snapshot {seq}"))?;
        docs.names = names(state, id).await?;
        docs.anonymity = anonymity(state, id).await?;
        let then = Visibility::of(&docs.control);
        docs.visibility = Visibility {
            private: then.private && now.private,
            revealed: then.revealed.union(&now.revealed).cloned().collect(),
        };
        Ok(docs)
    }

    /// The room as one wall, as `role` may read it.
    pub fn wall_for(&self, role: Role) -> Doc {
        let readable: Vec<(&str, &Doc)> = self
            .groups
            .iter()
            .filter(|(id, _)| permissions::reads_group_in_rest(role, id.as_str(), &self.visibility))
            .map(|(id, doc)| (id.as_str(), doc))
            .collect();
        let wall = groups::merged(&self.wall, &readable);
        if self.anonymity.shows_names_to(role) {
            groups::name_writers(&wall, &self.names);
        }
        wall
    }
}

/// The anonymity room `id` was made with.
async fn anonymity(state: &Shared, id: &str) -> ApiResult<Anonymity> {
    Ok(state
        .rooms
        .record(id)
        .await?
        .map(|r| r.anonymity)
        .unwrap_or_default())
}

/// The room's seats' names now, by seat id.
async fn names(state: &Shared, id: &str) -> ApiResult<HashMap<String, String>> {
    let seats = state.rooms.seats(id).await?;
    Ok(seats
        .iter()
        .map(|s| (s.seat_id.clone(), s.name.clone()))
        .collect())
}

/// Every document of a room as its full state (Yjs v1): what a snapshot stores.
pub struct States {
    pub wall: Vec<u8>,
    pub control: Vec<u8>,
    pub groups: Vec<(GroupId, Vec<u8>)>,
}

impl States {
    /// The live room's, with the group document of each of its columns (loaded if need be).
    pub async fn live(state: &Shared, room: &RoomHandle) -> ApiResult<States> {
        let mut groups = Vec::new();
        for doc in state.rooms.group_docs(room).await? {
            if let crate::store::DocKind::Group(id) = doc.kind {
                groups.push((id, doc.encode_state()?));
            }
        }
        Ok(States {
            wall: room.wall.encode_state()?,
            control: room.control.encode_state()?,
            groups,
        })
    }

    /// Opens the states as documents, the groups in column order (the merge order; groups of no
    /// column last).
    fn open(self, visibility: Visibility, what: &str) -> ApiResult<RoomDocs> {
        let corrupt = |e: yrs::encoding::read::Error| {
            ApiError::Internal(format!("{what} does not decode: {e}"))
        };
        let control = projection::doc_from_update(&self.control).map_err(corrupt)?;
        let (_, columns, _) = projection::structure(&control);
        let place = |id: &GroupId| {
            columns
                .iter()
                .position(|c| c.id == id.as_str())
                .unwrap_or(usize::MAX)
        };
        let mut groups = self
            .groups
            .iter()
            .map(|(id, state)| Ok((*id, projection::doc_from_update(state).map_err(corrupt)?)))
            .collect::<ApiResult<Vec<_>>>()?;
        groups.sort_by_key(|(id, _)| place(id));
        Ok(RoomDocs {
            wall: projection::doc_from_update(&self.wall).map_err(corrupt)?,
            control,
            groups,
            visibility,
            names: HashMap::new(),
            anonymity: Anonymity::None,
        })
    }
}
