//! Completeness: does a dossier hold the pieces its checklist asks for, recent
//! enough, and do they name the candidate `dossier.toml` names?
//!
//! Kinds come from the piece sheets where there are any, else from the page
//! classifier; a page the classifier is unsure of is said to be in doubt, not
//! counted. Nothing found here changes the dossier: it is reported, in the
//! manifest, the ingest report, `show`, the index and the viewer.

pub mod checklist;
pub mod dates;

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use store::manifest::{Completeness, Page};

pub use checklist::Checklist;
use dates::Date;

/// A page as completeness sees it: its kind and whether that is certain.
struct Classified<'a> {
    page: &'a Page,
    kind: &'a str,
    sure: bool,
}

fn classify(page: &Page) -> Classified<'_> {
    match &page.kind {
        Some(kind) => Classified {
            page,
            kind,
            sure: true,
        },
        None => {
            let (kind, sure) = index::classify::kind_and_certainty(&page.text);
            Classified { page, kind, sure }
        }
    }
}

/// Checks a dossier's pages against its checklist; `scanned` is the scan
/// date that recency counts back from.
pub fn check(
    checklist: &Checklist,
    pages: &[Page],
    metadata: &Map<String, Value>,
    scanned: Date,
) -> Completeness {
    let (name, pieces) = checklist.for_dossier(metadata);
    let classified: Vec<Classified> = pages.iter().filter(|p| !p.blank).map(classify).collect();
    let mut out = Completeness {
        checklist: name,
        ..Completeness::default()
    };
    for piece in pieces {
        let sure: Vec<&Classified> = classified
            .iter()
            .filter(|c| c.sure && c.kind == piece.kind)
            .collect();
        out.present.insert(piece.kind.clone(), sure.len());
        if sure.len() < piece.count {
            let maybe: Vec<String> = classified
                .iter()
                .filter(|c| !c.sure && c.kind == piece.kind)
                .map(|c| c.page.number.to_string())
                .collect();
            if maybe.is_empty() {
                out.missing.push(piece.kind.clone());
            } else {
                out.doubtful.push(format!(
                    "{} not certain: page {} may be one",
                    piece.kind,
                    maybe.join(", ")
                ));
            }
            continue;
        }
        if let Some(days) = piece.max_age_days {
            recency(&mut out, &piece.kind, &sure, days, scanned);
        }
    }
    candidate_details(&mut out, &classified, metadata);
    out.status = if !out.missing.is_empty() || !out.expired.is_empty() {
        "incomplete"
    } else if !out.doubtful.is_empty() {
        "doubtful"
    } else {
        "complete"
    }
    .into();
    out
}

/// A dated piece is recent enough when one of its pages bears a date at most
/// `days` before the scan. A page's date is the latest written on it that is
/// not after the scan (a birth date is older; an issue date is the latest).
fn recency(out: &mut Completeness, kind: &str, pages: &[&Classified], days: u32, scanned: Date) {
    let dated: Vec<Date> = pages
        .iter()
        .filter_map(|c| {
            dates::find(&c.page.text)
                .into_iter()
                .filter(|d| *d <= scanned)
                .max()
        })
        .collect();
    match dated.iter().max() {
        None => out.doubtful.push(format!("{kind}: no date read")),
        Some(newest) if scanned.days() - newest.days() > i64::from(days) => {
            out.expired.push(format!("{kind} {newest}"));
        }
        Some(_) => {}
    }
}

/// The candidate's name on the birth certificate and the diploma, and the
/// birth date on the birth certificate, as `dossier.toml` gives them.
fn candidate_details(out: &mut Completeness, pages: &[Classified], metadata: &Map<String, Value>) {
    let of_kind = |kind: &str| -> Vec<&Classified> {
        pages.iter().filter(|c| c.sure && c.kind == kind).collect()
    };
    let value = |key: &str| metadata.get(key).and_then(Value::as_str);
    if let Some(name) = value("name") {
        for kind in ["birth-certificate", "diploma"] {
            let pages = of_kind(kind);
            if !pages.is_empty() && !pages.iter().any(|c| names(&c.page.text, name)) {
                out.doubtful
                    .push(format!("name \"{name}\" not found on the {kind}"));
            }
        }
    }
    if let Some(birth) = value("birth_date").and_then(dates::parse) {
        let pages = of_kind("birth-certificate");
        if !pages.is_empty()
            && !pages
                .iter()
                .any(|c| dates::find(&c.page.text).contains(&birth))
        {
            out.doubtful.push(format!(
                "birth date {birth} not found on the birth-certificate"
            ));
        }
    }
}

/// Whether every word of `name` is in `text`, one OCR slip allowed in a
/// word of five letters or more (`Mbarqa` for `Mbarga`).
fn names(text: &str, name: &str) -> bool {
    words_found(text, name, true)
}

