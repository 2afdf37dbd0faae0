//! Storing a complete dossier: its pages' objects, the PDF/A and sidecars, the
//! manifest, then the ledger record (the commit point) and the ref.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use ocr::Recognition;
use serde_json::Value;
use store::manifest::{self, Manifest, ObjectRef, Rejection};
use store::words::PageWords;
use store::{Bytes, Event};
use tracing::{info, info_span};

use super::assemble::Open;
use super::intake::record_rejection;
use super::worker::Fresh;
use super::{PageOutput, Shared, Start};
use crate::{Error, Outcome, Result};

/// A stored dossier whose pages are not in the index yet.
pub(super) struct Unindexed {
    pub id: String,
    pub manifest: String,
    pub docs: Vec<index::PageDoc>,
}

/// A page as the PDF takes it: its image and its words.
pub(crate) type PdfPage = (pdf::PageImage, Vec<pdf::Word>);

/// Stores a complete dossier. Returns what the index needs of it if a
/// manifest was written: the assembler indexes stored dossiers just before
/// each commit (ARCHITECTURE.md, "The index is written at commit time").
pub(super) async fn store_dossier(
    shared: &Arc<Shared>,
    dossier: Open,
) -> Result<Option<Unindexed>> {
    let Open { start, pages } = dossier;
    let started = Instant::now();
    let span = info_span!("dossier", dossier = %start.id);
    let _enter = span.enter();
    let mut rejected = start.rejected.clone();
    let mut records = Vec::new();
    let mut pdf_pages = Vec::new();
    let mut missed_sheets = Vec::new();
    for (placed_as, output) in pages {
        let number = records.len() + 1;
        let stored = match output {
            Ok(PageOutput::Fresh(fresh)) => Ok(store_fresh_page(shared, number, *fresh).await?),
            Ok(PageOutput::Reused(page)) => reload_page(shared, number, *page).await,
            Err(rejection) => Err(rejection),
        };
        match stored {
            Ok((mut record, mut pdf_page)) => {
                keep_correction(shared, &start.corrected, &mut record, &mut pdf_page).await?;
                if let Some(selected) = start.placed.get(&placed_as) {
                    record.kind = selected.kind.clone();
                    record.source.stack_page = Some(selected.stack_page);
                    if crate::sheets::looks_like_sheet(&record.text) {
                        missed_sheets.push(selected.stack_page);
                    }
                }
                records.push(record);
                pdf_pages.push(pdf_page);
            }
            Err(rejection) => {
                let rejection = Rejection {
                    path: start.batch.path(&rejection.path),
                    error: rejection.error,
                };
                rejected.push(rejection.clone());
                record_rejection(shared, &start.batch.name, rejection).await?;
            }
        }
    }
    if records.is_empty() {
        not_stored(shared, &start, "no readable page: dossier not stored").await?;
        return Ok(None);
    }
    if let Some(first) = missed_sheets.first() {
        not_stored(shared, &start, &missed_sheet(*first)).await?;
        return Ok(None);
    }

    let (output, pdf_seconds) = build_pdf(shared, &start, pdf_pages).await?;
    let files = put_files(shared, output, &records).await?;
    let stored_at = store::now_rfc3339();
    let completeness = completeness(shared, &start, &records, &stored_at);
    let manifest = Manifest {
        version: manifest::VERSION,
        dossier: start.id.clone(),
        stored_at,
        batch: (*start.batch.info).clone(),
        batch_name: Some(start.batch.name.clone()),
        metadata: start.metadata.clone(),
        settings: shared.settings.clone(),
        sources: start.sources.clone(),
        pages: records,
        pdf: files.pdf,
        text: files.text,
        hocr: Some(files.hocr),
        alto: Some(files.alto),
        rejected,
        replaces: start.replaces,
        sheets: start.sheets.clone(),
        completeness: Some(completeness),
        correction: None,
    };
    let manifest_ref = commit(shared, &start, &manifest).await?;
    let store_seconds = started.elapsed().as_secs_f64() - pdf_seconds;
    shared.tally.time(|s| &mut s.store, store_seconds);
    info!(pages = manifest.pages.len(), manifest = %manifest_ref.sha256, "stored");
    record_stored(shared, &start, &manifest, &manifest_ref);
    shared.job.progress.dossier_done(&start.id, Outcome::Stored);
    Ok(Some(Unindexed {
        id: start.id.clone(),
        manifest: manifest_ref.sha256.hex(),
        docs: crate::page_docs(&manifest),
    }))
}

