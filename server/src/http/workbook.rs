//! The XLSX documentation sheet: the workbook `/export.xlsx` answers.
//!
//! - `Dokumentationsark`: one row per sagsområde, in the columns of `Sheet::layout` (fagområde,
//!   sagsområde, KLE, each question's answers and cards, then brugerantal, omfang af
//!   oprydningsarbejde, prioritet, I analysen, and the facilitator's comments; cards and comments
//!   one per line in wrapped cells, see `kortvaeg_shared::cells`), and last a hidden helper
//!   column `Prioritetsnøgle`; bold frozen header, autofilter (without the helper column),
//!   dropdowns for the closed answers. I analysen, brugerantal (unless set by hand), omfang and
//!   prioritet are real Excel formulas over the row's cells and the settings on `Prioritering`,
//!   so a municipality can change an answer or a setting in Excel and see the result; each
//!   formula also carries the value the server computed, for readers that do not recalculate.
//! - Prioritet is an order over all rows, computed with Excel 2010 functions only (no dynamic
//!   arrays, `LET` or `SORTBY`) in two steps. The helper column holds each row's key:
//!   empty out of the analysis, else `10^7 × group + ROW()`, where the group (0–7) is what
//!   `analysis::priority_group` computes — 0 for forretningskritisk `ja`, else 4, plus the
//!   omfang's place in the order `Prioritering!B6` (`omfang_foerst`) gives, 3 when there is no
//!   omfang. The row number makes every key unique and breaks ties in the sheet's row order (the
//!   wall's), so Prioritet is simply how many keys are at most the row's own:
//!   `COUNTIF($K$2:$K$n,"<="&K2)`, the same absolute range on every row (a range grown row by
//!   row, `$K$2:K1`, is not empty on the first row). COUNTIF ignores the empty keys, so rows out
//!   of the analysis take no place. Without a forretningskritisk answer in the room every row is
//!   in the second half; without a kompleksitet answer no row has an omfang: as the server ranks.
//!   The helper column's position comes from the header's length, never a fixed letter.
//! - `Kort`: the card sheet (`sheet::card_rows`).
//! - `Prioritering`: the room's thresholds, referenced by the formulas.
//! - `Sammenligning` (only with `?compare=`): the two sides named in rows 1–2, then from row 4
//!   the differences as `sheet::compare_rows` lists them (bold frozen header, autofilter).
//!
//! Everything written as text goes through `sheet::neutralise` (in the shared rows and headers);
//! only our own formulas are formulas. Every text that comes from the room (header cells included)
//! is written by [`text`], which cuts a text over Excel's cell limit, so no content can make the
//! export fail.

use std::borrow::Cow;

use rust_xlsxwriter::{
    column_number_to_name, DataValidation, Format, FormatAlign, Formula, Workbook, Worksheet,
    XlsxError,
};
use serde_json::Value;

use kortvaeg_shared::analysis::{self, role, Brugerantal, Settings, Sheet, SheetRow};
use kortvaeg_shared::answer::AnswerKind;
use kortvaeg_shared::api::WallView;
use kortvaeg_shared::cells::Holds;
use kortvaeg_shared::compare::CompareView;
use kortvaeg_shared::sheet;

/// Where the formulas find the thresholds (sheet `Prioritering`, column B).
const FAA_MAX: &str = "Prioritering!$B$2";
const MELLEM_MAX: &str = "Prioritering!$B$3";
const LET_MAX: &str = "Prioritering!$B$4";
const MODERAT_MAX: &str = "Prioritering!$B$5";
/// `omfang_foerst`: `let` puts the smallest omfang first, anything else the biggest.
const OMFANG_FOERST: &str = "Prioritering!$B$6";

/// The header of the hidden helper column the priority formula counts in.
const PRIORITY_KEY_HEADER: &str = "Prioritetsnøgle";
/// A priority key is `KEY_SPAN` × group + row number: more than Excel's 1,048,576 rows, so the
/// row never reaches the next group, and a power of ten, so a key reads as group, then row.
const KEY_SPAN: u32 = 10_000_000;
// Groups are 0–7: the largest key fits a `u32` and is exact in Excel's doubles.
const _: () = assert!(KEY_SPAN > 1_048_576 && (KEY_SPAN as u64) * 8 < u32::MAX as u64);

