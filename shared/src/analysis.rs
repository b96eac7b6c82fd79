//! The documentation sheet (R1) and the prioritisation (phase 4) as plain data: one row per
//! sagsområde with its structured answers and the values derived from them (I analysen,
//! brugerantal, omfang af oprydningsarbejde, prioritet), and the summaries the decision note
//! shows. The definitions are in `docs/API.md`, "Structured answers"; the web client implements
//! the same ones in `client-web/src/sync/analysis.ts`.
//!
//! [`read`] takes what is needed out of a (wall, control) document pair; everything after it
//! ([`sheet`] and the functions it uses) is pure and works on that plain data. Values are read
//! leniently, since clients write them: a number written as a numeric string is that number, a
//! value of the wrong type is unanswered, never an error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map as JsonMap, Value};
use yrs::types::ToJson;
use yrs::{Doc, ReadTxn, Transact};

pub use crate::answer::number;
use crate::answer::AnswerKind;
use crate::api::{Axis, Card};
use crate::cells::{self, SheetCard, SheetColumn};
use crate::question::RowSpec;
use crate::{projection, schema};

/// The roles an answer can play in the analysis (`analysis` on a row or field).
pub mod role {
    /// Screening: "Anvendes KMD Sag på sagsområdet?"; `nej` takes the sagsområde out of the analysis.
    pub const ANVENDES: &str = "anvendes";
    /// The number of caseworkers, from which brugerantal is derived.
    pub const SAGSBEHANDLERE: &str = "sagsbehandlere";
    pub const BRUGSMOENSTER: &str = "brugsmoenster";
    pub const FORRETNINGSKRITISK: &str = "forretningskritisk";
    pub const KOMPLEKSITET: &str = "kompleksitet";
    pub const LOESNINGSSCENARIE: &str = "loesningsscenarie";
    /// Fields that name the sagsområde itself: part of the row, not answer columns.
    pub const NAMING: &[&str] = crate::question::NAMING_ROLES;
}

/// Answer key of the hand-set brugerantal, overriding the one derived from the caseworkers.
pub const BRUGERANTAL_KEY: &str = "brugerantal";

/// The room's prioritisation settings (control document, root map `prioritering`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// At most this many caseworkers → brugerantal få.
    pub faa_max: f64,
    /// At most this many → mellem; more → mange.
    pub mellem_max: f64,
    /// Omfang point at most this → 1 Let.
    pub let_max: f64,
    /// At most this → 2 Moderat; more → 3 Stort.
    pub moderat_max: f64,
    /// `"stort"`: the biggest clean-up ranks first within the same forretningskritisk answer;
    /// `"let"`: the smallest.
    pub omfang_foerst: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            faa_max: 5.0,
            mellem_max: 20.0,
            let_max: 2.0,
            moderat_max: 4.0,
            omfang_foerst: "stort".into(),
        }
    }
}

impl Settings {
    /// The settings from the `prioritering` map; a missing or unreadable key keeps its default.
    pub fn from_json(map: &JsonMap<String, Value>) -> Settings {
        let d = Settings::default();
        let num = |key: &str, default: f64| map.get(key).and_then(number).unwrap_or(default);
        let omfang_foerst = match map
            .get("omfang_foerst")
            .and_then(Value::as_str)
            .map(str::trim)
        {
            Some("let") => "let".to_string(),
            _ => d.omfang_foerst.clone(),
        };
        Settings {
            faa_max: num("faa_max", d.faa_max),
            mellem_max: num("mellem_max", d.mellem_max),
            let_max: num("let_max", d.let_max),
            moderat_max: num("moderat_max", d.moderat_max),
            omfang_foerst,
        }
    }

    fn smallest_first(&self) -> bool {
        self.omfang_foerst == "let"
    }
}

/// Brugerantal: how many use the sagsområde.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Brugerantal {
    Faa,
    Mellem,
    Mange,
}

impl Brugerantal {
    /// få, mellem, mange: the order of the dropdown and of the omfang point.
    pub const ALL: [Brugerantal; 3] = [Brugerantal::Faa, Brugerantal::Mellem, Brugerantal::Mange];

