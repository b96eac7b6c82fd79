//! Dot voting (`docs/API.md`, "Dot voting"): the facilitator opens a round on the wall's cards or
//! on the sheet's sagsområder, each seat has a budget of votes and may put at most `cap` of them on
//! one target. The round's settings live in the control document (`meta.voting`, written only by
//! the server), so every client sees them live; the votes themselves live in the store, where one
//! atomic step checks the budget and the cap and counts the vote ([`check`] is that rule), so two
//! devices of one person, or two nodes, can never spend more than the budget.

use serde::{Deserialize, Serialize};
use yrs::{Any, Doc, Map, Out, ReadTxn, Transact, TransactionMut, WriteTxn};

use std::collections::BTreeMap;

use crate::analysis::Sheet;
use crate::cells::{Holds, SheetColumn};
use crate::requests::BodyError;
use crate::schema;

/// `meta.voting` in the control document: the current round's settings.
pub const VOTING: &str = "voting";
/// Most votes a seat may have in one round.
pub const MAX_BUDGET: u32 = 20;
/// Longest countdown a round may have, in minutes.
pub const MAX_MINUTES: u32 = 240;

/// What a round votes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// The wall's cards (a vote names a card id).
    Cards,
    /// The sheet's sagsområder (a vote names a sagsområde id).
    Sagsomraader,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Cards => "cards",
            Target::Sagsomraader => "sagsomraader",
        }
    }
}

/// A voting round as the control document holds it (`meta.voting`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Round {
    /// New for every round (also for a reset): votes belong to a round.
    pub id: String,
    pub target: Target,
    /// Votes each seat has, 1–20.
    pub budget: u32,
    /// Most votes one seat may put on one card or sagsområde, 1–budget.
    pub cap: u32,
    /// Anonymous: nobody, the facilitator included, is told who voted for what.
    pub anonymous: bool,
    /// When the round was opened, ms since the epoch.
    pub started_at: u64,
    /// The countdown's end (ms since the epoch), if the facilitator set one: no vote after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<u64>,
    /// False once the facilitator has stopped the round (the results stay).
    pub open: bool,
}

impl Round {
    /// May a vote be cast or taken back at `now_ms`? The reason if not.
    pub fn accepts(&self, now_ms: u64) -> Result<(), &'static str> {
        if !self.open {
            return Err("the vote is closed");
        }
        if self.ends_at.is_some_and(|end| now_ms >= end) {
            return Err("the time for voting is up");
        }
        Ok(())
    }

    /// The round in `control`'s `meta.voting`, if there is one that reads.
    pub fn of(control: &Doc) -> Option<Round> {
        let txn = control.transact();
        let meta = txn.get_map(schema::META)?;
        let Out::Any(value) = meta.get(&txn, VOTING)? else {
            return None;
        };
        let json = serde_json::to_value(&value).ok()?;
        let round: Round = serde_json::from_value(json).ok()?;
        (round.budget >= 1 && round.budget <= MAX_BUDGET && round.cap >= 1).then_some(round)
    }

    /// Writes the round as `meta.voting`.
    pub fn write(&self, txn: &mut TransactionMut) {
        let meta = txn.get_or_insert_map(schema::META);
        let json = serde_json::to_value(self).expect("a round is plain data");
        let value: Any = serde_json::from_value(json).expect("plain JSON is an Any");
        meta.insert(txn, VOTING, value);
    }
}

/// `PUT /api/rooms/{id}/voting`: a new round's settings, as sent.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewRound {
    pub target: Target,
    pub budget: u32,
    /// Defaults to the budget (no cap).
    #[serde(default)]
    pub cap: Option<u32>,
    #[serde(default)]
    pub anonymous: bool,
    /// A countdown, in minutes (1–240), if any.
    #[serde(default)]
    pub minutes: Option<u32>,
}

impl NewRound {
    /// Reads and checks the body; the message is the API's `400`.
    pub fn from_json(bytes: &[u8]) -> Result<NewRound, BodyError> {
        let round: NewRound = serde_json::from_slice(bytes).map_err(|e| {
            BodyError(format!(
                "the body is not a voting round ({{\"target\": \"cards\" or \"sagsomraader\", \"budget\": 1–{MAX_BUDGET}, \"cap\"?, \"anonymous\"?, \"minutes\"?}}): {e}"
            ))
        })?;
        if !(1..=MAX_BUDGET).contains(&round.budget) {
            return Err(BodyError(format!(
                "budget must be 1–{MAX_BUDGET} votes per person"
            )));
        }
        if round.cap.is_some_and(|cap| cap < 1 || cap > round.budget) {
            return Err(BodyError(format!(
                "cap must be 1–{} (at most the budget)",
                round.budget
            )));
        }
        if round
            .minutes
            .is_some_and(|m| !(1..=MAX_MINUTES).contains(&m))
        {
            return Err(BodyError(format!(
                "minutes must be 1–{MAX_MINUTES} (or left out for no countdown)"
            )));
        }
        Ok(round)
    }

    /// The round these settings open at `now_ms`, with id `id`.
    pub fn open(&self, id: String, now_ms: u64) -> Round {
        Round {
            id,
            target: self.target,
            budget: self.budget,
            cap: self.cap.unwrap_or(self.budget),
            anonymous: self.anonymous,
            started_at: now_ms,
            ends_at: self.minutes.map(|m| now_ms + u64::from(m) * 60_000),
            open: true,
        }
    }
}

