//! The checklist: which pieces a dossier must hold, per corps or per kind of
//! recruitment, from `checklist.toml` in the archive folder.
//!
//! ```toml
//! [default]                       # every dossier without a list of its own
//! application-letter = 1
//! birth-certificate = 1
//! diploma = 1
//! medical-certificate = { count = 1, max_age_days = 90 }
//! criminal-record = { count = 1, max_age_days = 90 }
//! id-card = 1
//!
//! [corps."Médecins"]              # dossier.toml's `corps`
//! diploma = 2
//!
//! [recruitment."Concours direct"] # dossier.toml's `recruitment`, first choice
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

/// Where the archive folder keeps it.
pub const FILE: &str = "checklist.toml";

/// One piece a dossier must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub kind: String,
    /// Pages of that kind, at least.
    pub count: usize,
    /// The piece's date may be at most this many days before the scan.
    pub max_age_days: Option<u32>,
}

/// The pieces of one list, by kind.
pub type Pieces = Vec<Piece>;

/// Every list of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checklist {
    pub default: Pieces,
    pub corps: BTreeMap<String, Pieces>,
    pub recruitment: BTreeMap<String, Pieces>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawPiece {
    Count(usize),
    Full {
        #[serde(default = "one")]
        count: usize,
        max_age_days: Option<u32>,
    },
}

fn one() -> usize {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChecklist {
    default: Option<toml::Table>,
    #[serde(default)]
    corps: BTreeMap<String, toml::Table>,
    #[serde(default)]
    recruitment: BTreeMap<String, toml::Table>,
}

/// The list for integration dossiers when the archive has none: the six
/// pieces the ministry asks of every candidate, the medical certificate and
/// the criminal record extract under three months old.
const DEFAULT: &str = r#"
[default]
application-letter = 1
birth-certificate = 1
diploma = 1
medical-certificate = { count = 1, max_age_days = 90 }
criminal-record = { count = 1, max_age_days = 90 }
id-card = 1
"#;

impl Default for Checklist {
    fn default() -> Checklist {
        Checklist::parse(DEFAULT).expect("the built-in checklist parses")
    }
}

impl Checklist {
    pub fn parse(text: &str) -> Result<Checklist, String> {
        let raw: RawChecklist = toml::from_str(text).map_err(|e| e.to_string())?;
        let default = match raw.default {
            Some(table) => pieces(table, "default")?,
            None => Checklist::default().default,
        };
        let lists = |tables: BTreeMap<String, toml::Table>, what: &str| {
            tables
                .into_iter()
                .map(|(name, table)| Ok((name.clone(), pieces(table, &format!("{what}.{name}"))?)))
                .collect::<Result<BTreeMap<_, _>, String>>()
        };
        Ok(Checklist {
            default,
            corps: lists(raw.corps, "corps")?,
            recruitment: lists(raw.recruitment, "recruitment")?,
        })
    }

    /// The archive folder's checklist, or the built-in one.
    pub fn load(archive: &Path) -> Result<Checklist, String> {
        let path = archive.join(FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Checklist::parse(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Checklist::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// The list for a dossier, and its name: by its `recruitment`, else its
    /// `corps`, else the default.
    pub fn for_dossier(&self, metadata: &Map<String, Value>) -> (String, &Pieces) {
        let value = |key: &str| metadata.get(key).and_then(Value::as_str);
        if let Some((name, list)) =
            value("recruitment").and_then(|r| self.recruitment.get_key_value(r))
        {
            return (format!("recruitment: {name}"), list);
        }
        if let Some((name, list)) = value("corps").and_then(|c| self.corps.get_key_value(c)) {
            return (format!("corps: {name}"), list);
        }
        ("default".into(), &self.default)
    }
}

fn pieces(table: toml::Table, list: &str) -> Result<Pieces, String> {
    table
        .into_iter()
        .map(|(kind, value)| {
            if !index::classify::KINDS.contains(&kind.as_str()) {
                return Err(format!(
                    "[{list}]: {kind:?} is not a kind of document ({})",
                    index::classify::KINDS.join(", ")
                ));
            }
            let raw: RawPiece = value.try_into().map_err(|_| {
                format!("[{list}] {kind}: give a count, or {{ count = N, max_age_days = D }}")
            })?;
            let (count, max_age_days) = match raw {
                RawPiece::Count(count) => (count, None),
                RawPiece::Full {
                    count,
                    max_age_days,
                } => (count, max_age_days),
            };
            Ok(Piece {
                kind,
                count,
                max_age_days,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_by_corps_and_recruitment_over_the_default() {
        let checklist = Checklist::parse(
            "[corps.\"Médecins\"]\ndiploma = 2\nmedical-certificate = { max_age_days = 30 }\n\
             [recruitment.\"Sur titre\"]\ndiploma = 1\n",
        )
        .unwrap();
        assert_eq!(checklist.default, Checklist::default().default);
        assert_eq!(checklist.default.len(), 6);
        let meta = |pairs: &[(&str, &str)]| -> Map<String, Value> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).into(), Value::String((*v).into())))
                .collect()
        };
        let (name, list) = checklist.for_dossier(&meta(&[("corps", "Médecins")]));
        assert_eq!(name, "corps: Médecins");
        assert_eq!(
            list[0],
            Piece {
                kind: "diploma".into(),
                count: 2,
                max_age_days: None
            }
        );
        assert_eq!(list[1].max_age_days, Some(30));
        let both = meta(&[("corps", "Médecins"), ("recruitment", "Sur titre")]);
        assert_eq!(checklist.for_dossier(&both).0, "recruitment: Sur titre");
        assert_eq!(checklist.for_dossier(&meta(&[])).0, "default");
        assert!(
            Checklist::parse("[default]\nrecipe = 1\n")
                .unwrap_err()
                .contains("not a kind")
        );
        assert!(Checklist::parse("[default]\ndiploma = \"two\"\n").is_err());
        assert!(Checklist::parse("[colour]\n").is_err());
    }
}