    /// The stored value: `faa`, `mellem`, `mange`.
    pub fn code(self) -> &'static str {
        match self {
            Brugerantal::Faa => "faa",
            Brugerantal::Mellem => "mellem",
            Brugerantal::Mange => "mange",
        }
    }

    /// As the sheet shows it: få, mellem, mange.
    pub fn label(self) -> &'static str {
        match self {
            Brugerantal::Faa => "få",
            Brugerantal::Mellem => "mellem",
            Brugerantal::Mange => "mange",
        }
    }

    /// Its factor in the omfang point: 1, 2, 3.
    pub fn point(self) -> u8 {
        match self {
            Brugerantal::Faa => 1,
            Brugerantal::Mellem => 2,
            Brugerantal::Mange => 3,
        }
    }

    /// Reads `faa`/`få`, `mellem`, `mange` (any case).
    pub fn parse(value: &str) -> Option<Brugerantal> {
        match value.trim().to_lowercase().as_str() {
            "faa" | "få" => Some(Brugerantal::Faa),
            "mellem" => Some(Brugerantal::Mellem),
            "mange" => Some(Brugerantal::Mange),
            _ => None,
        }
    }

    /// From the number of caseworkers and the room's thresholds.
    pub fn from_sagsbehandlere(n: f64, settings: &Settings) -> Brugerantal {
        if n <= settings.faa_max {
            Brugerantal::Faa
        } else if n <= settings.mellem_max {
            Brugerantal::Mellem
        } else {
            Brugerantal::Mange
        }
    }
}

/// Kompleksitet lav 1, middel 2, høj 3: its place in the closed list, from 1. Only the stored
/// value counts (read answers with [`typed_answer`] first).
pub fn kompleksitet_point(value: &str) -> Option<u8> {
    let place = AnswerKind::LavMiddelHoej.codes().position(|c| c == value)?;
    u8::try_from(place + 1).ok()
}

/// Omfang af oprydningsarbejde from its point (kompleksitet × brugerantal, 1–9):
/// 1 Let, 2 Moderat, 3 Stort.
pub fn omfang_level(point: u8, settings: &Settings) -> u8 {
    let p = f64::from(point);
    if p <= settings.let_max {
        1
    } else if p <= settings.moderat_max {
        2
    } else {
        3
    }
}

/// The name of an omfang level: Let, Moderat, Stort.
pub fn omfang_label(level: u8) -> &'static str {
    match level {
        1 => "Let",
        2 => "Moderat",
        _ => "Stort",
    }
}

/// What the priority order of one sagsområde depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rankable {
    pub in_analysis: bool,
    /// The forretningskritisk answer is `ja`.
    pub forretningskritisk: bool,
    /// Omfang level 1–3; `None` = unanswered.
    pub omfang: Option<u8>,
}

/// Prioritet (1 = first) of each item, in the same order; `None` for items out of the analysis.
/// Forretningskritisk first, then by omfang as `omfang_foerst` says (unanswered last); ties keep
/// the given order (the wall's).
pub fn priorities(items: &[Rankable], settings: &Settings) -> Vec<Option<usize>> {
    let mut order: Vec<(usize, u8)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| Some((i, priority_group(item, settings)?)))
        .collect();
    // A stable sort: equal groups keep the wall's order.
    order.sort_by_key(|&(_, group)| group);
    let mut out = vec![None; items.len()];
    for (rank, (i, _)) in order.into_iter().enumerate() {
        out[i] = Some(rank + 1);
    }
    out
}

/// The group an item is ranked by, 0 first: forretningskritisk `ja` 0–3, the rest 4–7, and within
/// each the omfang as `omfang_foerst` says (+0 to +2), unanswered +3; `None` out of the analysis.
/// [`priorities`] orders by it, ties in the given order; the XLSX's priority formula computes the
/// same number in a hidden column.
pub fn priority_group(item: &Rankable, settings: &Settings) -> Option<u8> {
    if !item.in_analysis {
        return None;
    }
    let omfang = match item.omfang {
        None => 3,
        Some(level) if settings.smallest_first() => level.saturating_sub(1),
        Some(level) => 3u8.saturating_sub(level),
    };
    Some(if item.forretningskritisk { 0 } else { 4 } + omfang)
}

/// What the priority of each row depends on, in the rows' order: the input of [`priorities`].
pub fn rankables(rows: &[SheetRow], columns: &[AnswerColumn]) -> Vec<Rankable> {
    let forretningskritisk = columns
        .iter()
        .find(|c| c.analysis.as_deref() == Some(role::FORRETNINGSKRITISK))
        .map(|c| c.key.as_str());
    rows.iter()
        .map(|r| Rankable {
            in_analysis: r.in_analysis,
            forretningskritisk: forretningskritisk
                .and_then(|k| r.answers.get(k))
                .and_then(Value::as_str)
                == Some("ja"),
            omfang: r.omfang,
        })
        .collect()
}

/// One answer column of the sheet: a question without fields, or one field of a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerColumn {
    /// The answer key in `answers[sagsområde]`: `<row id>` or `<row id>.<field id>`.
    pub key: String,
    /// The question (row id) it answers.
    pub question: String,
    /// The column header of the sheet: `As-is 2: <label>`.
    pub header: String,
    /// The question's or field's own label.
    pub label: String,
    /// The answer kind (`text`, `number`, `ja_nej`, …).
    pub kind: AnswerKind,
    /// The role in the analysis, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<String>,
}

