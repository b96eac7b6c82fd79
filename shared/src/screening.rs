//! Importing a screening list (phase 1) into a room: a table with the columns Fagområde,
//! Sagsområde, KLE-nummer (optional) and "Anvendes KMD Sag" (optional) sets up the room's
//! fagområder (columns) and their sagsområder in one step, and the screening answer of each.
//!
//! [`parse`] reads the table's cells (decoded from CSV or XLSX by the server) into rows, or
//! rejects it whole with a problem per row it cannot read; [`plan`] decides which columns and
//! sagsområder are new and which already exist; [`write_structure`] and [`write_answers`] apply
//! that inside a transaction of the control and the wall document. Ids are made as the web client
//! makes them ([`slug`], [`unique_id`]), so a room looks the same whoever set it up.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;
use yrs::types::ToJson;
use yrs::{Any, Array, ArrayPrelim, In, Map, MapPrelim, Out, ReadTxn, TransactionMut, WriteTxn};

use crate::schema;

/// Most data rows one import may have.
pub const MAX_ROWS: usize = 5000;
/// Longest fagområde or sagsområde label.
pub const MAX_LABEL: usize = 200;
/// Longest KLE number.
pub const MAX_KLE: usize = 40;

/// A readable id from a label, exactly as the web client's `slug()`: lowercase, æ → ae, ø → oe,
/// å → aa, accents dropped, every other run of characters a `-`, at most 40 characters.
pub fn slug(label: &str) -> String {
    let lower = label
        .to_lowercase()
        .replace('æ', "ae")
        .replace('ø', "oe")
        .replace('å', "aa");
    let ascii: String = lower
        .nfkd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .collect();
    let mut out = String::new();
    let mut dash = false;
    for c in ascii.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    // Leading and trailing dashes are trimmed before the cut, as in the client.
    let cut: String = out.chars().take(40).collect();
    if cut.is_empty() {
        "id".to_string()
    } else {
        cut
    }
}

/// `base`, or `base-2`, `base-3`, … whichever is not taken (the web client's `uniqueId()`).
pub fn unique_id(base: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_string();
    }
    (2..)
        .map(|i| format!("{base}-{i}"))
        .find(|id| !taken.contains(id))
        .unwrap_or_else(|| base.to_string())
}

/// One readable row of a screening list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreeningRow {
    /// The row number in the file (the header is row 1 when it is the first line).
    pub row: usize,
    pub fagomraade: String,
    pub sagsomraade: String,
    pub kle: String,
    /// "Anvendes KMD Sag": `None` when blank or when the list has no such column.
    pub anvendes: Option<bool>,
}

/// A row that cannot be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub row: usize,
    pub problem: String,
}

/// Why a list was refused as a whole: the `400` body of the import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub error: String,
    pub problems: Vec<Problem>,
}

/// The `200` answer of an import: what it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imported {
    /// Rows read from the list (blank lines not counted).
    pub rows: usize,
    pub columns_added: usize,
    pub sagsomraader_added: usize,
    /// Rows that named a sagsområde the room already had.
    pub sagsomraader_matched: usize,
    /// Anvendes answers written (rows with ja or nej).
    pub answers_set: usize,
    /// The answer key the anvendes values went to; `null` when the room has no such question
    /// (the values were then not imported).
    pub anvendes_key: Option<String>,
}

impl Rejected {
    fn whole(error: impl Into<String>) -> Rejected {
        Rejected {
            error: error.into(),
            problems: Vec::new(),
        }
    }
}

/// A header cell as compared: trimmed, lowercase, without a trailing `:`, `?` or `*`.
fn header_key(cell: &str) -> String {
    cell.trim()
        .trim_end_matches([':', '?', '*'])
        .trim()
        .to_lowercase()
}

#[derive(Debug, Default)]
struct Layout {
    fagomraade: Option<usize>,
    sagsomraade: Option<usize>,
    kle: Option<usize>,
    anvendes: Option<usize>,
}

