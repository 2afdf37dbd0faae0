//! `dossier watch INBOX`: a hot folder. Each batch folder, or scanner stack
//! (a PDF or TIFF file, as production scanners write them), dropped in the
//! inbox is ingested once it has finished arriving, then moved to
//! `INBOX/_done/` (or `INBOX/_failed/` when nothing of it could be stored),
//! with the ingest report beside it.
//!
//! A batch is ready when it holds a `.done` marker (a stack file: `NAME.done`
//! beside it), or when nothing in it has changed (names, sizes, modification
//! times) for `--settle` seconds. Ingest
//! runs exactly as `dossier ingest` does, under the same lock and with the
//! same recovery, so killing `watch` at any moment loses nothing: the batch is
//! still in the inbox and the next run finishes it.

mod metrics;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::archive::Archive;
use crate::args::WatchArgs;
use crate::exit;
use metrics::Metrics;

/// Folders of the inbox that are not batches.
const DONE: &str = "_done";
const FAILED: &str = "_failed";
const MARKER: &str = ".done";

/// What happened to one batch, as written beside it and printed with `--json`.
#[derive(Debug, Serialize)]
struct Outcome {
    batch: String,
    moved_to: PathBuf,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<ingest::Report>,
}

pub async fn watch(archive: &Archive, args: WatchArgs, json: bool) -> Result<u8> {
    let inbox = args.inbox.clone();
    std::fs::create_dir_all(inbox.join(DONE))
        .with_context(|| format!("creating {}", inbox.join(DONE).display()))?;
    std::fs::create_dir_all(inbox.join(FAILED))?;
    let metrics = Arc::new(Metrics::default());
    if let Some(addr) = args.metrics {
        let metrics = metrics.clone();
        web::metrics::serve_metrics(addr, move || metrics.render()).await?;
    }
    tracing::info!(inbox = %inbox.display(), "watching");
    let settle = Duration::from_secs_f64(args.settle.max(0.0));
    // Batch name -> (signature, since when it has had that signature).
    let mut seen: HashMap<String, (u64, Instant)> = HashMap::new();
    let mut failures = 0;
    loop {
        let mut waiting = 0;
        for (name, path) in batches(&inbox)? {
            let marked = marker(&path).exists();
            let signature = signature(&path);
            let entry = seen
                .entry(name.clone())
                .or_insert((signature, Instant::now()));
            if entry.0 != signature {
                *entry = (signature, Instant::now());
            }
            if !marked && entry.1.elapsed() < settle {
                waiting += 1;
                continue;
            }
            seen.remove(&name);
            let outcome = ingest_one(archive, &inbox, &name, &path, &args, &metrics).await?;
            if !outcome.ok {
                failures += 1;
            }
            if json {
                println!("{}", serde_json::to_string(&outcome)?);
            } else if outcome.ok {
                println!("{name}: stored, moved to {}", outcome.moved_to.display());
            } else {
                println!(
                    "{name}: FAILED ({}), moved to {}",
                    outcome.error.as_deref().unwrap_or("see the report"),
                    outcome.moved_to.display()
                );
            }
        }
        metrics.waiting(waiting);
        if args.once && waiting == 0 {
            return Ok(if failures == 0 {
                exit::OK
            } else {
                exit::REJECTED
            });
        }
        tokio::time::sleep(Duration::from_secs_f64(args.poll.max(0.05))).await;
    }
}

/// Entries of the inbox that are batches (not hidden, not `_done`/`_failed`):
/// folders, and stack files (PDF or TIFF), by name.
fn batches(inbox: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(inbox).with_context(|| format!("reading {}", inbox.display()))? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let kind = entry.file_type()?;
        if name.starts_with('.')
            || name.starts_with('_')
            || !(kind.is_dir() || is_stack_file(&name))
        {
            continue;
        }
        out.push((name, entry.path()));
    }
    out.sort();
    Ok(out)
}

/// A scanner's stack file, by its name.
fn is_stack_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".pdf", ".tif", ".tiff"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// The marker that says a batch has arrived: inside a folder, beside a file.
fn marker(batch: &Path) -> PathBuf {
    if batch.is_dir() {
        batch.join(MARKER)
    } else {
        companion(batch, MARKER)
    }
}

