//! Reading what the server exports: CSV ([`parse_csv`]) and XLSX workbooks — a sheet's values
//! ([`parse_xlsx`], [`parse_xlsx_sheet`]), its formulas ([`xlsx_formulas`]), the sheet names and the
//! raw XML of one part ([`xlsx_part`]). Recalculating a workbook is [`crate::recalc`]'s.

use std::io::Read;

/// CSV records (UTF-8), header row included: comma-separated, or `;`-separated after a BOM.
pub fn parse_csv(body: &[u8]) -> Vec<Vec<String>> {
    // The server writes a BOM exactly when it separates with `;` (Danish Excel).
    let (body, delimiter) = match body.strip_prefix("\u{feff}".as_bytes()) {
        Some(rest) => (rest, b';'),
        None => (body, b','),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    reader
        .records()
        .map(|r| {
            r.unwrap_or_else(|e| panic!("bad CSV ({e}): {:?}", String::from_utf8_lossy(body)))
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// The card sheet (`Kort`, or the first sheet of a workbook without one) as strings (empty cells as "").
pub fn parse_xlsx(body: &[u8]) -> Vec<Vec<String>> {
    let names = xlsx_sheet_names(body);
    let name = names
        .iter()
        .find(|n| *n == "Kort")
        .or(names.first())
        .expect("the workbook has a sheet")
        .clone();
    parse_xlsx_sheet(body, &name)
}

fn open_xlsx(body: &[u8]) -> calamine::Xlsx<std::io::Cursor<Vec<u8>>> {
    calamine::open_workbook_from_rs(std::io::Cursor::new(body.to_vec()))
        .unwrap_or_else(|e| panic!("not an XLSX workbook ({} bytes): {e}", body.len()))
}

/// The names of an XLSX workbook's sheets, in order.
pub fn xlsx_sheet_names(body: &[u8]) -> Vec<String> {
    use calamine::Reader;
    open_xlsx(body).sheet_names()
}

/// Sheet `name` of an XLSX workbook as strings (a formula cell as its cached value), from A1.
pub fn parse_xlsx_sheet(body: &[u8], name: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let range = open_xlsx(body)
        .worksheet_range(name)
        .unwrap_or_else(|e| panic!("reading sheet {name}: {e}"));
    range
        .rows()
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// The formulas of sheet `name` (without the leading `=`), `""` where a cell has none, from A1.
pub fn xlsx_formulas(body: &[u8], name: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let range = open_xlsx(body)
        .worksheet_formula(name)
        .unwrap_or_else(|e| panic!("formulas of sheet {name}: {e}"));
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let (r1, c1) = range.end().unwrap_or((0, 0));
    if range.is_empty() {
        return Vec::new();
    }
    (0..=r1)
        .map(|r| {
            (0..=c1)
                .map(|c| {
                    if r < r0 || c < c0 {
                        return String::new();
                    }
                    range.get_value((r, c)).cloned().unwrap_or_default()
                })
                .collect()
        })
        .collect()
}

/// One part of an XLSX file (a zip archive) as text, e.g. `xl/worksheets/sheet1.xml`.
pub fn xlsx_part(body: &[u8], path: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(body.to_vec()))
        .expect("an XLSX file is a zip archive");
    let mut file = archive
        .by_name(path)
        .unwrap_or_else(|e| panic!("no {path} in the XLSX: {e}"));
    let mut text = String::new();
    file.read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("reading {path}: {e}"));
    text
}
