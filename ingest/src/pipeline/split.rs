//! Intake of a scanner stack: reads the codes on each of its pages, splits it
//! at its sheets, reports and keeps what cannot be placed, and hands intake
//! the dossiers it holds.

use std::collections::BTreeMap;
use std::sync::Arc;

use store::manifest::{PageSource, Rejection, SheetRecord};
use store::{Digest, Event};
use tracing::info;

use super::{BatchRef, Shared};
use crate::batch::{self, PageFile, Selected};
use crate::sheets::{Sheet, barcode};
use crate::stack::{self, Found};
use crate::{Error, Result};

/// One page of the stack: its file and its place there.
struct StackPage {
    file: usize,
    page: usize,
}

/// A stack's file as the split read it.
struct ReadFile {
    file: PageFile,
    digest: Digest,
}

/// Splits a stack into dossiers; the pages it cannot place are rejected
/// (and kept: every file of the stack is stored before anything else).
pub(super) async fn split_stack(
    shared: &Arc<Shared>,
    batch: &BatchRef,
    listing: batch::Stack,
) -> Result<Vec<batch::Dossier>> {
    let mut files = Vec::new();
    let mut pages = Vec::new();
    let mut found = Vec::new();
    for file in listing.files {
        let Some((digest, read)) = read_file(shared, batch, &file).await? else {
            continue;
        };
        for (page, what) in read.into_iter().enumerate() {
            pages.push(StackPage {
                file: files.len(),
                page,
            });
            found.push(what);
        }
        files.push(ReadFile { file, digest });
    }
    let known = known_ids(shared, &found, &listing.corrections).await?;
    let split = stack::split(&found, &listing.corrections, &|id| {
        known.get(id) == Some(&true)
    });
    info!(
        pages = pages.len(),
        dossiers = split.parts.len(),
        unassigned = split
            .unassigned
            .iter()
            .map(|u| u.pages.len())
            .sum::<usize>(),
        "stack split"
    );
    for run in &split.unassigned {
        reject_unassigned(shared, batch, &files, &pages, run).await?;
    }
    Ok(split
        .parts
        .into_iter()
        .map(|part| dossier(shared, &files, &pages, part))
        .collect())
}

/// Reads, hashes and stores a stack's file, and reads the codes on each of
/// its pages. `None` when the file cannot be read at all (rejected).
async fn read_file(
    shared: &Shared,
    batch: &BatchRef,
    file: &PageFile,
) -> Result<Option<(Digest, Vec<Found>)>> {
    // Read, hashed and counted as intake takes any page file.
    let scan = match super::intake::take_file(shared, &file.path).await {
        Ok(scan) => scan,
        Err(error) => {
            reject(shared, batch, &batch.path(&file.rel), error, Vec::new()).await?;
            return Ok(None);
        }
    };
    let limits = shared.job.options.limits;
    let (bytes, digest, pages) = (scan.bytes, scan.digest, scan.pages);
    let held = bytes.clone();
    let found = shared
        .cpu
        .run(move || {
            (0..pages)
                .map(|page| read_page(&held, page, &limits))
                .collect()
        })
        .await;
    shared.put_hashed(bytes, digest).await?;
    Ok(Some((digest, found)))
}

/// What one page of a stack is. A page that cannot be decoded is a page: the
/// OCR workers reject it with its reason, in its dossier.
fn read_page(bytes: &[u8], page: usize, limits: &ocr::Limits) -> Found {
    let decoded = std::panic::catch_unwind(|| ocr::decode_page(bytes, page, limits));
    let Ok(Ok(scan)) = decoded else {
        return Found::Page;
    };
    let grey = scan.image.into_luma8();
    let code = barcode::read(&grey, |text| Sheet::parse(text).is_some());
    match code.as_deref().and_then(Sheet::parse) {
        None => Found::Page,
        Some(Ok(sheet)) => Found::Sheet(sheet),
        Some(Err(why)) => Found::Unusable(why),
    }
}

