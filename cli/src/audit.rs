//! The auditors' commands: verify, verify-file, export as BagIt, keygen.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use store::{Digest, Event, Manifest, sha256};

use crate::archive::Archive;
use crate::args::{ExportArgs, KeygenArgs, VerifyArgs, VerifyFileArgs};
use crate::{exit, output};

pub async fn verify(archive: &Archive, args: VerifyArgs, json: bool) -> Result<u8> {
    // An ingest holding the archive (or killed holding it) has stored objects
    // its ledger record does not name yet: those are pending, not strays.
    let report = if ingest::IngestLock::held(&archive.root) {
        store::verify::verify_while_writing(&archive.store, &args.dossiers).await?
    } else {
        store::verify::verify(&archive.store, &args.dossiers).await?
    };
    let recorded = archive
        .store
        .append(Event::Verified {
            checked: report.checked,
            problems: report.problems.len() as u64,
        })
        .await;
    // A ledger whose head was edited cannot take a new record: the problems
    // found say so, and the report must still reach the auditor.
    if let Err(e) = recorded {
        eprintln!("Warning: this check could not be recorded in the ledger: {e}");
    }
    let rate = report.bytes as f64 / report.seconds.max(1e-9) / 1e6;
    let dossiers = archive.store.dossiers().await?.len();
    if json {
        let mut value = serde_json::to_value(&report)?;
        value["mb_per_second"] = serde_json::json!((rate * 10.0).round() / 10.0);
        value["dossiers"] = dossiers.into();
        output::json(&value)?;
    } else {
        if dossiers == 0 && report.problems.is_empty() {
            // "Intact" would be true and misleading: there is nothing to hold.
            println!(
                "The archive at {} holds no dossier yet: there is nothing to verify.",
                archive.root.display()
            );
        } else {
            println!(
                "Checked {} objects ({}) in {:.2} s, {rate:.0} MB/s.",
                report.checked,
                output::bytes(report.bytes),
                report.seconds
            );
        }
        if report.problems.is_empty() && dossiers > 0 {
            println!(
                "Intact: every object matches its recorded hash; the ledger chain and seals hold."
            );
        }
        if !report.pending.is_empty() {
            println!(
                "Pending: {} object(s) written since an ingest began and not named yet: \
                 an ingest under way has not reached its commit point (or was interrupted: \
                 running it again completes it).",
                report.pending.len()
            );
        }
        for lease in &report.writers {
            println!("{}", describe_lease(lease));
        }
        for problem in &report.problems {
            println!(
                "{:<10} {}  {}",
                format!("{:?}", problem.kind).to_lowercase(),
                problem.key,
                problem.detail
            );
            if let (Some(expected), Some(actual)) = (&problem.expected, &problem.actual) {
                println!("           expected {expected}\n           found    {actual}");
            }
        }
    }
    Ok(if report.problems.is_empty() {
        exit::OK
    } else {
        exit::PROBLEMS
    })
}

/// Where an object is used.
#[derive(Debug, Serialize)]
struct Use {
    dossier: String,
    role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    /// The newest version of the dossier naming the object, from 1.
    version: usize,
    /// Whether that is the dossier's current version.
    current: bool,
}

#[derive(Debug, Serialize)]
struct Found {
    found: bool,
    file: String,
    sha256: Digest,
    key: String,
    uses: Vec<Use>,
    stored_at: Option<String>,
    batch: Option<String>,
    batch_root: Option<Digest>,
}

