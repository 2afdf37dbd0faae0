//! The stored OCR words of a page: the object a page record's `words` names.
//! Declared once, here: ingest writes it, PDF assembly of a reused page and
//! the viewer's boxes read it.

use serde::{Deserialize, Serialize};

/// The format's version, written in every words object.
pub const VERSION: u32 = 1;

/// What OCR read on a page, word by word.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageWords {
    /// Objects written before the format carried its version are version 1.
    #[serde(default = "first_version")]
    pub version: u32,
    pub words: Vec<Word>,
    /// Lines joined by `\n`, paragraphs separated by an empty line.
    pub text: String,
    /// Mean word confidence, 0 to 100 (0 when there are no words).
    pub confidence: f32,
}

/// One word, in pixel coordinates of the archived page image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub text: String,
    /// Left, top, width, height in pixels.
    pub bbox: [u32; 4],
    /// OCR's confidence, 0 to 100.
    pub confidence: f32,
    /// Index of the text line the word belongs to, counted over the page.
    pub line: u32,
}

impl PageWords {
    /// The page's lines in reading order: (line number, its words joined by spaces).
    pub fn lines(&self) -> Vec<(u32, String)> {
        line_numbers(&self.words)
            .into_iter()
            .map(|n| (n, line_text(&self.words, n)))
            .collect()
    }
}

/// The line numbers of `words`, each once, in reading order.
pub fn line_numbers(words: &[Word]) -> Vec<u32> {
    let mut numbers: Vec<u32> = Vec::new();
    for word in words {
        if !numbers.contains(&word.line) {
            numbers.push(word.line);
        }
    }
    numbers
}

/// The text of line `line`: its words joined by spaces, as OCR wrote it.
pub fn line_text(words: &[Word], line: u32) -> String {
    let parts: Vec<&str> = words
        .iter()
        .filter(|w| w.line == line)
        .map(|w| w.text.as_str())
        .collect();
    parts.join(" ")
}

fn first_version() -> u32 {
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_written_before_the_version_are_read_as_version_1() {
        let old = r#"{"words":[{"text":"Ngono","bbox":[1,2,3,4],"confidence":91.5,"line":0}],
                      "text":"Ngono","confidence":91.5}"#;
        let words: PageWords = serde_json::from_str(old).unwrap();
        assert_eq!(words.version, 1);
        assert_eq!(words.words[0].bbox, [1, 2, 3, 4]);
        let written = serde_json::to_string(&words).unwrap();
        assert!(written.starts_with(r#"{"version":1,"#), "{written}");
    }
}
