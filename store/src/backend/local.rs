//! The embedded backend: objects and refs as files under the archive folder.
//!
//! Writes are crash-safe: a temp file with a unique name, fsync, rename into
//! place, fsync the folder. A crash leaves either the old state or the new
//! one, plus at worst a stray temp file (named `.tmp-*`, never listed).

use std::fs;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;

use super::{Backend, Put};
use crate::files::write_atomic;
use crate::{Digest, Error, Result};

/// Objects at `ROOT/objects/<key>`, refs at `ROOT/refs/<name>`.
#[derive(Debug, Clone)]
pub struct Local {
    root: PathBuf,
}

impl Local {
    pub fn new(root: impl Into<PathBuf>) -> Local {
        Local { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn object_path(&self, key: &str) -> Result<PathBuf> {
        check_name(key, "object key")?;
        Ok(self.root.join("objects").join(key))
    }

    fn ref_path(&self, name: &str) -> Result<PathBuf> {
        check_name(name, "ref name")?;
        Ok(self.root.join("refs").join(name))
    }
}

/// Removes a file; one already gone is no error.
async fn remove_if_present(path: &Path) -> Result<()> {
    match tokio::fs::remove_file(path).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io(format!("removing {}", path.display()))(e))
        }
        _ => Ok(()),
    }
}

/// Names become paths: allow only plain components, so none can escape the archive.
pub(crate) fn check_name(name: &str, what: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && !part.starts_with(".tmp-")
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid {
            what: format!("{what} '{name}'"),
            reason: "unsafe characters".into(),
        })
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Backend(format!("blocking task failed: {e}")))?
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) -> Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(format!("listing {}", dir.display()))(e)),
    };
    for entry in entries {
        let entry = entry.map_err(Error::io(format!("listing {}", dir.display())))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // Temp files of unfinished writes, and swap_ref's lock files, are not refs.
        if name.starts_with(".tmp-") || name.ends_with(".lock") {
            continue;
        }
        let full = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        if entry
            .file_type()
            .map_err(Error::io("reading a file type"))?
            .is_dir()
        {
            walk(&entry.path(), &full, out)?;
        } else {
            out.push(full);
        }
    }
    Ok(())
}

#[async_trait]
impl Backend for Local {
    async fn put(&self, key: &str, bytes: Bytes, _sha256: &Digest) -> Result<Put> {
        let path = self.object_path(key)?;
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(Put::Existed);
        }
        blocking(move || write_atomic(&path, &bytes).map(|()| Put::Stored)).await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let path = self.object_path(key)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Unreadable {
                key: key.to_owned(),
                reason: format!("reading {}: {e}", path.display()),
            }),
        }
    }

    async fn head(&self, key: &str) -> Result<Option<u64>> {
        let path = self.object_path(key)?;
        match tokio::fs::metadata(&path).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(format!("reading {}", path.display()))(e)),
        }
    }

    async fn list(&self) -> Result<Vec<String>> {
        let dir = self.root.join("objects");
        blocking(move || {
            let mut out = Vec::new();
            walk(&dir, "", &mut out)?;
            Ok(out)
        })
        .await
    }

    async fn modified(&self, key: &str) -> Result<Option<std::time::SystemTime>> {
        let path = self.object_path(key)?;
        match tokio::fs::metadata(&path).await {
            Ok(meta) => meta
                .modified()
                .map(Some)
                .map_err(Error::io(format!("reading the time of {}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(format!("reading {}", path.display()))(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        remove_if_present(&self.object_path(key)?).await
    }

    async fn get_ref(&self, name: &str) -> Result<Option<String>> {
        let path = self.ref_path(name)?;
        match tokio::fs::read_to_string(&path).await {
            Ok(value) => Ok(Some(value.trim().to_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(format!("reading {}", path.display()))(e)),
        }
    }

    async fn set_ref(&self, name: &str, value: &str) -> Result<()> {
        let path = self.ref_path(name)?;
        let value = format!("{value}\n");
        blocking(move || write_atomic(&path, value.as_bytes())).await
    }

    async fn swap_ref(&self, name: &str, expected: Option<&str>, value: &str) -> Result<bool> {
        let path = self.ref_path(name)?;
        let expected = expected.map(str::to_owned);
        let value = format!("{value}\n");
        blocking(move || {
            // An exclusive lock on a file beside the ref makes compare-and-set
            // one step for every process (and every handle) on this machine.
            let dir = path.parent().expect("ref paths have a parent");
            fs::create_dir_all(dir).map_err(Error::io(format!("creating {}", dir.display())))?;
            let mut lock_path = path.clone().into_os_string();
            lock_path.push(".lock");
            let lock_path = std::path::PathBuf::from(lock_path);
            let lock = fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)
                .map_err(Error::io(format!("opening {}", lock_path.display())))?;
            lock.lock()
                .map_err(Error::io(format!("locking {}", lock_path.display())))?;
            let current = match fs::read_to_string(&path) {
                Ok(text) => Some(text.trim().to_owned()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(Error::io(format!("reading {}", path.display()))(e)),
            };
            if current != expected {
                return Ok(false);
            }
            write_atomic(&path, value.as_bytes())?;
            Ok(true)
        })
        .await
    }

    async fn delete_ref(&self, name: &str) -> Result<()> {
        remove_if_present(&self.ref_path(name)?).await
    }

    async fn list_refs(&self, prefix: &str) -> Result<Vec<String>> {
        let prefix = prefix.trim_end_matches('/').to_owned();
        let dir = self.root.join("refs").join(&prefix);
        blocking(move || {
            let mut out = Vec::new();
            walk(&dir, &prefix, &mut out)?;
            out.sort();
            Ok(out)
        })
        .await
    }

    fn describe(&self) -> String {
        format!("file://{}", self.root.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sha256;

    #[tokio::test]
    async fn put_twice_writes_once() {
        let dir = tempfile::tempdir().unwrap();
        let local = Local::new(dir.path());
        let d = sha256(b"x");
        let x = Bytes::from_static(b"x");
        assert_eq!(
            local.put(&d.key(), x.clone(), &d).await.unwrap(),
            Put::Stored
        );
        assert_eq!(local.put(&d.key(), x, &d).await.unwrap(), Put::Existed);
        assert_eq!(local.list().await.unwrap(), vec![d.key()]);
        assert_eq!(local.head(&d.key()).await.unwrap(), Some(1));
    }

    #[tokio::test]
    async fn names_cannot_escape_the_archive() {
        let dir = tempfile::tempdir().unwrap();
        let local = Local::new(dir.path());
        for bad in [
            "../x",
            "a/../../b",
            "/etc/passwd",
            "a//b",
            "",
            "dossiers/a b",
        ] {
            assert!(local.set_ref(bad, "v").await.is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn refs_list_under_a_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let local = Local::new(dir.path());
        local.set_ref("dossiers/B", "2").await.unwrap();
        local.set_ref("dossiers/A", "1").await.unwrap();
        local.set_ref("ledger/head", "h").await.unwrap();
        assert_eq!(
            local.list_refs("dossiers/").await.unwrap(),
            vec!["dossiers/A", "dossiers/B"]
        );
        assert_eq!(
            local.get_ref("dossiers/A").await.unwrap().as_deref(),
            Some("1")
        );
        assert_eq!(local.get_ref("dossiers/C").await.unwrap(), None);
    }

    #[test]
    fn no_temp_file_is_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o/k");
        write_atomic(&path, b"data").unwrap();
        let names: Vec<_> = fs::read_dir(dir.path().join("o"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec!["k"]);
    }
}