/// The answer columns of a room, from its rows in order: every row with a `round` and not
/// `sheet: false`; a row with `fields` gives one column per field, except the fields that name
/// the sagsområde itself.
pub fn answer_columns(rows: &[Axis]) -> Vec<AnswerColumn> {
    columns_of(&RowSpec::read_all(rows))
}

/// [`answer_columns`] of rows already read.
pub fn columns_of(rows: &[RowSpec]) -> Vec<AnswerColumn> {
    let mut out = Vec::new();
    for row in rows.iter().filter(|r| r.is_sheet_question()) {
        let prefix = row.prefix();
        if row.fields.is_empty() {
            out.push(AnswerColumn {
                key: row.id.clone(),
                question: row.id.clone(),
                header: format!("{prefix}: {}", row.label),
                label: row.label.clone(),
                kind: row.kind,
                analysis: row.analysis.clone(),
            });
            continue;
        }
        for field in row.answer_fields() {
            out.push(AnswerColumn {
                key: format!("{}.{}", row.id, field.id),
                question: row.id.clone(),
                header: format!("{prefix}: {}", field.label),
                label: field.label.clone(),
                kind: field.kind,
                analysis: field.analysis.clone(),
            });
        }
    }
    out
}

/// A row's round (`as-is`, `to-be`, …), when it has one.
pub fn row_round(row: &Axis) -> Option<String> {
    RowSpec::from_axis(row).round
}

/// How the sheet names a question: `As-is 2`, or `As-is` for a row without a number
/// ([`RowSpec::prefix`]).
pub fn question_prefix(row: &Axis) -> String {
    RowSpec::from_axis(row).prefix()
}

/// An answer as its kind's canonical value (`"ja"`, `"hoej"`, `"A"`, `"3"`, a number, text), or
/// `None` when it is unanswered or of the wrong type: [`AnswerKind::read`] of the kind named
/// `kind` (an unknown one is `text`).
pub fn typed_answer(kind: &str, value: &Value) -> Option<Value> {
    AnswerKind::of(Some(kind)).read(value)
}

/// What [`sheet`] works from: the rows and columns of the control document, its `prioritering`
/// map, the wall's `answers` (sagsområde id → its answers) and its cards.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Input {
    pub rows: Vec<Axis>,
    pub columns: Vec<Axis>,
    pub prioritering: JsonMap<String, Value>,
    pub answers: JsonMap<String, Value>,
    pub cards: Vec<Card>,
}

/// Reads the sheet's input out of a room's documents. The wall's `answers` map is flat, key
/// `<sagsområde id>/<answer key>` (split at the first `/`); it is grouped by sagsområde here.
pub fn read(wall: &Doc, control: &Doc) -> Input {
    let (rows, columns, _) = projection::structure(control);
    let root_json = |doc: &Doc, name: &str| -> JsonMap<String, Value> {
        let txn = doc.transact();
        let Some(map) = txn.get_map(name) else {
            return JsonMap::new();
        };
        match serde_json::to_value(map.to_json(&txn)) {
            Ok(Value::Object(o)) => o,
            _ => JsonMap::new(),
        }
    };
    let answers = group_answers(root_json(wall, schema::ANSWERS));
    Input {
        rows,
        columns,
        prioritering: root_json(control, schema::PRIORITERING),
        answers,
        cards: projection::cards(wall),
    }
}

/// The wall's flat `answers` map (`<sagsområde id>/<answer key>` → value, split at the first
/// `/`) grouped by sagsområde: sagsområde id → its answers. Keys without both parts are skipped.
pub fn group_answers(flat: JsonMap<String, Value>) -> JsonMap<String, Value> {
    let mut answers = JsonMap::new();
    for (key, value) in flat {
        let Some((sagsomraade, answer)) = key
            .split_once('/')
            .filter(|(s, a)| !s.is_empty() && !a.is_empty())
        else {
            continue;
        };
        if let Value::Object(entry) = answers
            .entry(sagsomraade.to_string())
            .or_insert_with(|| Value::Object(JsonMap::new()))
        {
            entry.insert(answer.to_string(), value);
        }
    }
    answers
}

/// The key of an answer in the wall's flat `answers` map.
pub fn answer_key(sagsomraade: &str, key: &str) -> String {
    format!("{sagsomraade}/{key}")
}

/// One sagsområde of a room's columns (`columns[].sagsomraader[]`), in wall order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SagsomraadeRef {
    pub fagomraade_id: String,
    pub fagomraade: String,
    pub id: String,
    pub label: String,
    pub kle: String,
}

