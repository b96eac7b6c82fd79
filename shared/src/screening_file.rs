//! A screening list file, CSV or XLSX, read into rows of cells, within limits: what
//! [`crate::screening::parse`] then reads as a list. The bytes come from anyone holding a
//! facilitator token, so every reader here bounds what it builds by the limits below, whatever
//! the file declares; a file past them is refused with a [`FileError`], never read in part.
//!
//! The server maps [`FileError`] to its HTTP answers (`400`, `413`); the fuzz target
//! `screening_file` drives the same functions.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use crate::screening::{self, Problem, Rejected};

/// Largest file accepted (the body of the import request).
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// Most bytes the parts of an uploaded XLSX may inflate to, together. A real screening list of
/// 5000 rows is a few MiB; a zip bomb of 5 MiB could inflate to gigabytes.
pub const MAX_INFLATED: u64 = 64 * 1024 * 1024;

/// Columns a screening list may spread over (it needs four).
pub const MAX_COLUMNS: u32 = 64;

/// Why a file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// Not a CSV or workbook that can be read, or past a limit on its shape (`400`).
    #[error("{0}")]
    Unreadable(String),
    /// Past a limit on its size (`413`).
    #[error("{0}")]
    TooLarge(String),
    /// A CSV line that cannot be read, with its row number (`400` with the problem).
    #[error("{}", .0.error)]
    Rejected(Rejected),
}

/// How a file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// XLSX when the content type says so or the bytes are a zip archive (`PK\x03\x04`), CSV
    /// otherwise.
    pub fn sniff(content_type: &str, bytes: &[u8]) -> Format {
        if bytes.starts_with(b"PK\x03\x04")
            || content_type.contains("spreadsheetml")
            || content_type.contains("ms-excel")
        {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

/// A file's cells, line by line, as [`screening::parse`] takes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub records: Vec<Vec<String>>,
    /// The file's row number of `records[0]` (1 for a CSV; a sheet may start lower down).
    pub first_row: usize,
}

/// Reads `bytes` as `format`. An XLSX inflates and parses XML: call it off the async runtime.
pub fn read(format: Format, bytes: &[u8]) -> Result<Table, FileError> {
    match format {
        Format::Csv => Ok(Table {
            records: csv_records(bytes)?,
            first_row: 1,
        }),
        Format::Xlsx => xlsx_records(bytes),
    }
}

/// CSV records: UTF-8 (a BOM is dropped), separated by `;` (Danish Excel), `,` or tab, whichever
/// the first line has most of.
pub fn csv_records(bytes: &[u8]) -> Result<Vec<Vec<String>>, FileError> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        FileError::Unreadable(format!(
            "the CSV is not UTF-8 ({e}); in Excel save it as \"CSV UTF-8\", or send the XLSX file"
        ))
    })?;
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let count = |c: char| first.matches(c).count();
    let delimiter = [b';', b',', b'\t']
        .into_iter()
        .max_by_key(|d| (count(*d as char), *d == b';'))
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    reader
        .records()
        .enumerate()
        .map(|(i, r)| match r {
            Ok(record) => Ok(record.iter().map(str::to_string).collect()),
            Err(e) => Err(FileError::Rejected(Rejected {
                error: format!("the CSV cannot be read: {e}"),
                problems: vec![Problem {
                    row: i + 1,
                    problem: e.to_string(),
                }],
            })),
        })
        .collect()
}

fn unreadable(e: &dyn std::fmt::Display) -> FileError {
    FileError::Unreadable(format!("not a readable XLSX workbook: {e}"))
}

/// Inflates every part of the archive into nothing, counting, and refuses the workbook past
/// [`MAX_INFLATED`]. The sizes an archive declares can lie; the bytes inflated cannot.
pub fn check_inflated_size(bytes: &[u8]) -> Result<(), FileError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).map_err(|e| unreadable(&e))?;
        let allowed = MAX_INFLATED - total;
        let n = std::io::copy(&mut (&mut part).take(allowed + 1), &mut std::io::sink())
            .map_err(|e| unreadable(&e))?;
        total += n;
        if total > MAX_INFLATED {
            return Err(FileError::TooLarge(format!(
                "the workbook unpacks to more than {} MiB",
                MAX_INFLATED / (1024 * 1024)
            )));
        }
    }
    Ok(())
}