/// Excel's limit on the text of one cell, counted as Excel (and rust_xlsxwriter, which refuses a
/// longer string) counts it: in UTF-16 code units, so a character outside the BMP counts twice.
const CELL_MAX: usize = 32_767;

/// `value` as it fits in one cell: whole when it can, else its beginning and a marker saying how
/// long it was and where the whole text is (the CSV export keeps every character), within
/// [`CELL_MAX`] marker included. Cut between characters, never inside one.
fn fit_cell(value: &str) -> Cow<'_, str> {
    // A character takes at least as many UTF-8 bytes as UTF-16 units, so most texts stop here.
    if value.len() <= CELL_MAX || value.encode_utf16().count() <= CELL_MAX {
        return Cow::Borrowed(value);
    }
    let marker = format!(
        "… [afkortet: {} tegn i alt; hele teksten i CSV-eksporten]",
        value.chars().count()
    );
    let budget = CELL_MAX - marker.encode_utf16().count();
    let (mut units, mut end) = (0, 0);
    for (i, c) in value.char_indices() {
        units += c.len_utf16();
        if units > budget {
            break;
        }
        end = i + c.len_utf8();
    }
    Cow::Owned(format!("{}{marker}", &value[..end]))
}

/// Writes a text cell, cut to fit (see [`fit_cell`]): the one way this module writes the room's text.
fn text(
    ws: &mut Worksheet,
    r: u32,
    c: u16,
    value: &str,
    format: Option<&Format>,
) -> Result<(), XlsxError> {
    let value = fit_cell(value);
    match format {
        Some(f) => ws.write_string_with_format(r, c, value, f)?,
        None => ws.write_string(r, c, value)?,
    };
    Ok(())
}

/// The whole workbook.
pub fn workbook(
    view: &WallView,
    doc: &Sheet,
    comparison: Option<&CompareView>,
    title: &str,
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_title(title));
    let header = Format::new().set_bold().set_text_wrap();
    documentation(
        book.add_worksheet().set_name("Dokumentationsark")?,
        doc,
        &header,
    )?;
    cards(book.add_worksheet().set_name("Kort")?, view)?;
    settings(
        book.add_worksheet().set_name("Prioritering")?,
        &doc.settings,
    )?;
    if let Some(comparison) = comparison {
        compared(book.add_worksheet().set_name("Sammenligning")?, comparison)?;
    }
    book.save_to_buffer()
}

/// `Sammenligning`: `Fra` and `Til` in rows 1–2, the header in row 4, the differences below.
fn compared(ws: &mut Worksheet, view: &CompareView) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    for (r, (what, side)) in [("Fra", &view.from), ("Til", &view.to)]
        .into_iter()
        .enumerate()
    {
        text(ws, r as u32, 0, what, Some(&bold))?;
        text(ws, r as u32, 1, &sheet::side_label(side), None)?;
    }
    const HEAD: u32 = 3;
    for (col, name) in sheet::COMPARE_HEADER.iter().enumerate() {
        text(ws, HEAD, col as u16, name, Some(&bold))?;
    }
    let rows = sheet::compare_rows(view);
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            text(ws, HEAD + 1 + r as u32, c as u16, value, Some(&wrap))?;
        }
    }
    ws.set_freeze_panes(HEAD + 1, 0)?;
    ws.autofilter(
        HEAD,
        0,
        HEAD + rows.len() as u32,
        sheet::COMPARE_HEADER.len() as u16 - 1,
    )?;
    for (col, width) in [
        (0, 16),
        (1, 40),
        (2, 18),
        (3, 24),
        (4, 14),
        (5, 50),
        (6, 50),
    ] {
        ws.set_column_width(col, width)?;
    }
    Ok(())
}

/// The dropdown values of an answer kind: its closed list as the sheet shows it (`høj`); none
/// for an open kind.
fn choices(kind: AnswerKind) -> Option<Vec<&'static str>> {
    kind.is_closed().then(|| kind.labels().collect())
}