/// The sagsområder of the columns, in wall order (fagområde, then sagsområde).
pub fn sagsomraader(columns: &[Axis]) -> Vec<SagsomraadeRef> {
    let mut out = Vec::new();
    for column in columns {
        let Some(Value::Array(list)) = column.extra.get("sagsomraader") else {
            continue;
        };
        for s in list.iter().filter_map(Value::as_object) {
            let text = |k: &str| match s.get(k) {
                Some(Value::String(v)) => v.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            let id = text("id");
            if id.is_empty() {
                continue;
            }
            out.push(SagsomraadeRef {
                fagomraade_id: column.id.clone(),
                fagomraade: column.label.clone(),
                label: text("label"),
                kle: text("kle"),
                id,
            });
        }
    }
    out
}

/// One row of the sheet: a sagsområde, its answers and what is derived from them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetRow {
    pub fagomraade_id: String,
    pub fagomraade: String,
    pub sagsomraade_id: String,
    pub sagsomraade: String,
    pub kle: String,
    /// Answer key → canonical value; unanswered keys are left out.
    pub answers: BTreeMap<String, Value>,
    /// False when the anvendes answer is `nej`.
    pub in_analysis: bool,
    /// `faa` / `mellem` / `mange`; `null` out of the analysis or when there is nothing to derive it from.
    pub brugerantal: Option<Brugerantal>,
    /// The brugerantal was set by hand (answer key `brugerantal`), not derived from the caseworkers.
    pub brugerantal_hand: bool,
    /// Kompleksitet × brugerantal, 1–9.
    pub omfang_point: Option<u8>,
    /// 1 Let, 2 Moderat, 3 Stort.
    pub omfang: Option<u8>,
    /// 1 = first; `null` out of the analysis.
    pub prioritet: Option<usize>,
    /// The sagsområde's cards per question (row id), oldest first ([`crate::cells`]).
    #[serde(default)]
    pub cards: BTreeMap<String, Vec<SheetCard>>,
    /// The text of every column of [`Sheet::layout`], as the CSV export holds it (before
    /// neutralising).
    #[serde(default)]
    pub cells: Vec<String>,
}

/// The sagsområder with one value of an answer (or unanswered: `value` null).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub value: Option<String>,
    pub count: usize,
    /// Sagsområde ids, in priority order.
    pub sagsomraader: Vec<String>,
}

/// The decision note's panels, over the sagsområder in the analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summaries {
    pub total: usize,
    pub in_analysis: usize,
    /// `1`–`4`, then unanswered.
    pub loesningsscenarie: Vec<Bucket>,
    /// `0`, `A`–`E`, then unanswered.
    pub brugsmoenster: Vec<Bucket>,
    /// Ids of the forretningskritiske sagsområder, in priority order.
    pub forretningskritiske: Vec<String>,
}

/// `GET /api/rooms/{id}/sheet`: the documentation sheet of a room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sheet {
    pub settings: Settings,
    /// The structured answers' columns.
    pub columns: Vec<AnswerColumn>,
    /// Every column of the sheet in order (names, answers, cards, derived values, comments):
    /// what CSV, XLSX and the sheet page show ([`crate::cells`]).
    #[serde(default)]
    pub layout: Vec<SheetColumn>,
    pub rows: Vec<SheetRow>,
    pub summaries: Summaries,
    /// Ids of the cards on the sheet's questions that belong to no sagsområde (no sagsområde
    /// chosen in a fagområde of several): in no row until the facilitator places them.
    #[serde(default)]
    pub unplaced: Vec<String>,
}

impl Sheet {
    /// The answer column with this role (the first, if several have it).
    pub fn column_for(&self, role: &str) -> Option<&AnswerColumn> {
        self.columns
            .iter()
            .find(|c| c.analysis.as_deref() == Some(role))
    }
}

