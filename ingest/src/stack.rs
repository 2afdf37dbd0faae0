//! Splitting a scanner stack at its separator sheets: each cover sheet starts
//! a dossier, each piece sheet sets the kind of the pages after it.
//!
//! The split never guesses. Pages it cannot place (before the first cover
//! sheet, after a sheet it cannot use) are left unassigned, reported with
//! their page numbers and kept with the stack; a corrections file beside
//! the stack places them on a later run.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::sheets::Sheet;

/// What the reading of one page of the stack found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A page of a document.
    Page,
    /// A separator sheet, read from its codes (or named in the corrections).
    Sheet(Sheet),
    /// A code of ours that cannot be used (an invalid identifier, an unknown kind).
    Unusable(String),
}

/// An operator's corrections to a stack, from `STACK.sheets.toml` (beside a
/// stack file) or `sheets.toml` (in a stack folder). Pages are numbered from
/// 1 across the whole stack, as ingest reports them.
///
/// ```toml
/// continues = "INT-2026-00001"   # the stack's first pages belong to this dossier
/// [pages]
/// 7 = "cover INT-2026-00002"     # a cover sheet whose codes could not be read
/// 12 = "piece diploma"           # a piece sheet
/// 13 = "page"                    # not a sheet after all
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Corrections {
    pub continues: Option<String>,
    /// What a page is, by its number in the stack (from 1).
    pub pages: BTreeMap<usize, Found>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CorrectionsFile {
    continues: Option<String>,
    #[serde(default)]
    pages: BTreeMap<String, String>,
}

impl Corrections {
    /// Reads a corrections file; the reason when it cannot be used.
    pub fn read(path: &Path) -> Result<Corrections, String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        Corrections::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Corrections, String> {
        let file: CorrectionsFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let continues = file.continues;
        if let Some(id) = &continues
            && !store::manifest::valid_dossier_id(id)
        {
            return Err(format!("continues: {id:?} is not a dossier identifier"));
        }
        let mut pages = BTreeMap::new();
        for (number, what) in file.pages {
            let page: usize = number
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("pages: {number:?} is not a page number (from 1)"))?;
            let found = match what.trim() {
                "page" => Found::Page,
                words => Found::Sheet(
                    Sheet::parse_words(words).map_err(|e| format!("page {page}: {e}"))?,
                ),
            };
            pages.insert(page, found);
        }
        Ok(Corrections { continues, pages })
    }
}

/// A dossier's share of a stack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Part {
    pub id: String,
    /// Its pages, by index in the stack (from 0), with the kind a piece sheet gave them.
    pub pages: Vec<(usize, Option<String>)>,
    /// Its sheets, by index in the stack.
    pub sheets: Vec<(usize, Sheet)>,
}

/// Pages the split could not place, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unassigned {
    /// Indexes in the stack, from 0.
    pub pages: Vec<usize>,
    pub reason: String,
}

/// A stack, split.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    /// In the order their cover sheets come; a dossier whose cover sheet
    /// comes twice is one part.
    pub parts: Vec<Part>,
    pub unassigned: Vec<Unassigned>,
}

/// Where the split stands while walking the stack.
enum State {
    In { part: usize, kind: Option<String> },
    Lost(String),
}

/// Splits a stack whose pages were read as `found` (index 0 first).
/// `known` says whether a cover sheet's identifier may be used.
pub fn split(found: &[Found], corrections: &Corrections, known: &dyn Fn(&str) -> bool) -> Split {
    let mut split = Split::default();
    let mut state = match &corrections.continues {
        Some(id) if known(id) => State::In {
            part: split.part(id),
            kind: None,
        },
        Some(id) => State::Lost(format!(
            "the stack continues {id}, which is not a known dossier"
        )),
        None => State::Lost("no cover sheet before them".into()),
    };
    for (index, found) in found.iter().enumerate() {
        let number = index + 1;
        let found = corrections.pages.get(&number).unwrap_or(found);
        state = match (found, state) {
            (Found::Page, State::In { part, kind }) => {
                split.parts[part].pages.push((index, kind.clone()));
                State::In { part, kind }
            }
            (Found::Page, State::Lost(reason)) => {
                split.lose(index, &reason);
                State::Lost(reason)
            }
            (Found::Sheet(Sheet::Cover(id)), _) if known(id) => {
                let part = split.part(id);
                split.parts[part]
                    .sheets
                    .push((index, Sheet::Cover(id.clone())));
                State::In { part, kind: None }
            }
            (Found::Sheet(Sheet::Cover(id)), _) => State::Lost(format!(
                "the cover sheet on page {number} names {id}, which is not a known dossier"
            )),
            (Found::Sheet(Sheet::Piece(kind)), State::In { part, .. }) => {
                split.parts[part]
                    .sheets
                    .push((index, Sheet::Piece(kind.clone())));
                State::In {
                    part,
                    kind: Some(kind.clone()),
                }
            }
            (Found::Sheet(Sheet::Piece(_)), State::Lost(reason)) => State::Lost(reason),
            (Found::Unusable(why), _) => {
                State::Lost(format!("the sheet on page {number} cannot be used: {why}"))
            }
        };
    }
    split
}