/// A closed list as an array constant of a formula: `{"lav","middel","høj"}`.
fn array_constant<'a>(labels: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = labels.map(|l| format!("\"{l}\"")).collect();
    format!("{{{}}}", quoted.join(","))
}

fn documentation(ws: &mut Worksheet, doc: &Sheet, header: &Format) -> Result<(), XlsxError> {
    // An empty result is an empty text (Excel's own for `""`), not the default 0.
    ws.set_formula_result_default("");
    let head = sheet::documentation_header(doc);
    for (c, name) in head.iter().enumerate() {
        text(ws, 0, c as u16, name, Some(header))?;
    }
    // Where each column of the layout is: the answers by key, the derived values in order.
    let at = |holds: Holds| {
        doc.layout
            .iter()
            .enumerate()
            .filter(move |(_, c)| c.holds == holds)
            .map(|(i, _)| i as u16)
    };
    let col_of = |r: &str| {
        let key = &doc.column_for(r)?.key;
        doc.layout
            .iter()
            .position(|c| c.key.as_ref() == Some(key))
            .map(|i| i as u16)
    };
    let derived: Vec<u16> = at(Holds::Derived).collect();
    // After every other column, wherever those are: outside the autofilter, hidden.
    let priority_key = head.len() as u16;
    text(ws, 0, priority_key, PRIORITY_KEY_HEADER, Some(header))?;
    let cols = Cols {
        anvendes: col_of(role::ANVENDES),
        sagsbehandlere: col_of(role::SAGSBEHANDLERE),
        forretningskritisk: col_of(role::FORRETNINGSKRITISK),
        kompleksitet: col_of(role::KOMPLEKSITET),
        brugerantal: derived[0],
        omfang: derived[1],
        prioritet: derived[2],
        i_analysen: derived[3],
        priority_key,
        rows: doc.rows.len() as u32,
    };
    let kinds: Vec<Option<AnswerKind>> = doc
        .layout
        .iter()
        .map(|c| {
            let key = c.key.as_ref()?;
            Some(doc.columns.iter().find(|a| &a.key == key)?.kind)
        })
        .collect();
    // Cards and comments: one line each, wrapped.
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let rankable = analysis::rankables(&doc.rows, &doc.columns);
    for (i, (row, item)) in doc.rows.iter().zip(&rankable).enumerate() {
        let r = i as u32 + 1;
        for (c, column) in doc.layout.iter().enumerate() {
            let c16 = c as u16;
            let cell = row.cells.get(c).map(String::as_str).unwrap_or_default();
            match column.holds {
                Holds::Name => text(ws, r, c16, &sheet::neutralise(cell.to_string()), None)?,
                Holds::Answer => {
                    let Some(value) = column.key.as_ref().and_then(|k| row.answers.get(k)) else {
                        continue;
                    };
                    let number = match value {
                        Value::Number(n) => n.as_f64(),
                        // Excel's list dropdown stores 1–4 as numbers: write them the same way.
                        v if kinds[c] == Some(AnswerKind::Loesningsscenarie) => {
                            analysis::display(v).parse::<f64>().ok()
                        }
                        _ => None,
                    };
                    match number {
                        Some(n) => {
                            ws.write_number(r, c16, n)?;
                        }
                        None => text(ws, r, c16, &sheet::neutralise(cell.to_string()), None)?,
                    }
                }
                Holds::Votes => {
                    ws.write_number(r, c16, cell.parse::<f64>().unwrap_or(0.0))?;
                }
                Holds::AnswerAndCards | Holds::Cards | Holds::Comments if !cell.is_empty() => text(
                    ws,
                    r,
                    c16,
                    &sheet::neutralise(cell.to_string()),
                    Some(&wrap),
                )?,
                _ => {}
            }
        }
        derived_cells(ws, r, row, &cols)?;
        let group = analysis::priority_group(item, &doc.settings);
        priority_cells(ws, r, row.prioritet, group, &cols)?;
    }
    let n = doc.rows.len() as u32;
    if n > 0 {
        let list = |values: &[&str]| DataValidation::new().allow_list_strings(values);
        for (c, kind) in kinds.iter().enumerate() {
            if let Some(values) = kind.and_then(choices) {
                let c = c as u16;
                ws.add_data_validation(1, c, n, c, &list(&values)?)?;
            }
        }
        ws.add_data_validation(
            1,
            cols.brugerantal,
            n,
            cols.brugerantal,
            &list(&Brugerantal::ALL.map(Brugerantal::label))?,
        )?;
    }
    let last = head.len() as u16 - 1;
    ws.set_freeze_panes(1, 2)?;
    ws.autofilter(0, 0, n, last)?;
    ws.set_row_height(0, 60)?;
    ws.set_column_width(0, 20)?;
    ws.set_column_width(1, 30)?;
    for (c, column) in doc
        .layout
        .iter()
        .enumerate()
        .skip(sheet::DOC_NAME_HEADER.len())
    {
        let width = match column.holds {
            Holds::AnswerAndCards | Holds::Cards | Holds::Comments => 40,
            _ => 16,
        };
        ws.set_column_width(c as u16, width)?;
    }
    ws.set_column_hidden(priority_key)?;
    Ok(())
}

