//! The sheets as rows of strings, ready for CSV or XLSX: the card sheet (one row per card with the
//! question and fagområde labels resolved) and the documentation sheet (one row per sagsområde,
//! from [`crate::analysis`] and [`crate::cells`]). Values a spreadsheet would run as a formula are neutralised here,
//! once, for every output format.

use crate::analysis::Sheet;
use crate::api::WallView;

/// The documentation sheet's columns before the answers.
pub const DOC_NAME_HEADER: &[&str] = &["Fagområde", "Sagsområde", "KLE-nummer"];
/// The documentation sheet's columns after the answers: the derived values.
pub const DOC_DERIVED_HEADER: &[&str] = &[
    "Brugerantal",
    "Omfang af oprydningsarbejde",
    "Prioritet",
    "I analysen",
];

/// Header of the documentation sheet: its layout's headers ([`crate::cells::layout`]: names,
/// each question's answers and cards, derived values, comments). Neutralised like the rows: an
/// answer's header comes from the room's rows (round, number and label are the facilitator's
/// text), so it can start with `=` as well as any value can.
pub fn documentation_header(sheet: &Sheet) -> Vec<String> {
    sheet
        .layout
        .iter()
        .map(|c| neutralise(c.header.clone()))
        .collect()
}

/// One row per sagsområde, in wall order, with the cells as the sheet shows them (`ja`/`nej`,
/// `høj`, `få`, `2 Moderat`, a card per line), neutralised.
pub fn documentation_rows(sheet: &Sheet) -> Vec<Vec<String>> {
    sheet
        .rows
        .iter()
        .map(|row| row.cells.iter().cloned().map(neutralise).collect())
        .collect()
}

/// Header of the card sheet, in Danish as the municipality's documentation sheet.
pub const CARD_HEADER: &[&str] = &[
    "Spørgsmål nr.",
    "Spørgsmål",
    "Fagområde",
    "Sagsområde",
    "KLE-nummer",
    "Tekst",
    "Forfatter",
    "Gruppe",
    "Oprettet",
    "Kort-id",
];

/// One row per card, in wall order (rows of the template, then columns, then time).
pub fn card_rows(view: &WallView) -> Vec<Vec<String>> {
    let row_pos = |id: &str| {
        view.rows
            .iter()
            .position(|r| r.id == id)
            .unwrap_or(usize::MAX)
    };
    let col_pos = |id: &str| {
        view.columns
            .iter()
            .position(|c| c.id == id)
            .unwrap_or(usize::MAX)
    };
    let mut cards: Vec<_> = view.cards.iter().collect();
    cards.sort_by_key(|c| (row_pos(&c.row), col_pos(&c.column)));
    cards
        .into_iter()
        .map(|card| {
            let row = view.rows.iter().find(|r| r.id == card.row);
            let column = view.columns.iter().find(|c| c.id == card.column);
            let extra = |k: &str| match card.extra.get(k) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            let created = card
                .extra
                .get("created_at")
                .and_then(|v| v.as_f64())
                .and_then(|ms| rfc3339_from_ms(ms as i64))
                .unwrap_or_default();
            let number = row
                .and_then(|r| r.extra.get("number"))
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            vec![
                number,
                row.map(|r| r.label.clone())
                    .unwrap_or_else(|| card.row.clone()),
                column
                    .map(|c| c.label.clone())
                    .unwrap_or_else(|| card.column.clone()),
                extra("sagsomraade"),
                extra("kle"),
                card.text.clone(),
                extra("author"),
                extra("group"),
                created,
                card.id.clone(),
            ]
            .into_iter()
            .map(neutralise)
            .collect()
        })
        .collect()
}

/// Prefixes `'` to a value a spreadsheet could evaluate as a formula: one starting with `=`, `+`,
/// `-`, `@`, tab, CR or LF, a space (spreadsheets that trim cells on import would then see what
/// follows it), or the full-width `＝` `＋` `－` `＠` (U+FF1D, U+FF0B, U+FF0D, U+FF20), which some
/// spreadsheets and IMEs fold into their ASCII forms. The one neutraliser of every exported value
/// and header, CSV and XLSX alike.
pub fn neutralise(value: String) -> String {
    match value.chars().next() {
        Some(
            '=' | '+' | '-' | '@' | '\t' | '\r' | '\n' | ' ' | '\u{ff1d}' | '\u{ff0b}' | '\u{ff0d}'
            | '\u{ff20}',
        ) => {
            format!("'{value}")
        }
        _ => value,
    }
}

/// Milliseconds since the epoch as RFC 3339 UTC (seconds precision).
fn rfc3339_from_ms(ms: i64) -> Option<String> {
    if ms < 0 {
        return None;
    }
    let t = chrono::DateTime::from_timestamp_millis(ms)?;
    Some(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for v in [
            "=1+1", "+45", "-3", "@SUM(A1)", "\tx", "\rx", "\nx", " =1+1", "＝1", "＋1", "－1",
            "＠A1",
        ] {
            assert_eq!(neutralise(v.to_string()), format!("'{v}"));
        }
        assert_eq!(neutralise("Ja".into()), "Ja");
        assert_eq!(
            neutralise("1 = 1".into()),
            "1 = 1",
            "only the first character counts"
        );
        assert_eq!(neutralise(String::new()), "");
    }

    #[test]
    fn epoch_ms_formats_as_rfc3339() {
        assert_eq!(rfc3339_from_ms(0).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_from_ms(1_795_000_000_000).unwrap(),
            "2026-11-18T11:06:40Z"
        );
        assert_eq!(rfc3339_from_ms(-1), None);
    }
}
