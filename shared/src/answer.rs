//! The answer kinds of a question, each with its closed list of values written once: what is
//! stored (`hoej`), how the sheet shows it (`høj`), and how a stored value is read. Templates
//! validate against [`AnswerKind::ALL`], the analysis reads answers with [`AnswerKind::read`],
//! the XLSX's dropdowns list [`AnswerKind::choices`]. The web client's copy of the closed lists
//! is `CHOICES` in `client-web/src/sync/analysis.ts`; the fixture
//! `shared/tests/fixtures/analysis.json` holds both to the same answers (docs/API.md,
//! "Structured answers").

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kind of an answer (`kind` of a row or a field); a client renders an input for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    /// Free text.
    Text,
    /// A number (the number of caseworkers, of cases).
    Number,
    /// `YYYY-MM-DD`, kept as text.
    Date,
    JaNej,
    LavMiddelHoej,
    /// R2: `0`, `A`–`E`.
    Brugsmoenster,
    /// R5: `1`–`4`.
    Loesningsscenarie,
}

/// One value of a closed answer kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    /// As stored in the wall's `answers` and in `GET /sheet`: `hoej`.
    pub code: &'static str,
    /// As the sheet (CSV, XLSX, its dropdowns) shows it: `høj`.
    pub label: &'static str,
}

const fn same(code: &'static str) -> Choice {
    Choice { code, label: code }
}

const JA_NEJ: &[Choice] = &[same("ja"), same("nej")];
const LAV_MIDDEL_HOEJ: &[Choice] = &[
    same("lav"),
    same("middel"),
    Choice {
        code: "hoej",
        label: "høj",
    },
];
const BRUGSMOENSTER: &[Choice] = &[
    same("0"),
    same("A"),
    same("B"),
    same("C"),
    same("D"),
    same("E"),
];
const LOESNINGSSCENARIE: &[Choice] = &[same("1"), same("2"), same("3"), same("4")];

impl AnswerKind {
    /// Every kind, in the order the templates' README lists them.
    pub const ALL: [AnswerKind; 7] = [
        AnswerKind::Text,
        AnswerKind::Number,
        AnswerKind::JaNej,
        AnswerKind::LavMiddelHoej,
        AnswerKind::Brugsmoenster,
        AnswerKind::Loesningsscenarie,
        AnswerKind::Date,
    ];

    /// The stored name: `text`, `number`, `ja_nej`, …
    pub const fn code(self) -> &'static str {
        match self {
            AnswerKind::Text => "text",
            AnswerKind::Number => "number",
            AnswerKind::Date => "date",
            AnswerKind::JaNej => "ja_nej",
            AnswerKind::LavMiddelHoej => "lav_middel_hoej",
            AnswerKind::Brugsmoenster => "brugsmoenster",
            AnswerKind::Loesningsscenarie => "loesningsscenarie",
        }
    }

    /// The kind named exactly `code`, if there is one (what a template must say).
    pub fn from_code(code: &str) -> Option<AnswerKind> {
        AnswerKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The kind of a room's row or field: an absent or unknown `kind` is read as `text`, as
    /// every reader of the documents does (clients write them).
    pub fn of(code: Option<&str>) -> AnswerKind {
        code.and_then(AnswerKind::from_code)
            .unwrap_or(AnswerKind::Text)
    }

    /// The closed list of values, in display order; empty for `text`, `number` and `date`.
    pub const fn choices(self) -> &'static [Choice] {
        match self {
            AnswerKind::JaNej => JA_NEJ,
            AnswerKind::LavMiddelHoej => LAV_MIDDEL_HOEJ,
            AnswerKind::Brugsmoenster => BRUGSMOENSTER,
            AnswerKind::Loesningsscenarie => LOESNINGSSCENARIE,
            AnswerKind::Text | AnswerKind::Number | AnswerKind::Date => &[],
        }
    }

    /// The stored codes of [`AnswerKind::choices`].
    pub fn codes(self) -> impl Iterator<Item = &'static str> {
        self.choices().iter().map(|c| c.code)
    }

    /// The labels of [`AnswerKind::choices`], as the sheet and its dropdowns show them.
    pub fn labels(self) -> impl Iterator<Item = &'static str> {
        self.choices().iter().map(|c| c.label)
    }

    /// Whether the answer is one of a closed list.
    pub fn is_closed(self) -> bool {
        !self.choices().is_empty()
    }

    /// A stored answer as this kind's canonical value (`"ja"`, `"hoej"`, `"A"`, `"3"`, a number,
    /// text), or `None` when it is unanswered or of the wrong type. Lenient, since clients write
    /// it: a closed answer matches a code or a label in any case and trimmed (`"Ja"`, `"høj"`,
    /// `"c"`, a løsningsscenarie written as the number 3); a number may be a numeric string
    /// (`" 12 "`, `"7,5"`).
    pub fn read(self, value: &Value) -> Option<Value> {
        match self {
            AnswerKind::Number => {
                number(value).and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
            }
            AnswerKind::Text | AnswerKind::Date => value
                .as_str()
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_string())),
            closed => {
                let written = match value {
                    Value::Number(n) => n.to_string(),
                    Value::String(s) => s.trim().to_string(),
                    _ => return None,
                };
                let lower = written.to_lowercase();
                closed
                    .choices()
                    .iter()
                    .find(|c| c.code.to_lowercase() == lower || c.label.to_lowercase() == lower)
                    .map(|c| Value::String(c.code.to_string()))
            }
        }
    }

    /// The label of a stored code of this kind (`hoej` → `høj`); the code itself otherwise.
    pub fn label_of(self, code: &str) -> &str {
        self.choices()
            .iter()
            .find(|c| c.code == code)
            .map_or(code, |c| c.label)
    }
}