/// Columns the derived cells refer to (0-based; `None`: the room has no such answer).
struct Cols {
    anvendes: Option<u16>,
    sagsbehandlere: Option<u16>,
    forretningskritisk: Option<u16>,
    kompleksitet: Option<u16>,
    brugerantal: u16,
    omfang: u16,
    prioritet: u16,
    i_analysen: u16,
    /// The hidden helper column of the priority formula, the sheet's last.
    priority_key: u16,
    /// The number of data rows (sheet rows 2 to `rows + 1`), the range the priority counts in.
    rows: u32,
}

/// Brugerantal, omfang and I analysen of row `r` (0-based): formulas where the inputs are on the
/// sheet, each with the server's value as its cached result.
fn derived_cells(ws: &mut Worksheet, r: u32, row: &SheetRow, cols: &Cols) -> Result<(), XlsxError> {
    let cell = |c: u16| format!("{}{}", column_number_to_name(c), r + 1);
    let in_analysis = if row.in_analysis { "ja" } else { "nej" };
    if let Some(a) = cols.anvendes {
        let f = format!("=IF({}=\"nej\",\"nej\",\"ja\")", cell(a));
        ws.write_formula(r, cols.i_analysen, Formula::new(f).set_result(in_analysis))?;
    } else {
        ws.write_string(r, cols.i_analysen, in_analysis)?;
    }
    let ia = cell(cols.i_analysen);
    let brugerantal = row.brugerantal.map(|b| b.label()).unwrap_or_default();
    match cols.sagsbehandlere {
        Some(s) if !row.brugerantal_hand => {
            let n = cell(s);
            let f = format!(
                "=IF(OR({ia}=\"nej\",NOT(ISNUMBER({n}))),\"\",IF({n}<={FAA_MAX},\"få\",IF({n}<={MELLEM_MAX},\"mellem\",\"mange\")))"
            );
            ws.write_formula(r, cols.brugerantal, Formula::new(f).set_result(brugerantal))?;
        }
        _ if !brugerantal.is_empty() => {
            ws.write_string(r, cols.brugerantal, brugerantal)?;
        }
        _ => {}
    }
    let omfang = row
        .omfang
        .map(|o| format!("{o} {}", analysis::omfang_label(o)))
        .unwrap_or_default();
    if let Some(k) = cols.kompleksitet {
        let point = format!(
            "MATCH({},{},0)*MATCH({},{},0)",
            cell(k),
            array_constant(AnswerKind::LavMiddelHoej.labels()),
            cell(cols.brugerantal),
            array_constant(Brugerantal::ALL.into_iter().map(Brugerantal::label)),
        );
        let f = format!(
            "=IFERROR(IF({ia}=\"nej\",\"\",IF({point}<={LET_MAX},\"1 Let\",IF({point}<={MODERAT_MAX},\"2 Moderat\",\"3 Stort\"))),\"\")"
        );
        ws.write_formula(r, cols.omfang, Formula::new(f).set_result(omfang))?;
    } else if !omfang.is_empty() {
        ws.write_string(r, cols.omfang, omfang)?;
    }
    Ok(())
}

