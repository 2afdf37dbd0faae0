//! The OCR worker: a thread that owns one Tesseract engine and turns page jobs
//! into read pages (decode, preprocess, encode, recognise, and a second
//! reading of doubtful pages).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use ocr::Recognition;
use store::manifest::{self, PageSource, Rejection};
use store::{Digest, sha256};
use tokio::sync::mpsc;

use super::{PageDone, PageJob, PageOutput, ToAssembler};
use crate::gate::Gate;
use crate::{Error, Options, Progress, Result};

/// A page read by a worker.
pub(super) struct Fresh {
    pub image: pdf::PageImage,
    pub recognition: Option<Recognition>,
    pub skew_degrees: f32,
    pub rotation: u16,
    pub blank: bool,
    pub source: PageSource,
    pub cache_key: Digest,
    pub timings: Timings,
    /// SHA-256 of `image.bytes`, computed on the worker that made them.
    pub image_digest: Digest,
    /// Both readings of a doubtful page, and the one kept.
    pub reading: Option<manifest::Reading>,
}

/// Seconds one page spent in each step of a worker.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Timings {
    pub decode: f64,
    pub preprocess: f64,
    /// Recognition, second and third readings included.
    pub ocr: f64,
    pub encode: f64,
}

impl Timings {
    pub fn add_to(&self, stats: &mut crate::Stats) {
        stats.decode.add(self.decode);
        stats.preprocess.add(self.preprocess);
        stats.ocr.add(self.ocr);
        stats.encode.add(self.encode);
    }
}

/// One OCR thread's state: its engine, the gate it shares with the other
/// workers and intake, and where it sends what it read.
pub(super) struct OcrWorker {
    engine: ocr::Engine,
    /// Held while the worker holds a whole page (see [`OcrWorker::read_page`]).
    pixels: Arc<Gate>,
    done: mpsc::Sender<ToAssembler>,
    options: Options,
    progress: Arc<dyn Progress>,
}