/// A kind equals its stored name: `kind == "number"`.
impl PartialEq<str> for AnswerKind {
    fn eq(&self, other: &str) -> bool {
        self.code() == other
    }
}

impl PartialEq<&str> for AnswerKind {
    fn eq(&self, other: &&str) -> bool {
        self.code() == *other
    }
}

/// A number, or a string that parses as one (`"12"`, `" 7,5 "`).
pub fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64().filter(|f| f.is_finite()),
        Value::String(s) => s
            .trim()
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn codes_round_trip_and_match_serde() {
        for kind in AnswerKind::ALL {
            assert_eq!(AnswerKind::from_code(kind.code()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.code()));
        }
        assert_eq!(AnswerKind::from_code("colour"), None);
        assert_eq!(AnswerKind::of(Some("colour")), AnswerKind::Text);
        assert_eq!(AnswerKind::of(None), AnswerKind::Text);
    }

    #[test]
    fn closed_lists_and_their_labels() {
        let codes = |k: AnswerKind| k.codes().collect::<Vec<_>>();
        assert_eq!(codes(AnswerKind::JaNej), ["ja", "nej"]);
        assert_eq!(codes(AnswerKind::LavMiddelHoej), ["lav", "middel", "hoej"]);
        assert_eq!(
            AnswerKind::LavMiddelHoej.labels().collect::<Vec<_>>(),
            ["lav", "middel", "høj"]
        );
        assert_eq!(
            codes(AnswerKind::Brugsmoenster),
            ["0", "A", "B", "C", "D", "E"]
        );
        assert_eq!(codes(AnswerKind::Loesningsscenarie), ["1", "2", "3", "4"]);
        assert!(!AnswerKind::Number.is_closed() && AnswerKind::JaNej.is_closed());
        assert_eq!(AnswerKind::LavMiddelHoej.label_of("hoej"), "høj");
        assert_eq!(AnswerKind::Text.label_of("hoej"), "hoej");
    }

    /// The web client's copy of the closed lists (`CHOICES`) says the same.
    #[test]
    fn the_web_client_has_the_same_closed_lists() {
        let ts = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../client-web/src/sync/analysis.ts"
        ))
        .unwrap();
        for kind in AnswerKind::ALL.into_iter().filter(|k| k.is_closed()) {
            let list: Vec<String> = kind.codes().map(|c| format!("'{c}'")).collect();
            let line = format!("  {}: [{}],", kind.code(), list.join(", "));
            assert!(
                ts.contains(&line),
                "client-web/src/sync/analysis.ts, CHOICES, must say: {line}"
            );
        }
    }
}
