//! Intake: walks the batches, reads, hashes and stores each dossier's files,
//! skips dossiers that have not changed, and queues their pages for the OCR
//! workers (or straight for the assembler when an earlier run read them).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use serde_json::{Map, Value};
use store::manifest::{self, Manifest, PageSource, Rejection, SheetRecord, Source};
use store::{Bytes, Digest, Event, sha256};
use tokio::sync::mpsc;
use tracing::{info, info_span};

use super::{
    BatchRef, PageDone, PageJob, PageOutput, Shared, SourceBytes, SourceFile, Start, ToAssembler,
    cache_key, read_scan,
};
use crate::batch::{self, PageFile, Selected};
use crate::{Error, Outcome, Result};

/// Where intake sends its work.
pub(super) struct Queues {
    /// Pages to read, for the OCR workers.
    pub jobs: async_channel::Sender<PageJob>,
    /// Dossier starts and reused pages, for the assembler.
    pub done: mpsc::Sender<ToAssembler>,
}

/// Walks the batches and feeds the workers, one dossier at a time.
pub(super) async fn intake(shared: &Arc<Shared>, queues: &Queues) -> Result<()> {
    let mut seq = 0u64;
    for root in shared.job.batches.clone() {
        let listing = match shared.cpu.run(move || batch::read(&root)).await {
            Ok(listing) => listing,
            Err(e) => {
                shared.reject(Rejection {
                    path: e.path,
                    error: e.reason,
                });
                continue;
            }
        };
        let span = info_span!("batch", batch = %listing.name);
        let _enter = span.enter();
        info!(dossiers = listing.dossiers.len(), "batch");
        for rejection in listing.rejected {
            record_rejection(shared, &listing.name, rejection).await?;
        }
        let single_file = listing.root.is_file();
        let batch = BatchRef {
            name: listing.name,
            info: Arc::new(listing.info),
            single_file,
        };
        let dossiers = match listing.stack {
            Some(stack) => super::split::split_stack(shared, &batch, stack).await?,
            None => listing.dossiers,
        };
        for dossier in dossiers {
            seq += 1;
            for rejection in &dossier.rejected {
                record_rejection(shared, &batch.name, rejection.clone()).await?;
            }
            if !dossier.files.is_empty() {
                intake_dossier(shared, seq, &batch, dossier, queues).await?;
            }
        }
    }
    Ok(())
}

/// Writes a rejection to the ledger and to the run's report.
pub(super) async fn record_rejection(
    shared: &Shared,
    batch: &str,
    rejection: Rejection,
) -> Result<()> {
    shared
        .store
        .append(Event::Rejected {
            batch: batch.to_owned(),
            path: rejection.path.clone(),
            error: rejection.error.clone(),
            objects: Vec::new(),
        })
        .await?;
    shared.reject(rejection);
    Ok(())
}