/// A re-scan keeps what archivists corrected: a page read from the same
/// scan into the same image as a corrected page takes its corrected words
/// (and keeps the machine reading beside them), in the PDF too.
async fn keep_correction(
    shared: &Shared,
    corrected: &[manifest::Page],
    record: &mut manifest::Page,
    pdf_page: &mut PdfPage,
) -> Result<()> {
    let Some(kept) = corrected.iter().find(|p| {
        p.source.sha256 == record.source.sha256
            && p.source.page == record.source.page
            && p.image.sha256 == record.image.sha256
    }) else {
        return Ok(());
    };
    if let Some(words) = &kept.words {
        pdf_page.1 = pdf_words(&shared.store.get_json::<PageWords>(&words.sha256).await?);
    }
    record.words = kept.words.clone();
    record.ocr_words = kept.ocr_words.clone();
    record.text = kept.text.clone();
    record.confidence = kept.confidence;
    Ok(())
}

/// Stores a freshly read page's image, words and record, and caches the
/// record under the page's key.
async fn store_fresh_page(
    shared: &Shared,
    number: usize,
    fresh: Fresh,
) -> Result<(manifest::Page, PdfPage)> {
    let Fresh {
        image,
        recognition,
        skew_degrees,
        rotation,
        blank,
        source,
        cache_key,
        timings,
        image_digest,
        reading,
    } = fresh;
    timings.add_to(&mut shared.tally.stats.lock().expect("no panics while held"));
    shared.tally.read.fetch_add(1, Ordering::Relaxed);
    // Hashed by the worker: no second pass here. A copy: the PDF is built
    // from the same image.
    let image_ref = shared
        .put_hashed(Bytes::copy_from_slice(&image.bytes), image_digest)
        .await?;
    let stored = recognition.as_ref().map(stored_words);
    let words_ref = match &stored {
        Some(words) => Some(shared.put(to_json(words)).await?),
        None => None,
    };
    let recognition = stored.unwrap_or_default();
    let page = manifest::Page {
        number,
        source,
        image: image_ref,
        width: image.width,
        height: image.height,
        dpi: image.dpi,
        words: words_ref,
        skew_degrees,
        rotation,
        blank,
        confidence: (recognition.confidence * 10.0).round() / 10.0,
        text: recognition.text.clone(),
        reading,
        kind: None,
        ocr_words: None,
    };
    // Cached at once, before the dossier commits: a run that is killed later
    // finds this page done and does not read it again.
    let record = shared.put(to_json(&page)).await?;
    shared.store.cache_set(&cache_key, &record.sha256).await?;
    Ok((page, (image, pdf_words(&recognition))))
}

/// A reused page with its number in this dossier, and its image and words
/// from the store; a missing or damaged object rejects the page.
async fn reload_page(
    shared: &Shared,
    number: usize,
    mut page: manifest::Page,
) -> Result<(manifest::Page, PdfPage), Rejection> {
    page.number = number;
    match load_pdf_page(&shared.store, &page).await {
        Ok(loaded) => Ok((page, loaded)),
        Err(e) => Err(Rejection {
            path: page.source.path,
            error: e.to_string(),
        }),
    }
}

