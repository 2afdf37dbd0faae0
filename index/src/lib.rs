//! The full-text index: a synchronous wrapper over tantivy for page text.
//!
//! The index is derived data: it can be dropped and rebuilt from the store's
//! manifests at any time, so it holds nothing the store does not. This crate
//! owns the schema, the analysis (lower case, accents folded, Snowball
//! stemming: French pages with the French stemmer, English pages with the
//! English one, so `integration` finds `intégration`), the recognition of
//! document kinds, query parsing (fuzzy terms and date ranges included),
//! snippets and facets. It must never know storage backends, OCR or files
//! other than its own folder.

pub mod classify;
pub mod highlight;
mod query;
mod review;

pub use highlight::{Highlighter, Snippet};
pub use review::{Review, ReviewFilter, ReviewPage, Unmatched};

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use tantivy::aggregation::agg_result::{AggregationResult, BucketResult};
use tantivy::aggregation::{AggContextParams, AggregationCollector, AggregationLimitsGuard};
use tantivy::collector::{Count, TopDocs};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::{
    DateTime, Index as TantivyIndex, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term,
    doc,
};

/// What went wrong in the index.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("cannot understand the query: {0}")]
    Query(#[from] tantivy::query::QueryParserError),
    #[error("cannot understand the query: {0}")]
    Syntax(String),
    #[error("index folder: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Analyzers: French and English page text.
const FRENCH: &str = "dossier_fr";
const ENGLISH: &str = "dossier_en";

/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 160;

/// Memory tantivy may use to buffer documents before a commit, per thread:
/// ingest commits every few dossiers, so a small buffer (tantivy's minimum is
/// 15 MB) is enough there; bulk rebuilds get more and make fewer segments.
const WRITER_HEAP: usize = 16 * 1024 * 1024;
const BULK_WRITER_HEAP: usize = 64 * 1024 * 1024;

/// How long [`Index::writer`] waits for a writer held elsewhere.
const WRITER_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub dossier: Field,
    pub page: Field,
    /// Text of French pages (French analysis), stored.
    pub text: Field,
    /// Text of English pages (English analysis), stored.
    pub text_en: Field,
    pub kind: Field,
    pub lang: Field,
    pub scanned: Field,
    pub year: Field,
    pub name: Field,
    pub birth_place: Field,
    pub corps: Field,
    pub application_no: Field,
    pub manifest: Field,
    /// `yes`, `no` or `doubtful`: whether the dossier holds every piece its
    /// checklist asks for (`doubtful`: all there, something to look at).
    pub complete: Field,
    /// The page's mean OCR confidence, 0 to 100; absent on pages with no text.
    pub confidence: Field,
    /// The batch (folder or stack file) the dossier came in.
    pub batch: Field,
    /// The candidate's details (`name`, `birth_place`) that appear nowhere
    /// in the dossier's text: likely misread, for the review queue.
    pub unmatched: Field,
}

fn text_options(tokenizer: &str, stored: bool) -> TextOptions {
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored {
        options.set_stored()
    } else {
        options
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        dossier: b.add_text_field("dossier", STRING | STORED | FAST),
        page: b.add_u64_field("page", INDEXED | STORED | FAST),
        text: b.add_text_field("text", text_options(FRENCH, true)),
        text_en: b.add_text_field("text_en", text_options(ENGLISH, true)),
        kind: b.add_text_field("kind", STRING | STORED | FAST),
        lang: b.add_text_field("lang", STRING | STORED | FAST),
        scanned: b.add_date_field("scanned", INDEXED | STORED | FAST),
        year: b.add_u64_field("year", INDEXED | FAST),
        name: b.add_text_field("name", text_options(FRENCH, true)),
        birth_place: b.add_text_field("birth_place", text_options(FRENCH, false)),
        corps: b.add_text_field("corps", text_options(FRENCH, false)),
        application_no: b.add_text_field("application_no", STRING),
        manifest: b.add_text_field("manifest", STRING | STORED),
        complete: b.add_text_field("complete", STRING | STORED | FAST),
        confidence: b.add_f64_field("confidence", INDEXED | STORED | FAST),
        batch: b.add_text_field("batch", STRING | STORED | FAST),
        unmatched: b.add_text_field("unmatched", STRING | STORED),
    };
    (b.build(), fields)
}