pub async fn verify_file(archive: &Archive, args: VerifyFileArgs, json: bool) -> Result<u8> {
    let bytes = tokio::fs::read(&args.file)
        .await
        .with_context(|| format!("reading {}", args.file.display()))?;
    let digest = sha256(&bytes);
    let present = archive.store.backend().head(&digest.key()).await?.is_some();
    let mut uses: Vec<Use> = Vec::new();
    for id in archive.store.dossiers().await? {
        // Newest first: what every version shares (the scans, the page
        // images) is said once, as the newest version's.
        let versions = archive.store.versions(&id).await?;
        let count = versions.len();
        for (i, (manifest_digest, manifest)) in versions.iter().enumerate() {
            for mut found in uses_in(&id, manifest_digest, manifest, &digest) {
                found.version = count - i;
                found.current = i == 0;
                let seen = uses.iter().any(|u| {
                    (&u.dossier, u.role, u.page, &u.path)
                        == (&found.dossier, found.role, found.page, &found.path)
                });
                if !seen {
                    uses.push(found);
                }
            }
        }
    }
    let (stored_at, sealed) = provenance(&archive.store.ledger().await?, &digest);
    let found = present && !uses.is_empty();
    let report = Found {
        found,
        file: args.file.display().to_string(),
        sha256: digest,
        key: digest.key(),
        uses,
        stored_at,
        batch: sealed.as_ref().map(|(batch, _)| batch.clone()),
        batch_root: sealed.map(|(_, root)| root),
    };
    if json {
        output::json(&report)?;
    } else {
        print_found(&report);
    }
    Ok(if found { exit::OK } else { exit::PROBLEMS })
}

/// Where one dossier's manifest names the object `digest`.
fn uses_in(id: &str, manifest_digest: &Digest, manifest: &Manifest, digest: &Digest) -> Vec<Use> {
    let mut uses = Vec::new();
    let mut used = |role, page, path| {
        uses.push(Use {
            dossier: id.to_owned(),
            role,
            page,
            path,
            version: 0,
            current: false,
        })
    };
    let named = |object: Option<&store::ObjectRef>| object.is_some_and(|o| o.sha256 == *digest);
    if manifest_digest == digest {
        used("manifest", None, None);
    }
    for (role, object) in [
        ("PDF", Some(&manifest.pdf)),
        ("text", Some(&manifest.text)),
        ("hOCR", manifest.hocr.as_ref()),
        ("ALTO", manifest.alto.as_ref()),
    ] {
        if named(object) {
            used(role, None, None);
        }
    }
    for source in manifest.sources.iter().filter(|s| s.sha256 == *digest) {
        used("original scan", None, Some(source.path.clone()));
    }
    for page in &manifest.pages {
        if named(Some(&page.image)) {
            used("page image", Some(page.number), None);
        }
        if named(page.words.as_ref()) {
            let role = if page.ocr_words.is_some() {
                "corrected words"
            } else {
                "OCR words"
            };
            used(role, Some(page.number), None);
        }
        if named(page.ocr_words.as_ref()) {
            used("OCR words", Some(page.number), None);
        }
    }
    uses
}

/// When the ledger first recorded the object stored, and the batch seal
/// (batch, Merkle root) that first covered it.
fn provenance(
    ledger: &[(Digest, store::Record)],
    digest: &Digest,
) -> (Option<String>, Option<(String, Digest)>) {
    let (mut stored_at, mut sealed) = (None, None);
    for (_, record) in ledger.iter().rev() {
        if !record.event.objects().contains(digest) {
            continue;
        }
        match &record.event {
            Event::DossierStored { .. } | Event::DossierCorrected { .. } if stored_at.is_none() => {
                stored_at = Some(record.at.clone())
            }
            Event::BatchSealed {
                batch, merkle_root, ..
            } if sealed.is_none() => sealed = Some((batch.clone(), *merkle_root)),
            _ => {}
        }
    }
    (stored_at, sealed)
}

fn print_found(report: &Found) {
    let digest = &report.sha256;
    if !report.found {
        println!("{} is not in the archive (sha256 {digest}).", report.file);
        return;
    }
    println!(
        "{} is in the archive as object {} (sha256 {digest}).",
        report.file, report.key
    );
    for u in &report.uses {
        let page = u.page.map(|p| format!(" page {p}")).unwrap_or_default();
        let path = u
            .path
            .as_ref()
            .map(|p| format!(" ({p})"))
            .unwrap_or_default();
        let version = if u.current {
            format!(", version {} (current)", u.version)
        } else {
            format!(
                ", version {}, since replaced (`dossier show --history {}`)",
                u.version, u.dossier
            )
        };
        println!("  {}: {}{page}{path}{version}", u.dossier, u.role);
    }
    if let Some(at) = &report.stored_at {
        println!("  stored {at}");
    }
    if let (Some(b), Some(root)) = (&report.batch, &report.batch_root) {
        println!("  sealed in batch {b}, Merkle root {root}");
    }
}

