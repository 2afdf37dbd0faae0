//! `dossier sheets`: the separator sheets an operator prints before scanning.

use std::path::Path;

use anyhow::{Context, Result, bail};
use ingest::candidates;
use ingest::sheets::Sheet;
use ingest::sheets::render::{Fonts, SheetPage};
use serde::Serialize;

use crate::args::SheetsArgs;
use crate::{exit, output};

#[derive(Serialize)]
struct Printed {
    out: String,
    covers: usize,
    pieces: usize,
    /// Dossiers the archive folder's candidate list now holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    candidates: Option<usize>,
}

pub fn print(archive: &Path, args: SheetsArgs, json: bool) -> Result<u8> {
    if args.list.is_none() && args.dossiers.is_empty() && !args.pieces {
        bail!("nothing to print: give --list FILE, --dossier ID or --pieces");
    }
    let list = match &args.list {
        Some(path) => candidates::read_list(path)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("reading the candidate list {}", path.display()))?,
        None => candidates::Candidates::new(),
    };
    for id in &args.dossiers {
        if !ingest::batch::valid_id(id) {
            bail!(
                "{id:?} is not a dossier identifier: use letters, digits, '-', '_' and '.', at most 64 characters"
            );
        }
    }
    let pages = pages(&list, &args);
    let fonts = Fonts::load().map_err(anyhow::Error::msg)?;
    let pdf = ingest::sheets::render::pdf(&pages, &fonts).map_err(anyhow::Error::msg)?;
    // The store's error names the file already.
    store::files::write_atomic(&args.out, &pdf)?;
    let remembered = if list.is_empty() {
        None
    } else {
        std::fs::create_dir_all(archive)
            .with_context(|| format!("creating the archive folder {}", archive.display()))?;
        Some(
            candidates::remember(archive, &list)
                .map_err(anyhow::Error::msg)?
                .len(),
        )
    };
    let covers = pages
        .iter()
        .filter(|p| matches!(p.sheet, Sheet::Cover(_)))
        .count();
    let printed = Printed {
        out: args.out.display().to_string(),
        covers,
        pieces: pages.len() - covers,
        candidates: remembered,
    };
    if json {
        output::json(&printed)?;
    } else {
        println!(
            "Wrote {} cover sheet(s) and {} piece sheet(s) to {}.",
            printed.covers, printed.pieces, printed.out
        );
        if let Some(n) = remembered {
            println!(
                "The archive's candidate list holds {n} dossier(s): cover sheets of others will be refused at ingest."
            );
        }
    }
    Ok(exit::OK)
}

/// Cover sheets by identifier, then piece sheets.
fn pages(list: &candidates::Candidates, args: &SheetsArgs) -> Vec<SheetPage> {
    let detail = |id: &str, key: &str| {
        list.get(id)
            .and_then(|d| d.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let mut ids: Vec<&String> = list.keys().collect();
    ids.extend(args.dossiers.iter().filter(|id| !list.contains_key(*id)));
    let covers = ids.into_iter().map(|id| SheetPage {
        sheet: Sheet::Cover(id.clone()),
        name: detail(id, "name"),
        corps: detail(id, "corps"),
    });
    let pieces = index::classify::KINDS
        .iter()
        .filter(|_| args.pieces)
        .map(|kind| SheetPage {
            sheet: Sheet::Piece((*kind).to_owned()),
            name: None,
            corps: None,
        });
    covers.chain(pieces).collect()
}
