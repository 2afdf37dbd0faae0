//! The full-text index: a synchronous wrapper over tantivy for page text.
//!
//! The index is derived data: it can be dropped and rebuilt from the store's
//! manifests at any time, so it holds nothing the store does not. This crate
//! owns the schema, the French-aware analysis (lower case, accents folded,
//! Snowball stemming, so `integration` finds `intégration`), query parsing and
//! snippets. It must never know storage backends, OCR or files other than its
//! own folder.

use std::path::Path;

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::{
    Index as TantivyIndex, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc,
};

/// What went wrong in the index.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("cannot understand the query: {0}")]
    Query(#[from] tantivy::query::QueryParserError),
    #[error("index folder: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The analyzer every text field and query goes through.
const TOKENIZER: &str = "dossier_fr";

/// Memory tantivy may use to buffer documents before a commit.
const WRITER_HEAP: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy)]
struct Fields {
    dossier: Field,
    page: Field,
    text: Field,
    manifest: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let dossier = builder.add_text_field("dossier", STRING | STORED | FAST);
    let page = builder.add_u64_field("page", INDEXED | STORED | FAST);
    let text_options = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let text = builder.add_text_field("text", text_options);
    let manifest = builder.add_text_field("manifest", STRING | STORED);
    (
        builder.build(),
        Fields {
            dossier,
            page,
            text,
            manifest,
        },
    )
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::French))
        .build()
}

/// One page to index.
#[derive(Debug, Clone)]
pub struct PageDoc {
    pub page: u64,
    pub text: String,
}

/// A search hit.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub dossier: String,
    pub page: u64,
    pub score: f32,
    /// The best fragment, HTML-escaped, with matches in `<b>…</b>`.
    pub snippet: String,
}

/// Search results (`search --json` prints them).
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub total: usize,
    pub hits: Vec<Hit>,
}

/// Narrowing a search.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    pub dossier: Option<String>,
    pub limit: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            dossier: None,
            limit: 10,
        }
    }
}

/// The page-text index in a folder.
pub struct Index {
    index: TantivyIndex,
    reader: IndexReader,
    fields: Fields,
}

impl Index {
    /// Opens the index in `dir`, creating it if the folder is empty or absent.
    pub fn open_or_create(dir: &Path) -> Result<Index> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let directory = tantivy::directory::MmapDirectory::open(dir)
            .map_err(|e| Error::Tantivy(tantivy::TantivyError::from(e)))?;
        let index = TantivyIndex::open_or_create(directory, schema)?;
        index.tokenizers().register(TOKENIZER, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Index {
            index,
            reader,
            fields,
        })
    }

    /// The single writer of this index (tantivy allows one at a time).
    pub fn writer(&self) -> Result<Writer> {
        let writer = self.index.writer_with_num_threads(1, WRITER_HEAP)?;
        Ok(Writer {
            writer,
            fields: self.fields,
        })
    }

    /// Sees what the last commit wrote.
    pub fn reload(&self) -> Result<()> {
        Ok(self.reader.reload()?)
    }

    /// Number of pages indexed.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Full-text search over page text.
    pub fn search(&self, query: &str, options: &SearchOptions) -> Result<Results> {
        let searcher = self.reader.searcher();
        let mut parser = QueryParser::for_index(&self.index, vec![self.fields.text]);
        parser.set_conjunction_by_default();
        let text_query = parser.parse_query(query)?;
        let query: Box<dyn Query> = match &options.dossier {
            Some(dossier) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, text_query.box_clone()),
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(self.fields.dossier, dossier),
                        IndexRecordOption::Basic,
                    )),
                ),
            ])),
            None => text_query.box_clone(),
        };
        let (total, top) = searcher.search(
            &query,
            &(
                Count,
                TopDocs::with_limit(options.limit.max(1)).order_by_score(),
            ),
        )?;
        let mut snippets = SnippetGenerator::create(&searcher, &*text_query, self.fields.text)?;
        snippets.set_max_num_chars(160);
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text_of = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            hits.push(Hit {
                dossier: text_of(self.fields.dossier),
                page: doc
                    .get_first(self.fields.page)
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0),
                score,
                snippet: snippets.snippet_from_doc(&doc).to_html(),
            });
        }
        Ok(Results { total, hits })
    }
}

