//! The sheets as rows of strings, ready for CSV or XLSX: the card sheet (one row per card with the
//! question and fagområde labels resolved) and the documentation sheet (one row per sagsområde,
//! from [`crate::analysis`] and [`crate::cells`]). Values a spreadsheet would run as a formula are neutralised here,
//! once, for every output format.

use crate::analysis::Sheet;
use crate::api::WallView;
use crate::compare::{CompareView, Presence, Side};

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

/// Header of the comparison sheet (`Sammenligning`), below its two lines naming the sides.
pub const COMPARE_HEADER: &[&str] = &[
    "Hvad",
    "Spørgsmål",
    "Fagområde",
    "Sagsområde",
    "Ændring",
    "Før",
    "Efter",
];

/// How the comparison sheet names a side: `1 «As-is» 2026-12-02T10:00:00.000Z`, or
/// `nu (2026-…)` for the room now.
pub fn side_label(side: &Side) -> String {
    let name = side
        .name
        .as_ref()
        .map(|n| format!(" «{n}»"))
        .unwrap_or_default();
    match side.seq {
        Some(seq) => neutralise(format!("{seq}{name} {}", side.taken_at)),
        None => format!("nu ({})", side.taken_at),
    }
}

/// The comparison as rows of [`COMPARE_HEADER`], neutralised: first the cards, cell by cell in
/// wall order (`Kort`; `Fjernet`, `Flyttet herfra`, `Ny`, `Flyttet hertil`, `Ændret`), then per
/// sagsområde in wall order a row if it is new or gone (`Sagsområde`), its brugsmønster and
/// løsningsscenarie when either side has one (`Brugsmønster`, `Løsningsscenarie`; `Ændret` or
/// `Uændret`), and every other answer that changed (`Svar`, `Ændret`).
pub fn compare_rows(view: &CompareView) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut push = |cells: [&str; 7]| out.push(cells.iter().map(|c| c.to_string()).collect());
    for cell in &view.comparison.cells {
        let (q, f) = (cell.row_label.as_str(), cell.column_label.as_str());
        for c in &cell.removed {
            let what = if c.moved_to.is_some() {
                "Flyttet herfra"
            } else {
                "Fjernet"
            };
            let s = c.sagsomraade.as_deref().unwrap_or_default();
            push(["Kort", q, f, s, what, &c.text, ""]);
        }
        for c in &cell.added {
            let what = if c.moved_from.is_some() {
                "Flyttet hertil"
            } else {
                "Ny"
            };
            let s = c.sagsomraade.as_deref().unwrap_or_default();
            push(["Kort", q, f, s, what, "", &c.text]);
        }
        for c in &cell.changed {
            let s = c.sagsomraade.as_deref().unwrap_or_default();
            push(["Kort", q, f, s, "Ændret", &c.before, &c.after]);
        }
    }
    for s in &view.comparison.sagsomraader {
        let (f, name) = (s.fagomraade.as_str(), s.sagsomraade.as_str());
        match s.presence {
            Presence::Added => push(["Sagsområde", "", f, name, "Ny", "", name]),
            Presence::Removed => push(["Sagsområde", "", f, name, "Fjernet", name, ""]),
            Presence::Both => {}
        }
        for (what, v) in [
            ("Brugsmønster", &s.brugsmoenster),
            ("Løsningsscenarie", &s.loesningsscenarie),
        ] {
            if v.before.is_none() && v.after.is_none() {
                continue;
            }
            let change = if v.changed { "Ændret" } else { "Uændret" };
            let (b, a) = (
                v.before.as_deref().unwrap_or_default(),
                v.after.as_deref().unwrap_or_default(),
            );
            push([what, "", f, name, change, b, a]);
        }
        let special = [&s.brugsmoenster.key, &s.loesningsscenarie.key];
        for a in s
            .answers
            .iter()
            .filter(|a| !special.contains(&&Some(a.key.clone())))
        {
            let (b, n) = (
                a.before.as_deref().unwrap_or_default(),
                a.after.as_deref().unwrap_or_default(),
            );
            push(["Svar", &a.header, f, name, "Ændret", b, n]);
        }
    }
    out.into_iter()
        .map(|row| row.into_iter().map(neutralise).collect())
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