fn layout(header: &[String], anvendes_header: Option<&str>) -> Layout {
    let own = anvendes_header.map(header_key);
    let mut l = Layout::default();
    for (i, cell) in header.iter().enumerate() {
        let key = header_key(cell);
        let slot = match key.as_str() {
            "fagområde" | "fagomraade" => &mut l.fagomraade,
            "sagsområde" | "sagsomraade" => &mut l.sagsomraade,
            "kle" | "kle-nummer" | "kle nummer" | "klenummer" | "kle-nr" | "kle-nr." | "kle nr"
            | "kle nr." => &mut l.kle,
            k if k == "anvendes" || k.contains("anvendes kmd sag") || own.as_deref() == Some(k) => {
                &mut l.anvendes
            }
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(i);
        }
    }
    l
}

/// Reads an "Anvendes KMD Sag" cell: ja/nej, yes/no, j/n, y, x (marked = ja); blank = no answer.
/// The error says why, for the row's problem.
pub fn parse_anvendes(cell: &str) -> Result<Option<bool>, String> {
    match cell.trim().to_lowercase().as_str() {
        "" => Ok(None),
        "ja" | "j" | "yes" | "y" | "x" => Ok(Some(true)),
        "nej" | "n" | "no" => Ok(Some(false)),
        _ => Err(format!(
            "Anvendes KMD Sag must be ja or nej (or blank), not {:?}",
            cell.trim()
        )),
    }
}

/// Reads a screening list: `records` are its lines of cells, the header first (leading blank
/// lines are skipped); `first_row` is the file's row number of `records[0]`. `anvendes_header`
/// is the room's own header of the anvendes answer, accepted besides "Anvendes KMD Sag".
/// All or nothing: any row that cannot be read rejects the list.
pub fn parse(
    records: &[Vec<String>],
    first_row: usize,
    anvendes_header: Option<&str>,
) -> Result<Vec<ScreeningRow>, Rejected> {
    let blank = |r: &Vec<String>| r.iter().all(|c| c.trim().is_empty());
    let Some(h) = records.iter().position(|r| !blank(r)) else {
        return Err(Rejected::whole(
            "the list is empty: it needs a header row with Fagområde and Sagsområde",
        ));
    };
    let header_row = first_row + h;
    let l = layout(&records[h], anvendes_header);
    let (Some(fag), Some(sags)) = (l.fagomraade, l.sagsomraade) else {
        let missing: Vec<&str> = [("Fagområde", l.fagomraade), ("Sagsområde", l.sagsomraade)]
            .iter()
            .filter(|(_, at)| at.is_none())
            .map(|(name, _)| *name)
            .collect();
        let problem = format!(
            "the header has no column {}",
            missing.join(" and no column ")
        );
        return Err(Rejected {
            error: format!(
                "the first row must be a header naming the columns Fagområde and Sagsområde (KLE-nummer and Anvendes KMD Sag are optional); {problem}"
            ),
            problems: vec![Problem { row: header_row, problem }],
        });
    };
    let body: Vec<(usize, &Vec<String>)> = records
        .iter()
        .enumerate()
        .skip(h + 1)
        .filter(|(_, r)| !blank(r))
        .map(|(i, r)| (first_row + i, r))
        .collect();
    if body.is_empty() {
        return Err(Rejected::whole("the list has no rows below its header"));
    }
    if body.len() > MAX_ROWS {
        return Err(Rejected::whole(format!(
            "the list has {} rows; at most {MAX_ROWS} can be imported at once",
            body.len()
        )));
    }
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (row, cells) in body {
        let cell = |at: Option<usize>| {
            at.and_then(|i| cells.get(i))
                .map(|c| c.trim().to_string())
                .unwrap_or_default()
        };
        let (fagomraade, sagsomraade, kle) = (cell(Some(fag)), cell(Some(sags)), cell(l.kle));
        let mut why = Vec::new();
        if fagomraade.is_empty() {
            why.push("no fagområde".to_string());
        }
        if sagsomraade.is_empty() {
            why.push("no sagsområde".to_string());
        }
        for (name, value) in [("fagområde", &fagomraade), ("sagsområde", &sagsomraade)] {
            if value.chars().count() > MAX_LABEL {
                why.push(format!("the {name} is longer than {MAX_LABEL} characters"));
            }
        }
        if kle.chars().count() > MAX_KLE {
            why.push(format!(
                "the KLE number is longer than {MAX_KLE} characters"
            ));
        }
        let anvendes = parse_anvendes(&cell(l.anvendes)).unwrap_or_else(|problem| {
            why.push(problem);
            None
        });
        if why.is_empty() {
            rows.push(ScreeningRow {
                row,
                fagomraade,
                sagsomraade,
                kle,
                anvendes,
            });
        } else {
            problems.push(Problem {
                row,
                problem: why.join("; "),
            });
        }
    }
    if !problems.is_empty() {
        let n = problems.len();
        return Err(Rejected {
            error: format!(
                "{n} row{} of the list cannot be read; nothing was imported",
                if n == 1 { "" } else { "s" }
            ),
            problems,
        });
    }
    Ok(rows)
}

