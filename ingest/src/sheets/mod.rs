//! Separator sheets: what their codes say, and how a page is recognised as one.
//!
//! A scanning room separates a stack with printed sheets: a cover sheet
//! starts each dossier, a piece sheet (an *intercalaire*) names the kind of
//! the pages after it. Each carries its message twice, as a QR code and as a
//! Code 128, so that either one read is enough; and a printed phrase that
//! OCR finds when both codes are lost, so that a missed sheet is caught
//! rather than filed as a page of the wrong dossier.

pub mod barcode;
pub mod render;

use std::fmt;

/// Every code of ours starts so; codes on the documents themselves (an ID
/// card's, a diploma's) never do, and are pages like any other.
const PREFIX: &str = "DOSSIER:";

/// What a separator sheet says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sheet {
    /// Starts the dossier with this identifier.
    Cover(String),
    /// The pages after it, up to the next sheet, are of this kind (one of `index::classify::KINDS`).
    Piece(String),
}

impl Sheet {
    /// Reads a code's text; `None` for codes that are not ours.
    ///
    /// A code of ours that says something unusable (an invalid identifier,
    /// an unknown kind) is `Some(Err)`: the sheet is there, and must not be
    /// taken for a page.
    pub fn parse(code: &str) -> Option<Result<Sheet, String>> {
        let rest = code.trim().strip_prefix(PREFIX)?;
        let parsed = if let Some(id) = rest.strip_prefix("COVER:") {
            if store::manifest::valid_dossier_id(id) {
                Ok(Sheet::Cover(id.to_owned()))
            } else {
                Err(format!("cover sheet with an invalid identifier {id:?}"))
            }
        } else if let Some(kind) = rest.strip_prefix("PIECE:") {
            let kind = kind.to_ascii_lowercase();
            match index::classify::KINDS.iter().find(|k| **k == kind) {
                Some(kind) => Ok(Sheet::Piece((*kind).to_owned())),
                None => Err(format!("piece sheet of an unknown kind {kind:?}")),
            }
        } else {
            Err(format!("a code of ours that says nothing known: {code:?}"))
        };
        Some(parsed)
    }

    /// What a sheet says as an operator writes it in a corrections file:
    /// `cover INT-2026-00002`, `piece diploma`.
    pub fn parse_words(text: &str) -> Result<Sheet, String> {
        let mut words = text.split_whitespace();
        let (Some(what), Some(value), None) = (words.next(), words.next(), words.next()) else {
            return Err(format!(
                "{text:?}: write `cover ID`, `piece KIND` or `page`"
            ));
        };
        let code = match what {
            "cover" => format!("{PREFIX}COVER:{value}"),
            "piece" => format!("{PREFIX}PIECE:{value}"),
            _ => {
                return Err(format!(
                    "{text:?}: write `cover ID`, `piece KIND` or `page`"
                ));
            }
        };
        Sheet::parse(&code).expect("our prefix")
    }

    /// The text the sheet's codes carry. Piece kinds are upper-cased there:
    /// a QR code holds upper-case letters, digits and `-:` in its compact
    /// alphanumeric mode, and a smaller code reads from a worse copy.
    pub fn code(&self) -> String {
        match self {
            Sheet::Cover(id) => format!("{PREFIX}COVER:{id}"),
            Sheet::Piece(kind) => format!("{PREFIX}PIECE:{}", kind.to_ascii_uppercase()),
        }
    }
}

impl fmt::Display for Sheet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sheet::Cover(id) => write!(f, "cover {id}"),
            Sheet::Piece(kind) => write!(f, "piece {kind}"),
        }
    }
}

/// The phrase printed at the foot of every sheet, as OCR reads it.
pub const PHRASE: &str = "Feuille de séparation dossier";

/// Whether a page's text shows it to be a separator sheet whose codes were
/// not read: the printed phrase, accents and case aside, or the header of
/// either kind of sheet.
pub fn looks_like_sheet(text: &str) -> bool {
    let folded = index::classify::fold(text);
    let squeezed: String = folded.split_whitespace().collect::<Vec<_>>().join(" ");
    [
        "feuille de separation",
        "separation dossier",
        "dossier - intercalaire",
        "feuille de couverture",
    ]
    .iter()
    .any(|marker| squeezed.contains(marker))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_say_what_they_were_made_to_say() {
        for sheet in [
            Sheet::Cover("INT-2026-00001".into()),
            Sheet::Piece("birth-certificate".into()),
        ] {
            assert_eq!(Sheet::parse(&sheet.code()), Some(Ok(sheet.clone())));
            assert_eq!(Sheet::parse_words(&sheet.to_string()), Ok(sheet));
        }
        // A document's own code is a page, not a sheet.
        assert_eq!(Sheet::parse("https://verify.example.cm/123"), None);
        assert!(matches!(Sheet::parse("DOSSIER:PIECE:RECIPE"), Some(Err(_))));
        assert!(matches!(Sheet::parse("DOSSIER:COVER:../x"), Some(Err(_))));
        assert!(Sheet::parse_words("cover").is_err());
    }

    #[test]
    fn a_sheet_whose_codes_were_lost_is_known_by_its_phrase() {
        assert!(looks_like_sheet(
            "INT-2026-00001\nFEUILLE DE SÉPARATION\n  DOSSIER"
        ));
        assert!(looks_like_sheet("Feuille de separation dossier"));
        assert!(!looks_like_sheet("ACTE DE NAISSANCE\nN° 12 du dossier"));
    }
}
