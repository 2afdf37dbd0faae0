//! The query language, on top of tantivy's parser:
//!
//! - `ngono marie`: pages with both words (in the page text or the candidate's name);
//! - `"acte de naissance"`: a phrase; `ngono OR mbarga`; `diplome -master`;
//! - `ngono~1`: a fuzzy term, one edit away (two at most), for names OCR garbled;
//! - `dossier:INT-2026-04711`, `kind:birth-certificate`, `lang:eng`, `name:ngono`,
//!   `birth_place:douala`, `corps:infirmiers`, `application_no:10001`;
//! - `scanned:[2026-01-01 TO 2026-06-30]`: plain dates are accepted in ranges.

use tantivy::Index as TantivyIndex;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Term, tokenizer::TextAnalyzer};

use crate::{Error, Fields, Result};

/// A parsed query, and the part of it that highlights snippets.
pub(crate) struct Parsed {
    pub query: Box<dyn Query>,
    pub text_query: Box<dyn Query>,
    /// Fuzzy terms and their distance, which tantivy's snippets cannot highlight.
    pub fuzzy: Vec<(String, u8)>,
}

/// Splits off `word~N` terms (outside quotes) and makes dates in `scanned:` ranges RFC 3339.
fn rewrite(input: &str) -> (String, Vec<(String, u8)>) {
    let mut rest = String::new();
    let mut fuzzy = Vec::new();
    let mut in_quotes = false;
    let mut in_scanned = false;
    for (i, part) in input.split(' ').enumerate() {
        let was_in_quotes = in_quotes;
        in_quotes ^= part.matches('"').count() % 2 == 1;
        let outside_quotes = !was_in_quotes && !in_quotes;
        if let Some((word, distance)) = part.rsplit_once('~').filter(|_| outside_quotes) {
            let distance = distance.parse::<u8>().ok().filter(|d| (1..=2).contains(d));
            let plain = !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '\'');
            if let (Some(distance), true) = (distance, plain) {
                fuzzy.push((word.to_owned(), distance));
                continue;
            }
        }
        if part.starts_with("scanned:") {
            in_scanned = true;
        }
        let mut part = part.to_owned();
        if in_scanned {
            part = with_time(&part);
            let opens_range = part.contains('[') || part.contains('{');
            let closes_range = part.contains(']') || part.contains('}');
            if closes_range || (part.starts_with("scanned:") && !opens_range) {
                in_scanned = false;
            }
        }
        if i > 0 {
            rest.push(' ');
        }
        rest.push_str(&part);
    }
    (rest.trim().to_owned(), fuzzy)
}

/// `2026-01-01` → `2026-01-01T00:00:00Z` wherever a bare date stands.
fn with_time(part: &str) -> String {
    let bytes = part.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < part.len() {
        let is_date = i + 10 <= part.len()
            && bytes[i..i + 10].iter().enumerate().all(|(k, b)| {
                if k == 4 || k == 7 {
                    *b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            })
            && bytes.get(i + 10) != Some(&b'T');
        if is_date {
            out.push_str(&part[i..i + 10]);
            out.push_str("T00:00:00Z");
            i += 10;
        } else {
            let c = part[i..].chars().next().expect("in bounds");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn analyze(analyzer: &mut TextAnalyzer, word: &str) -> Option<String> {
    let mut stream = analyzer.token_stream(word);
    let mut out = None;
    while stream.advance() {
        out.get_or_insert_with(|| stream.token().text.clone());
    }
    out
}

pub(crate) fn parse(
    index: &TantivyIndex,
    fields: &Fields,
    input: &str,
    dossier: Option<&str>,
) -> Result<Parsed> {
    let (rest, fuzzy) = rewrite(input);
    let fuzzy_terms = fuzzy.clone();
    let mut parser = QueryParser::for_index(index, vec![fields.text, fields.text_en, fields.name]);
    parser.set_conjunction_by_default();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if !rest.is_empty() {
        clauses.push((Occur::Must, parser.parse_query(&rest)?));
    }
    for (word, distance) in fuzzy {
        let mut either: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, analyzer) in [
            (fields.text, "dossier_fr"),
            (fields.text_en, "dossier_en"),
            (fields.name, "dossier_fr"),
        ] {
            let mut analyzer = index
                .tokenizers()
                .get(analyzer)
                .expect("registered at open");
            if let Some(token) = analyze(&mut analyzer, &word) {
                let term = Term::from_field_text(field, &token);
                either.push((
                    Occur::Should,
                    Box::new(FuzzyTermQuery::new(term, distance, true)),
                ));
            }
        }
        if !either.is_empty() {
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(either))));
        }
    }
    if clauses.is_empty() {
        return Err(Error::Syntax("the query is empty".into()));
    }
    let text_query: Box<dyn Query> = Box::new(BooleanQuery::new(
        clauses.iter().map(|(o, q)| (*o, q.box_clone())).collect(),
    ));
    let query = match dossier {
        Some(id) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, text_query.box_clone()),
            (Occur::Must, term_query(fields.dossier, id)),
        ])),
        None => text_query.box_clone(),
    };
    Ok(Parsed {
        query,
        text_query,
        fuzzy: fuzzy_terms,
    })
}

