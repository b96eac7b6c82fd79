//! Decision trees as data, compiled in from `shared/trees/*.json`: the brugsmønster model (R2)
//! that the group view asks as yes/no steps. Format: `docs/API.md`, "Structured answers".

use std::collections::BTreeMap;

use include_dir::{include_dir, Dir};
use serde::{Deserialize, Serialize};

static BUILT_IN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/trees");

/// A yes/no decision tree: from `start`, each node's answer leads to another node or an outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tree {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub source: String,
    pub start: String,
    pub nodes: BTreeMap<String, Node>,
    pub outcomes: BTreeMap<String, Outcome>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub question: String,
    pub ja: String,
    pub nej: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub label: String,
    pub description: String,
    #[serde(default)]
    pub dependence: String,
}

impl Tree {
    /// Every node reachable, every target a node or an outcome, no cycles, node and outcome ids
    /// disjoint, every outcome reachable.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(id) = self.nodes.keys().find(|id| self.outcomes.contains_key(*id)) {
            return Err(format!("{id:?} is both a node and an outcome"));
        }
        let mut seen_outcomes = std::collections::BTreeSet::new();
        let mut stack = vec![(self.start.clone(), Vec::<String>::new())];
        while let Some((id, path)) = stack.pop() {
            if self.outcomes.contains_key(&id) {
                seen_outcomes.insert(id);
                continue;
            }
            let node = self
                .nodes
                .get(&id)
                .ok_or_else(|| format!("target {id:?} is neither a node nor an outcome"))?;
            if path.contains(&id) {
                return Err(format!("cycle through {id:?}"));
            }
            let mut next = path.clone();
            next.push(id.clone());
            stack.push((node.ja.clone(), next.clone()));
            stack.push((node.nej.clone(), next));
        }
        if let Some(id) = self.outcomes.keys().find(|id| !seen_outcomes.contains(*id)) {
            return Err(format!("outcome {id:?} cannot be reached"));
        }
        Ok(())
    }

    /// Walks the tree with `answers` (true = ja): the outcome id reached, or `None` when the
    /// answers run out first (or lead nowhere).
    pub fn walk(&self, answers: &[bool]) -> Option<&str> {
        let mut at = self.start.as_str();
        let mut answers = answers.iter();
        loop {
            if self.outcomes.contains_key(at) {
                return Some(at);
            }
            let node = self.nodes.get(at)?;
            at = if *answers.next()? {
                &node.ja
            } else {
                &node.nej
            };
        }
    }
}

/// The trees compiled into the binary, by id (the file name without `.json`).
pub fn built_in() -> Result<BTreeMap<String, Tree>, String> {
    let mut trees = BTreeMap::new();
    for file in BUILT_IN.files() {
        let name = file.path().display().to_string();
        if !name.ends_with(".json") {
            continue;
        }
        let tree: Tree =
            serde_json::from_slice(file.contents()).map_err(|e| format!("tree {name}: {e}"))?;
        tree.validate().map_err(|e| format!("tree {name}: {e}"))?;
        trees.insert(tree.id.clone(), tree);
    }
    Ok(trees)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r2() -> Tree {
        built_in()
            .unwrap()
            .remove("brugsmoenster")
            .expect("the brugsmønster tree is built in")
    }

    #[test]
    fn brugsmoenster_tree_reaches_each_of_its_six_outcomes() {
        let t = r2();
        // The seed's figure (R2): uses KMD Sag? separate fagsystem? journal notes in it? alerts in it?
        assert_eq!(t.walk(&[false]), Some("0"));
        assert_eq!(t.walk(&[true, false, true]), Some("D"));
        assert_eq!(t.walk(&[true, false, false]), Some("E"));
        assert_eq!(t.walk(&[true, true, false]), Some("C"));
        assert_eq!(t.walk(&[true, true, true, true]), Some("A"));
        assert_eq!(t.walk(&[true, true, true, false]), Some("B"));
        assert_eq!(
            t.outcomes.keys().map(String::as_str).collect::<Vec<_>>(),
            ["0", "A", "B", "C", "D", "E"]
        );
    }

    #[test]
    fn walking_stops_when_answers_run_out() {
        assert_eq!(r2().walk(&[true, true]), None);
        assert_eq!(r2().walk(&[]), None);
    }

    #[test]
    fn broken_trees_are_rejected() {
        let mut t = r2();
        t.nodes.get_mut("adviser").unwrap().nej = "X".into();
        assert!(t
            .validate()
            .unwrap_err()
            .contains("neither a node nor an outcome"));
        let mut t = r2();
        t.nodes.get_mut("adviser").unwrap().nej = "anvendes".into();
        assert!(t.validate().is_err());
        let mut t = r2();
        t.outcomes.insert(
            "F".into(),
            Outcome {
                label: "F".into(),
                description: String::new(),
                dependence: String::new(),
            },
        );
        assert!(t.validate().unwrap_err().contains("cannot be reached"));
    }
}
