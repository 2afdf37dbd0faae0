//! A page's words rewritten line by line: the pure part of a correction.
//! Words keep their boxes where the line keeps its number of words; a line
//! rewritten with more or fewer words shares its box among them by length.

use store::manifest::Change;
pub use store::words::line_text;
use store::words::{PageWords, Word, line_numbers};

/// Confidence given to words a person wrote: the review queue never shows them again.
const BY_HAND: f32 = 100.0;

/// The page's words and text with `change` (of this page) applied.
pub fn apply(page: &PageWords, change: &Change) -> PageWords {
    let words = rewrite_line(&page.words, change.line, &change.new);
    let confidence = if words.is_empty() {
        0.0
    } else {
        words.iter().map(|w| w.confidence).sum::<f32>() / words.len() as f32
    };
    PageWords {
        version: store::words::VERSION,
        text: page_text(&page.text, &page.words, &words),
        words,
        confidence,
    }
}

/// `words` with line `line` rewritten as `new`.
fn rewrite_line(words: &[Word], line: u32, new: &str) -> Vec<Word> {
    let Some(first) = words.iter().position(|w| w.line == line) else {
        return words.to_vec();
    };
    let old: Vec<&Word> = words.iter().filter(|w| w.line == line).collect();
    let tokens: Vec<&str> = new.split_whitespace().collect();
    let rewritten = if tokens.len() == old.len() {
        same_count(&old, &tokens)
    } else {
        shared_box(&old, &tokens, line)
    };
    let mut out: Vec<Word> = words[..first]
        .iter()
        .filter(|w| w.line != line)
        .cloned()
        .collect();
    out.extend(rewritten);
    out.extend(words[first..].iter().filter(|w| w.line != line).cloned());
    out
}

/// Word for word: each keeps its box; only the words changed are marked as written by hand.
fn same_count(old: &[&Word], tokens: &[&str]) -> Vec<Word> {
    old.iter()
        .zip(tokens)
        .map(|(word, token)| {
            let mut word = (*word).clone();
            if word.text != *token {
                word.text = (*token).to_owned();
                word.confidence = BY_HAND;
            }
            word
        })
        .collect()
}

/// More or fewer words than OCR found: the line's box, shared by length
/// (a space counted between words), so each word sits where it roughly is.
fn shared_box(old: &[&Word], tokens: &[&str], line: u32) -> Vec<Word> {
    let left = old.iter().map(|w| w.bbox[0]).min().unwrap_or(0);
    let top = old.iter().map(|w| w.bbox[1]).min().unwrap_or(0);
    let right = old.iter().map(|w| w.bbox[0] + w.bbox[2]).max().unwrap_or(0);
    let bottom = old.iter().map(|w| w.bbox[1] + w.bbox[3]).max().unwrap_or(0);
    let chars: usize = tokens.iter().map(|t| t.chars().count() + 1).sum();
    let unit = f64::from(right - left) / chars.max(1) as f64;
    let mut at = 0usize;
    tokens
        .iter()
        .map(|token| {
            let n = token.chars().count();
            let x = left + (at as f64 * unit).round() as u32;
            let width = ((n as f64 * unit).round() as u32).max(1);
            at += n + 1;
            Word {
                text: (*token).to_owned(),
                bbox: [x, top, width, bottom - top],
                confidence: BY_HAND,
                line,
            }
        })
        .collect()
}

/// The page text after a correction: each line as the words now say it, in
/// the same place, paragraph breaks kept; a line left with no words goes.
/// The text's non-empty lines are the words' lines in order (`ocr::engine`
/// writes both from one pass).
fn page_text(old_text: &str, old_words: &[Word], new_words: &[Word]) -> String {
    let numbers = line_numbers(old_words);
    let mut out: Vec<String> = Vec::new();
    let mut k = 0;
    for text_line in old_text.split('\n') {
        if text_line.is_empty() {
            if out.last().is_some_and(|l| !l.is_empty()) {
                out.push(String::new());
            }
            continue;
        }
        let rewritten = match numbers.get(k) {
            Some(&n) => line_text(new_words, n),
            None => text_line.to_owned(),
        };
        k += 1;
        if !rewritten.is_empty() {
            out.push(rewritten);
        }
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, x: u32, line: u32) -> Word {
        Word {
            text: text.into(),
            bbox: [x, 10 + line * 40, 10 * text.len() as u32, 30],
            confidence: 60.0,
            line,
        }
    }

    fn page() -> PageWords {
        let words = vec![
            word("Madame", 0, 0),
            word("NG0NO", 80, 0),
            word("Awa", 150, 0),
            word("née", 0, 1),
            word("à", 40, 1),
            word("Mbarqa", 60, 1),
            word("Fin", 0, 2),
        ];
        PageWords {
            version: 1,
            text: "Madame NG0NO Awa\nnée à Mbarqa\n\nFin".into(),
            confidence: 60.0,
            words,
        }
    }

    fn change(line: u32, new: &str) -> Change {
        Change {
            page: 1,
            line,
            old: String::new(),
            new: new.into(),
        }
    }

    #[test]
    fn a_word_corrected_keeps_its_box_and_the_paragraphs_stay() {
        let page = page();
        let fixed = apply(&page, &change(0, "Madame NGONO Awa"));
        assert_eq!(fixed.text, "Madame NGONO Awa\nnée à Mbarqa\n\nFin");
        assert_eq!(fixed.words[1].text, "NGONO");
        assert_eq!(fixed.words[1].bbox, page.words[1].bbox);
        assert_eq!(fixed.words[1].confidence, BY_HAND);
        // Words not changed keep what OCR said of them.
        assert_eq!(fixed.words[0].confidence, 60.0);
    }

    #[test]
    fn a_line_with_more_words_shares_its_box_in_reading_order() {
        let page = page();
        let fixed = apply(&page, &change(1, "née à Mbarga (Centre)"));
        assert_eq!(line_text(&fixed.words, 1), "née à Mbarga (Centre)");
        let line: Vec<&Word> = fixed.words.iter().filter(|w| w.line == 1).collect();
        assert_eq!(line.len(), 4);
        assert!(line.windows(2).all(|w| w[0].bbox[0] < w[1].bbox[0]));
        let right = line[3].bbox[0] + line[3].bbox[2];
        assert!(right <= 60 + 60, "inside the old line: {right}");
        // Order on the page is kept: line 1 still comes before line 2.
        assert_eq!(fixed.words.last().unwrap().text, "Fin");
        assert_eq!(fixed.text, "Madame NG0NO Awa\nnée à Mbarga (Centre)\n\nFin");
    }

    #[test]
    fn a_line_emptied_leaves_the_text_and_later_corrections_still_find_their_line() {
        let page = page();
        let fixed = apply(&page, &change(1, ""));
        assert_eq!(fixed.text, "Madame NG0NO Awa\n\nFin");
        let again = apply(&fixed, &change(2, "Fin."));
        assert_eq!(again.text, "Madame NG0NO Awa\n\nFin.");
        assert_eq!(again.lines().len(), 2);
    }
}