/// Reads, hashes and stores a dossier's files, then queues its pages.
async fn intake_dossier(
    shared: &Arc<Shared>,
    seq: u64,
    batch: &BatchRef,
    dossier: batch::Dossier,
    queues: &Queues,
) -> Result<()> {
    let current = shared.store.manifest(&dossier.id).await?;
    let manifest = current.as_ref().map(|(_, manifest)| manifest);
    let taken = take_files(shared, batch, &dossier.files, manifest).await?;
    for rejection in &taken.rejected {
        record_rejection(shared, &batch.name, rejection.clone()).await?;
    }
    if taken.files.is_empty() {
        let progress = &shared.job.progress;
        progress.dossier_done(&dossier.id, Outcome::NotStored);
        return Ok(());
    }
    let carried = match (&dossier.stack, manifest) {
        (Some(_), Some(manifest)) => Carried::from(manifest, &taken.files),
        _ => Carried::default(),
    };
    let metadata = match (&dossier.stack, manifest) {
        // A stack's dossier the candidate list does not describe keeps what it had.
        (Some(_), Some(manifest)) if dossier.metadata.is_empty() => manifest.metadata.clone(),
        _ => dossier.metadata.clone(),
    };
    let is_unchanged = |m: &Manifest| match &dossier.stack {
        Some(sheets) => stack_unchanged(shared, m, &metadata, &carried, sheets, &taken.files),
        None => unchanged(shared, m, &dossier, &taken.files),
    };
    if let Some(manifest) = manifest.filter(|m| is_unchanged(m)) {
        info!(dossier = %dossier.id, "unchanged");
        let mut outcomes = shared.outcomes();
        outcomes
            .unchanged
            .push((dossier.id.clone(), manifest.pages.len()));
        if let Some(check) = &manifest.completeness {
            outcomes.checks.insert(dossier.id.clone(), check.clone());
        }
        drop(outcomes);
        let progress = &shared.job.progress;
        progress.dossier_done(&dossier.id, Outcome::Unchanged);
        return Ok(());
    }

    // Counted only for a dossier stored again: an unchanged one reports no objects.
    let tally = &shared.tally;
    tally
        .existing
        .fetch_add(taken.already_stored, Ordering::Relaxed);
    let fresh: usize = taken.files.iter().map(SourceFile::selected).sum();
    shared.job.progress.pages_found(fresh as u64);
    let mut rejected = dossier.rejected;
    rejected.extend(taken.rejected);
    let mut sources = carried.sources;
    for source in taken.sources {
        if !sources
            .iter()
            .any(|s| s.sha256 == source.sha256 && s.path == source.path)
        {
            sources.push(source);
        }
    }
    let mut sheets = carried.sheets;
    sheets.extend(dossier.stack.unwrap_or_default());
    let first = carried.pages.len();
    let start = Start {
        seq,
        id: dossier.id,
        batch: batch.clone(),
        metadata,
        sources,
        expected: first + fresh,
        rejected,
        corrected: manifest.map(corrected_pages).unwrap_or_default(),
        replaces: current.as_ref().map(|(digest, _)| *digest),
        placed: placements(first, &taken.files),
        sheets,
    };
    send(&queues.done, ToAssembler::Start(Box::new(start))).await?;
    for (n, page) in carried.pages.into_iter().enumerate() {
        let output = Ok(PageOutput::Reused(Box::new(page)));
        let done = PageDone {
            seq,
            number: n + 1,
            output,
        };
        send(&queues.done, ToAssembler::Page(done)).await?;
    }
    queue_pages(shared, seq, first, taken.files, queues).await
}

/// What a stack's dossier keeps of its archived version: the pages that
/// came in other files (earlier stacks), with their sources and sheets.
#[derive(Default)]
struct Carried {
    pages: Vec<manifest::Page>,
    sources: Vec<Source>,
    sheets: Vec<SheetRecord>,
}

impl Carried {
    fn from(manifest: &Manifest, files: &[SourceFile]) -> Carried {
        let elsewhere = |digest: &Digest| !files.iter().any(|f| f.digest == *digest);
        let pages: Vec<manifest::Page> = manifest
            .pages
            .iter()
            .filter(|p| elsewhere(&p.source.sha256))
            .cloned()
            .collect();
        let sources = manifest
            .sources
            .iter()
            .filter(|s| pages.iter().any(|p| p.source.sha256 == s.sha256))
            .cloned()
            .collect();
        let sheets = manifest
            .sheets
            .iter()
            .filter(|s| elsewhere(&s.source.sha256))
            .cloned()
            .collect();
        Carried {
            pages,
            sources,
            sheets,
        }
    }
}

/// Where each page of a stack's files goes, by its number in the dossier.
fn placements(first: usize, files: &[SourceFile]) -> BTreeMap<usize, Selected> {
    files
        .iter()
        .flat_map(|f| f.select.iter().flatten())
        .enumerate()
        .map(|(n, selected)| (first + n + 1, selected.clone()))
        .collect()
}

