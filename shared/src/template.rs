//! Workshop templates: a question guide (rows) × fagområder (columns), loaded from the JSON files
//! in `shared/templates/` (see its README for the format). The files are compiled into the binary
//! so that it runs from anywhere; `Templates::load_dir` adds or replaces templates from a folder
//! at start.

use std::collections::BTreeMap;
use std::path::Path;

use include_dir::{include_dir, Dir};
use serde::{Deserialize, Serialize};

use crate::answer::AnswerKind;

static BUILT_IN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// The roles an answer can play in the analysis (`analysis` of a question or field). The last
/// three name the sagsområde itself: such fields are not answer columns of the sheet.
pub const ANALYSIS_ROLES: &[&str] = &[
    "anvendes",
    "sagsbehandlere",
    "brugsmoenster",
    "forretningskritisk",
    "kompleksitet",
    "loesningsscenarie",
    "fagomraade",
    "sagsomraade",
    "kle",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub rows: Vec<Question>,
    pub columns: Vec<Column>,
}

/// A row of the wall: in the KMD Sag templates, a question of the question guide (R3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    /// The question's number in the guide ("1", "2", …), written on every card.
    pub number: String,
    pub label: String,
    /// The code of an [`AnswerKind`] (`text`, `ja_nej`, …).
    pub kind: String,
    /// `"as-is"` or `"to-be"` in the KMD Sag templates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<String>,
    /// `"group"` (answered per group and sagsområde) or `"plenum"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Parts of a multi-part question (e.g. As-is 4 a–e).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// The role the answer plays in the analysis (one of [`ANALYSIS_ROLES`]); see docs/API.md.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<String>,
    /// `false`: answered once for the whole room, not per sagsområde (no column in the sheet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub id: String,
    pub label: String,
    pub kind: String,
    /// As [`Question::analysis`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<String>,
}

/// A column of the wall: in the KMD Sag templates, a fagområde.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub id: String,
    pub label: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template {file}: {source}")]
    Parse {
        file: String,
        source: serde_json::Error,
    },
    #[error("template {file}: {problem}")]
    Invalid { file: String, problem: String },
    #[error("reading templates from {dir}: {source}")]
    Io { dir: String, source: std::io::Error },
}

/// All templates the server offers, by id.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    by_id: BTreeMap<String, Template>,
}

impl Templates {
    /// The templates compiled in from `shared/templates/*.json`.
    pub fn built_in() -> Result<Self, TemplateError> {
        let mut templates = Templates::default();
        for file in BUILT_IN.files() {
            let name = file.path().display().to_string();
            if !name.ends_with(".json") {
                continue;
            }
            templates.add_json(&name, file.contents())?;
        }
        Ok(templates)
    }

    /// Adds (or replaces) every `*.json` template in `dir`.
    pub fn load_dir(&mut self, dir: &Path) -> Result<(), TemplateError> {
        let io = |source| TemplateError::Io {
            dir: dir.display().to_string(),
            source,
        };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        for path in paths {
            let bytes = std::fs::read(&path).map_err(io)?;
            self.add_json(&path.display().to_string(), &bytes)?;
        }
        Ok(())
    }

