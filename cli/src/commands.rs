//! The commands: each opens the archive, does one thing, prints, and returns its exit code.

use std::sync::Arc;

use anyhow::{Context, Result, bail};

use crate::archive::{Archive, Opening};
use crate::args::{Cli, Command, IngestArgs, SearchArgs, ShowArgs, UserCommand};
use crate::config::Settings;
use crate::{audit, exit, output, progress};

pub async fn run(cli: Cli, settings: Settings) -> Result<u8> {
    let json = cli.global.json;
    if let Command::Config = cli.command {
        return crate::config::print(&settings, json);
    }
    if let Command::Sheets(args) = cli.command {
        return crate::sheets::print(&settings.archive.value, args, json);
    }
    check_folders(&cli.command)?;
    // Only an ingest that names a lock changes it; every other command stores
    // under the one the archive remembers.
    let retention = match &cli.command {
        Command::Ingest(args) if args.retain_until.is_some() || args.legal_hold => {
            Some(store::Retention {
                until: args.retain_until,
                compliance: args.lock_mode.is_compliance(),
                legal_hold: args.legal_hold,
            })
        }
        _ => None,
    };
    let archive = Archive::open(&settings, retention, opening(&cli.command)).await?;
    if archive.joined {
        let (dossiers, _) = rebuild_index(&archive).await?;
        eprintln!("Indexed its {dossiers} dossier(s) in this folder.");
    } else if archive.index.was_outdated() {
        let (dossiers, _) = rebuild_index(&archive).await?;
        eprintln!(
            "The index was of an earlier layout: rebuilt from the store ({dossiers} dossier(s))."
        );
    }
    match cli.command {
        Command::Ingest(args) => ingest(&archive, args, json).await,
        Command::Search(args) => {
            crate::follow::before_search(&archive).await;
            search(&archive, args, json)
        }
        Command::Show(args) if args.history => {
            crate::correct::history(&archive, &args.dossier, json).await
        }
        Command::Show(args) => show(&archive, args, json).await,
        Command::Correct(args) => crate::correct::correct(&archive, args, json).await,
        Command::Reindex => reindex(&archive, json).await,
        Command::Verify(args) => audit::verify(&archive, args, json).await,
        Command::VerifyFile(args) => audit::verify_file(&archive, args, json).await,
        Command::Export(args) => audit::export(&archive, args, json).await,
        Command::Keygen(args) => audit::keygen(&archive, args, json).await,
        Command::Serve(args) => serve(archive, args, settings.addr.value).await,
        Command::Watch(args) => crate::watch::watch(&archive, args, json).await,
        Command::User(command) => user(&archive, command, json),
        Command::Config | Command::Sheets(_) => {
            unreachable!("answered before opening the archive")
        }
    }
}

/// Only the commands that write may make an archive where there is none.
fn opening(command: &Command) -> Opening {
    match command {
        Command::Ingest(_)
        | Command::Watch(_)
        | Command::Keygen(_)
        | Command::User(UserCommand::Add { .. }) => Opening::CreateIfMissing,
        _ => Opening::Existing,
    }
}

/// A batch or inbox that is not a folder is a mistake on the command line,
/// said before anything is created: not a rejected file of a batch. (A file
/// given to `ingest` is a scanner stack.)
fn check_folders(command: &Command) -> Result<()> {
    let (what, folders) = match command {
        Command::Ingest(args) => ("batch", args.batches.as_slice()),
        Command::Watch(args) => ("inbox", std::slice::from_ref(&args.inbox)),
        _ => return Ok(()),
    };
    for folder in folders {
        match std::fs::metadata(folder) {
            Ok(meta) if meta.is_dir() => {}
            Ok(meta) if meta.is_file() && what == "batch" => {}
            Ok(_) => bail!(
                "the {what} {} is a file: a {what} is a folder{}",
                folder.display(),
                match what {
                    "batch" => " with one subfolder per dossier",
                    _ => " that batch folders are dropped into",
                }
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                bail!("the {what} folder {} does not exist", folder.display())
            }
            Err(e) => {
                return Err(e).with_context(|| format!("reading the {what} {}", folder.display()));
            }
        }
    }
    Ok(())
}

