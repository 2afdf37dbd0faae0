//! The access log: who viewed, searched, downloaded or verified what.
//!
//! JSON lines in `ARCHIVE/access.log`, opened for appending only; each record
//! carries the SHA-256 of the line before it, so removing or editing a record
//! breaks the chain and [`AccessLog::check`] says where.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    pub time: String,
    pub user: String,
    /// `sign-in`, `sign-in-failed`, `sign-out`, `search`, `view-dossier`,
    /// `view-page`, `download`, `verify`, `view-access-log`, `denied`.
    pub action: String,
    /// What was acted on: a query, a dossier, a page, a file.
    pub target: String,
    pub address: String,
    /// SHA-256 of the previous line (hex), empty for the first.
    pub prev: String,
}

#[derive(Debug)]
pub struct AccessLog {
    path: PathBuf,
    /// (next seq, hash of the last line)
    tail: Mutex<(u64, String)>,
}

impl AccessLog {
    pub fn open(archive: &Path) -> Result<AccessLog> {
        let path = archive.join("access.log");
        let mut tail = (0, String::new());
        if let Ok(file) = std::fs::File::open(&path) {
            for line in std::io::BufReader::new(file).lines() {
                let line = line.with_context(|| format!("reading {}", path.display()))?;
                tail = (tail.0 + 1, hex::encode(Sha256::digest(line.as_bytes())));
            }
        }
        Ok(AccessLog {
            path,
            tail: Mutex::new(tail),
        })
    }

    /// Appends a record and flushes it to disk.
    pub fn record(&self, user: &str, action: &str, target: &str, address: &str) -> Result<()> {
        let mut tail = self.tail.lock().expect("not poisoned");
        let entry = Entry {
            seq: tail.0,
            time: store::now_rfc3339(),
            user: user.to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            address: address.to_owned(),
            prev: tail.1.clone(),
        };
        let line = serde_json::to_string(&entry)?;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.path)
            .with_context(|| format!("opening {}", self.path.display()))?;
        file.write_all(format!("{line}\n").as_bytes())?;
        file.sync_data()?;
        *tail = (tail.0 + 1, hex::encode(Sha256::digest(line.as_bytes())));
        Ok(())
    }

    /// Every record, and the first place the chain is broken, if any.
    pub fn check(&self) -> Result<(Vec<Entry>, Option<String>)> {
        let _tail = self.tail.lock().expect("not poisoned");
        let mut entries = Vec::new();
        let mut broken = None;
        let Ok(file) = std::fs::File::open(&self.path) else {
            return Ok((entries, None));
        };
        let mut prev = String::new();
        for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line?;
            match serde_json::from_str::<Entry>(&line) {
                Ok(entry) => {
                    if broken.is_none() && (entry.prev != prev || entry.seq != n as u64) {
                        broken = Some(format!("line {}: the chain is broken before it", n + 1));
                    }
                    entries.push(entry);
                }
                Err(e) => {
                    broken.get_or_insert(format!("line {}: not a record ({e})", n + 1));
                }
            }
            prev = hex::encode(Sha256::digest(line.as_bytes()));
        }
        Ok((entries, broken))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_chain_and_an_edit_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let log = AccessLog::open(dir.path()).unwrap();
        log.record("amina", "search", "naissance", "127.0.0.1")
            .unwrap();
        log.record("amina", "view-dossier", "INT-1", "127.0.0.1")
            .unwrap();
        // Reopened, it carries on the same chain.
        let log = AccessLog::open(dir.path()).unwrap();
        log.record("paul", "download", "INT-1 pdf", "127.0.0.1")
            .unwrap();
        let (entries, broken) = log.check().unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[2].seq, 2);
        assert_eq!(broken, None);

        let path = dir.path().join("access.log");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("naissance", "mariage")).unwrap();
        let (_, broken) = AccessLog::open(dir.path()).unwrap().check().unwrap();
        assert_eq!(
            broken.as_deref(),
            Some("line 2: the chain is broken before it")
        );
    }
}
