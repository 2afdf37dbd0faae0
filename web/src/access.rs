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
    /// `sign-in`, `sign-in-failed`, `sign-in-refused`, `sign-out`, `search`,
    /// `view-dossier`, `view-page`, `view-image`, `download`, `verify`,
    /// `view-access-log`, `denied`, `csrf-refused`, `unauthenticated` (no
    /// user: a request without a valid session), `correct`....
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

/// The longest user name, target and address a record keeps, in characters:
/// a sign-in form or a query cannot make the log grow by megabytes a line.
const MAX_USER: usize = 128;
const MAX_TARGET: usize = 2048;
const MAX_ADDRESS: usize = 64;

impl AccessLog {
    /// Opens the log (readable by its owner only: it names people, what they
    /// looked at and from where). A damaged line is found by
    /// [`check`](AccessLog::check), never a reason to refuse to start.
    pub fn open(archive: &Path) -> Result<AccessLog> {
        let path = archive.join("access.log");
        let mut tail = (0, String::new());
        if let Ok(file) = std::fs::File::open(&path) {
            owner_only(&path)?;
            for line in std::io::BufReader::new(file).split(b'\n') {
                let line = line.with_context(|| format!("reading {}", path.display()))?;
                tail = (tail.0 + 1, hex::encode(Sha256::digest(&line)));
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
            user: clean(user, MAX_USER),
            action: action.to_owned(),
            target: clean(target, MAX_TARGET),
            address: clean(address, MAX_ADDRESS),
            prev: tail.1.clone(),
        };
        let line = serde_json::to_string(&entry)?;
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
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
        for (n, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
            let line = line?;
            match serde_json::from_slice::<Entry>(&line) {
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
            prev = hex::encode(Sha256::digest(&line));
        }
        Ok((entries, broken))
    }
}

/// `text` with control and bidirectional formatting characters written as
/// `\u{..}` escapes (a name must not reorder or hide what an auditor reads),
/// cut to `max` characters with the number cut said.
pub fn clean(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars().take(max) {
        if c.is_control() || is_bidi_control(c) {
            out.push_str(&format!("\\u{{{:04x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    let left = text.chars().count().saturating_sub(max);
    if left > 0 {
        out.push_str(&format!("… (+{left} characters)"));
    }
    out
}

/// Unicode's bidirectional formatting characters (UAX #9).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Narrows a file made before the log was created owner-only.
fn owner_only(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("making {} owner-only", path.display()))?;
        }
    }
    Ok(())
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

        // A byte that is not UTF-8 is damage to report, not a refusal to open.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[5] = 0xff;
        std::fs::write(&path, bytes).unwrap();
        let (entries, broken) = AccessLog::open(dir.path()).unwrap().check().unwrap();
        assert_eq!(entries.len(), 2);
        assert!(broken.unwrap().starts_with("line 1: not a record"));
    }

    #[test]
    fn records_are_bounded_escaped_and_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let log = AccessLog::open(dir.path()).unwrap();
        let flood = "x".repeat(1_000_000);
        let spoof = "amina\u{202e}nimda\n{\"seq\":9}";
        log.record(&flood, "sign-in-failed", "", "127.0.0.1")
            .unwrap();
        log.record(spoof, "sign-in-failed", &flood, "127.0.0.1")
            .unwrap();
        let path = dir.path().join("access.log");
        assert!(std::fs::metadata(&path).unwrap().len() < 5_000);
        let (entries, broken) = log.check().unwrap();
        assert_eq!(broken, None);
        assert_eq!(
            entries[0].user,
            format!("{}… (+999872 characters)", "x".repeat(128))
        );
        assert_eq!(entries[1].user, "amina\\u{202e}nimda\\u{000a}{\"seq\":9}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
