//! Files written whole or not at all: to a temporary file beside the target,
//! synced, renamed over it, and the folder synced. A crash leaves the old
//! file or the new one, and at worst a stray `.tmp-*` file that no listing
//! shows. Every file the archive writes in place of another goes through here.

use std::io::Write;
use std::path::Path;

use crate::{Error, Result};

/// Writes `bytes` at `path` atomically and durably, readable as the umask allows.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write(path, bytes, 0o666, Replace::Yes)
}

/// [`write_atomic`] for a secret: the file is readable by its owner only
/// from the moment it is created, never for an instant by anyone else.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    write(path, bytes, 0o600, Replace::Yes)
}

/// [`write_private`] that never replaces a file: fails with an error whose
/// source is `ErrorKind::AlreadyExists` if `path` exists, so that of two
/// processes making the same file at once, one wins and the other can read
/// what the first made.
pub fn write_private_new(path: &Path, bytes: &[u8]) -> Result<()> {
    write(path, bytes, 0o600, Replace::No)
}

/// Whether a store error is a file that was already there.
pub fn already_exists(error: &Error) -> bool {
    matches!(error, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists)
}

#[derive(PartialEq)]
enum Replace {
    Yes,
    No,
}

fn write(path: &Path, bytes: &[u8], mode: u32, replace: Replace) -> Result<()> {
    // Renaming over a device or a folder would replace it: `--out /dev/null`
    // run as root once turned the machine's /dev/null into a plain file.
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        let refused = std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file");
        return Err(Error::io(format!("writing {}", path.display()))(refused));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(Error::io(format!("creating {}", dir.display())))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tmp-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(mode));
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = builder.tempfile_in(dir).map_err(Error::io(format!(
        "creating a temporary file in {}",
        dir.display()
    )))?;
    let tmp = file.path().display().to_string();
    file.write_all(bytes)
        .map_err(Error::io(format!("writing {tmp}")))?;
    file.as_file()
        .sync_all()
        .map_err(Error::io(format!("syncing {tmp}")))?;
    let into = format!("writing {}", path.display());
    match replace {
        Replace::Yes => file.persist(path).map_err(|e| Error::io(into)(e.error))?,
        Replace::No => file
            .persist_noclobber(path)
            .map_err(|e| Error::io(into)(e.error))?,
    };
    // The rename is durable only once the folder entry is.
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io(format!("syncing {}", dir.display())))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_file_is_replaced_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("archive.toml");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["archive.toml"]);
    }

    #[test]
    fn what_is_not_a_regular_file_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("folder");
        std::fs::create_dir(&folder).unwrap();
        let error = write_atomic(&folder, b"x").unwrap_err();
        assert!(error.to_string().contains("not a regular file"), "{error}");
        assert!(folder.is_dir());
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&folder, &link).unwrap();
            assert!(write_atomic(&link, b"x").is_err());
            assert!(
                std::fs::symlink_metadata(&link)
                    .unwrap()
                    .file_type()
                    .is_symlink()
            );
        }
    }

    #[test]
    fn a_secret_is_private_from_the_start_and_never_replaced_by_accident() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing.key");
        write_private_new(&path, b"first").unwrap();
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        let error = write_private_new(&path, b"second").unwrap_err();
        assert!(already_exists(&error), "{error}");
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        write_private(&path, b"replaced").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"replaced");
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
    }
}