/// The page image and words of a stored page.
pub(crate) async fn load_pdf_page(store: &store::Store, page: &manifest::Page) -> Result<PdfPage> {
    let bytes = store.get(&page.image.sha256).await?;
    let kind = if bytes.starts_with(b"\x89PNG") {
        pdf::ImageKind::Bilevel
    } else if jpeg_is_grey(&bytes) {
        pdf::ImageKind::JpegGrey
    } else {
        pdf::ImageKind::JpegRgb
    };
    let image = pdf::PageImage {
        kind,
        bytes,
        width: page.width,
        height: page.height,
        dpi: page.dpi,
    };
    let words = match &page.words {
        Some(object) => pdf_words(&store.get_json::<PageWords>(&object.sha256).await?),
        None => Vec::new(),
    };
    Ok((image, words))
}

/// Why a stack's dossier must not be stored as split: page `first` reads as
/// a separator sheet whose codes were missed, so the pages after it may be
/// another dossier's. Its pages are read and kept; once the corrections file
/// names the sheet, ingesting the stack again reuses every reading.
fn missed_sheet(first: usize) -> String {
    format!(
        "page {first} of the stack reads as a separator sheet whose codes could not be read: \
         dossier not stored, its pages kept with the stack; name the sheet in the stack's \
         corrections file (`{first} = \"cover ID\"`, `\"piece KIND\"` or `\"page\"`) and ingest it again"
    )
}

/// A dossier none of whose pages could be read, or that cannot be stored as
/// it came: not stored, its original files kept all the same and named by the ledger.
async fn not_stored(shared: &Shared, start: &Start, error: &str) -> Result<()> {
    let error = error.to_owned();
    let path = start.batch.path(&start.id);
    shared
        .store
        .append(Event::Rejected {
            batch: start.batch.name.clone(),
            path: path.clone(),
            error: error.clone(),
            objects: start.sources.iter().map(|s| s.sha256).collect(),
        })
        .await?;
    shared.reject(Rejection { path, error });
    let progress = &shared.job.progress;
    progress.dossier_done(&start.id, Outcome::NotStored);
    Ok(())
}

/// The dossier's files beside its manifest.
struct Files {
    pdf: ObjectRef,
    hocr: ObjectRef,
    alto: ObjectRef,
    text: ObjectRef,
}

/// Builds the PDF/A and its hOCR and ALTO sidecars; returns them with the
/// seconds it took.
async fn build_pdf(
    shared: &Shared,
    start: &Start,
    pdf_pages: Vec<PdfPage>,
) -> Result<(pdf::Output, f64)> {
    let started = Instant::now();
    let info = pdf_info(&start.id, &start.metadata, &start.batch.info);
    let output = shared
        .cpu
        .run(move || {
            let mut builder = pdf::Builder::new();
            for (image, words) in &pdf_pages {
                builder.add_page(image, words)?;
            }
            builder.finish(&info)
        })
        .await
        .map_err(|e| Error::Pipeline(format!("{}: PDF assembly failed: {e}", start.id)))?;
    let seconds = started.elapsed().as_secs_f64();
    shared.tally.time(|s| &mut s.pdf, seconds);
    Ok((output, seconds))
}

/// Stores the PDF/A, its sidecars and the plain text.
async fn put_files(
    shared: &Shared,
    output: pdf::Output,
    records: &[manifest::Page],
) -> Result<Files> {
    Ok(Files {
        pdf: shared.put(output.pdf).await?,
        hocr: shared.put(output.hocr.into_bytes()).await?,
        alto: shared.put(output.alto.into_bytes()).await?,
        text: shared.put(dossier_text(records)).await?,
    })
}

/// The plain-text sidecar: the pages separated by form feeds, as `pdftotext` does.
pub(crate) fn dossier_text(pages: &[manifest::Page]) -> Vec<u8> {
    let text: Vec<&str> = pages.iter().map(|p| p.text.as_str()).collect();
    text.join("\n\u{c}\n").into_bytes()
}

