//! Corrections of what OCR misread: a new version of a dossier whose words,
//! text, hOCR, ALTO and PDF/A text layer carry what a person wrote, the ledger
//! recording who changed what. The machine reading stays beside it
//! (`ocr_words`), and every earlier version stays whole in the archive.
//!
//! A correction is an ingest in miniature: it holds the archive folder's
//! lock, recovers first from a killed run, writes under the station's lease,
//! and commits at its ledger record, so a correction killed half-way leaves
//! the previous version current and nothing half-written.

mod csv_file;
pub mod lines;

pub use csv_file::from_csv;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use store::manifest::{Change, Correction, Manifest, Page};
use store::words::PageWords;
use store::{Digest, Event, Store};

use crate::completeness::{self, Checklist};
use crate::lock::IngestLock;
use crate::pipeline::commit::{dossier_text, load_pdf_page, pdf_info};
use crate::run::{Renewal, recover};

/// The longest line a correction may write, in characters.
const MAX_LINE: usize = 2000;

/// Where corrections are made: the archive folder, its station, its store and index.
#[derive(Clone)]
pub struct Corrector {
    /// The archive folder: its `ingest.lock` keeps corrections and ingests apart.
    pub archive: PathBuf,
    pub station: String,
    pub store: Store,
    pub index: Arc<index::Index>,
    /// The pieces each dossier must hold: a corrected name may settle a doubt.
    pub checklist: Arc<Checklist>,
}

/// One edit, as a person asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// A line rewritten whole; `old` is the line as the person saw it, so
    /// that an edit made on a page someone else corrected meanwhile is refused.
    Line {
        page: usize,
        line: u32,
        old: String,
        new: String,
    },
    /// Every occurrence of `from` in the lines of one page, or of every page.
    Replace {
        page: Option<usize>,
        from: String,
        to: String,
    },
}

/// A correction to make on one dossier.
#[derive(Debug, Clone)]
pub struct Request {
    pub dossier: String,
    /// Who asks: a viewer account, or `cli:USER`.
    pub by: String,
    pub edits: Vec<Edit>,
}

/// What a correction changed (or would change, for a preview).
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub dossier: String,
    /// The version corrected.
    pub previous: Digest,
    /// The new version's manifest; `None` for a preview.
    pub manifest: Option<Digest>,
    /// The new version's number, counted from 1 (the first ingest).
    pub version: usize,
    pub changes: Vec<Change>,
}

/// Why a correction was not made.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("no dossier {0} in the archive")]
    NotFound(String),
    /// The edit cannot apply: no such page or line, nothing matched, bad text.
    #[error("{0}")]
    Invalid(String),
    /// The text changed since the person read it.
    #[error("{0}")]
    Changed(String),
    /// An ingest holds the archive folder.
    #[error("{0}")]
    Busy(String),
    #[error(transparent)]
    Failed(#[from] crate::Error),
}

impl From<store::Error> for Refusal {
    fn from(e: store::Error) -> Self {
        Refusal::Failed(e.into())
    }
}

impl From<index::Error> for Refusal {
    fn from(e: index::Error) -> Self {
        Refusal::Failed(e.into())
    }
}

/// The pages an edit touched, as they read now.
type Working = BTreeMap<usize, PageWords>;

impl Corrector {
    /// What `request` would change, writing nothing.
    pub async fn preview(&self, request: &Request) -> Result<Outcome, Refusal> {
        let (digest, manifest) = self.current(&request.dossier).await?;
        let (changes, _) = self.resolve(&manifest, &request.edits).await?;
        Ok(Outcome {
            dossier: request.dossier.clone(),
            previous: digest,
            manifest: None,
            version: next_number(&self.store, digest, manifest).await?,
            changes,
        })
    }

