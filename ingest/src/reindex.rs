//! The index documents of a stored dossier, and the index rebuilt from the
//! store's refs and manifests (after a crash, for `reindex`, for a station
//! that joins a store).

use std::sync::Arc;

use store::Store;

use crate::Result;

/// The index documents of a stored dossier: its pages' text with the scan date
/// (from `batch.toml`'s `scanned_at`, else when it was stored) and the
/// candidate's metadata. Ingest and `reindex` both use this, so a rebuilt
/// index is the same as the one ingest wrote.
pub fn page_docs(manifest: &store::Manifest) -> Vec<index::PageDoc> {
    let scanned_at = manifest
        .batch
        .get("scanned_at")
        .and_then(serde_json::Value::as_str);
    let scanned = scanned_at
        .and_then(unix_time)
        .or_else(|| unix_time(&manifest.stored_at));
    let metadata: std::collections::BTreeMap<String, String> = manifest
        .metadata
        .iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k.clone(), s.clone())),
            serde_json::Value::Number(n) => Some((k.clone(), n.to_string())),
            _ => None,
        })
        .collect();
    let complete = manifest
        .completeness
        .as_ref()
        .map(|c| match c.status.as_str() {
            "complete" => "yes",
            "incomplete" => "no",
            _ => "doubtful",
        });
    let unmatched = unmatched(manifest, &metadata);
    manifest
        .pages
        .iter()
        .map(|p| index::PageDoc {
            page: p.number as u64,
            text: p.text.clone(),
            scanned,
            metadata: metadata.clone(),
            kind: p.kind.clone(),
            complete,
            confidence: (!p.blank && p.words.is_some()).then_some(p.confidence),
            batch: manifest.batch_name.clone(),
            unmatched: unmatched.clone(),
        })
        .collect()
}

/// The candidate's details (`name`, `birth_place`) whose words appear
/// nowhere in the dossier's text, exactly: a name OCR read with one slip is
/// one an archivist should correct.
fn unmatched(
    manifest: &store::Manifest,
    metadata: &std::collections::BTreeMap<String, String>,
) -> Vec<String> {
    let text: Vec<&str> = manifest.pages.iter().map(|p| p.text.as_str()).collect();
    let text = text.join("\n");
    ["name", "birth_place"]
        .into_iter()
        .filter(|key| {
            metadata
                .get(*key)
                .is_some_and(|value| !crate::completeness::words_found(&text, value, false))
        })
        .map(str::to_owned)
        .collect()
}

/// Seconds since 1970 of an RFC 3339 time or a plain `YYYY-MM-DD` date.
fn unix_time(text: &str) -> Option<i64> {
    let text = text.trim();
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_owned()
    };
    let time = humantime::parse_rfc3339_weak(&full).ok()?;
    let secs = time.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

/// Rebuilds the index from the store's refs and manifests; returns (dossiers, pages).
pub async fn rebuild(store: &Store, index: &Arc<index::Index>) -> Result<(usize, usize)> {
    // Read first: what is appended during the rebuild is applied again by
    // the next catch-up, and applying a dossier twice only replaces it.
    let head = store.ledger_head().await?;
    let mut writer = index.writer()?;
    writer.clear()?;
    let mut dossiers = 0;
    let mut pages = 0;
    for id in store.dossiers().await? {
        let Some((digest, manifest)) = store.manifest(&id).await? else {
            continue;
        };
        let docs = page_docs(&manifest);
        writer.replace_dossier(&id, &digest.hex(), &docs)?;
        dossiers += 1;
        pages += docs.len();
    }
    match head {
        Some(head) => writer.commit_applied(&head.hex())?,
        None => writer.commit()?,
    }
    index.reload()?;
    Ok((dossiers, pages))
}

/// Where an index stands against the ledger after [`follow`].
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Following {
    /// Dossiers replaced in the index by this catch-up.
    pub dossiers: usize,
    /// Ledger records the index had not applied (before this catch-up).
    pub records: usize,
    /// Another writer (an ingest here) holds the index: nothing was applied.
    pub busy: bool,
    /// The index's anchor was not found in the ledger: it was rebuilt whole.
    pub rebuilt: bool,
}

impl Following {
    /// Whether the index now holds everything the ledger says.
    pub fn current(&self) -> bool {
        !self.busy
    }
}

/// Brings the index up to the ledger: the dossiers stored or corrected since
/// the record it last applied (at any station writing to the store) replace
/// their pages. When nothing changed, this costs one read of the ledger's head.
pub async fn follow(store: &Store, index: &Arc<index::Index>) -> Result<Following> {
    let Some(head) = store.ledger_head().await? else {
        return Ok(Following::default());
    };
    let applied = index.applied()?;
    if applied.as_deref() == Some(head.hex().as_str()) {
        return Ok(Following::default());
    }
    // An index that never said what it applied is rebuilt: walking the
    // whole ledger would cost more than that.
    let (newest, records, found) = match applied.as_deref() {
        Some(applied) => since(store, head, applied).await?,
        None => (Default::default(), 0, false),
    };
    let Some(mut writer) = index.try_writer()? else {
        return Ok(Following {
            records,
            busy: true,
            ..Following::default()
        });
    };
    if !found {
        drop(writer);
        let (dossiers, _) = rebuild(store, index).await?;
        return Ok(Following {
            dossiers,
            records,
            rebuilt: true,
            busy: false,
        });
    }
    for (dossier, digest) in &newest {
        let manifest: store::Manifest = store.get_json(digest).await?;
        writer.replace_dossier(dossier, &digest.hex(), &page_docs(&manifest))?;
    }
    writer.commit_applied(&head.hex())?;
    index.reload()?;
    Ok(Following {
        dossiers: newest.len(),
        records,
        ..Following::default()
    })
}

/// The newest manifest of each dossier stored or corrected in the records
/// after `applied`, how many records those are, and whether `applied` was
/// found (an index of another ledger is rebuilt).
async fn since(
    store: &Store,
    head: store::Digest,
    applied: &str,
) -> Result<(
    std::collections::BTreeMap<String, store::Digest>,
    usize,
    bool,
)> {
    let mut newest = std::collections::BTreeMap::new();
    let mut next = Some(head);
    let mut records = 0;
    while let Some(digest) = next {
        if digest.hex() == applied {
            return Ok((newest, records, true));
        }
        let record: store::Record = store.get_json(&digest).await?;
        if let Some((dossier, manifest)) = record.event.moves_ref() {
            newest.entry(dossier.to_owned()).or_insert(*manifest);
        }
        records += 1;
        next = record.prev;
    }
    Ok((newest, records, false))
}
