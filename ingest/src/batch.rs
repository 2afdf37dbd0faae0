//! Reading a scanner batch folder: dossiers, their page files in natural order,
//! and their metadata, with every unusable entry turned into a rejection.
//! A scanner stack (one file, or a folder of page files without dossier
//! folders) is listed as such; it is split at its sheets by intake.
//!
//! Only names and metadata are read here; page files are read one at a time by
//! the pipeline, so listing a huge batch costs little memory.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use store::manifest::{Rejection, SheetRecord};

use crate::natural;
use crate::stack::Corrections;

/// Largest page file accepted (a 600-dpi colour A3 TIFF, uncompressed, is ~200 MB).
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// A batch folder as found on disk.
#[derive(Debug)]
pub struct Batch {
    /// The folder's own name, which prefixes rejection paths.
    pub name: String,
    /// The batch folder (the file itself, for a stack given as one file).
    pub root: PathBuf,
    /// `batch.toml`, if present.
    pub info: Map<String, Value>,
    pub dossiers: Vec<Dossier>,
    /// Entries outside any valid dossier.
    pub rejected: Vec<Rejection>,
    /// A scanner stack, whose dossiers are only known once its sheets are read.
    pub stack: Option<Stack>,
}

/// A scanner stack: page files in scan order, and the operator's corrections.
#[derive(Debug)]
pub struct Stack {
    pub files: Vec<PageFile>,
    pub corrections: Corrections,
}

/// A dossier folder.
#[derive(Debug)]
pub struct Dossier {
    pub id: String,
    pub files: Vec<PageFile>,
    /// `dossier.toml`, if present.
    pub metadata: Map<String, Value>,
    pub rejected: Vec<Rejection>,
    /// For a dossier split out of a scanner stack: the sheets that placed its
    /// pages. Such a dossier adds its pages to the archived dossier of the
    /// same identifier rather than replacing it, so that a dossier may
    /// continue across stacks.
    pub stack: Option<Vec<SheetRecord>>,
}

/// A page file of a dossier.
#[derive(Debug, Clone)]
pub struct PageFile {
    /// `DOSSIER/FILE`, relative to the batch folder.
    pub rel: String,
    pub path: PathBuf,
    /// The pages of the file that belong to the dossier, when it is a
    /// stack's file; all of them otherwise.
    pub select: Option<Vec<Selected>>,
}

/// A page of a stack's file given to a dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// Its page in the file, from 0.
    pub page: usize,
    /// Its page in the stack, from 1.
    pub stack_page: usize,
    /// The kind a piece sheet gave it.
    pub kind: Option<String>,
}

/// Why a batch cannot be read at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read batch {path}: {reason}")]
pub struct BatchError {
    pub path: String,
    pub reason: String,
}

/// Whether `id` is a valid dossier identifier (docs/INTERFACE.md).
pub use store::manifest::valid_dossier_id as valid_id;

fn reject(batch: &str, rel: &str, error: impl Into<String>) -> Rejection {
    Rejection {
        path: format!("{batch}/{rel}"),
        error: error.into(),
    }
}

/// What an entry turned out to be once links are resolved.
enum Entry {
    File(PathBuf, u64),
    Dir(PathBuf),
}

/// Resolves links, refusing any that leads outside `root` (already canonical).
fn resolve(path: &Path, root: &Path) -> Result<Entry, String> {
    let meta = fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    let (target, meta) = if meta.file_type().is_symlink() {
        let target = fs::canonicalize(path).map_err(|_| "link to nothing".to_owned())?;
        if !target.starts_with(root) {
            return Err("link leads out of the batch; not followed".into());
        }
        let meta = fs::metadata(&target).map_err(|e| e.to_string())?;
        (target, meta)
    } else {
        (path.to_path_buf(), meta)
    };
    if meta.is_dir() {
        Ok(Entry::Dir(target))
    } else if meta.is_file() {
        Ok(Entry::File(target, meta.len()))
    } else {
        Err("not a regular file".into())
    }
}

/// A folder's usable entries (name, path) in natural order, and its names that are not UTF-8.
struct Entries {
    named: Vec<(String, PathBuf)>,
    not_utf8: Vec<String>,
}

