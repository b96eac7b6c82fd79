//! How the wall's cards and the structured answers become the cells of the documentation sheet:
//! one set of answers, two views. The rules (`docs/API.md`, "Cards in the sheet") are implemented
//! here and, for the sheet page, in `client-web/src/sync/cells.ts`; the fixture
//! `shared/tests/fixtures/sheet-cells.json` holds both to the same cells.
//!
//! - **Which cards are a sagsområde's.** A card on a sheet question belongs to the sagsområde of
//!   its fagområde (column) named by its `sagsomraade_id`; a card without an id, by its
//!   `sagsomraade` label; a card with neither, to its column's only sagsområde. Any other card
//!   (no sagsområde in a column of several, or one of another column) is *unplaced*: the sheet
//!   lists it so the facilitator can place it. Merged cards are one card (the merge deletes the
//!   merged ones), so they count once.
//! - **Where a question's cards go.** A question with one free-text answer (kind `text`, no
//!   fields) has one cell: the answer, then the cards. Any other question keeps its answers as
//!   pure values (so the XLSX's dropdowns, filters and formulas work on them) and gets a cell of
//!   its own for its cards, right after its answers, headed `<question>: kort`.
//! - **The text of a cell.** The answer as the sheet shows it (first line, when there is one),
//!   then one line per card, oldest first: `• <text>`, followed by ` (<group>)` when the card was
//!   written by another group than the sagsområde's fagområde. A card of several lines keeps them.
//! - **Comments** of the facilitator go in the last column, "Kommentarer", one line each:
//!   `<question> «<start of the card>»: <comment> (<author>)`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::analysis::{self, AnswerColumn, SagsomraadeRef, SheetRow};
use crate::answer::AnswerKind;
use crate::api::{Axis, Card};
use crate::question::RowSpec;

/// Header of the last column.
pub const COMMENTS_HEADER: &str = "Kommentarer";
/// Suffix of a question's card column header: `As-is 3: kort`.
pub const CARDS_SUFFIX: &str = "kort";
/// The start of a card's line.
pub const BULLET: &str = "• ";
/// Characters of a card's first line quoted in a comment's line.
pub const QUOTE_CHARS: usize = 40;

/// What one column of the sheet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holds {
    /// Fagområde, sagsområde, KLE-nummer.
    Name,
    /// One structured answer (`key`), a pure value.
    Answer,
    /// A free-text question's answer (`key`) followed by its cards (`question`).
    AnswerAndCards,
    /// The cards of a question (`question`).
    Cards,
    /// Brugerantal, omfang, prioritet, I analysen.
    Derived,
    /// The facilitator's comments on the sagsområde's cards.
    Comments,
    /// The votes of the room's voting round (`crate::voting::add_to_sheet`), only when it has one.
    Votes,
}

/// One column of the sheet, in order: what CSV, XLSX and the sheet page show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetColumn {
    pub header: String,
    pub holds: Holds,
    /// The answer key (`Answer`, `AnswerAndCards`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The question (row id) whose cards the column holds (`Cards`, `AnswerAndCards`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
}

/// A card as the sheet shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetCard {
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub comments: Vec<SheetComment>,
}

/// A comment on a card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetComment {
    pub text: String,
    #[serde(default)]
    pub author: String,
}

/// The questions that have a place in the sheet: rows with a round, except `sheet: false`
/// ([`RowSpec::is_sheet_question`]).
pub fn is_sheet_question(row: &Axis) -> bool {
    RowSpec::from_axis(row).is_sheet_question()
}

