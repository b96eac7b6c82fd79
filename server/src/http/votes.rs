//! Dot voting (`docs/API.md`, "Dot voting"): `PUT/PATCH /api/rooms/{id}/voting` (facilitator)
//! opens, resets or stops a round, written into the control document (`meta.voting`) so every
//! client sees it live; `POST /api/rooms/{id}/votes` and `DELETE …/votes/{target}` (a seat) cast
//! and take back one vote; `GET …/votes` is the count. Every vote goes through the store, which
//! checks the budget and the cap and counts in one atomic step
//! ([`crate::store::Store::vote`]), so a person's two devices or two nodes cannot spend past the
//! budget, and every node counts the same.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{caller, open_room, Access, ApiError, ApiResult, AppState, Params, Shared};
use crate::room::permissions::{self, Who};
use crate::room::RoomHandle;
use crate::store::{unix_ms, DocKind};
use crate::tokens;
#[allow(unused_imports)] // named by the OpenAPI annotations
use kortvaeg_shared::api::ErrorBody;
use kortvaeg_shared::screening;
use kortvaeg_shared::voting::{self, Change, NewRound, Round, Target};

/// `GET /api/rooms/{id}/votes`: the current round and its count.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Votes {
    /// The round (`null` when none was ever opened).
    pub round: Option<Round>,
    /// Votes per target (card id or sagsområde id), every seat's together.
    pub counts: BTreeMap<String, u32>,
    /// A seat's own votes per target (seat tokens only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mine: Option<BTreeMap<String, u32>>,
    /// A seat's votes left in the round (seat tokens only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left: Option<u32>,
    /// Who voted for what, per target (open rounds only; never in an anonymous round).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voters: Option<BTreeMap<String, Vec<Voter>>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Voter {
    pub seat_id: String,
    pub name: String,
    pub votes: u32,
}

/// `PATCH /api/rooms/{id}/voting`: stop (or reopen) the round.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RoundChange {
    pub open: bool,
}

/// `POST /api/rooms/{id}/votes`: what to vote for.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Ballot {
    /// A card id (a round on cards) or a sagsområde id (a round on sagsområder).
    pub target: String,
}

/// Why a round change by anyone but the facilitator is refused (`403`).
const ONLY_THE_FACILITATOR: &str = "only the facilitator opens, resets and stops a vote";

/// The round open in the room's control document, if any.
fn current(room: &RoomHandle) -> ApiResult<Option<Round>> {
    Ok(room.control.read(Round::of)?)
}

/// Writes `round` into the control document and waits until it is stored.
async fn write_round(state: &Shared, room: &RoomHandle, round: &Round) -> ApiResult<()> {
    let writer = state.rooms.writer();
    room.control
        .change(writer, |txn| round.write(txn))
        .map_err(|e| ApiError::room("the round was not changed", e))?;
    if !writer.flush(room.eviction().clone()).await {
        return Err(ApiError::Unavailable(
            "the store failed to save the round; try again".into(),
        ));
    }
    Ok(())
}

/// `PUT /api/rooms/{id}/voting` (facilitator) `{"target", "budget", "cap"?, "anonymous"?,
/// "minutes"?}` → `200` the new round. Opening a round again (with the same settings or others)
/// is the reset: the new round starts with no votes.
#[utoipa::path(put, path = "/api/rooms/{id}/voting", tag = "voting", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query)), request_body = NewRound, security(("bearer" = [])), responses((status = 200, body = Round), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn open(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult<Json<Round>> {
    let caller = caller(&state, &id, &headers, &params).await?;
    caller.facilitator_only(ONLY_THE_FACILITATOR)?;
    let request = NewRound::from_json(&bytes)?;
    let room = open_room(&state, &id).await?;
    let mut round = request.open(tokens::new_seat_id(), unix_ms(std::time::SystemTime::now()));
    // In an anonymous room every round is.
    round.anonymous |= !caller.record.anonymity.is_none();
    write_round(&state, &room, &round).await?;
    tracing::info!(
        room = id,
        round = round.id,
        target = round.target.as_str(),
        budget = round.budget,
        "voting round opened"
    );
    Ok(Json(round))
}

/// `PATCH /api/rooms/{id}/voting` (facilitator) `{"open": false}` → `200` the round: stops it
/// (the count stays); `{"open": true}` reopens it (without a countdown).
#[utoipa::path(patch, path = "/api/rooms/{id}/voting", tag = "voting", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query)), request_body = RoundChange, security(("bearer" = [])), responses((status = 200, body = Round), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn change(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult<Json<Round>> {
    caller(&state, &id, &headers, &params)
        .await?
        .facilitator_only(ONLY_THE_FACILITATOR)?;
    let request: RoundChange = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::BadRequest(format!("the body must be {{\"open\": true or false}}: {e}"))
    })?;
    let room = open_room(&state, &id).await?;
    let mut round = current(&room)?
        .ok_or_else(|| ApiError::NotFound("no voting round has been opened in this room".into()))?;
    round.open = request.open;
    if request.open {
        round.ends_at = None;
    }
    write_round(&state, &room, &round).await?;
    Ok(Json(round))
}

/// `POST /api/rooms/{id}/votes` (a seat) `{"target"}` → `200` the count as the seat sees it;
/// `409` past the budget or the cap, or when no round is open.
#[utoipa::path(post, path = "/api/rooms/{id}/votes", tag = "voting", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query)), request_body = Ballot, security(("bearer" = [])), responses((status = 200, body = Votes), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cast(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult<Json<Votes>> {
    let ballot: Ballot = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body must be {{\"target\": \"<card or sagsområde id>\"}}: {e}"
        ))
    })?;
    vote(&state, &id, &headers, &params, &ballot.target, Change::Cast).await
}

