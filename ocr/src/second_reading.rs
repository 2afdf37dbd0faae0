//! Never worse than Tesseract alone: when the reading of the preprocessed page
//! is in doubt, the page as scanned is read too and the better reading kept.
//!
//! Every preprocessing step is a guess about the page (it is blank, it lies
//! upside down, this is dust, this band is scanner border), and on real scans
//! each guess is sometimes wrong: a faint letter taken for a blank page, an
//! upright magazine page turned round, blurred type cleaned away as specks.
//! Tesseract's own confidence is the judge that does not share those guesses.
//! A doubtful page (marked blank, turned, read with low confidence or no
//! words at all) is read a second time exactly as scanned, and whichever
//! reading carries more confidently read text is kept. A page on which
//! preprocessing guessed something that changes how Tesseract sees the
//! whole page (scanner borders painted as paper, a resolution the file
//! declares but we did not believe) is read as scanned too, and there the
//! scan wins a tie: on real pages both guesses cost words as often as they
//! saved any, with Tesseract's confidence the same either way. When even
//! that one is
//! unclear, a third reading of the page with its paper flattened to white
//! (`crate::background`) is tried: it makes grey or framed paper legible
//! but would also bring out a facing page's show-through, so it is only a
//! last resort.

use crate::Recognition;

/// Mean word confidence under which a reading is in doubt. Clean printed
/// pages read at 85 to 95; real typewritten and photocopied ones at 60 to 85.
const DOUBTFUL_CONFIDENCE: f32 = 80.0;

/// How much more text the reading as scanned must carry to be preferred:
/// on a tie the straightened page wins, as it is the better page to show.
const MARGIN: f64 = 1.05;

/// What a page marked blank must show, read as scanned, to be text after all:
/// a few words Tesseract is fairly sure of, not dust read as `.` or `|`.
const BLANK_MIN_WORDS: usize = 3;
const BLANK_MIN_CONFIDENCE: f32 = 60.0;

/// Why the preprocessed reading is in doubt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Doubt {
    /// Blank detection found no ink worth reading.
    Blank,
    /// Tesseract read it with a low mean confidence.
    LowConfidence(f32),
    /// Tesseract found no word on a page that is not blank.
    NoWords,
    /// Dark scanner borders were painted as paper, which moves Tesseract's
    /// threshold for the whole page (faint type came out thinner).
    Border,
    /// The file declares a resolution we did not believe: ours is a guess
    /// against the file's word, and Tesseract's page layout depends on it.
    /// (A file that declares none has nothing to doubt: Tesseract alone
    /// would guess too.)
    Resolution,
}

impl Doubt {
    /// Whether the doubt is about a guess of ours rather than the reading:
    /// the page as scanned, read as Tesseract alone reads it, then wins a tie.
    fn about_a_guess(self) -> bool {
        matches!(self, Doubt::Border | Doubt::Resolution)
    }
}

impl std::fmt::Display for Doubt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Doubt::Blank => write!(f, "marked blank"),
            Doubt::LowConfidence(c) => write!(f, "mean confidence {c:.0}"),
            Doubt::NoWords => write!(f, "no word read"),
            Doubt::Border => write!(f, "scanner border painted"),
            Doubt::Resolution => write!(f, "declared resolution overridden"),
        }
    }
}

/// What preprocessing guessed about a page, beside what it read.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Guesses {
    /// Blank detection found no ink worth reading.
    pub blank: bool,
    /// Scanner borders were painted as paper ([`crate::Preprocessed::border`]).
    pub border: bool,
    /// The file declares a resolution we did not believe
    /// ([`crate::Scan::declared_dpi_overridden`]).
    pub resolution: bool,
}

/// Whether the reading of a page deserves a second reading of the scan as it
/// is, given what preprocessing decided (see [`crate::Preprocessed`]). A
/// turn needs no doubt of its own: Tesseract's orientation detection
/// confirmed it, and a wrong one reads with low confidence anyway.
pub fn doubt(guesses: Guesses, reading: Option<&Recognition>) -> Option<Doubt> {
    if guesses.blank {
        return Some(Doubt::Blank);
    }
    match reading {
        None => Some(Doubt::NoWords),
        Some(r) if r.words.is_empty() => Some(Doubt::NoWords),
        Some(r) if r.confidence < DOUBTFUL_CONFIDENCE => Some(Doubt::LowConfidence(r.confidence)),
        Some(_) if guesses.border => Some(Doubt::Border),
        Some(_) if guesses.resolution => Some(Doubt::Resolution),
        Some(_) => None,
    }
}

/// Mean confidence under which even the better of two readings is unclear
/// enough to try a third, on the page with its paper flattened.
const UNCLEAR_CONFIDENCE: f32 = 60.0;

/// Whether a reading found nothing, or nothing Tesseract is fairly sure of.
pub fn unclear(reading: Option<&Recognition>) -> bool {
    reading.is_none_or(|r| r.words.is_empty() || r.confidence < UNCLEAR_CONFIDENCE)
}