/// The documentation sheet of a room.
pub fn sheet(input: &Input) -> Sheet {
    let settings = Settings::from_json(&input.prioritering);
    let questions = RowSpec::read_all(&input.rows);
    let columns = columns_of(&questions);
    let key_for = |r: &str| {
        columns
            .iter()
            .find(|c| c.analysis.as_deref() == Some(r))
            .map(|c| c.key.clone())
    };
    let anvendes = key_for(role::ANVENDES);
    let sagsbehandlere = key_for(role::SAGSBEHANDLERE);
    let kompleksitet = key_for(role::KOMPLEKSITET);
    let empty = JsonMap::new();
    let refs = sagsomraader(&input.columns);
    let (mut placed, unplaced) = cells::place(&input.cards, &questions, &refs);
    let mut rows: Vec<SheetRow> = refs
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let raw = input
                .answers
                .get(&s.id)
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            let answers: BTreeMap<String, Value> = columns
                .iter()
                .filter_map(|c| Some((c.key.clone(), c.kind.read(raw.get(&c.key)?)?)))
                .collect();
            let get = |key: &Option<String>| key.as_ref().and_then(|k| answers.get(k));
            let in_analysis = get(&anvendes).and_then(Value::as_str) != Some("nej");
            let hand = raw
                .get(BRUGERANTAL_KEY)
                .and_then(Value::as_str)
                .and_then(Brugerantal::parse);
            let derived = get(&sagsbehandlere)
                .and_then(number)
                .map(|n| Brugerantal::from_sagsbehandlere(n, &settings));
            let brugerantal = if in_analysis { hand.or(derived) } else { None };
            let omfang_point = brugerantal.and_then(|b| {
                let k = kompleksitet_point(get(&kompleksitet)?.as_str()?)?;
                Some(k * b.point())
            });
            SheetRow {
                fagomraade_id: s.fagomraade_id,
                fagomraade: s.fagomraade,
                sagsomraade_id: s.id,
                sagsomraade: s.label,
                kle: s.kle,
                in_analysis,
                brugerantal,
                brugerantal_hand: in_analysis && hand.is_some(),
                omfang_point,
                omfang: omfang_point.map(|p| omfang_level(p, &settings)),
                prioritet: None,
                answers,
                cards: std::mem::take(&mut placed[i]),
                cells: Vec::new(),
            }
        })
        .collect();
    let rankable = rankables(&rows, &columns);
    for (row, p) in rows.iter_mut().zip(priorities(&rankable, &settings)) {
        row.prioritet = p;
    }
    let summaries = summarise(&rows, &rankable, &columns);
    let layout = cells::layout(&questions, &columns);
    for row in &mut rows {
        row.cells = cells::row_cells(&layout, &questions, row);
    }
    Sheet {
        settings,
        columns,
        layout,
        rows,
        summaries,
        unplaced,
    }
}

fn summarise(rows: &[SheetRow], rankable: &[Rankable], columns: &[AnswerColumn]) -> Summaries {
    let mut by_priority: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].in_analysis).collect();
    by_priority.sort_by_key(|&i| rows[i].prioritet);
    let buckets = |role: &str, kind: AnswerKind| -> Vec<Bucket> {
        let key = columns
            .iter()
            .find(|c| c.analysis.as_deref() == Some(role))
            .map(|c| c.key.as_str());
        let value_of = |i: usize| {
            key.and_then(|k| rows[i].answers.get(k))
                .and_then(Value::as_str)
        };
        let bucket = |value: Option<&str>| {
            let ids: Vec<String> = by_priority
                .iter()
                .filter(|&&i| value_of(i) == value)
                .map(|&i| rows[i].sagsomraade_id.clone())
                .collect();
            Bucket {
                value: value.map(str::to_string),
                count: ids.len(),
                sagsomraader: ids,
            }
        };
        kind.codes()
            .map(|v| bucket(Some(v)))
            .chain([bucket(None)])
            .collect()
    };
    Summaries {
        total: rows.len(),
        in_analysis: by_priority.len(),
        loesningsscenarie: buckets(role::LOESNINGSSCENARIE, AnswerKind::Loesningsscenarie),
        brugsmoenster: buckets(role::BRUGSMOENSTER, AnswerKind::Brugsmoenster),
        forretningskritiske: by_priority
            .iter()
            .filter(|&&i| rankable[i].forretningskritisk)
            .map(|&i| rows[i].sagsomraade_id.clone())
            .collect(),
    }
}

