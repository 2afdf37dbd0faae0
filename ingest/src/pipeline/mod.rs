//! The streaming pipeline: intake → OCR workers → dossier assembler → store and index.
//!
//! ```text
//! intake (async) ──PageJob──► workers (threads, one engine each) ──┐
//!    │  hashes and stores sources, skips unchanged dossiers,       │ PageDone
//!    └──Start / cached PageDone──────────────────────────────────►  assembler (async)
//!                                        PDF, sidecars, manifest, ledger (commit point), index
//! ```
//! Both channels are bounded. A dossier's `Start` is queued before any of its
//! jobs, so the assembler always knows how many pages to wait for.
//!
//! One module per stage: [`intake`], [`worker`], [`assemble`], and
//! [`commit`] for storing a complete dossier. This one holds the messages
//! between them, the state they share, and the run that wires them up.

mod assemble;
pub(crate) mod commit;
mod intake;
mod split;
mod worker;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde_json::{Map, Value};
use store::manifest::{self, ObjectRef, Rejection, Settings, Source};
use store::{Bytes, Digest, Put, Store, sha256};
use tokio::sync::mpsc;

use crate::cpu::Cpu;
use crate::gate::Gate;
use crate::{Error, Job, ObjectCounts, Report, Result};
use worker::{Fresh, OcrWorker};

/// A page for the OCR workers.
struct PageJob {
    /// The dossier's number in this run.
    seq: u64,
    /// The page's number in its dossier.
    number: usize,
    source: Arc<SourceFile>,
    page_in_file: usize,
    cache_key: Digest,
}

impl PageJob {
    /// The page as a rejection names it: its file, and its page in a multi-page file.
    fn page_path(&self) -> String {
        if self.source.pages > 1 {
            format!("{} (page {})", self.source.rel, self.page_in_file + 1)
        } else {
            self.source.rel.clone()
        }
    }
}

/// A page file, hashed and stored by intake, shared by the jobs of its pages.
struct SourceFile {
    rel: String,
    bytes: SourceBytes,
    digest: Digest,
    /// Pages in the file.
    pages: usize,
    /// The pages of a stack's file that belong to the dossier (all, without).
    select: Option<Vec<crate::batch::Selected>>,
}

impl SourceFile {
    /// How many of its pages the dossier takes.
    fn selected(&self) -> usize {
        self.select.as_ref().map_or(self.pages, Vec::len)
    }
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

/// A batch as its dossiers carry it: its name and `batch.toml`.
#[derive(Clone)]
struct BatchRef {
    name: String,
    info: Arc<Map<String, Value>>,
    /// The batch is one stack file, named by its own name.
    single_file: bool,
}

impl BatchRef {
    /// An input of the batch as reports name it: under the batch's folder,
    /// or as it is for a stack given as one file.
    fn path(&self, rel: &str) -> String {
        if self.single_file {
            rel.to_owned()
        } else {
            format!("{}/{rel}", self.name)
        }
    }
}

/// A dossier's pages are about to arrive.
struct Start {
    seq: u64,
    id: String,
    batch: BatchRef,
    metadata: Map<String, Value>,
    sources: Vec<Source>,
    /// Pages to wait for, rejected ones included.
    expected: usize,
    rejected: Vec<Rejection>,
    /// The manifest this dossier's new one replaces.
    replaces: Option<Digest>,
    /// Its pages an archivist corrected, whose corrections a re-scan keeps.
    corrected: Vec<manifest::Page>,
    /// Pages that came in a stack, by number in the dossier: their place
    /// in the stack and the kind their piece sheet gave them.
    placed: BTreeMap<usize, crate::batch::Selected>,
    /// The stack's sheets that placed the pages.
    sheets: Vec<manifest::SheetRecord>,
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

