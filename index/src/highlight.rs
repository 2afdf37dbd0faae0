//! Which words of a text a query matches, decided by the index's own analysis,
//! and the snippets and marks built from them.
//!
//! A word is marked when the analyzer that indexed it (tokenizer, lower case,
//! accent folding, stemmer) turns it into a term of the query, or into a token
//! within a fuzzy term's reach. So a mark is always a real match, never a
//! guess from the surface of the word, and a page that matched always shows
//! why. Every position comes from the tokenizer's offsets, which sit on `char`
//! boundaries by construction: no byte arithmetic on text happens here.

use std::collections::BTreeSet;
use std::ops::Range;

use tantivy::tokenizer::TextAnalyzer;

/// The terms of one query, per analysis, ready to test words against.
#[derive(Clone)]
pub struct Highlighter {
    french: Terms,
    english: Terms,
}

/// Terms as one analyzer produced them, and that analyzer.
#[derive(Clone)]
struct Terms {
    analyzer: TextAnalyzer,
    exact: BTreeSet<String>,
    /// Fuzzy terms (analysed) as characters, with their edit distance.
    fuzzy: Vec<(Vec<char>, u8)>,
}

impl Terms {
    fn new(analyzer: TextAnalyzer) -> Terms {
        Terms {
            analyzer,
            exact: BTreeSet::new(),
            fuzzy: Vec::new(),
        }
    }

    fn matches(&self, token: &str) -> bool {
        if self.exact.contains(token) {
            return true;
        }
        if self.fuzzy.is_empty() {
            return false;
        }
        let token: Vec<char> = token.chars().collect();
        self.fuzzy
            .iter()
            .any(|(term, distance)| within(&token, term, usize::from(*distance)))
    }

    /// Byte ranges of `text` whose analysed token matches.
    fn spans(&self, text: &str, out: &mut BTreeSet<(usize, usize)>) {
        // An analyzer keeps state per stream, so each call works on its own copy.
        let mut analyzer = self.analyzer.clone();
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            let token = stream.token();
            if self.matches(&token.text) {
                out.insert((token.offset_from, token.offset_to));
            }
        }
    }

    /// The first token of `word`, as this analysis indexes it.
    fn analyse(&mut self, word: &str) -> Option<String> {
        let mut stream = self.analyzer.token_stream(word);
        stream.advance().then(|| stream.token().text.clone())
    }
}

impl Highlighter {
    pub(crate) fn new(french: TextAnalyzer, english: TextAnalyzer) -> Highlighter {
        Highlighter {
            french: Terms::new(french),
            english: Terms::new(english),
        }
    }

    /// An exact term, already analysed (as the query parser produced it).
    pub(crate) fn add_french_term(&mut self, term: &str) {
        self.french.exact.insert(term.to_owned());
    }

    pub(crate) fn add_english_term(&mut self, term: &str) {
        self.english.exact.insert(term.to_owned());
    }

    /// A fuzzy word as the user typed it: analysed here by each analysis.
    pub(crate) fn add_fuzzy(&mut self, word: &str, distance: u8) {
        for terms in [&mut self.french, &mut self.english] {
            if let Some(token) = terms.analyse(word) {
                terms.fuzzy.push((token.chars().collect(), distance));
            }
        }
    }

    /// True when the query has nothing that could mark a word.
    pub fn is_empty(&self) -> bool {
        [&self.french, &self.english]
            .iter()
            .all(|t| t.exact.is_empty() && t.fuzzy.is_empty())
    }

    /// The byte ranges of `text` that match, in order, never overlapping,
    /// each on `char` boundaries.
    pub fn spans(&self, text: &str) -> Vec<Range<usize>> {
        let mut found = BTreeSet::new();
        self.french.spans(text, &mut found);
        self.english.spans(text, &mut found);
        let mut spans: Vec<Range<usize>> = Vec::with_capacity(found.len());
        for (from, to) in found {
            match spans.last_mut() {
                Some(last) if from < last.end => last.end = last.end.max(to),
                _ => spans.push(from..to),
            }
        }
        spans
    }

    /// Whether one word (an OCR word, say) matches, punctuation around it aside.
    pub fn matches_word(&self, word: &str) -> bool {
        !self.spans(word).is_empty()
    }

    /// A fragment of at most `max_chars` characters around the densest run of
    /// matches, with the matches' ranges in it; `None` when nothing in
    /// `text` matches.
    pub fn snippet(&self, text: &str, max_chars: usize) -> Option<Snippet> {
        let spans = self.spans(text);
        let window = best_window(text, &spans, max_chars)?;
        let highlighted = spans
            .iter()
            .filter(|s| s.start >= window.start && s.end <= window.end)
            .map(|s| s.start - window.start..s.end - window.start)
            .collect();
        Some(Snippet {
            text: text[window].to_owned(),
            highlighted,
        })
    }
}

/// A fragment of a page's text and the parts of it a query matched, as
/// tantivy's `Snippet` gives them: for the viewer to mark and the CLI to
/// print bold, with nothing to parse back out of HTML.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Snippet {
    /// The fragment, as plain text.
    pub text: String,
    /// Byte ranges of `text` (UTF-8) that matched, in order, never overlapping.
    pub highlighted: Vec<Range<usize>>,
}

