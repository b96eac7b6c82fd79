//! A real spreadsheet engine for the XLSX tests: LibreOffice Calc, headless.
//!
//! Reading an export with calamine gives the cached results the server wrote, which says nothing
//! about the formulas. [`recalculate`] instead has LibreOffice open the workbook, recalculate every
//! formula (its default for XLSX files is to trust the cached results: the throw-away profile says
//! "always recalculate"), and save the first sheet as CSV. [`with_cells`] edits input cells in
//! the file first, the way a municipality would change an answer in Excel.
//!
//! `scripts/test` installs LibreOffice (`libreoffice-calc-nogui`); without it these helpers fail
//! with a message that says so rather than letting a test pass unchecked.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The LibreOffice executable: `$KORTVAEG_SOFFICE`, else `soffice` on the `PATH`.
fn soffice() -> PathBuf {
    if let Some(path) = std::env::var_os("KORTVAEG_SOFFICE") {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("soffice"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "LibreOffice (`soffice`) is not installed, and the XLSX formula tests need it to \
                 recalculate the workbook: run scripts/test (it installs the Debian package \
                 libreoffice-calc-nogui), or `apt-get install libreoffice-calc-nogui`, or set \
                 KORTVAEG_SOFFICE to the executable"
            )
        })
}

/// The profile setting that makes Calc recalculate an XLSX on load instead of showing the
/// cached results (`0` always, `1` never — the default —, `2` ask).
const RECALC_ALWAYS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"#;

/// The first sheet of the XLSX `body` as LibreOffice computes it: every formula recalculated,
/// each cell as shown (CSV records, header row included).
pub async fn recalculate(body: &[u8]) -> Vec<Vec<String>> {
    let exe = soffice();
    let dir = tempfile::tempdir().expect("a temporary directory");
    // A profile of its own: the setting below, and no clash with another LibreOffice running.
    let profile = dir.path().join("profile");
    std::fs::create_dir_all(profile.join("user")).expect("profile directory");
    std::fs::write(
        profile.join("user/registrymodifications.xcu"),
        RECALC_ALWAYS,
    )
    .expect("profile settings");
    let input = dir.path().join("book.xlsx");
    std::fs::write(&input, body).expect("writing the workbook");
    let mut cmd = tokio::process::Command::new(&exe);
    cmd.arg(format!("-env:UserInstallation={}", file_url(&profile)))
        .args(["--headless", "--norestore", "--nologo", "--convert-to"])
        // Comma, double quotes, UTF-8, from line 1; the first sheet.
        .arg("csv:Text - txt - csv (StarCalc):44,34,76,1")
        .arg("--outdir")
        .arg(dir.path())
        .arg(&input)
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(180), cmd.output())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{} did not finish converting within 3 minutes",
                exe.display()
            )
        })
        .unwrap_or_else(|e| panic!("running {}: {e}", exe.display()));
    let csv = dir.path().join("book.csv");
    let text = std::fs::read(&csv).unwrap_or_else(|e| {
        panic!(
            "{} wrote no {} ({e}); status {}, stdout {:?}, stderr {:?}",
            exe.display(),
            csv.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    crate::parse_csv(&text)
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The XLSX `body` with the cells of one sheet part (e.g. `xl/worksheets/sheet1.xml`) set to
/// texts: `cells` as `("B6", "let")`. Each cell must exist (have a value) already; it keeps its
/// place and loses its style. The cached results of the formulas stay as they were: only a
/// recalculation shows what the edit does.
pub fn with_cells(body: &[u8], part: &str, cells: &[(&str, &str)]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(body.to_vec()))
        .expect("an XLSX file is a zip archive");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut found = false;
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("a zip entry");
        let name = file.name().expect("a zip entry name").to_string();
        let mut data = Vec::new();
        file.read_to_end(&mut data).expect("reading a zip entry");
        if name == part {
            found = true;
            let mut xml = String::from_utf8(data).expect("the sheet is UTF-8 XML");
            for (cell, value) in cells {
                xml = set_cell(&xml, cell, value)
                    .unwrap_or_else(|| panic!("no cell {cell} with a value in {part}"));
            }
            data = xml.into_bytes();
        }
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        out.start_file(name, options).expect("a zip entry");
        out.write_all(&data).expect("writing a zip entry");
    }
    assert!(found, "no part {part} in the XLSX");
    out.finish().expect("the zip archive").into_inner()
}

/// `xml` with the element of cell `cell` (`<c r="B6" …>…</c>`) replaced by an inline text.
fn set_cell(xml: &str, cell: &str, value: &str) -> Option<String> {
    let start = xml.find(&format!("<c r=\"{cell}\""))?;
    // A cell without a value is `<c … />`, and the next `</c>` would be a later cell's.
    let tag_end = xml[start..].find('>')?;
    if xml[start..start + tag_end].ends_with('/') {
        return None;
    }
    let len = xml[start..].find("</c>")? + "</c>".len();
    let escaped = value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    Some(format!(
        "{}<c r=\"{cell}\" t=\"inlineStr\"><is><t>{escaped}</t></is></c>{}",
        &xml[..start],
        &xml[start + len..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_cell_replaces_exactly_one_cell() {
        let xml = r#"<row r="6"><c r="A6" t="s"><v>1</v></c><c r="B6" t="s"><v>2</v></c></row>"#;
        assert_eq!(
            set_cell(xml, "B6", "let").as_deref(),
            Some(
                r#"<row r="6"><c r="A6" t="s"><v>1</v></c><c r="B6" t="inlineStr"><is><t>let</t></is></c></row>"#
            )
        );
        assert_eq!(set_cell(xml, "C6", "x"), None);
        let empty = r#"<c r="B6" s="1"/><c r="C6" t="s"><v>2</v></c>"#;
        assert_eq!(
            set_cell(empty, "B6", "x"),
            None,
            "an empty cell is not edited"
        );
    }
}
