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
    writer.commit()?;
    index.reload()?;
    Ok((dossiers, pages))
}