fn analyzer(language: Language) -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(language))
        .build()
}

/// One page to index, with what is known of its dossier.
#[derive(Debug, Clone, Default)]
pub struct PageDoc {
    pub page: u64,
    pub text: String,
    /// When the page was scanned, seconds since 1970 (UTC).
    pub scanned: Option<i64>,
    /// The candidate's metadata (`name`, `birth_place`, `corps`, `application_no`).
    pub metadata: BTreeMap<String, String>,
    /// The kind a separator sheet gave the page; without one, its text decides.
    pub kind: Option<String>,
    /// The dossier against its checklist: `yes`, `no` or `doubtful` (`None`: not checked).
    pub complete: Option<&'static str>,
    /// Mean OCR confidence, 0 to 100; `None` for a page with no text (blank).
    pub confidence: Option<f32>,
    /// The batch the dossier came in.
    pub batch: Option<String>,
    /// The candidate's details found nowhere in the dossier's text (`name`).
    pub unmatched: Vec<String>,
}

/// A search hit.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub dossier: String,
    pub page: u64,
    pub score: f32,
    pub kind: String,
    pub lang: String,
    /// The best fragment, HTML-escaped, with matches in `<b>…</b>`.
    pub snippet: String,
    /// The same fragment as plain text with the matched ranges.
    pub excerpt: Snippet,
}

/// Hits of one dossier, for results grouped by dossier.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub dossier: String,
    /// Best score among its pages.
    pub score: f32,
    pub pages: Vec<u64>,
}

/// Search results (`search --json` prints them).
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Matching pages by kind of document and by year scanned.
    pub facets: Facets,
    /// Present when grouping by dossier was asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<Group>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    pub kind: BTreeMap<String, u64>,
    pub year: BTreeMap<String, u64>,
    /// Matching pages of complete (`yes`), incomplete (`no`) and doubtful dossiers.
    pub complete: BTreeMap<String, u64>,
}

/// Narrowing a search.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    pub dossier: Option<String>,
    pub limit: usize,
    /// Group the hits by dossier.
    pub group: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            dossier: None,
            limit: 10,
            group: false,
        }
    }
}

/// The page-text index in a folder.
pub struct Index {
    index: TantivyIndex,
    reader: IndexReader,
    fields: Fields,
    /// The folder held an index of an earlier layout, now replaced by an empty one.
    outdated: bool,
}