/// The columns of the sheet: names, each question's answers and cards, derived values, comments.
pub fn layout(rows: &[RowSpec], answers: &[AnswerColumn]) -> Vec<SheetColumn> {
    let column = |header: String, holds, key: Option<&str>, question: Option<&str>| SheetColumn {
        header,
        holds,
        key: key.map(str::to_string),
        question: question.map(str::to_string),
    };
    let mut out: Vec<SheetColumn> = crate::sheet::DOC_NAME_HEADER
        .iter()
        .map(|h| column(h.to_string(), Holds::Name, None, None))
        .collect();
    for row in rows.iter().filter(|r| r.is_sheet_question()) {
        let mine: Vec<&AnswerColumn> = answers.iter().filter(|c| c.question == row.id).collect();
        match mine.as_slice() {
            [one] if one.kind == AnswerKind::Text && one.key == row.id => out.push(column(
                one.header.clone(),
                Holds::AnswerAndCards,
                Some(&one.key),
                Some(&row.id),
            )),
            _ => {
                for c in &mine {
                    out.push(column(c.header.clone(), Holds::Answer, Some(&c.key), None));
                }
                out.push(column(
                    format!("{}: {CARDS_SUFFIX}", row.prefix()),
                    Holds::Cards,
                    None,
                    Some(&row.id),
                ));
            }
        }
    }
    out.extend(
        crate::sheet::DOC_DERIVED_HEADER
            .iter()
            .map(|h| column(h.to_string(), Holds::Derived, None, None)),
    );
    out.push(column(
        COMMENTS_HEADER.to_string(),
        Holds::Comments,
        None,
        None,
    ));
    out
}

/// The cards of each sagsområde (by its index in `sagsomraader`), per question, oldest first;
/// and the ids of the cards on sheet questions that belong to none.
pub fn place(
    cards: &[Card],
    rows: &[RowSpec],
    sagsomraader: &[SagsomraadeRef],
) -> (Vec<BTreeMap<String, Vec<SheetCard>>>, Vec<String>) {
    let mut placed = vec![BTreeMap::<String, Vec<SheetCard>>::new(); sagsomraader.len()];
    let mut unplaced = Vec::new();
    let mut cards: Vec<&Card> = cards
        .iter()
        .filter(|c| rows.iter().any(|r| r.id == c.row && r.is_sheet_question()))
        .collect();
    cards.sort_by(|a, b| {
        created_at(a)
            .total_cmp(&created_at(b))
            .then_with(|| a.id.cmp(&b.id))
    });
    for card in cards {
        match sagsomraade_of(card, sagsomraader) {
            Some(i) => placed[i]
                .entry(card.row.clone())
                .or_default()
                .push(sheet_card(card)),
            None => unplaced.push(card.id.clone()),
        }
    }
    (placed, unplaced)
}

/// The index of the sagsområde a card belongs to (see the module's rules), if any.
pub fn sagsomraade_of(card: &Card, sagsomraader: &[SagsomraadeRef]) -> Option<usize> {
    let own: Vec<usize> = (0..sagsomraader.len())
        .filter(|&i| sagsomraader[i].fagomraade_id == card.column)
        .collect();
    let text = |k: &str| {
        card.extra
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if let Some(id) = text("sagsomraade_id") {
        return own.into_iter().find(|&i| sagsomraader[i].id == id);
    }
    if let Some(label) = text("sagsomraade") {
        return own.into_iter().find(|&i| sagsomraader[i].label == label);
    }
    match own.as_slice() {
        [only] => Some(*only),
        _ => None,
    }
}

fn created_at(card: &Card) -> f64 {
    card.extra
        .get("created_at")
        .and_then(Value::as_f64)
        .unwrap_or(0.0)
}

fn sheet_card(card: &Card) -> SheetCard {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
    let comments = match card.extra.get("comments") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_object)
            .map(|c| SheetComment {
                text: text(c.get("text")),
                author: text(c.get("author")),
            })
            .filter(|c| !c.text.trim().is_empty())
            .collect(),
        _ => Vec::new(),
    };
    SheetCard {
        id: card.id.clone(),
        text: card.text.clone(),
        author: text(card.extra.get("author")),
        group: text(card.extra.get("group")),
        comments,
    }
}