/// A word folded (lower case, no accents) as characters, for edit distances.
fn folded(word: &str) -> Vec<char> {
    crate::classify::fold(word).chars().collect()
}

fn within(a: &[char], b: &[char], distance: usize) -> bool {
    if a.len().abs_diff(b.len()) > distance {
        return false;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()] <= distance
}

/// A snippet for fuzzy matches: the text around the first word within reach of
/// a fuzzy term, HTML-escaped, with every such word in `<b>…</b>`.
pub(crate) fn fuzzy_snippet(
    text: &str,
    fuzzy: &[(String, u8)],
    max_chars: usize,
) -> Option<String> {
    let targets: Vec<(Vec<char>, usize)> = fuzzy
        .iter()
        .map(|(w, d)| (folded(w), usize::from(*d)))
        .collect();
    let matches = |word: &str| targets.iter().any(|(t, d)| within(&folded(word), t, *d));
    let words: Vec<(usize, &str)> = text
        .split(|c: char| !c.is_alphanumeric())
        .scan(0usize, |offset, w| {
            let start = *offset;
            *offset += w.len() + 1;
            Some((start, w))
        })
        .filter(|(_, w)| !w.is_empty())
        .collect();
    let first = words.iter().find(|(_, w)| matches(w))?.0;
    let start = text[..first]
        .char_indices()
        .rev()
        .nth(40)
        .map_or(0, |(i, _)| i);
    let window: String = text[start..].chars().take(max_chars).collect();
    let mut out = String::new();
    let mut word = String::new();
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() {
            if matches(word) {
                out.push_str(&format!("<b>{}</b>", escape(word)));
            } else {
                out.push_str(&escape(word));
            }
            word.clear();
        }
    };
    for c in window.chars() {
        if c.is_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push_str(&escape(&c.to_string()));
        }
    }
    flush(&mut word, &mut out);
    Some(out)
}

fn term_query(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_terms_are_split_off_outside_quotes() {
        let (rest, fuzzy) = rewrite("ngono~1 \"a~1 b\" marie kind:diploma");
        assert_eq!(rest, "\"a~1 b\" marie kind:diploma");
        assert_eq!(fuzzy, vec![("ngono".to_owned(), 1)]);
    }

    #[test]
    fn fuzzy_snippets_highlight_near_words() {
        let snippet = fuzzy_snippet("Nom : NG0NO <Marie>", &[("ngono".into(), 1)], 100).unwrap();
        assert_eq!(snippet, "Nom : <b>NG0NO</b> &lt;Marie&gt;");
        assert!(fuzzy_snippet("rien", &[("ngono".into(), 1)], 100).is_none());
    }

    #[test]
    fn plain_dates_in_ranges_get_a_time() {
        let (rest, _) = rewrite("acte scanned:[2026-01-01 TO 2026-06-30] ngono");
        assert_eq!(
            rest,
            "acte scanned:[2026-01-01T00:00:00Z TO 2026-06-30T00:00:00Z] ngono"
        );
    }
}