/// Whether a stack's dossier is archived exactly as this stack places it.
fn stack_unchanged(
    shared: &Shared,
    manifest: &Manifest,
    metadata: &Map<String, Value>,
    carried: &Carried,
    sheets: &[SheetRecord],
    files: &[SourceFile],
) -> bool {
    let archived: Vec<(Digest, usize, Option<&str>)> = manifest
        .pages
        .iter()
        .map(|p| (p.source.sha256, p.source.page, p.kind.as_deref()))
        .collect();
    let carried_pages = carried
        .pages
        .iter()
        .map(|p| (p.source.sha256, p.source.page, p.kind.as_deref()));
    let placed = files.iter().flat_map(|f| {
        f.select
            .iter()
            .flatten()
            .map(|s| (f.digest, s.page, s.kind.as_deref()))
    });
    let intended: Vec<_> = carried_pages.chain(placed).collect();
    let all_sheets: Vec<&SheetRecord> = carried.sheets.iter().chain(sheets).collect();
    archived == intended
        && manifest.sheets.iter().collect::<Vec<_>>() == all_sheets
        && manifest.metadata == *metadata
        && manifest.settings == shared.settings
}

/// A dossier's files as intake took them.
#[derive(Default)]
struct Taken {
    /// The files that can be read, in order.
    files: Vec<SourceFile>,
    /// Their records for the manifest.
    sources: Vec<Source>,
    /// Files the current manifest names, not offered to the store again.
    already_stored: usize,
    rejected: Vec<Rejection>,
}

/// Reads, hashes, counts the pages of and stores each file of a dossier.
async fn take_files(
    shared: &Shared,
    batch: &BatchRef,
    files: &[PageFile],
    current: Option<&Manifest>,
) -> Result<Taken> {
    let mut taken = Taken::default();
    for PageFile { rel, path, select } in files {
        // A scan is several MB (tens for colour TIFFs), held from reading to
        // storing: taken through the workers' gate, so that it never comes on
        // top of their own peaks. That kept the peak of a long batch from
        // outgrowing a short one's (about 7 MB, measured with heaptrack).
        let _pass = shared.pixels.entered().await;
        let started = Instant::now();
        let scan = take_file(shared, path).await;
        shared
            .tally
            .time(|s| &mut s.intake, started.elapsed().as_secs_f64());
        let Scan {
            bytes,
            digest,
            pages,
            mime,
        } = match scan {
            Ok(scan) => scan,
            Err(error) => {
                taken.rejected.push(Rejection {
                    path: batch.path(rel),
                    error,
                });
                continue;
            }
        };
        // Stored at once, so that intake holds one scan at a time, however
        // many a dossier has. One the dossier's current manifest names is in
        // the archive already.
        let known = current.and_then(|m| {
            m.sources
                .iter()
                .find(|s| s.path == *rel && s.sha256 == digest)
        });
        let source = match known {
            Some(source) => {
                taken.already_stored += 1;
                source.clone()
            }
            None => {
                let object = shared.put_hashed(bytes.clone(), digest).await?;
                Source {
                    path: rel.clone(),
                    key: object.key,
                    sha256: digest,
                    bytes: object.bytes,
                    mime: mime.to_owned(),
                    pages,
                }
            }
        };
        taken.sources.push(source);
        taken.files.push(SourceFile {
            rel: rel.clone(),
            bytes: held_bytes(path, bytes, pages),
            digest,
            pages,
            select: select.clone(),
        });
    }
    Ok(taken)
}

/// The pages an archivist corrected in the version a new one replaces: a
/// re-scan keeps their corrections (see `commit::keep_correction`).
fn corrected_pages(manifest: &Manifest) -> Vec<manifest::Page> {
    let pages = manifest.pages.iter().filter(|p| p.ocr_words.is_some());
    pages.cloned().collect()
}

/// A file's bytes, read on the blocking pool; shared, so that storing them does not copy them.
async fn read_file(path: &Path) -> Result<Bytes, String> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || read_scan(&path))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
        .map(Bytes::from)
        .map_err(|e| format!("cannot read: {e}"))
}

/// A page file as intake took it.
pub(super) struct Scan {
    pub bytes: Bytes,
    pub digest: Digest,
    pub pages: usize,
    pub mime: &'static str,
}