pub async fn export(archive: &Archive, args: ExportArgs, json: bool) -> Result<u8> {
    let Some((manifest_digest, manifest)) = archive.store.manifest(&args.dossier).await? else {
        eprintln!(
            "error: no dossier '{}' in {}",
            args.dossier,
            archive.root.display()
        );
        return Ok(exit::NOT_FOUND);
    };
    let bag = &args.bagit;
    if bag.exists() && std::fs::read_dir(bag)?.next().is_some() {
        bail!(
            "{} exists and is not empty; a bag is written into a new folder",
            bag.display()
        );
    }
    let store = &archive.store;
    let mut payload = current_files(store, &manifest_digest, &manifest).await?;
    payload.extend(earlier_versions(store, &manifest.dossier).await?);
    for source in &manifest.sources {
        let name = source.path.rsplit('/').next().unwrap_or(&source.path);
        payload.push((
            format!("data/originals/{name}"),
            store.get(&source.sha256).await?,
        ));
    }
    payload.push((
        "data/ledger.jsonl".into(),
        ledger_lines(store, &manifest.dossier).await?.into_bytes(),
    ));
    let (octets, count) = write_bag(bag, &payload, &manifest.dossier, &manifest_digest)?;
    store
        .append(Event::Exported {
            dossier: manifest.dossier.clone(),
            manifest: manifest_digest,
            to: format!("bagit:{}", bag.display()),
        })
        .await?;
    if json {
        output::json(
            &serde_json::json!({ "dossier": manifest.dossier, "bag": bag, "files": count, "bytes": octets }),
        )?;
    } else {
        println!(
            "Wrote a BagIt bag of {} to {}: {count} files, {}.",
            manifest.dossier,
            bag.display(),
            output::bytes(octets)
        );
    }
    Ok(exit::OK)
}

/// A bag's payload: path in the bag, and bytes.
type Payload = Vec<(String, Vec<u8>)>;

/// The current version's PDF, text, manifest, metadata and sidecars.
async fn current_files(
    store: &store::Store,
    manifest_digest: &Digest,
    manifest: &Manifest,
) -> Result<Payload> {
    let mut payload: Payload = vec![
        (
            format!("data/{}.pdf", manifest.dossier),
            store.get(&manifest.pdf.sha256).await?,
        ),
        (
            "data/text.txt".into(),
            store.get(&manifest.text.sha256).await?,
        ),
        (
            "data/manifest.json".into(),
            store.get(manifest_digest).await?,
        ),
        (
            "data/metadata.json".into(),
            serde_json::to_vec_pretty(
                &serde_json::json!({ "dossier": manifest.metadata, "batch": manifest.batch }),
            )?,
        ),
    ];
    for (name, sidecar) in [
        ("data/text.hocr", &manifest.hocr),
        ("data/text.alto.xml", &manifest.alto),
    ] {
        if let Some(object) = sidecar {
            payload.push((name.to_owned(), store.get(&object.sha256).await?));
        }
    }
    Ok(payload)
}

/// The ledger records that concern the dossier, oldest first, one JSON line each.
async fn ledger_lines(store: &store::Store, dossier: &str) -> Result<String> {
    let mut ledger = String::new();
    for (digest, record) in store.ledger().await?.into_iter().rev() {
        let concerns = match &record.event {
            Event::DossierStored { dossier: d, .. }
            | Event::DossierCorrected { dossier: d, .. }
            | Event::Exported { dossier: d, .. } => d == dossier,
            Event::BatchSealed { dossiers, .. } => dossiers.iter().any(|d| d == dossier),
            Event::Rejected { path, .. } => path.contains(&format!("/{dossier}/")),
            _ => false,
        };
        if concerns {
            let line = serde_json::json!({ "record": digest, "content": record });
            writeln!(ledger, "{line}")?;
        }
    }
    Ok(ledger)
}