async fn ingest(archive: &Archive, args: IngestArgs, json: bool) -> Result<u8> {
    let mut options = ingest::Options {
        lang: args.lang,
        ..ingest::Options::default()
    };
    if let Some(workers) = args.workers {
        options.workers = workers.max(1);
    }
    let args_stats = args.stats;
    let bar = Arc::new(progress::Bar::new());
    let report = run_ingest(archive, args.batches, options, bar.clone()).await?;
    bar.finish();
    if json {
        output::json(&report)?;
    } else {
        if report.stored.is_empty() && !report.unchanged.is_empty() {
            println!(
                "Nothing new: {} dossier(s) already archived exactly as in the batch; {} object(s) written.",
                report.unchanged.len(),
                report.objects.stored
            );
        } else {
            println!(
                "Stored {} dossier(s), {} page(s) read in {:.1} s{}.",
                report.stored.len(),
                report.pages_read,
                report.seconds,
                if report.unchanged.is_empty() {
                    String::new()
                } else {
                    format!("; {} unchanged dossier(s) skipped", report.unchanged.len())
                }
            );
            println!(
                "Objects: {} written ({}), {} already in the archive.",
                report.objects.stored,
                output::bytes(report.objects.bytes_stored),
                report.objects.existing
            );
        }
        // Said only when something was written: "Nothing new" locked nothing.
        if let Some(lock) = &archive.lock
            && report.objects.stored > 0
        {
            println!("Object Lock on what was written: {lock}.");
        }
        if args_stats {
            let s = &report.stats;
            println!(
                "Stage timings (summed over workers; wall time {:.1} s):",
                report.seconds
            );
            for (name, stage) in [
                ("intake (read, hash)", &s.intake),
                ("decode", &s.decode),
                ("preprocess", &s.preprocess),
                ("OCR", &s.ocr),
                ("encode page images", &s.encode),
                ("PDF/A and sidecars", &s.pdf),
                ("store", &s.store),
                ("index (per commit)", &s.index),
            ] {
                let each = if stage.count > 0 {
                    stage.seconds * 1000.0 / stage.count as f64
                } else {
                    0.0
                };
                println!(
                    "  {name:<22} {:>5} x  {:>8.2} s  {each:>8.1} ms each",
                    stage.count, stage.seconds
                );
            }
        }
        print_completeness(&report.completeness);
        if !report.rejected.is_empty() {
            println!("Rejected {} input(s):", report.rejected.len());
            for rejection in &report.rejected {
                println!("  {}: {}", rejection.path, rejection.error);
            }
        }
    }
    Ok(if report.rejected.is_empty() {
        exit::OK
    } else {
        exit::REJECTED
    })
}

/// Each dossier against its checklist, the complete ones counted, the others named.
fn print_completeness(checks: &std::collections::BTreeMap<String, store::manifest::Completeness>) {
    if checks.is_empty() {
        return;
    }
    let counts = ingest::completeness::tally(checks.values());
    let counted: Vec<String> = counts
        .iter()
        .map(|(status, n)| format!("{n} {status}"))
        .collect();
    println!("Completeness: {}.", counted.join(", "));
    for (id, check) in checks.iter().filter(|(_, c)| c.status != "complete") {
        println!("  {id}: {}", check.summary());
    }
}