/// `DELETE /api/rooms/{id}/votes/{target}` (a seat) → `200`: takes back one of the seat's votes
/// on `target`; `409` when it has none there.
#[utoipa::path(delete, path = "/api/rooms/{id}/votes/{target}", tag = "voting", params(("id" = String, Path, description = "The room id"), ("target" = String, Path, description = "The card or sagsområde id"), ("token" = Option<String>, Query)), security(("bearer" = [])), responses((status = 200, body = Votes), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn take_back(
    State(state): State<AppState>,
    Path((id, target)): Path<(String, String)>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Json<Votes>> {
    vote(&state, &id, &headers, &params, &target, Change::TakeBack).await
}

async fn vote(
    state: &Shared,
    id: &str,
    headers: &HeaderMap,
    params: &Params,
    target: &str,
    change: Change,
) -> ApiResult<Json<Votes>> {
    let caller = caller(state, id, headers, params).await?;
    let Some(seat) = caller.seat.as_ref() else {
        return Err(ApiError::Forbidden(
            "only a person in the workshop (who joined with a name) can vote".into(),
        ));
    };
    let room = open_room(state, id).await?;
    let round = current(&room)?
        .ok_or_else(|| ApiError::Conflict("no vote is open in this workshop".into()))?;
    round
        .accepts(unix_ms(std::time::SystemTime::now()))
        .map_err(|why| ApiError::Conflict(why.into()))?;
    if change == Change::Cast
        && !target_exists(
            state,
            &room,
            &round,
            Who::new(caller.role, Some(&seat.group)),
            target,
        )
        .await?
    {
        return Err(ApiError::BadRequest(format!(
            "there is no {} {target:?} to vote for in this workshop",
            match round.target {
                Target::Cards => "card",
                Target::Sagsomraader => "sagsområde",
            }
        )));
    }
    let outcome = state
        .store
        .vote(id, &round, &seat.seat_id, target, change)
        .await?;
    crate::metrics::vote(change, outcome.is_ok());
    outcome.map_err(|refused| ApiError::Conflict(refused.to_string()))?;
    Ok(Json(count(state, id, &caller, Some(round)).await?))
}

/// `GET /api/rooms/{id}/votes` (any token) → the round and its count: per target, and for a
/// seat its own votes and how many it has left; who voted only in an open (not anonymous) round.
#[utoipa::path(get, path = "/api/rooms/{id}/votes", tag = "voting", params(("id" = String, Path, description = "The room id"), ("token" = Option<String>, Query)), security(("bearer" = [])), responses((status = 200, body = Votes), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Json<Votes>> {
    let caller = caller(&state, &id, &headers, &params).await?;
    let room = open_room(&state, &id).await?;
    let round = current(&room)?;
    Ok(Json(count(&state, &id, &caller, round).await?))
}

/// The count of `round` as `caller` may see it.
async fn count(
    state: &Shared,
    id: &str,
    caller: &Access,
    round: Option<Round>,
) -> ApiResult<Votes> {
    let Some(round) = round else {
        return Ok(Votes {
            round: None,
            counts: BTreeMap::new(),
            mine: None,
            left: None,
            voters: None,
        });
    };
    let all = state.store.votes(id, &round.id).await?;
    let counts = voting::totals(&all);
    let (mine, left) = match &caller.seat {
        Some(seat) => {
            let mine: BTreeMap<String, u32> = all
                .iter()
                .filter(|c| c.seat == seat.seat_id)
                .map(|c| (c.target.clone(), c.votes))
                .collect();
            let spent: u32 = mine.values().sum();
            (Some(mine), Some(round.budget.saturating_sub(spent)))
        }
        None => (None, None),
    };
    let voters = if round.anonymous {
        None
    } else {
        let names: BTreeMap<String, String> = state
            .rooms
            .seats(id)
            .await?
            .iter()
            .map(|s| (s.seat_id.clone(), s.name.clone()))
            .collect();
        let mut voters: BTreeMap<String, Vec<Voter>> = BTreeMap::new();
        for c in &all {
            voters.entry(c.target.clone()).or_default().push(Voter {
                seat_id: c.seat.clone(),
                name: names.get(&c.seat).cloned().unwrap_or_default(),
                votes: c.votes,
            });
        }
        Some(voters)
    };
    Ok(Votes {
        round: Some(round),
        counts,
        mine,
        left,
        voters,
    })
}

/// Is `target` something `who` may vote for in `round`: a card it can see (on the wall, in its
/// own group's document, or in a group document open to all), or one of the room's sagsområder?
async fn target_exists(
    state: &Shared,
    room: &RoomHandle,
    round: &Round,
    who: Who<'_>,
    target: &str,
) -> ApiResult<bool> {
    match round.target {
        Target::Sagsomraader => Ok(room.control.read(|control| {
            let txn = yrs::Transact::transact(control);
            screening::columns(&txn)
                .iter()
                .any(|c| c.sagsomraader.iter().any(|s| s.id == target))
        })?),
        Target::Cards => {
            if room.wall.read(|doc| voting::has_card(doc, target))? {
                return Ok(true);
            }
            let visibility = room.visibility().borrow().clone();
            for doc in state.rooms.group_docs(room).await? {
                if permissions::may_read(who, doc.kind, &visibility).is_ok()
                    && matches!(doc.kind, DocKind::Group(_))
                    && doc.read(|d| voting::has_card(d, target))?
                {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}
