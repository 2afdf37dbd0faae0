//! `ARCHIVE/ingest.lock`: one ingest at a time per archive folder, and a
//! trace of any that was killed.
//!
//! The file is held with an OS lock, which the kernel releases when the
//! process ends however it ends: no process id to read back and check. What
//! the file says tells a killed run from one that finished: an ingest writes
//! `running PID` when it takes the lock and empties the file when it lets go.

use std::io::{Read, Seek, Write};
use std::path::Path;

use crate::{Error, Result};

/// Held for the whole of an ingest; let go when dropped.
#[derive(Debug)]
pub struct IngestLock {
    file: std::fs::File,
}

const RUNNING: &str = "running";

impl IngestLock {
    /// Whether an ingest holds the archive now, or was killed holding it.
    pub fn held(root: &Path) -> bool {
        let path = root.join("ingest.lock");
        let Ok(file) = std::fs::File::open(&path) else {
            return false;
        };
        match file.try_lock_shared() {
            Err(_) => true,
            Ok(()) => std::fs::read_to_string(&path).is_ok_and(|text| text.starts_with(RUNNING)),
        }
    }

    /// Takes the lock; also says whether a previous ingest died holding it.
    pub fn take(root: &Path) -> Result<(IngestLock, bool)> {
        let path = root.join("ingest.lock");
        let io = |e| Error::Io(format!("{}: {e}", path.display()));
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let holder = text.trim().replace(RUNNING, "process");
                return Err(Error::Busy(format!(
                    "another ingest ({}) is running on {}",
                    holder.trim(),
                    root.display()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(io)?;
        let interrupted = text.starts_with(RUNNING);
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{RUNNING} {}", std::process::id()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok((IngestLock { file }, interrupted))
    }
}

impl Drop for IngestLock {
    fn drop(&mut self) {
        // Emptied, not removed: a process that opened this file to wait for
        // it must not end up holding a lock on a file nobody else sees.
        let _ = self.file.set_len(0);
        let _ = self.file.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_ingest_is_refused_and_a_killed_one_is_found() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!IngestLock::held(dir.path()));
        let (lock, interrupted) = IngestLock::take(dir.path()).unwrap();
        assert!(!interrupted);
        assert!(IngestLock::held(dir.path()));
        let refused = IngestLock::take(dir.path()).unwrap_err().to_string();
        let pid = std::process::id();
        assert!(
            refused.contains(&format!("another ingest (process {pid}) is running")),
            "{refused}"
        );
        drop(lock);
        assert!(!IngestLock::held(dir.path()));
        let (_, interrupted) = IngestLock::take(dir.path()).unwrap();
        assert!(!interrupted, "a run that let go cleanly is not a crash");

        // What a killed run leaves: the text, with no process holding the lock.
        std::fs::write(dir.path().join("ingest.lock"), "running 4242\n").unwrap();
        assert!(IngestLock::held(dir.path()));
        let (_, interrupted) = IngestLock::take(dir.path()).unwrap();
        assert!(interrupted);
    }
}