    /// Makes the correction: a new version, recorded in the ledger, indexed.
    pub async fn correct(&self, request: &Request) -> Result<Outcome, Refusal> {
        let (_lock, interrupted) = IngestLock::take(&self.archive).map_err(|e| match e {
            crate::Error::Busy(what) => {
                Refusal::Busy(format!("{what}: corrections wait until it ends"))
            }
            e => Refusal::Failed(e),
        })?;
        let store = self.store.writing_as(&self.station);
        if interrupted {
            recover(&store, &self.station, &self.index).await?;
        }
        let lease = Renewal::start(store.clone());
        let result = self.write(&store, request).await;
        lease.stop().await;
        let outcome = result?;
        if let Err(e) = store.end_lease().await {
            tracing::warn!("could not give back this station's lease: {e}");
        }
        Ok(outcome)
    }

    async fn current(&self, dossier: &str) -> Result<(Digest, Manifest), Refusal> {
        if !store::manifest::valid_dossier_id(dossier) {
            return Err(Refusal::NotFound(dossier.to_owned()));
        }
        self.store
            .manifest(dossier)
            .await?
            .ok_or_else(|| Refusal::NotFound(dossier.to_owned()))
    }

    /// Stores the new version; the ledger record is the commit point.
    async fn write(&self, store: &Store, request: &Request) -> Result<Outcome, Refusal> {
        let (previous, manifest) = self.current(&request.dossier).await?;
        let (changes, working) = self.resolve(&manifest, &request.edits).await?;
        let version = next_number(store, previous, manifest.clone()).await?;
        let at = store::now_rfc3339();
        let correction = Correction {
            by: request.by.clone(),
            at: at.clone(),
            changes: changes.clone(),
        };
        let next = self
            .next_version(store, previous, manifest, working, correction)
            .await?;
        let bytes = serde_json::to_vec_pretty(&next).expect("plain data serialises");
        let (manifest_ref, _) = store.put(bytes).await?;
        // Someone may have corrected or re-scanned the dossier while this
        // version was built: it would silently undo their work.
        if store.dossier_ref(&request.dossier).await? != Some(previous) {
            return Err(Refusal::Changed(format!(
                "{} changed while this correction was made: read it again and correct that version",
                request.dossier
            )));
        }
        store
            .append(Event::DossierCorrected {
                dossier: request.dossier.clone(),
                manifest: manifest_ref.sha256,
                previous,
                by: request.by.clone(),
                changes: changes.clone(),
                objects: next.objects(),
            })
            .await?;
        store
            .set_dossier_ref(&request.dossier, &manifest_ref.sha256)
            .await?;
        // Past the commit point: an index that cannot be written now (held
        // too long elsewhere) catches up from the ledger at its next follow.
        if let Err(e) = self
            .reindex(&request.dossier, &manifest_ref.sha256, &next)
            .await
        {
            tracing::warn!(dossier = %request.dossier, "corrected, index not updated yet: {e}");
        }
        tracing::info!(dossier = %request.dossier, by = %request.by, changes = changes.len(), "corrected");
        Ok(Outcome {
            dossier: request.dossier.clone(),
            previous,
            manifest: Some(manifest_ref.sha256),
            version,
            changes,
        })
    }

