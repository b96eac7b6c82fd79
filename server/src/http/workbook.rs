//! The XLSX documentation sheet: the workbook `/export.xlsx` answers.
//!
//! - `Dokumentationsark`: one row per sagsområde, in the columns of `Sheet::layout` (fagområde,
//!   sagsområde, KLE, each question's answers and cards, then brugerantal, omfang af
//!   oprydningsarbejde, prioritet, I analysen, and the facilitator's comments; cards and comments
//!   one per line in wrapped cells, see `kortvaeg_shared::cells`); bold frozen header,
//!   autofilter, dropdowns for the closed answers. I analysen, brugerantal (unless set by hand)
//!   and omfang are real Excel formulas over the row's cells and the thresholds on
//!   `Prioritering`, so a municipality can change an answer or a threshold in Excel and see the
//!   result; each formula also carries the value the server computed, for readers that do not
//!   recalculate. Prioritet is a value (an order over all rows is not a cell formula).
//! - `Kort`: the card sheet (`sheet::card_rows`).
//! - `Prioritering`: the room's thresholds, referenced by the formulas.
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

use kortvaeg_shared::analysis::{self, role, Settings, Sheet, SheetRow};
use kortvaeg_shared::api::WallView;
use kortvaeg_shared::cells::Holds;
use kortvaeg_shared::sheet;

/// Where the formulas find the thresholds (sheet `Prioritering`, column B).
const FAA_MAX: &str = "Prioritering!$B$2";
const MELLEM_MAX: &str = "Prioritering!$B$3";
const LET_MAX: &str = "Prioritering!$B$4";
const MODERAT_MAX: &str = "Prioritering!$B$5";

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
pub fn workbook(view: &WallView, doc: &Sheet, title: &str) -> Result<Vec<u8>, XlsxError> {
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
    book.save_to_buffer()
}

/// The dropdown values of an answer kind.
fn choices(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "ja_nej" => Some(&["ja", "nej"]),
        "lav_middel_hoej" => Some(&["lav", "middel", "høj"]),
        "brugsmoenster" => Some(&["0", "A", "B", "C", "D", "E"]),
        "loesningsscenarie" => Some(&["1", "2", "3", "4"]),
        _ => None,
    }
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
    let cols = Cols {
        anvendes: col_of(role::ANVENDES),
        sagsbehandlere: col_of(role::SAGSBEHANDLERE),
        kompleksitet: col_of(role::KOMPLEKSITET),
        brugerantal: derived[0],
        omfang: derived[1],
        prioritet: derived[2],
        i_analysen: derived[3],
    };
    let kinds: Vec<Option<&str>> = doc
        .layout
        .iter()
        .map(|c| {
            let key = c.key.as_ref()?;
            Some(doc.columns.iter().find(|a| &a.key == key)?.kind.as_str())
        })
        .collect();
    // Cards and comments: one line each, wrapped.
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    for (i, row) in doc.rows.iter().enumerate() {
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
                        v if kinds[c] == Some("loesningsscenarie") => {
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
    }
    let n = doc.rows.len() as u32;
    if n > 0 {
        let list = |values: &[&str]| DataValidation::new().allow_list_strings(values);
        for (c, kind) in kinds.iter().enumerate() {
            if let Some(values) = kind.and_then(choices) {
                let c = c as u16;
                ws.add_data_validation(1, c, n, c, &list(values)?)?;
            }
        }
        ws.add_data_validation(
            1,
            cols.brugerantal,
            n,
            cols.brugerantal,
            &list(&["få", "mellem", "mange"])?,
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
    Ok(())
}

/// Columns the derived cells refer to.
struct Cols {
    anvendes: Option<u16>,
    sagsbehandlere: Option<u16>,
    kompleksitet: Option<u16>,
    brugerantal: u16,
    omfang: u16,
    prioritet: u16,
    i_analysen: u16,
}

/// Brugerantal, omfang, prioritet and I analysen of row `r` (0-based): formulas where the
/// inputs are on the sheet, each with the server's value as its cached result.
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
            "MATCH({},{{\"lav\",\"middel\",\"høj\"}},0)*MATCH({},{{\"få\",\"mellem\",\"mange\"}},0)",
            cell(k),
            cell(cols.brugerantal)
        );
        let f = format!(
            "=IFERROR(IF({ia}=\"nej\",\"\",IF({point}<={LET_MAX},\"1 Let\",IF({point}<={MODERAT_MAX},\"2 Moderat\",\"3 Stort\"))),\"\")"
        );
        ws.write_formula(r, cols.omfang, Formula::new(f).set_result(omfang))?;
    } else if !omfang.is_empty() {
        ws.write_string(r, cols.omfang, omfang)?;
    }
    if let Some(p) = row.prioritet {
        ws.write_number(r, cols.prioritet, p as f64)?;
    }
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
