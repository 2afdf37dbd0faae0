//! The streaming pipeline: intake → OCR workers → dossier assembler → store and index.
//!
//! ```text
//! intake (async) ──PageJob──► workers (threads, one engine each) ──┐
//!    │  hashes and stores sources, skips unchanged dossiers,       │ PageDone
//!    └──Start / cached PageDone──────────────────────────────────►  assembler (async)
//!                                        PDF, sidecars, manifest (commit point), ledger, index
//! ```
//! Both channels are bounded. A dossier's `Start` is queued before any of its
//! jobs, so the assembler always knows how many pages to wait for.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ocr::Recognition;
use serde_json::{Map, Value};
use store::manifest::{self, Manifest, ObjectRef, PageSource, Rejection, Settings, Source};
use store::{Bytes, Digest, Event, Put, Store, sha256};
use tokio::sync::mpsc;
use tracing::{info, info_span, warn};

use crate::batch::{self, PageFile};
use crate::cpu::Cpu;
use crate::gate::Gate;
use crate::{Error, Job, ObjectCounts, Options, Outcome, Report, Result};

/// A page for the OCR workers.
struct PageJob {
    seq: u64,
    number: usize,
    source: Arc<SourceFile>,
    page_in_file: usize,
    cache_key: Digest,
}

/// A page file, hashed and stored by intake, shared by the jobs of its pages.
struct SourceFile {
    rel: String,
    bytes: SourceBytes,
    digest: Digest,
    /// Pages in the file, each one job.
    pages: usize,
}

/// Where a worker finds a page file's bytes.
enum SourceBytes {
    /// Kept in memory for a multi-page file, whose pages would otherwise each read it all.
    Held(Bytes),
    /// A single-page file is read again by the worker that takes its page: a
    /// queue of scans waiting in memory would cost tens of MB (hundreds for
    /// big colour TIFFs) for a second read that the page cache answers.
    OnDisk(PathBuf),
}

impl SourceFile {
    /// The file's bytes, checked against the digest intake stored them under.
    fn bytes(&self) -> Result<Cow<'_, [u8]>, String> {
        match &self.bytes {
            SourceBytes::Held(bytes) => Ok(Cow::Borrowed(bytes)),
            SourceBytes::OnDisk(path) => {
                let bytes = read_scan(path).map_err(|e| format!("cannot read: {e}"))?;
                if sha256(&bytes) != self.digest {
                    return Err("the file changed while the batch was being ingested \
                                (ingest the batch again once it is complete)"
                        .into());
                }
                Ok(Cow::Owned(bytes))
            }
        }
    }
}

/// A dossier's pages are about to arrive.
struct Start {
    seq: u64,
    id: String,
    batch_name: String,
    batch_info: Arc<Map<String, Value>>,
    metadata: Map<String, Value>,
    sources: Vec<Source>,
    expected: usize,
    rejected: Vec<Rejection>,
    replaces: Option<Digest>,
}

/// A page read by a worker.
struct Fresh {
    image: pdf::PageImage,
    recognition: Option<Recognition>,
    skew_degrees: f32,
    rotation: u16,
    blank: bool,
    source: PageSource,
    cache_key: Digest,
    /// Seconds spent decoding, preprocessing, reading and encoding.
    timings: [f64; 4],
    /// SHA-256 of `image.bytes`, computed on the worker that made them.
    image_digest: Digest,
    /// Both readings of a doubtful page, and the one kept.
    reading: Option<manifest::Reading>,
}

enum PageOutput {
    Fresh(Box<Fresh>),
    /// A result stored by an earlier run.
    Reused(Box<manifest::Page>),
}

struct PageDone {
    seq: u64,
    number: usize,
    output: Result<PageOutput, Rejection>,
}

enum ToAssembler {
    Start(Box<Start>),
    Page(PageDone),
}

/// Counts shared by the stages.
#[derive(Default)]
struct Tally {
    stored: AtomicUsize,
    existing: AtomicUsize,
    bytes: AtomicUsize,
    read: AtomicUsize,
    reused: AtomicUsize,
    stats: Mutex<crate::Stats>,
}

impl Tally {
    fn time(&self, stage: impl FnOnce(&mut crate::Stats) -> &mut crate::Stage, seconds: f64) {
        stage(&mut self.stats.lock().expect("no panics while held")).add(seconds);
    }
}