/// A hash of every file's path, size and modification time under `dir` (or of `dir`, a file).
fn signature(dir: &Path) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    if let Ok(meta) = std::fs::metadata(dir)
        && meta.is_file()
    {
        (meta.len(), meta.modified().ok()).hash(&mut hasher);
        return hasher.finish();
    }
    let mut stack = vec![dir.to_path_buf()];
    let mut entries = Vec::new();
    while let Some(dir) = stack.pop() {
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in read.flatten() {
            let path = entry.path();
            match entry.metadata() {
                Ok(meta) if meta.is_dir() => stack.push(path),
                Ok(meta) => {
                    let modified = meta
                        .modified()
                        .ok()
                        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                        .map_or(0, |d| d.as_nanos());
                    entries.push((path, meta.len(), modified));
                }
                Err(_) => {}
            }
        }
    }
    entries.sort();
    entries.hash(&mut hasher);
    hasher.finish()
}

async fn ingest_one(
    archive: &Archive,
    inbox: &Path,
    name: &str,
    path: &Path,
    args: &WatchArgs,
    metrics: &Metrics,
) -> Result<Outcome> {
    tracing::info!(batch = name, "ingesting");
    let mut options = ingest::Options {
        lang: args.lang.clone(),
        ..ingest::Options::default()
    };
    if let Some(workers) = args.workers {
        options.workers = workers.max(1);
    }
    let result = crate::commands::run_ingest(
        archive,
        vec![path.to_path_buf()],
        options,
        Arc::new(ingest::Quiet),
    )
    .await;
    // Nothing stored and something rejected: the batch needs a person.
    let (ok, error, report) = match result {
        Ok(report) if report.dossiers == 0 && !report.rejected.is_empty() => {
            let why = format!("nothing could be stored: {}", report.rejected[0].error);
            (false, Some(why), Some(report))
        }
        Ok(report) => (true, None, Some(report)),
        Err(e) => {
            // A store that went away is not the batch's fault: leave it in the
            // inbox and stop, so it is retried when watch runs again.
            if is_store_error(&e) {
                return Err(e.context(format!("batch {name} left in the inbox")));
            }
            (false, Some(format!("{e:#}")), None)
        }
    };
    if let Some(report) = &report {
        metrics.add(report);
    }
    let folder = if ok { DONE } else { FAILED };
    metrics.batch(ok);
    let moved_to = free_name(&inbox.join(folder), name);
    std::fs::rename(path, &moved_to)
        .with_context(|| format!("moving {} to {}", path.display(), moved_to.display()))?;
    let report_path = if moved_to.is_dir() {
        moved_to.join(".dossier-report.json")
    } else {
        move_companions(path, &moved_to)?;
        companion(&moved_to, ".dossier-report.json")
    };
    let outcome = Outcome {
        batch: name.to_owned(),
        moved_to: moved_to.clone(),
        ok,
        error,
        report,
    };
    std::fs::write(report_path, serde_json::to_vec_pretty(&outcome)?)?;
    tracing::info!(batch = name, ok, to = %moved_to.display(), "moved");
    Ok(outcome)
}

/// `stack.pdf` + `.done` = `stack.pdf.done`, beside it.
fn companion(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A stack file's marker and corrections file go where it went.
fn move_companions(from: &Path, to: &Path) -> Result<()> {
    let stem = |p: &Path| p.with_extension("").as_os_str().to_owned();
    let corrections = |p: &Path| {
        let mut name = stem(p);
        name.push(".sheets.toml");
        PathBuf::from(name)
    };
    for (old, new) in [
        (companion(from, MARKER), companion(to, MARKER)),
        (corrections(from), corrections(to)),
    ] {
        if old.exists() {
            std::fs::rename(&old, &new)
                .with_context(|| format!("moving {} to {}", old.display(), new.display()))?;
        }
    }
    Ok(())
}

fn is_store_error(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.downcast_ref::<store::Error>().is_some())
}

/// `dir/name`, or `dir/name-2`, `-3`... if a batch of that name was already
/// moved there (a stack file keeps its extension: `stack-2.pdf`).
fn free_name(dir: &Path, name: &str) -> PathBuf {
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() && is_stack_file(name) => {
            (stem, format!(".{extension}"))
        }
        _ => (name, String::new()),
    };
    let mut candidate = dir.join(name);
    let mut n = 2;
    while candidate.exists() {
        candidate = dir.join(format!("{stem}-{n}{extension}"));
        n += 1;
    }
    candidate
}
