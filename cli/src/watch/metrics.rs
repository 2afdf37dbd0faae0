//! The hot folder's Prometheus metrics (`watch --metrics ADDR`): batches,
//! dossiers, pages and rejections, batches still arriving, and seconds per
//! pipeline stage.

use std::sync::atomic::AtomicU64;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use web::metrics::{Labels, label};

const STAGES: [&str; 8] = [
    "intake",
    "decode",
    "preprocess",
    "ocr",
    "encode",
    "pdf",
    "store",
    "index",
];

#[derive(Debug)]
pub(super) struct Metrics {
    registry: Registry,
    /// By `outcome`: `done` or `failed`.
    batches: Family<Labels, Counter>,
    dossiers: Counter,
    pages: Counter,
    rejected: Counter,
    waiting: Gauge,
    /// By `stage`, summed over workers.
    stages: Family<Labels, Counter<f64, AtomicU64>>,
    seconds: Counter<f64, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        let metrics = Metrics {
            registry: Registry::default(),
            batches: Family::default(),
            dossiers: Counter::default(),
            pages: Counter::default(),
            rejected: Counter::default(),
            waiting: Gauge::default(),
            stages: Family::default(),
            seconds: Counter::default(),
        };
        // Every series is there from the start, at 0, so that rates work.
        for outcome in ["done", "failed"] {
            let _ = metrics.batches.get_or_create(&label("outcome", outcome));
        }
        for stage in STAGES {
            let _ = metrics.stages.get_or_create(&label("stage", stage));
        }
        metrics.registered()
    }
}

impl Metrics {
    fn registered(mut self) -> Self {
        let r = &mut self.registry;
        r.register(
            "dossier_watch_batches",
            "Batches ingested and moved",
            self.batches.clone(),
        );
        r.register(
            "dossier_watch_dossiers",
            "Dossiers stored or found unchanged",
            self.dossiers.clone(),
        );
        r.register(
            "dossier_watch_pages",
            "Pages in ingested batches",
            self.pages.clone(),
        );
        r.register(
            "dossier_watch_rejected",
            "Inputs rejected",
            self.rejected.clone(),
        );
        r.register(
            "dossier_watch_waiting_batches",
            "Batches in the inbox still arriving",
            self.waiting.clone(),
        );
        r.register(
            "dossier_watch_stage_seconds",
            "Time in each pipeline stage, summed over workers",
            self.stages.clone(),
        );
        r.register(
            "dossier_watch_ingest_seconds",
            "Wall time ingesting",
            self.seconds.clone(),
        );
        self
    }

    pub(super) fn render(&self) -> String {
        web::metrics::encode(&self.registry)
    }

    /// A batch moved to `_done` (`ok`) or `_failed`.
    pub(super) fn batch(&self, ok: bool) {
        let outcome = if ok { "done" } else { "failed" };
        self.batches.get_or_create(&label("outcome", outcome)).inc();
    }

    pub(super) fn waiting(&self, batches: u64) {
        self.waiting.set(i64::try_from(batches).unwrap_or(i64::MAX));
    }

    /// What one ingest did.
    pub(super) fn add(&self, report: &ingest::Report) {
        let s = &report.stats;
        let stages = [
            &s.intake,
            &s.decode,
            &s.preprocess,
            &s.ocr,
            &s.encode,
            &s.pdf,
            &s.store,
            &s.index,
        ];
        for (name, stage) in STAGES.iter().zip(stages) {
            let counter = self.stages.get_or_create(&label("stage", name));
            counter.inc_by(stage.seconds);
        }
        self.seconds.inc_by(report.seconds);
        self.dossiers.inc_by(report.dossiers as u64);
        self.pages.inc_by(report.pages as u64);
        self.rejected.inc_by(report.rejected.len() as u64);
    }
}