/// The priority key of row `r` (0-based), in the helper column: empty out of the analysis, else
/// `KEY_SPAN` × the row's group + its row number, the group computed as
/// `analysis::priority_group` does: 0 for forretningskritisk `ja`, else 4; plus the omfang's
/// place (0–2, in the order `omfang_foerst` gives), or 3 when the omfang cell holds no level.
fn priority_key_formula(r: u32, cols: &Cols) -> String {
    let cell = |c: u16| format!("{}{}", column_number_to_name(c), r + 1);
    let ia = cell(cols.i_analysen);
    // Without a forretningskritisk answer in the room, no row is forretningskritisk.
    let critical = match cols.forretningskritisk {
        Some(f) => format!("IF(TRIM({})=\"ja\",0,4)", cell(f)),
        None => "4".to_string(),
    };
    let level = format!(
        "MATCH({},{{\"1 Let\",\"2 Moderat\",\"3 Stort\"}},0)",
        cell(cols.omfang)
    );
    format!(
        "=IF({ia}=\"nej\",\"\",{KEY_SPAN}*({critical}+IFERROR(IF(EXACT(TRIM({OMFANG_FOERST}),\"let\"),{level}-1,3-{level}),3))+ROW())"
    )
}

/// Prioritet of row `r` (0-based): empty out of the analysis, else how many keys are at most the
/// row's own. Keys are unique (the row number is in them), so this is the rank.
fn priority_formula(r: u32, cols: &Cols) -> String {
    let key_col = column_number_to_name(cols.priority_key);
    let key = format!("{key_col}{}", r + 1);
    format!(
        "=IF({key}=\"\",\"\",COUNTIF(${key_col}$2:${key_col}${},\"<=\"&{key}))",
        cols.rows + 1
    )
}

/// Prioritet and its key of row `r` (0-based) as formulas, with the server's values (`prioritet`,
/// and the key from `group`, `analysis::priority_group`) as their cached results.
fn priority_cells(
    ws: &mut Worksheet,
    r: u32,
    prioritet: Option<usize>,
    group: Option<u8>,
    cols: &Cols,
) -> Result<(), XlsxError> {
    let key = group
        .map(|g| (KEY_SPAN * u32::from(g) + r + 1).to_string())
        .unwrap_or_default();
    let f = Formula::new(priority_key_formula(r, cols)).set_result(key);
    ws.write_formula(r, cols.priority_key, f)?;
    let p = prioritet.map(|p| p.to_string()).unwrap_or_default();
    let f = Formula::new(priority_formula(r, cols)).set_result(p);
    ws.write_formula(r, cols.prioritet, f)?;
    Ok(())
}

fn cards(ws: &mut Worksheet, view: &WallView) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    for (col, name) in sheet::CARD_HEADER.iter().enumerate() {
        text(ws, 0, col as u16, name, Some(&bold))?;
    }
    let rows = sheet::card_rows(view);
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            text(ws, r as u32 + 1, c as u16, value, None)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, rows.len() as u32, sheet::CARD_HEADER.len() as u16 - 1)?;
    ws.set_column_width(1, 50)?;
    ws.set_column_width(5, 60)?;
    Ok(())
}