impl Index {
    /// Opens the index in `dir`, creating it if the folder is empty or absent.
    pub fn open_or_create(dir: &Path) -> Result<Index> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let directory = tantivy::directory::MmapDirectory::open(dir)
            .map_err(|e| Error::Tantivy(tantivy::TantivyError::from(e)))?;
        // The index is derived from the store: one written with an earlier
        // schema is dropped and made again, and its owner rebuilds it.
        let (index, outdated) = match TantivyIndex::open_or_create(directory, schema.clone()) {
            Ok(index) => (index, false),
            Err(tantivy::TantivyError::SchemaError(_)) => {
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
                let directory = tantivy::directory::MmapDirectory::open(dir)
                    .map_err(|e| Error::Tantivy(tantivy::TantivyError::from(e)))?;
                (
                    TantivyIndex::create(directory, schema, Default::default())?,
                    true,
                )
            }
            Err(e) => return Err(e.into()),
        };
        index
            .tokenizers()
            .register(FRENCH, analyzer(Language::French));
        index
            .tokenizers()
            .register(ENGLISH, analyzer(Language::English));
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Index {
            index,
            reader,
            fields,
            outdated,
        })
    }

    /// Whether opening found an index of an earlier layout and replaced it
    /// with an empty one, to be rebuilt from the store.
    pub fn was_outdated(&self) -> bool {
        self.outdated
    }

    /// The single writer of this index (tantivy allows one at a time). A
    /// writer another holds briefly (a viewer catching up with the ledger)
    /// is waited for, a few seconds at most.
    pub fn writer(&self) -> Result<Writer> {
        let started = std::time::Instant::now();
        loop {
            match self.make_writer(1, WRITER_HEAP) {
                Err(Error::Tantivy(tantivy::TantivyError::LockFailure(
                    tantivy::directory::error::LockError::LockBusy,
                    _,
                ))) if started.elapsed() < WRITER_WAIT => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    /// The writer if nobody holds it now; `None` while another does (an ingest).
    pub fn try_writer(&self) -> Result<Option<Writer>> {
        match self.make_writer(1, WRITER_HEAP) {
            Ok(writer) => Ok(Some(writer)),
            Err(Error::Tantivy(tantivy::TantivyError::LockFailure(
                tantivy::directory::error::LockError::LockBusy,
                _,
            ))) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The ledger record the index has applied up to (its digest, in hex),
    /// as the last commit recorded it; `None` for an index that never said.
    pub fn applied(&self) -> Result<Option<String>> {
        Ok(self.index.load_metas()?.payload)
    }

    /// A writer indexing on `threads` threads (for bulk builds).
    pub fn writer_with_threads(&self, threads: usize) -> Result<Writer> {
        self.make_writer(threads, BULK_WRITER_HEAP)
    }

    fn make_writer(&self, threads: usize, heap_per_thread: usize) -> Result<Writer> {
        let writer = self
            .index
            .writer_with_num_threads(threads.max(1), heap_per_thread * threads.max(1))?;
        Ok(Writer {
            writer,
            fields: self.fields,
            applied: self.applied()?,
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

    /// Full-text search; see `query.rs` for the syntax.
    pub fn search(&self, query: &str, options: &SearchOptions) -> Result<Results> {
        let searcher = self.reader.searcher();
        let parsed = query::parse(&self.index, &self.fields, query, options.dossier.as_deref())?;
        let fetch = if options.group {
            options.limit.max(1) * 10
        } else {
            options.limit.max(1)
        };
        let aggregations = serde_json::from_value(serde_json::json!({
            "kind": { "terms": { "field": "kind", "size": 20 } },
            "year": { "terms": { "field": "year", "size": 50 } },
            "complete": { "terms": { "field": "complete", "size": 3 } },
        }))
        .map_err(|e| Error::Syntax(e.to_string()))?;
        let context = AggContextParams::new(
            AggregationLimitsGuard::default(),
            self.index.tokenizers().clone(),
        );
        let (total, top, aggregated) = searcher.search(
            &parsed.query,
            &(
                Count,
                TopDocs::with_limit(fetch).order_by_score(),
                AggregationCollector::from_aggs(aggregations, context),
            ),
        )?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text_of = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let excerpt = self.snippet(&doc, &parsed.highlighter);
            hits.push(Hit {
                dossier: text_of(self.fields.dossier),
                page: doc
                    .get_first(self.fields.page)
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0),
                score,
                kind: text_of(self.fields.kind),
                lang: text_of(self.fields.lang),
                snippet: excerpt.to_html(),
                excerpt,
            });
        }
        let groups = options.group.then(|| {
            let mut groups: Vec<Group> = Vec::new();
            for hit in &hits {
                match groups.iter_mut().find(|g| g.dossier == hit.dossier) {
                    Some(group) => group.pages.push(hit.page),
                    None => groups.push(Group {
                        dossier: hit.dossier.clone(),
                        score: hit.score,
                        pages: vec![hit.page],
                    }),
                }
            }
            groups.truncate(options.limit.max(1));
            groups
        });
        if options.group {
            let kept: Vec<&String> = groups.iter().flatten().map(|g| &g.dossier).collect();
            hits.retain(|h| kept.contains(&&h.dossier));
        }
        Ok(Results {
            total,
            hits,
            facets: facets(&aggregated),
            groups,
        })
    }
}

impl Index {
    /// What marks the matches of `query` in page text (the viewer's marks and
    /// boxes): the same analysis and terms the search itself uses.
    pub fn highlighter(&self, query: &str) -> Result<Highlighter> {
        Ok(query::parse(&self.index, &self.fields, query, None)?.highlighter)
    }

    /// The best fragment of a hit's text or name with its matches marked, or
    /// the opening of its text when it matched on something else.
    fn snippet(&self, doc: &TantivyDocument, highlighter: &Highlighter) -> Snippet {
        let texts: Vec<&str> = [self.fields.text, self.fields.text_en, self.fields.name]
            .iter()
            .filter_map(|&f| doc.get_first(f).and_then(|v| v.as_str()))
            .filter(|t| !t.is_empty())
            .collect();
        texts
            .iter()
            .find_map(|text| highlighter.snippet(text, SNIPPET_CHARS))
            .unwrap_or_else(|| highlight::opening(texts.first().unwrap_or(&""), SNIPPET_CHARS))
    }
}

fn facets(aggregated: &tantivy::aggregation::agg_result::AggregationResults) -> Facets {
    let mut out = Facets::default();
    for (name, target) in [
        ("kind", &mut out.kind),
        ("year", &mut out.year),
        ("complete", &mut out.complete),
    ] {
        if let Some(AggregationResult::BucketResult(BucketResult::Terms { buckets, .. })) =
            aggregated.0.get(name)
        {
            for bucket in buckets {
                target.insert(bucket.key.to_string(), bucket.doc_count);
            }
        }
    }
    out
}

/// Adds and replaces dossiers; nothing is visible until [`Writer::commit`].
pub struct Writer {
    writer: IndexWriter,
    fields: Fields,
    /// The ledger record applied, carried from commit to commit: a commit of
    /// one station's own dossiers does not mean it has applied the others'.
    applied: Option<String>,
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
        self.add_pages(dossier, manifest, pages)
    }

    /// Adds pages without removing anything first (bulk builds of new dossiers).
    pub fn add_pages(&mut self, dossier: &str, manifest: &str, pages: &[PageDoc]) -> Result<()> {
        let f = &self.fields;
        for page in pages {
            let lang = classify::language(&page.text);
            let mut document = doc!(
                f.dossier => dossier,
                f.page => page.page,
                f.kind => page.kind.as_deref().unwrap_or_else(|| classify::kind(&page.text)),
                f.lang => lang,
                f.manifest => manifest,
            );
            document.add_text(if lang == "eng" { f.text_en } else { f.text }, &page.text);
            if let Some(secs) = page.scanned {
                document.add_date(f.scanned, DateTime::from_timestamp_secs(secs));
                document.add_u64(f.year, year_of(secs));
            }
            for (key, field) in [
                ("name", f.name),
                ("birth_place", f.birth_place),
                ("corps", f.corps),
            ] {
                if let Some(value) = page.metadata.get(key) {
                    document.add_text(field, value);
                }
            }
            if let Some(complete) = page.complete {
                document.add_text(f.complete, complete);
            }
            if let Some(value) = page.metadata.get("application_no") {
                document.add_text(f.application_no, value);
            }
            if let Some(confidence) = page.confidence {
                document.add_f64(f.confidence, f64::from(confidence));
            }
            if let Some(batch) = &page.batch {
                document.add_text(f.batch, batch);
            }
            for key in &page.unmatched {
                document.add_text(f.unmatched, key);
            }
            self.writer.add_document(document)?;
        }
        Ok(())
    }

    /// Removes every document: the first step of a rebuild. The index has
    /// then applied nothing, until the rebuild commits with
    /// [`Writer::commit_applied`].
    pub fn clear(&mut self) -> Result<()> {
        self.applied = None;
        self.writer.delete_all_documents()?;
        Ok(())
    }

    /// Makes everything added so far durable and searchable (after a reload).
    pub fn commit(&mut self) -> Result<()> {
        let mut commit = self.writer.prepare_commit()?;
        if let Some(applied) = &self.applied {
            commit.set_payload(applied);
        }
        commit.commit()?;
        Ok(())
    }

    /// [`Writer::commit`], recording that the index now holds everything the
    /// ledger says up to record `head` (a digest in hex).
    pub fn commit_applied(&mut self, head: &str) -> Result<()> {
        self.applied = Some(head.to_owned());
        self.commit()
    }
}

/// The civil year of a Unix time (UTC).
fn year_of(secs: i64) -> u64 {
    // Days since 1970 to a civil date (Howard Hinnant's algorithm), year only.
    let days = secs.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2)) as u64
}

#[cfg(test)]
mod tests;