impl Snippet {
    /// The fragment cut at the edges of its matches: each part, and whether it matched.
    pub fn parts(&self) -> Vec<(&str, bool)> {
        cut(&self.text, &self.highlighted)
    }

    /// The fragment HTML-escaped, with each match in `<b>…</b>`.
    pub fn to_html(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 16);
        for (part, matched) in self.parts() {
            if matched {
                out.push_str(&format!("<b>{}</b>", escape(part)));
            } else {
                out.push_str(&escape(part));
            }
        }
        out
    }
}

/// `text` cut at the edges of `spans` (byte ranges on `char` boundaries, in
/// order, not overlapping): each non-empty part, and whether it is a span.
pub fn cut<'a>(text: &'a str, spans: &[Range<usize>]) -> Vec<(&'a str, bool)> {
    let mut parts = Vec::with_capacity(spans.len() * 2 + 1);
    let mut at = 0;
    for span in spans {
        parts.push((&text[at..span.start], false));
        parts.push((&text[span.clone()], true));
        at = span.end;
    }
    parts.push((&text[at..], false));
    parts.retain(|(part, _)| !part.is_empty());
    parts
}

/// The byte range of the window of at most `max_chars` characters holding the
/// most matches, starting a little before the first of them.
fn best_window(text: &str, spans: &[Range<usize>], max_chars: usize) -> Option<Range<usize>> {
    const LEAD: usize = 40;
    // Character positions of every char boundary, to measure windows in chars.
    let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    let char_at = |byte: usize| starts.partition_point(|&b| b < byte);
    let byte_at = |ch: usize| starts.get(ch).copied().unwrap_or(text.len());
    let (mut best, mut best_count) = (None, 0);
    for (i, span) in spans.iter().enumerate() {
        let first = char_at(span.start);
        let begin = first.saturating_sub(LEAD.min(max_chars / 4));
        let limit = byte_at(begin + max_chars);
        let count = spans[i..].iter().take_while(|s| s.end <= limit).count();
        if count > best_count {
            (best, best_count) = (Some((begin, limit)), count);
        }
    }
    let (begin, limit) = best?;
    Some(byte_at(begin)..limit)
}

/// The first `max_chars` characters of `text`: a snippet for a page that
/// matched on something other than its words (its kind, its date).
pub fn opening(text: &str, max_chars: usize) -> Snippet {
    let end = text
        .char_indices()
        .nth(max_chars)
        .map_or(text.len(), |(i, _)| i);
    Snippet {
        text: text[..end].to_owned(),
        highlighted: Vec::new(),
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether `a` is within `distance` edits of `b` (insertions, deletions,
/// substitutions and transpositions of neighbours, as tantivy's fuzzy terms).
pub(crate) fn within(a: &[char], b: &[char], distance: usize) -> bool {
    if a.len().abs_diff(b.len()) > distance {
        return false;
    }
    let width = b.len() + 1;
    let mut rows = vec![vec![0usize; width]; 3];
    // Row i lives in rows[i % 3]; row 0 is the distance from the empty prefix.
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (current, previous, before) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[current][0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[previous][j - 1] + cost)
                .min(rows[previous][j] + 1)
                .min(rows[current][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[before][j - 2] + 1);
            }
            rows[current][j] = best;
        }
    }
    rows[a.len() % 3][b.len()] <= distance
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn edit_distances_count_transpositions_as_one() {
        assert!(within(&chars("ngono"), &chars("ng0no"), 1));
        assert!(within(&chars("ngono"), &chars("gnono"), 1));
        assert!(!within(&chars("ngono"), &chars("mbarga"), 2));
        assert!(within(&chars(""), &chars("ab"), 2));
        assert!(!within(&chars(""), &chars("ab"), 1));
        assert!(!within(&chars("n"), &chars("ਲぁ"), 1));
        assert!(within(&chars("n"), &chars("na"), 1));
    }

    #[test]
    fn windows_and_marks_stay_on_char_boundaries() {
        let text = "« d’Amina » née à Douala";
        let start = text.find("Amina").unwrap();
        let amina = Range {
            start,
            end: start + "Amina".len(),
        };
        let spans = vec![amina];
        let window = best_window(text, &spans, 12).unwrap();
        let from = start - window.start;
        let snippet = Snippet {
            text: text[window.clone()].to_owned(),
            highlighted: std::iter::once(from..from + "Amina".len()).collect(),
        };
        assert_eq!(&snippet.text[snippet.highlighted[0].clone()], "Amina");
        assert_eq!(snippet.parts()[1], ("Amina", true));
        let html = snippet.to_html();
        assert!(html.contains("<b>Amina</b>"), "{html}");
        assert_eq!(opening("née à", 2).text, "né");
    }

    #[test]
    fn a_snippet_is_text_with_ranges_and_its_html_is_escaped() {
        let snippet = Snippet {
            text: "<i>Ngono</i> & Amina".into(),
            highlighted: vec![3..8, 15..20],
        };
        let parts = snippet.parts();
        assert_eq!(
            parts,
            [
                ("<i>", false),
                ("Ngono", true),
                ("</i> & ", false),
                ("Amina", true)
            ]
        );
        assert_eq!(
            snippet.to_html(),
            "&lt;i&gt;<b>Ngono</b>&lt;/i&gt; &amp; <b>Amina</b>"
        );
    }
}