fn search(archive: &Archive, args: SearchArgs, json: bool) -> Result<u8> {
    let options = index::SearchOptions {
        dossier: args.dossier,
        limit: args.limit,
        group: args.group,
    };
    let results = archive.index.search(&args.query, &options)?;
    if json {
        output::json(&results)?;
        return Ok(exit::OK);
    }
    match results.total {
        0 => println!("No page matches \"{}\".", args.query),
        1 => println!("1 page matches \"{}\":", args.query),
        n => println!(
            "{n} pages match \"{}\" (best {} shown):",
            args.query,
            results.hits.len()
        ),
    }
    if let Some(groups) = &results.groups {
        for group in groups {
            let pages: Vec<String> = group.pages.iter().map(u64::to_string).collect();
            println!(
                "{}  pages {}  (score {:.2})",
                group.dossier,
                pages.join(", "),
                group.score
            );
        }
    } else {
        for hit in &results.hits {
            println!(
                "{}  page {}  {}  (score {:.2})",
                hit.dossier, hit.page, hit.kind, hit.score
            );
            println!("    {}", output::snippet(&hit.excerpt));
        }
    }
    if results.total > 0 {
        let facet = |counts: &std::collections::BTreeMap<String, u64>| {
            counts
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!("By kind: {}", facet(&results.facets.kind));
        println!("By year scanned: {}", facet(&results.facets.year));
    }
    Ok(exit::OK)
}

async fn show(archive: &Archive, args: ShowArgs, json: bool) -> Result<u8> {
    let Some((digest, manifest)) = archive.store.manifest(&args.dossier).await? else {
        eprintln!(
            "error: no dossier '{}' in {}",
            args.dossier,
            archive.root.display()
        );
        return Ok(exit::NOT_FOUND);
    };
    if json {
        let mut value = serde_json::to_value(&manifest)?;
        value["manifest"] = serde_json::Value::String(digest.hex());
        output::json(&value)?;
        return Ok(exit::OK);
    }
    println!(
        "Dossier {}  (manifest {digest}, stored {})",
        manifest.dossier, manifest.stored_at
    );
    for (key, value) in &manifest.metadata {
        println!(
            "  {key}: {}",
            value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned)
        );
    }
    println!(
        "PDF {}  {}  sha256 {}",
        manifest.pdf.key,
        output::bytes(manifest.pdf.bytes),
        manifest.pdf.sha256
    );
    if let Some(check) = &manifest.completeness {
        println!("Completeness ({}): {}", check.checklist, check.summary());
    }
    for page in &manifest.pages {
        let first_line = page
            .text
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let state = if page.blank {
            "blank".to_owned()
        } else {
            format!(
                "skew {:+.2}°  conf {:.0}",
                page.skew_degrees, page.confidence
            )
        };
        let kind = page
            .kind
            .as_deref()
            .map(|k| format!("[{k}] "))
            .unwrap_or_default();
        println!(
            "  {:>3}  {:<28} {:<22} {kind}{}",
            page.number,
            page_source(page),
            state,
            first_line
        );
    }
    for rejection in &manifest.rejected {
        println!("  rejected {}: {}", rejection.path, rejection.error);
    }
    Ok(exit::OK)
}

fn page_source(page: &store::manifest::Page) -> String {
    if let Some(number) = page.source.stack_page {
        format!("{} #{number}", page.source.path)
    } else if page.source.page > 0 {
        format!("{} p{}", page.source.path, page.source.page + 1)
    } else {
        page.source.path.clone()
    }
}

/// Rebuilds the index from the store's refs and manifests; returns (dossiers, pages).
pub async fn rebuild_index(archive: &Archive) -> Result<(usize, usize)> {
    Ok(ingest::rebuild_index(&archive.store, &archive.index).await?)
}

async fn reindex(archive: &Archive, json: bool) -> Result<u8> {
    let (dossiers, pages) = rebuild_index(archive).await?;
    if json {
        output::json(&serde_json::json!({ "dossiers": dossiers, "pages": pages }))?;
    } else {
        println!("Reindexed {dossiers} dossier(s), {pages} page(s) from the store.");
    }
    Ok(exit::OK)
}