    fn objects(&self) -> ObjectCounts {
        ObjectCounts {
            stored: self.stored.load(Ordering::Relaxed),
            existing: self.existing.load(Ordering::Relaxed),
            bytes_stored: self.bytes.load(Ordering::Relaxed) as u64,
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

/// What a batch's seal covers: the dossiers it stored and every object they name.
#[derive(Default)]
struct Seal {
    dossiers: Vec<String>,
    objects: Vec<Digest>,
}

/// What the run found, filled in by intake and assembler.
#[derive(Default)]
struct Outcomes {
    rejected: Vec<Rejection>,
    stored: Vec<(String, usize)>,
    unchanged: Vec<(String, usize)>,
    /// Per batch, what its seal covers.
    sealed: BTreeMap<String, Seal>,
    /// Each dossier against its checklist.
    checks: BTreeMap<String, manifest::Completeness>,
}

/// What the stages share.
struct Shared {
    store: Store,
    cpu: Cpu,
    /// Held by the steps that hold a whole page or scan (see
    /// `OcrWorker::read_page` and `intake::take_files`), so that their peaks
    /// do not coincide.
    pixels: Arc<Gate>,
    settings: Settings,
    tally: Tally,
    outcomes: Mutex<Outcomes>,
    job: Job,
}

impl Shared {
    fn outcomes(&self) -> MutexGuard<'_, Outcomes> {
        self.outcomes.lock().expect("no panics while held")
    }

    fn reject(&self, rejection: Rejection) {
        tracing::warn!(path = %rejection.path, error = %rejection.error, "rejected");
        self.outcomes().rejected.push(rejection);
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

/// Runs the pipeline over every batch of `job` (see [`crate::ingest`] for the
/// lock, recovery and lease around it).
pub(crate) async fn run(job: Job) -> Result<Report> {
    let started = Instant::now();
    let options = job.options.clone();
    let workers = options.workers.max(1);
    let engines = OcrWorker::load_engines(&options)?;
    let shared = Arc::new(Shared {
        store: job.store.clone(),
        cpu: Cpu::new(workers),
        // Half the workers at most hold full-size page images at once (see
        // `OcrWorker::read_page`): the other half are in Tesseract, which
        // takes about twice as long, so no worker waits for long.
        pixels: Arc::new(Gate::new(workers.div_ceil(2))),
        settings: Settings {
            lang: options.lang.clone(),
            pipeline: crate::PIPELINE.into(),
        },
        tally: Tally::default(),
        outcomes: Mutex::default(),
        job,
    });

    let (job_tx, job_rx) = async_channel::bounded::<PageJob>(workers * 2);
    let (done_tx, done_rx) = mpsc::channel::<ToAssembler>(workers * 4);
    let mut threads = Vec::new();
    for (n, engine) in engines.into_iter().enumerate() {
        let progress = shared.job.progress.clone();
        let pixels = shared.pixels.clone();
        let worker = OcrWorker::new(engine, pixels, done_tx.clone(), options.clone(), progress);
        threads.push(worker.spawn(n, job_rx.clone())?);
    }
    drop(job_rx);
    let assembler = tokio::spawn(assemble::assemble(shared.clone(), done_rx));

    let queues = intake::Queues {
        jobs: job_tx,
        done: done_tx,
    };
    let intake_result = intake::intake(&shared, &queues).await;
    drop(queues);
    let assembled = assembler
        .await
        .map_err(|e| Error::Pipeline(format!("assembler stopped: {e}")))?;
    for thread in threads {
        let _ = thread.join();
    }
    intake_result?;
    assembled?;
    seal_batches(&shared).await?;
    Ok(report(&shared, started))
}

/// Seals each batch that stored something: a signed Merkle root over its objects.
async fn seal_batches(shared: &Shared) -> Result<()> {
    let Some(signer) = &shared.job.signer else {
        return Ok(());
    };
    let sealed = std::mem::take(&mut shared.outcomes().sealed);
    for (batch, seal) in sealed {
        let store = &shared.store;
        store
            .seal(&batch, seal.dossiers, seal.objects, signer)
            .await?;
    }
    Ok(())
}

/// The run's report, from what the stages recorded.
fn report(shared: &Shared, started: Instant) -> Report {
    let outcomes = std::mem::take(&mut *shared.outcomes());
    let tally = &shared.tally;
    let mut stored = outcomes.stored;
    stored.sort();
    let pages = stored.iter().chain(&outcomes.unchanged).map(|(_, n)| n);
    Report {
        dossiers: stored.len() + outcomes.unchanged.len(),
        pages: pages.sum(),
        rejected: outcomes.rejected,
        seconds: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        stored: stored.into_iter().map(|(id, _)| id).collect(),
        unchanged: outcomes.unchanged.into_iter().map(|(id, _)| id).collect(),
        pages_read: tally.read.load(Ordering::Relaxed),
        pages_reused: tally.reused.load(Ordering::Relaxed),
        objects: tally.objects(),
        stats: std::mem::take(&mut *tally.stats.lock().expect("no panics while held")),
        recovered: None,
        warnings: Vec::new(),
        completeness: outcomes.checks,
    }
}

/// The key under which a page's result is cached: its source, its place in it, and the settings.
fn cache_key(settings: &Settings, source: &Digest, page_in_file: usize) -> Digest {
    let key = format!(
        "{}\n{}\n{}\n{}",
        settings.pipeline,
        settings.lang,
        source.hex(),
        page_in_file
    );
    sha256(key.as_bytes())
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
            select: None,
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