/// A vote cast (+1) or taken back (−1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Cast,
    TakeBack,
}

/// Why a vote was refused (`409`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("you have used all your {budget} votes: take one back to vote again")]
    NoVotesLeft { budget: u32 },
    #[error("you may put at most {cap} votes on one {target}")]
    CapReached { cap: u32, target: &'static str },
    #[error("you have no vote on this to take back")]
    NothingToTakeBack,
}

/// What one seat has spent in a round: in all, and on the target voted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spent {
    pub total: u32,
    pub on_target: u32,
}

/// The rule the store applies atomically: may a seat that has spent `spent` make `change` in
/// `round`? (The Redis store runs the same comparisons in a script; the conformance tests hold
/// both stores to the same answers.)
pub fn check(round: &Round, spent: Spent, change: Change) -> Result<(), Refused> {
    match change {
        Change::Cast if spent.total >= round.budget => Err(Refused::NoVotesLeft {
            budget: round.budget,
        }),
        Change::Cast if spent.on_target >= round.cap => Err(Refused::CapReached {
            cap: round.cap,
            target: match round.target {
                Target::Cards => "card",
                Target::Sagsomraader => "sagsområde",
            },
        }),
        Change::TakeBack if spent.on_target == 0 => Err(Refused::NothingToTakeBack),
        _ => Ok(()),
    }
}

/// Does `doc` (the wall or a group document) hold card `id`?
pub fn has_card(doc: &Doc, id: &str) -> bool {
    let txn = doc.transact();
    txn.get_map(schema::CARDS)
        .is_some_and(|cards| cards.get(&txn, id).is_some())
}

/// Header of the sheet's votes column.
pub const VOTES_HEADER: &str = "Stemmer";

/// Adds the column "Stemmer" to the documentation sheet, after every other: for each sagsområde
/// the votes of `round` on it (a round on sagsområder) or on the cards the sheet places in it (a
/// round on cards). `counts` are the votes per target, every seat's together.
pub fn add_to_sheet(sheet: &mut Sheet, round: &Round, counts: &BTreeMap<String, u32>) {
    sheet.layout.push(SheetColumn {
        header: VOTES_HEADER.to_string(),
        holds: Holds::Votes,
        key: None,
        question: None,
    });
    for row in &mut sheet.rows {
        let votes: u32 = match round.target {
            Target::Sagsomraader => counts.get(&row.sagsomraade_id).copied().unwrap_or(0),
            Target::Cards => row
                .cards
                .values()
                .flatten()
                .filter_map(|card| counts.get(&card.id))
                .sum(),
        };
        row.cells.push(votes.to_string());
    }
}

/// Votes per target, every seat's together.
pub fn totals(all: &[Count]) -> BTreeMap<String, u32> {
    let mut counts = BTreeMap::new();
    for c in all {
        *counts.entry(c.target.clone()).or_insert(0) += c.votes;
    }
    counts
}

/// One seat's votes on one target, as the store counts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub seat: String,
    pub target: String,
    pub votes: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(budget: u32, cap: u32) -> Round {
        NewRound {
            target: Target::Cards,
            budget,
            cap: Some(cap),
            anonymous: false,
            minutes: Some(5),
        }
        .open("r1".into(), 1_000)
    }

    #[test]
    fn the_budget_and_the_cap_are_kept() {
        let r = round(3, 2);
        let spent = |total, on_target| Spent { total, on_target };
        assert_eq!(check(&r, spent(0, 0), Change::Cast), Ok(()));
        assert_eq!(check(&r, spent(2, 1), Change::Cast), Ok(()));
        assert_eq!(
            check(&r, spent(3, 0), Change::Cast),
            Err(Refused::NoVotesLeft { budget: 3 })
        );
        assert!(matches!(
            check(&r, spent(2, 2), Change::Cast),
            Err(Refused::CapReached { cap: 2, .. })
        ));
        assert_eq!(check(&r, spent(3, 1), Change::TakeBack), Ok(()));
        assert_eq!(
            check(&r, spent(3, 0), Change::TakeBack),
            Err(Refused::NothingToTakeBack)
        );
    }

    #[test]
    fn a_round_closes_at_its_countdown_and_when_stopped() {
        let mut r = round(3, 3);
        assert_eq!(r.ends_at, Some(1_000 + 5 * 60_000));
        assert!(r.accepts(2_000).is_ok());
        assert!(r.accepts(1_000 + 5 * 60_000).is_err());
        r.open = false;
        assert!(r.accepts(2_000).is_err());
    }

    #[test]
    fn bodies_are_checked() {
        let ok = NewRound::from_json(br#"{"target":"sagsomraader","budget":5}"#).unwrap();
        assert_eq!(ok.open("x".into(), 0).cap, 5);
        for bad in [
            &br#"{"target":"cards","budget":0}"#[..],
            br#"{"target":"cards","budget":21}"#,
            br#"{"target":"cards","budget":3,"cap":4}"#,
            br#"{"target":"cards","budget":3,"cap":0}"#,
            br#"{"target":"cards","budget":3,"minutes":0}"#,
            br#"{"target":"people","budget":3}"#,
            b"[]",
        ] {
            assert!(
                NewRound::from_json(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn a_round_goes_through_the_control_document() {
        let doc = Doc::new();
        let r = round(4, 2);
        r.write(&mut doc.transact_mut());
        assert_eq!(Round::of(&doc), Some(r));
        assert_eq!(Round::of(&Doc::new()), None);
    }
}