/// Writes the payload and the tag files of a BagIt 1.0 bag; returns the
/// payload's bytes and files.
fn write_bag(
    bag: &Path,
    payload: &Payload,
    dossier: &str,
    manifest_digest: &Digest,
) -> Result<(u64, usize)> {
    let mut manifest_lines = String::new();
    let (mut octets, count) = (0u64, payload.len());
    for (path, bytes) in payload {
        write_file(bag, path, bytes)?;
        octets += bytes.len() as u64;
        writeln!(manifest_lines, "{}  {path}", sha256(bytes))?;
    }
    let bagit = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
    let info = format!(
        "Bag-Software-Agent: dossier {}\nBagging-Date: {}\nExternal-Identifier: {dossier}\nExternal-Description: Integration dossier {dossier} (manifest {manifest_digest})\nPayload-Oxum: {octets}.{count}\n",
        env!("CARGO_PKG_VERSION"),
        &store::now_rfc3339()[..10],
    );
    let mut tags = String::new();
    for (name, content) in [
        ("bagit.txt", bagit.as_bytes()),
        ("bag-info.txt", info.as_bytes()),
        ("manifest-sha256.txt", manifest_lines.as_bytes()),
    ] {
        write_file(bag, name, content)?;
        writeln!(tags, "{}  {name}", sha256(content))?;
    }
    write_file(bag, "tagmanifest-sha256.txt", tags.as_bytes())?;
    Ok((octets, count))
}

/// Each earlier version of the dossier (a re-scan's or a correction's
/// predecessor) under `data/versions/N/`: its manifest, PDF, text and
/// sidecars, so a bag proves what the dossier said before it was corrected.
async fn earlier_versions(store: &store::Store, id: &str) -> Result<Payload> {
    let versions = store.versions(id).await?;
    let count = versions.len();
    let mut files = Vec::new();
    for (i, (digest, manifest)) in versions.iter().enumerate().skip(1) {
        let dir = format!("data/versions/{}", count - i);
        files.push((format!("{dir}/manifest.json"), store.get(digest).await?));
        files.push((
            format!("{dir}/{id}.pdf"),
            store.get(&manifest.pdf.sha256).await?,
        ));
        files.push((
            format!("{dir}/text.txt"),
            store.get(&manifest.text.sha256).await?,
        ));
        for (name, sidecar) in [
            ("text.hocr", &manifest.hocr),
            ("text.alto.xml", &manifest.alto),
        ] {
            if let Some(object) = sidecar {
                files.push((format!("{dir}/{name}"), store.get(&object.sha256).await?));
            }
        }
    }
    Ok(files)
}

fn write_file(root: &Path, rel: &str, bytes: &[u8]) -> Result<()> {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("bag paths have a parent"))?;
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
}

pub async fn keygen(archive: &Archive, args: KeygenArgs, json: bool) -> Result<u8> {
    let path = archive.key_path();
    let (signer, created) = if path.exists() && !args.force {
        (store::Signer::load(&path)?, false)
    } else {
        let signer = store::Signer::generate()?;
        signer.save_replacing(&path)?;
        (signer, true)
    };
    archive.store.set_public_key(&signer.public_hex()).await?;
    if json {
        output::json(
            &serde_json::json!({ "public_key": signer.public_hex(), "created": created, "secret_key_file": path }),
        )?;
    } else {
        if !created {
            println!(
                "The archive already has a signing key ({}); --force replaces it.",
                path.display()
            );
        }
        println!("Public key (Ed25519) for auditors: {}", signer.public_hex());
    }
    Ok(exit::OK)
}

/// A writer's lease in words, for `verify`: who, since when, and when it was
/// last renewed (every 30 s while its ingest runs).
fn describe_lease(lease: &store::Lease) -> String {
    let host = if lease.host.is_empty() {
        String::new()
    } else {
        format!(" on {}", lease.host)
    };
    let ago = lease
        .seen_at()
        .and_then(|seen| std::time::SystemTime::now().duration_since(seen).ok())
        .map(|ago| humantime::format_duration(std::time::Duration::from_secs(ago.as_secs())));
    let renewed = match (&ago, lease.is_live()) {
        (Some(ago), true) => format!("lease renewed {ago} ago"),
        (Some(ago), false) => format!(
            "lease last renewed {} ({ago} ago): killed or stopped; running ingest again \
             on that station completes it",
            lease.seen
        ),
        (None, true) => format!("lease renewed {}", lease.seen),
        (None, false) => "lease renewed at an unknown time".to_owned(),
    };
    format!(
        "Writing: station {}{host} (process {}), ingest begun {}, {renewed}.",
        lease.station, lease.pid, lease.started
    )
}