/// Entries of a folder, hidden ones left out.
fn entries(dir: &Path) -> std::io::Result<Entries> {
    let mut names = Vec::new();
    let mut bad = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        match entry.file_name().into_string() {
            Ok(name) if name.starts_with('.') => {}
            Ok(name) => names.push((name, entry.path())),
            Err(raw) => bad.push(raw.to_string_lossy().into_owned()),
        }
    }
    names.sort_by(|a, b| natural::cmp(&a.0, &b.0));
    Ok(Entries {
        named: names,
        not_utf8: bad,
    })
}

/// Reads a TOML file into JSON values; datetimes become RFC 3339 strings.
pub fn read_toml(path: &Path) -> Result<Map<String, Value>, String> {
    let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
    parse_toml(&text)
}

/// Parses TOML metadata into JSON values; datetimes become RFC 3339 strings.
pub fn parse_toml(text: &str) -> Result<Map<String, Value>, String> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| e.message().to_owned())?;
    fn convert(value: toml::Value) -> Value {
        match value {
            toml::Value::String(s) => Value::String(s),
            toml::Value::Integer(i) => Value::from(i),
            toml::Value::Float(f) => Value::from(f),
            toml::Value::Boolean(b) => Value::Bool(b),
            toml::Value::Datetime(d) => Value::String(d.to_string()),
            toml::Value::Array(items) => Value::Array(items.into_iter().map(convert).collect()),
            toml::Value::Table(t) => {
                Value::Object(t.into_iter().map(|(k, v)| (k, convert(v))).collect())
            }
        }
    }
    Ok(table.into_iter().map(|(k, v)| (k, convert(v))).collect())
}

/// Lists a batch folder.
pub fn read(root: &Path) -> Result<Batch, BatchError> {
    let fail = |reason: String| BatchError {
        path: root.display().to_string(),
        reason,
    };
    let canonical = fs::canonicalize(root).map_err(|e| fail(e.to_string()))?;
    let name = canonical
        .file_name()
        .map_or_else(|| "batch".to_owned(), |n| n.to_string_lossy().into_owned());
    if canonical.is_file() {
        return stack_file(&canonical, name).map_err(fail);
    }
    if !canonical.is_dir() {
        return Err(fail("not a folder".into()));
    }
    let mut batch = Batch {
        name,
        root: canonical.clone(),
        info: Map::new(),
        dossiers: Vec::new(),
        rejected: Vec::new(),
        stack: None,
    };
    let Entries {
        named: top,
        not_utf8: bad,
    } = entries(&canonical).map_err(|e| fail(e.to_string()))?;
    for raw in bad {
        batch
            .rejected
            .push(reject(&batch.name, &raw, "name is not valid UTF-8"));
    }
    if is_stack_folder(&top) {
        return stack_folder(batch, top).map_err(fail);
    }
    for (entry_name, path) in top {
        match resolve(&path, &canonical) {
            Err(reason) => batch.rejected.push(reject(&batch.name, &entry_name, reason)),
            Ok(Entry::File(..)) if entry_name == "batch.toml" => match read_toml(&path) {
                Ok(info) => batch.info = info,
                Err(reason) => batch.rejected.push(reject(&batch.name, &entry_name, format!("invalid TOML: {reason}"))),
            },
            Ok(Entry::File(..)) => {
                batch.rejected.push(reject(&batch.name, &entry_name, "file outside any dossier folder"))
            }
            Ok(Entry::Dir(_)) if !valid_id(&entry_name) => batch.rejected.push(reject(
                &batch.name,
                &entry_name,
                "invalid dossier identifier: use letters, digits, '-', '_' and '.', at most 64 characters",
            )),
            Ok(Entry::Dir(dir)) => batch.dossiers.push(read_dossier(&batch.name, &canonical, entry_name, &dir)),
        }
    }
    Ok(batch)
}