/// Whether every word of `value` is in `text`, accents and case aside;
/// `slips`: a word of five letters or more may differ by one (an OCR slip).
pub(crate) fn words_found(text: &str, value: &str, slips: bool) -> bool {
    let words = |s: &str| -> Vec<String> {
        index::classify::fold(s)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let text_words = words(text);
    words(value).iter().all(|wanted| {
        let slips = usize::from(slips && wanted.chars().count() >= 5);
        text_words
            .iter()
            .any(|w| strsim::levenshtein(w, wanted) <= slips)
    })
}

/// Completeness of each dossier by status, for reports.
pub fn tally<'a>(checks: impl Iterator<Item = &'a Completeness>) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for check in checks {
        *out.entry(check.status.clone()).or_default() += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::manifest::{ObjectRef, PageSource};

    fn page(number: usize, text: &str, kind: Option<&str>) -> Page {
        let object = ObjectRef {
            key: String::new(),
            sha256: store::sha256(b""),
            bytes: 0,
        };
        Page {
            number,
            source: PageSource {
                path: String::new(),
                sha256: store::sha256(b""),
                page: 0,
                stack_page: None,
            },
            image: object,
            width: 1,
            height: 1,
            dpi: 300.0,
            words: None,
            ocr_words: None,
            skew_degrees: 0.0,
            rotation: 0,
            blank: false,
            confidence: 90.0,
            text: text.into(),
            reading: None,
            kind: kind.map(str::to_owned),
        }
    }

    fn metadata() -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("name".into(), "MBARGA Hervé".into());
        m.insert("birth_date".into(), "7 juillet 1997".into());
        m
    }

    const SCANNED: Date = Date {
        year: 2026,
        month: 11,
        day: 2,
    };

    fn full() -> Vec<Page> {
        vec![
            page(
                1,
                "MBARGA Hervé\nObjet : demande d'intégration\nMonsieur le Ministre",
                None,
            ),
            page(
                2,
                "ACTE DE NAISSANCE\nMBARGA Hervé né le 7 juillet 1997",
                None,
            ),
            page(
                3,
                "UNIVERSITY OF BUEA\nThis is to certify that MBARGA Herve has been awarded",
                None,
            ),
            page(
                4,
                "CERTIFICAT MÉDICAL\nFait à Douala, le 28 octobre 2026",
                None,
            ),
            page(
                5,
                "EXTRAIT DE CASIER JUDICIAIRE\nDélivré le 15/10/2026",
                None,
            ),
            page(6, "CARTE NATIONALE D'IDENTITÉ\nMBARGA", None),
        ]
    }

    #[test]
    fn a_full_dossier_is_complete() {
        let check = check(&Checklist::default(), &full(), &metadata(), SCANNED);
        assert_eq!(check.summary(), "complete", "{check:?}");
        assert_eq!(check.present["diploma"], 1);
    }

    #[test]
    fn missing_expired_and_doubtful_pieces_are_named() {
        let mut pages = full();
        pages.remove(4); // the criminal record
        pages[3].text = "CERTIFICAT MÉDICAL\nFait à Douala, le 2 novembre 2025".into();
        pages[1].text = "ACTE DE NAISSANCE\nNGONO Marie née le 3 mars 1999".into();
        let check = check(&Checklist::default(), &pages, &metadata(), SCANNED);
        assert_eq!(check.status, "incomplete");
        assert_eq!(check.missing, ["criminal-record"]);
        assert_eq!(check.expired, ["medical-certificate 2025-11-02"]);
        assert_eq!(
            check.doubtful,
            [
                "name \"MBARGA Hervé\" not found on the birth-certificate",
                "birth date 1997-07-07 not found on the birth-certificate"
            ]
        );
    }

    #[test]
    fn sheets_give_kinds_and_guesses_are_not_counted() {
        let mut pages = full();
        // The ID card's title is unreadable, but a piece sheet named it.
        pages[5] = page(6, "illegible", Some("id-card"));
        // The diploma only mentions its kind far down the page.
        pages[2].text = "MBARGA Herve\n\n\n\n\n\n\n\n\nhas been awarded".into();
        let check = check(&Checklist::default(), &pages, &metadata(), SCANNED);
        assert_eq!(check.status, "doubtful");
        assert_eq!(check.doubtful, ["diploma not certain: page 3 may be one"]);
        assert!(check.missing.is_empty());
        // One OCR slip in a long name is still the name; two are not.
        assert!(names("ACTE\nMBARQA Hervé", "MBARGA Hervé"));
        assert!(!names("ACTE\nMBARQO Hervé", "MBARGA Hervé"));
    }
}