    /// The corrected pages' words stored, the PDF/A and sidecars made again
    /// from every page's image and words, in the manifest of the new version.
    async fn next_version(
        &self,
        store: &Store,
        previous: Digest,
        mut manifest: Manifest,
        working: Working,
        correction: Correction,
    ) -> Result<Manifest, Refusal> {
        for (number, words) in working {
            let page = manifest
                .pages
                .iter_mut()
                .find(|p| p.number == number)
                .expect("resolved against this manifest");
            let (object, _) = store.put_json(&words).await?;
            page.ocr_words = page.ocr_words.take().or(page.words.take());
            page.words = Some(object);
            page.text = words.text;
            page.confidence = (words.confidence * 10.0).round() / 10.0;
        }
        let mut pdf_pages = Vec::with_capacity(manifest.pages.len());
        for page in &manifest.pages {
            pdf_pages.push(load_pdf_page(store, page).await?);
        }
        let info = pdf_info(&manifest.dossier, &manifest.metadata, &manifest.batch);
        let output = tokio::task::spawn_blocking(move || {
            let mut builder = pdf::Builder::new();
            for (image, words) in &pdf_pages {
                builder.add_page(image, words)?;
            }
            builder.finish(&info)
        })
        .await
        .expect("PDF assembly does not panic")
        .map_err(|e| crate::Error::Pipeline(format!("PDF assembly failed: {e}")))?;
        manifest.pdf = store.put(output.pdf).await?.0;
        manifest.hocr = Some(store.put(output.hocr.into_bytes()).await?.0);
        manifest.alto = Some(store.put(output.alto.into_bytes()).await?.0);
        manifest.text = store.put(dossier_text(&manifest.pages)).await?.0;
        if manifest.completeness.is_some() {
            manifest.completeness = Some(self.completeness(&manifest));
        }
        manifest.stored_at = correction.at.clone();
        manifest.replaces = Some(previous);
        manifest.correction = Some(correction);
        Ok(manifest)
    }

    /// The dossier against its checklist again, as of its scan date: a name
    /// corrected may now be found where it was doubted.
    fn completeness(&self, manifest: &Manifest) -> store::manifest::Completeness {
        use completeness::dates;
        let scanned = manifest
            .batch
            .get("scanned_at")
            .and_then(serde_json::Value::as_str)
            .and_then(dates::parse)
            .or_else(|| dates::parse(&manifest.stored_at))
            .expect("the store's clock writes RFC 3339");
        completeness::check(
            &self.checklist,
            &manifest.pages,
            &manifest.metadata,
            scanned,
        )
    }

    /// The new version in the index at once, replacing the old one's pages.
    async fn reindex(&self, id: &str, digest: &Digest, manifest: &Manifest) -> Result<(), Refusal> {
        let index = self.index.clone();
        let docs = crate::page_docs(manifest);
        let (id, hex) = (id.to_owned(), digest.hex());
        tokio::task::spawn_blocking(move || {
            let mut writer = index.writer()?;
            writer.replace_dossier(&id, &hex, &docs)?;
            writer.commit()?;
            index.reload()
        })
        .await
        .expect("indexing does not panic")?;
        Ok(())
    }

    /// The edits as line changes, each applied in turn to the page as the
    /// edits before it left it; several edits of one line become one change.
    async fn resolve(
        &self,
        manifest: &Manifest,
        edits: &[Edit],
    ) -> Result<(Vec<Change>, Working), Refusal> {
        let mut working = Working::new();
        let mut changes: Vec<Change> = Vec::new();
        for edit in edits {
            let found = match edit {
                Edit::Line {
                    page,
                    line,
                    old,
                    new,
                } => {
                    let words = self.page_words(manifest, &mut working, *page).await?;
                    vec![line_change(words, *page, *line, old, new)?]
                }
                Edit::Replace { page, from, to } => {
                    self.replace(manifest, &mut working, *page, from, to)
                        .await?
                }
            };
            for change in found {
                let words = working.get_mut(&change.page).expect("loaded to resolve");
                *words = lines::apply(words, &change);
                merge(&mut changes, change);
            }
        }
        changes.retain(|c| c.old != c.new);
        if changes.is_empty() {
            return Err(Refusal::Invalid(
                "nothing to correct: the text already reads so".into(),
            ));
        }
        working.retain(|page, _| changes.iter().any(|c| c.page == *page));
        Ok((changes, working))
    }