/// Which of the identifiers the stack names may be used: those of the
/// operator's candidate list, or of dossiers already archived (a dossier
/// continued from an earlier stack); any valid one when there is no list.
async fn known_ids(
    shared: &Shared,
    found: &[Found],
    corrections: &stack::Corrections,
) -> Result<BTreeMap<String, bool>> {
    let named = found
        .iter()
        .chain(corrections.pages.values())
        .filter_map(|f| match f {
            Found::Sheet(Sheet::Cover(id)) => Some(id.clone()),
            _ => None,
        })
        .chain(corrections.continues.clone());
    let mut known = BTreeMap::new();
    for id in named {
        if known.contains_key(&id) {
            continue;
        }
        let listed = match &shared.job.options.candidates {
            None => true,
            Some(list) => list.contains_key(&id) || shared.store.manifest(&id).await?.is_some(),
        };
        known.insert(id, listed);
    }
    Ok(known)
}

/// Reports a run of pages that could not be placed; the ledger names the
/// stack's files that hold them, so that they stay accounted for.
async fn reject_unassigned(
    shared: &Shared,
    batch: &BatchRef,
    files: &[ReadFile],
    pages: &[StackPage],
    run: &stack::Unassigned,
) -> Result<()> {
    let mut objects: Vec<Digest> = run
        .pages
        .iter()
        .map(|&i| files[pages[i].file].digest)
        .collect();
    objects.dedup();
    let path = format!("{} (pages {})", batch.name, stack::ranges(&run.pages));
    let error = format!(
        "not placed: {}; kept with the stack: to place them, name their sheet in \
         the stack's corrections file and ingest the stack again",
        run.reason
    );
    reject(shared, batch, &path, error, objects).await
}

async fn reject(
    shared: &Shared,
    batch: &BatchRef,
    path: &str,
    error: String,
    objects: Vec<Digest>,
) -> Result<()> {
    shared
        .store
        .append(Event::Rejected {
            batch: batch.name.clone(),
            path: path.to_owned(),
            error: error.clone(),
            objects,
        })
        .await
        .map_err(Error::from)?;
    shared.reject(Rejection {
        path: path.to_owned(),
        error,
    });
    Ok(())
}

/// A dossier's share of the stack, as intake takes dossiers.
fn dossier(
    shared: &Shared,
    files: &[ReadFile],
    pages: &[StackPage],
    part: stack::Part,
) -> batch::Dossier {
    let source = |index: usize| {
        let at = &pages[index];
        let file = &files[at.file];
        PageSource {
            path: file.file.rel.clone(),
            sha256: file.digest,
            page: at.page,
            stack_page: Some(index + 1),
        }
    };
    let sheets = part
        .sheets
        .iter()
        .map(|(index, sheet)| SheetRecord {
            source: source(*index),
            sheet: sheet.to_string(),
        })
        .collect();
    // Consecutive pages of one file make one page file, with its selection.
    let mut page_files: Vec<PageFile> = Vec::new();
    for (index, kind) in part.pages {
        let at = &pages[index];
        let selected = Selected {
            page: at.page,
            stack_page: index + 1,
            kind,
        };
        let file = &files[at.file].file;
        match page_files.last_mut() {
            Some(last) if last.path == file.path => {
                last.select.get_or_insert_with(Vec::new).push(selected);
            }
            _ => page_files.push(PageFile {
                rel: file.rel.clone(),
                path: file.path.clone(),
                select: Some(vec![selected]),
            }),
        }
    }
    let metadata = shared
        .job
        .options
        .candidates
        .as_ref()
        .and_then(|list| list.get(&part.id).cloned())
        .unwrap_or_default();
    batch::Dossier {
        id: part.id,
        files: page_files,
        metadata,
        rejected: Vec::new(),
        stack: Some(sheets),
    }
}