/// How much text a reading carries: letters and digits of each word, weighted
/// by Tesseract's confidence in the word. Garbage read off a wrongly turned or
/// over-cleaned page scores low; so does a page read only in part.
pub fn weight(reading: &Recognition) -> f64 {
    reading
        .words
        .iter()
        .map(|w| {
            let letters = w.text.chars().filter(|c| c.is_alphanumeric()).count();
            f64::from(w.confidence / 100.0) * letters as f64
        })
        .sum()
}

/// Whether the reading of the page as scanned should replace the
/// preprocessed one: [`prefer`], except that where the doubt is about a
/// guess of ours, the scan wins unless the preprocessed reading carries
/// clearly more text.
pub fn prefer_scan(doubt: Doubt, kept: Option<&Recognition>, scanned: &Recognition) -> bool {
    if doubt.about_a_guess() {
        return weight(scanned) * MARGIN >= kept.map_or(0.0, weight);
    }
    prefer(doubt, kept, scanned)
}

/// Whether a later reading (as scanned, flattened) should replace the one kept so far.
pub fn prefer(doubt: Doubt, kept: Option<&Recognition>, candidate: &Recognition) -> bool {
    if doubt == Doubt::Blank {
        let sure = candidate
            .words
            .iter()
            .filter(|w| w.confidence >= BLANK_MIN_CONFIDENCE)
            .filter(|w| w.text.chars().filter(|c| c.is_alphanumeric()).count() >= 2)
            .count();
        if sure < BLANK_MIN_WORDS {
            return false;
        }
    }
    weight(candidate) > kept.map_or(0.0, weight) * MARGIN
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Word;

    fn reading(words: &[(&str, f32)]) -> Recognition {
        let words: Vec<Word> = words
            .iter()
            .map(|(text, confidence)| Word {
                text: (*text).to_owned(),
                bbox: [0, 0, 1, 1],
                confidence: *confidence,
                line: 0,
            })
            .collect();
        let confidence = if words.is_empty() {
            0.0
        } else {
            words.iter().map(|w| w.confidence).sum::<f32>() / words.len() as f32
        };
        Recognition {
            text: String::new(),
            words,
            confidence,
        }
    }

    #[test]
    fn garbage_from_a_wrong_step_loses_to_the_page_as_scanned() {
        let turned = reading(&[("ʇɐɥ", 20.0), ("ꟻ", 15.0), ("IlI", 30.0)]);
        let scanned = reading(&[("Monsieur", 91.0), ("le", 95.0), ("Ministre", 90.0)]);
        assert!(prefer(Doubt::LowConfidence(20.0), Some(&turned), &scanned));
        assert!(!prefer(Doubt::LowConfidence(20.0), Some(&scanned), &turned));
    }

    #[test]
    fn a_tie_keeps_the_straightened_page() {
        let same = reading(&[("Acte", 70.0), ("de", 70.0), ("naissance", 70.0)]);
        assert!(!prefer(Doubt::LowConfidence(70.0), Some(&same), &same));
    }

    #[test]
    fn where_we_guessed_the_scan_wins_a_tie_and_loses_to_clearly_more_text() {
        let preprocessed = reading(&[("Acte", 90.0), ("de", 90.0), ("naissance", 90.0)]);
        let scanned = reading(&[("Acte", 88.0), ("de", 90.0), ("naissance", 89.0)]);
        assert!(prefer_scan(Doubt::Border, Some(&preprocessed), &scanned));
        assert!(prefer_scan(
            Doubt::Resolution,
            Some(&preprocessed),
            &scanned
        ));
        assert!(!prefer_scan(
            Doubt::LowConfidence(70.0),
            Some(&preprocessed),
            &scanned
        ));
        let fuller = reading(&[
            ("Acte", 90.0),
            ("de", 90.0),
            ("naissance", 90.0),
            ("n°", 90.0),
        ]);
        let cut = reading(&[("Acte", 90.0), ("de", 90.0)]);
        assert!(!prefer_scan(Doubt::Border, Some(&fuller), &cut));
    }

    #[test]
    fn a_confident_reading_is_doubted_only_where_we_guessed() {
        let confident = reading(&[("Monsieur", 92.0), ("le", 95.0), ("Ministre", 91.0)]);
        let none = Guesses::default();
        assert_eq!(doubt(none, Some(&confident)), None);
        let border = Guesses {
            border: true,
            ..none
        };
        assert_eq!(doubt(border, Some(&confident)), Some(Doubt::Border));
        let resolution = Guesses {
            resolution: true,
            ..none
        };
        assert_eq!(doubt(resolution, Some(&confident)), Some(Doubt::Resolution));
        let blank = Guesses {
            blank: true,
            border: true,
            resolution: true,
        };
        assert_eq!(doubt(blank, Some(&confident)), Some(Doubt::Blank));
    }

    #[test]
    fn a_blank_page_is_text_only_if_tesseract_is_sure_of_a_few_words() {
        let dust = reading(&[(".", 30.0), ("|", 40.0), ("il", 20.0)]);
        let letter = reading(&[("Paris,", 80.0), ("le", 85.0), ("mars", 75.0)]);
        assert!(!prefer(Doubt::Blank, None, &dust));
        assert!(prefer(Doubt::Blank, None, &letter));
    }
}