/// A sagsområde as it is stored in `columns[].sagsomraader`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sagsomraade {
    pub id: String,
    pub label: String,
    pub kle: String,
}

/// A fagområde (column) of the room as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub id: String,
    pub label: String,
    pub sagsomraader: Vec<Sagsomraade>,
}

/// A sagsområde to add, to the column `column_id` (which may itself be new).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSagsomraade {
    pub column_id: String,
    pub sagsomraade: Sagsomraade,
}

/// What an import changes in the control document, and where each row went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// New columns `(id, label)`, in the list's order.
    pub new_columns: Vec<(String, String)>,
    pub new_sagsomraader: Vec<NewSagsomraade>,
    /// The sagsområde id of each row, in the rows' order.
    pub targets: Vec<String>,
    /// Rows that named a sagsområde the room already had.
    pub matched: usize,
}

/// Decides what to add: columns matched by label (case-insensitive), sagsområder by label
/// (case-insensitive) and KLE within their column; a row naming one already planned goes to it.
pub fn plan(existing: &[Column], rows: &[ScreeningRow]) -> Plan {
    let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
    let mut columns: Vec<Column> = existing.to_vec();
    let mut column_ids: HashSet<String> = columns.iter().map(|c| c.id.clone()).collect();
    let mut sags_ids: HashSet<String> = columns
        .iter()
        .flat_map(|c| c.sagsomraader.iter().map(|s| s.id.clone()))
        .collect();
    let existing_sags = sags_ids.clone();
    let mut out = Plan::default();
    for row in rows {
        let c = match columns.iter().position(|c| same(&c.label, &row.fagomraade)) {
            Some(c) => c,
            None => {
                let id = unique_id(&slug(&row.fagomraade), &column_ids);
                column_ids.insert(id.clone());
                out.new_columns.push((id.clone(), row.fagomraade.clone()));
                columns.push(Column {
                    id,
                    label: row.fagomraade.clone(),
                    sagsomraader: Vec::new(),
                });
                columns.len() - 1
            }
        };
        let column = &mut columns[c];
        let found = column
            .sagsomraader
            .iter()
            .find(|s| same(&s.label, &row.sagsomraade) && s.kle.trim() == row.kle);
        let id = match found {
            Some(s) => {
                if existing_sags.contains(&s.id) {
                    out.matched += 1;
                }
                s.id.clone()
            }
            None => {
                let base = if row.kle.is_empty() {
                    row.sagsomraade.clone()
                } else {
                    format!("{} {}", row.kle, row.sagsomraade)
                };
                let id = unique_id(&slug(&base), &sags_ids);
                sags_ids.insert(id.clone());
                let s = Sagsomraade {
                    id: id.clone(),
                    label: row.sagsomraade.clone(),
                    kle: row.kle.clone(),
                };
                column.sagsomraader.push(s.clone());
                out.new_sagsomraader.push(NewSagsomraade {
                    column_id: column.id.clone(),
                    sagsomraade: s,
                });
                id
            }
        };
        out.targets.push(id);
    }
    out
}