/// Adds and replaces dossiers; nothing is visible until [`Writer::commit`].
pub struct Writer {
    writer: IndexWriter,
    fields: Fields,
}

impl Writer {
    /// Replaces whatever the index holds for `dossier` with these pages.
    pub fn replace_dossier(
        &mut self,
        dossier: &str,
        manifest: &str,
        pages: &[PageDoc],
    ) -> Result<()> {
        self.writer
            .delete_term(Term::from_field_text(self.fields.dossier, dossier));
        for page in pages {
            self.writer.add_document(doc!(
                self.fields.dossier => dossier,
                self.fields.page => page.page,
                self.fields.text => page.text.as_str(),
                self.fields.manifest => manifest,
            ))?;
        }
        Ok(())
    }

    /// Removes every document: the first step of a rebuild.
    pub fn clear(&mut self) -> Result<()> {
        self.writer.delete_all_documents()?;
        Ok(())
    }

    /// Makes everything added so far durable and searchable (after a reload).
    pub fn commit(&mut self) -> Result<()> {
        self.writer.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_with(pages: &[(&str, u64, &str)]) -> (tempfile::TempDir, Index) {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::open_or_create(dir.path()).unwrap();
        let mut writer = index.writer().unwrap();
        for (dossier, page, text) in pages {
            writer
                .replace_dossier(
                    dossier,
                    "m",
                    &[PageDoc {
                        page: *page,
                        text: text.to_string(),
                    }],
                )
                .unwrap();
        }
        writer.commit().unwrap();
        index.reload().unwrap();
        (dir, index)
    }

    #[test]
    fn accents_and_inflections_do_not_matter() {
        let (_dir, index) = index_with(&[(
            "INT-1",
            1,
            "Demande d'intégration dans la Fonction publique",
        )]);
        for query in [
            "integration",
            "intégration",
            "INTEGRATIONS",
            "fonction publique",
        ] {
            let results = index.search(query, &SearchOptions::default()).unwrap();
            assert_eq!(results.total, 1, "{query}");
        }
        assert_eq!(
            index
                .search("naissance", &SearchOptions::default())
                .unwrap()
                .total,
            0
        );
    }

    #[test]
    fn snippets_highlight_the_match() {
        let (_dir, index) = index_with(&[("INT-1", 2, "Nom : NGONO\nPrénoms : Marie <script>")]);
        let hit = &index
            .search("ngono", &SearchOptions::default())
            .unwrap()
            .hits[0];
        assert_eq!((hit.dossier.as_str(), hit.page), ("INT-1", 2));
        assert!(hit.snippet.contains("<b>NGONO</b>"), "{}", hit.snippet);
        assert!(
            !hit.snippet.contains("<script>"),
            "snippets are escaped: {}",
            hit.snippet
        );
    }

    #[test]
    fn dossier_filter_and_replacement() {
        let (_dir, index) = index_with(&[
            ("INT-1", 1, "acte de naissance"),
            ("INT-2", 1, "acte de naissance"),
        ]);
        let options = SearchOptions {
            dossier: Some("INT-2".into()),
            limit: 10,
        };
        let results = index.search("naissance", &options).unwrap();
        assert_eq!(results.total, 1);
        assert_eq!(results.hits[0].dossier, "INT-2");
        let mut writer = index.writer().unwrap();
        writer
            .replace_dossier(
                "INT-1",
                "m2",
                &[PageDoc {
                    page: 1,
                    text: "certificat médical".into(),
                }],
            )
            .unwrap();
        writer.commit().unwrap();
        index.reload().unwrap();
        assert_eq!(
            index
                .search("naissance", &SearchOptions::default())
                .unwrap()
                .total,
            1
        );
        assert_eq!(index.len(), 2);
    }

    #[test]
    fn bad_syntax_is_an_error_not_a_panic() {
        let (_dir, index) = index_with(&[("INT-1", 1, "x")]);
        assert!(matches!(
            index.search("page:abc", &SearchOptions::default()),
            Err(Error::Query(_))
        ));
    }
}
