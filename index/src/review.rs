//! The review queue: pages whose OCR confidence is low, worst first, and
//! dossiers whose candidate's details appear nowhere in their text; what
//! archivists read again and correct.

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{Order, TantivyDocument, Term};

use crate::{Index, Result};

/// Which pages to list.
#[derive(Debug, Clone, Default)]
pub struct ReviewFilter {
    /// Pages whose mean confidence is under this (0 to 100).
    pub below: f32,
    pub batch: Option<String>,
    pub dossier: Option<String>,
    pub kind: Option<String>,
    pub limit: usize,
}

/// A page to read again.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewPage {
    pub dossier: String,
    pub page: u64,
    pub confidence: f32,
    pub kind: String,
    pub batch: String,
}

/// A dossier whose candidate's details are not in its text.
#[derive(Debug, Clone, Serialize)]
pub struct Unmatched {
    pub dossier: String,
    /// `name`, `birth_place`.
    pub fields: Vec<String>,
}

/// The queue: how many pages are under the threshold, the worst of them,
/// and the dossiers whose details were not found.
#[derive(Debug, Clone, Serialize)]
pub struct Review {
    pub total: usize,
    pub pages: Vec<ReviewPage>,
    pub unmatched: Vec<Unmatched>,
}

impl Index {
    /// The review queue under `filter`.
    pub fn review(&self, filter: &ReviewFilter) -> Result<Review> {
        let searcher = self.reader.searcher();
        let f = &self.fields;
        let below = Term::from_field_f64(f.confidence, f64::from(filter.below));
        let low: Box<dyn Query> = Box::new(RangeQuery::new(
            std::ops::Bound::Unbounded,
            std::ops::Bound::Excluded(below),
        ));
        let (total, top) = searcher.search(
            &self.narrowed(low, filter),
            &(
                Count,
                TopDocs::with_limit(filter.limit.max(1))
                    .order_by_fast_field::<f64>("confidence", Order::Asc),
            ),
        )?;
        let mut pages = Vec::with_capacity(top.len());
        for (confidence, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            pages.push(ReviewPage {
                dossier: self.text_of(&doc, f.dossier),
                page: doc.get_first(f.page).and_then(|v| v.as_u64()).unwrap_or(0),
                confidence: confidence.unwrap_or(0.0) as f32,
                kind: self.text_of(&doc, f.kind),
                batch: self.text_of(&doc, f.batch),
            });
        }
        Ok(Review {
            total,
            pages,
            unmatched: self.unmatched(filter)?,
        })
    }

    /// Dossiers with a detail not found in their text: each dossier's first
    /// page carries what the whole dossier lacks.
    fn unmatched(&self, filter: &ReviewFilter) -> Result<Vec<Unmatched>> {
        let searcher = self.reader.searcher();
        let f = &self.fields;
        let first = Term::from_field_u64(f.page, 1);
        let query = self.narrowed(
            Box::new(TermQuery::new(first, IndexRecordOption::Basic)),
            &ReviewFilter {
                kind: None,
                ..filter.clone()
            },
        );
        let top = searcher.search(&query, &TopDocs::with_limit(10_000).order_by_score())?;
        let mut out = Vec::new();
        for (_, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let fields: Vec<String> = doc
                .get_all(f.unmatched)
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            if !fields.is_empty() {
                out.push(Unmatched {
                    dossier: self.text_of(&doc, f.dossier),
                    fields,
                });
            }
            if out.len() >= filter.limit.max(1) {
                break;
            }
        }
        out.sort_by(|a, b| a.dossier.cmp(&b.dossier));
        Ok(out)
    }

    /// `query` limited to the filter's batch, dossier and kind.
    fn narrowed(&self, query: Box<dyn Query>, filter: &ReviewFilter) -> BooleanQuery {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, query)];
        for (field, value) in [
            (f.batch, &filter.batch),
            (f.dossier, &filter.dossier),
            (f.kind, &filter.kind),
        ] {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                let term = Term::from_field_text(field, value);
                clauses.push((
                    Occur::Must,
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                ));
            }
        }
        if clauses.len() == 1 {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        BooleanQuery::new(clauses)
    }

    fn text_of(&self, doc: &TantivyDocument, field: tantivy::schema::Field) -> String {
        doc.get_first(field)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    }
}
