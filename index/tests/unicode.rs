//! Search, snippets and marks on real French OCR text and on arbitrary Unicode:
//! never a panic, and every `<b>` around a word the query really matches.

use std::collections::BTreeMap;

use dossier_index::{Index, PageDoc, SearchOptions};
use proptest::prelude::*;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};

/// Pages as Tesseract writes French: curly apostrophes, guillemets, ligatures,
/// non-breaking spaces, accented capitals. Pages are separated by form feeds.
const FRENCH_OCR: &str = include_str!("../../testkit/data/french-ocr.txt");

fn analyzer(language: Language) -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(language))
        .build()
}

/// Every token of `text` under the French and the English analysis.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for language in [Language::French, Language::English] {
        let mut analyzer = analyzer(language);
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
    }
    out
}

/// Edit distance counting a swap of two neighbours as one edit, as the
/// index's fuzzy terms do (optimal string alignment).
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j - 1] + cost)
                .min(d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

fn unescape(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The texts inside `<b>…</b>`, unescaped.
fn marked(snippet: &str) -> Vec<String> {
    snippet
        .split("<b>")
        .skip(1)
        .map(|part| unescape(part.split("</b>").next().unwrap_or_default()))
        .collect()
}

/// One query word and the edits it allows (0: exact).
#[derive(Debug, Clone)]
struct Word {
    text: String,
    fuzzy: u8,
}

impl Word {
    fn query(&self) -> String {
        match self.fuzzy {
            0 => self.text.clone(),
            n => format!("{}~{n}", self.text),
        }
    }

    /// Whether `marked` is a real match of this word: one of its tokens
    /// equals (or is within the allowed edits of) one of the word's tokens.
    fn matches(&self, marked: &str) -> bool {
        let ours = tokens(&self.text);
        tokens(marked).iter().any(|t| {
            ours.iter()
                .any(|o| distance(t, o) <= usize::from(self.fuzzy))
        })
    }
}

fn index_of(texts: &[&str]) -> (tempfile::TempDir, Index) {
    let dir = tempfile::tempdir().unwrap();
    let index = Index::open_or_create(dir.path()).unwrap();
    let mut writer = index.writer().unwrap();
    for (i, text) in texts.iter().enumerate() {
        let page = PageDoc {
            page: i as u64 + 1,
            text: (*text).to_owned(),
            scanned: None,
            metadata: BTreeMap::new(),
            kind: None,
            complete: None,
            ..Default::default()
        };
        writer.add_pages(&format!("D-{i}"), "m", &[page]).unwrap();
    }
    writer.commit().unwrap();
    index.reload().unwrap();
    (dir, index)
}

/// Searches `words` and checks every hit: a snippet that marks something,
/// and only real matches of the words marked, in the snippet and by the
/// highlighter the viewer uses on the whole text.
fn check(index: &Index, texts: &[&str], words: &[Word]) -> Result<usize, TestCaseError> {
    let query: Vec<String> = words.iter().map(Word::query).collect();
    let query = query.join(" ");
    let options = SearchOptions {
        limit: 50,
        ..SearchOptions::default()
    };
    let Ok(results) = index.search(&query, &options) else {
        return Ok(0);
    };
    for hit in &results.hits {
        let marks = marked(&hit.snippet);
        prop_assert!(!marks.is_empty(), "{query}: no mark in {:?}", hit.snippet);
        for mark in &marks {
            prop_assert!(
                words.iter().any(|w| w.matches(mark)),
                "{query}: {mark:?} marked in {:?}",
                hit.snippet
            );
        }
        let text = texts[hit.page as usize - 1];
        let highlighter = index.highlighter(&query).unwrap();
        for span in highlighter.spans(text) {
            let mark = &text[span];
            prop_assert!(words.iter().any(|w| w.matches(mark)), "{query}: {mark:?}");
        }
    }
    Ok(results.hits.len())
}

fn french_pages() -> Vec<&'static str> {
    FRENCH_OCR.split('\u{c}').map(str::trim).collect()
}

#[test]
fn fuzzy_and_plain_queries_on_french_ocr_mark_their_matches() {
    let pages = french_pages();
    let (_dir, index) = index_of(&pages);
    for (query, fuzzy, at_least) in [
        ("amina", 1, 1),
        ("extrait", 1, 1),
        ("intéressée", 1, 2),
        ("homme", 1, 1),
        ("etat", 0, 2),
        ("certifie", 0, 2),
        ("oeuvre", 0, 1),
        ("coeur", 0, 1),
        ("NÉANT", 0, 1),
        ("efficace", 0, 1),
        ("ebolowa", 1, 1),
    ] {
        let word = Word {
            text: query.to_owned(),
            fuzzy,
        };
        let found =
            check(&index, &pages, std::slice::from_ref(&word)).unwrap_or_else(|e| panic!("{e}"));
        assert!(found >= at_least, "{}: {found} hits", word.query());
    }
}

#[test]
fn a_phrase_across_a_curly_apostrophe_is_found_and_marked() {
    let pages = french_pages();
    let (_dir, index) = index_of(&pages);
    let results = index
        .search("\"état civil\"", &SearchOptions::default())
        .unwrap();
    // Both mentions ("D’ÉTAT CIVIL", "d’état civil") are on the birth record.
    assert_eq!(results.total, 1);
    let snippet = &results.hits[0].snippet;
    assert!(snippet.to_lowercase().contains("<b>état</b>"), "{snippet}");
}

#[test]
fn deeply_nested_queries_are_refused_not_a_stack_overflow() {
    let (_dir, index) = index_of(&["Amina Ngono"]);
    let options = SearchOptions::default();
    for depth in [900, 500, 33] {
        let query = format!("{}ngono{}", "(".repeat(depth), ")".repeat(depth));
        let error = index.search(&query, &options).unwrap_err().to_string();
        assert!(error.contains("nests brackets"), "{error}");
    }
    let query = format!("{}ngono{}", "(".repeat(8), ")".repeat(8));
    assert_eq!(index.search(&query, &options).unwrap().total, 1);
    let long = "ngono ".repeat(1000);
    assert!(index.search(&long, &options).is_err());
}

/// Words of French OCR, and pieces of any script, glued by anything.
fn text_strategy() -> impl Strategy<Value = String> {
    let vocabulary: Vec<String> = french_pages()
        .iter()
        .flat_map(|p| p.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let word = prop_oneof![
        3 => proptest::sample::select(vocabulary),
        1 => "\\PC{1,12}",
    ];
    let glue = prop_oneof![
        Just(" ".to_owned()),
        Just("’".to_owned()),
        Just(" « ".to_owned()),
        Just("\u{a0}:\u{202f}".to_owned()),
        Just("\n".to_owned()),
        "\\PC{0,3}",
    ];
    proptest::collection::vec((word, glue), 1..40)
        .prop_map(|parts| parts.into_iter().map(|(w, g)| w + &g).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Queries made of words of the text (some fuzzy): every hit marks
    /// only real matches; nothing panics.
    #[test]
    fn any_text_any_word(
        texts in proptest::collection::vec(text_strategy(), 1..4),
        picks in proptest::collection::vec((any::<proptest::sample::Index>(), 0u8..=2), 1..3),
    ) {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let all: Vec<&str> = refs
            .iter()
            .flat_map(|t| t.split(|c: char| !c.is_alphanumeric()))
            .filter(|w| !w.is_empty())
            .collect();
        prop_assume!(!all.is_empty());
        let words: Vec<Word> = picks
            .iter()
            .map(|(i, fuzzy)| Word { text: i.get(&all).to_string(), fuzzy: *fuzzy })
            .collect();
        let (_dir, index) = index_of(&refs);
        check(&index, &refs, &words)?;
    }

    /// Any string at all as a query, on any text: an answer or an error.
    #[test]
    fn any_query_is_answered_or_refused(text in text_strategy(), query in "\\PC{0,40}") {
        let (_dir, index) = index_of(&[&text]);
        let _ = index.search(&query, &SearchOptions::default());
        if let Ok(highlighter) = index.highlighter(&query) {
            for span in highlighter.spans(&text) {
                prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            }
        }
    }
}