impl OcrWorker {
    /// Loads one engine per worker before anything is read: a missing
    /// language is fatal, and better said at once. Side by side, as loading
    /// takes a core for a tenth of a second or more per engine.
    pub fn load_engines(options: &Options) -> Result<Vec<ocr::Engine>> {
        let engines = std::thread::scope(|scope| {
            let loading: Vec<_> = (0..options.workers.max(1))
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
        Ok(engines)
    }

    pub fn new(
        engine: ocr::Engine,
        pixels: Arc<Gate>,
        done: mpsc::Sender<ToAssembler>,
        options: Options,
        progress: Arc<dyn Progress>,
    ) -> OcrWorker {
        OcrWorker {
            engine,
            pixels,
            done,
            options,
            progress,
        }
    }

    /// Starts the worker on its own thread, taking jobs until the channel closes.
    pub fn spawn(
        self,
        n: usize,
        jobs: async_channel::Receiver<PageJob>,
    ) -> Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name(format!("ocr-{n}"))
            .spawn(move || self.run(&jobs))
            .map_err(|e| Error::Pipeline(format!("cannot start an OCR worker: {e}")))
    }

    fn run(mut self, jobs: &async_channel::Receiver<PageJob>) {
        while let Ok(job) = jobs.recv_blocking() {
            let done = self.process(&job);
            self.progress.page_done();
            if self.done.blocking_send(ToAssembler::Page(done)).is_err() {
                return;
            }
        }
    }

    /// Reads one page; a failure or a panic becomes the page's rejection.
    fn process(&mut self, job: &PageJob) -> PageDone {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.read_page(job)));
        let output = match result {
            Ok(Ok(fresh)) => Ok(PageOutput::Fresh(Box::new(fresh))),
            Ok(Err(error)) => Err(error),
            Err(panic) => Err(format!(
                "internal error while reading the page: {}",
                panic_message(panic.as_ref())
            )),
        };
        PageDone {
            seq: job.seq,
            number: job.number,
            output: output.map_err(|error| Rejection {
                path: job.page_path(),
                error,
            }),
        }
    }

    /// Decode, preprocess, encode and OCR one page.
    fn read_page(&mut self, job: &PageJob) -> Result<Fresh, String> {
        // Decoding and straightening hold two full-size copies of the page: the
        // gate keeps such peaks from coinciding in every worker at once.
        let gate = self.pixels.enter();
        let t0 = Instant::now();
        let scan = self.decode(job)?;
        let decode = t0.elapsed().as_secs_f64();
        let dpi = scan.resolution();
        let overridden_resolution = scan.declared_dpi_overridden();
        let t1 = Instant::now();
        let page = ocr::preprocess_with(scan, dpi, Some(&mut self.engine));
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
            self.engine
                .load(Cow::Owned(page.grey), dpi.round() as u32)
                .map_err(|e| e.to_string())?;
            drop(gate);
            Some(self.engine.read().map_err(|e| e.to_string())?)
        };
        let ocr = t3.elapsed().as_secs_f64();
        let mut fresh = Fresh {
            image_digest: sha256(&image.bytes),
            timings: Timings {
                decode,
                preprocess,
                ocr,
                encode,
            },
            image,
            recognition,
            skew_degrees: (page.skew_degrees * 100.0).round() / 100.0,
            rotation: page.rotation,
            blank: page.blank,
            source: PageSource {
                path: job.source.rel.clone(),
                sha256: job.source.digest,
                page: job.page_in_file,
                stack_page: None,
            },
            cache_key: job.cache_key,
            reading: None,
        };
        let guesses = ocr::second_reading::Guesses {
            blank: page.blank,
            border: page.border,
            resolution: overridden_resolution,
        };
        let doubt = ocr::second_reading::doubt(guesses, fresh.recognition.as_ref());
        if let Some(doubt) = doubt {
            self.read_as_scanned(job, doubt, &mut fresh)?;
            if ocr::second_reading::unclear(fresh.recognition.as_ref()) {
                self.read_flattened(job, doubt, &mut fresh)?;
            }
        }
        Ok(fresh)
    }

    /// The job's page, decoded from its file.
    fn decode(&self, job: &PageJob) -> Result<ocr::Scan, String> {
        let bytes = job.source.bytes()?;
        ocr::decode_page(&bytes, job.page_in_file, &self.options.limits).map_err(|e| e.to_string())
    }

    /// Reads the page exactly as scanned (no border painting, turn, straightening
    /// or despeckling), as the `tesseract` command would, and keeps that
    /// reading, with the scan as the page's image, if it carries clearly more
    /// text than the preprocessed one (or, where the doubt is a guess of
    /// ours, no less: see `ocr::second_reading::prefer_scan`). The page is
    /// decoded again rather than kept from the first pass: only doubtful pages
    /// pay for it, and every worker stays at one page in memory otherwise.
    fn read_as_scanned(
        &mut self,
        job: &PageJob,
        doubt: ocr::second_reading::Doubt,
        fresh: &mut Fresh,
    ) -> Result<(), String> {
        let gate = self.pixels.enter();
        let started = Instant::now();
        let scan = self.decode(job)?;
        let dpi = scan.resolution();
        self.engine
            .load_scan(&scan.image, scan.tesseract_dpi())
            .map_err(|e| e.to_string())?;
        drop(gate);
        let scanned = self
            .engine
            .read_as_tesseract_alone()
            .map_err(|e| e.to_string())?;
        let keep = ocr::second_reading::prefer_scan(doubt, fresh.recognition.as_ref(), &scanned);
        let preprocessed = score(fresh.recognition.as_ref());
        let as_scanned = score(Some(&scanned));
        if keep {
            let image = pdf::PageImage::encode(&scan.image, scan.bilevel, dpi)
                .map_err(|e| e.to_string())?;
            fresh.image_digest = sha256(&image.bytes);
            fresh.image = image;
            fresh.recognition = Some(scanned);
            (fresh.rotation, fresh.skew_degrees, fresh.blank) = (0, 0.0, false);
        }
        fresh.timings.ocr += started.elapsed().as_secs_f64();
        fresh.reading = Some(manifest::Reading {
            kept: if keep { "as-scanned" } else { "preprocessed" }.to_owned(),
            reason: doubt.to_string(),
            preprocessed,
            as_scanned,
            flattened: None,
        });
        Ok(())
    }

    /// The third reading of a page neither first reading made out: preprocessed
    /// again, with the paper flattened to white for Tesseract's threshold (see
    /// `ocr::background`), kept if it carries clearly more text than the better
    /// of the two.
    fn read_flattened(
        &mut self,
        job: &PageJob,
        doubt: ocr::second_reading::Doubt,
        fresh: &mut Fresh,
    ) -> Result<(), String> {
        let gate = self.pixels.enter();
        let started = Instant::now();
        let scan = self.decode(job)?;
        let dpi = scan.resolution();
        let page = ocr::preprocess_flattened(scan, dpi, Some(&mut self.engine));
        let image =
            pdf::PageImage::encode(&page.image, page.bilevel, dpi).map_err(|e| e.to_string())?;
        drop(page.image);
        self.engine
            .load(Cow::Owned(page.grey), dpi.round() as u32)
            .map_err(|e| e.to_string())?;
        drop(gate);
        let flattened = self.engine.read().map_err(|e| e.to_string())?;
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
        fresh.timings.ocr += started.elapsed().as_secs_f64();
        if let Some(reading) = fresh.reading.as_mut() {
            reading.flattened = Some(score);
            if keep {
                reading.kept = "flattened".to_owned();
            }
        }
        Ok(())
    }
}

/// What one reading found, for the manifest.
fn score(reading: Option<&Recognition>) -> manifest::ReadingScore {
    manifest::ReadingScore {
        words: reading.map_or(0, |r| r.words.len()),
        confidence: reading.map_or(0.0, |r| (r.confidence * 10.0).round() / 10.0),
    }
}

/// The text a panic was raised with, if it was text.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}
