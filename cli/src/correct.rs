//! `dossier correct` and `dossier show --history`: corrections made from the
//! command line, one dossier or a CSV of them, and a dossier's versions.

use std::sync::Arc;

use anyhow::{Context, Result};
use ingest::correct::{Corrector, Edit, Outcome, Refusal, Request};
use serde::Serialize;
use store::history::diff_line;

use crate::archive::Archive;
use crate::args::CorrectArgs;
use crate::{exit, output};

/// The archive's corrector: its station, store, index and checklist.
pub fn corrector(archive: &Archive) -> Result<Corrector> {
    let checklist =
        ingest::completeness::Checklist::load(&archive.root).map_err(anyhow::Error::msg)?;
    Ok(Corrector {
        archive: archive.root.clone(),
        station: archive.station()?,
        store: archive.store.clone(),
        index: archive.index.clone(),
        checklist: Arc::new(checklist),
    })
}

/// A correction refused, as `--json` names it.
#[derive(Debug, Serialize)]
struct Refused {
    dossier: String,
    error: String,
}

#[derive(Debug, Serialize)]
struct Report {
    dry_run: bool,
    corrected: Vec<Outcome>,
    refused: Vec<Refused>,
}

pub async fn correct(archive: &Archive, args: CorrectArgs, json: bool) -> Result<u8> {
    let by = args.by.clone().unwrap_or_else(default_author);
    let requests = match &args.csv {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            ingest::correct::from_csv(&text, &by)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None => vec![one_request(args.clone_fields(), by)],
    };
    let corrector = corrector(archive)?;
    let mut report = Report {
        dry_run: args.dry_run,
        corrected: Vec::new(),
        refused: Vec::new(),
    };
    let mut not_found = false;
    for request in &requests {
        let result = if args.dry_run {
            corrector.preview(request).await
        } else {
            corrector.correct(request).await
        };
        match result {
            Ok(outcome) => report.corrected.push(outcome),
            // Nothing else can be done while an ingest holds the archive.
            Err(e @ Refusal::Busy(_)) => return Err(e.into()),
            Err(Refusal::Failed(e)) => {
                return Err(e).context(format!("correcting {}", request.dossier));
            }
            Err(e) => {
                not_found |= matches!(e, Refusal::NotFound(_));
                report.refused.push(Refused {
                    dossier: request.dossier.clone(),
                    error: e.to_string(),
                });
            }
        }
    }
    if json {
        output::json(&report)?;
    } else {
        print_report(&report);
    }
    Ok(
        match (report.refused.is_empty(), report.corrected.is_empty()) {
            (true, _) => exit::OK,
            (false, true) if not_found && requests.len() == 1 => exit::NOT_FOUND,
            (false, _) => exit::REJECTED,
        },
    )
}

/// Who corrects from the command line, unless `--by` says: `cli:` and the
/// login name, so the ledger never names the viewer's accounts by mistake.
fn default_author() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

/// The dossier, page, `--from` and `--to` of a single correction.
struct Single {
    dossier: String,
    page: Option<usize>,
    from: String,
    to: String,
}

impl CorrectArgs {
    fn clone_fields(&self) -> Single {
        Single {
            dossier: self.dossier.clone().unwrap_or_default(),
            page: self.page,
            from: self.from.clone().unwrap_or_default(),
            to: self.to.clone().unwrap_or_default(),
        }
    }
}

fn one_request(single: Single, by: String) -> Request {
    Request {
        dossier: single.dossier,
        by,
        edits: vec![Edit::Replace {
            page: single.page,
            from: single.from,
            to: single.to,
        }],
    }
}

fn print_report(report: &Report) {
    for outcome in &report.corrected {
        let n = outcome.changes.len();
        match &outcome.manifest {
            Some(manifest) => println!(
                "{}: version {} stored (manifest {manifest}), {n} line(s) changed:",
                outcome.dossier, outcome.version
            ),
            None => println!(
                "{}: would make version {}, {n} line(s) changed (dry run: nothing written):",
                outcome.dossier, outcome.version
            ),
        }
        for change in &outcome.changes {
            println!(
                "  page {} line {}: {}",
                change.page,
                change.line,
                diff_line(&change.old, &change.new)
            );
        }
    }
    for refused in &report.refused {
        eprintln!("{}: not corrected: {}", refused.dossier, refused.error);
    }
}

#[derive(Debug, Serialize)]
struct History {
    dossier: String,
    versions: Vec<store::history::Version>,
}

/// `show --history`: every version of a dossier, oldest first.
pub async fn history(archive: &Archive, id: &str, json: bool) -> Result<u8> {
    let versions = archive.store.history(id).await?;
    if versions.is_empty() {
        eprintln!("error: no dossier '{id}' in {}", archive.root.display());
        return Ok(exit::NOT_FOUND);
    }
    if json {
        output::json(&History {
            dossier: id.to_owned(),
            versions,
        })?;
        return Ok(exit::OK);
    }
    println!("Dossier {id}: {} version(s)", versions.len());
    for v in &versions {
        let by =
            v.by.as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default();
        let batch = v
            .batch
            .as_deref()
            .map(|b| format!(", batch {b}"))
            .unwrap_or_default();
        let current = if v.current { "  (current)" } else { "" };
        println!(
            "  {}  {}  {}{by}{batch}  manifest {}  PDF {}{current}",
            v.version, v.stored_at, v.made_by, v.manifest, v.pdf.sha256
        );
        for change in &v.changes {
            println!(
                "       page {} line {}: {}",
                change.page,
                change.line,
                diff_line(&change.old, &change.new)
            );
        }
    }
    Ok(exit::OK)
}

/// Corrections made from the viewer: one line at a time, by its account.
pub struct ForViewer(pub Corrector);

impl web::corrections::Corrections for ForViewer {
    fn correct(
        &self,
        edit: web::corrections::LineEdit,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<usize, web::corrections::Refused>> + Send + '_>>
    {
        Box::pin(async move {
            use web::corrections::Refused as R;
            let request = Request {
                dossier: edit.dossier,
                by: edit.by,
                edits: vec![Edit::Line {
                    page: edit.page,
                    line: edit.line,
                    old: edit.old,
                    new: edit.new,
                }],
            };
            match self.0.correct(&request).await {
                Ok(outcome) => Ok(outcome.version),
                Err(Refusal::NotFound(_)) => Err(R::NotFound),
                Err(Refusal::Invalid(why)) => Err(R::Invalid(why)),
                Err(Refusal::Changed(why)) => Err(R::Changed(why)),
                Err(Refusal::Busy(why)) => Err(R::Busy(why)),
                Err(Refusal::Failed(e)) => Err(R::Failed(e.to_string())),
            }
        })
    }
}