impl Tally {
    fn count(&self, object: &ObjectRef, put: Put) {
        match put {
            Put::Stored => {
                self.stored.fetch_add(1, Ordering::Relaxed);
                self.bytes
                    .fetch_add(object.bytes as usize, Ordering::Relaxed);
            }
            Put::Existed => {
                self.existing.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Reads a scan into a buffer with a page's room (see `ocr::pixels`).
fn read_scan(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len() as usize;
    let mut bytes = Vec::with_capacity(ocr::pixels::file_capacity(len));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// What the run found, filled in by intake and assembler.
#[derive(Default)]
struct Outcomes {
    rejected: Vec<Rejection>,
    stored: Vec<(String, usize)>,
    unchanged: Vec<(String, usize)>,
    /// Per batch: the dossiers stored and every object they name, for the batch's seal.
    sealed: BTreeMap<String, (Vec<String>, Vec<Digest>)>,
}

struct Shared {
    store: Store,
    cpu: Cpu,
    /// Held by the steps that hold a whole page or scan (see `read_page` and
    /// `intake_dossier`), so that their peaks do not coincide.
    pixels: Arc<Gate>,
    settings: Settings,
    tally: Tally,
    outcomes: Mutex<Outcomes>,
    job: Job,
}

impl Shared {
    fn reject(&self, rejection: Rejection) {
        warn!(path = %rejection.path, error = %rejection.error, "rejected");
        self.outcomes
            .lock()
            .expect("no panics while held")
            .rejected
            .push(rejection);
    }

    async fn put(&self, bytes: Vec<u8>) -> Result<ObjectRef> {
        let (digest, bytes) = self.cpu.run(move || (sha256(&bytes), bytes)).await;
        self.put_hashed(bytes, digest).await
    }

    /// Stores bytes already hashed where they were made.
    async fn put_hashed(&self, bytes: impl Into<Bytes>, digest: Digest) -> Result<ObjectRef> {
        let (object, put) = self.store.put_hashed(bytes, digest).await?;
        self.tally.count(&object, put);
        Ok(object)
    }
}

/// Runs the pipeline over every batch of `job`.
pub async fn ingest(job: Job) -> Result<Report> {
    let started = Instant::now();
    let options = job.options.clone();
    let workers = options.workers.max(1);
    // Load every engine before reading anything: a missing language is fatal,
    // and better said at once. Side by side, as loading takes a core for a
    // tenth of a second or more per engine.
    let engines = std::thread::scope(|scope| {
        let loading: Vec<_> = (0..workers)
            .map(|_| scope.spawn(|| ocr::Engine::new(&options.lang)))
            .collect();
        loading
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e))
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    let shared = Arc::new(Shared {
        store: job.store.clone(),
        cpu: Cpu::new(workers),
        // Half the workers at most hold full-size page images at once (see
        // `read_page`): the other half are in Tesseract, which takes about
        // twice as long, so no worker waits for long.
        pixels: Arc::new(Gate::new(workers.div_ceil(2))),
        settings: Settings {
            lang: options.lang.clone(),
            pipeline: crate::PIPELINE.into(),
        },
        tally: Tally::default(),
        outcomes: Mutex::default(),
        job,
    });

    let (job_tx, job_rx) = mpsc::channel::<PageJob>(workers * 2);
    let (done_tx, done_rx) = mpsc::channel::<ToAssembler>(workers * 4);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let mut threads = Vec::new();
    for (n, engine) in engines.into_iter().enumerate() {
        let (rx, tx, options, progress, pixels) = (
            job_rx.clone(),
            done_tx.clone(),
            options.clone(),
            shared.job.progress.clone(),
            shared.pixels.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name(format!("ocr-{n}"))
            .spawn(move || worker(engine, &rx, &tx, &pixels, &options, progress.as_ref()));
        threads.push(
            spawned.map_err(|e| Error::Pipeline(format!("cannot start an OCR worker: {e}")))?,
        );
    }
    let assembler = tokio::spawn(assemble(shared.clone(), done_rx));

    let intake_result = intake(&shared, &job_tx, &done_tx).await;
    drop(job_tx);
    drop(done_tx);
    let assembled = assembler
        .await
        .map_err(|e| Error::Pipeline(format!("assembler stopped: {e}")))?;
    for thread in threads {
        let _ = thread.join();
    }
    intake_result?;
    assembled?;

    // Seal each batch that stored something: a signed Merkle root over its objects.
    if let Some(signer) = &shared.job.signer {
        let sealed =
            std::mem::take(&mut shared.outcomes.lock().expect("no panics while held").sealed);
        for (batch, (dossiers, objects)) in sealed {
            shared.store.seal(&batch, dossiers, objects, signer).await?;
        }
    }

    let outcomes = std::mem::take(&mut *shared.outcomes.lock().expect("no panics while held"));
    let t = &shared.tally;
    let mut stored: Vec<_> = outcomes.stored;
    stored.sort();
    Ok(Report {
        dossiers: stored.len() + outcomes.unchanged.len(),
        pages: stored
            .iter()
            .chain(&outcomes.unchanged)
            .map(|(_, n)| n)
            .sum(),
        rejected: outcomes.rejected,
        seconds: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        stored: stored.into_iter().map(|(id, _)| id).collect(),
        unchanged: outcomes.unchanged.into_iter().map(|(id, _)| id).collect(),
        pages_read: t.read.load(Ordering::Relaxed),
        pages_reused: t.reused.load(Ordering::Relaxed),
        objects: ObjectCounts {
            stored: t.stored.load(Ordering::Relaxed),
            existing: t.existing.load(Ordering::Relaxed),
            bytes_stored: t.bytes.load(Ordering::Relaxed) as u64,
        },
        stats: std::mem::take(&mut *t.stats.lock().expect("no panics while held")),
    })
}

/// The key under which a page's result is cached: its source, its place in it, and the settings.
fn cache_key(settings: &Settings, source: &Digest, page_in_file: usize) -> Digest {
    sha256(
        format!(
            "{}\n{}\n{}\n{}",
            settings.pipeline,
            settings.lang,
            source.hex(),
            page_in_file
        )
        .as_bytes(),
    )
}

/// Walks the batches and feeds the workers, one dossier at a time.
async fn intake(
    shared: &Arc<Shared>,
    jobs: &mpsc::Sender<PageJob>,
    done: &mpsc::Sender<ToAssembler>,
) -> Result<()> {
    let mut seq = 0u64;
    for root in shared.job.batches.clone() {
        let listing = match shared
            .cpu
            .run({
                let root = root.clone();
                move || batch::read(&root)
            })
            .await
        {
            Ok(listing) => listing,
            Err(e) => {
                shared.reject(Rejection {
                    path: root.display().to_string(),
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
        let batch_info = Arc::new(listing.info);
        for dossier in listing.dossiers {
            seq += 1;
            for rejection in &dossier.rejected {
                record_rejection(shared, &listing.name, rejection.clone()).await?;
            }
            if dossier.files.is_empty() {
                continue;
            }
            intake_dossier(
                shared,
                seq,
                &listing.name,
                dossier,
                batch_info.clone(),
                jobs,
                done,
            )
            .await?;
        }
    }
    Ok(())
}

async fn record_rejection(shared: &Shared, batch: &str, rejection: Rejection) -> Result<()> {
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
    batch_name: &str,
    dossier: batch::Dossier,
    batch_info: Arc<Map<String, Value>>,
    jobs: &mpsc::Sender<PageJob>,
    done: &mpsc::Sender<ToAssembler>,
) -> Result<()> {
    let limits = shared.job.options.limits;
    let current = shared.store.manifest(&dossier.id).await?;
    let mut files: Vec<SourceFile> = Vec::new();
    let mut sources = Vec::new();
    // Files the current manifest names, not offered to the store again.
    let mut already_stored = 0;
    let mut rejected = Vec::new();
    for PageFile { rel, path } in &dossier.files {
        // A scan is several MB (tens for colour TIFFs), held from reading to
        // storing: taken through the workers' gate, so that it never comes on
        // top of their own peaks. That kept the peak of a long batch from
        // outgrowing a short one's (about 7 MB, measured with heaptrack).
        let _pass = shared.pixels.entered().await;
        let started = Instant::now();
        let read = path.clone();
        let bytes = match tokio::task::spawn_blocking(move || read_scan(&read))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
        {
            // Shared, so that storing it does not copy it.
            Ok(bytes) => Bytes::from(bytes),
            Err(e) => {
                rejected.push(Rejection {
                    path: format!("{batch_name}/{rel}"),
                    error: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        let (bytes, digest, counted) = shared
            .cpu
            .run(move || {
                let digest = sha256(&bytes);
                // A decoder that panics on a hostile file must not take the batch down.
                let count = std::panic::catch_unwind(|| ocr::page_count(&bytes, &limits))
                    .unwrap_or_else(|_| {
                        Err(ocr::Error::Decode(
                            "the file cannot be read (decoder failure)".into(),
                        ))
                    });
                let counted = count.map(|n| {
                    let mime = ocr::decode::Format::sniff(&bytes)
                        .map_or("application/octet-stream", |f| f.mime());
                    (n, mime)
                });
                (bytes, digest, counted)
            })
            .await;
        shared
            .tally
            .time(|s| &mut s.intake, started.elapsed().as_secs_f64());
        match counted {
            Ok((pages, mime)) => {
                // Stored at once, so that intake holds one scan at a time,
                // however many a dossier has. One the dossier's current
                // manifest names is in the archive already.
                let known = current.as_ref().and_then(|(_, manifest)| {
                    manifest
                        .sources
                        .iter()
                        .find(|s| s.path == *rel && s.sha256 == digest)
                });
                let source = match known {
                    Some(source) => {
                        already_stored += 1;
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
                sources.push(source);
                let bytes = if pages == 1 {
                    SourceBytes::OnDisk(path.clone())
                } else {
                    // Held until the file's last page is read: its own size,
                    // not the page's room it was read into. Copied rather
                    // than shrunk in place, which would leave a hole smaller
                    // than a page, the very thing the room is there to avoid.
                    SourceBytes::Held(Bytes::copy_from_slice(&bytes))
                };
                files.push(SourceFile {
                    rel: rel.clone(),
                    bytes,
                    digest,
                    pages,
                });
            }
            Err(e) => rejected.push(Rejection {
                path: format!("{batch_name}/{rel}"),
                error: e.to_string(),
            }),
        }
    }
    for rejection in &rejected {
        record_rejection(shared, batch_name, rejection.clone()).await?;
    }
    let mut all_rejected = dossier.rejected.clone();
    all_rejected.extend(rejected);
    if files.is_empty() {
        shared
            .job
            .progress
            .dossier_done(&dossier.id, Outcome::NotStored);
        return Ok(());
    }

    // Unchanged since the last run: same files, same `dossier.toml`, same
    // settings. Nothing to redo. (A corrected name is a new manifest, with
    // every page reused from the cache.)
    if let Some((_, manifest)) = &current {
        let same_files = manifest.sources.len() == files.len()
            && manifest
                .sources
                .iter()
                .zip(&files)
                .all(|(s, f)| s.path == f.rel && s.sha256 == f.digest);
        if same_files
            && manifest.metadata == dossier.metadata
            && manifest.settings == shared.settings
        {
            info!(dossier = %dossier.id, "unchanged");
            let pages = manifest.pages.len();
            shared
                .outcomes
                .lock()
                .expect("no panics while held")
                .unchanged
                .push((dossier.id.clone(), pages));
            shared
                .job
                .progress
                .dossier_done(&dossier.id, Outcome::Unchanged);
            return Ok(());
        }
    }

    // Counted only for a dossier stored again: an unchanged one reports no objects.
    shared
        .tally
        .existing
        .fetch_add(already_stored, Ordering::Relaxed);
    let expected: usize = files.iter().map(|f| f.pages).sum();
    shared.job.progress.pages_found(expected as u64);
    let start = Start {
        seq,
        id: dossier.id.clone(),
        batch_name: batch_name.to_owned(),
        batch_info,
        metadata: dossier.metadata,
        sources,
        expected,
        rejected: all_rejected,
        replaces: current.map(|(digest, _)| digest),
    };
    let closed = || Error::Pipeline("the assembler stopped early".into());
    done.send(ToAssembler::Start(Box::new(start)))
        .await
        .map_err(|_| closed())?;

    let mut number = 0;
    for file in files {
        let file = Arc::new(file);
        for page_in_file in 0..file.pages {
            number += 1;
            let key = cache_key(&shared.settings, &file.digest, page_in_file);
            if let Some(mut page) = reuse(shared, &key).await {
                // The reading is shared by every file with these bytes; the
                // provenance is this dossier's own file.
                page.source = PageSource {
                    path: file.rel.clone(),
                    sha256: file.digest,
                    page: page_in_file,
                };
                shared.tally.reused.fetch_add(1, Ordering::Relaxed);
                shared.job.progress.page_done();
                let done_page = PageDone {
                    seq,
                    number,
                    output: Ok(PageOutput::Reused(Box::new(page))),
                };
                done.send(ToAssembler::Page(done_page))
                    .await
                    .map_err(|_| closed())?;
                continue;
            }
            let job = PageJob {
                seq,
                number,
                source: file.clone(),
                page_in_file,
                cache_key: key,
            };
            jobs.send(job)
                .await
                .map_err(|_| Error::Pipeline("the OCR workers stopped early".into()))?;
        }
    }
    Ok(())
}

/// A page result stored by an earlier run, if it is there and intact.
async fn reuse(shared: &Shared, key: &Digest) -> Option<manifest::Page> {
    let digest = shared.store.cache_get(key).await.ok()??;
    shared.store.get_json(&digest).await.ok()
}

/// An OCR worker: takes jobs until the channel closes.
fn worker(
    mut engine: ocr::Engine,
    jobs: &Mutex<mpsc::Receiver<PageJob>>,
    done: &mpsc::Sender<ToAssembler>,
    pixels: &Arc<Gate>,
    options: &Options,
    progress: &dyn crate::Progress,
) {
    loop {
        // The lock is held only while waiting for the next job.
        let job = match jobs.lock() {
            Ok(mut rx) => rx.blocking_recv(),
            Err(_) => None,
        };
        let Some(job) = job else { return };
        let path = job.source.rel.clone();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            read_page(&mut engine, &job, pixels, options)
        }));
        let output = match result {
            Ok(Ok(fresh)) => Ok(PageOutput::Fresh(Box::new(fresh))),
            Ok(Err(error)) => Err(error),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(format!("internal error while reading the page: {what}"))
            }
        };
        let output = output.map_err(|error| {
            let page = if job.source.pages > 1 {
                format!(" (page {})", job.page_in_file + 1)
            } else {
                String::new()
            };
            Rejection {
                path: format!("{path}{page}"),
                error,
            }
        });
        progress.page_done();
        if done
            .blocking_send(ToAssembler::Page(PageDone {
                seq: job.seq,
                number: job.number,
                output,
            }))
            .is_err()
        {
            return;
        }
    }
}

/// Decode, preprocess, encode and OCR one page.
fn read_page(
    engine: &mut ocr::Engine,
    job: &PageJob,
    pixels: &Arc<Gate>,
    options: &Options,
) -> Result<Fresh, String> {
    // Decoding and straightening hold two full-size copies of the page: the
    // gate keeps such peaks from coinciding in every worker at once.
    let gate = pixels.enter();
    let t0 = Instant::now();
    let bytes = job.source.bytes()?;
    let scan =
        ocr::decode_page(&bytes, job.page_in_file, &options.limits).map_err(|e| e.to_string())?;
    drop(bytes);
    let decode = t0.elapsed().as_secs_f64();
    let dpi = scan.resolution();
    let t1 = Instant::now();
    let page = ocr::preprocess_with(scan, dpi, Some(engine));
    let preprocess = t1.elapsed().as_secs_f64();
    // Encode the archived image first and free it before Tesseract runs, so
    // that during recognition a worker holds no page but Tesseract's copy.
    let t2 = Instant::now();
    let image =
        pdf::PageImage::encode(&page.image, page.bilevel, dpi).map_err(|e| e.to_string())?;
    let encode = t2.elapsed().as_secs_f64();
    drop(page.image);
    let t3 = Instant::now();
    // Tesseract holds three copies of the page for a moment while taking it,
    // and thresholding it makes a page-size map: both are done inside the
    // gate too, recognition (the long part) outside.
    let recognition = if page.blank {
        drop(gate);
        None
    } else {
        engine
            .load(Cow::Owned(page.grey), dpi.round() as u32)
            .map_err(|e| e.to_string())?;
        drop(gate);
        Some(engine.read().map_err(|e| e.to_string())?)
    };
    let ocr_seconds = t3.elapsed().as_secs_f64();
    let mut fresh = Fresh {
        image_digest: sha256(&image.bytes),
        timings: [decode, preprocess, ocr_seconds, encode],
        image,
        recognition,
        skew_degrees: (page.skew_degrees * 100.0).round() / 100.0,
        rotation: page.rotation,
        blank: page.blank,
        source: PageSource {
            path: job.source.rel.clone(),
            sha256: job.source.digest,
            page: job.page_in_file,
        },
        cache_key: job.cache_key,
        reading: None,
    };
    let doubt = ocr::second_reading::doubt(page.blank, fresh.recognition.as_ref());
    if let Some(doubt) = doubt {
        read_as_scanned(engine, job, pixels, options, doubt, &mut fresh)?;
        if ocr::second_reading::unclear(fresh.recognition.as_ref()) {
            read_flattened(engine, job, pixels, options, doubt, &mut fresh)?;
        }
    }
    Ok(fresh)
}

/// What one reading found, for the manifest.
fn score(reading: Option<&Recognition>) -> manifest::ReadingScore {
    manifest::ReadingScore {
        words: reading.map_or(0, |r| r.words.len()),
        confidence: reading.map_or(0.0, |r| (r.confidence * 10.0).round() / 10.0),
    }
}

/// The third reading of a page neither first reading made out: preprocessed
/// again, with the paper flattened to white for Tesseract's threshold (see
/// `ocr::background`), kept if it carries clearly more text than the better
/// of the two.
fn read_flattened(
    engine: &mut ocr::Engine,
    job: &PageJob,
    pixels: &Arc<Gate>,
    options: &Options,
    doubt: ocr::second_reading::Doubt,
    fresh: &mut Fresh,
) -> Result<(), String> {
    let gate = pixels.enter();
    let started = Instant::now();
    let bytes = job.source.bytes()?;
    let scan =
        ocr::decode_page(&bytes, job.page_in_file, &options.limits).map_err(|e| e.to_string())?;
    drop(bytes);
    let dpi = scan.resolution();
    let page = ocr::preprocess_flattened(scan, dpi, Some(engine));
    let image =
        pdf::PageImage::encode(&page.image, page.bilevel, dpi).map_err(|e| e.to_string())?;
    drop(page.image);
    engine
        .load(Cow::Owned(page.grey), dpi.round() as u32)
        .map_err(|e| e.to_string())?;
    drop(gate);
    let flattened = engine.read().map_err(|e| e.to_string())?;
    let score = score(Some(&flattened));
    // A page marked blank needs a few words Tesseract is sure of, as before.
    let keep = ocr::second_reading::prefer(doubt, fresh.recognition.as_ref(), &flattened);
    if keep {
        fresh.image_digest = sha256(&image.bytes);
        fresh.image = image;
        fresh.recognition = Some(flattened);
        (fresh.rotation, fresh.skew_degrees, fresh.blank) =
            (page.rotation, page.skew_degrees, false);
    }
    fresh.timings[2] += started.elapsed().as_secs_f64();
    if let Some(reading) = fresh.reading.as_mut() {
        reading.flattened = Some(score);
        if keep {
            reading.kept = "flattened".to_owned();
        }
    }
    Ok(())
}

/// Reads the page exactly as scanned (no border painting, turn, straightening
/// or despeckling) and keeps that reading, with the scan as the page's image,
/// if it carries clearly more text than the preprocessed one. The page is
/// decoded again rather than kept from the first pass: only doubtful pages
/// pay for it, and every worker stays at one page in memory otherwise.
fn read_as_scanned(
    engine: &mut ocr::Engine,
    job: &PageJob,
    pixels: &Arc<Gate>,
    options: &Options,
    doubt: ocr::second_reading::Doubt,
    fresh: &mut Fresh,
) -> Result<(), String> {
    let gate = pixels.enter();
    let started = Instant::now();
    let bytes = job.source.bytes()?;
    let scan =
        ocr::decode_page(&bytes, job.page_in_file, &options.limits).map_err(|e| e.to_string())?;
    drop(bytes);
    let dpi = scan.resolution();
    engine
        .load_scan(&scan.image, dpi.round() as u32)
        .map_err(|e| e.to_string())?;
    drop(gate);
    let scanned = engine.read().map_err(|e| e.to_string())?;
    let keep = ocr::second_reading::prefer(doubt, fresh.recognition.as_ref(), &scanned);
    let preprocessed = score(fresh.recognition.as_ref());
    let as_scanned = score(Some(&scanned));
    if keep {
        let image =
            pdf::PageImage::encode(&scan.image, scan.bilevel, dpi).map_err(|e| e.to_string())?;
        fresh.image_digest = sha256(&image.bytes);
        fresh.image = image;
        fresh.recognition = Some(scanned);
        (fresh.rotation, fresh.skew_degrees, fresh.blank) = (0, 0.0, false);
    }
    fresh.timings[2] += started.elapsed().as_secs_f64();
    fresh.reading = Some(manifest::Reading {
        kept: if keep { "as-scanned" } else { "preprocessed" }.to_owned(),
        reason: doubt.to_string(),
        preprocessed,
        as_scanned,
        flattened: None,
    });
    Ok(())
}

/// A dossier whose pages are arriving.
struct Open {
    start: Box<Start>,
    pages: BTreeMap<usize, Result<PageOutput, Rejection>>,
}

/// Collects page results per dossier and stores each dossier once complete.
async fn assemble(shared: Arc<Shared>, mut rx: mpsc::Receiver<ToAssembler>) -> Result<()> {
    let index = shared.job.index.clone();
    let writer = Arc::new(Mutex::new(index.writer()?));
    let mut open: HashMap<u64, Open> = HashMap::new();
    let mut since_commit = 0;
    let mut unindexed = Vec::new();
    let mut failure = None;
    while let Some(message) = rx.recv().await {
        let seq = match message {
            ToAssembler::Start(start) => {
                let seq = start.seq;
                open.insert(
                    seq,
                    Open {
                        start,
                        pages: BTreeMap::new(),
                    },
                );
                seq
            }
            ToAssembler::Page(page) => {
                if let Some(dossier) = open.get_mut(&page.seq) {
                    dossier.pages.insert(page.number, page.output);
                }
                page.seq
            }
        };
        let complete = open
            .get(&seq)
            .is_some_and(|d| d.pages.len() == d.start.expected);
        if !complete || failure.is_some() {
            continue;
        }
        let dossier = open.remove(&seq).expect("checked above");
        let pages = dossier.start.expected;
        match store_dossier(&shared, dossier).await {
            Ok(Some(stored)) => {
                since_commit += pages;
                unindexed.push(stored);
            }
            Ok(None) => {}
            // Keep draining so that the workers and intake are not left blocked.
            Err(e) => failure = Some(e),
        }
        if since_commit >= shared.job.options.commit_pages {
            since_commit = 0;
            index_and_commit(&shared, &writer, std::mem::take(&mut unindexed)).await?;
        }
    }
    // Nothing left to index means nothing to commit: the writer only ever
    // receives work inside `index_and_commit`.
    let commit = if unindexed.is_empty() {
        Ok(())
    } else {
        index_and_commit(&shared, &writer, unindexed).await
    };
    if let Some(e) = failure {
        return Err(e);
    }
    commit?;
    index.reload()?;
    Ok(())
}

/// Stores a complete dossier: page objects, PDF, text, manifest, ledger record
/// (the commit point) and ref. Returns what the index needs of it if a
/// manifest was written: the assembler indexes stored dossiers just before
/// each commit (ARCHITECTURE.md, "The index is written at commit time").
async fn store_dossier(shared: &Arc<Shared>, dossier: Open) -> Result<Option<Unindexed>> {
    let Open { start, pages } = dossier;
    let started = Instant::now();
    let mut elsewhere = 0.0;
    let span = info_span!("dossier", dossier = %start.id);
    let _enter = span.enter();
    let mut rejected = start.rejected.clone();
    let mut records: Vec<manifest::Page> = Vec::new();
    let mut pdf_pages: Vec<(pdf::PageImage, Vec<pdf::Word>)> = Vec::new();
    for (_, output) in pages {
        let number = records.len() + 1;
        match output {
            Err(rejection) => {
                let rejection = Rejection {
                    path: format!("{}/{}", start.batch_name, rejection.path),
                    error: rejection.error,
                };
                record_page_rejection(shared, &start.batch_name, &mut rejected, rejection).await?;
            }
            Ok(PageOutput::Fresh(fresh)) => {
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
                } = *fresh;
                {
                    let mut stats = shared.tally.stats.lock().expect("no panics while held");
                    stats.decode.add(timings[0]);
                    stats.preprocess.add(timings[1]);
                    stats.ocr.add(timings[2]);
                    stats.encode.add(timings[3]);
                }
                shared.tally.read.fetch_add(1, Ordering::Relaxed);
                // Hashed by the worker: no copy of the image, no second pass here.
                // A copy: the PDF below is built from the same image.
                let image_ref = shared
                    .put_hashed(Bytes::copy_from_slice(&image.bytes), image_digest)
                    .await?;
                let words_ref = match &recognition {
                    Some(r) => Some(
                        shared
                            .put(serde_json::to_vec(r).expect("plain data serialises"))
                            .await?,
                    ),
                    None => None,
                };
                let recognition = recognition.unwrap_or_default();
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
                };
                // Cached at once, before the dossier commits: a run that is killed
                // later finds this page done and does not read it again.
                let record = shared
                    .put(serde_json::to_vec(&page).expect("plain data serialises"))
                    .await?;
                shared.store.cache_set(&cache_key, &record.sha256).await?;
                pdf_pages.push((image, pdf_words(&recognition)));
                records.push(page);
            }
            Ok(PageOutput::Reused(page)) => {
                let mut page = *page;
                page.number = number;
                match reload_page(shared, &page).await {
                    Ok(loaded) => pdf_pages.push(loaded),
                    Err(e) => {
                        let path = format!("{}/{}", start.batch_name, page.source.path);
                        let rejection = Rejection {
                            path,
                            error: e.to_string(),
                        };
                        record_page_rejection(shared, &start.batch_name, &mut rejected, rejection)
                            .await?;
                        continue;
                    }
                }
                records.push(page);
            }
        }
    }
    if records.is_empty() {
        let path = format!("{}/{}", start.batch_name, start.id);
        // The original files are kept all the same; the ledger names them.
        shared
            .store
            .append(Event::Rejected {
                batch: start.batch_name.clone(),
                path: path.clone(),
                error: "no readable page: dossier not stored".into(),
                objects: start.sources.iter().map(|s| s.sha256).collect(),
            })
            .await?;
        shared.reject(Rejection {
            path,
            error: "no readable page: dossier not stored".into(),
        });
        shared
            .job
            .progress
            .dossier_done(&start.id, Outcome::NotStored);
        return Ok(None);
    }

    let batch_text = |key: &str| {
        let value = start.batch_info.get(key).and_then(Value::as_str);
        value.unwrap_or_default().to_owned()
    };
    let info = pdf::Info {
        title: start.id.clone(),
        subject: start
            .metadata
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        keywords: start
            .metadata
            .get("corps")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        author: batch_text("operator"),
        // The scan date makes the PDF's dates; failing that, now.
        created: start
            .batch_info
            .get("scanned_at")
            .and_then(Value::as_str)
            .map_or_else(store::now_rfc3339, str::to_owned),
    };
    let pdf_started = Instant::now();
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
    let pdf_seconds = pdf_started.elapsed().as_secs_f64();
    shared.tally.time(|s| &mut s.pdf, pdf_seconds);
    elsewhere += pdf_seconds;
    let pdf = shared.put(output.pdf).await?;
    let hocr = Some(shared.put(output.hocr.into_bytes()).await?);
    let alto = Some(shared.put(output.alto.into_bytes()).await?);
    let text: String = records
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\u{c}\n");
    let text = shared.put(text.into_bytes()).await?;

    let manifest = Manifest {
        version: manifest::VERSION,
        dossier: start.id.clone(),
        stored_at: store::now_rfc3339(),
        batch: (*start.batch_info).clone(),
        metadata: start.metadata.clone(),
        settings: shared.settings.clone(),
        sources: start.sources.clone(),
        pages: records,
        pdf,
        text,
        hocr,
        alto,
        rejected,
        replaces: start.replaces,
    };
    let manifest_ref = shared
        .put(serde_json::to_vec_pretty(&manifest).expect("plain data serialises"))
        .await?;
    // The commit point is the ledger record: from here on the dossier is
    // stored, and a run killed before the ref moves has it moved by recovery.
    shared
        .store
        .append(Event::DossierStored {
            dossier: start.id.clone(),
            manifest: manifest_ref.sha256,
            previous: start.replaces,
            objects: manifest.objects(),
        })
        .await?;
    shared
        .store
        .set_dossier_ref(&start.id, &manifest_ref.sha256)
        .await?;
    shared.tally.time(
        |s| &mut s.store,
        started.elapsed().as_secs_f64() - elsewhere,
    );
    let unindexed = Unindexed {
        id: start.id.clone(),
        manifest: manifest_ref.sha256.hex(),
        docs: crate::page_docs(&manifest),
    };
    info!(pages = manifest.pages.len(), manifest = %manifest_ref.sha256, "stored");
    {
        let mut outcomes = shared.outcomes.lock().expect("no panics while held");
        outcomes
            .stored
            .push((start.id.clone(), manifest.pages.len()));
        let seal = outcomes.sealed.entry(start.batch_name.clone()).or_default();
        seal.0.push(start.id.clone());
        seal.1.extend(manifest.objects());
        seal.1.push(manifest_ref.sha256);
    }
    shared.job.progress.dossier_done(&start.id, Outcome::Stored);
    Ok(Some(unindexed))
}

/// A stored dossier whose pages are not in the index yet.
struct Unindexed {
    id: String,
    manifest: String,
    docs: Vec<index::PageDoc>,
}

/// Indexes stored dossiers and commits them at once.
async fn index_and_commit(
    shared: &Shared,
    writer: &Arc<Mutex<index::Writer>>,
    dossiers: Vec<Unindexed>,
) -> Result<()> {
    let started = Instant::now();
    let writer = writer.clone();
    shared
        .cpu
        .run(move || {
            let mut writer = writer.lock().expect("no panics while held");
            for dossier in &dossiers {
                writer.replace_dossier(&dossier.id, &dossier.manifest, &dossier.docs)?;
            }
            writer.commit()
        })
        .await?;
    shared
        .tally
        .time(|s| &mut s.index, started.elapsed().as_secs_f64());
    Ok(())
}

async fn record_page_rejection(
    shared: &Shared,
    batch: &str,
    rejected: &mut Vec<Rejection>,
    rejection: Rejection,
) -> Result<()> {
    rejected.push(rejection.clone());
    record_rejection(shared, batch, rejection).await
}

/// The page image and words of a reused page, from the store.
async fn reload_page(
    shared: &Shared,
    page: &manifest::Page,
) -> Result<(pdf::PageImage, Vec<pdf::Word>)> {
    let bytes = shared.store.get(&page.image.sha256).await?;
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
        Some(object) => pdf_words(&shared.store.get_json::<Recognition>(&object.sha256).await?),
        None => Vec::new(),
    };
    Ok((image, words))
}

/// Whether a baseline JPEG has one component (grey), from its SOF0 header.
fn jpeg_is_grey(bytes: &[u8]) -> bool {
    bytes
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .and_then(|i| bytes.get(i + 9))
        .is_some_and(|&n| n == 1)
}

fn pdf_words(recognition: &Recognition) -> Vec<pdf::Word> {
    recognition
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_file_read_again_must_still_be_the_file_intake_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("001.png");
        std::fs::write(&path, b"the scan as intake read it").unwrap();
        let file = SourceFile {
            rel: "INT-1/001.png".into(),
            bytes: SourceBytes::OnDisk(path.clone()),
            digest: sha256(b"the scan as intake read it"),
            pages: 1,
        };
        assert_eq!(&*file.bytes().unwrap(), b"the scan as intake read it");

        // Rewritten by a late scanner or a person between intake and OCR.
        std::fs::write(&path, b"another scan").unwrap();
        let error = file.bytes().unwrap_err();
        assert!(
            error.contains("changed while the batch was being ingested"),
            "{error}"
        );

        std::fs::remove_file(&path).unwrap();
        assert!(file.bytes().unwrap_err().starts_with("cannot read: "));
    }
}