fn read_dossier(batch: &str, root: &Path, id: String, dir: &Path) -> Dossier {
    let mut dossier = Dossier {
        id,
        files: Vec::new(),
        metadata: Map::new(),
        rejected: Vec::new(),
        stack: None,
    };
    let Entries {
        named: names,
        not_utf8: bad,
    } = match entries(dir) {
        Ok(found) => found,
        Err(e) => {
            dossier
                .rejected
                .push(reject(batch, &dossier.id, format!("cannot list: {e}")));
            return dossier;
        }
    };
    for raw in bad {
        let rel = format!("{}/{raw}", dossier.id);
        dossier
            .rejected
            .push(reject(batch, &rel, "name is not valid UTF-8"));
    }
    for (name, path) in names {
        let rel = format!("{}/{name}", dossier.id);
        match resolve(&path, root) {
            Err(reason) => dossier.rejected.push(reject(batch, &rel, reason)),
            Ok(Entry::Dir(_)) => {
                dossier
                    .rejected
                    .push(reject(batch, &rel, "folder inside a dossier; not read"))
            }
            Ok(Entry::File(..)) if name == "dossier.toml" => match read_toml(&path) {
                Ok(metadata) => dossier.metadata = metadata,
                Err(reason) => {
                    dossier
                        .rejected
                        .push(reject(batch, &rel, format!("invalid TOML: {reason}")))
                }
            },
            Ok(Entry::File(_, bytes)) if bytes > MAX_FILE_BYTES => dossier.rejected.push(reject(
                batch,
                &rel,
                format!("file of {bytes} bytes is larger than the 1 GiB limit"),
            )),
            Ok(Entry::File(target, _)) => dossier.files.push(PageFile {
                rel,
                path: target,
                select: None,
            }),
        }
    }
    if dossier.files.is_empty() && dossier.rejected.is_empty() {
        dossier
            .rejected
            .push(reject(batch, &dossier.id, "empty dossier: no page files"));
    }
    dossier
}

/// The corrections file of a stack folder.
const STACK_CORRECTIONS: &str = "sheets.toml";

/// A folder is a stack when it holds page files and no dossier folders.
fn is_stack_folder(top: &[(String, PathBuf)]) -> bool {
    let mut files = 0;
    for (name, path) in top {
        if path.is_dir() {
            return false;
        }
        if name != "batch.toml" && name != STACK_CORRECTIONS {
            files += 1;
        }
    }
    files > 0
}

/// A folder of page files in scan order: one stack, its pages in the
/// files' natural order.
fn stack_folder(mut batch: Batch, top: Vec<(String, PathBuf)>) -> Result<Batch, String> {
    let mut files = Vec::new();
    let mut corrections = Corrections::default();
    for (name, path) in top {
        match resolve(&path, &batch.root) {
            Err(reason) => batch.rejected.push(reject(&batch.name, &name, reason)),
            Ok(Entry::Dir(_)) => {}
            Ok(Entry::File(..)) if name == "batch.toml" => match read_toml(&path) {
                Ok(info) => batch.info = info,
                Err(reason) => batch.rejected.push(reject(
                    &batch.name,
                    &name,
                    format!("invalid TOML: {reason}"),
                )),
            },
            Ok(Entry::File(..)) if name == STACK_CORRECTIONS => {
                corrections = Corrections::read(&path).map_err(|e| format!("{name}: {e}"))?;
            }
            Ok(Entry::File(_, bytes)) if bytes > MAX_FILE_BYTES => batch.rejected.push(reject(
                &batch.name,
                &name,
                format!("file of {bytes} bytes is larger than the 1 GiB limit"),
            )),
            Ok(Entry::File(target, _)) => files.push(PageFile {
                rel: name,
                path: target,
                select: None,
            }),
        }
    }
    batch.stack = Some(Stack { files, corrections });
    Ok(batch)
}

