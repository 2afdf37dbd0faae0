//! The orchestrator: reads scanner batches and streams their pages through
//! decode, preprocessing, OCR, PDF assembly, hashing, storage and indexing.
//!
//! Stages are joined by small bounded channels so that backpressure reaches
//! intake: memory stays flat however large the batch. OCR runs on dedicated
//! worker threads, one Tesseract engine each, created once; other CPU work
//! (hashing, PDF assembly) goes through [`cpu::Cpu`]. A page or file that
//! fails becomes a rejection beside the results that succeeded; it never
//! fails the batch. This crate must never know HTTP or the viewer.

pub mod batch;
pub mod candidates;
pub mod completeness;
pub mod correct;
pub mod cpu;
mod gate;
mod lock;
pub mod natural;
mod pipeline;
mod reindex;
mod run;
pub mod sheets;
pub mod stack;

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use store::manifest::Rejection;

pub use lock::IngestLock;
pub use reindex::{Following, follow as follow_ledger, page_docs, rebuild as rebuild_index};
pub use run::ingest;

/// Version of the page processing; part of the settings that decide whether a
/// stored page result can be reused. `pages-2`: automatic segmentation,
/// turns confirmed by Tesseract, resolution from the page size, and doubtful pages read again (see
/// `ocr::second_reading`): pages read before are read again.
pub const PIPELINE: &str = concat!("dossier-", env!("CARGO_PKG_VERSION"), "/pages-2");

/// How to run the pipeline.
#[derive(Debug, Clone)]
pub struct Options {
    /// Tesseract languages, e.g. `fra+eng`.
    pub lang: String,
    /// OCR worker threads (one engine each).
    pub workers: usize,
    pub limits: ocr::Limits,
    /// Pages indexed between two index commits (counted in whole dossiers).
    /// The index is searchable up to the last commit; tantivy's memory while
    /// it writes a commit grows with what the commit holds, so counting pages
    /// rather than dossiers keeps that bounded, whatever the dossiers' size.
    pub commit_pages: usize,
    /// The operator's candidate list: when there is one, a stack's cover
    /// sheets may only name its dossiers (or dossiers already archived).
    pub candidates: Option<Arc<candidates::Candidates>>,
    /// The pieces each dossier must hold (`checklist.toml`, else the built-in list).
    pub checklist: Arc<completeness::Checklist>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            lang: "fra+eng".into(),
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            limits: ocr::Limits::default(),
            commit_pages: 20,
            candidates: None,
            checklist: Arc::default(),
        }
    }
}

/// Told as the pipeline advances (the CLI draws progress bars from it).
pub trait Progress: Send + Sync {
    /// More pages were found to process.
    fn pages_found(&self, _pages: u64) {}
    /// One page went through OCR (or came from the cache).
    fn page_done(&self) {}
    /// A dossier was stored, found unchanged, or not stored.
    fn dossier_done(&self, _dossier: &str, _outcome: Outcome) {}
}

/// What became of a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stored,
    Unchanged,
    NotStored,
}

/// Progress nobody watches.
#[derive(Debug)]
pub struct Quiet;
impl Progress for Quiet {}

/// Object writes of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ObjectCounts {
    /// Objects written by this run.
    pub stored: usize,
    /// Objects that were already in the archive, so not written again.
    pub existing: usize,
    /// Bytes written by this run.
    pub bytes_stored: u64,
}

/// Time spent in one stage of the pipeline, summed over its work items.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stage {
    pub count: u64,
    pub seconds: f64,
}

impl Stage {
    pub(crate) fn add(&mut self, seconds: f64) {
        self.count += 1;
        self.seconds += seconds;
    }
}

/// Per-stage timings and counts (`ingest --stats`, and `stats` in the JSON).
/// Page stages run on several workers at once, so their sum can exceed the wall time.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Reading and hashing source files.
    pub intake: Stage,
    pub decode: Stage,
    /// Blank, borders, orientation, skew, straightening, despeckling.
    pub preprocess: Stage,
    pub ocr: Stage,
    /// Encoding page images.
    pub encode: Stage,
    /// PDF/A and sidecar assembly, per dossier.
    pub pdf: Stage,
    /// Writing a dossier's objects, manifest, ledger record and ref.
    pub store: Stage,
    /// Index updates, each made with its commit: one count per commit.
    pub index: Stage,
}

/// The outcome of an ingest (`ingest --json` prints it).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Dossiers in the archive as the batches have them (stored now, or unchanged).
    pub dossiers: usize,
    /// Pages of those dossiers.
    pub pages: usize,
    /// Inputs not stored, with the reason.
    pub rejected: Vec<Rejection>,
    pub seconds: f64,
    /// Dossiers given a new manifest by this run.
    pub stored: Vec<String>,
    /// Dossiers already archived exactly as the batch has them: nothing redone.
    pub unchanged: Vec<String>,
    /// Pages read by OCR in this run.
    pub pages_read: usize,
    /// Pages whose stored result was reused.
    pub pages_reused: usize,
    pub objects: ObjectCounts,
    pub stats: Stats,
    /// What recovery did first, when the previous ingest had been killed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovered: Option<store::verify::Recovery>,
    /// What went wrong without failing the run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Each dossier of the run (stored or unchanged) against its checklist.
    pub completeness: std::collections::BTreeMap<String, store::manifest::Completeness>,
}

/// What stops an ingest as a whole (anything smaller is a rejection).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Index(#[from] index::Error),
    #[error(transparent)]
    Ocr(#[from] ocr::Error),
    #[error("{0}")]
    Pipeline(String),
    /// Another ingest holds the archive folder.
    #[error("{0}")]
    Busy(String),
    /// The archive folder's lock file cannot be used.
    #[error("{0}")]
    Io(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Batches to ingest, and where.
#[derive(Clone)]
pub struct Job {
    pub batches: Vec<PathBuf>,
    /// The archive folder: its `ingest.lock` keeps ingests apart.
    pub archive: PathBuf,
    /// This archive folder's name among the stations writing to the store
    /// (the store's writers' leases).
    pub station: String,
    pub store: store::Store,
    pub index: Arc<index::Index>,
    pub options: Options,
    pub progress: Arc<dyn Progress>,
    /// Signs each batch's seal; without one, batches are not sealed.
    pub signer: Option<Arc<store::Signer>>,
}