/// The value of an answer as the sheet shows it: `ja`/`nej`, `lav`/`middel`/`høj`, numbers
/// without a trailing `.0`, text as it is.
pub fn display(value: &Value) -> String {
    match value {
        // Whatever the kind, as the web client's `display` does.
        Value::String(s) => AnswerKind::LavMiddelHoej.label_of(s).to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Value::Bool(b) => if *b { "ja" } else { "nej" }.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use yrs::Map;

    fn s() -> Settings {
        Settings::default()
    }

    #[test]
    fn brugerantal_thresholds_are_inclusive() {
        let s = s();
        assert_eq!(Brugerantal::from_sagsbehandlere(0.0, &s), Brugerantal::Faa);
        assert_eq!(Brugerantal::from_sagsbehandlere(5.0, &s), Brugerantal::Faa);
        assert_eq!(
            Brugerantal::from_sagsbehandlere(5.5, &s),
            Brugerantal::Mellem
        );
        assert_eq!(
            Brugerantal::from_sagsbehandlere(20.0, &s),
            Brugerantal::Mellem
        );
        assert_eq!(
            Brugerantal::from_sagsbehandlere(21.0, &s),
            Brugerantal::Mange
        );
        let custom = Settings {
            faa_max: 2.0,
            mellem_max: 3.0,
            ..s
        };
        assert_eq!(
            Brugerantal::from_sagsbehandlere(3.0, &custom),
            Brugerantal::Mellem
        );
        assert_eq!(
            Brugerantal::from_sagsbehandlere(4.0, &custom),
            Brugerantal::Mange
        );
    }

    #[test]
    fn omfang_is_kompleksitet_times_brugerantal_read_off_by_the_thresholds() {
        let s = s();
        // The whole 3 × 3 table with the defaults (let ≤ 2, moderat ≤ 4).
        let table = [
            ("lav", Brugerantal::Faa, 1, 1),
            ("lav", Brugerantal::Mellem, 2, 1),
            ("lav", Brugerantal::Mange, 3, 2),
            ("middel", Brugerantal::Faa, 2, 1),
            ("middel", Brugerantal::Mellem, 4, 2),
            ("middel", Brugerantal::Mange, 6, 3),
            ("hoej", Brugerantal::Faa, 3, 2),
            ("hoej", Brugerantal::Mellem, 6, 3),
            ("hoej", Brugerantal::Mange, 9, 3),
        ];
        for (k, b, point, level) in table {
            let p = kompleksitet_point(k).unwrap() * b.point();
            assert_eq!(p, point, "{k} × {b:?}");
            assert_eq!(omfang_level(p, &s), level, "{k} × {b:?}");
        }
        let wide = Settings {
            let_max: 1.0,
            moderat_max: 8.0,
            ..s
        };
        assert_eq!(omfang_level(1, &wide), 1);
        assert_eq!(omfang_level(2, &wide), 2);
        assert_eq!(omfang_level(8, &wide), 2);
        assert_eq!(omfang_level(9, &wide), 3);
        assert_eq!(
            kompleksitet_point("høj"),
            None,
            "only the stored value counts"
        );
    }

    #[test]
    fn settings_default_and_read_leniently() {
        assert_eq!(Settings::from_json(&JsonMap::new()), Settings::default());
        let map = json!({"faa_max": "3", "mellem_max": 10, "let_max": true, "moderat_max": "x", "omfang_foerst": "let"});
        let got = Settings::from_json(map.as_object().unwrap());
        assert_eq!(
            got,
            Settings {
                faa_max: 3.0,
                mellem_max: 10.0,
                let_max: 2.0,
                moderat_max: 4.0,
                omfang_foerst: "let".into()
            }
        );
        let odd = json!({"omfang_foerst": "mest"});
        assert_eq!(
            Settings::from_json(odd.as_object().unwrap()).omfang_foerst,
            "stort"
        );
    }

    fn r(in_analysis: bool, forretningskritisk: bool, omfang: Option<u8>) -> Rankable {
        Rankable {
            in_analysis,
            forretningskritisk,
            omfang,
        }
    }

    #[test]
    fn priority_puts_forretningskritisk_first_then_omfang_then_wall_order() {
        let items = [
            r(true, false, Some(3)), // 0
            r(true, true, Some(1)),  // 1
            r(true, false, None),    // 2
            r(false, true, Some(3)), // 3: out of the analysis
            r(true, true, Some(3)),  // 4
            r(true, false, Some(3)), // 5: ties with 0, after it
            r(true, true, None),     // 6
            r(true, false, Some(2)), // 7
        ];
        let got = priorities(&items, &s());
        assert_eq!(
            got,
            vec![
                Some(4),
                Some(2),
                Some(7),
                None,
                Some(1),
                Some(5),
                Some(3),
                Some(6)
            ]
        );
        let let_first = Settings {
            omfang_foerst: "let".into(),
            ..s()
        };
        let got = priorities(&items, &let_first);
        // ja: 1 (Let), 4 (Stort), 6 (unanswered); then 7 (Moderat), 0, 5 (Stort), 2 (unanswered).
        assert_eq!(
            got,
            vec![
                Some(5),
                Some(1),
                Some(7),
                None,
                Some(2),
                Some(6),
                Some(3),
                Some(4)
            ]
        );
    }

    #[test]
    fn priority_groups_are_what_priorities_sorts_by() {
        let let_first = Settings {
            omfang_foerst: "let".into(),
            ..s()
        };
        let cases = [
            (r(true, true, Some(3)), Some(0), Some(2)),
            (r(true, true, Some(1)), Some(2), Some(0)),
            (r(true, true, None), Some(3), Some(3)),
            (r(true, false, Some(3)), Some(4), Some(6)),
            (r(true, false, Some(2)), Some(5), Some(5)),
            (r(true, false, None), Some(7), Some(7)),
            (r(false, true, Some(3)), None, None),
        ];
        for (item, stort, lille) in cases {
            assert_eq!(priority_group(&item, &s()), stort, "{item:?}, stort first");
            assert_eq!(
                priority_group(&item, &let_first),
                lille,
                "{item:?}, let first"
            );
        }
    }

    #[test]
    fn priority_of_nothing_and_of_all_unanswered() {
        assert!(priorities(&[], &s()).is_empty());
        let items = [
            r(true, false, None),
            r(true, false, None),
            r(false, false, None),
        ];
        assert_eq!(priorities(&items, &s()), vec![Some(1), Some(2), None]);
    }

    #[test]
    fn answers_are_read_leniently_by_kind() {
        assert_eq!(typed_answer("number", &json!(12)), Some(json!(12.0)));
        assert_eq!(typed_answer("number", &json!(" 12 ")), Some(json!(12.0)));
        assert_eq!(typed_answer("number", &json!("7,5")), Some(json!(7.5)));
        assert_eq!(typed_answer("number", &json!("mange")), None);
        assert_eq!(typed_answer("number", &json!(true)), None);
        assert_eq!(typed_answer("ja_nej", &json!("Ja")), Some(json!("ja")));
        assert_eq!(typed_answer("ja_nej", &json!("måske")), None);
        assert_eq!(typed_answer("ja_nej", &json!(1)), None);
        assert_eq!(
            typed_answer("lav_middel_hoej", &json!("høj")),
            Some(json!("hoej"))
        );
        assert_eq!(
            typed_answer("lav_middel_hoej", &json!("MIDDEL")),
            Some(json!("middel"))
        );
        assert_eq!(typed_answer("brugsmoenster", &json!("c")), Some(json!("C")));
        assert_eq!(typed_answer("brugsmoenster", &json!(0)), Some(json!("0")));
        assert_eq!(typed_answer("brugsmoenster", &json!("F")), None);
        assert_eq!(
            typed_answer("loesningsscenarie", &json!(3)),
            Some(json!("3"))
        );
        assert_eq!(typed_answer("loesningsscenarie", &json!("5")), None);
        assert_eq!(typed_answer("text", &json!("")), None);
        assert_eq!(typed_answer("text", &json!(["x"])), None);
        assert_eq!(
            typed_answer("date", &json!("2027-03-01")),
            Some(json!("2027-03-01"))
        );
        assert_eq!(display(&json!(12.0)), "12");
        assert_eq!(display(&json!(7.5)), "7.5");
        assert_eq!(display(&json!("hoej")), "høj");
    }

    fn room(template: &str) -> Input {
        let templates = crate::Templates::built_in().unwrap();
        let doc = Doc::new();
        schema::init_control(&doc, "T", templates.get(template).unwrap());
        let (rows, mut columns, _) = projection::structure(&doc);
        columns.truncate(2);
        columns[0].extra.insert(
            "sagsomraader".into(),
            json!([{"id": "a", "label": "A", "kle": "1"}, {"id": "b", "label": "B", "kle": ""}, {"label": "no id"}]),
        );
        columns[1].extra.insert(
            "sagsomraader".into(),
            json!([{"id": "c", "label": "C", "kle": "3"}, {"id": "d", "label": "D"}]),
        );
        Input {
            rows,
            columns,
            ..Input::default()
        }
    }

    #[test]
    fn answer_columns_of_the_combined_template() {
        let input = room("kmd-sag-exit");
        let cols = answer_columns(&input.rows);
        let keys: Vec<&str> = cols.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys[0], "asis-1.anvendes",
            "the naming fields of As-is 1 are not columns"
        );
        assert_eq!(keys[1], "asis-2");
        assert!(keys.contains(&"asis-4.a") && keys.contains(&"asis-6.journalnotater"));
        assert!(!keys.contains(&"tobe-1"), "sheet: false");
        assert!(!keys
            .iter()
            .any(|k| k.starts_with("asis-1.fagomraade") || k.ends_with(".kle")));
        assert_eq!(cols[0].header, "As-is 1: Anvendes KMD Sag på sagsområdet?");
        assert_eq!(cols[0].analysis.as_deref(), Some("anvendes"));
        assert_eq!(cols[1].kind, "number");
        let roles: Vec<&str> = cols.iter().filter_map(|c| c.analysis.as_deref()).collect();
        assert_eq!(
            roles,
            [
                "anvendes",
                "sagsbehandlere",
                "brugsmoenster",
                "forretningskritisk",
                "kompleksitet",
                "loesningsscenarie"
            ]
        );
    }

    #[test]
    fn the_sheet_of_a_room() {
        let mut input = room("kmd-sag-exit");
        input.answers = json!({
            "a": {"asis-1.anvendes": "ja", "asis-2": "30", "tobe-6": "hoej", "tobe-5": "nej", "tobe-loesningsscenarie": "2", "asis-3": "C"},
            "b": {"asis-1.anvendes": "nej", "asis-2": 3, "tobe-6": "lav", "tobe-5": "ja"},
            "c": {"asis-2": 4, "tobe-6": "middel", "tobe-5": "ja", "brugerantal": "mange", "tobe-loesningsscenarie": 2},
            "d": "not a map",
            "zz": {"asis-2": 1}
        })
        .as_object()
        .unwrap()
        .clone();
        input.prioritering = json!({"moderat_max": 5}).as_object().unwrap().clone();
        let sheet = sheet(&input);
        let ids: Vec<&str> = sheet
            .rows
            .iter()
            .map(|r| r.sagsomraade_id.as_str())
            .collect();
        assert_eq!(
            ids,
            ["a", "b", "c", "d"],
            "wall order; answers of unknown sagsområder are ignored"
        );
        let [a, b, c, d] = [
            &sheet.rows[0],
            &sheet.rows[1],
            &sheet.rows[2],
            &sheet.rows[3],
        ];
        assert_eq!(a.fagomraade, "Borgerservice");
        assert_eq!(a.kle, "1");
        assert_eq!(a.answers.get("asis-2"), Some(&json!(30.0)));
        assert_eq!(
            (a.brugerantal, a.brugerantal_hand, a.omfang_point, a.omfang),
            (Some(Brugerantal::Mange), false, Some(9), Some(3))
        );
        assert!(!b.in_analysis);
        assert_eq!((b.brugerantal, b.omfang, b.prioritet), (None, None, None));
        assert_eq!(
            (c.brugerantal, c.brugerantal_hand, c.omfang_point, c.omfang),
            (Some(Brugerantal::Mange), true, Some(6), Some(3))
        );
        assert!(d.in_analysis && d.answers.is_empty());
        // c: forretningskritisk, Stort; a: Stort; d: unanswered.
        assert_eq!(
            (c.prioritet, a.prioritet, d.prioritet),
            (Some(1), Some(2), Some(3))
        );
        assert_eq!(sheet.summaries.total, 4);
        assert_eq!(sheet.summaries.in_analysis, 3);
        assert_eq!(sheet.summaries.forretningskritiske, ["c"]);
        let two = &sheet.summaries.loesningsscenarie[1];
        assert_eq!(
            (two.value.as_deref(), two.count, two.sagsomraader.clone()),
            (Some("2"), 2, vec!["c".to_string(), "a".into()])
        );
        let unanswered = sheet.summaries.loesningsscenarie.last().unwrap();
        assert_eq!(
            (unanswered.value.clone(), unanswered.sagsomraader.clone()),
            (None, vec!["d".to_string()])
        );
        assert_eq!(sheet.summaries.brugsmoenster[3].sagsomraader, ["a"]);
        assert_eq!(sheet.settings.moderat_max, 5.0);
        assert_eq!(
            sheet.column_for(role::ANVENDES).unwrap().key,
            "asis-1.anvendes"
        );
    }

    #[test]
    fn read_takes_answers_and_settings_from_the_documents() {
        use yrs::MapPrelim;
        let templates = crate::Templates::built_in().unwrap();
        let (wall, control) = (Doc::new(), Doc::new());
        schema::init_control(&control, "T", templates.get("kmd-sag-exit-as-is").unwrap());
        let prio = control.get_or_insert_map(schema::PRIORITERING);
        prio.insert(&mut control.transact_mut(), "faa_max", 1.0);
        let answers = wall.get_or_insert_map(schema::ANSWERS);
        {
            let mut txn = wall.transact_mut();
            answers.insert(&mut txn, answer_key("x", "asis-2"), 2.0);
            answers.insert(&mut txn, "x/asis-1.anvendes", "nej");
            answers.insert(&mut txn, "no-slash", "ignored");
            answers.insert(&mut txn, "/asis-2", "ignored");
            answers.insert(&mut txn, "legacy", MapPrelim::from([("asis-2", 9.0)]));
        }
        let input = read(&wall, &control);
        assert_eq!(
            input.prioritering.get("faa_max").and_then(Value::as_f64),
            Some(1.0)
        );
        assert_eq!(
            input
                .answers
                .get("x")
                .and_then(|x| x.get("asis-2"))
                .and_then(Value::as_f64),
            Some(2.0)
        );
        assert_eq!(
            input
                .answers
                .get("x")
                .and_then(|x| x.get("asis-1.anvendes")),
            Some(&json!("nej"))
        );
        assert_eq!(
            input.answers.len(),
            1,
            "keys without a sagsområde and an answer key are not answers"
        );
        assert_eq!(Settings::from_json(&input.prioritering).faa_max, 1.0);
    }
}
