//! The manifest: everything a dossier is made of, by hash. Written last, it is
//! the commit point: a dossier is stored exactly when its manifest is.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Digest;

/// Current manifest format. Readers accept every version up to this one.
pub const VERSION: u32 = 1;

/// Whether `id` is a valid dossier identifier (docs/INTERFACE.md): letters,
/// digits, `-`, `_` and `.`, at most 64 characters, and not `.` or `..`.
/// Batches are held to it, and the viewer never asks the store for anything else.
pub fn valid_dossier_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && id != "."
        && id != ".."
}

/// A stored object, as manifests name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    pub key: String,
    pub sha256: Digest,
    pub bytes: u64,
}

/// A dossier's manifest (`show --json` prints it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub dossier: String,
    pub stored_at: String,
    /// `batch.toml` of the batch the dossier came in, as written there.
    #[serde(default)]
    pub batch: Map<String, Value>,
    /// The name of the batch folder (or stack file) the dossier came in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_name: Option<String>,
    /// `dossier.toml`, as written there (unknown keys kept).
    #[serde(default)]
    pub metadata: Map<String, Value>,
    pub settings: Settings,
    pub sources: Vec<Source>,
    pub pages: Vec<Page>,
    pub pdf: ObjectRef,
    /// The plain-text sidecar: all pages, separated by form feeds.
    pub text: ObjectRef,
    /// The hOCR sidecar (HTML with word boxes).
    #[serde(default)]
    pub hocr: Option<ObjectRef>,
    /// The ALTO 4.4 XML sidecar.
    #[serde(default)]
    pub alto: Option<ObjectRef>,
    /// Inputs of this dossier that could not be read.
    #[serde(default)]
    pub rejected: Vec<Rejection>,
    /// The manifest this one replaces, for a re-scan.
    #[serde(default)]
    pub replaces: Option<Digest>,
    /// The separator sheets that placed the dossier's pages, for a dossier
    /// that came in a scanner stack: kept in the stack's file, not pages of the dossier.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sheets: Vec<SheetRecord>,
    /// Whether the dossier holds the pieces its checklist asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completeness: Option<Completeness>,
    /// Present on a version made by an archivist's correction: who, when,
    /// and what changed from the version it replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<Correction>,
}

/// A correction of what OCR read, as its version's manifest and its ledger
/// record keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// The viewer account (`ngo`), or `cli:USER` for the command line.
    pub by: String,
    pub at: String,
    pub changes: Vec<Change>,
}

/// One line of a page's text, as it read before and after a correction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub page: usize,
    /// The line's index on the page, as the words object counts lines.
    pub line: u32,
    pub old: String,
    pub new: String,
}

/// What a dossier holds against its checklist: every piece present, or
/// what is missing, out of date or in doubt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completeness {
    /// `complete`, `incomplete` (a piece missing or out of date) or
    /// `doubtful` (every piece there, something to look at).
    pub status: String,
    /// The checklist applied: `default`, `corps: ...` or `recruitment: ...`.
    pub checklist: String,
    /// Pages found of each kind the checklist names.
    pub present: std::collections::BTreeMap<String, usize>,
    /// Kinds with fewer pages than asked (`criminal-record`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// Pieces older than allowed at the scan date: `medical-certificate 2025-11-02`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expired: Vec<String>,
    /// What a person should look at: a kind the classifier was unsure of, a
    /// date not read, the candidate's name or birth date not found where
    /// expected. Never corrected, only said.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub doubtful: Vec<String>,
}

impl Completeness {
    /// One line for people: `complete`, or `missing: criminal-record; expired: ...`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for (label, items) in [
            ("missing", &self.missing),
            ("expired", &self.expired),
            ("doubtful", &self.doubtful),
        ] {
            if !items.is_empty() {
                parts.push(format!("{label}: {}", items.join(", ")));
            }
        }
        if parts.is_empty() {
            self.status.clone()
        } else {
            parts.join("; ")
        }
    }
}

impl Manifest {
    /// Every object the manifest names (not itself), sorted, without repeats.
    pub fn objects(&self) -> Vec<Digest> {
        let mut out: Vec<Digest> = self.sources.iter().map(|s| s.sha256).collect();
        out.extend(self.sheets.iter().map(|s| s.source.sha256));
        for page in &self.pages {
            out.push(page.image.sha256);
            out.extend(page.words.as_ref().map(|w| w.sha256));
            out.extend(page.ocr_words.as_ref().map(|w| w.sha256));
        }
        out.push(self.pdf.sha256);
        out.push(self.text.sha256);
        out.extend(self.hocr.iter().chain(&self.alto).map(|o| o.sha256));
        out.sort();
        out.dedup();
        out
    }
}

/// How the pages were processed; a change of settings means a new OCR pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub lang: String,
    pub pipeline: String,
}

/// An original scanned file, kept as it arrived.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Source {
    /// Path relative to the batch folder (`INT-2026-04711/001.tif`).
    pub path: String,
    pub key: String,
    pub sha256: Digest,
    pub bytes: u64,
    pub mime: String,
    pub pages: usize,
}

/// One page of the dossier.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Page {
    pub number: usize,
    pub source: PageSource,
    /// The straightened page image shown in the PDF.
    pub image: ObjectRef,
    pub width: u32,
    pub height: u32,
    pub dpi: f32,
    /// Word boxes and confidences (JSON), for highlighting; absent on blank
    /// pages. On a corrected page, the words as corrected.
    pub words: Option<ObjectRef>,
    /// On a page an archivist corrected: the words as OCR read them, kept
    /// beside the correction and carried to every later version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr_words: Option<ObjectRef>,
    pub skew_degrees: f32,
    pub rotation: u16,
    pub blank: bool,
    pub confidence: f32,
    pub text: String,
    /// Present when the page was read twice, preprocessed and as scanned,
    /// because the first reading was in doubt: which one was kept and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reading: Option<Reading>,
    /// The kind of document a piece separator sheet gave the page (one of
    /// the index's kinds); without one, the page's text decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// The two readings of a doubtful page and the one kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// `preprocessed`, `as-scanned` or `flattened` (preprocessed, with the
    /// paper flattened to white). The page's image, words, text, rotation
    /// and skew are those of the reading kept.
    pub kept: String,
    /// Why the preprocessed reading was in doubt (`mean confidence 42`,
    /// `turned 180 degrees`, `marked blank`, `no word read`).
    pub reason: String,
    pub preprocessed: ReadingScore,
    pub as_scanned: ReadingScore,
    /// The third reading, made when neither of the first two was clear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flattened: Option<ReadingScore>,
}

/// What one reading found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingScore {
    pub words: usize,
    /// Mean word confidence, 0 to 100.
    pub confidence: f32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSource {
    pub path: String,
    pub sha256: Digest,
    /// 0-based page inside a multi-page file.
    pub page: usize,
    /// For a page that came in a scanner stack: its number in the stack,
    /// from 1, as ingest reports them and corrections files name them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_page: Option<usize>,
}

/// A separator sheet of a scanner stack, as a manifest keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetRecord {
    /// Where the sheet is: its file, and its page there and in the stack.
    pub source: PageSource,
    /// What it says: `cover INT-2026-00001`, `piece diploma`.
    pub sheet: String,
}

/// An input that was not stored, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub path: String,
    pub error: String,
}