/// A stack given as one file (a scanner's multi-page PDF or TIFF), with
/// its corrections in `NAME.sheets.toml` beside it if there are any.
fn stack_file(path: &Path, name: String) -> Result<Batch, String> {
    let bytes = fs::metadata(path).map_err(|e| e.to_string())?.len();
    if bytes > MAX_FILE_BYTES {
        return Err(format!(
            "file of {bytes} bytes is larger than the 1 GiB limit"
        ));
    }
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let corrections_path = path.with_file_name(format!("{stem}.sheets.toml"));
    let corrections = if corrections_path.is_file() {
        Corrections::read(&corrections_path)
            .map_err(|e| format!("{}: {e}", corrections_path.display()))?
    } else {
        Corrections::default()
    };
    let file = PageFile {
        rel: name.clone(),
        path: path.to_path_buf(),
        select: None,
    };
    Ok(Batch {
        name,
        root: path.to_path_buf(),
        info: Map::new(),
        dossiers: Vec::new(),
        rejected: Vec::new(),
        stack: Some(Stack {
            files: vec![file],
            corrections,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(valid_id("INT-2026-04711"));
        assert!(valid_id("a.b_c"));
        assert!(!valid_id("INT 2026"));
        assert!(!valid_id("école"));
        assert!(!valid_id(&"x".repeat(65)));
    }

    #[test]
    fn listing_rejects_what_it_cannot_use_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("B");
        fs::create_dir_all(root.join("INT-1")).unwrap();
        fs::create_dir_all(root.join("bad name")).unwrap();
        fs::create_dir_all(root.join("EMPTY")).unwrap();
        fs::write(root.join("INT-1/10.png"), b"x").unwrap();
        fs::write(root.join("INT-1/2.png"), b"x").unwrap();
        fs::write(root.join("INT-1/.hidden"), b"x").unwrap();
        fs::write(
            root.join("INT-1/dossier.toml"),
            "name = \"NGONO Marie\"\nextra = 3\n",
        )
        .unwrap();
        fs::write(root.join("stray.png"), b"x").unwrap();
        fs::write(dir.path().join("outside.png"), b"x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside.png"), root.join("INT-1/3.png"))
            .unwrap();
        let batch = read(&root).unwrap();
        assert_eq!(batch.name, "B");
        let ids: Vec<_> = batch.dossiers.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["EMPTY", "INT-1"]);
        let int1 = &batch.dossiers[1];
        let files: Vec<_> = int1.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(files, ["INT-1/2.png", "INT-1/10.png"]);
        assert_eq!(int1.metadata["name"], "NGONO Marie");
        assert_eq!(int1.metadata["extra"], 3);
        assert_eq!(int1.rejected[0].path, "B/INT-1/3.png");
        assert!(int1.rejected[0].error.contains("out of the batch"));
        assert!(
            batch.dossiers[0].rejected[0]
                .error
                .contains("empty dossier")
        );
        let top: Vec<_> = batch.rejected.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(top, ["B/bad name", "B/stray.png"]);
    }

    #[test]
    fn a_folder_of_page_files_or_one_file_is_a_stack() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("scan-0042");
        fs::create_dir_all(&folder).unwrap();
        for name in ["10.png", "2.png", "batch.toml", "sheets.toml"] {
            fs::write(folder.join(name), b"").unwrap();
        }
        fs::write(folder.join("sheets.toml"), "continues = \"INT-1\"\n").unwrap();
        let batch = read(&folder).unwrap();
        let stack = batch.stack.unwrap();
        let files: Vec<_> = stack.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(files, ["2.png", "10.png"]);
        assert_eq!(stack.corrections.continues.as_deref(), Some("INT-1"));
        assert!(batch.dossiers.is_empty());

        let file = dir.path().join("stack.pdf");
        fs::write(&file, b"%PDF").unwrap();
        let batch = read(&file).unwrap();
        assert_eq!(batch.name, "stack.pdf");
        assert_eq!(batch.stack.unwrap().files[0].rel, "stack.pdf");
        fs::write(
            dir.path().join("stack.sheets.toml"),
            "[pages]\n1 = \"cover\"\n",
        )
        .unwrap();
        let error = read(&file).unwrap_err();
        assert!(error.reason.contains("stack.sheets.toml"), "{error}");

        // A folder with a dossier folder is a batch, loose files and all.
        fs::create_dir_all(folder.join("INT-1")).unwrap();
        assert!(read(&folder).unwrap().stack.is_none());
    }
}