/// The text of every column of one sheet row, as the CSV holds it (before neutralising).
pub fn row_cells(layout: &[SheetColumn], rows: &[RowSpec], row: &SheetRow) -> Vec<String> {
    let no_cards = Vec::new();
    let cards_of = |q: &Option<String>| {
        q.as_ref()
            .and_then(|q| row.cards.get(q))
            .unwrap_or(&no_cards)
    };
    let answer = |k: &Option<String>| {
        k.as_ref()
            .and_then(|k| row.answers.get(k))
            .map(analysis::display)
    };
    let mut derived = derived_cells(row).into_iter();
    let mut names = [&row.fagomraade, &row.sagsomraade, &row.kle].into_iter();
    layout
        .iter()
        .map(|c| match c.holds {
            Holds::Name => names.next().cloned().unwrap_or_default(),
            Holds::Answer => answer(&c.key).unwrap_or_default(),
            Holds::AnswerAndCards => lines(answer(&c.key), cards_of(&c.question), &row.fagomraade),
            Holds::Cards => lines(None, cards_of(&c.question), &row.fagomraade),
            Holds::Derived => derived.next().unwrap_or_default(),
            Holds::Comments => comments(rows, row),
            // Added after the cells, with the votes (`crate::voting::add_to_sheet`).
            Holds::Votes => String::new(),
        })
        .collect()
}

/// Brugerantal, omfang, prioritet, I analysen as the sheet shows them.
fn derived_cells(row: &SheetRow) -> [String; 4] {
    [
        row.brugerantal
            .map(|b| b.label().to_string())
            .unwrap_or_default(),
        row.omfang
            .map(|o| format!("{o} {}", analysis::omfang_label(o)))
            .unwrap_or_default(),
        row.prioritet.map(|p| p.to_string()).unwrap_or_default(),
        if row.in_analysis { "ja" } else { "nej" }.to_string(),
    ]
}

/// A card's line: `• <text>` (trimmed), and ` (<group>)` when another group than `fagomraade` wrote it.
pub fn card_line(card: &SheetCard, fagomraade: &str) -> String {
    let text = card.text.trim();
    match card.group.trim() {
        "" => format!("{BULLET}{text}"),
        g if g == fagomraade => format!("{BULLET}{text}"),
        g => format!("{BULLET}{text} ({g})"),
    }
}

fn lines(answer: Option<String>, cards: &[SheetCard], fagomraade: &str) -> String {
    answer
        .into_iter()
        .chain(
            cards
                .iter()
                .filter(|c| !c.text.trim().is_empty())
                .map(|c| card_line(c, fagomraade)),
        )
        .collect::<Vec<_>>()
        .join("\n")
}

/// The comments on the row's cards, in question order, then card order.
fn comments(rows: &[RowSpec], row: &SheetRow) -> String {
    let mut out = Vec::new();
    for q in rows.iter().filter(|r| r.is_sheet_question()) {
        for card in row.cards.get(&q.id).into_iter().flatten() {
            for c in &card.comments {
                let author = match c.author.trim() {
                    "" => String::new(),
                    a => format!(" ({a})"),
                };
                out.push(format!(
                    "{} «{}»: {}{author}",
                    q.prefix(),
                    quote(&card.text),
                    c.text.trim_end()
                ));
            }
        }
    }
    out.join("\n")
}

/// The first line of a card's text, at most [`QUOTE_CHARS`] characters (then `…`).
pub fn quote(text: &str) -> String {
    let first = text.trim().lines().next().unwrap_or_default().trim_end();
    if first.chars().count() > QUOTE_CHARS {
        let cut: String = first.chars().take(QUOTE_CHARS).collect();
        format!("{}…", cut.trim_end())
    } else {
        first.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(group: &str, text: &str) -> SheetCard {
        SheetCard {
            id: "c".into(),
            text: text.into(),
            author: String::new(),
            group: group.into(),
            comments: Vec::new(),
        }
    }

    #[test]
    fn a_card_names_its_group_only_when_it_is_another() {
        assert_eq!(
            card_line(&card("Voksenservice", "Sbsys "), "Voksenservice"),
            "• Sbsys"
        );
        assert_eq!(card_line(&card("", "Sbsys"), "Voksenservice"), "• Sbsys");
        assert_eq!(
            card_line(&card("Borgerservice", "Sbsys"), "Voksenservice"),
            "• Sbsys (Borgerservice)"
        );
    }

    #[test]
    fn quotes_are_the_first_line_cut() {
        assert_eq!(quote("  Kort\nmere"), "Kort");
        let long = "æ".repeat(QUOTE_CHARS + 5);
        assert_eq!(quote(&long), format!("{}…", "æ".repeat(QUOTE_CHARS)));
    }
}