/// The thresholds, in column B at the rows the formulas name (`FAA_MAX` …).
fn settings(ws: &mut Worksheet, s: &Settings) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    for (c, name) in ["Indstilling", "Værdi", "Betydning"]
        .into_iter()
        .enumerate()
    {
        ws.write_string_with_format(0, c as u16, name, &bold)?;
    }
    let numbers = [
        (
            "faa_max",
            s.faa_max,
            "Brugerantal: højst så mange sagsbehandlere giver få",
        ),
        (
            "mellem_max",
            s.mellem_max,
            "Brugerantal: højst så mange giver mellem; flere giver mange",
        ),
        (
            "let_max",
            s.let_max,
            "Omfang: point højst dette giver 1 Let",
        ),
        (
            "moderat_max",
            s.moderat_max,
            "Omfang: point højst dette giver 2 Moderat; flere giver 3 Stort",
        ),
    ];
    for (i, (key, value, meaning)) in numbers.into_iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, key)?;
        ws.write_number(r, 1, value)?;
        ws.write_string(r, 2, meaning)?;
    }
    ws.write_string(5, 0, "omfang_foerst")?;
    ws.write_string(5, 1, s.omfang_foerst.as_str())?;
    ws.write_string(
        5,
        2,
        "Prioritet: forretningskritiske først, derefter største (stort) eller mindste (let) omfang først",
    )?;
    ws.write_string(
        7,
        0,
        "Omfang af oprydningsarbejde: point = kompleksitet (lav 1, middel 2, høj 3) × brugerantal (få 1, mellem 2, mange 3)",
    )?;
    ws.set_column_width(0, 16)?;
    ws.set_column_width(2, 80)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str) -> usize {
        s.encode_utf16().count()
    }

    fn cols(forretningskritisk: Option<u16>) -> Cols {
        Cols {
            anvendes: Some(3),
            sagsbehandlere: Some(4),
            forretningskritisk,
            kompleksitet: Some(6),
            brugerantal: 7,
            omfang: 8,
            prioritet: 9,
            i_analysen: 10,
            priority_key: 11,
            rows: 5,
        }
    }

    #[test]
    fn the_priority_key_reads_the_rows_own_cells_and_omfang_foerst() {
        assert_eq!(
            priority_key_formula(1, &cols(Some(5))),
            "=IF(K2=\"nej\",\"\",10000000*(IF(TRIM(F2)=\"ja\",0,4)\
             +IFERROR(IF(EXACT(TRIM(Prioritering!$B$6),\"let\"),\
             MATCH(I2,{\"1 Let\",\"2 Moderat\",\"3 Stort\"},0)-1,\
             3-MATCH(I2,{\"1 Let\",\"2 Moderat\",\"3 Stort\"},0)),3))+ROW())"
        );
        let without = priority_key_formula(4, &cols(None));
        assert!(
            without.starts_with("=IF(K5=\"nej\",\"\",10000000*(4+IFERROR("),
            "no forretningskritisk answer: every row in the second half: {without}"
        );
    }

    #[test]
    fn the_priority_counts_keys_over_all_data_rows() {
        // The same absolute range on the first and the last row: never `$L$2:L1`.
        assert_eq!(
            priority_formula(1, &cols(None)),
            "=IF(L2=\"\",\"\",COUNTIF($L$2:$L$6,\"<=\"&L2))"
        );
        assert_eq!(
            priority_formula(5, &cols(None)),
            "=IF(L6=\"\",\"\",COUNTIF($L$2:$L$6,\"<=\"&L6))"
        );
    }

    #[test]
    fn texts_that_fit_are_whole() {
        let full = "æ".repeat(CELL_MAX);
        assert!(matches!(fit_cell(&full), Cow::Borrowed(_)));
        assert_eq!(fit_cell("kort"), "kort");
    }

    #[test]
    fn long_texts_are_cut_with_a_marker_within_the_limit() {
        for (unit, n) in [("x", 40_000), ("æ", CELL_MAX + 1), ("😀", CELL_MAX / 2 + 1)] {
            let long = unit.repeat(n);
            let cut = fit_cell(&long);
            assert!(
                utf16(&cut) <= CELL_MAX,
                "{unit} × {n}: {} UTF-16 units",
                utf16(&cut)
            );
            assert!(
                utf16(&cut) > CELL_MAX - 2,
                "{unit} × {n}: cut more than needed: {}",
                utf16(&cut)
            );
            let marker = format!("… [afkortet: {n} tegn i alt; hele teksten i CSV-eksporten]");
            assert!(
                cut.ends_with(&marker),
                "{unit} × {n}: ends {:?}",
                &cut[cut.len() - 80..]
            );
            assert!(
                long.starts_with(cut.strip_suffix(&marker).unwrap()),
                "{unit} × {n}: the kept part is the beginning"
            );
        }
    }

    #[test]
    fn rust_xlsxwriter_takes_the_cut_text() {
        let mut book = Workbook::new();
        let ws = book.add_worksheet();
        assert!(
            ws.write_string(0, 0, "😀".repeat(CELL_MAX)).is_err(),
            "the limit is in UTF-16 units"
        );
        text(ws, 0, 0, &"😀".repeat(CELL_MAX), None).expect("cut to fit");
        book.save_to_buffer().expect("saves");
    }
}