    fn add_json(&mut self, file: &str, bytes: &[u8]) -> Result<(), TemplateError> {
        let template = Template::from_json(file, bytes)?;
        self.by_id.insert(template.id.clone(), template);
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Template> {
        self.by_id.get(id)
    }

    /// All templates, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = &Template> {
        self.by_id.values()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

impl Template {
    /// A template file (`file` names it in the error): parsed and [validated](Self::validate),
    /// as every built-in one and every one of `--templates-dir` is read.
    pub fn from_json(file: &str, bytes: &[u8]) -> Result<Template, TemplateError> {
        let template: Template =
            serde_json::from_slice(bytes).map_err(|source| TemplateError::Parse {
                file: file.to_string(),
                source,
            })?;
        template
            .validate()
            .map_err(|problem| TemplateError::Invalid {
                file: file.to_string(),
                problem,
            })?;
        Ok(template)
    }

    /// Checks what serde cannot: unique ids, known answer kinds, non-empty labels.
    pub fn validate(&self) -> Result<(), String> {
        if !is_slug(&self.id) {
            return Err(format!(
                "id {:?} must be lowercase ascii, digits and '-'",
                self.id
            ));
        }
        let mut seen = std::collections::HashSet::new();
        let mut analysis_roles = std::collections::HashSet::new();
        for row in &self.rows {
            if !is_slug(&row.id) || !seen.insert(&row.id) {
                return Err(format!("row id {:?} is not a unique slug", row.id));
            }
            if row.label.trim().is_empty() {
                return Err(format!("row {:?} has an empty label", row.id));
            }
            for kind in std::iter::once(&row.kind).chain(row.fields.iter().map(|f| &f.kind)) {
                if AnswerKind::from_code(kind).is_none() {
                    return Err(format!("row {:?}: unknown answer kind {:?}", row.id, kind));
                }
            }
            for role in row
                .analysis
                .iter()
                .chain(row.fields.iter().filter_map(|f| f.analysis.as_ref()))
            {
                if !ANALYSIS_ROLES.contains(&role.as_str()) {
                    return Err(format!(
                        "row {:?}: unknown analysis role {:?}",
                        row.id, role
                    ));
                }
                if !analysis_roles.insert(role.clone()) {
                    return Err(format!(
                        "row {:?}: analysis role {:?} is used twice",
                        row.id, role
                    ));
                }
            }
        }
        seen.clear();
        for col in &self.columns {
            if !is_slug(&col.id) || !seen.insert(&col.id) {
                return Err(format!("column id {:?} is not a unique slug", col.id));
            }
        }
        Ok(())
    }
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_templates_load_and_include_the_contracts_three() {
        let t = Templates::built_in().unwrap();
        for id in [
            "kmd-sag-exit-as-is",
            "kmd-sag-exit-to-be",
            "kmd-sag-exit",
            "implementeringsmodel",
            "sbsys-medlemskab",
            "implementeringsplan",
            "fbs-projektorganisation",
        ] {
            assert!(t.get(id).is_some(), "missing template {id}");
        }
    }

    #[test]
    fn the_seed_matrices_are_templates() {
        let t = Templates::built_in().unwrap();
        let plan = t.get("implementeringsplan").unwrap();
        let labels = |axes: &[crate::template::Column]| -> Vec<String> {
            axes.iter().map(|c| c.label.clone()).collect()
        };
        assert_eq!(
            labels(&plan.columns),
            ["Ansvarlig", "Udfører", "Startdato", "Slutdato", "Status"]
        );
        assert_eq!(plan.rows.len(), 9);
        let org = t.get("fbs-projektorganisation").unwrap();
        assert_eq!(
            labels(&org.columns),
            ["Navngivne personer", "Opgaver og ansvar"]
        );
        assert!(org.rows.iter().any(|r| r.label == "Projektleder"));
    }

    #[test]
    fn implementeringsmodel_is_16_by_5() {
        let t = Templates::built_in().unwrap();
        let m = t.get("implementeringsmodel").unwrap();
        assert_eq!(m.rows.len(), 16);
        assert_eq!(m.columns.len(), 5);
    }

    #[test]
    fn combined_kmd_template_is_as_is_then_to_be() {
        let t = Templates::built_in().unwrap();
        let ids = |id: &str| {
            t.get(id)
                .unwrap()
                .rows
                .iter()
                .map(|r| r.id.clone())
                .collect::<Vec<_>>()
        };
        let mut both = ids("kmd-sag-exit-as-is");
        both.extend(ids("kmd-sag-exit-to-be"));
        assert_eq!(ids("kmd-sag-exit"), both);
    }

    #[test]
    fn unknown_kind_is_rejected() {
        let json = br#"{"id":"x","title":"X","rows":[{"id":"a","number":"1","label":"A","kind":"colour"}],"columns":[]}"#;
        let err = Templates::default().add_json("x.json", json).unwrap_err();
        assert!(err.to_string().contains("unknown answer kind"), "{err}");
    }

    #[test]
    fn kmd_templates_tag_the_analysis_answers() {
        let t = Templates::built_in().unwrap();
        let roles = |id: &str| {
            let mut r: Vec<String> = t
                .get(id)
                .unwrap()
                .rows
                .iter()
                .flat_map(|q| {
                    q.analysis
                        .iter()
                        .cloned()
                        .chain(q.fields.iter().filter_map(|f| f.analysis.clone()))
                })
                .collect();
            r.sort();
            r
        };
        let all: Vec<String> = {
            let mut v: Vec<String> = ANALYSIS_ROLES.iter().map(|s| s.to_string()).collect();
            v.sort();
            v
        };
        assert_eq!(roles("kmd-sag-exit"), all);
        assert!(roles("kmd-sag-exit-as-is").contains(&"brugsmoenster".to_string()));
        assert!(roles("kmd-sag-exit-to-be").contains(&"loesningsscenarie".to_string()));
        let tobe1 = t
            .get("kmd-sag-exit")
            .unwrap()
            .rows
            .iter()
            .find(|r| r.id == "tobe-1")
            .unwrap();
        assert_eq!(tobe1.sheet, Some(false));
    }

    #[test]
    fn unknown_analysis_role_is_rejected() {
        let json = br#"{"id":"x","title":"X","rows":[{"id":"a","number":"1","label":"A","kind":"text","analysis":"colour"}],"columns":[]}"#;
        let err = Templates::default().add_json("x.json", json).unwrap_err();
        assert!(err.to_string().contains("unknown analysis role"), "{err}");
    }

    #[test]
    fn unknown_key_is_rejected() {
        let json = br#"{"id":"x","title":"X","rows":[],"columns":[],"colour":"red"}"#;
        assert!(Templates::default().add_json("x.json", json).is_err());
    }
}
