//! The query language, on top of tantivy's parser:
//!
//! - `ngono marie`: pages with both words (in the page text or the candidate's name);
//! - `"acte de naissance"`: a phrase; `ngono OR mbarga`; `diplome -master`;
//! - `ngono~1`: a fuzzy term, one edit away (two at most), for names OCR garbled;
//! - `dossier:INT-2026-04711`, `kind:birth-certificate`, `lang:eng`, `name:ngono`,
//!   `complete:no` (dossiers missing a piece; `yes`, `doubtful`),
//!   `birth_place:douala`, `corps:infirmiers`, `application_no:10001`;
//! - `scanned:[2026-01-01 TO 2026-06-30]`: plain dates are accepted in ranges.

use tantivy::Index as TantivyIndex;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Term, tokenizer::TextAnalyzer};

use crate::highlight::Highlighter;
use crate::{ENGLISH, Error, FRENCH, Fields, Result};

/// A parsed query, and what marks its matches in page text.
pub(crate) struct Parsed {
    pub query: Box<dyn Query>,
    pub highlighter: Highlighter,
}

/// Deepest nesting of brackets a query may have. tantivy's parser recurses
/// once per level, so a query of a few thousand `(` would overflow the stack
/// and take the whole process down; no real query nests more than a few.
const MAX_NESTING: usize = 32;

/// Longest query accepted, in characters: far beyond any typed query, short
/// enough that parsing and highlighting stay cheap.
const MAX_QUERY_CHARS: usize = 2_000;

/// Refuses queries the parser could not handle safely.
fn check_shape(input: &str) -> Result<()> {
    if input.chars().count() > MAX_QUERY_CHARS {
        return Err(Error::Syntax(format!(
            "the query is longer than {MAX_QUERY_CHARS} characters"
        )));
    }
    let (mut depth, mut deepest, mut in_quotes) = (0usize, 0usize, false);
    for c in input.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            '(' | '[' | '{' if !in_quotes => depth += 1,
            ')' | ']' | '}' if !in_quotes => depth = depth.saturating_sub(1),
            _ => {}
        }
        deepest = deepest.max(depth);
    }
    if deepest > MAX_NESTING {
        return Err(Error::Syntax(format!(
            "the query nests brackets {deepest} deep; at most {MAX_NESTING} are allowed"
        )));
    }
    Ok(())
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

/// The analyzer registered under `name` when the index was opened.
fn analyzer(index: &TantivyIndex, name: &str) -> TextAnalyzer {
    index.tokenizers().get(name).expect("registered at open")
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
    check_shape(input)?;
    let (rest, fuzzy) = rewrite(input);
    let mut highlighter = Highlighter::new(analyzer(index, FRENCH), analyzer(index, ENGLISH));
    for (word, distance) in &fuzzy {
        highlighter.add_fuzzy(word, *distance);
    }
    let mut parser = QueryParser::for_index(index, vec![fields.text, fields.text_en, fields.name]);
    parser.set_conjunction_by_default();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if !rest.is_empty() {
        clauses.push((Occur::Must, parser.parse_query(&rest)?));
    }
    for (word, distance) in fuzzy {
        let mut either: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, name) in [
            (fields.text, FRENCH),
            (fields.text_en, ENGLISH),
            (fields.name, FRENCH),
        ] {
            let mut analyzer = analyzer(index, name);
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
    let text_query: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
    text_query.query_terms(&mut |term, _| {
        let value = term.value();
        let Some(word) = value.as_str() else {
            return;
        };
        if term.field() == fields.text_en {
            highlighter.add_english_term(word);
        } else if term.field() == fields.text || term.field() == fields.name {
            highlighter.add_french_term(word);
        }
    });
    let query = match dossier {
        Some(id) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, text_query),
            (Occur::Must, term_query(fields.dossier, id)),
        ])),
        None => text_query,
    };
    Ok(Parsed { query, highlighter })
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
    fn plain_dates_in_ranges_get_a_time() {
        let (rest, _) = rewrite("acte scanned:[2026-01-01 TO 2026-06-30] ngono");
        assert_eq!(
            rest,
            "acte scanned:[2026-01-01T00:00:00Z TO 2026-06-30T00:00:00Z] ngono"
        );
    }
}