/// The PDF's document information, from `dossier.toml` and `batch.toml`
/// (docs/INTERFACE.md): the dossier as title, the candidate's `name` as subject,
/// the `corps` as keywords, the batch's `operator` as author, and its
/// `scanned_at` as the creation date (failing that, now).
pub(crate) fn pdf_info(
    id: &str,
    metadata: &serde_json::Map<String, Value>,
    batch: &serde_json::Map<String, Value>,
) -> pdf::Info {
    let text = |fields: &serde_json::Map<String, Value>, key: &str| {
        let value = fields.get(key).and_then(Value::as_str);
        value.unwrap_or_default().to_owned()
    };
    let scanned_at = batch.get("scanned_at").and_then(Value::as_str);
    pdf::Info {
        title: id.to_owned(),
        subject: text(metadata, "name"),
        keywords: text(metadata, "corps"),
        author: text(batch, "operator"),
        created: scanned_at.map_or_else(store::now_rfc3339, str::to_owned),
    }
}

/// Stores the manifest, appends the ledger record and moves the ref. The
/// commit point is the ledger record: from there on the dossier is stored,
/// and a run killed before the ref moves has it moved by recovery.
async fn commit(shared: &Shared, start: &Start, manifest: &Manifest) -> Result<ObjectRef> {
    let bytes = serde_json::to_vec_pretty(manifest).expect("plain data serialises");
    let manifest_ref = shared.put(bytes).await?;
    let record = Event::DossierStored {
        dossier: start.id.clone(),
        manifest: manifest_ref.sha256,
        previous: start.replaces,
        objects: manifest.objects(),
    };
    shared.store.append(record).await?;
    let store = &shared.store;
    store
        .set_dossier_ref(&start.id, &manifest_ref.sha256)
        .await?;
    Ok(manifest_ref)
}

/// Counts the dossier in the run's report and in its batch's seal.
/// The dossier against its checklist, as of its scan date (`batch.toml`'s
/// `scanned_at`, else today).
fn completeness(
    shared: &Shared,
    start: &Start,
    pages: &[manifest::Page],
    stored_at: &str,
) -> manifest::Completeness {
    use crate::completeness::dates;
    let scanned = start
        .batch
        .info
        .get("scanned_at")
        .and_then(Value::as_str)
        .and_then(dates::parse)
        .or_else(|| dates::parse(stored_at))
        .expect("the store's clock writes RFC 3339");
    let checklist = &shared.job.options.checklist;
    crate::completeness::check(checklist, pages, &start.metadata, scanned)
}

fn record_stored(shared: &Shared, start: &Start, manifest: &Manifest, manifest_ref: &ObjectRef) {
    let mut outcomes = shared.outcomes();
    outcomes
        .stored
        .push((start.id.clone(), manifest.pages.len()));
    if let Some(check) = &manifest.completeness {
        outcomes.checks.insert(start.id.clone(), check.clone());
    }
    let seal = outcomes.sealed.entry(start.batch.name.clone()).or_default();
    seal.dossiers.push(start.id.clone());
    seal.objects.extend(manifest.objects());
    seal.objects.push(manifest_ref.sha256);
}

fn to_json(value: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("plain data serialises")
}

/// Whether a baseline JPEG has one component (grey), from its SOF0 header.
fn jpeg_is_grey(bytes: &[u8]) -> bool {
    bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .and_then(|i| bytes.get(i + 9))
        .is_some_and(|&n| n == 1)
}

pub(crate) fn pdf_words(stored: &PageWords) -> Vec<pdf::Word> {
    stored
        .words
        .iter()
        .map(|w| pdf::Word {
            text: w.text.clone(),
            bbox: w.bbox,
            line: w.line,
            confidence: w.confidence,
        })
        .collect()
}

/// A page's reading in the stored words format.
fn stored_words(recognition: &Recognition) -> PageWords {
    let words = recognition.words.iter().map(|w| store::words::Word {
        text: w.text.clone(),
        bbox: w.bbox,
        confidence: w.confidence,
        line: w.line,
    });
    PageWords {
        version: store::words::VERSION,
        words: words.collect(),
        text: recognition.text.clone(),
        confidence: recognition.confidence,
    }
}