/// Reads a file, hashes it and counts its pages; the reason when it cannot be taken.
pub(super) async fn take_file(shared: &Shared, path: &Path) -> Result<Scan, String> {
    let bytes = read_file(path).await?;
    let limits = shared.job.options.limits;
    shared
        .cpu
        .run(move || {
            let digest = sha256(&bytes);
            // A decoder that panics on a hostile file must not take the batch down.
            let pages = std::panic::catch_unwind(|| ocr::page_count(&bytes, &limits))
                .unwrap_or_else(|_| {
                    Err(ocr::Error::Decode(
                        "the file cannot be read (decoder failure)".into(),
                    ))
                })
                .map_err(|e| e.to_string())?;
            let mime =
                ocr::decode::Format::sniff(&bytes).map_or("application/octet-stream", |f| f.mime());
            Ok(Scan {
                bytes,
                digest,
                pages,
                mime,
            })
        })
        .await
}

/// Where the workers will find a file's bytes.
fn held_bytes(path: &Path, bytes: Bytes, pages: usize) -> SourceBytes {
    if pages == 1 {
        SourceBytes::OnDisk(path.to_owned())
    } else {
        // Held until the file's last page is read: its own size, not the
        // page's room it was read into. Copied rather than shrunk in place,
        // which would leave a hole smaller than a page, the very thing the
        // room is there to avoid.
        SourceBytes::Held(Bytes::copy_from_slice(&bytes))
    }
}

/// Whether the dossier is archived exactly as the batch has it: same files,
/// same `dossier.toml`, same settings. Nothing to redo then. (A corrected
/// name is a new manifest, with every page reused from the cache.)
fn unchanged(
    shared: &Shared,
    manifest: &Manifest,
    dossier: &batch::Dossier,
    files: &[SourceFile],
) -> bool {
    let same_files = manifest.sources.len() == files.len()
        && manifest
            .sources
            .iter()
            .zip(files)
            .all(|(s, f)| s.path == f.rel && s.sha256 == f.digest);
    same_files && manifest.metadata == dossier.metadata && manifest.settings == shared.settings
}

/// Queues each page: for the workers, or for the assembler when an earlier
/// run's result can be reused.
async fn queue_pages(
    shared: &Shared,
    seq: u64,
    first: usize,
    files: Vec<SourceFile>,
    queues: &Queues,
) -> Result<()> {
    let mut number = first;
    for file in files {
        let file = Arc::new(file);
        let pages: Vec<usize> = match &file.select {
            Some(selected) => selected.iter().map(|s| s.page).collect(),
            None => (0..file.pages).collect(),
        };
        for page_in_file in pages {
            number += 1;
            let key = cache_key(&shared.settings, &file.digest, page_in_file);
            if let Some(page) = reuse(shared, &key, &file, page_in_file).await {
                shared.tally.reused.fetch_add(1, Ordering::Relaxed);
                shared.job.progress.page_done();
                let output = Ok(PageOutput::Reused(Box::new(page)));
                let done = PageDone {
                    seq,
                    number,
                    output,
                };
                send(&queues.done, ToAssembler::Page(done)).await?;
                continue;
            }
            let job = PageJob {
                seq,
                number,
                source: file.clone(),
                page_in_file,
                cache_key: key,
            };
            queues
                .jobs
                .send(job)
                .await
                .map_err(|_| Error::Pipeline("the OCR workers stopped early".into()))?;
        }
    }
    Ok(())
}

/// A page result stored by an earlier run, if it is there and intact, with
/// this dossier's own file as its provenance: the reading is shared by every
/// file with these bytes.
async fn reuse(
    shared: &Shared,
    key: &Digest,
    file: &SourceFile,
    page_in_file: usize,
) -> Option<manifest::Page> {
    let digest = shared.store.cache_get(key).await.ok()??;
    let mut page: manifest::Page = shared.store.get_json(&digest).await.ok()?;
    page.source = PageSource {
        path: file.rel.clone(),
        sha256: file.digest,
        page: page_in_file,
        stack_page: None,
    };
    Some(page)
}

async fn send(done: &mpsc::Sender<ToAssembler>, message: ToAssembler) -> Result<()> {
    done.send(message)
        .await
        .map_err(|_| Error::Pipeline("the assembler stopped early".into()))
}