fn text_of(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The room's columns and their sagsområder, read inside a transaction.
pub fn columns<T: ReadTxn>(txn: &T) -> Vec<Column> {
    let Some(array) = txn.get_array(schema::COLUMNS) else {
        return Vec::new();
    };
    array
        .iter(txn)
        .filter_map(|entry| {
            let Ok(Value::Object(c)) = serde_json::to_value(entry.to_json(txn)) else {
                return None;
            };
            let id = text_of(c.get("id"));
            if id.is_empty() {
                return None;
            }
            let sagsomraader = match c.get("sagsomraader") {
                Some(Value::Array(list)) => list
                    .iter()
                    .filter_map(Value::as_object)
                    .map(|s| Sagsomraade {
                        id: text_of(s.get("id")),
                        label: text_of(s.get("label")),
                        kle: text_of(s.get("kle")),
                    })
                    .filter(|s| !s.id.is_empty())
                    .collect(),
                _ => Vec::new(),
            };
            let label = match text_of(c.get("label")) {
                l if l.is_empty() => id.clone(),
                l => l,
            };
            Some(Column {
                id,
                label,
                sagsomraader,
            })
        })
        .collect()
}

fn sagsomraade_prelim(s: &Sagsomraade) -> MapPrelim {
    MapPrelim::from_iter([
        ("id", In::Any(Any::from(s.id.as_str()))),
        ("label", In::Any(Any::from(s.label.as_str()))),
        ("kle", In::Any(Any::from(s.kle.as_str()))),
    ])
}

/// Plans the import against the control document as it is in `txn` and writes the new columns
/// and sagsområder, as the web client writes them. Planning inside the transaction means two
/// imports at once cannot both add the same column.
pub fn write_structure(txn: &mut TransactionMut, rows: &[ScreeningRow]) -> Plan {
    let plan = plan(&columns(txn), rows);
    let array = txn.get_or_insert_array(schema::COLUMNS);
    for (id, label) in &plan.new_columns {
        array.push_back(
            txn,
            MapPrelim::from_iter([
                ("id", In::Any(Any::from(id.as_str()))),
                ("label", In::Any(Any::from(label.as_str()))),
                ("sagsomraader", In::Array(ArrayPrelim::default())),
            ]),
        );
    }
    for new in &plan.new_sagsomraader {
        let column = array.iter(txn).find_map(|entry| match entry {
            Out::YMap(m) => match m.get(txn, "id") {
                Some(Out::Any(Any::String(id))) if *id == *new.column_id => Some(m),
                _ => None,
            },
            _ => None,
        });
        let Some(column) = column else { continue };
        match column.get(txn, "sagsomraader") {
            Some(Out::YArray(list)) => {
                list.push_back(txn, sagsomraade_prelim(&new.sagsomraade));
            }
            other => {
                // Missing, or written as a plain array: becomes a Y.Array with what it had.
                let mut items: Vec<In> = match other.map(|v| v.to_json(txn)) {
                    Some(Any::Array(old)) => old.iter().cloned().map(In::Any).collect(),
                    _ => Vec::new(),
                };
                items.push(In::Map(sagsomraade_prelim(&new.sagsomraade)));
                column.insert(txn, "sagsomraader", ArrayPrelim::from_iter(items));
            }
        }
    }
    plan
}

/// Sets the anvendes answer (`key`) of each row that has one, in the wall document's flat
/// `answers` map (`<sagsområde id>/<key>`). Returns how many were set.
pub fn write_answers(
    txn: &mut TransactionMut,
    key: &str,
    rows: &[ScreeningRow],
    targets: &[String],
) -> usize {
    let answers = txn.get_or_insert_map(schema::ANSWERS);
    let mut set = 0;
    for (row, id) in rows.iter().zip(targets) {
        let Some(anvendes) = row.anvendes else {
            continue;
        };
        answers.insert(
            txn,
            crate::analysis::answer_key(id, key),
            if anvendes { "ja" } else { "nej" },
        );
        set += 1;
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{Doc, Transact};

    fn rec(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn slug_and_unique_id_as_the_client() {
        assert_eq!(slug("Teknik og Miljø"), "teknik-og-miljoe");
        assert_eq!(slug("Beskæftigelse"), "beskaeftigelse");
        assert_eq!(
            slug("32.18 Hjælp til forsørgelse"),
            "32-18-hjaelp-til-forsoergelse"
        );
        assert_eq!(slug("  Åbne sager! "), "aabne-sager");
        assert_eq!(slug("Café Noël"), "cafe-noel");
        assert_eq!(slug("!!!"), "id");
        assert_eq!(slug(""), "id");
        // Cut at 40 after trimming; a dash at the cut stays (as in the client).
        assert_eq!(
            slug(&format!("{} b", "a".repeat(39))),
            format!("{}-", "a".repeat(39))
        );
        let taken: HashSet<String> = ["x".to_string(), "x-2".to_string()].into();
        assert_eq!(unique_id("x", &taken), "x-3");
        assert_eq!(unique_id("y", &taken), "y");
    }

    #[test]
    fn a_list_with_semicolon_headers_in_any_case() {
        let rows = parse(
            &rec(&[
                &["", ""],
                &["FAGOMRÅDE", "Sagsområde", "KLE-nummer", "Anvendes KMD Sag?"],
                &["Borgerservice", "Hjælp til forsørgelse", "32.18", "ja"],
                &["", "", "", ""],
                &["Borgerservice", " Boligstøtte ", "", "N"],
                &["Teknik og Miljø", "Byggesager", "02.00", ""],
            ]),
            1,
            None,
        )
        .unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            ScreeningRow {
                row: 3,
                fagomraade: "Borgerservice".into(),
                sagsomraade: "Hjælp til forsørgelse".into(),
                kle: "32.18".into(),
                anvendes: Some(true)
            }
        );
        assert_eq!(
            (rows[1].row, rows[1].sagsomraade.as_str(), rows[1].anvendes),
            (5, "Boligstøtte", Some(false))
        );
        assert_eq!(rows[2].anvendes, None);
        // The sheet's own header of the anvendes answer is accepted too.
        let own = parse(
            &rec(&[
                &["Fagområde", "Sagsområde", "As-is 1: Bruges systemet?"],
                &["A", "B", "x"],
            ]),
            1,
            Some("As-is 1: Bruges systemet?"),
        )
        .unwrap();
        assert_eq!(own[0].anvendes, Some(true));
    }

    #[test]
    fn bad_lists_are_rejected_whole_with_a_problem_per_row() {
        let no_header =
            parse(&rec(&[&["Afdeling", "Sagsområde"], &["A", "B"]]), 1, None).unwrap_err();
        assert_eq!(
            no_header.problems,
            [Problem {
                row: 1,
                problem: "the header has no column Fagområde".into()
            }]
        );
        let bad = parse(
            &rec(&[
                &["Fagområde", "Sagsområde", "Anvendes KMD Sag"],
                &["A", "", "ja"],
                &["A", "ok", "nej"],
                &["", "B", "måske"],
            ]),
            1,
            None,
        )
        .unwrap_err();
        assert_eq!(bad.problems.len(), 2);
        assert_eq!(
            bad.problems[0],
            Problem {
                row: 2,
                problem: "no sagsområde".into()
            }
        );
        assert_eq!(bad.problems[1].row, 4);
        assert!(
            bad.problems[1].problem.contains("no fagområde")
                && bad.problems[1].problem.contains("måske")
        );
        assert!(parse(&rec(&[]), 1, None).is_err());
        assert!(parse(&rec(&[&["Fagområde", "Sagsområde"]]), 1, None)
            .unwrap_err()
            .error
            .contains("no rows"));
        let mut many = rec(&[&["Fagområde", "Sagsområde"]]);
        many.extend((0..=MAX_ROWS).map(|i| vec!["A".to_string(), format!("S{i}")]));
        assert!(parse(&many, 1, None).unwrap_err().error.contains("at most"));
    }

    #[test]
    fn plan_matches_existing_columns_and_sagsomraader() {
        let existing = vec![Column {
            id: "borgerservice".into(),
            label: "Borgerservice".into(),
            sagsomraader: vec![Sagsomraade {
                id: "32-18-hjaelp".into(),
                label: "Hjælp".into(),
                kle: "32.18".into(),
            }],
        }];
        let row = |f: &str, s: &str, k: &str| ScreeningRow {
            row: 0,
            fagomraade: f.into(),
            sagsomraade: s.into(),
            kle: k.into(),
            anvendes: None,
        };
        let p = plan(
            &existing,
            &[
                row("borgerSERVICE", "hjælp", "32.18"),
                row("Borgerservice", "Hjælp", "32.19"),
                row("Teknik og Miljø", "Byg", ""),
                row("Teknik og miljø", "byg", ""),
                row("Ny", "Hjælp", "32.19"),
            ],
        );
        assert_eq!(p.matched, 1);
        assert_eq!(
            p.new_columns,
            [
                (
                    "teknik-og-miljoe".to_string(),
                    "Teknik og Miljø".to_string()
                ),
                ("ny".into(), "Ny".into())
            ]
        );
        assert_eq!(
            p.targets,
            [
                "32-18-hjaelp",
                "32-19-hjaelp",
                "byg",
                "byg",
                "32-19-hjaelp-2"
            ]
        );
        assert_eq!(p.new_sagsomraader.len(), 3);
        assert_eq!(p.new_sagsomraader[2].column_id, "ny");
    }

    #[test]
    fn writing_into_documents() {
        let templates = crate::Templates::built_in().unwrap();
        let (control, wall) = (Doc::new(), Doc::new());
        schema::init_control(&control, "T", templates.get("kmd-sag-exit-as-is").unwrap());
        let rows = parse(
            &rec(&[
                &["Fagområde", "Sagsområde", "KLE", "Anvendes KMD Sag"],
                &["Borgerservice", "Hjælp", "32.18", "ja"],
                &["Nyt", "X", "", ""],
            ]),
            1,
            None,
        )
        .unwrap();
        let plan = write_structure(&mut control.transact_mut(), &rows);
        assert_eq!(
            write_answers(
                &mut wall.transact_mut(),
                "asis-1.anvendes",
                &rows,
                &plan.targets
            ),
            1
        );
        let cols = columns(&control.transact());
        assert_eq!(
            cols[0].sagsomraader,
            [Sagsomraade {
                id: "32-18-hjaelp".into(),
                label: "Hjælp".into(),
                kle: "32.18".into()
            }]
        );
        assert_eq!(cols.last().unwrap().id, "nyt");
        let input = crate::analysis::read(&wall, &control);
        let sheet = crate::analysis::sheet(&input);
        assert_eq!(sheet.rows.len(), 2);
        assert_eq!(
            sheet.rows[0].answers.get("asis-1.anvendes"),
            Some(&Value::from("ja"))
        );
        // Importing the same list again adds nothing.
        let again = write_structure(&mut control.transact_mut(), &rows);
        assert!(again.new_columns.is_empty() && again.new_sagsomraader.is_empty());
        assert_eq!(again.matched, 2);
    }
}