async fn serve(
    archive: Archive,
    args: crate::args::ServeArgs,
    addr: std::net::SocketAddr,
) -> Result<u8> {
    let users = web::Users::new(&archive.root);
    if users.list()?.is_empty() {
        eprintln!(
            "No accounts yet: create one with `dossier user add NAME --role admin --archive {}`",
            archive.root.display()
        );
    }
    let corrections = Arc::new(crate::correct::ForViewer(crate::correct::corrector(
        &archive,
    )?));
    let follow = Arc::new(web::follow::IndexFollow::default());
    let every = std::time::Duration::from_secs_f64(args.follow_every);
    crate::follow::spawn_follower(&archive, follow.clone(), every);
    let mut app = web::App::new(&archive.root, archive.store, archive.index)?
        .with_corrections(corrections)
        .with_follow(follow)
        .with_review_below(args.review_below)
        .with_trusted_proxies(web::client::TrustedProxies::new(
            args.trusted_proxies.clone(),
        ));
    if args.insecure_cookies {
        eprintln!(
            "Warning: --insecure-cookies: session cookies travel in clear text over plain HTTP."
        );
        app = app.with_insecure_cookies();
    }
    web::serve(app, addr, args.metrics).await?;
    Ok(exit::OK)
}

fn read_password(from_stdin: bool) -> Result<String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\n', '\r']).to_owned()
    } else {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Again: ")?;
        anyhow::ensure!(first == again, "the passwords differ");
        first
    };
    Ok(password)
}

fn user(archive: &Archive, command: crate::args::UserCommand, json: bool) -> Result<u8> {
    let users = web::Users::new(&archive.root);
    match command {
        UserCommand::Add {
            name,
            role,
            password_stdin,
        } => {
            let role = web::Role::parse(&role).with_context(|| {
                format!("unknown role '{role}': operator, archivist, auditor or admin")
            })?;
            users.add(&name, role, &read_password(password_stdin)?)?;
            if !json {
                println!("Added {name} ({}).", role.as_str());
            }
        }
        UserCommand::List => {
            let list = users.list()?;
            if json {
                let list: Vec<_> = list
                    .iter()
                    .map(|u| serde_json::json!({"name": u.name, "role": u.role, "disabled": u.disabled, "created": u.created}))
                    .collect();
                output::json(&list)?;
            } else {
                for u in list {
                    let state = if u.disabled { "disabled" } else { "active" };
                    println!(
                        "{:<20} {:<10} {:<9} {}",
                        u.name,
                        u.role.as_str(),
                        state,
                        u.created
                    );
                }
            }
        }
        UserCommand::Disable { name } => users.set_disabled(&name, true)?,
        UserCommand::Enable { name } => users.set_disabled(&name, false)?,
        UserCommand::Logout { name } => users.end_sessions(&name)?,
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            anyhow::ensure!(users.get(&name)?.is_some(), "no user {name}");
            users.set_password(&name, &read_password(password_stdin)?)?;
        }
    }
    Ok(exit::OK)
}

/// One ingest, as `ingest` and `watch` run it: `ingest::ingest` takes the
/// archive's lock and recovers from a killed run; recovery and anything that
/// went wrong without failing the run are said on stderr (`--json` keeps
/// stdout to its one document).
pub async fn run_ingest(
    archive: &Archive,
    batches: Vec<std::path::PathBuf>,
    options: ingest::Options,
    progress: Arc<dyn ingest::Progress>,
) -> Result<ingest::Report> {
    let mut options = options;
    options.candidates = ingest::candidates::load(&archive.root)
        .map_err(anyhow::Error::msg)?
        .map(Arc::new);
    options.checklist =
        Arc::new(ingest::completeness::Checklist::load(&archive.root).map_err(anyhow::Error::msg)?);
    let job = ingest::Job {
        batches,
        archive: archive.root.clone(),
        station: archive.station()?,
        store: archive.store.clone(),
        index: archive.index.clone(),
        options,
        progress,
        signer: Some(Arc::new(archive.signer().await?)),
    };
    let report = ingest::ingest(job).await.map_err(|e| match e {
        // Not a stopped ingest: it never started.
        ingest::Error::Busy(_) => anyhow::Error::new(e),
        e => anyhow::Error::new(e).context("ingest stopped"),
    })?;
    if let Some(recovery) = &report.recovered {
        eprintln!(
            "Recovered from an interrupted ingest: {} dossier ref(s) completed, {} stray object(s) removed, index rebuilt.",
            recovery.refs_completed, recovery.objects_removed
        );
    }
    for warning in &report.warnings {
        eprintln!("Warning: {warning}.");
    }
    Ok(report)
}