impl Split {
    /// The part of dossier `id`, made if it is new.
    fn part(&mut self, id: &str) -> usize {
        if let Some(n) = self.parts.iter().position(|p| p.id == id) {
            return n;
        }
        self.parts.push(Part {
            id: id.to_owned(),
            ..Part::default()
        });
        self.parts.len() - 1
    }

    /// Adds a page to the unassigned run of `reason`, or starts one.
    fn lose(&mut self, index: usize, reason: &str) {
        match self.unassigned.last_mut() {
            Some(run) if run.reason == reason => run.pages.push(index),
            _ => self.unassigned.push(Unassigned {
                pages: vec![index],
                reason: reason.to_owned(),
            }),
        }
    }
}

/// Page numbers (from 1) as people write them: `3-5, 8`.
pub fn ranges(indexes: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < indexes.len() {
        let start = indexes[i];
        let mut end = start;
        while i + 1 < indexes.len() && indexes[i + 1] == end + 1 {
            i += 1;
            end = indexes[i];
        }
        out.push(if start == end {
            format!("{}", start + 1)
        } else {
            format!("{}-{}", start + 1, end + 1)
        });
        i += 1;
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cover(id: &str) -> Found {
        Found::Sheet(Sheet::Cover(id.into()))
    }
    fn piece(kind: &str) -> Found {
        Found::Sheet(Sheet::Piece(kind.into()))
    }
    fn known(id: &str) -> bool {
        id.starts_with("INT-")
    }

    #[test]
    fn covers_start_dossiers_and_pieces_name_kinds() {
        use Found::Page;
        let stack = [
            cover("INT-1"),
            Page,
            piece("diploma"),
            Page,
            Page,
            cover("INT-2"),
            Page,
            cover("INT-1"),
            Page,
        ];
        let split = split(&stack, &Corrections::default(), &known);
        assert!(split.unassigned.is_empty());
        let diploma = Some("diploma".to_owned());
        assert_eq!(split.parts.len(), 2);
        assert_eq!(split.parts[0].id, "INT-1");
        assert_eq!(
            split.parts[0].pages,
            vec![(1, None), (3, diploma.clone()), (4, diploma), (8, None)]
        );
        assert_eq!(split.parts[0].sheets.len(), 3);
        assert_eq!(split.parts[1].pages, vec![(6, None)]);
    }

    #[test]
    fn what_cannot_be_placed_is_left_unassigned_with_its_reason() {
        use Found::Page;
        let stack = [
            Page,
            Page,
            cover("INT-1"),
            Page,
            cover("BAD-9"),
            Page,
            Found::Unusable("piece sheet of an unknown kind".into()),
            Page,
            cover("INT-2"),
            Page,
        ];
        let split = split(&stack, &Corrections::default(), &known);
        let runs: Vec<(String, &str)> = split
            .unassigned
            .iter()
            .map(|u| (ranges(&u.pages), u.reason.as_str()))
            .collect();
        assert_eq!(runs.len(), 3, "{runs:?}");
        assert_eq!(runs[0], ("1-2".into(), "no cover sheet before them"));
        assert!(runs[1].1.contains("page 5 names BAD-9"), "{runs:?}");
        assert_eq!(runs[2].0, "8");
        assert_eq!(split.parts.iter().map(|p| p.pages.len()).sum::<usize>(), 2);
    }

    #[test]
    fn corrections_place_what_the_codes_did_not() {
        use Found::Page;
        let stack = [Page, Page, Page, cover("INT-2"), Page];
        let corrections = Corrections::parse(
            "continues = \"INT-1\"\n[pages]\n2 = \"piece diploma\"\n4 = \"page\"\n",
        )
        .unwrap();
        let split = split(&stack, &corrections, &known);
        assert!(split.unassigned.is_empty());
        assert_eq!(split.parts.len(), 1);
        let diploma = Some("diploma".to_owned());
        assert_eq!(
            split.parts[0].pages,
            vec![
                (0, None),
                (2, diploma.clone()),
                (3, diploma.clone()),
                (4, diploma)
            ]
        );
        for bad in [
            "[pages]\n0 = \"page\"",
            "[pages]\n2 = \"cover\"",
            "continues = \"a/b\"",
            "colour = 1",
        ] {
            assert!(Corrections::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn page_ranges() {
        assert_eq!(ranges(&[0, 1, 2, 4, 6, 7]), "1-3, 5, 7-8");
        assert_eq!(ranges(&[]), "");
    }
}