    /// Changes replacing `from` with `to` in every line of the page (or pages) that holds it.
    async fn replace(
        &self,
        manifest: &Manifest,
        working: &mut Working,
        page: Option<usize>,
        from: &str,
        to: &str,
    ) -> Result<Vec<Change>, Refusal> {
        if from.trim().is_empty() {
            return Err(Refusal::Invalid(
                "nothing to look for: --from is empty".into(),
            ));
        }
        check_text(to)?;
        let pages: Vec<usize> = match page {
            Some(n) => vec![n],
            None => manifest.pages.iter().map(|p| p.number).collect(),
        };
        let mut found = Vec::new();
        for n in pages {
            // Looking through every page, a page with no text is passed over.
            let has_words = |n| page_of(manifest, n).is_ok_and(|p| p.words.is_some());
            if page.is_none() && !has_words(n) {
                continue;
            }
            let words = self.page_words(manifest, working, n).await?;
            for (line, text) in words.lines() {
                if text.contains(from) {
                    found.push(Change {
                        page: n,
                        line,
                        new: text.replace(from, to),
                        old: text,
                    });
                }
            }
        }
        if found.is_empty() {
            let place = page.map_or_else(|| "any page".to_owned(), |n| format!("page {n}"));
            return Err(Refusal::Invalid(format!(
                "'{from}' is not in the text of {place} of {}",
                manifest.dossier
            )));
        }
        Ok(found)
    }

    /// A page's words as the edits so far left them, read from the store once.
    async fn page_words<'w>(
        &self,
        manifest: &Manifest,
        working: &'w mut Working,
        number: usize,
    ) -> Result<&'w PageWords, Refusal> {
        if let std::collections::btree_map::Entry::Vacant(entry) = working.entry(number) {
            let page = page_of(manifest, number)?;
            let Some(object) = &page.words else {
                return Err(Refusal::Invalid(format!(
                    "page {number} of {} has no text to correct",
                    manifest.dossier
                )));
            };
            entry.insert(self.store.get_json::<PageWords>(&object.sha256).await?);
        }
        Ok(&working[&number])
    }
}

/// The number the version after `manifest` will have.
async fn next_number(store: &Store, digest: Digest, manifest: Manifest) -> Result<usize, Refusal> {
    Ok(store.versions_from(digest, manifest).await?.len() + 1)
}

fn page_of(manifest: &Manifest, number: usize) -> Result<&Page, Refusal> {
    manifest
        .pages
        .iter()
        .find(|p| p.number == number)
        .ok_or_else(|| {
            Refusal::Invalid(format!(
                "{} has no page {number} (it has {})",
                manifest.dossier,
                manifest.pages.len()
            ))
        })
}

/// A line rewritten, if it still reads as the person saw it.
fn line_change(
    words: &PageWords,
    page: usize,
    line: u32,
    old: &str,
    new: &str,
) -> Result<Change, Refusal> {
    check_text(new)?;
    let current = lines::line_text(&words.words, line);
    if !words.words.iter().any(|w| w.line == line) {
        return Err(Refusal::Invalid(format!("page {page} has no line {line}")));
    }
    if current != normalise(old) {
        return Err(Refusal::Changed(format!(
            "page {page} line {line} now reads \"{current}\", not \"{old}\": read the page again"
        )));
    }
    Ok(Change {
        page,
        line,
        old: current,
        new: normalise(new),
    })
}

/// Words separated by single spaces, as lines are kept.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text a line may hold: bounded, printable.
fn check_text(text: &str) -> Result<(), Refusal> {
    if text.chars().count() > MAX_LINE {
        return Err(Refusal::Invalid(format!(
            "a corrected line holds at most {MAX_LINE} characters"
        )));
    }
    let bidi = |c: char| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if text
        .chars()
        .any(|c| (c.is_control() && c != '\t') || bidi(c))
    {
        return Err(Refusal::Invalid(
            "a corrected line cannot hold control or direction characters, or line breaks".into(),
        ));
    }
    Ok(())
}

/// Adds `change`, folding it into an earlier change of the same line.
fn merge(changes: &mut Vec<Change>, change: Change) {
    match changes
        .iter_mut()
        .find(|c| c.page == change.page && c.line == change.line)
    {
        Some(earlier) => earlier.new = change.new,
        None => changes.push(change),
    }
}