/// The cells of the workbook's first sheet as text, and the row number of the first of them.
///
/// Read cell by cell, never as one dense range: a sheet with one cell in A1 and one in XFD1048576
/// is a few kilobytes, but as a range it is 17 billion cells. Cells past the row limit (the
/// header plus [`screening::MAX_ROWS`] rows after the first filled row) or past [`MAX_COLUMNS`]
/// columns are refused before anything big is built; empty cells (formatting only) do not count.
pub fn xlsx_records(bytes: &[u8]) -> Result<Table, FileError> {
    use calamine::{DataRef, Reader, Xlsx};
    check_inflated_size(bytes)?;
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let Some(name) = book.sheet_names().first().cloned() else {
        return Err(FileError::Unreadable("the workbook has no sheet".into()));
    };
    let mut reader = book
        .worksheet_cells_reader(&name)
        .map_err(|e| unreadable(&e))?;
    let mut rows: BTreeMap<u32, BTreeMap<u32, String>> = BTreeMap::new();
    let mut first: Option<(u32, u32)> = None;
    while let Some(cell) = reader.next_cell().map_err(|e| unreadable(&e))? {
        let text = match cell.get_value() {
            DataRef::Empty => continue,
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
            DataRef::SharedString(s) => s.to_string(),
            DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            DataRef::Float(f) => f.to_string(),
            DataRef::Int(i) => i.to_string(),
            DataRef::Bool(b) => if *b { "ja" } else { "nej" }.to_string(),
            DataRef::DateTime(d) => d.to_string(),
            DataRef::Error(e) => e.to_string(),
        };
        let (row, col) = cell.get_position();
        let (first_row, first_col) = *first.get_or_insert((row, col));
        let first_col = first_col.min(col);
        first = Some((first_row.min(row), first_col));
        if row.saturating_sub(first_row) as usize > screening::MAX_ROWS {
            return Err(FileError::Unreadable(format!(
                "the sheet has cells in row {}, more than {} rows below its first; at most {} rows can be imported at once",
                row + 1,
                screening::MAX_ROWS,
                screening::MAX_ROWS
            )));
        }
        if col >= first_col + MAX_COLUMNS {
            return Err(FileError::Unreadable(format!(
                "the sheet has cells in column {}, more than {MAX_COLUMNS} columns from its first",
                col + 1
            )));
        }
        rows.entry(row).or_default().insert(col, text);
    }
    let Some((first_row, first_col)) = first else {
        return Ok(Table {
            records: Vec::new(),
            first_row: 1,
        });
    };
    let last_row = rows.keys().next_back().copied().unwrap_or(first_row);
    let last_col = rows
        .values()
        .filter_map(|r| r.keys().next_back().copied())
        .max()
        .unwrap_or(first_col);
    if last_col - first_col >= MAX_COLUMNS {
        return Err(FileError::Unreadable(format!(
            "the sheet has cells in column {}, more than {MAX_COLUMNS} columns from its first",
            last_col + 1
        )));
    }
    let records = (first_row..=last_row)
        .map(|r| {
            let cells = rows.get(&r);
            (first_col..=last_col)
                .map(|c| {
                    cells
                        .and_then(|cells| cells.get(&c))
                        .cloned()
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    Ok(Table {
        records,
        first_row: first_row as usize + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(Format::sniff("text/csv", b"a,b"), Format::Csv);
        assert_eq!(Format::sniff("", b"PK\x03\x04..."), Format::Xlsx);
        assert_eq!(
            Format::sniff(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                b"a"
            ),
            Format::Xlsx
        );
    }

    #[test]
    fn csv_delimiters_and_bom() {
        let t = read(Format::Csv, "\u{feff}a;b,c\n1;2,3\n".as_bytes()).unwrap();
        assert_eq!(t.records, [["a", "b,c"], ["1", "2,3"]]);
        assert_eq!(t.first_row, 1);
        let t = read(Format::Csv, b"a\tb\n").unwrap();
        assert_eq!(t.records, [["a", "b"]]);
        assert!(matches!(
            read(Format::Csv, b"\xe5"),
            Err(FileError::Unreadable(_))
        ));
    }

    /// A one-sheet workbook with `sheet_data` inside `<worksheet>`.
    fn workbook(sheet_data: &str) -> Vec<u8> {
        use std::io::Write;
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
        let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
        let pkg = "http://schemas.openxmlformats.org/package/2006/relationships";
        let parts = [
            (
                "[Content_Types].xml",
                r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string(),
            ),
            (
                "_rels/.rels",
                format!(
                    r#"<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
                ),
            ),
            (
                "xl/workbook.xml",
                format!(
                    r#"<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="Ark1" sheetId="1" r:id="rId1"/></sheets></workbook>"#
                ),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                format!(
                    r#"<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
                ),
            ),
            (
                "xl/worksheets/sheet1.xml",
                format!(r#"<worksheet xmlns="{main}">{sheet_data}</worksheet>"#),
            ),
        ];
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, text) in parts {
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn a_workbook_reads_cell_by_cell() {
        let book = workbook(
            r#"<dimension ref="B2:C3"/><sheetData><row r="2"><c r="B2" t="inlineStr"><is><t>Fagområde</t></is></c><c r="C2" t="inlineStr"><is><t>Sagsområde</t></is></c></row><row r="3"><c r="C3"><v>32</v></c></row></sheetData>"#,
        );
        assert_eq!(
            read(Format::sniff("", &book), &book),
            Ok(Table {
                records: vec![
                    vec!["Fagområde".to_string(), "Sagsområde".to_string()],
                    vec![String::new(), "32".to_string()],
                ],
                first_row: 2
            })
        );
    }

    /// Found by the fuzz target `screening_file`: cell references with more letters or digits
    /// than a u32 holds, and a range that ends before it starts, overflowed in calamine 0.38.0
    /// (a panic with overflow checks, as in the tests; `vendor/calamine/KORTVAEG-PATCH.md`).
    #[test]
    fn references_past_a_u32_are_refused_not_a_panic() {
        for sheet in [
            r#"<dimension ref="Alection"/><sheetData/>"#,
            r#"<dimension ref="A1:AAAAAAAAAAAAAAAA1"/><sheetData/>"#,
            r#"<sheetData><row r="1"><c r="AAAAAAAAAAAAAAAA1"><v>1</v></c></row></sheetData>"#,
            r#"<sheetData><row r="99999999999"><c r="A99999999999"><v>1</v></c></row></sheetData>"#,
        ] {
            assert!(
                matches!(
                    read(Format::Xlsx, &workbook(sheet)),
                    Err(FileError::Unreadable(_))
                ),
                "{sheet}"
            );
        }
        let backwards = workbook(
            r#"<dimension ref="C3:A1"/><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>"#,
        );
        assert!(read(Format::Xlsx, &backwards).is_ok());
    }

    #[test]
    fn not_a_workbook() {
        assert!(matches!(
            read(Format::Xlsx, b"PK\x03\x04 not really a zip"),
            Err(FileError::Unreadable(e)) if e.starts_with("not a readable XLSX workbook")
        ));
    }
}
